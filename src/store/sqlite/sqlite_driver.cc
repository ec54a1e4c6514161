#include "store/sqlite/sqlite_driver.h"

#include <cerrno>
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>
#include <unordered_map>
#include <vector>

#include "base/file.h"
#include "store/sql_store.h"

namespace kw::store::sqlite {
namespace {

constexpr Migration kMigrations[] = {
#include "store/schema/sqlite_migrations.inc"
};

// Maps an SQLite result code (extended codes are on) to the store's codes.
Status Error(int rc, std::string_view message) {
  std::string m = "sqlite: " + std::string(message);
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY: return AlreadyExistsError(std::move(m));
    default: break;
  }
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT: return FailedPreconditionError(std::move(m));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL: return UnavailableError(std::move(m));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return DataLossError(std::move(m));
    default: return InternalError(std::move(m));
  }
}

Status Error(sqlite3* db, int rc) { return Error(rc, sqlite3_errmsg(db)); }

// "$12" -> "?12" outside quoted strings and identifiers: SQLite reads "$12"
// as a named parameter, "?12" as parameter 12.
std::string Placeholders(std::string_view sql) {
  std::string out(sql);
  char quote = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    char c = out[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '$' && i + 1 < out.size() && out[i + 1] >= '0' && out[i + 1] <= '9') {
      out[i] = '?';
    }
  }
  return out;
}

class SqliteConn;

class SqliteStmt final : public Stmt {
 public:
  SqliteStmt(SqliteConn* conn, sqlite3* db, sqlite3_stmt* st) : conn_(conn), db_(db), st_(st) {}
  ~SqliteStmt() override { sqlite3_finalize(st_); }

  void BindInt(int i, int64_t v) override { sqlite3_bind_int64(st_, i, v); }
  // An empty value must not bind as NULL, which a null data() would do.
  void BindText(int i, std::string_view v) override {
    sqlite3_bind_text64(st_, i, v.empty() ? "" : v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  void BindBlob(int i, ByteSpan v) override {
    static const uint8_t kEmpty = 0;
    sqlite3_bind_blob64(st_, i, v.empty() ? &kEmpty : v.data(), v.size(), SQLITE_TRANSIENT);
  }
  void BindNull(int i) override { sqlite3_bind_null(st_, i); }

  StatusOr<bool> Step() override;

  bool IsNull(int c) override { return sqlite3_column_type(st_, c) == SQLITE_NULL; }
  int64_t Int(int c) override { return sqlite3_column_int64(st_, c); }
  std::string Text(int c) override {
    const unsigned char* p = sqlite3_column_text(st_, c);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(st_, c));
  }
  Bytes Blob(int c) override {
    const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(st_, c));
    return p == nullptr ? Bytes() : Bytes(p, p + sqlite3_column_bytes(st_, c));
  }

  void Reset() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }
  // Reset, and off the connection's list of statements stepped since the
  // transaction began.
  void Unlist() {
    Reset();
    listed_ = false;
  }

 private:
  SqliteConn* conn_;
  sqlite3* db_;
  sqlite3_stmt* st_;
  bool listed_ = false;  // on the connection's list (SqliteConn::stepped_)
};

class SqliteConn final : public Conn {
 public:
  explicit SqliteConn(sqlite3* db) : db_(db) {}
  ~SqliteConn() override {
    cache_.clear();  // finalize statements before closing
    sqlite3_close(db_);
  }

  StatusOr<Stmt*> Prepare(std::string_view sql) override {
    auto it = cache_.find(std::string(sql));
    if (it != cache_.end()) {
      it->second->Reset();
      return it->second.get();
    }
    std::string text = Placeholders(sql);
    sqlite3_stmt* st = nullptr;
    int rc = sqlite3_prepare_v3(db_, text.c_str(), static_cast<int>(text.size() + 1), SQLITE_PREPARE_PERSISTENT, &st,
                                nullptr);
    if (rc != SQLITE_OK) return Error(db_, rc);
    auto stmt = std::make_unique<SqliteStmt>(this, db_, st);
    Stmt* raw = stmt.get();
    cache_.emplace(std::string(sql), std::move(stmt));
    return raw;
  }

  Status Exec(std::string_view sql) override {
    std::string text(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
    if (rc == SQLITE_OK) return OkStatus();
    std::string message = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return Error(sqlite3_extended_errcode(db_), message);
  }

  Status Begin(TxnMode mode) override { return Exec(mode == TxnMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"); }
  Status BeginMigration() override { return Exec("BEGIN IMMEDIATE"); }
  Status Commit() override {
    ResetStepped();
    return Exec("COMMIT");
  }
  Status Rollback() override {
    ResetStepped();
    if (sqlite3_get_autocommit(db_)) return OkStatus();  // already rolled back by an error
    return Exec("ROLLBACK");
  }
  Status RevisionBumped(int64_t) override { return OkStatus(); }
  bool Broken() const override { return false; }

  void Stepped(SqliteStmt* s) { stepped_.push_back(s); }

 private:
  // A statement left mid-way would keep the transaction's locks.
  void ResetStepped() {
    for (SqliteStmt* s : stepped_) s->Unlist();
    stepped_.clear();
  }

  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<SqliteStmt>> cache_;
  std::vector<SqliteStmt*> stepped_;
};

StatusOr<bool> SqliteStmt::Step() {
  if (!listed_) {
    listed_ = true;
    conn_->Stepped(this);
  }
  int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Error(db_, rc);
}

class SqliteDriver final : public Driver {
 public:
  explicit SqliteDriver(std::string path) : path_(std::move(path)) {}

  std::string_view Backend() const override { return "sqlite"; }
  std::span<const Migration> Migrations() const override { return kMigrations; }
  Status WatchRevisions(std::function<void(int64_t)>) override { return OkStatus(); }

  StatusOr<std::unique_ptr<Conn>> Connect() override {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                             nullptr);
    if (rc != SQLITE_OK) {
      Status s = Error(rc, path_ + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
      sqlite3_close(db);
      return s;
    }
    auto conn = std::make_unique<SqliteConn>(db);
    // A page cache that holds a fleet-sized database, and reads through
    // mmap rather than a pread per page.
    const std::string pragmas = "PRAGMA busy_timeout = " + std::to_string(kBusyTimeout.count() * 1000) +
                                "; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON"
                                "; PRAGMA cache_size = -65536; PRAGMA mmap_size = 1073741824";
    Status s = conn->Exec(pragmas);
    if (!s.ok()) return s.WithContext(path_);
    return std::unique_ptr<Conn>(std::move(conn));
  }

 private:
  std::string path_;
};

}  // namespace

StatusOr<std::unique_ptr<Driver>> NewDriver(const std::string& path) {
  if (path.empty()) return InvalidArgumentError("sqlite: no database path");
  // Each pooled connection would get a database of its own.
  if (path == ":memory:") return InvalidArgumentError("sqlite: an in-memory database is not supported; give a file");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("sqlite: cannot open or create " + path, errno);
  ::close(fd);
  return std::unique_ptr<Driver>(new SqliteDriver(path));
}

}  // namespace kw::store::sqlite
