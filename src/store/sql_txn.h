// SqlTxn: a Txn over one pooled connection (sql_store.h). The SQL lives in
// sql_txn.cc (revision, users, teams, groups), sql_txn_hosts.cc (hosts,
// keys), sql_txn_grants.cc (grants, RenderRows), sql_txn_misc.cc
// (tokens, audit log, bundle state) and sql_txn_totp.cc (TOTP enrolments).
//
// Errors the contract names are found before writing: a name already taken
// is AlreadyExists and a referenced record that does not exist is NotFound,
// both checked with a query (writers are serialised, so the answer holds),
// so the transaction stays usable after them on every backend. Any error
// from the database itself marks the transaction failed: it can then only
// roll back (PostgreSQL aborts it anyway), and Commit says so.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "store/driver.h"
#include "store/sql_store.h"
#include "store/store.h"

namespace kw::store {

// Reads the columns of the current row left to right.
class Row {
 public:
  explicit Row(Stmt* s) : s_(s) {}
  int64_t Int() { return s_->Int(col_++); }
  std::string Text() { return s_->Text(col_++); }
  Bytes Blob() { return s_->Blob(col_++); }
  bool IsNull() const { return s_->IsNull(col_); }

 private:
  Stmt* s_;
  int col_ = 0;
};

class SqlTxn final : public Txn {
 public:
  SqlTxn(SqlStore* store, std::unique_ptr<Conn> conn, TxnMode mode, std::unique_lock<std::timed_mutex> writer)
      : store_(store), conn_(std::move(conn)), mode_(mode), writer_(std::move(writer)) {}
  ~SqlTxn() override;
  SqlTxn(const SqlTxn&) = delete;
  SqlTxn& operator=(const SqlTxn&) = delete;

  Status Commit() override;
  StatusOr<int64_t> Revision() override;
  StatusOr<int64_t> BumpRevision() override;

  StatusOr<int64_t> InsertUser(const User& u) override;
  StatusOr<User> GetUser(int64_t id) override;
  StatusOr<User> FindUser(std::string_view name) override;
  Status UpdateUser(const User& u) override;
  Status DeleteUser(int64_t id) override;
  StatusOr<std::vector<User>> ListUsers(PageRequest page) override;

  StatusOr<int64_t> InsertTeam(const Team& t) override;
  StatusOr<Team> GetTeam(int64_t id) override;
  StatusOr<Team> FindTeam(std::string_view name) override;
  Status UpdateTeam(const Team& t) override;
  Status DeleteTeam(int64_t id) override;
  StatusOr<std::vector<Team>> ListTeams(PageRequest page) override;
  StatusOr<std::vector<Team>> TeamsOfUser(int64_t user_id) override;

  StatusOr<int64_t> InsertGroup(const HostGroup& g) override;
  StatusOr<HostGroup> GetGroup(int64_t id) override;
  StatusOr<HostGroup> FindGroup(std::string_view name) override;
  Status UpdateGroup(const HostGroup& g) override;
  Status DeleteGroup(int64_t id) override;
  StatusOr<std::vector<HostGroup>> ListGroups(PageRequest page) override;

  StatusOr<int64_t> InsertHost(const Host& h) override;
  StatusOr<Host> GetHost(int64_t id) override;
  StatusOr<Host> FindHost(std::string_view name) override;
  Status UpdateHost(const Host& h) override;
  Status DeleteHost(int64_t id) override;
  Status NoteContact(int64_t host_id, int64_t applied_revision, int64_t last_contact) override;
  StatusOr<std::vector<Host>> ListHosts(PageRequest page) override;

  StatusOr<int64_t> InsertKey(const Key& k) override;
  StatusOr<Key> GetKey(int64_t id) override;
  StatusOr<Key> FindKeyByFingerprint(std::string_view fingerprint) override;
  Status UpdateKey(const Key& k) override;
  Status DeleteKey(int64_t id) override;
  StatusOr<std::vector<Key>> ListKeys(const KeyFilter& filter, PageRequest page) override;
  StatusOr<std::vector<Key>> KeysDueToExpire(int64_t now, int64_t max_age, int limit) override;

