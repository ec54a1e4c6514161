#include "net/http_server.h"

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "net/http_client.h"
#include "net/json_error.h"
#include "net/metrics.h"
#include "net/test_conn.h"

namespace kw::net {
namespace {

using test::FnHandler;
using test::LocalUrl;
using test::RawGet;
using test::TestConn;
using test::TextResponse;
using test::WaitFor;
using namespace std::chrono_literals;

ServerOptions LocalOptions() {
  ServerOptions o;
  o.port = 0;
  o.threads = 2;
  return o;
}

std::unique_ptr<HttpServer> MustStart(Handler* h, ServerOptions o = LocalOptions(), Metrics* m = nullptr) {
  auto s = HttpServer::Start(o, h, m);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

std::string ErrorCode(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.contains("error")) return "<not a JSON error: " + body + ">";
  return j["error"].value("code", "");
}

// Echoes what the server decoded, as JSON.
void Echo(Request req, Responder respond, ServerContext&) {
  nlohmann::json j;
  j["method"] = req.method;
  j["target"] = req.target;
  j["path"] = req.path;
  j["query"] = req.query;
  j["body"] = req.body;
  j["remote"] = req.remote;
  j["x_test"] = req.Header("x-TEST");
  j["host_param"] = req.Query("host").value_or("<absent>");
  j["missing_param"] = req.Query("missing").has_value();
  Response r;
  r.status = req.method == "POST" ? 201 : 200;
  r.headers = {{"X-Reply", "yes"}, {"Bad\r\nHeader", "x"}, {"X-Split", "a\r\nInjected: 1"}};
  r.body = j.dump();
  respond(std::move(r));
}

TEST(HttpServer, DecodesPathAndQuery) {
  FnHandler handler(Echo);
  auto server = MustStart(&handler);
  ASSERT_TRUE(server);
  HttpClient client({});
  const std::string target = "/api/v1/keys%2Fx/a%20b+c?host=web%201&q=a+b&empty=&flag&x=%26%3D";
  auto r = client.Send("GET", LocalUrl(server->port(), target), {{"X-Test", "Yes"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("content-type"), "application/json");
  EXPECT_EQ(r->Header("x-reply"), "yes");
  EXPECT_EQ(r->Header("Injected"), "");  // header values with CR/LF are dropped
  EXPECT_EQ(r->Header("X-Split"), "");
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["target"], target);
  EXPECT_EQ(j["path"], "/api/v1/keys/x/a b+c");
  EXPECT_EQ(j["query"], nlohmann::json::parse(R"([["host","web 1"],["q","a b"],["empty",""],["flag",""],["x","&="]])"));
  EXPECT_EQ(j["host_param"], "web 1");
  EXPECT_EQ(j["missing_param"], false);
  EXPECT_EQ(j["x_test"], "Yes");
  EXPECT_EQ(j["remote"], "127.0.0.1");
}

TEST(HttpServer, PostBodyReachesTheHandler) {
  FnHandler handler(Echo);
  auto server = MustStart(&handler);
  ASSERT_TRUE(server);
  HttpClient client({});
  const std::string body = R"({"name":"alice"})" + std::string(5000, 'x');
  auto r = client.Send("POST", LocalUrl(server->port(), "/api/v1/users"), {{"Content-Type", "application/json"}}, body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(nlohmann::json::parse(r->body)["body"], body);
}

TEST(HttpServer, HeadSendsLengthWithoutBody) {
  FnHandler handler([](Request, Responder respond, ServerContext&) { respond(TextResponse(200, "twelve bytes")); });
  auto server = MustStart(&handler);
  ASSERT_TRUE(server);
  auto conn = TestConn::Connect(server->port());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  ASSERT_TRUE((*conn)->Send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" + RawGet("/")).ok());
  auto head = (*conn)->Read(/*head=*/true);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("Content-Length"), "12");
  EXPECT_EQ(head->body, "");
  // A body sent after the HEAD answer would be misread as the next response.
  auto get = (*conn)->Read();
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "twelve bytes");
}

TEST(HttpServer, KeepAliveServesTwoRequestsOnOneConnection) {
  FnHandler handler([](Request req, Responder respond, ServerContext&) { respond(TextResponse(200, req.path)); });
  auto server = MustStart(&handler);
  ASSERT_TRUE(server);
  auto conn = TestConn::Connect(server->port());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  for (const char* path : {"/one", "/two"}) {
    ASSERT_TRUE((*conn)->Send(RawGet(path)).ok());
    auto r = (*conn)->Read();
    ASSERT_TRUE(r.ok()) << path << ": " << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, path);
    EXPECT_TRUE(r->keep_alive);
  }
  EXPECT_EQ(handler.calls(), 2);
  EXPECT_EQ(server->open_connections(), 1);

  // "Connection: close" is honoured: answer, then close.
  ASSERT_TRUE((*conn)->Send(RawGet("/three", "Connection: close\r\n")).ok());
  auto r = (*conn)->Read();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "/three");
  EXPECT_FALSE(r->keep_alive);
  EXPECT_TRUE((*conn)->WaitClosed(5s));
  EXPECT_TRUE(WaitFor([&] { return server->open_connections() == 0; }));
}

TEST(HttpServer, ExpectContinueGetsAnInterimResponse) {
  FnHandler handler([](Request req, Responder respond, ServerContext&) { respond(TextResponse(200, req.body)); });
  auto server = MustStart(&handler);
  ASSERT_TRUE(server);
  auto conn = TestConn::Connect(server->port());
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)->Send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n").ok());
  auto interim = (*conn)->Read();
  ASSERT_TRUE(interim.ok()) << interim.status().ToString();
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE((*conn)->Send("hello").ok());
  auto r = (*conn)->Read();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
}

