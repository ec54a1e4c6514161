// The store contract (src/store/store.h), one suite run against every
// backend: each test gets a fresh empty database on SQLite and on a
// throwaway PostgreSQL server. RenderRows: render_test.cc; backend-only
// behaviour: backend_test.cc.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "store_env.h"

namespace kw::store::test {
namespace {

std::vector<int64_t> UserIds(const std::vector<User>& users) {
  std::vector<int64_t> ids;
  for (const User& u : users) ids.push_back(u.id);
  return ids;
}

// --- transactions and the revision ---

TEST_P(StoreTest, BackendNameAndEmptyRevision) {
  EXPECT_EQ(store_->Backend(), GetParam());
  auto txn = Read();
  ASSERT_OK_AND_ASSIGN(int64_t rev, txn->Revision());
  EXPECT_EQ(rev, 0);
  ASSERT_OK(txn->Commit());
}

TEST_P(StoreTest, BumpRevisionAddsOneAndPersists) {
  auto txn = Write();
  ASSERT_OK_AND_ASSIGN(int64_t r1, txn->BumpRevision());
  ASSERT_OK_AND_ASSIGN(int64_t r2, txn->BumpRevision());
  ASSERT_OK_AND_ASSIGN(int64_t seen, txn->Revision());
  EXPECT_EQ(r1, 1);
  EXPECT_EQ(r2, 2);
  EXPECT_EQ(seen, 2);
  ASSERT_OK(txn->Commit());
  auto read = Read();
  ASSERT_OK_AND_ASSIGN(int64_t after, read->Revision());
  EXPECT_EQ(after, 2);
}

TEST_P(StoreTest, TxnDestroyedWithoutCommitRollsBack) {
  {
    auto txn = Write();
    ASSERT_OK(txn->InsertUser(MakeUser("ghost")));
    ASSERT_OK(txn->BumpRevision());
  }
  auto txn = Read();
  EXPECT_ERROR(txn->FindUser("ghost"), kNotFound, "user \"ghost\" not found");
  ASSERT_OK_AND_ASSIGN(int64_t rev, txn->Revision());
  EXPECT_EQ(rev, 0);
  // The next write transaction is not blocked by the one rolled back.
  auto next = Write();
  ASSERT_OK(next->InsertUser(MakeUser("ghost")));
  ASSERT_OK(next->Commit());
}

TEST_P(StoreTest, ReadTxnRefusesWrites) {
  auto txn = Read();
  EXPECT_ERROR(txn->InsertUser(MakeUser("bob")), kFailedPrecondition, "read transaction");
  EXPECT_ERROR(txn->BumpRevision(), kFailedPrecondition, "read transaction");
}

TEST_P(StoreTest, EndedTxnRefusesEverything) {
  auto txn = Write();
  ASSERT_OK(txn->Commit());
  EXPECT_ERROR(txn->Commit(), kFailedPrecondition, "ended");
  EXPECT_ERROR(txn->Revision(), kFailedPrecondition, "ended");
}

TEST_P(StoreTest, ConcurrentWritersAreSerialised) {
  constexpr int kPerThread = 40;
  std::atomic<int> errors{0};
  auto writer = [&] {
    for (int i = 0; i < kPerThread; ++i) {
      StatusOr<std::unique_ptr<Txn>> txn = store_->Begin(TxnMode::kWrite);
      if (!txn.ok() || !(*txn)->BumpRevision().ok() || !(*txn)->Commit().ok()) ++errors;
    }
  };
  auto reader = [&] {
    for (int i = 0; i < kPerThread; ++i) {
      StatusOr<std::unique_ptr<Txn>> txn = store_->Begin(TxnMode::kRead);
      if (!txn.ok() || !(*txn)->Revision().ok() || !(*txn)->Commit().ok()) ++errors;
    }
  };
  std::thread a(writer), b(writer), c(reader);
  a.join();
  b.join();
  c.join();
  EXPECT_EQ(errors.load(), 0);
  auto txn = Read();
  ASSERT_OK_AND_ASSIGN(int64_t rev, txn->Revision());
  EXPECT_EQ(rev, 2 * kPerThread);
}

TEST_P(StoreTest, WritersOfTwoStoresOnOneDatabaseAreSerialised) {
  // Two Store instances stand for two processes: only the database itself
  // (SQLite's write lock, PostgreSQL's row lock on meta) orders them.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> other, OpenStore(url_));
  constexpr int kEach = 20;
  std::atomic<int> errors{0};
  auto writer = [&](Store* store, std::string prefix) {
    for (int i = 0; i < kEach; ++i) {
      StatusOr<std::unique_ptr<Txn>> txn = store->Begin(TxnMode::kWrite);
      if (!txn.ok()) {
        ++errors;
        continue;
      }
      // Read, then write what was read plus one: lost updates would show.
      StatusOr<int64_t> before = (*txn)->Revision();
      StatusOr<int64_t> after = (*txn)->BumpRevision();
      if (!before.ok() || !after.ok() || *after != *before + 1 ||
          !(*txn)->InsertUser(MakeUser(prefix + std::to_string(i))).ok() || !(*txn)->Commit().ok())
        ++errors;
    }
  };
  std::thread a(writer, store_.get(), "a"), b(writer, other.get(), "b");
  a.join();
  b.join();
  EXPECT_EQ(errors.load(), 0);
  auto txn = Read();
  ASSERT_OK_AND_ASSIGN(int64_t rev, txn->Revision());
  EXPECT_EQ(rev, 2 * kEach);
  ASSERT_OK_AND_ASSIGN(std::vector<User> users, txn->ListUsers({0, 1000}));
  EXPECT_EQ(users.size(), 2u * kEach);
}

// --- users ---

TEST_P(StoreTest, UserCrud) {
  auto txn = Write();
  User bob = MakeUser("bob");
  ASSERT_OK_AND_ASSIGN(bob.id, txn->InsertUser(bob));
  EXPECT_GT(bob.id, 0);
  ASSERT_OK_AND_ASSIGN(User got, txn->GetUser(bob.id));
  EXPECT_EQ(got.name, "bob");
  EXPECT_EQ(got.email, "bob@example.com");
  EXPECT_EQ(got.state, UserState::kActive);
  EXPECT_EQ(got.created, 1700000000);
  EXPECT_EQ(got.updated, 1700000001);

  bob.name = "robert";
  bob.state = UserState::kOffboarded;
  bob.updated = 1800000000;
  ASSERT_OK(txn->UpdateUser(bob));
  ASSERT_OK(txn->Commit());

  auto read = Read();
  ASSERT_OK_AND_ASSIGN(User found, read->FindUser("robert"));
  EXPECT_EQ(found.id, bob.id);
  EXPECT_EQ(found.state, UserState::kOffboarded);
  EXPECT_EQ(found.updated, 1800000000);
  EXPECT_ERROR(read->FindUser("bob"), kNotFound, "user \"bob\" not found");
  read.reset();

  auto del = Write();
  ASSERT_OK(del->DeleteUser(bob.id));
  EXPECT_ERROR(del->GetUser(bob.id), kNotFound, "user " + std::to_string(bob.id) + " not found");
  ASSERT_OK(del->Commit());
}

TEST_P(StoreTest, UniqueNamesAreAlreadyExistsAndTxnStaysUsable) {
  auto txn = Write();
  ASSERT_OK_AND_ASSIGN(int64_t bob, txn->InsertUser(MakeUser("bob")));
  ASSERT_OK_AND_ASSIGN(int64_t eve, txn->InsertUser(MakeUser("eve")));
  EXPECT_ERROR(txn->InsertUser(MakeUser("bob")), kAlreadyExists, "user name \"bob\" already exists");
  User rename = MakeUser("bob");
  rename.id = eve;
  EXPECT_ERROR(txn->UpdateUser(rename), kAlreadyExists, "user name \"bob\" already exists");
  rename.id = bob;  // keeping one's own name is fine
  EXPECT_OK(txn->UpdateUser(rename));

  ASSERT_OK(txn->InsertTeam(Team{0, "ops", {}, 1}));
  EXPECT_ERROR(txn->InsertTeam(Team{0, "ops", {}, 1}), kAlreadyExists, "team name \"ops\" already exists");
  ASSERT_OK_AND_ASSIGN(int64_t prod, txn->InsertGroup(HostGroup{0, "prod", 1}));
  EXPECT_ERROR(txn->InsertGroup(HostGroup{0, "prod", 1}), kAlreadyExists, "host group name \"prod\" already exists");
  ASSERT_OK(txn->InsertHost(MakeHost("web1", {prod})));
  EXPECT_ERROR(txn->InsertHost(MakeHost("web1")), kAlreadyExists, "host name \"web1\" already exists");
  ASSERT_OK(txn->InsertKey(MakeKey(bob, "SHA256:aaa")));
  EXPECT_ERROR(txn->InsertKey(MakeKey(eve, "SHA256:aaa")), kAlreadyExists, "key fingerprint SHA256:aaa already registered");

  // After all these refusals the transaction still commits what it did.
  ASSERT_OK(txn->Commit());
  auto read = Read();
  ASSERT_OK_AND_ASSIGN(std::vector<User> users, read->ListUsers({}));
  EXPECT_EQ(users.size(), 2u);
  ASSERT_OK(read->FindHost("web1"));
}

// --- teams ---

TEST_P(StoreTest, TeamCrudWithMembers) {
  const int64_t a = AddUser("a"), b = AddUser("b"), c = AddUser("c");
  auto txn = Write();
  Team ops{0, "ops", {c, a}, 7};
  ASSERT_OK_AND_ASSIGN(ops.id, txn->InsertTeam(ops));
  ASSERT_OK_AND_ASSIGN(Team got, txn->GetTeam(ops.id));
  EXPECT_EQ(got.name, "ops");
  EXPECT_EQ(got.created, 7);
  EXPECT_EQ(got.members, (std::vector<int64_t>{a, c}));  // ascending

  ops.members = {b, c};
  ops.name = "operations";
  ASSERT_OK(txn->UpdateTeam(ops));
  ASSERT_OK_AND_ASSIGN(Team found, txn->FindTeam("operations"));
  EXPECT_EQ(found.members, (std::vector<int64_t>{b, c}));

  ASSERT_OK_AND_ASSIGN(int64_t dev, txn->InsertTeam(Team{0, "dev", {c}, 8}));
  ASSERT_OK_AND_ASSIGN(int64_t empty, txn->InsertTeam(Team{0, "empty", {}, 9}));
  ASSERT_OK_AND_ASSIGN(std::vector<Team> of_c, txn->TeamsOfUser(c));
  ASSERT_EQ(of_c.size(), 2u);
  EXPECT_EQ(of_c[0].id, ops.id);
  EXPECT_EQ(of_c[1].id, dev);
  EXPECT_EQ(of_c[0].members, (std::vector<int64_t>{b, c}));
  ASSERT_OK_AND_ASSIGN(std::vector<Team> of_a, txn->TeamsOfUser(a));
  EXPECT_TRUE(of_a.empty());

  ASSERT_OK_AND_ASSIGN(std::vector<Team> all, txn->ListTeams({}));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].members, (std::vector<int64_t>{b, c}));
  EXPECT_EQ(all[1].members, (std::vector<int64_t>{c}));
  EXPECT_EQ(all[2].id, empty);
  EXPECT_TRUE(all[2].members.empty());

