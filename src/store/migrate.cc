#include "store/migrate.h"

#include <ctime>
#include <string>

namespace kw::store {
namespace {

constexpr std::string_view kCreateVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, applied BIGINT NOT NULL)";

StatusOr<int64_t> CurrentVersion(Conn& conn) {
  KW_ASSIGN_OR_RETURN(Stmt * s, conn.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  KW_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return InternalError("schema_version: no result");
  return s->Int(0);
}

// One step: inside a migration transaction, applies the next migration if
// one is pending. Sets *done when the database is up to date.
Status Step(Conn& conn, std::span<const Migration> migrations, bool* done) {
  KW_RETURN_IF_ERROR(conn.Exec(kCreateVersionTable));
  KW_ASSIGN_OR_RETURN(int64_t current, CurrentVersion(conn));
  const int64_t latest = migrations.empty() ? 0 : migrations.back().version;
  if (current > latest) {
    return FailedPreconditionError("database schema version " + std::to_string(current) +
                                   " is newer than this keyward supports (" + std::to_string(latest) +
                                   "); upgrade keyward");
  }
  if (current == latest) {
    *done = true;
    return OkStatus();
  }
  const Migration& m = migrations[static_cast<size_t>(current)];
  if (m.version != current + 1) {
    return InternalError("schema migrations are not numbered 1, 2, ...: found " + std::string(m.name) +
                         " where version " + std::to_string(current + 1) + " belongs");
  }
  Status applied = conn.Exec(m.sql);
  if (!applied.ok()) return applied.WithContext(std::string("schema migration ") + m.name);
  KW_ASSIGN_OR_RETURN(Stmt * s, conn.Prepare("INSERT INTO schema_version (version, applied) VALUES ($1, $2)"));
  s->BindInt(1, m.version);
  s->BindInt(2, static_cast<int64_t>(std::time(nullptr)));
  KW_RETURN_IF_ERROR(s->Step());
  return OkStatus();
}

}  // namespace

Status Migrate(Conn& conn, std::span<const Migration> migrations) {
  for (;;) {
    KW_RETURN_IF_ERROR(conn.BeginMigration());
    bool done = false;
    Status s = Step(conn, migrations, &done);
    if (!s.ok()) {
      (void)conn.Rollback();
      return s;
    }
    KW_RETURN_IF_ERROR(conn.Commit());
    if (done) return OkStatus();
  }
}

}  // namespace kw::store
