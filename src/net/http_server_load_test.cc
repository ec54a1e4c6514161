// Long polls hold no thread: 2,000 requests wait at once on a server with
// two threads, and are answered only once the last one has arrived.
#include <sys/resource.h>

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <mutex>
#include <set>
#include <thread>

#include "net/http_server.h"
#include "net/test_conn.h"

namespace kw::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr int kRequests = 2000;

// One client connection of the many, driven by the test thread's io_context.
struct Client : std::enable_shared_from_this<Client> {
  Client(asio::io_context& ioc, uint16_t server_port, int client_id)
      : stream(ioc), port(server_port), id(client_id) {}

  void Start() {
    stream.expires_after(60s);
    stream.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port),
                         [self = shared_from_this()](beast::error_code ec) { self->OnConnect(ec); });
  }
  void OnConnect(beast::error_code ec) {
    if (ec) return Fail("connect", ec);
    req = {http::verb::get, "/wait/" + std::to_string(id), 11};
    req.set(http::field::host, "localhost");
    http::async_write(stream, req, [self = shared_from_this()](beast::error_code e, size_t) {
      if (e) return self->Fail("write", e);
      http::async_read(self->stream, self->buffer, self->res, [self](beast::error_code e2, size_t) {
        if (e2) return self->Fail("read", e2);
        self->status = static_cast<int>(self->res.result_int());
        self->body = self->res.body();
        beast::error_code ignored;
        self->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        self->stream.close();
      });
    });
  }
  void Fail(const char* what, beast::error_code ec) { error = std::string(what) + ": " + ec.message(); }

  beast::tcp_stream stream;
  uint16_t port;
  int id;
  beast::flat_buffer buffer;
  http::request<http::empty_body> req;
  http::response<http::string_body> res;
  int status = 0;
  std::string body;
  std::string error;
};

TEST(HttpServerLoad, TwoThousandWaitingRequestsOnTwoThreads) {
  // Both ends of every connection live in this process.
  rlimit fds{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &fds), 0);
  if (fds.rlim_cur < 2 * kRequests + 200) {
    fds.rlim_cur = std::min<rlim_t>(fds.rlim_max, 2 * kRequests + 200);
    setrlimit(RLIMIT_NOFILE, &fds);
    getrlimit(RLIMIT_NOFILE, &fds);
  }
  if (fds.rlim_cur < 2 * kRequests + 200) GTEST_SKIP() << "RLIMIT_NOFILE " << fds.rlim_cur << " is too low";

  std::mutex mu;
  std::vector<std::pair<std::string, Responder>> waiting;
  std::set<std::thread::id> handler_threads;
  test::FnHandler handler([&](Request req, Responder respond, ServerContext& ctx) {
    std::vector<std::pair<std::string, Responder>> release;
    {
      std::lock_guard lock(mu);
      handler_threads.insert(std::this_thread::get_id());
      waiting.emplace_back(req.path, std::move(respond));
      if (waiting.size() == kRequests) release.swap(waiting);
    }
    // The last arrival answers everybody, each from a timer on the server's
    // own event loop.
    for (size_t i = 0; i < release.size(); ++i) {
      ctx.RunAfter(std::chrono::milliseconds(i % 50), [p = std::move(release[i])] {
        p.second(test::TextResponse(200, "answer to " + p.first));
      });
    }
  });
  ServerOptions options;
  options.port = 0;
  options.threads = 2;
  auto server = HttpServer::Start(options, &handler, nullptr);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const uint16_t port = (*server)->port();

  auto start = std::chrono::steady_clock::now();
  asio::io_context ioc;
  std::vector<std::shared_ptr<Client>> clients;
  for (int i = 0; i < kRequests; ++i) {
    clients.push_back(std::make_shared<Client>(ioc, port, i));
    clients.back()->Start();
  }
  // Watch the server hold every request at once.
  int64_t most_open = 0;
  std::thread watcher([&] {
    while (std::chrono::steady_clock::now() - start < 60s) {
      most_open = std::max(most_open, (*server)->open_connections());
      if (most_open == kRequests) break;
      std::this_thread::sleep_for(2ms);
    }
  });
  ioc.run();  // until every client has its answer or an error (each is bounded by 60 s)
  watcher.join();
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  int ok = 0;
  int reported = 0;
  for (const auto& c : clients) {
    if (c->status == 200 && c->body == "answer to /wait/" + std::to_string(c->id)) {
      ++ok;
    } else if (++reported <= 5) {
      ADD_FAILURE() << "client " << c->id << ": status " << c->status << " body \"" << c->body << "\" " << c->error;
    }
  }
  EXPECT_EQ(ok, kRequests);
  EXPECT_EQ(most_open, kRequests);
  EXPECT_LE(handler_threads.size(), 2u);
  std::printf("%d waiting requests answered in %.2f s\n", kRequests, took);
}

}  // namespace
}  // namespace kw::net
