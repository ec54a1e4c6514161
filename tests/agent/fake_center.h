// FakeCenter: a loopback HTTP/1.1 server that stands between keyward-agent
// and a real keywardd, for the agent's failure tests. By default it forwards
// every request to the upstream center unchanged (so enrollment, reports and
// good bundles work); a handler set by the test may answer a request itself
// with a canned response instead: an old bundle, a bundle with a broken
// signature, a 500, a body cut short.
//
// One request per connection (it answers "Connection: close"); each
// connection has its own thread, so a forwarded long poll blocks nobody.
// Thread safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"
#include "net/http_client.h"

namespace kw::test {

struct FakeRequest {
  std::string method;
  std::string target;  // path and query, as sent
  std::string authorization;
  std::string body;
};

struct CannedResponse {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Length and Connection
  // When set: Content-Length still announces the whole body, but only this
  // many bytes are sent before the connection is closed (a truncated reply).
  std::optional<size_t> send_only;
};

// Returns a response to answer `request` with, or nullopt to forward it.
using FakeHandler = std::function<std::optional<CannedResponse>(const FakeRequest& request)>;

class FakeCenter {
 public:
  // Listens on 127.0.0.1 on a free port; forwards to `upstream`
  // ("http://127.0.0.1:PORT").
  static StatusOr<std::unique_ptr<FakeCenter>> Start(std::string upstream);
  ~FakeCenter();
  FakeCenter(const FakeCenter&) = delete;
  FakeCenter& operator=(const FakeCenter&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // nullptr: forward everything.
  void SetHandler(FakeHandler handler);
  // Every request received so far, in order.
  std::vector<FakeRequest> requests() const;
  // How many requests the handler answered (not forwarded).
  int canned_count() const { return canned_.load(); }

 private:
  FakeCenter(int fd, int port, std::string upstream) : listen_fd_(fd), port_(port), upstream_(std::move(upstream)) {}
  void AcceptLoop();
  void Serve(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::string upstream_;
  kw::net::CancelSignal stop_;
  std::atomic<int> canned_{0};
  mutable std::mutex mu_;
  FakeHandler handler_;              // guarded by mu_
  std::vector<FakeRequest> seen_;    // guarded by mu_
  std::set<int> open_fds_;           // guarded by mu_
  std::vector<std::thread> workers_;  // guarded by mu_
  std::thread acceptor_;
};

}  // namespace kw::test