  StatusOr<int64_t> InsertGrant(const Grant& g) override;
  StatusOr<Grant> GetGrant(int64_t id) override;
  Status UpdateGrant(const Grant& g) override;
  Status DeleteGrant(int64_t id) override;
  StatusOr<std::vector<Grant>> ListGrants(const GrantFilter& filter, PageRequest page) override;
  StatusOr<std::vector<Grant>> GrantsEnded(int64_t now, int limit) override;

  StatusOr<std::vector<RenderRow>> RenderRows(int64_t host_id, std::string_view account) override;
  StatusOr<std::vector<int64_t>> HostsInGroups(const std::vector<int64_t>& group_ids) override;

  StatusOr<int64_t> InsertToken(const Token& t) override;
  StatusOr<Token> FindTokenByHash(ByteSpan hash) override;
  Status DeleteToken(int64_t id) override;
  Status DeleteTokensOfHost(int64_t host_id) override;
  StatusOr<std::vector<Token>> ListTokens(PageRequest page) override;

  StatusOr<std::optional<AuditEntry>> LastAudit() override;
  Status AppendAudits(const std::vector<AuditEntry>& entries) override;
  StatusOr<std::vector<AuditEntry>> ListAudit(PageRequest page) override;

  Status PutTotp(const TotpSecret& t) override;
  StatusOr<TotpSecret> GetTotp(int64_t user_id) override;
  Status DeleteTotp(int64_t user_id) override;
  StatusOr<bool> UseTotpScratch(int64_t user_id, ByteSpan hash) override;
  StatusOr<std::vector<TotpAccount>> FindTotpAccounts(const std::vector<std::string>& names) override;
  StatusOr<std::vector<int64_t>> AcceptTotpSteps(const std::vector<std::pair<int64_t, int64_t>>& steps) override;
  Status SetTotpFailuresMany(const std::vector<std::array<int64_t, 3>>& failures) override;

  StatusOr<std::optional<BundleState>> GetBundleState(int64_t host_id) override;
  Status PutBundleState(const BundleState& s) override;

 private:
  // --- statements (sql_txn.cc) ---

  // Prepares `sql` and binds args to $1, $2, ... in order. Fails once the
  // transaction has ended or failed.
  template <typename... Args>
  StatusOr<Stmt*> Query(std::string_view sql, const Args&... args) {
    KW_ASSIGN_OR_RETURN(Stmt * s, Prepare(sql));
    int index = 0;
    (Bind(*s, ++index, args), ...);
    return s;
  }
  StatusOr<Stmt*> Prepare(std::string_view sql);
  // Steps a statement; a database error fails the transaction.
  StatusOr<bool> Next(Stmt* s);
  // Runs a statement to its end.
  template <typename... Args>
  Status Exec(std::string_view sql, const Args&... args) {
    KW_ASSIGN_OR_RETURN(Stmt * s, Query(sql, args...));
    for (;;) {
      KW_ASSIGN_OR_RETURN(bool row, Next(s));
      if (!row) return OkStatus();
    }
  }
  // Runs a statement to its end and says whether it gave (or, with
  // RETURNING, touched) at least one row.
  template <typename... Args>
  StatusOr<bool> Any(std::string_view sql, const Args&... args) {
    KW_ASSIGN_OR_RETURN(Stmt * s, Query(sql, args...));
    bool any = false;
    for (;;) {
      KW_ASSIGN_OR_RETURN(bool row, Next(s));
      if (!row) return any;
      any = true;
    }
  }
  // Runs "INSERT ... RETURNING id" and returns the id.
  template <typename... Args>
  StatusOr<int64_t> InsertReturningId(std::string_view sql, const Args&... args) {
    KW_ASSIGN_OR_RETURN(Stmt * s, Query(sql, args...));
    KW_ASSIGN_OR_RETURN(bool row, Next(s));
    if (!row) return Failed(InternalError("INSERT returned no id"));
    int64_t id = s->Int(0);
    KW_RETURN_IF_ERROR(Next(s));  // finish the statement
    return id;
  }
  // The ids of a one-column query, in the order given.
  template <typename... Args>
  StatusOr<std::vector<int64_t>> Ids(std::string_view sql, const Args&... args) {
    KW_ASSIGN_OR_RETURN(Stmt * s, Query(sql, args...));
    std::vector<int64_t> out;
    for (;;) {
      KW_ASSIGN_OR_RETURN(bool row, Next(s));
      if (!row) return out;
      out.push_back(s->Int(0));
    }
  }

