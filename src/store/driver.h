// The tiny database driver interface under SqlStore (the PowerDNS way: the
// SQL is written once, in sql_txn*.cc; store/sqlite and store/postgres only
// move statements and values between it and their client library).
//
// SQL handed to a driver uses PostgreSQL's numbered placeholders ($1, $2,
// ...); a dialect rewrites them if it must. Values are 64-bit integers,
// text, blobs and NULL.
//
// Errors a driver returns (the store's mapping, see store.h):
//   kAlreadyExists       a unique or primary key constraint was violated
//   kFailedPrecondition  a foreign key or check constraint was violated
//   kUnavailable         busy past the timeout, lock timeout, connection lost
//   kDataLoss            the database file is corrupt
//   kInternal            anything else, with the database's own message
// Messages carry the database's primary message only, never bound values.
//
// Thread safety: a Conn and its statements are used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "store/store.h"

namespace kw::store {

// A statement prepared on one connection and cached there by its SQL text.
class Stmt {
 public:
  virtual ~Stmt() = default;

  // Parameters count from 1 ($1 is index 1). Values are copied.
  virtual void BindInt(int index, int64_t value) = 0;
  virtual void BindText(int index, std::string_view value) = 0;
  virtual void BindBlob(int index, ByteSpan value) = 0;
  virtual void BindNull(int index) = 0;

  // The first call runs the statement, later calls move to the next row.
  // True: a row is ready to read; false: no more rows (or none at all).
  virtual StatusOr<bool> Step() = 0;

  // Columns of the current row count from 0. A NULL reads as 0 or "".
  virtual bool IsNull(int col) = 0;
  virtual int64_t Int(int col) = 0;
  virtual std::string Text(int col) = 0;
  virtual Bytes Blob(int col) = 0;
};

class Conn {
 public:
  virtual ~Conn() = default;

  // The cached statement for `sql`, reset: no result, no bindings. The
  // pointer stays valid as long as the connection; preparing the same SQL
  // again resets it.
  virtual StatusOr<Stmt*> Prepare(std::string_view sql) = 0;
  // Runs statements without parameters and without results (DDL; several
  // separated by ';' are allowed).
  virtual Status Exec(std::string_view sql) = 0;

  // Transactions. A write transaction is serialised with every other one on
  // the database from Begin on (SQLite: BEGIN IMMEDIATE; PostgreSQL: the
  // row of `meta` is locked FOR UPDATE). Commit and Rollback end it; a
  // statement left mid-way holds nothing afterwards.
  virtual Status Begin(TxnMode mode) = 0;
  // A transaction for schema migrations, serialised with other migrators
  // (it must work before any table exists).
  virtual Status BeginMigration() = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;

  // Called inside a write transaction after the revision moved
  // (PostgreSQL sends NOTIFY keyward_revision, delivered at commit).
  virtual Status RevisionBumped(int64_t revision) = 0;

  // True once the connection is unusable (lost); it is then not pooled.
  virtual bool Broken() const = 0;
};

// A compiled-in schema migration: version N of schema/<dialect>/NNNN_*.sql.
struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// A dialect: makes connections to one database.
class Driver {
 public:
  virtual ~Driver() = default;
  virtual std::string_view Backend() const = 0;  // "sqlite", "postgres"
  virtual StatusOr<std::unique_ptr<Conn>> Connect() = 0;
  // This dialect's migrations, by ascending version 1, 2, ...
  virtual std::span<const Migration> Migrations() const = 0;
  // See Store::WatchRevisions. A driver without cross-process change
  // notification accepts and never calls it.
  virtual Status WatchRevisions(std::function<void(int64_t)> on_change) = 0;
};

}  // namespace kw::store
