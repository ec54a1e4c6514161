// SqlTxn: tokens, the audit log, bundle state.
#include "store/sql_txn.h"

namespace kw::store {

#define KW_AUDIT_COLUMNS "seq, time, actor, remote, action, target, detail, prev_hash, hash"

// --- tokens (messages never show the hash) ---

StatusOr<std::vector<Token>> SqlTxn::Tokens(Stmt* s) {
  std::vector<Token> out;
  for (;;) {
    KW_ASSIGN_OR_RETURN(bool row, Next(s));
    if (!row) return out;
    Row r(s);
    Token& t = out.emplace_back();
    t.id = r.Int();
    std::string kind = r.Text();
    t.name = r.Text();
    t.host_id = r.Int();
    t.hash = r.Blob();
    t.created = r.Int();
    t.expires = r.Int();
    std::optional<TokenKind> parsed = ParseTokenKind(kind);
    if (!parsed) return DataLossError("token " + std::to_string(t.id) + ": unknown kind " + Quoted(kind));
    t.kind = *parsed;
  }
}

StatusOr<int64_t> SqlTxn::InsertToken(const Token& t) {
  KW_RETURN_IF_ERROR(Writable());
  KW_ASSIGN_OR_RETURN(bool taken, Any("SELECT 1 FROM tokens WHERE hash = $1", t.hash));
  if (taken) return AlreadyExistsError("token hash already registered");
  if (t.host_id != 0) KW_RETURN_IF_ERROR(MustExist("hosts", "host", t.host_id));
  return InsertReturningId("INSERT INTO tokens (kind, name, host_id, hash, created, expires)"
                           " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                           ToString(t.kind), t.name, IdOrNull(t.host_id), t.hash, t.created, t.expires);
}

StatusOr<Token> SqlTxn::FindTokenByHash(ByteSpan hash) {
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_TOKEN_COLUMNS " FROM tokens WHERE hash = $1", hash));
  return First(Tokens(s), "token not found");
}

Status SqlTxn::DeleteToken(int64_t id) {
  KW_RETURN_IF_ERROR(Writable());
  KW_ASSIGN_OR_RETURN(bool deleted, Any("DELETE FROM tokens WHERE id = $1 RETURNING id", id));
  if (!deleted) return NotFoundError("token " + std::to_string(id) + " not found");
  return OkStatus();
}

Status SqlTxn::DeleteTokensOfHost(int64_t host_id) {
  KW_RETURN_IF_ERROR(Writable());
  return Exec("DELETE FROM tokens WHERE host_id = $1", host_id);
}

StatusOr<std::vector<Token>> SqlTxn::ListTokens(PageRequest page) {
  KW_RETURN_IF_ERROR(CheckPage(page));
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_TOKEN_COLUMNS " FROM tokens WHERE id > $1 ORDER BY id LIMIT $2",
                                      page.after, page.limit));
  return Tokens(s);
}

// --- audit log ---

namespace {
void ReadAudit(Row& r, AuditEntry* e) {
  e->seq = r.Int();
  e->time = r.Int();
  e->actor = r.Text();
  e->remote = r.Text();
  e->action = r.Text();
  e->target = r.Text();
  e->detail = r.Text();
  e->prev_hash = r.Blob();
  e->hash = r.Blob();
}
}  // namespace

StatusOr<std::optional<AuditEntry>> SqlTxn::LastAudit() {
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_AUDIT_COLUMNS " FROM audit_log ORDER BY seq DESC LIMIT 1"));
  KW_ASSIGN_OR_RETURN(bool row, Next(s));
  if (!row) return std::optional<AuditEntry>();
  AuditEntry e;
  Row r(s);
  ReadAudit(r, &e);
  return std::optional<AuditEntry>(std::move(e));
}

Status SqlTxn::AppendAudits(const std::vector<AuditEntry>& entries) {
  KW_RETURN_IF_ERROR(Writable());
  if (entries.empty()) return OkStatus();
  // The highest seq (a backward scan of the primary key; "WHERE seq >= $1"
  // lets a generic plan scan the whole log).
  KW_ASSIGN_OR_RETURN(Stmt * last, Query("SELECT seq FROM audit_log ORDER BY seq DESC LIMIT 1"));
  KW_ASSIGN_OR_RETURN(bool any, Next(last));
  const bool taken = any && last->Int(0) >= entries.front().seq;
  if (any) KW_RETURN_IF_ERROR(Next(last));  // finish the statement
  if (taken) return AlreadyExistsError("audit entry " + std::to_string(entries.front().seq) + " already exists");
  // Runs of 64, 16, 4 and 1 rows: four statements cached per connection.
  for (size_t b = 0; b < entries.size();) {
    const size_t left = entries.size() - b;
    const size_t n = left >= 64 ? 64 : left >= 16 ? 16 : left >= 4 ? 4 : 1;
    std::string sql = "INSERT INTO audit_log (" KW_AUDIT_COLUMNS ") VALUES ";
    std::vector<Value> values;
    for (size_t i = 0; i < n; ++i) {
      sql += i ? ", (" : "(";
      for (int c = 0; c < 9; ++c) sql += (c ? ", $" : "$") + std::to_string(9 * i + c + 1);
      sql += ")";
      const AuditEntry& e = entries[b + i];
      values.insert(values.end(), {Value(e.seq), Value(e.time), Value(e.actor), Value(e.remote), Value(e.action),
                                   Value(e.target), Value(e.detail), Value(e.prev_hash), Value(e.hash)});
    }
    KW_ASSIGN_OR_RETURN(Stmt * s, QueryValues(sql, values));
    for (;;) {
      KW_ASSIGN_OR_RETURN(bool row, Next(s));
      if (!row) break;
    }
    b += n;
  }
  return OkStatus();
}

StatusOr<std::vector<AuditEntry>> SqlTxn::ListAudit(PageRequest page) {
  KW_RETURN_IF_ERROR(CheckPage(page));
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_AUDIT_COLUMNS " FROM audit_log WHERE seq > $1 ORDER BY seq"
                                      " LIMIT $2",
                                      page.after, page.limit));
  std::vector<AuditEntry> out;
  for (;;) {
    KW_ASSIGN_OR_RETURN(bool row, Next(s));
    if (!row) return out;
    Row r(s);
    ReadAudit(r, &out.emplace_back());
  }
}

// --- bundle state ---

StatusOr<std::optional<BundleState>> SqlTxn::GetBundleState(int64_t host_id) {
  KW_ASSIGN_OR_RETURN(Stmt * s,
                      Query("SELECT host_id, revision, content_hash FROM bundle_states WHERE host_id = $1", host_id));
  KW_ASSIGN_OR_RETURN(bool row, Next(s));
  if (!row) return std::optional<BundleState>();
  Row r(s);
  BundleState b;
  b.host_id = r.Int();
  b.revision = r.Int();
  b.content_hash = r.Blob();
  return std::optional<BundleState>(std::move(b));
}

Status SqlTxn::PutBundleState(const BundleState& b) {
  KW_RETURN_IF_ERROR(Writable());
  KW_RETURN_IF_ERROR(MustExist("hosts", "host", b.host_id));
  return Exec("INSERT INTO bundle_states (host_id, revision, content_hash) VALUES ($1, $2, $3)"
              " ON CONFLICT (host_id) DO UPDATE SET revision = excluded.revision,"
              " content_hash = excluded.content_hash",
              b.host_id, b.revision, b.content_hash);
}

#undef KW_AUDIT_COLUMNS

}  // namespace kw::store
