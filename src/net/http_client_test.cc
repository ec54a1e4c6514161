#include "net/http_client.h"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "net/http_server.h"
#include "net/test_conn.h"

namespace kw::net {
namespace {

using test::FnHandler;
using test::LocalUrl;
using test::TextResponse;
using namespace std::chrono_literals;

std::unique_ptr<HttpServer> StartLocal(Handler* handler) {
  ServerOptions o;
  o.port = 0;
  o.threads = 2;
  auto s = HttpServer::Start(o, handler, nullptr);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

TEST(UrlEncode, KeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(UrlEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(UrlEncode("a b+c/d?e=f&g%"), "a%20b%2Bc%2Fd%3Fe%3Df%26g%25");
  EXPECT_EQ(UrlEncode(std::string("\x00\xff", 2)), "%00%FF");
  EXPECT_EQ(UrlEncode(""), "");
}

TEST(HttpClient, SendsMethodHeadersAndBodyAndReadsTheAnswer) {
  FnHandler handler([](Request req, Responder respond, ServerContext&) {
    Response r = TextResponse(req.method == "DELETE" ? 204 : 200,
                              req.method + "|" + req.Header("Content-Type") + "|" + req.Header("X-Token") + "|" + req.body);
    r.headers = {{"X-One", "1"}, {"X-Two", "two words"}};
    respond(std::move(r));
  });
  auto server = StartLocal(&handler);
  ASSERT_TRUE(server);
  HttpClient client({});
  auto put = client.Send("PUT", LocalUrl(server->port(), "/k"), {{"X-Token", "t0k"}, {"Content-Type", "application/json"}},
                         "{}");
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->status, 200);
  EXPECT_EQ(put->body, "PUT|application/json|t0k|{}");
  EXPECT_EQ(put->Header("x-two"), "two words");
  EXPECT_EQ(put->Header("X-ONE"), "1");
  EXPECT_EQ(put->Header("absent"), "");

  // No form content type sneaks in when none is given.
  auto post = client.Send("POST", LocalUrl(server->port(), "/k"), {}, "a=b");
  ASSERT_TRUE(post.ok()) << post.status().ToString();
  EXPECT_EQ(post->body, "POST|||a=b");

  // An empty POST sends "Content-Length: 0" (and nothing from stdin).
  auto empty = client.Send("POST", LocalUrl(server->port(), "/k"), {});
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->body, "POST|||");

  auto del = client.Send("DELETE", LocalUrl(server->port(), "/k"), {});
  ASSERT_TRUE(del.ok()) << del.status().ToString();
  EXPECT_EQ(del->status, 204);
}

TEST(ConnectionPool, GetsShareOneConnectionAndOtherMethodsDoNot) {
  std::mutex mu;
  std::vector<std::string> seen;  // method and Connection header of each request
  FnHandler handler([&](Request req, Responder respond, ServerContext&) {
    {
      std::lock_guard<std::mutex> lock(mu);
      seen.push_back(req.method + " " + req.Header("Connection"));
    }
    respond(TextResponse(200, req.method + " " + req.target));
  });
  auto server = StartLocal(&handler);
  ASSERT_TRUE(server);
  auto pool = std::make_shared<ConnectionPool>();
  ClientOptions o;
  o.pool = pool;
  HttpClient client(o);
  for (int i = 0; i < 5; ++i) {
    auto r = client.Send("GET", LocalUrl(server->port(), "/poll?n=" + std::to_string(i)), {});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->body, "GET /poll?n=" + std::to_string(i));
  }
  EXPECT_EQ(pool->opened(), 1);
  // A POST is sent on a connection of its own, closed after it.
  auto post = client.Send("POST", LocalUrl(server->port(), "/report"), {}, "x");
  ASSERT_TRUE(post.ok()) << post.status().ToString();
  auto get = client.Send("GET", LocalUrl(server->port(), "/poll?n=5"), {});
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  EXPECT_EQ(pool->opened(), 1);
  // Another client without the pool closes its connection as before.
  HttpClient plain({});
  ASSERT_TRUE(plain.Send("GET", LocalUrl(server->port(), "/"), {}).ok());
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(seen.size(), 8u);
  EXPECT_EQ(seen[0], "GET ");  // HTTP/1.1: kept open unless it says close
  EXPECT_EQ(seen[5], "POST close");
  EXPECT_EQ(seen[7], "GET close");
}

TEST(ConnectionPool, AConnectionTheServerClosedIsReplacedOnce) {
  FnHandler handler([](Request req, Responder respond, ServerContext&) { respond(TextResponse(200, req.target)); });
  auto server = StartLocal(&handler);
  ASSERT_TRUE(server);
  const uint16_t port = server->port();
  auto pool = std::make_shared<ConnectionPool>();
  ClientOptions o;
  o.pool = pool;
  HttpClient client(o);
  ASSERT_TRUE(client.Send("GET", LocalUrl(port, "/a"), {}).ok());
  // The server restarts on the same port: the idle connection is dead.
  server->Stop();
  server.reset();
  ServerOptions so;
  so.port = port;
  so.threads = 2;
  auto again = HttpServer::Start(so, &handler, nullptr);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  auto r = client.Send("GET", LocalUrl(port, "/b"), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "/b");
  EXPECT_EQ(pool->opened(), 2);
  // With no server at all, the retry fails as a request would.
  (*again)->Stop();
  auto down = client.Send("GET", LocalUrl(port, "/c"), {});
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), StatusCode::kUnavailable);
}