TEST(HttpServer, OversizedBodyIs413AndNeverReachesTheHandler) {
  FnHandler handler([](Request req, Responder respond, ServerContext&) { respond(TextResponse(200, req.body)); });
  ServerOptions o = LocalOptions();
  o.max_body = 1024;
  auto server = MustStart(&handler, o);
  ASSERT_TRUE(server);
  HttpClient client({});

  auto at_limit = client.Send("POST", LocalUrl(server->port(), "/"), {}, std::string(1024, 'a'));
  ASSERT_TRUE(at_limit.ok()) << at_limit.status().ToString();
  EXPECT_EQ(at_limit->status, 200);
  EXPECT_EQ(handler.calls(), 1);

  auto over = client.Send("POST", LocalUrl(server->port(), "/"), {}, std::string(200 * 1024, 'a'));
  ASSERT_TRUE(over.ok()) << over.status().ToString();
  EXPECT_EQ(over->status, 413);
  EXPECT_EQ(nlohmann::json::parse(over->body),
            nlohmann::json::parse(R"({"error":{"code":"too_large","message":"request body over 1024 bytes"}})"));

  // Announced but never sent: refused from the header alone.
  auto conn = TestConn::Connect(server->port());
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)->Send("PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n").ok());
  auto r = (*conn)->Read();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(ErrorCode(r->body), "too_large");
  EXPECT_FALSE(r->keep_alive);

  // Chunked, with no length up front.
  auto chunked = TestConn::Connect(server->port());
  ASSERT_TRUE(chunked.ok());
  std::string chunk(2000, 'b');
  ASSERT_TRUE((*chunked)->Send("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" + chunk +
                               "\r\n0\r\n\r\n").ok());
  auto rc = (*chunked)->Read();
  ASSERT_TRUE(rc.ok()) << rc.status().ToString();
  EXPECT_EQ(rc->status, 413);

  EXPECT_EQ(handler.calls(), 1);
}

TEST(HttpServer, MalformedRequestsAre400) {
  FnHandler handler([](Request, Responder respond, ServerContext&) { respond(TextResponse(200, "ok")); });
  auto server = MustStart(&handler);
  ASSERT_TRUE(server);
  for (const char* raw : {"NOT HTTP AT ALL\r\n\r\n", "GET / HTTP/1.1\r\nHost x\r\n\r\n", "GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n",
                          "GET http://elsewhere/ HTTP/1.1\r\nHost: x\r\n\r\n"}) {
    auto conn = TestConn::Connect(server->port());
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE((*conn)->Send(raw).ok());
    auto r = (*conn)->Read();
    ASSERT_TRUE(r.ok()) << raw << r.status().ToString();
    EXPECT_EQ(r->status, 400) << raw;
    EXPECT_EQ(ErrorCode(r->body), "bad_request") << raw;
    EXPECT_TRUE((*conn)->WaitClosed(5s)) << raw;
  }
  EXPECT_EQ(handler.calls(), 0);
}

