// SqlTxn: hosts (with their groups) and keys (with their scope groups).
#include <limits>

#include "store/sql_txn.h"

namespace kw::store {

Status ReadKey(Row& r, Key* k) {
  k->id = r.Int();
  k->user_id = r.Int();
  k->type = r.Text();
  k->blob = r.Blob();
  k->fingerprint = r.Text();
  k->comment = r.Text();
  k->created = r.Int();
  k->expires = r.Int();
  std::string state = r.Text();
  k->state_changed = r.Int();
  k->state_reason = r.Text();
  k->scope_all = r.Int() != 0;
  std::optional<KeyState> parsed = ParseKeyState(state);
  if (!parsed) return DataLossError("key " + std::to_string(k->id) + ": unknown state " + Quoted(state));
  k->state = *parsed;
  return OkStatus();
}

// --- hosts ---

StatusOr<std::vector<Host>> SqlTxn::Hosts(Stmt* s) {
  std::vector<Host> out;
  for (;;) {
    KW_ASSIGN_OR_RETURN(bool row, Next(s));
    if (!row) return out;
    Row r(s);
    Host& h = out.emplace_back();
    h.id = r.Int();
    h.name = r.Text();
    h.host_keys = r.Text();
    h.last_contact = r.Int();
    h.applied_revision = r.Int();
    h.created = r.Int();
  }
}

StatusOr<int64_t> SqlTxn::InsertHost(const Host& h) {
  KW_RETURN_IF_ERROR(Writable());
  KW_RETURN_IF_ERROR(NameFree("hosts", "host", h.name, 0));
  KW_RETURN_IF_ERROR(AllExist("host_groups", "host group", h.groups));
  KW_ASSIGN_OR_RETURN(int64_t id, InsertReturningId("INSERT INTO hosts (name, host_keys, last_contact,"
                                                    " applied_revision, created) VALUES ($1, $2, $3, $4, $5)"
                                                    " RETURNING id",
                                                    h.name, h.host_keys, h.last_contact, h.applied_revision,
                                                    h.created));
  KW_RETURN_IF_ERROR(SaveSet("host_group_members", "host_id", "group_id", id, h.groups));
  return id;
}

StatusOr<Host> SqlTxn::GetHost(int64_t id) {
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_HOST_COLUMNS " FROM hosts WHERE id = $1", id));
  KW_ASSIGN_OR_RETURN(Host h, First(Hosts(s), "host " + std::to_string(id) + " not found"));
  KW_ASSIGN_OR_RETURN(h.groups, LoadSet("host_group_members", "host_id", "group_id", h.id));
  return h;
}

StatusOr<Host> SqlTxn::FindHost(std::string_view name) {
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_HOST_COLUMNS " FROM hosts WHERE name = $1", name));
  KW_ASSIGN_OR_RETURN(Host h, First(Hosts(s), "host " + Quoted(name) + " not found"));
  KW_ASSIGN_OR_RETURN(h.groups, LoadSet("host_group_members", "host_id", "group_id", h.id));
  return h;
}

Status SqlTxn::UpdateHost(const Host& h) {
  KW_RETURN_IF_ERROR(Writable());
  KW_RETURN_IF_ERROR(MustExist("hosts", "host", h.id));
  KW_RETURN_IF_ERROR(NameFree("hosts", "host", h.name, h.id));
  KW_RETURN_IF_ERROR(AllExist("host_groups", "host group", h.groups));
  KW_RETURN_IF_ERROR(Exec("UPDATE hosts SET name = $1, host_keys = $2, last_contact = $3, applied_revision = $4,"
                          " created = $5 WHERE id = $6",
                          h.name, h.host_keys, h.last_contact, h.applied_revision, h.created, h.id));
  return SaveSet("host_group_members", "host_id", "group_id", h.id, h.groups);
}

Status SqlTxn::NoteContact(int64_t host_id, int64_t applied_revision, int64_t last_contact) {
  KW_RETURN_IF_ERROR(Writable());
  return Exec("UPDATE hosts SET applied_revision = $1, last_contact = $2 WHERE id = $3", applied_revision,
              last_contact, host_id);
}

Status SqlTxn::DeleteHost(int64_t id) {
  KW_RETURN_IF_ERROR(Writable());
  KW_ASSIGN_OR_RETURN(bool deleted, Any("DELETE FROM hosts WHERE id = $1 RETURNING id", id));
  if (!deleted) return NotFoundError("host " + std::to_string(id) + " not found");
  return OkStatus();
}

StatusOr<std::vector<Host>> SqlTxn::ListHosts(PageRequest page) {
  KW_RETURN_IF_ERROR(CheckPage(page));
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_HOST_COLUMNS " FROM hosts WHERE id > $1 ORDER BY id LIMIT $2",
                                      page.after, page.limit));
  KW_ASSIGN_OR_RETURN(std::vector<Host> hosts, Hosts(s));
  KW_RETURN_IF_ERROR(LoadSets(hosts, &Host::groups, "host_group_members", "host_id", "group_id"));
  return hosts;
}

// --- keys ---
//
// A key with scope_all keeps no scope groups: its scope_groups are not
// saved, and load empty.

StatusOr<std::vector<Key>> SqlTxn::Keys(Stmt* s) {
  std::vector<Key> out;
  for (;;) {
    KW_ASSIGN_OR_RETURN(bool row, Next(s));
    if (!row) break;
    Row r(s);
    KW_RETURN_IF_ERROR(ReadKey(r, &out.emplace_back()));
  }
  KW_RETURN_IF_ERROR(LoadScopes(out));
  return out;
}

