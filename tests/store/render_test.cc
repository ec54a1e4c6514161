// RenderRows (src/store/store.h) on every backend: the rows a host's
// authorized_keys are rendered from.
#include <gtest/gtest.h>

#include "store_env.h"

namespace kw::store::test {
namespace {

// Groups g1, g2, g3; host web1 in g1 and g2. alice: keys a1, a2 (a2 scoped
// to g3); bob: key b1 (revoked), in team ops with carol (key c1); dave has
// a key but no grant. Grants: alice root@g1, ops deploy@g2, alice
// deploy@g2 (with options), dave root@g3 (web1 is not in g3).
class RenderTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    auto txn = Write();
    ASSERT_TRUE(txn);
    auto user = [&](const char* name) { return txn->InsertUser(MakeUser(name)); };
    ASSERT_OK_AND_ASSIGN(alice, user("alice"));
    ASSERT_OK_AND_ASSIGN(bob, user("bob"));
    ASSERT_OK_AND_ASSIGN(carol, user("carol"));
    ASSERT_OK_AND_ASSIGN(dave, user("dave"));
    ASSERT_OK_AND_ASSIGN(g1, txn->InsertGroup(HostGroup{0, "g1", 1}));
    ASSERT_OK_AND_ASSIGN(g2, txn->InsertGroup(HostGroup{0, "g2", 1}));
    ASSERT_OK_AND_ASSIGN(g3, txn->InsertGroup(HostGroup{0, "g3", 1}));
    ASSERT_OK_AND_ASSIGN(web1, txn->InsertHost(MakeHost("web1", {g1, g2})));
    ASSERT_OK_AND_ASSIGN(web2, txn->InsertHost(MakeHost("web2", {g3})));
    ASSERT_OK_AND_ASSIGN(b1, txn->InsertKey(MakeKey(bob, "b1")));
    ASSERT_OK_AND_ASSIGN(a1, txn->InsertKey(MakeKey(alice, "a1")));
    Key scoped = MakeKey(alice, "a2");
    scoped.scope_all = false;
    scoped.scope_groups = {g3, g1};
    ASSERT_OK_AND_ASSIGN(a2, txn->InsertKey(scoped));
    ASSERT_OK_AND_ASSIGN(c1, txn->InsertKey(MakeKey(carol, "c1")));
    ASSERT_OK_AND_ASSIGN(d1, txn->InsertKey(MakeKey(dave, "d1")));
    ASSERT_OK_AND_ASSIGN(Key b1_key, txn->GetKey(b1));
    b1_key.state = KeyState::kRevoked;
    ASSERT_OK(txn->UpdateKey(b1_key));
    ASSERT_OK_AND_ASSIGN(ops, txn->InsertTeam(Team{0, "ops", {bob, carol}, 1}));
    ASSERT_OK_AND_ASSIGN(root_alice, txn->InsertGrant(UserGrant(alice, g1, "root")));
    ASSERT_OK_AND_ASSIGN(deploy_ops, txn->InsertGrant(TeamGrant(ops, g2, "deploy")));
    Grant with_options = UserGrant(alice, g2, "deploy");
    with_options.options = "no-pty";
    with_options.ends_at = 4000;
    ASSERT_OK_AND_ASSIGN(deploy_alice, txn->InsertGrant(with_options));
    ASSERT_OK_AND_ASSIGN(root_dave, txn->InsertGrant(UserGrant(dave, g3, "root")));
    ASSERT_OK(txn->Commit());
  }

  // "account grant key" per row, for compact comparisons.
  std::vector<std::string> Rows(int64_t host, std::string_view account) {
    std::vector<std::string> out;
    auto txn = Read();
    if (!txn) return out;
    StatusOr<std::vector<RenderRow>> rows = txn->RenderRows(host, account);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok()) return out;
    for (const RenderRow& r : *rows)
      out.push_back(r.account + " " + std::to_string(r.grant_id) + " " + r.key.fingerprint);
    return out;
  }
  std::string Row(const std::string& account, int64_t grant, const std::string& key) {
    return account + " " + std::to_string(grant) + " " + key;
  }

  int64_t alice = 0, bob = 0, carol = 0, dave = 0, g1 = 0, g2 = 0, g3 = 0, web1 = 0, web2 = 0;
  int64_t a1 = 0, a2 = 0, b1 = 0, c1 = 0, d1 = 0, ops = 0;
  int64_t root_alice = 0, deploy_ops = 0, deploy_alice = 0, root_dave = 0;
};