  // An unknown member is NotFound and nothing is written.
  EXPECT_ERROR(txn->InsertTeam(Team{0, "bad", {a, 999}, 1}), kNotFound, "user 999 not found");
  EXPECT_ERROR(txn->FindTeam("bad"), kNotFound, "team \"bad\" not found");
  EXPECT_ERROR(txn->UpdateTeam(Team{dev, "dev", {999}, 1}), kNotFound, "user 999 not found");
  ASSERT_OK_AND_ASSIGN(Team dev_again, txn->GetTeam(dev));
  EXPECT_EQ(dev_again.members, (std::vector<int64_t>{c}));

  ASSERT_OK(txn->DeleteTeam(dev));
  EXPECT_ERROR(txn->GetTeam(dev), kNotFound, "team " + std::to_string(dev) + " not found");
  ASSERT_OK(txn->Commit());
}

// --- host groups and hosts ---

TEST_P(StoreTest, GroupCrud) {
  auto txn = Write();
  ASSERT_OK_AND_ASSIGN(int64_t id, txn->InsertGroup(HostGroup{0, "prod", 11}));
  ASSERT_OK_AND_ASSIGN(HostGroup g, txn->GetGroup(id));
  EXPECT_EQ(g.name, "prod");
  EXPECT_EQ(g.created, 11);
  g.name = "production";
  ASSERT_OK(txn->UpdateGroup(g));
  ASSERT_OK_AND_ASSIGN(HostGroup found, txn->FindGroup("production"));
  EXPECT_EQ(found.id, id);
  ASSERT_OK_AND_ASSIGN(std::vector<HostGroup> all, txn->ListGroups({}));
  ASSERT_EQ(all.size(), 1u);
  ASSERT_OK(txn->DeleteGroup(id));
  EXPECT_ERROR(txn->FindGroup("production"), kNotFound, "host group \"production\" not found");
  ASSERT_OK(txn->Commit());
}

