// SqlTxn: lifecycle, shared helpers, the revision, users, teams, groups.
#include "store/sql_txn.h"

#include <algorithm>

namespace kw::store {

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

Status CheckPage(const PageRequest& page) {
  if (page.limit <= 0) return InvalidArgumentError("page limit must be positive, not " + std::to_string(page.limit));
  return OkStatus();
}

Status ReadUser(Row& r, User* u) {
  u->id = r.Int();
  u->name = r.Text();
  u->email = r.Text();
  std::string state = r.Text();
  u->created = r.Int();
  u->updated = r.Int();
  std::optional<UserState> parsed = ParseUserState(state);
  if (!parsed) return DataLossError("user " + std::to_string(u->id) + ": unknown state " + Quoted(state));
  u->state = *parsed;
  return OkStatus();
}

// --- lifecycle ---

// Our tables only: a PostgreSQL database may hold other schemas' tables too.
constexpr std::string_view kAnalyze =
    "ANALYZE users; ANALYZE teams; ANALYZE team_members; ANALYZE host_groups; ANALYZE hosts;"
    " ANALYZE host_group_members; ANALYZE keys; ANALYZE key_scope_groups; ANALYZE grants; ANALYZE tokens;"
    " ANALYZE audit_log; ANALYZE bundle_states; ANALYZE totp_secrets; ANALYZE totp_scratch_codes";

SqlTxn::~SqlTxn() {
  if (conn_) End(false);
}

Status SqlTxn::Usable() const {
  if (!conn_) return FailedPreconditionError("transaction has ended");
  if (!first_error_.ok()) return first_error_.WithContext("transaction failed earlier");
  return OkStatus();
}

Status SqlTxn::Writable() {
  KW_RETURN_IF_ERROR(Usable());
  if (mode_ != TxnMode::kWrite) return FailedPreconditionError("a read transaction cannot write");
  ++writes_;
  return OkStatus();
}

Status SqlTxn::Failed(Status s) {
  if (first_error_.ok()) first_error_ = s;
  return s;
}

StatusOr<Stmt*> SqlTxn::Prepare(std::string_view sql) {
  KW_RETURN_IF_ERROR(Usable());
  StatusOr<Stmt*> s = conn_->Prepare(sql);
  if (!s.ok()) return Failed(s.status());
  return s;
}

StatusOr<bool> SqlTxn::Next(Stmt* s) {
  StatusOr<bool> row = s->Step();
  if (!row.ok()) return Failed(row.status());
  return row;
}

void SqlTxn::End(bool commit) {
  std::unique_ptr<Conn> conn = std::move(conn_);
  // A connection whose rollback failed is in an unknown state: close it.
  if (!commit && !conn->Rollback().ok()) conn.reset();
  if (conn) store_->Release(std::move(conn));
  if (writer_.owns_lock()) writer_.unlock();
}

Status SqlTxn::Commit() {
  if (!conn_) return FailedPreconditionError("transaction has ended");
  if (!first_error_.ok()) {
    End(false);
    return first_error_.WithContext("transaction rolled back after an error");
  }
  Status s = conn_->Commit();
  // Still holding the writer lock: refresh the planner's statistics if due.
  // A failure there changes nothing committed, so it is not reported.
  if (s.ok() && store_->AnalyzeDue(writes_)) (void)conn_->Exec(kAnalyze);
  End(s.ok());
  return s;
}

// --- shared checks ---

Status SqlTxn::MustExist(std::string_view table, std::string_view what, int64_t id) {
  KW_ASSIGN_OR_RETURN(bool found, Any("SELECT 1 FROM " + std::string(table) + " WHERE id = $1", id));
  if (!found) return NotFoundError(std::string(what) + " " + std::to_string(id) + " not found");
  return OkStatus();
}

Status SqlTxn::NameFree(std::string_view table, std::string_view what, std::string_view name, int64_t except_id) {
  KW_ASSIGN_OR_RETURN(bool taken, Any("SELECT 1 FROM " + std::string(table) + " WHERE name = $1 AND id <> $2",
                                      name, except_id));
  if (taken) return AlreadyExistsError(std::string(what) + " name " + Quoted(name) + " already exists");
  return OkStatus();
}

StatusOr<std::vector<int64_t>> SqlTxn::LoadSet(std::string_view join_table, std::string_view owner_col,
                                               std::string_view member_col, int64_t owner) {
  return Ids("SELECT " + std::string(member_col) + " FROM " + std::string(join_table) + " WHERE " +
                 std::string(owner_col) + " = $1 ORDER BY " + std::string(member_col),
             owner);
}

StatusOr<std::vector<std::pair<int64_t, int64_t>>> SqlTxn::LoadSetRange(std::string_view join_table,
                                                                        std::string_view owner_col,
                                                                        std::string_view member_col, int64_t lo,
                                                                        int64_t hi) {
  const std::string owner(owner_col), member(member_col);
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " + owner + ", " + member + " FROM " + std::string(join_table) +
                                          " WHERE " + owner + " >= $1 AND " + owner + " <= $2 ORDER BY " + owner +
                                          ", " + member,
                                      lo, hi));
  std::vector<std::pair<int64_t, int64_t>> out;
  for (;;) {
    KW_ASSIGN_OR_RETURN(bool row, Next(s));
    if (!row) return out;
    out.emplace_back(s->Int(0), s->Int(1));
  }
}

