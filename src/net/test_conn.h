// Tests only: a raw HTTP/1.1 connection that sends exact bytes and parses
// the responses, every step bounded by a timeout so a broken server fails
// a test instead of hanging it. One thread at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "net/http_client.h"
#include "net/http_server.h"

namespace kw::net::test {

struct RawResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool keep_alive = false;  // the server will keep the connection open
  std::string Header(std::string_view name) const;
};

class TestConn {
 public:
  static StatusOr<std::unique_ptr<TestConn>> Connect(uint16_t port,
                                                     std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~TestConn();

  Status Send(std::string_view bytes);
  // Reads one response (an interim 100 Continue counts as one); `head`:
  // the answer to a HEAD request, which has no body whatever its length.
  StatusOr<RawResponse> Read(bool head = false);
  // True when the server closes the connection (EOF or reset) within
  // `within` without sending anything more.
  bool WaitClosed(std::chrono::milliseconds within);
  void Close();

 private:
  struct Impl;
  explicit TestConn(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A Handler made of a function; counts the requests that reached it.
class FnHandler final : public Handler {
 public:
  using Fn = std::function<void(Request, Responder, ServerContext&)>;
  explicit FnHandler(Fn fn) : fn_(std::move(fn)) {}
  void Handle(Request req, Responder respond, ServerContext& ctx) override {
    calls_.fetch_add(1);
    fn_(std::move(req), std::move(respond), ctx);
  }
  int calls() const { return calls_.load(); }

 private:
  Fn fn_;
  std::atomic<int> calls_{0};
};

// Client options (GCC warns about designated initializers that omit fields).
inline ClientOptions ClientWith(std::chrono::milliseconds timeout) {
  ClientOptions o;
  o.timeout = timeout;
  return o;
}
inline ClientOptions ClientWithCa(std::string ca_file) {
  ClientOptions o;
  o.ca_file = std::move(ca_file);
  return o;
}
inline ClientOptions InsecureClient() {
  ClientOptions o;
  o.insecure = true;
  return o;
}

// A response with a text body.
inline Response TextResponse(int status, std::string body) {
  Response r;
  r.status = status;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

// "http://127.0.0.1:<port><path>".
inline std::string LocalUrl(uint16_t port, std::string_view path, std::string_view scheme = "http") {
  return std::string(scheme) + "://127.0.0.1:" + std::to_string(port) + std::string(path);
}

// Polls `pred` every 5 ms for up to `within`; true once it holds.
bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds within = std::chrono::seconds(10));

// "GET <target> HTTP/1.1" with Host and the extra header lines given.
std::string RawGet(std::string_view target, std::string_view extra_headers = "");

}  // namespace kw::net::test
