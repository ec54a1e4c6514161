#include "store/postgres/postgres_driver.h"

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "store/postgres/pg_conn.h"

namespace kw::store::postgres {
namespace {

constexpr Migration kMigrations[] = {
#include "store/schema/postgres_migrations.inc"
};

constexpr auto kFirstBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);
constexpr int kPollMs = 100;  // how soon the thread notices it must stop

// The backend pids of this driver's pooled connections.
class OwnPids {
 public:
  void Track(int pid, bool open) {
    std::lock_guard<std::mutex> lock(mu_);
    if (open) {
      pids_.insert(pid);
    } else {
      pids_.erase(pid);
    }
  }
  bool Contains(int pid) {
    std::lock_guard<std::mutex> lock(mu_);
    return pids_.count(pid) != 0;
  }

 private:
  std::mutex mu_;
  std::multiset<int> pids_;
};

// LISTENs on keyward_revision in a thread of its own (postgres_driver.h).
class Watcher {
 public:
  Watcher(std::string url, OwnPids* own) : url_(std::move(url)), own_(own) {}
  ~Watcher() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    PQfinish(conn_);
  }

  // Adds a callback; the first call connects (synchronously) and starts the thread.
  Status Add(std::function<void(int64_t)> on_change) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) {
      KW_RETURN_IF_ERROR(Listen());
      thread_ = std::thread([this] { Run(); });
    }
    callbacks_.push_back(std::move(on_change));
    return OkStatus();
  }

 private:
  // Connects, LISTENs and reads the current revision into last_.
  Status Listen() {
    KW_ASSIGN_OR_RETURN(PGconn * conn, PgConnect(url_));
    PGresult* res = PQexec(conn, "LISTEN keyward_revision; SELECT revision FROM meta WHERE id = 1");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
      Status s = PgError(conn, res);
      PQclear(res);
      PQfinish(conn);
      return s;
    }
    last_ = std::strtoll(PQgetvalue(res, 0, 0), nullptr, 10);
    PQclear(res);
    conn_ = conn;
    return OkStatus();
  }

  void Notify(int64_t revision) {
    std::vector<std::function<void(int64_t)>> callbacks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      callbacks = callbacks_;
    }
    for (const auto& cb : callbacks) cb(revision);
  }

  void Sleep(std::chrono::milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (!stop_ && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(kPollMs, d.count())));
  }

  void Reconnect() {
    PQfinish(conn_);
    conn_ = nullptr;
    auto backoff = kFirstBackoff;
    const int64_t before = last_;
    while (!stop_) {
      Sleep(backoff);
      if (stop_) return;
      if (Listen().ok()) {
        if (last_ != before) Notify(last_);  // what we missed while away
        return;
      }
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }

  void Run() {
    while (!stop_) {
      if (conn_ == nullptr) {
        Reconnect();
        continue;
      }
      pollfd pfd{PQsocket(conn_), POLLIN, 0};
      if (::poll(&pfd, 1, kPollMs) < 0 && errno != EINTR) {
        Reconnect();
        continue;
      }
      if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) {
        Reconnect();
        continue;
      }
      while (PGnotify* n = PQnotifies(conn_)) {
        const int pid = n->be_pid;
        const std::string_view payload = n->extra;
        int64_t revision = 0;
        const auto [end, err] = std::from_chars(payload.data(), payload.data() + payload.size(), revision);
        const bool valid = err == std::errc() && end == payload.data() + payload.size();
        PQfreemem(n);
        if (!valid) continue;  // not one of ours
        last_ = std::max(last_, revision);
        if (!own_->Contains(pid)) Notify(revision);
      }
    }
  }

  const std::string url_;
  OwnPids* own_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;  // guards callbacks_ and the start
  std::vector<std::function<void(int64_t)>> callbacks_;
  std::thread thread_;
  PGconn* conn_ = nullptr;  // the thread's, once started
  int64_t last_ = 0;        // the last revision seen
};

class PostgresDriver final : public Driver {
 public:
  explicit PostgresDriver(std::string url) : url_(std::move(url)), watcher_(url_, &own_) {}

  std::string_view Backend() const override { return "postgres"; }
  std::span<const Migration> Migrations() const override { return kMigrations; }
  Status WatchRevisions(std::function<void(int64_t)> on_change) override { return watcher_.Add(std::move(on_change)); }

  StatusOr<std::unique_ptr<Conn>> Connect() override {
    KW_ASSIGN_OR_RETURN(PGconn * conn, PgConnect(url_));
    return NewPgConn(conn, [this](int pid, bool open) { own_.Track(pid, open); });
  }

 private:
  const std::string url_;
  OwnPids own_;
  Watcher watcher_;
};

}  // namespace

StatusOr<std::unique_ptr<Driver>> NewDriver(const std::string& url) {
  return std::unique_ptr<Driver>(new PostgresDriver(url));
}

}  // namespace kw::store::postgres