TEST(HttpServer, ResponderFromAnotherThreadAndTimers) {
  std::mutex mu;
  std::vector<std::thread> workers;
  FnHandler handler([&](Request req, Responder respond, ServerContext& ctx) {
    if (req.path == "/thread") {
      std::lock_guard lock(mu);
      workers.emplace_back([respond] {
        std::this_thread::sleep_for(30ms);
        respond(TextResponse(200, "from a worker"));
      });
    } else if (req.path == "/timer") {
      auto cancelled = ctx.RunAfter(20ms, [respond] { respond(TextResponse(200, "cancelled timer ran")); });
      cancelled->Cancel();
      ctx.RunAfter(100ms, [respond] { respond(TextResponse(200, "from a timer")); });
    } else {
      ctx.Post([respond] { respond(TextResponse(200, "posted")); });
    }
  });
  auto server = MustStart(&handler);
  ASSERT_TRUE(server);
  HttpClient client({});

  auto r = client.Send("GET", LocalUrl(server->port(), "/thread"), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "from a worker");

  auto start = std::chrono::steady_clock::now();
  r = client.Send("GET", LocalUrl(server->port(), "/timer"), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "from a timer");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);

  r = client.Send("GET", LocalUrl(server->port(), "/post"), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "posted");

  std::lock_guard lock(mu);
  for (auto& t : workers) t.join();
}

TEST(HttpServer, ASecondCallOfTheResponderIsIgnored) {
  FnHandler handler([](Request req, Responder respond, ServerContext&) {
    respond(TextResponse(200, req.path + " first"));
    respond(TextResponse(200, req.path + " second"));
  });
  auto server = MustStart(&handler);
  ASSERT_TRUE(server);
  auto conn = TestConn::Connect(server->port());
  ASSERT_TRUE(conn.ok());
  for (const char* path : {"/a", "/b"}) {
    ASSERT_TRUE((*conn)->Send(RawGet(path)).ok());
    auto r = (*conn)->Read();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    // A stale second answer to /a would be read here as the answer to /b.
    EXPECT_EQ(r->body, std::string(path) + " first");
  }
}

TEST(HttpServer, ResponderAfterTheClientLeftIsHarmless) {
  std::mutex mu;
  std::vector<Responder> waiting;
  FnHandler handler([&](Request req, Responder respond, ServerContext&) {
    if (req.path == "/wait") {
      std::lock_guard lock(mu);
      waiting.push_back(std::move(respond));
    } else {
      respond(TextResponse(200, "alive"));
    }
  });
  auto server = MustStart(&handler);
  ASSERT_TRUE(server);
  {
    auto conn = TestConn::Connect(server->port());
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE((*conn)->Send(RawGet("/wait")).ok());
    ASSERT_TRUE(WaitFor([&] { std::lock_guard lock(mu); return waiting.size() == 1; }));
    (*conn)->Close();
  }
  // The waiting request still holds its connection...
  EXPECT_EQ(server->open_connections(), 1);
  std::this_thread::sleep_for(50ms);
  {
    std::lock_guard lock(mu);
    waiting[0](TextResponse(200, std::string(256 * 1024, 'z')));  // more than the socket buffers take
    waiting[0](TextResponse(200, "again"));
  }
  // ...and lets go of it once answered.
  EXPECT_TRUE(WaitFor([&] { return server->open_connections() == 0; })) << server->open_connections();
  HttpClient client({});
  auto r = client.Send("GET", LocalUrl(server->port(), "/"), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "alive");
}

TEST(HttpServer, DroppedResponderOrThrowingHandlerIs500) {
  FnHandler handler([](Request req, Responder /*respond*/, ServerContext&) {
    if (req.path == "/throw") throw std::runtime_error("secret detail");
    // "/drop": the Responder goes away unanswered.
  });
  auto server = MustStart(&handler);
  ASSERT_TRUE(server);
  HttpClient client({});
  for (const char* path : {"/drop", "/throw"}) {
    auto r = client.Send("GET", LocalUrl(server->port(), path), {});
    ASSERT_TRUE(r.ok()) << path << ": " << r.status().ToString();
    EXPECT_EQ(r->status, 500) << path;
    EXPECT_EQ(ErrorCode(r->body), "internal") << path;
    EXPECT_EQ(r->body.find("secret detail"), std::string::npos);
  }
}

TEST(HttpServer, StatusOutsideTheValidRangeIs500) {
  FnHandler handler([](Request, Responder respond, ServerContext&) { respond(TextResponse(1000, "x")); });
  auto server = MustStart(&handler);
  ASSERT_TRUE(server);
  auto r = HttpClient({}).Send("GET", LocalUrl(server->port(), "/"), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 500);
}

