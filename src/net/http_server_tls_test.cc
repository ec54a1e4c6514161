// HTTPS: a self-signed certificate made by the openssl command line, served
// by HttpServer and checked by HttpClient and by the curl command
// (scripts/install-deps.sh installs it).
#include <gtest/gtest.h>

#include <future>
#include <mutex>

#include "net/http_client.h"
#include "net/http_server.h"
#include "net/test_conn.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace kw::net {
namespace {

using kw::test::RunSubprocess;
using kw::test::TempDir;
using test::FnHandler;
using test::LocalUrl;
using test::TextResponse;
using namespace std::chrono_literals;

struct Cert {
  std::string cert;
  std::string key;
};

// A P-256 certificate for `san` (e.g. "DNS:localhost,IP:127.0.0.1").
StatusOr<Cert> MakeSelfSigned(const TempDir& dir, const std::string& name, const std::string& san) {
  Cert c{dir.Path(name + ".crt"), dir.Path(name + ".key")};
  auto r = RunSubprocess({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                          "-nodes", "-keyout", c.key, "-out", c.cert, "-days", "2", "-subj", "/CN=" + name,
                          "-addext", "subjectAltName=" + san});
  if (!r.ok()) return r.status();
  if (!r->ExitedWith(0)) return InternalError("openssl req: " + r->Describe());
  return c;
}

class HttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create("kw-net-tls");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_.emplace(std::move(dir).value());
    auto cert = MakeSelfSigned(*dir_, "localhost", "DNS:localhost,IP:127.0.0.1");
    ASSERT_TRUE(cert.ok()) << cert.status().ToString();
    cert_ = *cert;
  }
  std::unique_ptr<HttpServer> StartTls(Handler* handler) {
    ServerOptions o;
    o.port = 0;
    o.threads = 2;
    o.tls_cert_file = cert_.cert;
    o.tls_key_file = cert_.key;
    auto s = HttpServer::Start(o, handler, nullptr);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  std::optional<TempDir> dir_;
  Cert cert_;
};

void EchoBody(Request req, Responder respond, ServerContext&) {
  respond(TextResponse(200, req.method + " " + req.path + " " + req.body));
}

TEST_F(HttpsTest, RoundTripWithCaFile) {
  FnHandler handler(EchoBody);
  auto server = StartTls(&handler);
  ASSERT_TRUE(server);
  HttpClient client(test::ClientWithCa(cert_.cert));
  for (int i = 0; i < 2; ++i) {
    auto r = client.Send("POST", LocalUrl(server->port(), "/secure", "https"), {}, "payload");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "POST /secure payload");
  }
  EXPECT_TRUE(test::WaitFor([&] { return server->open_connections() == 0; }));
}

TEST_F(HttpsTest, CertificateAndHostNameAreVerified) {
  FnHandler handler(EchoBody);
  auto server = StartTls(&handler);
  ASSERT_TRUE(server);
  const std::string url = LocalUrl(server->port(), "/", "https");

  auto untrusted = HttpClient({}).Send("GET", url, {});  // system CAs only
  ASSERT_FALSE(untrusted.ok());
  EXPECT_EQ(untrusted.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(untrusted.status().message().find(url), std::string::npos) << untrusted.status().ToString();
  EXPECT_NE(untrusted.status().message().find("certificate"), std::string::npos) << untrusted.status().ToString();

  auto insecure = HttpClient(test::InsecureClient()).Send("GET", url, {});
  ASSERT_TRUE(insecure.ok()) << insecure.status().ToString();
  EXPECT_EQ(insecure->status, 200);

  // A certificate the client trusts, but for another name.
  auto other = MakeSelfSigned(*dir_, "other", "DNS:other.example");
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  ServerOptions o;
  o.port = 0;
  o.threads = 1;
  o.tls_cert_file = other->cert;
  o.tls_key_file = other->key;
  auto wrong_name = HttpServer::Start(o, &handler, nullptr);
  ASSERT_TRUE(wrong_name.ok()) << wrong_name.status().ToString();
  auto mismatch = HttpClient(test::ClientWithCa(other->cert)).Send("GET", LocalUrl((*wrong_name)->port(), "/", "https"), {});
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.status().code(), StatusCode::kUnavailable);

  // Plain HTTP to the TLS port reaches no handler.
  int before = handler.calls();
  auto plain = HttpClient(test::ClientWith(3000ms)).Send("GET", LocalUrl(server->port(), "/"), {});
  EXPECT_FALSE(plain.ok() && plain->status == 200);
  EXPECT_EQ(handler.calls(), before);
}

TEST_F(HttpsTest, KeyMustMatchCertificate) {
  auto other = MakeSelfSigned(*dir_, "other", "DNS:other.example");
  ASSERT_TRUE(other.ok());
  FnHandler handler(EchoBody);
  ServerOptions o;
  o.port = 0;
  o.tls_cert_file = cert_.cert;
  o.tls_key_file = other->key;
  auto s = HttpServer::Start(o, &handler, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << s.status().ToString();
}

TEST_F(HttpsTest, StopAnswersWaitingRequests503) {
  std::mutex mu;
  std::vector<Responder> waiting;
  FnHandler handler([&](Request, Responder respond, ServerContext&) {
    std::lock_guard lock(mu);
    waiting.push_back(std::move(respond));
  });
  auto server = StartTls(&handler);
  ASSERT_TRUE(server);
  const std::string url = LocalUrl(server->port(), "/wait", "https");
  const std::string ca = cert_.cert;
  auto pending = std::async(std::launch::async, [url, ca] { return HttpClient(test::ClientWithCa(ca)).Send("GET", url, {}); });
  ASSERT_TRUE(test::WaitFor([&] { std::lock_guard lock(mu); return waiting.size() == 1; }));
  server->Stop();
  ASSERT_EQ(pending.wait_for(5s), std::future_status::ready);
  auto r = pending.get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 503);
}

TEST_F(HttpsTest, CurlCommandAgrees) {
  auto curl = kw::test::FindProgram("curl");
  ASSERT_TRUE(curl.ok()) << "no curl command (scripts/install-deps.sh installs it): " << curl.status().ToString();
  FnHandler handler(EchoBody);
  auto server = StartTls(&handler);
  ASSERT_TRUE(server);
  auto r = RunSubprocess({*curl, "-sS", "--cacert", cert_.cert, "--max-time", "10", "-d", "from curl",
                          LocalUrl(server->port(), "/c%20d", "https")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->ExitedWith(0)) << r->Describe();
  EXPECT_EQ(r->out, "POST /c d from curl");
}

}  // namespace
}  // namespace kw::net
