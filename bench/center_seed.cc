// Seeds a key center store for bench/center.sh, straight through the store
// (registering 47,000 records one API call at a time would measure fsync,
// not the center):
//   10,000 users (u0..), 3 Ed25519 keys each; 100 host groups (g0..g99);
//   5,000 hosts (h0.., host i in group i % 100) with the token
//   "kw_bench_host_<i>"; 2,000 grants: 1,900 to users (account "deploy")
//   and 100 giving user "fleet" (one key, printed) account "ops" on every
//   group, so revoking that key changes every host's bundle.
// usage: kw_bench_center_seed STORE_URL   (prints the fleet key's id)
#include <cstdio>
#include <string>

#include "base/clock.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "formats/fingerprint.h"
#include "formats/private_key.h"
#include "store/store.h"

namespace {

using namespace kw;

int Die(const Status& s) {
  std::fprintf(stderr, "kw_bench_center_seed: %s\n", s.message().c_str());
  return 1;
}

StatusOr<store::Key> NewKey(int64_t user_id, int64_t now) {
  KW_ASSIGN_OR_RETURN(auto k, formats::PrivateKey::Generate(formats::KeyType::kEd25519, 0, crypto::SystemRng::Get()));
  store::Key key;
  key.user_id = user_id;
  key.type = "ssh-ed25519";
  key.blob = k.public_key().blob();
  key.fingerprint = formats::Fingerprint(k.public_key());
  key.created = now;
  key.state_changed = now;
  return key;
}

Status Seed(store::Store& st, int64_t* fleet_key) {
  int64_t now = SystemClock::Get().NowUnix();
  KW_ASSIGN_OR_RETURN(auto t, st.Begin(store::TxnMode::kWrite));
  std::vector<int64_t> groups, users;
  for (int i = 0; i < 100; ++i) {
    KW_ASSIGN_OR_RETURN(int64_t id, t->InsertGroup({0, "g" + std::to_string(i), now}));
    groups.push_back(id);
  }
  for (int i = 0; i < 5000; ++i) {
    store::Host h;
    h.name = "h" + std::to_string(i);
    h.groups = {groups[i % 100]};
    h.created = now;
    KW_ASSIGN_OR_RETURN(h.id, t->InsertHost(h));
    store::Token tok;
    tok.kind = store::TokenKind::kHost;
    tok.name = h.name;
    tok.host_id = h.id;
    std::string secret = "kw_bench_host_" + std::to_string(i);
    tok.hash = crypto::Digest(crypto::HashAlg::kSha256, AsBytes(secret));
    tok.created = now;
    KW_RETURN_IF_ERROR(t->InsertToken(tok));
  }
  for (int i = 0; i < 10000; ++i) {
    store::User u;
    u.name = "u" + std::to_string(i);
    u.email = u.name + "@example.com";
    u.created = u.updated = now;
    KW_ASSIGN_OR_RETURN(u.id, t->InsertUser(u));
    users.push_back(u.id);
    for (int k = 0; k < 3; ++k) {
      KW_ASSIGN_OR_RETURN(store::Key key, NewKey(u.id, now));
      KW_RETURN_IF_ERROR(t->InsertKey(key));
    }
  }
  for (int j = 0; j < 1900; ++j) {
    store::Grant g;
    g.user_id = users[(j * 5) % users.size()];
    g.group_id = groups[j % 100];
    g.account = "deploy";
    g.created = now;
    KW_RETURN_IF_ERROR(t->InsertGrant(g));
  }
  store::User fleet;
  fleet.name = "fleet";
  fleet.created = fleet.updated = now;
  KW_ASSIGN_OR_RETURN(fleet.id, t->InsertUser(fleet));
  KW_ASSIGN_OR_RETURN(store::Key fk, NewKey(fleet.id, now));
  KW_ASSIGN_OR_RETURN(*fleet_key, t->InsertKey(fk));
  for (int64_t gid : groups) {
    store::Grant g;
    g.user_id = fleet.id;
    g.group_id = gid;
    g.account = "ops";
    g.created = now;
    KW_RETURN_IF_ERROR(t->InsertGrant(g));
  }
  KW_RETURN_IF_ERROR(t->BumpRevision());
  return t->Commit();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: kw_bench_center_seed STORE_URL\n");
    return 2;
  }
  auto st = kw::store::OpenStore(argv[1]);
  if (!st.ok()) return Die(st.status());
  int64_t fleet_key = 0;
  kw::Status s = Seed(**st, &fleet_key);
  if (!s.ok()) return Die(s);
  std::printf("%lld\n", static_cast<long long>(fleet_key));
  return 0;
}