TEST_P(StoreTest, HostCrudWithGroups) {
  const int64_t g1 = AddGroup("g1"), g2 = AddGroup("g2"), g3 = AddGroup("g3");
  auto txn = Write();
  Host h = MakeHost("web1", {g3, g1});
  ASSERT_OK_AND_ASSIGN(h.id, txn->InsertHost(h));
  ASSERT_OK_AND_ASSIGN(Host got, txn->GetHost(h.id));
  EXPECT_EQ(got.name, "web1");
  EXPECT_EQ(got.groups, (std::vector<int64_t>{g1, g3}));
  EXPECT_EQ(got.host_keys, h.host_keys);
  EXPECT_EQ(got.last_contact, 1700000200);
  EXPECT_EQ(got.applied_revision, 3);
  EXPECT_EQ(got.created, 1700000000);

  got.groups = {g2};
  got.last_contact = 1900000000;
  got.applied_revision = 9;
  got.host_keys = "";
  ASSERT_OK(txn->UpdateHost(got));
  ASSERT_OK_AND_ASSIGN(Host again, txn->FindHost("web1"));
  EXPECT_EQ(again.groups, (std::vector<int64_t>{g2}));
  EXPECT_EQ(again.last_contact, 1900000000);
  EXPECT_EQ(again.applied_revision, 9);
  EXPECT_EQ(again.host_keys, "");

  ASSERT_OK_AND_ASSIGN(int64_t web2, txn->InsertHost(MakeHost("web2", {g1, g2})));
  ASSERT_OK_AND_ASSIGN(int64_t web3, txn->InsertHost(MakeHost("web3")));
  ASSERT_OK_AND_ASSIGN(std::vector<Host> all, txn->ListHosts({}));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].groups, (std::vector<int64_t>{g2}));
  EXPECT_EQ(all[1].groups, (std::vector<int64_t>{g1, g2}));
  EXPECT_TRUE(all[2].groups.empty());

  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> in_g2, txn->HostsInGroups({g2}));
  EXPECT_EQ(in_g2, (std::vector<int64_t>{h.id, web2}));
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> in_any, txn->HostsInGroups({g2, g1, g3}));
  EXPECT_EQ(in_any, (std::vector<int64_t>{h.id, web2}));
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> in_none, txn->HostsInGroups({}));
  EXPECT_TRUE(in_none.empty());

  EXPECT_ERROR(txn->InsertHost(MakeHost("web4", {g1, 999})), kNotFound, "host group 999 not found");
  EXPECT_ERROR(txn->FindHost("web4"), kNotFound, "host \"web4\" not found");
  ASSERT_OK(txn->DeleteHost(web3));
  EXPECT_ERROR(txn->GetHost(web3), kNotFound, "host " + std::to_string(web3) + " not found");

  // A report: the two columns change, nothing else; a deleted host is skipped.
  ASSERT_OK(txn->NoteContact(web2, 12, 1950000000));
  ASSERT_OK_AND_ASSIGN(Host reported, txn->GetHost(web2));
  EXPECT_EQ(reported.applied_revision, 12);
  EXPECT_EQ(reported.last_contact, 1950000000);
  EXPECT_EQ(reported.name, "web2");
  EXPECT_EQ(reported.groups, (std::vector<int64_t>{g1, g2}));
  ASSERT_OK(txn->NoteContact(web3, 12, 1950000000));
  ASSERT_OK(txn->Commit());
}

// --- keys ---

TEST_P(StoreTest, KeyCrudWithScope) {
  const int64_t bob = AddUser("bob"), alice = AddUser("alice");
  const int64_t g1 = AddGroup("g1"), g2 = AddGroup("g2");
  auto txn = Write();
  Key k = MakeKey(bob, "SHA256:bob1");
  k.expires = 1800000000;
  k.scope_all = false;
  k.scope_groups = {g2, g1};
  ASSERT_OK_AND_ASSIGN(k.id, txn->InsertKey(k));
  ASSERT_OK_AND_ASSIGN(Key got, txn->GetKey(k.id));
  EXPECT_EQ(got.user_id, bob);
  EXPECT_EQ(got.type, "ssh-ed25519");
  EXPECT_EQ(got.blob, k.blob);
  EXPECT_EQ(got.fingerprint, "SHA256:bob1");
  EXPECT_EQ(got.comment, k.comment);
  EXPECT_EQ(got.created, 1700000100);
  EXPECT_EQ(got.expires, 1800000000);
  EXPECT_EQ(got.state, KeyState::kActive);
  EXPECT_FALSE(got.scope_all);
  EXPECT_EQ(got.scope_groups, (std::vector<int64_t>{g1, g2}));

  got.state = KeyState::kRevoked;
  got.state_changed = 1750000000;
  got.state_reason = "revoked by alice";
  got.scope_groups = {g2};
  ASSERT_OK(txn->UpdateKey(got));
  ASSERT_OK_AND_ASSIGN(Key found, txn->FindKeyByFingerprint("SHA256:bob1"));
  EXPECT_EQ(found.state, KeyState::kRevoked);
  EXPECT_EQ(found.state_changed, 1750000000);
  EXPECT_EQ(found.state_reason, "revoked by alice");
  EXPECT_EQ(found.scope_groups, (std::vector<int64_t>{g2}));

  // scope_all keeps no groups.
  found.scope_all = true;
  ASSERT_OK(txn->UpdateKey(found));
  ASSERT_OK_AND_ASSIGN(Key all, txn->GetKey(k.id));
  EXPECT_TRUE(all.scope_all);
  EXPECT_TRUE(all.scope_groups.empty());

  Key empty_blob = MakeKey(alice, "SHA256:alice1");
  empty_blob.blob.clear();
  ASSERT_OK_AND_ASSIGN(int64_t a1, txn->InsertKey(empty_blob));
  ASSERT_OK_AND_ASSIGN(Key a1_got, txn->GetKey(a1));
  EXPECT_TRUE(a1_got.blob.empty());

  EXPECT_ERROR(txn->InsertKey(MakeKey(999, "SHA256:nobody")), kNotFound, "user 999 not found");
  Key bad_scope = MakeKey(bob, "SHA256:bad");
  bad_scope.scope_all = false;
  bad_scope.scope_groups = {999};
  EXPECT_ERROR(txn->InsertKey(bad_scope), kNotFound, "host group 999 not found");
  EXPECT_ERROR(txn->FindKeyByFingerprint("SHA256:bad"), kNotFound, "not found");
  ASSERT_OK(txn->DeleteKey(a1));
  EXPECT_ERROR(txn->GetKey(a1), kNotFound, "key " + std::to_string(a1) + " not found");
  EXPECT_ERROR(txn->DeleteKey(a1), kNotFound, "key " + std::to_string(a1) + " not found");
  ASSERT_OK(txn->Commit());
}