Status SqlTxn::AllExist(std::string_view table, std::string_view what, const std::vector<int64_t>& ids) {
  for (int64_t id : ids) KW_RETURN_IF_ERROR(MustExist(table, what, id));
  return OkStatus();
}

Status SqlTxn::SaveSet(std::string_view join_table, std::string_view owner_col, std::string_view member_col,
                       int64_t owner, const std::vector<int64_t>& members) {
  std::vector<int64_t> want = members;
  std::sort(want.begin(), want.end());
  want.erase(std::unique(want.begin(), want.end()), want.end());
  KW_ASSIGN_OR_RETURN(std::vector<int64_t> have, LoadSet(join_table, owner_col, member_col, owner));
  if (have == want) return OkStatus();
  const std::string table(join_table), o(owner_col), m(member_col);
  KW_RETURN_IF_ERROR(Exec("DELETE FROM " + table + " WHERE " + o + " = $1", owner));
  const std::string insert = "INSERT INTO " + table + " (" + o + ", " + m + ") VALUES ($1, $2)";
  for (int64_t id : want) KW_RETURN_IF_ERROR(Exec(insert, owner, id));
  return OkStatus();
}

// --- revision ---

StatusOr<int64_t> SqlTxn::Revision() {
  KW_ASSIGN_OR_RETURN(std::vector<int64_t> rev, Ids("SELECT revision FROM meta WHERE id = 1"));
  if (rev.empty()) return Failed(DataLossError("the meta row is missing"));
  return rev.front();
}

StatusOr<int64_t> SqlTxn::BumpRevision() {
  KW_RETURN_IF_ERROR(Writable());
  KW_ASSIGN_OR_RETURN(std::vector<int64_t> rev,
                      Ids("UPDATE meta SET revision = revision + 1 WHERE id = 1 RETURNING revision"));
  if (rev.empty()) return Failed(DataLossError("the meta row is missing"));
  Status notified = conn_->RevisionBumped(rev.front());
  if (!notified.ok()) return Failed(notified);
  return rev.front();
}

// --- users ---

StatusOr<std::vector<User>> SqlTxn::Users(Stmt* s) {
  std::vector<User> out;
  for (;;) {
    KW_ASSIGN_OR_RETURN(bool row, Next(s));
    if (!row) return out;
    Row r(s);
    KW_RETURN_IF_ERROR(ReadUser(r, &out.emplace_back()));
  }
}

StatusOr<int64_t> SqlTxn::InsertUser(const User& u) {
  KW_RETURN_IF_ERROR(Writable());
  KW_RETURN_IF_ERROR(NameFree("users", "user", u.name, 0));
  return InsertReturningId(
      "INSERT INTO users (name, email, state, created, updated) VALUES ($1, $2, $3, $4, $5) RETURNING id", u.name,
      u.email, ToString(u.state), u.created, u.updated);
}

