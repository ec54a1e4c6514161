// A small blocking HTTP(S) client on Boost.Beast, for the keyward CLI and
// the agent.
//
// Thread safety: an HttpClient is immutable after construction; Send() may
// be called from several threads at once (each call runs its own event loop
// and, unless a ConnectionPool lends it one, its own connection).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace kw::net {

// A switch that ends requests in progress, once: Cancel() may be called from
// any thread, or from a signal handler (it sets a flag and writes to an
// eventfd, both async-signal-safe). A request waiting on the network wakes
// at once; nothing polls.
class CancelSignal {
 public:
  CancelSignal();
  ~CancelSignal();
  CancelSignal(const CancelSignal&) = delete;
  CancelSignal& operator=(const CancelSignal&) = delete;

  void Cancel();
  bool cancelled() const { return flag_.load(); }
  // Readable once cancelled (for poll(2) and event loops).
  int fd() const { return fd_; }
  // Waits up to `timeout` for Cancel(); true when cancelled.
  bool WaitFor(std::chrono::milliseconds timeout) const;

 private:
  std::atomic<bool> flag_{false};
  int fd_;
};

// For a daemon's main(): SIGTERM and SIGINT cancel `stop` (which must live
// as long as the process); SIGPIPE is ignored.
void CancelOnTerminationSignals(CancelSignal* stop);

// Keeps one idle connection for the clients that share it
// (ClientOptions::pool), for a caller that asks the same server again and
// again: the agent's long polls. GET and HEAD requests take the idle
// connection when it leads to the same server with the same TLS settings,
// and give it back when the response allows (HTTP/1.1 keep-alive); a
// connection the server closed while it was idle is retried once on a new
// one. Other methods never reuse one. Thread-safe; a request that finds the
// connection lent to another makes its own.
class ConnectionPool {
 public:
  struct Connection;  // http_client.cc
  ConnectionPool();
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // The idle connection to `key`, if there is one; nullptr otherwise.
  std::unique_ptr<Connection> Take(const std::string& key);
  void Give(std::unique_ptr<Connection> c);
  // Connections opened for requests through this pool (for tests).
  int64_t opened() const { return opened_.load(); }
  void NoteOpened() { opened_.fetch_add(1); }

 private:
  std::mutex mu_;
  std::unique_ptr<Connection> idle_;
  std::atomic<int64_t> opened_{0};
};

struct ClientOptions {
  std::string ca_file;  // PEM bundle to verify the server with; empty: the system's
  bool insecure = false;  // skip certificate and host name verification (tests only)
  std::chrono::milliseconds timeout{10000};  // whole exchange, connecting included
  // When set and cancelled, a request in progress stops at once
  // (kUnavailable "... cancelled"), e.g. a long poll at shutdown.
  const CancelSignal* cancel = nullptr;
  // When set, GET and HEAD requests keep their connection open for the next
  // request through the same pool.
  std::shared_ptr<ConnectionPool> pool;
};

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // of the final response, in order
  std::string body;

  // First value of a header (case-insensitive name); "" when absent.
  std::string Header(std::string_view name) const;
};

class HttpClient {
 public:
  // Response bodies larger than this fail with kOutOfRange.
  static constexpr size_t kMaxResponseBody = 64 << 20;

  explicit HttpClient(ClientOptions options);

  // One request; any HTTP status is a success here (the caller decides what
  // a 404 means). Redirects are not followed; only http and https URLs are
  // allowed. No Content-Type is sent unless `headers` has one. Errors:
  // kUnavailable when the server cannot be reached, TLS fails or the time
  // runs out (the message names the URL, the step and the reason); kInvalidArgument
  // for a bad URL or a header with CR/LF; kOutOfRange for a body over
  // kMaxResponseBody.
  StatusOr<ClientResponse> Send(std::string_view method, std::string_view url,
                                const std::vector<std::pair<std::string, std::string>>& headers,
                                std::string_view body = {}) const;

 private:
  ClientOptions options_;
};

// The message of an error body in the key center's shape (src/net/json_error.h:
// {"error": {"code": ..., "message": ...}}); "" when the body is not one.
std::string ServerErrorMessage(std::string_view body);

// Percent-encodes everything but the unreserved characters of RFC 3986 §2.3
// (A-Z a-z 0-9 - . _ ~), for a path segment or a query value.
std::string UrlEncode(std::string_view s);

}  // namespace kw::net