TEST_P(StoreTest, ListKeysFilters) {
  const int64_t bob = AddUser("bob"), alice = AddUser("alice");
  auto txn = Write();
  auto add = [&](int64_t user, std::string fp, KeyState state, int64_t expires) {
    Key k = MakeKey(user, fp);
    k.state = state;
    k.expires = expires;
    StatusOr<int64_t> id = txn->InsertKey(k);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  };
  const int64_t k1 = add(bob, "fp1", KeyState::kActive, 0);
  const int64_t k2 = add(alice, "fp2", KeyState::kRevoked, 500);
  const int64_t k3 = add(bob, "fp3", KeyState::kActive, 100);
  const int64_t k4 = add(bob, "fp4", KeyState::kExpired, 900);
  auto ids = [&](const KeyFilter& f, PageRequest page = {}) {
    std::vector<int64_t> out;
    StatusOr<std::vector<Key>> keys = txn->ListKeys(f, page);
    EXPECT_TRUE(keys.ok()) << keys.status().ToString();
    if (keys.ok())
      for (const Key& k : *keys) out.push_back(k.id);
    return out;
  };
  using V = std::vector<int64_t>;
  EXPECT_EQ(ids({}), (V{k1, k2, k3, k4}));
  EXPECT_EQ(ids({bob, std::nullopt, 0}), (V{k1, k3, k4}));
  EXPECT_EQ(ids({0, KeyState::kActive, 0}), (V{k1, k3}));
  EXPECT_EQ(ids({0, std::nullopt, 600}), (V{k2, k3}));  // 0 < expires < 600
  EXPECT_EQ(ids({bob, KeyState::kActive, 600}), (V{k3}));
  EXPECT_EQ(ids({}, {k1, 2}), (V{k2, k3}));
  ASSERT_OK(txn->Commit());
}

TEST_P(StoreTest, KeysDueToExpire) {
  const int64_t bob = AddUser("bob");
  auto txn = Write();
  auto add = [&](std::string fp, int64_t created, int64_t expires, KeyState state) {
    Key k = MakeKey(bob, fp);
    k.created = created;
    k.expires = expires;
    k.state = state;
    StatusOr<int64_t> id = txn->InsertKey(k);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  };
  const int64_t past = add("past", 5000, 9000, KeyState::kActive);
  const int64_t now_exactly = add("now", 5000, 10000, KeyState::kActive);
  add("future", 5000, 10001, KeyState::kActive);
  add("never", 9500, 0, KeyState::kActive);
  add("revoked", 1000, 2000, KeyState::kRevoked);
  const int64_t old = add("old", 1000, 0, KeyState::kActive);
  auto ids = [&](int64_t now, int64_t max_age, int limit) {
    std::vector<int64_t> out;
    StatusOr<std::vector<Key>> keys = txn->KeysDueToExpire(now, max_age, limit);
    EXPECT_TRUE(keys.ok()) << keys.status().ToString();
    if (keys.ok())
      for (const Key& k : *keys) out.push_back(k.id);
    return out;
  };
  using V = std::vector<int64_t>;
  EXPECT_EQ(ids(10000, 0, 100), (V{past, now_exactly}));
  // max_age 9000: created + 9000 <= 10000 for created <= 1000.
  EXPECT_EQ(ids(10000, 9000, 100), (V{past, now_exactly, old}));
  EXPECT_EQ(ids(10000, 9000, 2), (V{past, now_exactly}));
  EXPECT_ERROR(txn->KeysDueToExpire(10000, 0, 0), kInvalidArgument, "limit");
  ASSERT_OK(txn->Commit());
}

// --- grants ---

TEST_P(StoreTest, GrantCrudAndFilters) {
  const int64_t bob = AddUser("bob"), g1 = AddGroup("g1"), g2 = AddGroup("g2");
  auto txn = Write();
  ASSERT_OK_AND_ASSIGN(int64_t ops, txn->InsertTeam(Team{0, "ops", {bob}, 1}));
  Grant direct = UserGrant(bob, g1, "root");
  direct.options = "no-port-forwarding,from=\"10.0.0.0/8\"";
  direct.ends_at = 2000;
  ASSERT_OK_AND_ASSIGN(direct.id, txn->InsertGrant(direct));
  ASSERT_OK_AND_ASSIGN(int64_t via_team, txn->InsertGrant(TeamGrant(ops, g2, "deploy")));
  ASSERT_OK_AND_ASSIGN(Grant got, txn->GetGrant(direct.id));
  EXPECT_EQ(got.user_id, bob);
  EXPECT_EQ(got.team_id, 0);
  EXPECT_EQ(got.group_id, g1);
  EXPECT_EQ(got.account, "root");
  EXPECT_EQ(got.options, direct.options);
  EXPECT_EQ(got.ends_at, 2000);
  EXPECT_EQ(got.created, 1700000300);
  ASSERT_OK_AND_ASSIGN(Grant team_got, txn->GetGrant(via_team));
  EXPECT_EQ(team_got.user_id, 0);
  EXPECT_EQ(team_got.team_id, ops);

  got.account = "admin";
  got.ends_at = 0;
  got.group_id = g2;
  ASSERT_OK(txn->UpdateGrant(got));
  ASSERT_OK_AND_ASSIGN(Grant updated, txn->GetGrant(direct.id));
  EXPECT_EQ(updated.account, "admin");
  EXPECT_EQ(updated.group_id, g2);

  auto ids = [&](const GrantFilter& f) {
    std::vector<int64_t> out;
    StatusOr<std::vector<Grant>> grants = txn->ListGrants(f, {});
    EXPECT_TRUE(grants.ok()) << grants.status().ToString();
    if (grants.ok())
      for (const Grant& g : *grants) out.push_back(g.id);
    return out;
  };
  using V = std::vector<int64_t>;
  EXPECT_EQ(ids({}), (V{direct.id, via_team}));
  EXPECT_EQ(ids({bob, 0, 0}), (V{direct.id}));
  EXPECT_EQ(ids({0, ops, 0}), (V{via_team}));
  EXPECT_EQ(ids({0, 0, g2}), (V{direct.id, via_team}));
  EXPECT_EQ(ids({0, 0, g1}), V{});

  Grant both = UserGrant(bob, g1, "x");
  both.team_id = ops;
  EXPECT_ERROR(txn->InsertGrant(both), kInvalidArgument, "exactly one");
  EXPECT_ERROR(txn->InsertGrant(UserGrant(0, g1, "x")), kInvalidArgument, "exactly one");
  EXPECT_ERROR(txn->InsertGrant(UserGrant(999, g1, "x")), kNotFound, "user 999 not found");
  EXPECT_ERROR(txn->InsertGrant(TeamGrant(999, g1, "x")), kNotFound, "team 999 not found");
  EXPECT_ERROR(txn->InsertGrant(UserGrant(bob, 999, "x")), kNotFound, "host group 999 not found");
  ASSERT_OK(txn->DeleteGrant(via_team));
  EXPECT_ERROR(txn->GetGrant(via_team), kNotFound, "grant " + std::to_string(via_team) + " not found");
  ASSERT_OK(txn->Commit());
}

TEST_P(StoreTest, GrantsEnded) {
  const int64_t bob = AddUser("bob"), g = AddGroup("g");
  auto txn = Write();
  auto add = [&](int64_t ends_at) {
    Grant gr = UserGrant(bob, g, "acct");
    gr.ends_at = ends_at;
    StatusOr<int64_t> id = txn->InsertGrant(gr);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  };
  const int64_t ended = add(100), at_now = add(500);
  add(0);
  add(501);
  ASSERT_OK_AND_ASSIGN(std::vector<Grant> got, txn->GrantsEnded(500, 10));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].id, ended);
  EXPECT_EQ(got[1].id, at_now);
  ASSERT_OK_AND_ASSIGN(std::vector<Grant> one, txn->GrantsEnded(500, 1));
  EXPECT_EQ(one.size(), 1u);
  ASSERT_OK(txn->Commit());
}

