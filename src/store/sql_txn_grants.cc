// SqlTxn: grants, and the rows a host's authorized_keys are rendered from.
#include <algorithm>
#include <deque>
#include <iterator>

#include "store/sql_txn.h"

namespace kw::store {
namespace {

Status CheckGrantSubject(const Grant& g) {
  if ((g.user_id != 0) == (g.team_id != 0)) {
    return InvalidArgumentError("a grant names exactly one of a user and a team (user_id " +
                                std::to_string(g.user_id) + ", team_id " + std::to_string(g.team_id) + ")");
  }
  return OkStatus();
}

// Every (grant, key) pair for one host: the host's groups -> grants on them
// -> the user named directly, or each member of the team named -> that
// user's keys -> each key's scope groups (LEFT JOIN: one row per scope
// group, none for scope_all keys; RenderRows folds them). Indexes used:
// host_group_members (host_id, group_id), grants_by_group, team_members'
// key, keys_by_user, key_scope_groups' key.
constexpr std::string_view kRenderSql =
    "SELECT gr.grant_id, gr.account, gr.options, gr.ends_at, gr.group_id,"
    " u.id, u.name, u.email, u.state, u.created, u.updated,"
    " k.id, k.user_id, k.type, k.blob, k.fingerprint, k.comment, k.created, k.expires, k.state,"
    " k.state_changed, k.state_reason, k.scope_all,"
    " ks.group_id"
    " FROM ("
    "   SELECT g.id AS grant_id, g.account, g.options, g.ends_at, g.group_id, g.user_id"
    "   FROM host_group_members hg JOIN grants g ON g.group_id = hg.group_id"
    "   WHERE hg.host_id = $1 AND g.user_id IS NOT NULL AND ($2 = '' OR g.account = $2)"
    "   UNION ALL"
    "   SELECT g.id, g.account, g.options, g.ends_at, g.group_id, m.user_id"
    "   FROM host_group_members hg JOIN grants g ON g.group_id = hg.group_id"
    "   JOIN team_members m ON m.team_id = g.team_id"
    "   WHERE hg.host_id = $1 AND ($2 = '' OR g.account = $2)"
    " ) gr"
    " JOIN users u ON u.id = gr.user_id"
    " JOIN keys k ON k.user_id = gr.user_id"
    " LEFT JOIN key_scope_groups ks ON ks.key_id = k.id"
    " ORDER BY gr.account, k.id, gr.grant_id, ks.group_id";

}  // namespace

StatusOr<std::vector<Grant>> SqlTxn::Grants(Stmt* s) {
  std::vector<Grant> out;
  for (;;) {
    KW_ASSIGN_OR_RETURN(bool row, Next(s));
    if (!row) return out;
    Row r(s);
    Grant& g = out.emplace_back();
    g.id = r.Int();
    g.user_id = r.Int();
    g.team_id = r.Int();
    g.group_id = r.Int();
    g.account = r.Text();
    g.options = r.Text();
    g.ends_at = r.Int();
    g.created = r.Int();
  }
}

StatusOr<int64_t> SqlTxn::InsertGrant(const Grant& g) {
  KW_RETURN_IF_ERROR(Writable());
  KW_RETURN_IF_ERROR(CheckGrantSubject(g));
  if (g.user_id != 0) KW_RETURN_IF_ERROR(MustExist("users", "user", g.user_id));
  if (g.team_id != 0) KW_RETURN_IF_ERROR(MustExist("teams", "team", g.team_id));
  KW_RETURN_IF_ERROR(MustExist("host_groups", "host group", g.group_id));
  return InsertReturningId("INSERT INTO grants (user_id, team_id, group_id, account, options, ends_at, created)"
                           " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                           IdOrNull(g.user_id), IdOrNull(g.team_id), g.group_id, g.account, g.options, g.ends_at,
                           g.created);
}

StatusOr<Grant> SqlTxn::GetGrant(int64_t id) {
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_GRANT_COLUMNS " FROM grants WHERE id = $1", id));
  return First(Grants(s), "grant " + std::to_string(id) + " not found");
}