  static void Bind(Stmt& s, int i, int64_t v) { s.BindInt(i, v); }
  static void Bind(Stmt& s, int i, int v) { s.BindInt(i, v); }
  static void Bind(Stmt& s, int i, std::string_view v) { s.BindText(i, v); }
  static void Bind(Stmt& s, int i, const std::string& v) { s.BindText(i, v); }
  static void Bind(Stmt& s, int i, const char* v) { s.BindText(i, v); }
  static void Bind(Stmt& s, int i, ByteSpan v) { s.BindBlob(i, v); }
  static void Bind(Stmt& s, int i, const Bytes& v) { s.BindBlob(i, v); }
  static void Bind(Stmt& s, int i, std::optional<int64_t> v) { v ? s.BindInt(i, *v) : s.BindNull(i); }  // NULL

  // For SQL assembled at run time (optional filters): conditions appended
  // with their values, numbered as they come.
  struct Where {
    std::string sql;  // " WHERE a = $1 AND b = $2"
    std::vector<std::variant<int64_t, std::string>> args;
    int conditions = 0;
    // Appends " WHERE <condition>" or " AND <condition>", where each "?"
    // in condition stands for `value`.
    void Add(std::string_view condition, std::variant<int64_t, std::string> value) {
      sql += conditions++ == 0 ? " WHERE " : " AND ";
      std::string placeholder = Arg(std::move(value));
      for (char c : condition) c == '?' ? sql += placeholder : sql += c;
    }
    // Adds a value without a condition; returns its placeholder.
    std::string Arg(std::variant<int64_t, std::string> value) {
      args.push_back(std::move(value));
      return "$" + std::to_string(args.size());
    }
  };
  // Prepares `sql` and binds where.args.
  StatusOr<Stmt*> QueryWhere(const std::string& sql, const Where& where) {
    KW_ASSIGN_OR_RETURN(Stmt * s, Prepare(sql));
    int index = 0;
    for (const auto& a : where.args) std::visit([&](const auto& v) { Bind(*s, ++index, v); }, a);
    return s;
  }

  // A statement whose SQL is built at run time, with its values in order
  // ($1, $2, ...): int64_t, text or a blob.
  using Value = std::variant<int64_t, std::string, Bytes>;
  StatusOr<Stmt*> QueryValues(const std::string& sql, const std::vector<Value>& values);

  Status Usable() const;    // not ended, not failed
  Status Writable();        // Usable() and a write transaction; counts a write
  Status Failed(Status s);  // marks the transaction failed, returns s
  void End(bool commit);    // gives the connection back

  // --- checks (sql_txn.cc) ---