// --- deletes and their cascades ---

TEST_P(StoreTest, NotFoundForMissingRecords) {
  auto txn = Write();
  User u = MakeUser("x");
  u.id = 7;
  EXPECT_ERROR(txn->GetUser(7), kNotFound, "user 7 not found");
  EXPECT_ERROR(txn->UpdateUser(u), kNotFound, "user 7 not found");
  EXPECT_ERROR(txn->DeleteUser(7), kNotFound, "user 7 not found");
  EXPECT_ERROR(txn->UpdateTeam(Team{7, "t", {}, 0}), kNotFound, "team 7 not found");
  EXPECT_ERROR(txn->DeleteTeam(7), kNotFound, "team 7 not found");
  EXPECT_ERROR(txn->UpdateGroup(HostGroup{7, "g", 0}), kNotFound, "host group 7 not found");
  EXPECT_ERROR(txn->DeleteGroup(7), kNotFound, "host group 7 not found");
  Host h = MakeHost("h");
  h.id = 7;
  EXPECT_ERROR(txn->UpdateHost(h), kNotFound, "host 7 not found");
  EXPECT_ERROR(txn->DeleteHost(7), kNotFound, "host 7 not found");
  EXPECT_ERROR(txn->FindHost("web1"), kNotFound, "host \"web1\" not found");
  Key k = MakeKey(1, "fp");
  k.id = 7;
  EXPECT_ERROR(txn->UpdateKey(k), kNotFound, "key 7 not found");
  Grant g = UserGrant(1, 1, "a");
  g.id = 7;
  EXPECT_ERROR(txn->UpdateGrant(g), kNotFound, "grant 7 not found");
  EXPECT_ERROR(txn->DeleteGrant(7), kNotFound, "grant 7 not found");
  EXPECT_ERROR(txn->DeleteToken(7), kNotFound, "token 7 not found");
  EXPECT_ERROR(txn->RenderRows(7, ""), kNotFound, "host 7 not found");
  EXPECT_ERROR(txn->PutBundleState(BundleState{7, 1, {1}}), kNotFound, "host 7 not found");
  ASSERT_OK(txn->Commit());
}

TEST_P(StoreTest, DeleteUserCascades) {
  const int64_t bob = AddUser("bob"), amy = AddUser("amy"), g = AddGroup("g");
  auto txn = Write();
  ASSERT_OK_AND_ASSIGN(int64_t key, txn->InsertKey(MakeKey(bob, "fp-bob")));
  ASSERT_OK_AND_ASSIGN(int64_t amy_key, txn->InsertKey(MakeKey(amy, "fp-amy")));
  ASSERT_OK_AND_ASSIGN(int64_t grant, txn->InsertGrant(UserGrant(bob, g, "root")));
  ASSERT_OK_AND_ASSIGN(int64_t team, txn->InsertTeam(Team{0, "ops", {amy, bob}, 1}));
  ASSERT_OK(txn->DeleteUser(bob));
  EXPECT_ERROR(txn->GetKey(key), kNotFound, "not found");
  EXPECT_ERROR(txn->GetGrant(grant), kNotFound, "not found");
  ASSERT_OK_AND_ASSIGN(Team t, txn->GetTeam(team));
  EXPECT_EQ(t.members, (std::vector<int64_t>{amy}));
  ASSERT_OK(txn->GetKey(amy_key));
  ASSERT_OK(txn->Commit());
}

TEST_P(StoreTest, DeleteTeamCascades) {
  const int64_t bob = AddUser("bob"), g = AddGroup("g");
  auto txn = Write();
  ASSERT_OK_AND_ASSIGN(int64_t team, txn->InsertTeam(Team{0, "ops", {bob}, 1}));
  ASSERT_OK_AND_ASSIGN(int64_t grant, txn->InsertGrant(TeamGrant(team, g, "deploy")));
  ASSERT_OK(txn->DeleteTeam(team));
  EXPECT_ERROR(txn->GetGrant(grant), kNotFound, "not found");
  ASSERT_OK(txn->GetUser(bob));
  ASSERT_OK_AND_ASSIGN(std::vector<Team> teams, txn->TeamsOfUser(bob));
  EXPECT_TRUE(teams.empty());
  ASSERT_OK(txn->Commit());
}

TEST_P(StoreTest, DeleteGroupCascades) {
  const int64_t bob = AddUser("bob"), g1 = AddGroup("g1"), g2 = AddGroup("g2");
  auto txn = Write();
  ASSERT_OK_AND_ASSIGN(int64_t host, txn->InsertHost(MakeHost("web1", {g1, g2})));
  ASSERT_OK_AND_ASSIGN(int64_t grant, txn->InsertGrant(UserGrant(bob, g1, "root")));
  ASSERT_OK_AND_ASSIGN(int64_t other_grant, txn->InsertGrant(UserGrant(bob, g2, "root")));
  Key k = MakeKey(bob, "fp");
  k.scope_all = false;
  k.scope_groups = {g1, g2};
  ASSERT_OK_AND_ASSIGN(int64_t key, txn->InsertKey(k));
  ASSERT_OK(txn->DeleteGroup(g1));
  EXPECT_ERROR(txn->GetGrant(grant), kNotFound, "not found");
  ASSERT_OK(txn->GetGrant(other_grant));
  ASSERT_OK_AND_ASSIGN(Host h, txn->GetHost(host));
  EXPECT_EQ(h.groups, (std::vector<int64_t>{g2}));
  ASSERT_OK_AND_ASSIGN(Key got, txn->GetKey(key));
  EXPECT_FALSE(got.scope_all);
  EXPECT_EQ(got.scope_groups, (std::vector<int64_t>{g2}));
  ASSERT_OK(txn->Commit());
}

TEST_P(StoreTest, DeleteHostCascades) {
  const int64_t g = AddGroup("g");
  auto txn = Write();
  ASSERT_OK_AND_ASSIGN(int64_t web1, txn->InsertHost(MakeHost("web1", {g})));
  ASSERT_OK_AND_ASSIGN(int64_t web2, txn->InsertHost(MakeHost("web2", {g})));
  ASSERT_OK(txn->InsertToken(Token{0, TokenKind::kHost, "host:web1", web1, Bytes(32, 1), 5, 0}));
  ASSERT_OK(txn->InsertToken(Token{0, TokenKind::kHost, "host:web2", web2, Bytes(32, 2), 5, 0}));
  ASSERT_OK(txn->PutBundleState(BundleState{web1, 4, Bytes(32, 3)}));
  ASSERT_OK(txn->DeleteHost(web1));
  EXPECT_ERROR(txn->FindTokenByHash(Bytes(32, 1)), kNotFound, "token not found");
  ASSERT_OK(txn->FindTokenByHash(Bytes(32, 2)));
  ASSERT_OK_AND_ASSIGN(std::optional<BundleState> state, txn->GetBundleState(web1));
  EXPECT_FALSE(state.has_value());
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> hosts, txn->HostsInGroups({g}));
  EXPECT_EQ(hosts, (std::vector<int64_t>{web2}));
  ASSERT_OK(txn->Commit());
}

