#include "store/sql_store.h"

#include "store/migrate.h"
#include "store/sql_txn.h"

namespace kw::store {
namespace {

// Idle connections kept beyond this are closed.
constexpr size_t kMaxIdle = 16;

}  // namespace

StatusOr<std::unique_ptr<Store>> SqlStore::Open(std::unique_ptr<Driver> driver) {
  std::unique_ptr<SqlStore> store(new SqlStore(std::move(driver)));
  KW_ASSIGN_OR_RETURN(std::unique_ptr<Conn> conn, store->driver_->Connect());
  KW_RETURN_IF_ERROR(Migrate(*conn, store->driver_->Migrations()));
  store->Release(std::move(conn));
  return std::unique_ptr<Store>(std::move(store));
}

SqlStore::~SqlStore() {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.clear();
}

StatusOr<std::unique_ptr<Conn>> SqlStore::Acquire(bool* fresh) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Conn> conn = std::move(idle_.back());
      idle_.pop_back();
      *fresh = false;
      return conn;
    }
  }
  *fresh = true;
  return driver_->Connect();
}

void SqlStore::Release(std::unique_ptr<Conn> conn) {
  if (conn->Broken()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(conn));
}

StatusOr<std::unique_ptr<Txn>> SqlStore::Begin(TxnMode mode) {
  std::unique_lock<std::timed_mutex> writer(writer_, std::defer_lock);
  if (mode == TxnMode::kWrite && !writer.try_lock_for(kBusyTimeout)) {
    return UnavailableError("database busy: another write transaction has run for over " +
                            std::to_string(kBusyTimeout.count()) + " s");
  }
  // A pooled connection may have died while idle (a database restart):
  // then try once more with a new one.
  for (;;) {
    bool fresh = false;
    KW_ASSIGN_OR_RETURN(std::unique_ptr<Conn> conn, Acquire(&fresh));
    Status begun = conn->Begin(mode);
    if (begun.ok()) return std::unique_ptr<Txn>(new SqlTxn(this, std::move(conn), mode, std::move(writer)));
    if (fresh || !conn->Broken()) return begun;
  }
}

bool SqlStore::AnalyzeDue(int64_t writes) {
  writes_ += writes;
  if (writes_ < next_analyze_) return false;
  while (next_analyze_ <= writes_) next_analyze_ *= 2;
  return true;
}

Status SqlStore::WatchRevisions(std::function<void(int64_t)> on_change) {
  return driver_->WatchRevisions(std::move(on_change));
}

}  // namespace kw::store