TEST(HttpServer, StopAnswersWaitingRequests503) {
  std::mutex mu;
  std::vector<Responder> waiting;
  FnHandler handler([&](Request, Responder respond, ServerContext&) {
    std::lock_guard lock(mu);
    waiting.push_back(std::move(respond));
  });
  auto server = MustStart(&handler);
  ASSERT_TRUE(server);
  const uint16_t port = server->port();
  auto pending = std::async(std::launch::async, [port] {
    return HttpClient({}).Send("GET", LocalUrl(port, "/api/v1/bundle?wait=60"), {});
  });
  ASSERT_TRUE(WaitFor([&] { std::lock_guard lock(mu); return waiting.size() == 1; }));
  // An idle keep-alive connection is closed too.
  auto idle = TestConn::Connect(port);
  ASSERT_TRUE(idle.ok());

  server->Stop();

  ASSERT_EQ(pending.wait_for(5s), std::future_status::ready);
  auto r = pending.get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(ErrorCode(r->body), "unavailable");
  EXPECT_TRUE((*idle)->WaitClosed(5s));
  EXPECT_EQ(server->open_connections(), 0);

  // Answering after Stop is a no-op; nobody listens any more.
  waiting[0](TextResponse(200, "too late"));
  auto refused = HttpClient(test::ClientWith(5000ms)).Send("GET", LocalUrl(port, "/"), {});
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message().find("timed out"), std::string::npos) << "refused, not timed out: "
                                                                              << refused.status().ToString();
  server->Stop();  // twice is fine
}

TEST(HttpServer, IdleConnectionsAreClosed) {
  FnHandler handler([](Request, Responder respond, ServerContext&) { respond(TextResponse(200, "ok")); });
  ServerOptions o = LocalOptions();
  o.idle_timeout = 1s;
  auto server = MustStart(&handler, o);
  ASSERT_TRUE(server);
  auto conn = TestConn::Connect(server->port());
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)->Send(RawGet("/")).ok());
  ASSERT_TRUE((*conn)->Read().ok());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE((*conn)->WaitClosed(5s));
  // Closed after the 1 s set here, not before and not at the 75 s default
  // (WaitClosed gives up after 5 s).
  EXPECT_GE(std::chrono::steady_clock::now() - start, 800ms);
}

TEST(HttpServer, CountsRequestsInMetrics) {
  Metrics metrics;
  FnHandler handler([](Request req, Responder respond, ServerContext&) {
    respond(req.method == "GET" ? TextResponse(200, "ok") : JsonError(404, "not_found", "no such thing"));
  });
  ServerOptions o = LocalOptions();
  o.max_body = 16;
  auto server = MustStart(&handler, o, &metrics);
  ASSERT_TRUE(server);
  HttpClient client({});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client.Send("GET", LocalUrl(server->port(), "/"), {}).ok());
  ASSERT_TRUE(client.Send("POST", LocalUrl(server->port(), "/"), {}, "{}").ok());
  ASSERT_TRUE(client.Send("POST", LocalUrl(server->port(), "/"), {}, std::string(100, 'x')).ok());
  ASSERT_TRUE(WaitFor([&] { return server->open_connections() == 0; }));

  std::string text = metrics.Render();
  for (const char* want : {
           "# TYPE keyward_http_requests_total counter\n",
           "keyward_http_requests_total{method=\"GET\",code=\"200\"} 3\n",
           "keyward_http_requests_total{method=\"POST\",code=\"404\"} 1\n",
           "keyward_http_requests_total{method=\"POST\",code=\"413\"} 1\n",
           "# TYPE keyward_http_request_duration_seconds histogram\n",
           "keyward_http_request_duration_seconds_count{method=\"GET\"} 3\n",
           "keyward_http_request_duration_seconds_bucket{method=\"GET\",le=\"+Inf\"} 3\n",
           "keyward_http_open_connections 0\n",
       }) {
    EXPECT_NE(text.find(want), std::string::npos) << "missing: " << want << "in:\n" << text;
  }
}

TEST(HttpServer, StartReportsErrors) {
  FnHandler handler([](Request, Responder respond, ServerContext&) { respond(TextResponse(200, "ok")); });
  auto first = MustStart(&handler);
  ASSERT_TRUE(first);
  ServerOptions same = LocalOptions();
  same.port = first->port();
  auto busy = HttpServer::Start(same, &handler, nullptr);
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.status().code(), StatusCode::kUnavailable) << busy.status().ToString();
  EXPECT_NE(busy.status().message().find(std::to_string(first->port())), std::string::npos);

  ServerOptions half_tls = LocalOptions();
  half_tls.tls_cert_file = "/nonexistent/cert.pem";
  EXPECT_EQ(HttpServer::Start(half_tls, &handler, nullptr).status().code(), StatusCode::kInvalidArgument);
  half_tls.tls_key_file = "/nonexistent/key.pem";
  auto missing = HttpServer::Start(half_tls, &handler, nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/cert.pem"), std::string::npos);

  ServerOptions bad_address = LocalOptions();
  bad_address.address = "not an address";
  EXPECT_FALSE(HttpServer::Start(bad_address, &handler, nullptr).ok());
  EXPECT_FALSE(HttpServer::Start(LocalOptions(), nullptr, nullptr).ok());
}

}  // namespace
}  // namespace kw::net