// --- pagination ---

TEST_P(StoreTest, KeysetPagination) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(AddUser("user" + std::to_string(i)));
  auto txn = Read();
  std::vector<int64_t> seen;
  PageRequest page{0, 2};
  for (int pages = 0; pages < 10; ++pages) {
    ASSERT_OK_AND_ASSIGN(std::vector<User> users, txn->ListUsers(page));
    EXPECT_LE(users.size(), 2u);
    if (users.empty()) break;
    for (int64_t id : UserIds(users)) seen.push_back(id);
    page.after = users.back().id;
  }
  EXPECT_EQ(seen, ids);
  ASSERT_OK_AND_ASSIGN(std::vector<User> after_last, txn->ListUsers({ids.back(), 100}));
  EXPECT_TRUE(after_last.empty());
  EXPECT_ERROR(txn->ListUsers({0, 0}), kInvalidArgument, "limit");
  ASSERT_OK_AND_ASSIGN(std::vector<HostGroup> groups, txn->ListGroups({}));
  EXPECT_TRUE(groups.empty());
}

TEST_P(StoreTest, IdsAreNeverReused) {
  const int64_t first = AddUser("first");
  auto txn = Write();
  ASSERT_OK(txn->DeleteUser(first));
  ASSERT_OK_AND_ASSIGN(int64_t second, txn->InsertUser(MakeUser("second")));
  EXPECT_GT(second, first);
  ASSERT_OK(txn->Commit());
}

// --- tokens, audit log, bundle state ---

TEST_P(StoreTest, Tokens) {
  const int64_t g = AddGroup("g");
  auto txn = Write();
  ASSERT_OK_AND_ASSIGN(int64_t host, txn->InsertHost(MakeHost("web1", {g})));
  const Bytes admin_hash(32, 0xab), host_hash(32, 0xcd);
  ASSERT_OK_AND_ASSIGN(int64_t admin,
                       txn->InsertToken(Token{0, TokenKind::kAdmin, "admin:alice", 0, admin_hash, 10, 99}));
  ASSERT_OK_AND_ASSIGN(int64_t host_token,
                       txn->InsertToken(Token{0, TokenKind::kHost, "host:web1", host, host_hash, 11, 0}));
  ASSERT_OK_AND_ASSIGN(Token got, txn->FindTokenByHash(admin_hash));
  EXPECT_EQ(got.id, admin);
  EXPECT_EQ(got.kind, TokenKind::kAdmin);
  EXPECT_EQ(got.name, "admin:alice");
  EXPECT_EQ(got.host_id, 0);
  EXPECT_EQ(got.hash, admin_hash);
  EXPECT_EQ(got.created, 10);
  EXPECT_EQ(got.expires, 99);

  // A taken hash is refused without showing it.
  const Status dup = txn->InsertToken(Token{0, TokenKind::kEnroll, "enroll", 0, admin_hash, 1, 0}).status();
  EXPECT_ERROR(dup, kAlreadyExists, "token hash already registered");
  EXPECT_EQ(dup.message().find("abab"), std::string::npos) << dup.ToString();
  EXPECT_ERROR(txn->InsertToken(Token{0, TokenKind::kHost, "h", 999, Bytes(32, 9), 1, 0}), kNotFound,
               "host 999 not found");

  ASSERT_OK_AND_ASSIGN(std::vector<Token> all, txn->ListTokens({}));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].id, host_token);
  EXPECT_EQ(all[1].kind, TokenKind::kHost);
  EXPECT_EQ(all[1].host_id, host);
  ASSERT_OK(txn->DeleteTokensOfHost(host));
  EXPECT_ERROR(txn->FindTokenByHash(host_hash), kNotFound, "token not found");
  ASSERT_OK(txn->DeleteToken(admin));
  ASSERT_OK_AND_ASSIGN(std::vector<Token> none, txn->ListTokens({}));
  EXPECT_TRUE(none.empty());
  ASSERT_OK(txn->Commit());
}

AuditEntry Entry(int64_t seq) {
  AuditEntry e;
  e.seq = seq;
  e.time = 1700000000 + seq;
  e.actor = "admin:alice";
  e.remote = seq == 1 ? "" : "192.0.2.7";
  e.action = "user.create";
  e.target = "user:bob" + std::to_string(seq);
  e.detail = "{\"n\":" + std::to_string(seq) + "}";
  e.prev_hash = Bytes(32, static_cast<uint8_t>(seq - 1));
  e.hash = Bytes(32, static_cast<uint8_t>(seq));
  return e;
}

TEST_P(StoreTest, AuditLog) {
  auto txn = Write();
  ASSERT_OK_AND_ASSIGN(std::optional<AuditEntry> none, txn->LastAudit());
  EXPECT_FALSE(none.has_value());
  for (int64_t seq = 1; seq <= 3; ++seq) ASSERT_OK(txn->AppendAudits({Entry(seq)}));
  EXPECT_ERROR(txn->AppendAudits({Entry(2)}), kAlreadyExists, "audit entry 2 already exists");
  ASSERT_OK(txn->Commit());

  auto read = Read();
  ASSERT_OK_AND_ASSIGN(std::optional<AuditEntry> last, read->LastAudit());
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->seq, 3);
  EXPECT_EQ(last->hash, Bytes(32, 3));
  ASSERT_OK_AND_ASSIGN(std::vector<AuditEntry> page, read->ListAudit({1, 10}));
  ASSERT_EQ(page.size(), 2u);
  const AuditEntry want = Entry(2);
  const AuditEntry& got = page[0];
  EXPECT_EQ(got.seq, 2);
  EXPECT_EQ(got.time, want.time);
  EXPECT_EQ(got.actor, want.actor);
  EXPECT_EQ(got.remote, want.remote);
  EXPECT_EQ(got.action, want.action);
  EXPECT_EQ(got.target, want.target);
  EXPECT_EQ(got.detail, want.detail);
  EXPECT_EQ(got.prev_hash, want.prev_hash);
  EXPECT_EQ(got.hash, want.hash);
  EXPECT_EQ(page[1].seq, 3);
  ASSERT_OK_AND_ASSIGN(std::vector<AuditEntry> first, read->ListAudit({0, 1}));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].seq, 1);
  EXPECT_EQ(first[0].remote, "");
}