StatusOr<User> SqlTxn::GetUser(int64_t id) {
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_USER_COLUMNS " FROM users WHERE id = $1", id));
  return First(Users(s), "user " + std::to_string(id) + " not found");
}

StatusOr<User> SqlTxn::FindUser(std::string_view name) {
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_USER_COLUMNS " FROM users WHERE name = $1", name));
  return First(Users(s), "user " + Quoted(name) + " not found");
}

Status SqlTxn::UpdateUser(const User& u) {
  KW_RETURN_IF_ERROR(Writable());
  KW_RETURN_IF_ERROR(MustExist("users", "user", u.id));
  KW_RETURN_IF_ERROR(NameFree("users", "user", u.name, u.id));
  return Exec("UPDATE users SET name = $1, email = $2, state = $3, created = $4, updated = $5 WHERE id = $6", u.name,
              u.email, ToString(u.state), u.created, u.updated, u.id);
}

Status SqlTxn::DeleteUser(int64_t id) {
  KW_RETURN_IF_ERROR(Writable());
  KW_ASSIGN_OR_RETURN(bool deleted, Any("DELETE FROM users WHERE id = $1 RETURNING id", id));
  if (!deleted) return NotFoundError("user " + std::to_string(id) + " not found");
  return OkStatus();
}

StatusOr<std::vector<User>> SqlTxn::ListUsers(PageRequest page) {
  KW_RETURN_IF_ERROR(CheckPage(page));
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_USER_COLUMNS " FROM users WHERE id > $1 ORDER BY id LIMIT $2",
                                      page.after, page.limit));
  return Users(s);
}

// --- teams ---

StatusOr<std::vector<Team>> SqlTxn::Teams(Stmt* s) {
  std::vector<Team> out;
  for (;;) {
    KW_ASSIGN_OR_RETURN(bool row, Next(s));
    if (!row) return out;
    Row r(s);
    Team& t = out.emplace_back();
    t.id = r.Int();
    t.name = r.Text();
    t.created = r.Int();
  }
}

StatusOr<int64_t> SqlTxn::InsertTeam(const Team& t) {
  KW_RETURN_IF_ERROR(Writable());
  KW_RETURN_IF_ERROR(NameFree("teams", "team", t.name, 0));
  KW_RETURN_IF_ERROR(AllExist("users", "user", t.members));
  KW_ASSIGN_OR_RETURN(int64_t id, InsertReturningId("INSERT INTO teams (name, created) VALUES ($1, $2) RETURNING id",
                                                    t.name, t.created));
  KW_RETURN_IF_ERROR(SaveSet("team_members", "team_id", "user_id", id, t.members));
  return id;
}

StatusOr<Team> SqlTxn::GetTeam(int64_t id) {
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_TEAM_COLUMNS " FROM teams WHERE id = $1", id));
  KW_ASSIGN_OR_RETURN(Team t, First(Teams(s), "team " + std::to_string(id) + " not found"));
  KW_ASSIGN_OR_RETURN(t.members, LoadSet("team_members", "team_id", "user_id", t.id));
  return t;
}

StatusOr<Team> SqlTxn::FindTeam(std::string_view name) {
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_TEAM_COLUMNS " FROM teams WHERE name = $1", name));
  KW_ASSIGN_OR_RETURN(Team t, First(Teams(s), "team " + Quoted(name) + " not found"));
  KW_ASSIGN_OR_RETURN(t.members, LoadSet("team_members", "team_id", "user_id", t.id));
  return t;
}

Status SqlTxn::UpdateTeam(const Team& t) {
  KW_RETURN_IF_ERROR(Writable());
  KW_RETURN_IF_ERROR(MustExist("teams", "team", t.id));
  KW_RETURN_IF_ERROR(NameFree("teams", "team", t.name, t.id));
  KW_RETURN_IF_ERROR(AllExist("users", "user", t.members));
  KW_RETURN_IF_ERROR(Exec("UPDATE teams SET name = $1, created = $2 WHERE id = $3", t.name, t.created, t.id));
  return SaveSet("team_members", "team_id", "user_id", t.id, t.members);
}