Status SqlTxn::LoadScopes(std::vector<Key>& keys) {
  for (Key& k : keys) {
    if (k.scope_all) continue;
    KW_ASSIGN_OR_RETURN(k.scope_groups, LoadSet("key_scope_groups", "key_id", "group_id", k.id));
  }
  return OkStatus();
}

namespace {
const std::vector<int64_t> kNoGroups;
const std::vector<int64_t>& ScopeToSave(const Key& k) { return k.scope_all ? kNoGroups : k.scope_groups; }
}  // namespace

StatusOr<int64_t> SqlTxn::InsertKey(const Key& k) {
  KW_RETURN_IF_ERROR(Writable());
  KW_ASSIGN_OR_RETURN(bool taken, Any("SELECT 1 FROM keys WHERE fingerprint = $1", k.fingerprint));
  if (taken) return AlreadyExistsError("key fingerprint " + k.fingerprint + " already registered");
  KW_RETURN_IF_ERROR(MustExist("users", "user", k.user_id));
  KW_RETURN_IF_ERROR(AllExist("host_groups", "host group", ScopeToSave(k)));
  KW_ASSIGN_OR_RETURN(int64_t id,
                      InsertReturningId("INSERT INTO keys (user_id, type, blob, fingerprint, comment, created,"
                                        " expires, state, state_changed, state_reason, scope_all)"
                                        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                                        k.user_id, k.type, k.blob, k.fingerprint, k.comment, k.created, k.expires,
                                        ToString(k.state), k.state_changed, k.state_reason, k.scope_all ? 1 : 0));
  KW_RETURN_IF_ERROR(SaveSet("key_scope_groups", "key_id", "group_id", id, ScopeToSave(k)));
  return id;
}

StatusOr<Key> SqlTxn::GetKey(int64_t id) {
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_KEY_COLUMNS " FROM keys WHERE id = $1", id));
  return First(Keys(s), "key " + std::to_string(id) + " not found");
}

StatusOr<Key> SqlTxn::FindKeyByFingerprint(std::string_view fingerprint) {
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_KEY_COLUMNS " FROM keys WHERE fingerprint = $1", fingerprint));
  return First(Keys(s), "key " + std::string(fingerprint) + " not found");
}

Status SqlTxn::UpdateKey(const Key& k) {
  KW_RETURN_IF_ERROR(Writable());
  KW_RETURN_IF_ERROR(MustExist("keys", "key", k.id));
  KW_ASSIGN_OR_RETURN(bool taken, Any("SELECT 1 FROM keys WHERE fingerprint = $1 AND id <> $2", k.fingerprint, k.id));
  if (taken) return AlreadyExistsError("key fingerprint " + k.fingerprint + " already registered");
  KW_RETURN_IF_ERROR(MustExist("users", "user", k.user_id));
  KW_RETURN_IF_ERROR(AllExist("host_groups", "host group", ScopeToSave(k)));
  KW_RETURN_IF_ERROR(Exec("UPDATE keys SET user_id = $1, type = $2, blob = $3, fingerprint = $4, comment = $5,"
                          " created = $6, expires = $7, state = $8, state_changed = $9, state_reason = $10,"
                          " scope_all = $11 WHERE id = $12",
                          k.user_id, k.type, k.blob, k.fingerprint, k.comment, k.created, k.expires,
                          ToString(k.state), k.state_changed, k.state_reason, k.scope_all ? 1 : 0, k.id));
  return SaveSet("key_scope_groups", "key_id", "group_id", k.id, ScopeToSave(k));
}

Status SqlTxn::DeleteKey(int64_t id) {
  KW_RETURN_IF_ERROR(Writable());
  KW_ASSIGN_OR_RETURN(bool deleted, Any("DELETE FROM keys WHERE id = $1 RETURNING id", id));
  if (!deleted) return NotFoundError("key " + std::to_string(id) + " not found");
  return OkStatus();
}

StatusOr<std::vector<Key>> SqlTxn::ListKeys(const KeyFilter& filter, PageRequest page) {
  KW_RETURN_IF_ERROR(CheckPage(page));
  // Only the filters in use appear in the SQL, so each combination is its
  // own statement and can use its index (keys_by_user, keys_by_expiry).
  Where where;
  where.Add("id > ?", page.after);
  if (filter.user_id != 0) where.Add("user_id = ?", filter.user_id);
  if (filter.state) where.Add("state = ?", std::string(ToString(*filter.state)));
  if (filter.expires_before > 0) where.Add("expires > 0 AND expires < ?", filter.expires_before);
  std::string sql = "SELECT " KW_KEY_COLUMNS " FROM keys" + where.sql + " ORDER BY id LIMIT ";
  sql += where.Arg(int64_t{page.limit});
  KW_ASSIGN_OR_RETURN(Stmt * s, QueryWhere(sql, where));
  return Keys(s);
}

StatusOr<std::vector<Key>> SqlTxn::KeysDueToExpire(int64_t now, int64_t max_age, int limit) {
  if (limit <= 0) return InvalidArgumentError("limit must be positive, not " + std::to_string(limit));
  // created + max_age <= now, written so that keys_by_created can answer it.
  const int64_t created_cutoff = max_age > 0 ? now - max_age : std::numeric_limits<int64_t>::min();
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_KEY_COLUMNS " FROM keys WHERE state = 'active'"
                                      " AND ((expires > 0 AND expires <= $1) OR created <= $2) ORDER BY id LIMIT $3",
                                      now, created_cutoff, limit));
  return Keys(s);
}

}  // namespace kw::store