TEST_P(StoreTest, BundleState) {
  auto txn = Write();
  ASSERT_OK_AND_ASSIGN(int64_t host, txn->InsertHost(MakeHost("web1")));
  ASSERT_OK_AND_ASSIGN(std::optional<BundleState> none, txn->GetBundleState(host));
  EXPECT_FALSE(none.has_value());
  ASSERT_OK(txn->PutBundleState(BundleState{host, 5, Bytes(32, 0x11)}));
  ASSERT_OK(txn->PutBundleState(BundleState{host, 8, Bytes(32, 0x22)}));
  ASSERT_OK(txn->Commit());
  auto read = Read();
  ASSERT_OK_AND_ASSIGN(std::optional<BundleState> got, read->GetBundleState(host));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->host_id, host);
  EXPECT_EQ(got->revision, 8);
  EXPECT_EQ(got->content_hash, Bytes(32, 0x22));
}

// --- TOTP enrolments ---

TotpSecret MakeTotp(int64_t user_id) {
  TotpSecret t;
  t.user_id = user_id;
  t.sealed_secret = {1, 2, 3, 4, 5, 0, 255};
  t.algorithm = "SHA256";
  t.digits = 8;
  t.period = 60;
  t.last_step = -1;
  t.fail_count = 2;
  t.fail_since = 1700000000;
  t.created = 1700000001;
  t.scratch_hashes = {Bytes(32, 0xaa), Bytes(32, 0x11)};
  return t;
}

TEST_P(StoreTest, TotpPutGetReplaceDelete) {
  auto txn = Write();
  ASSERT_OK_AND_ASSIGN(int64_t uid, txn->InsertUser(MakeUser("alice")));
  EXPECT_ERROR(txn->GetTotp(uid), kNotFound, "TOTP of user");
  EXPECT_ERROR(txn->PutTotp(MakeTotp(uid + 100)), kNotFound, "user");
  ASSERT_OK(txn->PutTotp(MakeTotp(uid)));
  ASSERT_OK(txn->Commit());

  auto read = Read();
  ASSERT_OK_AND_ASSIGN(TotpSecret got, read->GetTotp(uid));
  EXPECT_EQ(got.user_id, uid);
  EXPECT_EQ(got.sealed_secret, (Bytes{1, 2, 3, 4, 5, 0, 255}));
  EXPECT_EQ(got.algorithm, "SHA256");
  EXPECT_EQ(got.digits, 8);
  EXPECT_EQ(got.period, 60);
  EXPECT_EQ(got.last_step, -1);
  EXPECT_EQ(got.fail_count, 2);
  EXPECT_EQ(got.fail_since, 1700000000);
  EXPECT_EQ(got.created, 1700000001);
  ASSERT_EQ(got.scratch_hashes.size(), 2u);
  EXPECT_EQ(got.scratch_hashes[0], Bytes(32, 0x11));  // ascending
  EXPECT_EQ(got.scratch_hashes[1], Bytes(32, 0xaa));
  ASSERT_OK(read->Commit());

  // Replacing drops the old scratch codes and state.
  auto w = Write();
  TotpSecret again = MakeTotp(uid);
  again.algorithm = "SHA1";
  again.last_step = -1;
  again.fail_count = 0;
  again.scratch_hashes = {Bytes(32, 0x22)};
  ASSERT_OK(w->PutTotp(again));
  ASSERT_OK_AND_ASSIGN(TotpSecret replaced, w->GetTotp(uid));
  EXPECT_EQ(replaced.algorithm, "SHA1");
  EXPECT_EQ(replaced.fail_count, 0);
  EXPECT_EQ(replaced.scratch_hashes, std::vector<Bytes>{Bytes(32, 0x22)});
  ASSERT_OK(w->DeleteTotp(uid));
  EXPECT_ERROR(w->GetTotp(uid), kNotFound, "TOTP of user");
  EXPECT_ERROR(w->DeleteTotp(uid), kNotFound, "TOTP of user");
  ASSERT_OK(w->PutTotp(MakeTotp(uid)));
  // Deleting the user takes the enrolment and its scratch codes.
  ASSERT_OK(w->DeleteUser(uid));
  EXPECT_ERROR(w->GetTotp(uid), kNotFound, "TOTP of user");
  ASSERT_OK(w->Commit());
}

// One step through the group form the center uses: true when recorded.
template <class TxnPtr>
StatusOr<bool> AcceptOne(TxnPtr& txn, int64_t uid, int64_t step) {
  KW_ASSIGN_OR_RETURN(std::vector<int64_t> won, txn->AcceptTotpSteps({{uid, step}}));
  return won == std::vector<int64_t>{uid};
}

TEST_P(StoreTest, TotpStepsAreAcceptedOnceAndOnlyForward) {
  auto txn = Write();
  ASSERT_OK_AND_ASSIGN(int64_t uid, txn->InsertUser(MakeUser("alice")));
  ASSERT_OK(txn->PutTotp(MakeTotp(uid)));
  ASSERT_OK_AND_ASSIGN(bool first, AcceptOne(txn, uid, 1000));
  EXPECT_TRUE(first);
  ASSERT_OK_AND_ASSIGN(bool same, AcceptOne(txn, uid, 1000));
  EXPECT_FALSE(same);
  ASSERT_OK_AND_ASSIGN(bool earlier, AcceptOne(txn, uid, 999));
  EXPECT_FALSE(earlier);
  ASSERT_OK_AND_ASSIGN(bool later, AcceptOne(txn, uid, 1001));
  EXPECT_TRUE(later);
  ASSERT_OK_AND_ASSIGN(bool nobody, AcceptOne(txn, uid + 100, 5));
  EXPECT_FALSE(nobody);
  ASSERT_OK_AND_ASSIGN(TotpSecret t, txn->GetTotp(uid));
  EXPECT_EQ(t.last_step, 1001);
  EXPECT_EQ(t.fail_count, 0);  // cleared by an accepted step
  ASSERT_OK(txn->Commit());
  // Committed: a later transaction sees the step as used.
  auto w = Write();
  ASSERT_OK_AND_ASSIGN(bool replay, AcceptOne(w, uid, 1001));
  EXPECT_FALSE(replay);
}

TEST_P(StoreTest, TotpScratchCodesWorkOnceAndFailuresAreKept) {
  auto txn = Write();
  ASSERT_OK_AND_ASSIGN(int64_t uid, txn->InsertUser(MakeUser("alice")));
  ASSERT_OK(txn->PutTotp(MakeTotp(uid)));
  ASSERT_OK(txn->SetTotpFailuresMany({{uid, 3, 1700000100}}));
  ASSERT_OK_AND_ASSIGN(TotpSecret t, txn->GetTotp(uid));
  EXPECT_EQ(t.fail_count, 3);
  EXPECT_EQ(t.fail_since, 1700000100);
  ASSERT_OK(txn->SetTotpFailuresMany({{uid + 100, 1, 1}}));  // no such user: skipped
  ASSERT_OK_AND_ASSIGN(bool used, txn->UseTotpScratch(uid, Bytes(32, 0xaa)));
  EXPECT_TRUE(used);
  ASSERT_OK_AND_ASSIGN(bool again, txn->UseTotpScratch(uid, Bytes(32, 0xaa)));
  EXPECT_FALSE(again);
  ASSERT_OK_AND_ASSIGN(bool unknown, txn->UseTotpScratch(uid, Bytes(32, 0x33)));
  EXPECT_FALSE(unknown);
  ASSERT_OK_AND_ASSIGN(TotpSecret after, txn->GetTotp(uid));
  EXPECT_EQ(after.scratch_hashes, std::vector<Bytes>{Bytes(32, 0x11)});
  EXPECT_EQ(after.fail_count, 0);
  ASSERT_OK(txn->Commit());
  auto read = Read();
  EXPECT_EQ(AcceptOne(read, uid, 5).status().code(), StatusCode::kFailedPrecondition);
}

