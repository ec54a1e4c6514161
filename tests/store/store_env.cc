#include "store_env.h"

#include <mutex>

namespace kw::store::test {

kw::test::PostgresServer* SharedPostgres(std::string* error) {
  static std::mutex mu;
  static std::unique_ptr<kw::test::PostgresServer> server;
  static std::string start_error;
  std::lock_guard<std::mutex> lock(mu);
  if (!server && start_error.empty()) {
    auto started = kw::test::PostgresServer::Start();
    if (started.ok()) {
      server = std::move(started).value();
    } else {
      start_error = "cannot start the test PostgreSQL server: " + started.status().ToString();
    }
  }
  if (!server) *error = start_error;
  return server.get();
}

StatusOr<PostgresNamespace> NewPostgresNamespace() {
  static std::mutex mu;
  static std::string database_url;
  static int created = 0, used = 0;  // schemas t1..t<created> exist, t1..t<used> are taken
  std::string error;
  kw::test::PostgresServer* pg = SharedPostgres(&error);
  if (pg == nullptr) return FailedPreconditionError(error);
  std::lock_guard<std::mutex> lock(mu);
  PostgresNamespace ns;
  ns.database = "store_test";
  if (database_url.empty()) {
    KW_ASSIGN_OR_RETURN(database_url, pg->CreateDatabase(ns.database));
  }
  if (used == created) {  // one psql run makes the next 32 schemas
    std::string sql;
    for (int i = 0; i < 32; ++i) sql += "CREATE SCHEMA t" + std::to_string(++created) + ";";
    KW_RETURN_IF_ERROR(pg->Psql(ns.database, sql));
  }
  ns.schema = "t" + std::to_string(++used);
  ns.url = database_url + "?options=-c%20search_path%3D" + ns.schema;
  return ns;
}

StatusOr<std::string> NewDatabase(std::string_view backend, const kw::test::TempDir& dir) {
  if (backend == "sqlite") return "sqlite:" + dir.Path("store.db");
  KW_ASSIGN_OR_RETURN(PostgresNamespace ns, NewPostgresNamespace());
  return ns.url;
}

User MakeUser(std::string_view name) {
  User u;
  u.name = std::string(name);
  u.email = std::string(name) + "@example.com";
  u.state = UserState::kActive;
  u.created = 1700000000;
  u.updated = 1700000001;
  return u;
}

Key MakeKey(int64_t user_id, std::string_view fingerprint) {
  Key k;
  k.user_id = user_id;
  k.type = "ssh-ed25519";
  k.blob = {0x00, 0x00, 0x00, 0x0b, 's', 's', 'h', 0x00, 0xff, 0x80, 0x7f};  // with NUL and high bytes
  k.fingerprint = std::string(fingerprint);
  k.comment = "comment of " + std::string(fingerprint);
  k.created = 1700000100;
  k.expires = 0;
  k.state = KeyState::kActive;
  k.scope_all = true;
  return k;
}

Host MakeHost(std::string_view name, std::vector<int64_t> groups) {
  Host h;
  h.name = std::string(name);
  h.groups = std::move(groups);
  h.host_keys = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO host\n";
  h.last_contact = 1700000200;
  h.applied_revision = 3;
  h.created = 1700000000;
  return h;
}

Grant UserGrant(int64_t user_id, int64_t group_id, std::string_view account) {
  Grant g;
  g.user_id = user_id;
  g.group_id = group_id;
  g.account = std::string(account);
  g.created = 1700000300;
  return g;
}

Grant TeamGrant(int64_t team_id, int64_t group_id, std::string_view account) {
  Grant g = UserGrant(0, group_id, account);
  g.team_id = team_id;
  return g;
}

}  // namespace kw::store::test
