#include "net/server_core.h"

#include <array>
#include <string>

#include "net/metrics.h"

namespace kw::net::internal {

ServerCore::ServerCore(const ServerOptions& options, Handler* handler, Metrics* metrics, ServerContext* context)
    : options_(options), handler_(handler), metrics_(metrics), context_(context) {
  if (metrics_ == nullptr) return;
  metrics_->Describe("keyward_http_requests_total", "counter", "HTTP requests answered, by method and status code.");
  metrics_->Describe("keyward_http_request_duration_seconds", "histogram",
                     "Time from a request read to its response written.");
  metrics_->Describe("keyward_http_open_connections", "gauge", "HTTP connections open now.");
  metrics_->Set("keyward_http_open_connections", "", 0);
}

bool ServerCore::Register(const std::shared_ptr<SessionBase>& session) {
  std::lock_guard lock(mu_);
  if (stopping()) return false;
  sessions_.emplace(session.get(), session);
  open_.fetch_add(1);
  PublishOpen();
  return true;
}

void ServerCore::Unregister(SessionBase* session) {
  std::lock_guard lock(mu_);
  sessions_.erase(session);
  if (sessions_.empty()) cv_.notify_all();
}

void ServerCore::ConnectionClosed() {
  std::lock_guard lock(mu_);
  open_.fetch_sub(1);
  PublishOpen();
}

void ServerCore::PublishOpen() {
  if (metrics_ != nullptr) metrics_->Set("keyward_http_open_connections", "", static_cast<double>(open_.load()));
}

void ServerCore::BeginStopping() {
  std::lock_guard lock(mu_);
  stopping_.store(true, std::memory_order_release);
}

std::vector<std::shared_ptr<SessionBase>> ServerCore::Sessions() {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<SessionBase>> out;
  out.reserve(sessions_.size());
  for (auto& [ptr, weak] : sessions_) {
    if (auto s = weak.lock()) out.push_back(std::move(s));
  }
  return out;
}

bool ServerCore::WaitForNoSessions(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return cv_.wait_until(lock, deadline, [this] { return sessions_.empty(); });
}

void ServerCore::RecordRequest(std::string_view method, int status, std::chrono::steady_clock::duration took) {
  if (metrics_ == nullptr) return;
  const std::string m(method);
  metrics_->Add("keyward_http_requests_total", "method=\"" + m + "\",code=\"" + std::to_string(status) + "\"");
  metrics_->Observe("keyward_http_request_duration_seconds", "method=\"" + m + "\"",
                    std::chrono::duration<double>(took).count());
}

std::string_view MethodLabel(std::string_view method) {
  static constexpr std::array<std::string_view, 7> kKnown = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
  for (std::string_view m : kKnown) {
    if (m == method) return m;
  }
  return "other";
}

}  // namespace kw::net::internal