TEST_P(StoreTest, TotpGroupOperations) {
  auto txn = Write();
  std::vector<int64_t> ids;
  // 70 enrolled users (more than one run of 64 rows), one without TOTP.
  for (int i = 0; i < 70; ++i) {
    ASSERT_OK_AND_ASSIGN(int64_t uid, txn->InsertUser(MakeUser("u" + std::to_string(i))));
    TotpSecret t = MakeTotp(uid);
    t.scratch_hashes = {Bytes(32, static_cast<uint8_t>(i)), Bytes(32, 0xee)};
    ASSERT_OK(txn->PutTotp(t));
    ids.push_back(uid);
  }
  ASSERT_OK_AND_ASSIGN(int64_t plain, txn->InsertUser(MakeUser("plain")));
  std::vector<std::string> names = {"u3", "nobody", "plain", "u3", "u69"};
  for (int i = 0; i < 70; ++i) names.push_back("u" + std::to_string(i));
  ASSERT_OK_AND_ASSIGN(std::vector<TotpAccount> accounts, txn->FindTotpAccounts(names));
  ASSERT_EQ(accounts.size(), 71u);  // each once, "nobody" left out
  for (size_t i = 0; i + 1 < accounts.size(); ++i) EXPECT_LT(accounts[i].user.id, accounts[i + 1].user.id);
  for (const TotpAccount& a : accounts) {
    if (a.user.id == plain) {
      EXPECT_FALSE(a.totp);
      continue;
    }
    ASSERT_TRUE(a.totp) << a.user.name;
    EXPECT_EQ(a.totp->user_id, a.user.id);
    EXPECT_EQ(a.totp->algorithm, "SHA256");
    EXPECT_TRUE(a.totp->scratch_hashes.empty()) << a.user.name;  // not loaded here
  }

  // Steps: forward only; a user without TOTP and a stale step are not won.
  std::vector<std::pair<int64_t, int64_t>> steps;
  for (int i = 0; i < 70; ++i) steps.emplace_back(ids[i], 100 + i);
  steps.emplace_back(plain, 5);
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> won, txn->AcceptTotpSteps(steps));
  EXPECT_EQ(won, ids);
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> again, txn->AcceptTotpSteps({{ids[0], 100}, {ids[1], 200}, {ids[2], 50}}));
  EXPECT_EQ(again, std::vector<int64_t>{ids[1]});
  ASSERT_OK_AND_ASSIGN(TotpSecret t1, txn->GetTotp(ids[1]));
  EXPECT_EQ(t1.last_step, 200);
  EXPECT_EQ(t1.fail_count, 0);

  // Failure counters for many users at once.
  std::vector<std::array<int64_t, 3>> failures;
  for (int i = 0; i < 70; ++i) failures.push_back({ids[i], i, 1000 + i});
  failures.push_back({plain, 9, 9});
  ASSERT_OK(txn->SetTotpFailuresMany(failures));
  ASSERT_OK_AND_ASSIGN(TotpSecret t69, txn->GetTotp(ids[69]));
  EXPECT_EQ(t69.fail_count, 69);
  EXPECT_EQ(t69.fail_since, 1069);
  ASSERT_OK(txn->Commit());
  auto read = Read();
  EXPECT_EQ(read->AcceptTotpSteps({{ids[0], 1000}}).status().code(), StatusCode::kFailedPrecondition);
}

TEST_P(StoreTest, AppendAuditsInRuns) {
  auto txn = Write();
  std::vector<AuditEntry> entries;
  for (int i = 1; i <= 75; ++i) {  // a run of 64, one of 8, three of 1
    AuditEntry e;
    e.seq = i;
    e.time = 1000 + i;
    e.actor = "host:b" + std::to_string(i);
    e.remote = "127.0.0.1";
    e.action = "totp.verify";
    e.target = "user:u";
    e.detail = "{\"outcome\":\"accepted\"}";
    e.prev_hash = Bytes(32, static_cast<uint8_t>(i - 1));
    e.hash = Bytes(32, static_cast<uint8_t>(i));
    entries.push_back(e);
  }
  ASSERT_OK(txn->AppendAudits(entries));
  ASSERT_OK(txn->AppendAudits({}));
  EXPECT_ERROR(txn->AppendAudits({entries[74]}), kAlreadyExists, "audit entry 75 already exists");
  ASSERT_OK_AND_ASSIGN(std::vector<AuditEntry> back, txn->ListAudit({0, 1000}));
  ASSERT_EQ(back.size(), 75u);
  for (int i = 0; i < 75; ++i) {
    EXPECT_EQ(back[i].seq, i + 1);
    EXPECT_EQ(back[i].actor, entries[i].actor);
    EXPECT_EQ(back[i].hash, entries[i].hash);
    EXPECT_EQ(back[i].prev_hash, entries[i].prev_hash);
    EXPECT_EQ(back[i].detail, entries[i].detail);
  }
  ASSERT_OK(txn->Commit());
}

TEST_P(StoreTest, TotpStepAcceptedByExactlyOneOfTwoStoresRacing) {
  // Two Store instances stand for two keywardd processes on one database:
  // every attempt offers the same step; exactly one may win.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> other, OpenStore(url_));
  int64_t uid = 0;
  {
    auto txn = Write();
    ASSERT_OK_AND_ASSIGN(uid, txn->InsertUser(MakeUser("alice")));
    ASSERT_OK(txn->PutTotp(MakeTotp(uid)));
    ASSERT_OK(txn->Commit());
  }
  for (int64_t step = 10; step < 15; ++step) {
    std::atomic<int> wins{0}, errors{0};
    auto racer = [&](Store* store) {
      for (int i = 0; i < 5; ++i) {
        auto txn = store->Begin(TxnMode::kWrite);
        if (!txn.ok()) {
          ++errors;
          continue;
        }
        StatusOr<bool> won = AcceptOne(*txn, uid, step);
        if (!won.ok() || !(*txn)->Commit().ok()) {
          ++errors;
        } else if (*won) {
          ++wins;
        }
      }
    };
    std::thread a(racer, store_.get()), b(racer, other.get()), c(racer, store_.get()), d(racer, other.get());
    a.join();
    b.join();
    c.join();
    d.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(wins.load(), 1) << "step " << step;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite", "postgres"), BackendName);

}  // namespace
}  // namespace kw::store::test
