// SqlStore: the Store, written once over the Driver interface (driver.h).
// The dialects (store/sqlite, store/postgres) only supply a Driver.
//
// Connections come from a small pool: a transaction takes one (or opens a
// new one) and gives it back when it ends, so prepared statements stay
// cached per connection. Write transactions are also serialised inside the
// process by a mutex, so writers queue here instead of spinning on the
// database's lock; across processes the database serialises them (see
// Conn::Begin). Waiting longer than kBusyTimeout for either is Unavailable.
//
// Query plans need statistics that fit the data: after a write transaction
// brings the number of records written through this store to 1,000, and
// each time that number doubles, the committing transaction runs ANALYZE
// (so a freshly loaded fleet is planned for as it is, without waiting for
// PostgreSQL's autovacuum; SQLite has no statistics at all otherwise).
//
// Thread safety: as Store. A Txn must not outlive its SqlStore.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "store/driver.h"
#include "store/store.h"

namespace kw::store {

inline constexpr std::chrono::seconds kBusyTimeout{10};

class SqlStore final : public Store {
 public:
  // Connects once, applies the driver's pending migrations (migrate.h) and
  // returns the store.
  static StatusOr<std::unique_ptr<Store>> Open(std::unique_ptr<Driver> driver);
  ~SqlStore() override;

  StatusOr<std::unique_ptr<Txn>> Begin(TxnMode mode) override;
  Status WatchRevisions(std::function<void(int64_t)> on_change) override;
  std::string_view Backend() const override { return driver_->Backend(); }

  // Gives a connection back to the pool (called by the transaction).
  void Release(std::unique_ptr<Conn> conn);
  // Adds the writes of a committed write transaction (which holds the
  // writer lock); true when statistics are due (see above).
  bool AnalyzeDue(int64_t writes);

 private:
  explicit SqlStore(std::unique_ptr<Driver> driver) : driver_(std::move(driver)) {}
  // An idle connection (fresh = false) or a new one (fresh = true).
  StatusOr<std::unique_ptr<Conn>> Acquire(bool* fresh);

  // Declared first, destroyed last: pooled connections may refer to it.
  std::unique_ptr<Driver> driver_;
  std::timed_mutex writer_;
  int64_t writes_ = 0, next_analyze_ = 1000;  // guarded by writer_
  std::mutex mu_;
  std::vector<std::unique_ptr<Conn>> idle_;  // guarded by mu_
};

}  // namespace kw::store
