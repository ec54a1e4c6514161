// Private to the HTTP server: the state its sessions share with it.
//
// Thread safety: options/handler/metrics/context are set before the first
// session and never change; the rest is atomic or under mu_.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/http_server.h"

namespace kw::net::internal {

// One connection, as the server sees it (the template in session.cc).
class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  virtual ~SessionBase() = default;
  // Any thread: writes the handler's answer to the waiting request (posted
  // onto the session's strand).
  virtual void Deliver(Response response) = 0;
  // Any thread: Stop() is under way. A waiting request is answered 503,
  // an idle connection closed (posted onto the session's strand).
  virtual void PostStop() = 0;
  // Only once the server's threads are joined: forgets the waiting request,
  // so a Responder kept past the server's end holds nothing of it.
  virtual void ReleasePending() = 0;
};

// Outlives every session: the server destroys it after its io_context.
class ServerCore {
 public:
  ServerCore(const ServerOptions& options, Handler* handler, Metrics* metrics, ServerContext* context);

  const ServerOptions& options() const { return options_; }
  Handler& handler() const { return *handler_; }
  ServerContext& context() const { return *context_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  // A new live session; counts an open connection. False once stopping (the
  // session must then close; nothing was counted).
  bool Register(const std::shared_ptr<SessionBase>& session);
  // From the session's destructor.
  void Unregister(SessionBase* session);
  // The connection of a registered session was closed (once per session).
  void ConnectionClosed();
  int64_t open_connections() const { return open_.load(); }

  // Refuses new sessions from now on.
  void BeginStopping();
  // The sessions alive now.
  std::vector<std::shared_ptr<SessionBase>> Sessions();
  // Blocks until no session is alive or `deadline`; true when none is.
  bool WaitForNoSessions(std::chrono::steady_clock::time_point deadline);

  // Counts one answered request (no-op without metrics). `method` is a
  // label value from MethodLabel().
  void RecordRequest(std::string_view method, int status, std::chrono::steady_clock::duration took);

 private:
  void PublishOpen();  // under mu_

  const ServerOptions options_;
  Handler* const handler_;
  Metrics* const metrics_;
  ServerContext* const context_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> open_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions_;
};

// The method as a metrics label: the common verbs as sent, anything else
// "other" (clients choose methods; labels must stay few).
std::string_view MethodLabel(std::string_view method);

}  // namespace kw::net::internal