  // NotFound "<what> <id> not found" unless `table` has a row with this id.
  Status MustExist(std::string_view table, std::string_view what, int64_t id);
  // AlreadyExists "<what> name \"x\" already exists" if another row of
  // `table` (id != except_id) has this name.
  Status NameFree(std::string_view table, std::string_view what, std::string_view name, int64_t except_id);
  // MustExist for each id.
  Status AllExist(std::string_view table, std::string_view what, const std::vector<int64_t>& ids);
  // Replaces the rows (owner, member) of a join table by `members` (which
  // the caller has checked with AllExist). Writes nothing when the stored
  // set already equals `members` (sorted, without duplicates).
  Status SaveSet(std::string_view join_table, std::string_view owner_col, std::string_view member_col,
                 int64_t owner, const std::vector<int64_t>& members);
  StatusOr<std::vector<int64_t>> LoadSet(std::string_view join_table, std::string_view owner_col,
                                         std::string_view member_col, int64_t owner);
  // Fills `member` of each item (ascending ids, all of them owners in
  // [first id, last id]) from the join table with one range query.
  template <typename T>
  Status LoadSets(std::vector<T>& items, std::vector<int64_t> T::*member, std::string_view join_table,
                  std::string_view owner_col, std::string_view member_col) {
    if (items.empty()) return OkStatus();
    KW_ASSIGN_OR_RETURN(auto pairs, LoadSetRange(join_table, owner_col, member_col, items.front().id,
                                                 items.back().id));
    size_t i = 0;
    for (const auto& [owner, value] : pairs) {
      while (i < items.size() && items[i].id < owner) ++i;
      if (i == items.size()) break;
      if (items[i].id == owner) (items[i].*member).push_back(value);
    }
    return OkStatus();
  }
  // (owner, member) pairs with lo <= owner <= hi, ordered by owner, member.
  StatusOr<std::vector<std::pair<int64_t, int64_t>>> LoadSetRange(std::string_view join_table,
                                                                  std::string_view owner_col,
                                                                  std::string_view member_col, int64_t lo,
                                                                  int64_t hi);

  // --- record loaders (one row, or a list) ---
  StatusOr<std::vector<User>> Users(Stmt* s);
  StatusOr<std::vector<Team>> Teams(Stmt* s);  // members not loaded
  StatusOr<std::vector<HostGroup>> Groups(Stmt* s);
  StatusOr<std::vector<Host>> Hosts(Stmt* s);  // groups not loaded
  StatusOr<std::vector<Key>> Keys(Stmt* s);    // scope groups loaded
  StatusOr<std::vector<Grant>> Grants(Stmt* s);
  StatusOr<std::vector<Token>> Tokens(Stmt* s);
  Status LoadScopes(std::vector<Key>& keys);
  // The first of `items`, or NotFound(`missing`).
  template <typename T>
  static StatusOr<T> First(StatusOr<std::vector<T>> items, std::string missing) {
    if (!items.ok()) return items.status();
    if (items->empty()) return NotFoundError(std::move(missing));
    return std::move(items->front());
  }

  SqlStore* store_;
  std::unique_ptr<Conn> conn_;  // null once ended
  TxnMode mode_;
  std::unique_lock<std::timed_mutex> writer_;  // held by write transactions
  Status first_error_;  // the error that failed the transaction
  int64_t writes_ = 0;  // write calls, for SqlStore::AnalyzeDue
};

// The columns each loader reads, in its order.
#define KW_USER_COLUMNS "id, name, email, state, created, updated"
#define KW_TEAM_COLUMNS "id, name, created"
#define KW_GROUP_COLUMNS "id, name, created"
#define KW_HOST_COLUMNS "id, name, host_keys, last_contact, applied_revision, created"
#define KW_KEY_COLUMNS \
  "id, user_id, type, blob, fingerprint, comment, created, expires, state, state_changed, state_reason, scope_all"
#define KW_GRANT_COLUMNS "id, user_id, team_id, group_id, account, options, ends_at, created"
#define KW_TOKEN_COLUMNS "id, kind, name, host_id, hash, created, expires"

// Read one record from the current row (columns as above, scope groups not
// loaded). DataLoss for a state name the code does not know.
Status ReadUser(Row& r, User* u);
Status ReadKey(Row& r, Key* k);

// An optional reference as a nullable column: 0 binds NULL.
inline std::optional<int64_t> IdOrNull(int64_t id) { return id != 0 ? std::optional<int64_t>(id) : std::nullopt; }

// Quotes a name for messages: bob -> "bob".
std::string Quoted(std::string_view s);

// Validates a page request (limit > 0).
Status CheckPage(const PageRequest& page);

}  // namespace kw::store