TEST(HttpClient, RefusedConnectionIsUnavailableAndNamesTheUrl) {
  FnHandler handler([](Request, Responder respond, ServerContext&) { respond(TextResponse(200, "")); });
  auto server = StartLocal(&handler);
  ASSERT_TRUE(server);
  const std::string url = LocalUrl(server->port(), "/gone");
  server->Stop();
  auto r = HttpClient({}).Send("GET", url, {});
  ASSERT_FALSE(r.ok());
  // Refused, not timed out (the message says which).
  EXPECT_EQ(r.status().message().find("timed out"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find(url), std::string::npos) << r.status().ToString();
}

TEST(HttpClient, TimeoutIsUnavailable) {
  std::mutex mu;
  std::vector<Responder> never;
  FnHandler handler([&](Request, Responder respond, ServerContext&) {
    std::lock_guard lock(mu);
    never.push_back(std::move(respond));
  });
  auto server = StartLocal(&handler);
  ASSERT_TRUE(server);
  auto start = std::chrono::steady_clock::now();
  auto r = HttpClient(test::ClientWith(300ms)).Send("GET", LocalUrl(server->port(), "/slow"), {});
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("/slow"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("timed out after 300 ms"), std::string::npos) << r.status().ToString();
  EXPECT_GE(took, 250ms);  // not before its time (an upper bound would measure the machine)
}

// A long poll in progress ends when its cancel flag is set (the agent's
// shutdown), well before its own time limit.
TEST(HttpClient, CancelFlagEndsARequestInProgress) {
  std::mutex mu;
  std::vector<Responder> never;
  FnHandler handler([&](Request, Responder respond, ServerContext&) {
    std::lock_guard lock(mu);
    never.push_back(std::move(respond));
  });
  auto server = StartLocal(&handler);
  ASSERT_TRUE(server);
  CancelSignal cancel;
  ClientOptions options = test::ClientWith(30s);
  options.cancel = &cancel;
  std::thread stopper([&] {
    std::this_thread::sleep_for(200ms);
    cancel.Cancel();
  });
  auto r = HttpClient(options).Send("GET", LocalUrl(server->port(), "/poll"), {});
  stopper.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("/poll: cancelled"), std::string::npos) << r.status().ToString();
  // Once cancelled, later requests end before they start.
  auto later = HttpClient(options).Send("GET", LocalUrl(server->port(), "/poll"), {});
  EXPECT_NE(later.status().message().find("cancelled"), std::string::npos) << later.status().ToString();
  EXPECT_TRUE(cancel.WaitFor(10s));
}

TEST(HttpClient, RejectsBadInput) {
  HttpClient client({});
  auto scheme = client.Send("GET", "ftp://127.0.0.1/x", {});
  EXPECT_EQ(scheme.status().code(), StatusCode::kInvalidArgument) << scheme.status().ToString();
  auto header = client.Send("GET", "http://127.0.0.1:1/", {{"X-A", "b\r\nX-Injected: 1"}});
  EXPECT_EQ(header.status().code(), StatusCode::kInvalidArgument) << header.status().ToString();
  auto method = client.Send("GET /x", "http://127.0.0.1:1/", {});
  EXPECT_EQ(method.status().code(), StatusCode::kInvalidArgument) << method.status().ToString();
  for (const char* url : {"http:///x", "http://user:pw@127.0.0.1/", "http://127.0.0.1:0/", "http://127.0.0.1:99999/",
                          "http://127.0.0.1:8x/", "http://[::1/", "http://127.0.0.1/a b", "127.0.0.1:80/"}) {
    auto r = client.Send("GET", url, {});
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << url << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find(url), std::string::npos) << r.status().ToString();
  }
}

// Host and port as the URL gives them (IPv6 literal included), query kept,
// fragment dropped, HEAD without a body.
TEST(HttpClient, UrlPartsReachTheServer) {
  FnHandler handler([](Request req, Responder respond, ServerContext&) {
    std::string q;
    for (const auto& [k, v] : req.query) q += k + "=" + v + ";";
    respond(TextResponse(200, req.Header("Host") + " " + req.path + "?" + q));
  });
  auto server = StartLocal(&handler);
  ASSERT_TRUE(server);
  HttpClient client({});
  std::string port = std::to_string(server->port());
  auto r = client.Send("GET", "http://127.0.0.1:" + port + "/a/b?x=1#frag", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "127.0.0.1:" + port + " /a/b?x=1;");
  auto q = client.Send("GET", "http://127.0.0.1:" + port + "?y=2", {});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->body, "127.0.0.1:" + port + " /?y=2;");
  // A name is looked up (and each address tried in turn).
  auto named = client.Send("GET", "http://localhost:" + port + "/n", {});
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  EXPECT_EQ(named->body, "localhost:" + port + " /n?");
  auto unknown = client.Send("GET", "http://no-such-host.invalid:" + port + "/", {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("resolving no-such-host.invalid"), std::string::npos)
      << unknown.status().ToString();
  auto head = client.Send("HEAD", "http://127.0.0.1:" + port + "/h", {});
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
}

TEST(HttpClient, IsUsableFromManyThreads) {
  FnHandler handler([](Request req, Responder respond, ServerContext&) { respond(TextResponse(200, req.path)); });
  auto server = StartLocal(&handler);
  ASSERT_TRUE(server);
  const HttpClient client({});
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string path = "/t" + std::to_string(t) + "/" + std::to_string(i);
        auto r = client.Send("GET", LocalUrl(server->port(), path), {});
        if (r.ok() && r->status == 200 && r->body == path) good.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 80);
}

}  // namespace
}  // namespace kw::net