Status SqlTxn::UpdateGrant(const Grant& g) {
  KW_RETURN_IF_ERROR(Writable());
  KW_RETURN_IF_ERROR(MustExist("grants", "grant", g.id));
  KW_RETURN_IF_ERROR(CheckGrantSubject(g));
  if (g.user_id != 0) KW_RETURN_IF_ERROR(MustExist("users", "user", g.user_id));
  if (g.team_id != 0) KW_RETURN_IF_ERROR(MustExist("teams", "team", g.team_id));
  KW_RETURN_IF_ERROR(MustExist("host_groups", "host group", g.group_id));
  return Exec("UPDATE grants SET user_id = $1, team_id = $2, group_id = $3, account = $4, options = $5,"
              " ends_at = $6, created = $7 WHERE id = $8",
              IdOrNull(g.user_id), IdOrNull(g.team_id), g.group_id, g.account, g.options, g.ends_at, g.created,
              g.id);
}

Status SqlTxn::DeleteGrant(int64_t id) {
  KW_RETURN_IF_ERROR(Writable());
  KW_ASSIGN_OR_RETURN(bool deleted, Any("DELETE FROM grants WHERE id = $1 RETURNING id", id));
  if (!deleted) return NotFoundError("grant " + std::to_string(id) + " not found");
  return OkStatus();
}

StatusOr<std::vector<Grant>> SqlTxn::ListGrants(const GrantFilter& filter, PageRequest page) {
  KW_RETURN_IF_ERROR(CheckPage(page));
  Where where;
  where.Add("id > ?", page.after);
  if (filter.user_id != 0) where.Add("user_id = ?", filter.user_id);
  if (filter.team_id != 0) where.Add("team_id = ?", filter.team_id);
  if (filter.group_id != 0) where.Add("group_id = ?", filter.group_id);
  std::string sql = "SELECT " KW_GRANT_COLUMNS " FROM grants" + where.sql + " ORDER BY id LIMIT ";
  sql += where.Arg(int64_t{page.limit});
  KW_ASSIGN_OR_RETURN(Stmt * s, QueryWhere(sql, where));
  return Grants(s);
}

StatusOr<std::vector<Grant>> SqlTxn::GrantsEnded(int64_t now, int limit) {
  if (limit <= 0) return InvalidArgumentError("limit must be positive, not " + std::to_string(limit));
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_GRANT_COLUMNS " FROM grants"
                                      " WHERE ends_at > 0 AND ends_at <= $1 ORDER BY id LIMIT $2",
                                      now, limit));
  return Grants(s);
}

StatusOr<std::vector<RenderRow>> SqlTxn::RenderRows(int64_t host_id, std::string_view account) {
  KW_ASSIGN_OR_RETURN(Stmt * s, Query(kRenderSql, host_id, account));
  // Rows are gathered in a deque (no reallocation, no moves of large
  // structs) and moved into the vector once their number is known.
  std::deque<RenderRow> rows;
  for (;;) {
    KW_ASSIGN_OR_RETURN(bool row, Next(s));
    if (!row) break;
    const int64_t grant_id = s->Int(0), key_id = s->Int(11);
    if (!rows.empty() && rows.back().grant_id == grant_id && rows.back().key.id == key_id) {
      rows.back().key.scope_groups.push_back(s->Int(23));  // the same pair, one more scope group
      continue;
    }
    RenderRow& rr = rows.emplace_back();
    Row r(s);
    rr.grant_id = r.Int();
    rr.account = r.Text();
    rr.options = r.Text();
    rr.grant_ends_at = r.Int();
    rr.group_id = r.Int();
    KW_RETURN_IF_ERROR(ReadUser(r, &rr.user));
    KW_RETURN_IF_ERROR(ReadKey(r, &rr.key));
    if (!r.IsNull()) rr.key.scope_groups.push_back(r.Int());
  }
  // Only no rows at all leaves the question whether the host exists.
  if (rows.empty()) KW_RETURN_IF_ERROR(MustExist("hosts", "host", host_id));
  return std::vector<RenderRow>(std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
}

StatusOr<std::vector<int64_t>> SqlTxn::HostsInGroups(const std::vector<int64_t>& group_ids) {
  std::vector<int64_t> hosts;
  for (int64_t g : group_ids) {
    KW_ASSIGN_OR_RETURN(std::vector<int64_t> in_group,
                        Ids("SELECT host_id FROM host_group_members WHERE group_id = $1", g));
    hosts.insert(hosts.end(), in_group.begin(), in_group.end());
  }
  std::sort(hosts.begin(), hosts.end());
  hosts.erase(std::unique(hosts.begin(), hosts.end()), hosts.end());
  return hosts;
}

}  // namespace kw::store
