// An asynchronous HTTP/1.1 server on Boost.Asio/Beast, with optional TLS.
//
// The server parses requests and hands each to a Handler, which answers by
// calling the Responder exactly once, now or later, from any thread. A
// handler that waits (a long poll) keeps the Responder and returns at once:
// no thread is held per waiting request. Timers for such waits come from
// ServerContext::RunAfter, on the server's own event loop.
//
// The server itself answers: 400 for a malformed request, 413 when the body
// is larger than ServerOptions::max_body, 503 while stopping. Keep-alive is
// supported; a request with a body is read whole before the handler runs.
//
// Thread safety: Start/Stop from one thread; handlers run on any of the
// server's threads, concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace kw::net {

class Metrics;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/api/v1/keys?host=web1"
  std::string path;    // percent-decoded, without the query: "/api/v1/keys"
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote;  // peer address, "127.0.0.1"

  // First value of a query parameter; nullopt when absent.
  std::optional<std::string> Query(std::string_view name) const;
  // First value of a header (case-insensitive name); "" when absent.
  std::string Header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Completes one request. Call it once; later calls are ignored. Copyable,
// cheap, callable from any thread. Calling it after the client went away
// is harmless.
using Responder = std::function<void(Response)>;

// Cancels a timer set with RunAfter; harmless after it fired.
class TimerHandle {
 public:
  virtual ~TimerHandle() = default;
  virtual void Cancel() = 0;
};

class ServerContext {
 public:
  virtual ~ServerContext() = default;
  // Runs fn on a server thread after `delay` unless cancelled first.
  virtual std::shared_ptr<TimerHandle> RunAfter(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
  // Runs fn on a server thread soon (to leave a store callback's thread).
  virtual void Post(std::function<void()> fn) = 0;
};

class Handler {
 public:
  virtual ~Handler() = default;
  virtual void Handle(Request req, Responder respond, ServerContext& ctx) = 0;
};

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8180;  // 0: any free port (see HttpServer::port())
  int threads = 0;       // 0: one per core
  size_t max_body = 1 << 20;
  // Both set: HTTPS only. PEM files.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::chrono::seconds idle_timeout{75};  // keep-alive connections with nothing to do
};

class HttpServer {
 public:
  // Binds and starts serving on background threads. `handler` and `metrics`
  // (may be null; else the server counts requests and latencies in it)
  // must outlive the server.
  static StatusOr<std::unique_ptr<HttpServer>> Start(const ServerOptions& options, Handler* handler,
                                                     Metrics* metrics);
  virtual ~HttpServer() = default;
  virtual uint16_t port() const = 0;
  // Stops accepting, answers still-waiting requests with 503, joins threads.
  virtual void Stop() = 0;
  // Connections open now (for /metrics).
  virtual int64_t open_connections() const = 0;
};

}  // namespace kw::net