Status SqlTxn::DeleteTeam(int64_t id) {
  KW_RETURN_IF_ERROR(Writable());
  KW_ASSIGN_OR_RETURN(bool deleted, Any("DELETE FROM teams WHERE id = $1 RETURNING id", id));
  if (!deleted) return NotFoundError("team " + std::to_string(id) + " not found");
  return OkStatus();
}

StatusOr<std::vector<Team>> SqlTxn::ListTeams(PageRequest page) {
  KW_RETURN_IF_ERROR(CheckPage(page));
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_TEAM_COLUMNS " FROM teams WHERE id > $1 ORDER BY id LIMIT $2",
                                      page.after, page.limit));
  KW_ASSIGN_OR_RETURN(std::vector<Team> teams, Teams(s));
  KW_RETURN_IF_ERROR(LoadSets(teams, &Team::members, "team_members", "team_id", "user_id"));
  return teams;
}

StatusOr<std::vector<Team>> SqlTxn::TeamsOfUser(int64_t user_id) {
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT t.id, t.name, t.created FROM teams t"
                                      " JOIN team_members m ON m.team_id = t.id WHERE m.user_id = $1 ORDER BY t.id",
                                      user_id));
  KW_ASSIGN_OR_RETURN(std::vector<Team> teams, Teams(s));
  for (Team& t : teams) {
    KW_ASSIGN_OR_RETURN(t.members, LoadSet("team_members", "team_id", "user_id", t.id));
  }
  return teams;
}

// --- host groups ---

StatusOr<std::vector<HostGroup>> SqlTxn::Groups(Stmt* s) {
  std::vector<HostGroup> out;
  for (;;) {
    KW_ASSIGN_OR_RETURN(bool row, Next(s));
    if (!row) return out;
    Row r(s);
    HostGroup& g = out.emplace_back();
    g.id = r.Int();
    g.name = r.Text();
    g.created = r.Int();
  }
}

StatusOr<int64_t> SqlTxn::InsertGroup(const HostGroup& g) {
  KW_RETURN_IF_ERROR(Writable());
  KW_RETURN_IF_ERROR(NameFree("host_groups", "host group", g.name, 0));
  return InsertReturningId("INSERT INTO host_groups (name, created) VALUES ($1, $2) RETURNING id", g.name,
                           g.created);
}

StatusOr<HostGroup> SqlTxn::GetGroup(int64_t id) {
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_GROUP_COLUMNS " FROM host_groups WHERE id = $1", id));
  return First(Groups(s), "host group " + std::to_string(id) + " not found");
}

StatusOr<HostGroup> SqlTxn::FindGroup(std::string_view name) {
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_GROUP_COLUMNS " FROM host_groups WHERE name = $1", name));
  return First(Groups(s), "host group " + Quoted(name) + " not found");
}

Status SqlTxn::UpdateGroup(const HostGroup& g) {
  KW_RETURN_IF_ERROR(Writable());
  KW_RETURN_IF_ERROR(MustExist("host_groups", "host group", g.id));
  KW_RETURN_IF_ERROR(NameFree("host_groups", "host group", g.name, g.id));
  return Exec("UPDATE host_groups SET name = $1, created = $2 WHERE id = $3", g.name, g.created, g.id);
}

Status SqlTxn::DeleteGroup(int64_t id) {
  KW_RETURN_IF_ERROR(Writable());
  KW_ASSIGN_OR_RETURN(bool deleted, Any("DELETE FROM host_groups WHERE id = $1 RETURNING id", id));
  if (!deleted) return NotFoundError("host group " + std::to_string(id) + " not found");
  return OkStatus();
}

StatusOr<std::vector<HostGroup>> SqlTxn::ListGroups(PageRequest page) {
  KW_RETURN_IF_ERROR(CheckPage(page));
  KW_ASSIGN_OR_RETURN(Stmt * s,
                      Query("SELECT " KW_GROUP_COLUMNS " FROM host_groups WHERE id > $1 ORDER BY id LIMIT $2",
                            page.after, page.limit));
  return Groups(s);
}

}  // namespace kw::store