TEST_P(RenderTest, DirectAndTeamGrantsOrderedByAccountKeyGrant) {
  // deploy: a1 and a2 through alice's grant; b1 and c1 through ops. Keys in
  // id order (b1 < a1 < a2 < c1), then grants.
  EXPECT_EQ(Rows(web1, ""), (std::vector<std::string>{
                                Row("deploy", deploy_ops, "b1"),
                                Row("deploy", deploy_alice, "a1"),
                                Row("deploy", deploy_alice, "a2"),
                                Row("deploy", deploy_ops, "c1"),
                                Row("root", root_alice, "a1"),
                                Row("root", root_alice, "a2"),
                            }));
}

TEST_P(RenderTest, AccountFilter) {
  EXPECT_EQ(Rows(web1, "root"),
            (std::vector<std::string>{Row("root", root_alice, "a1"), Row("root", root_alice, "a2")}));
  EXPECT_TRUE(Rows(web1, "nobody").empty());
  EXPECT_EQ(Rows(web1, std::string_view()).size(), 6u);  // a null view is "" too
}

TEST_P(RenderTest, RowsCarryGrantUserAndKey) {
  auto txn = Read();
  ASSERT_OK_AND_ASSIGN(std::vector<RenderRow> rows, txn->RenderRows(web1, "deploy"));
  ASSERT_EQ(rows.size(), 4u);
  const RenderRow& b = rows[0];
  EXPECT_EQ(b.grant_id, deploy_ops);
  EXPECT_EQ(b.group_id, g2);
  EXPECT_EQ(b.user.id, bob);
  EXPECT_EQ(b.user.name, "bob");
  EXPECT_EQ(b.user.email, "bob@example.com");
  EXPECT_EQ(b.key.id, b1);
  EXPECT_EQ(b.key.user_id, bob);
  EXPECT_EQ(b.key.state, KeyState::kRevoked);  // every state: the center filters
  EXPECT_EQ(b.key.blob, MakeKey(bob, "x").blob);
  EXPECT_TRUE(b.key.scope_all);
  const RenderRow& a = rows[2];
  EXPECT_EQ(a.grant_id, deploy_alice);
  EXPECT_EQ(a.options, "no-pty");
  EXPECT_EQ(a.grant_ends_at, 4000);
  EXPECT_EQ(a.key.id, a2);
  EXPECT_FALSE(a.key.scope_all);
  EXPECT_EQ(a.key.scope_groups, (std::vector<int64_t>{g1, g3}));
  EXPECT_EQ(rows[3].user.name, "carol");
}

TEST_P(RenderTest, HostInSeveralGroups) {
  // web2 is only in g3: dave's grant alone.
  EXPECT_EQ(Rows(web2, ""), (std::vector<std::string>{Row("root", root_dave, "d1")}));
  // A second grant of the same account to alice on web1's other group gives
  // each key once per grant, with the group it came through.
  auto txn = Write();
  ASSERT_OK_AND_ASSIGN(int64_t root_alice_g2, txn->InsertGrant(UserGrant(alice, g2, "root")));
  ASSERT_OK_AND_ASSIGN(std::vector<RenderRow> rows, txn->RenderRows(web1, "root"));
  ASSERT_OK(txn->Commit());
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].key.id, a1);
  EXPECT_EQ(rows[0].grant_id, root_alice);
  EXPECT_EQ(rows[0].group_id, g1);
  EXPECT_EQ(rows[1].key.id, a1);
  EXPECT_EQ(rows[1].grant_id, root_alice_g2);
  EXPECT_EQ(rows[1].group_id, g2);
  EXPECT_EQ(rows[2].key.id, a2);
  EXPECT_EQ(rows[2].key.scope_groups, (std::vector<int64_t>{g1, g3}));
  EXPECT_EQ(rows[3].key.id, a2);
  EXPECT_EQ(rows[3].key.scope_groups, (std::vector<int64_t>{g1, g3}));
}

TEST_P(RenderTest, ChangesShowAtOnce) {
  // Removing carol from ops and adding web1 to g3 changes the rows.
  auto txn = Write();
  ASSERT_OK(txn->UpdateTeam(Team{ops, "ops", {bob}, 1}));
  ASSERT_OK_AND_ASSIGN(Host h, txn->GetHost(web1));
  h.groups.push_back(g3);
  ASSERT_OK(txn->UpdateHost(h));
  ASSERT_OK_AND_ASSIGN(std::vector<RenderRow> rows, txn->RenderRows(web1, ""));
  std::vector<std::string> got;
  for (const RenderRow& r : rows) got.push_back(r.account + " " + r.key.fingerprint);
  EXPECT_EQ(got, (std::vector<std::string>{"deploy b1", "deploy a1", "deploy a2", "root a1", "root a2", "root d1"}));
  ASSERT_OK(txn->Commit());
}

INSTANTIATE_TEST_SUITE_P(Backends, RenderTest, ::testing::Values("sqlite", "postgres"), BackendName);

}  // namespace
}  // namespace kw::store::test
