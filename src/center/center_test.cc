// The key center's rules, over a real SQLite store in a temporary directory,
// with a fake clock. The HTTP layer and PostgreSQL are covered by tests/api.
#include "center/center.h"

#include <gtest/gtest.h>

#include "otp/otp.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "base/rng.h"
#include "center/config.h"
#include "center/render.h"
#include "crypto/hash.h"
#include "formats/authorized_keys.h"
#include "formats/bundle.h"
#include "formats/private_key.h"
#include "formats/public_key.h"
#include "formats/sshsig.h"
#include "support/temp_dir.h"

namespace kw::center {
namespace {

constexpr int64_t kNow = 1'800'000'000;  // 2027-01-15

class CenterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = kw::test::TempDir::Create("kw-center");
    ASSERT_TRUE(dir.ok());
    dir_.emplace(std::move(*dir));
    auto s = store::OpenStore("sqlite:" + dir_->Path("center.db"));
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
    DeterministicRng rng(7);
    auto key = formats::PrivateKey::Generate(formats::KeyType::kEd25519, 0, rng);
    ASSERT_TRUE(key.ok());
    auto signer = formats::KeySigner::Create(*key);
    ASSERT_TRUE(signer.ok());
    center_ = std::make_unique<Center>(store_.get(), Policy{}, clock_, rng_, std::move(*signer));
  }

  // A new user key line, "ssh-ed25519 AAAA... comment".
  std::string NewKeyLine(const std::string& comment = "laptop") {
    auto key = formats::PrivateKey::Generate(formats::KeyType::kEd25519, 0, rng_);
    EXPECT_TRUE(key.ok());
    return formats::FormatPublicKey(key->public_key(), comment);
  }

  // alice, with one key, granted "deploy" on group "web", host web1 in it.
  int64_t Seed(const std::string& options = "") {
    EXPECT_TRUE(center_->CreateUser(admin_, {"alice", "alice@example.com"}).ok());
    EXPECT_TRUE(center_->CreateGroup(admin_, "web").ok());
    EXPECT_TRUE(center_->CreateHost(admin_, {"web1", {"web"}}).ok());
    auto key = center_->AddKey(admin_, {"alice", NewKeyLine(), std::nullopt, 0, std::nullopt});
    EXPECT_TRUE(key.ok()) << key.status().message();
    NewGrant g;
    g.user = "alice";
    g.group = "web";
    g.account = "deploy";
    g.options = options;
    auto grant = center_->CreateGrant(admin_, g);
    EXPECT_TRUE(grant.ok()) << grant.status().message();
    return key.ok() ? key->key.id : 0;
  }

  std::string Render(const std::string& host = "web1", const std::string& account = "deploy") {
    auto text = center_->RenderKeys(host, account);
    EXPECT_TRUE(text.ok()) << text.status().message();
    return text.ok() ? *text : "";
  }

  std::optional<kw::test::TempDir> dir_;
  FakeClock clock_{kNow};
  DeterministicRng rng_{99};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Center> center_;
  Actor admin_{"admin:test", "127.0.0.1"};
};

TEST_F(CenterTest, RendersAGrantedKeyWithExpiryAndTraceableComment) {
  int64_t id = Seed("from=\"10.0.0.0/8\",no-pty");
  std::string text = Render();
  auto key = center_->GetKey(id);
  ASSERT_TRUE(key.ok());
  // Policy: 90 days from registration.
  std::string expect = "from=\"10.0.0.0/8\",no-pty,expiry-time=\"" + ExpiryTimeText(kNow + 90 * 86400) +
                       "\" ssh-ed25519 ";
  EXPECT_EQ(text.rfind(expect, 0), 0u) << text;
  EXPECT_NE(text.find(" keyward:alice:key-" + std::to_string(id) + "\n"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  EXPECT_EQ(Render("web1", "root"), "");  // no grant for root
  EXPECT_EQ(Render(), text);              // stable bytes
}

// Every rendered line is one the authorized_keys parser (sshd's rules, the
// host-files issue) reads without a problem, options and expiry included.
TEST_F(CenterTest, RenderedLinesPassTheAuthorizedKeysParser) {
  Seed("restrict,command=\"echo \\\"hi\\\"\",from=\"10.0.0.0/8,!10.1.0.0/16\",permitopen=\"db:5432\"");
  ASSERT_TRUE(center_->CreateUser(admin_, {"bob", ""}).ok());
  ASSERT_TRUE(center_->AddKey(admin_, {"bob", NewKeyLine(), std::nullopt, kNow + 600, std::nullopt}).ok());
  NewGrant g;
  g.user = "bob";
  g.group = "web";
  g.account = "deploy";
  g.ends_at = kNow + 300;
  ASSERT_TRUE(center_->CreateGrant(admin_, g).ok());
  std::string text = Render();
  ASSERT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  formats::AuthParseOptions parse;
  parse.local_time = formats::UtcAsLocalTime();
  auto problems = formats::LintAuthorizedKeys(text, kNow, parse);
  for (const auto& p : problems) ADD_FAILURE() << "line " << p.line << ": " << p.reason << "\n" << text;
  auto lines = formats::ParseAuthorizedKeys(text, parse);
  ASSERT_EQ(lines.size(), 2u);
  for (const auto& l : lines) EXPECT_EQ(l.kind, formats::AuthLineKind::kKey) << l.reason;
  // bob's line expires with the grant, the earlier of the two ends.
  EXPECT_NE(text.find("expiry-time=\"" + ExpiryTimeText(kNow + 300) + "\""), std::string::npos) << text;
  // At the expiry, the same text is refused by the parser's clock too.
  EXPECT_FALSE(formats::LintAuthorizedKeys(text, kNow + 301, parse).empty());
}

TEST_F(CenterTest, RevokeOffboardAndSuspendRemoveLines) {
  int64_t id = Seed();
  ASSERT_FALSE(Render().empty());
  ASSERT_TRUE(center_->RevokeKey(admin_, id, "lost laptop").ok());
  EXPECT_EQ(Render(), "");
  EXPECT_EQ(center_->RevokeKey(admin_, id, "").status().code(), StatusCode::kFailedPrecondition);

  ASSERT_TRUE(center_->AddKey(admin_, {"alice", NewKeyLine(), std::nullopt, 0, std::nullopt}).ok());
  ASSERT_FALSE(Render().empty());
  UserPatch suspend;
  suspend.state = store::UserState::kSuspended;
  ASSERT_TRUE(center_->UpdateUser(admin_, "alice", suspend).ok());
  EXPECT_EQ(Render(), "");
  UserPatch activate;
  activate.state = store::UserState::kActive;
  ASSERT_TRUE(center_->UpdateUser(admin_, "alice", activate).ok());
  ASSERT_FALSE(Render().empty());

  auto off = center_->Offboard(admin_, "alice");
  ASSERT_TRUE(off.ok()) << off.status().message();
  EXPECT_EQ(off->keys_revoked, 1);
  EXPECT_EQ(off->grants_removed, 1);
  EXPECT_EQ(Render(), "");
  auto keys = center_->ListKeys("alice", store::KeyState::kActive, 0, {0, 100});
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(keys->items.empty());
  EXPECT_EQ(center_->GetUser("alice")->state, store::UserState::kOffboarded);
  // An offboarded user gets no new keys or grants.
  EXPECT_EQ(center_->AddKey(admin_, {"alice", NewKeyLine(), std::nullopt, 0, std::nullopt}).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(CenterTest, PolicyRefusesKeysWithTheReason) {
  ASSERT_TRUE(center_->CreateUser(admin_, {"bob", ""}).ok());
  // ssh-dss is not allowed by default (a 1024-bit DSA key from the
  // formats test data would do; any well-formed DSA blob is refused by type).
  auto dss = center_->AddKey(admin_, {"bob", "ssh-dss AAAAB3NzaC1kc3MAAAABAQAAAAEBAAAAAQEAAAABAQ== x",
                                      std::nullopt, 0, std::nullopt});
  EXPECT_EQ(dss.status().code(), StatusCode::kInvalidArgument);
  auto junk = center_->AddKey(admin_, {"bob", "ssh-ed25519 AAAA", std::nullopt, 0, std::nullopt});
  EXPECT_EQ(junk.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(junk.status().message().find("public_key: "), std::string::npos) << junk.status().message();
  auto past = center_->AddKey(admin_, {"bob", NewKeyLine(), std::nullopt, kNow - 1, std::nullopt});
  EXPECT_EQ(past.status().code(), StatusCode::kInvalidArgument);
  auto nl = center_->AddKey(admin_, {"bob", NewKeyLine() + "\nssh-ed25519 AAAA", std::nullopt, 0, std::nullopt});
  EXPECT_EQ(nl.status().code(), StatusCode::kInvalidArgument);
  // Twice the same key: 409.
  std::string line = NewKeyLine();
  ASSERT_TRUE(center_->AddKey(admin_, {"bob", line, std::nullopt, 0, std::nullopt}).ok());
  EXPECT_EQ(center_->AddKey(admin_, {"bob", line, std::nullopt, 0, std::nullopt}).status().code(),
            StatusCode::kAlreadyExists);
}

TEST_F(CenterTest, GrantOptionsAreCheckedLikeSshd) {
  Seed();
  NewGrant g;
  g.user = "alice";
  g.group = "web";
  g.account = "root";
  for (const char* bad : {"no-such-option", "command=\"unterminated", "expiry-time=\"20300101\"", "cert-authority",
                          "restrict ssh-ed25519", "no-pty\nssh-ed25519 AAAA"}) {
    g.options = bad;
    auto r = center_->CreateGrant(admin_, g);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  g.options = "restrict,command=\"uptime\"";
  EXPECT_TRUE(center_->CreateGrant(admin_, g).ok());
  g.account = "../etc";
  g.options = "";
  EXPECT_EQ(center_->CreateGrant(admin_, g).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CenterTest, ExpiryByPolicyAndTemporaryGrantsEnd) {
  Seed();
  NewGrant g;
  g.user = "alice";
  g.group = "web";
  g.account = "ops";
  g.ends_at = kNow + 3600;
  ASSERT_TRUE(center_->CreateGrant(admin_, g).ok());
  std::string ops = Render("web1", "ops");
  EXPECT_NE(ops.find("expiry-time=\"" + ExpiryTimeText(kNow + 3600) + "\""), std::string::npos) << ops;
  clock_.Advance(3600);
  EXPECT_EQ(Render("web1", "ops"), "");  // by the clock, before any sweep
  auto swept = center_->Sweep();
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 1);  // the grant
  EXPECT_FALSE(Render().empty());
  clock_.Set(kNow + 90 * 86400);
  EXPECT_EQ(Render(), "");
  swept = center_->Sweep();
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 1);  // the key
  auto expired = center_->ListKeys("alice", store::KeyState::kExpired, 0, {0, 10});
  ASSERT_TRUE(expired.ok());
  ASSERT_EQ(expired->items.size(), 1u);
  EXPECT_EQ(expired->items[0].key.state_reason, "maximum age");
  EXPECT_EQ(*center_->Sweep(), 0);
}

TEST_F(CenterTest, TeamsAndScopes) {
  Seed();
  ASSERT_TRUE(center_->CreateUser(admin_, {"carol", ""}).ok());
  ASSERT_TRUE(center_->CreateGroup(admin_, "db").ok());
  ASSERT_TRUE(center_->CreateHost(admin_, {"db1", {"db"}}).ok());
  ASSERT_TRUE(center_->CreateTeam(admin_, "dba", {"carol"}).ok());
  // carol's key is scoped to web only; the team is granted db.
  auto k = center_->AddKey(admin_, {"carol", NewKeyLine(), std::nullopt, 0, std::vector<std::string>{"web"}});
  ASSERT_TRUE(k.ok()) << k.status().message();
  NewGrant g;
  g.team = "dba";
  g.group = "db";
  g.account = "postgres";
  ASSERT_TRUE(center_->CreateGrant(admin_, g).ok());
  EXPECT_EQ(Render("db1", "postgres"), "");  // out of scope
  KeyPatch widen;
  widen.scope = std::optional<std::vector<std::string>>(std::vector<std::string>{"web", "db"});
  ASSERT_TRUE(center_->UpdateKey(admin_, k->key.id, widen).ok());
  EXPECT_NE(Render("db1", "postgres").find("keyward:carol:key-"), std::string::npos);
  ASSERT_TRUE(center_->SetTeamMembers(admin_, "dba", {}).ok());
  EXPECT_EQ(Render("db1", "postgres"), "");
}

TEST_F(CenterTest, BundleIsSignedAndItsRevisionMovesOnlyWithItsContent) {
  int64_t id = Seed();
  auto web1 = center_->HostId("web1");
  ASSERT_TRUE(web1.ok());
  auto b1 = center_->Bundle(*web1);
  ASSERT_TRUE(b1.ok()) << b1.status().message();
  auto decoded = formats::DecodeBundle(b1->bundle);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(decoded->host, "web1");
  EXPECT_EQ(decoded->revision, b1->revision);
  EXPECT_EQ(decoded->authorized_keys.at("deploy"), Render());

  auto blob = formats::DearmorSshsig(b1->signature);
  ASSERT_TRUE(blob.ok());
  auto sig = formats::ParseSshsig(*blob);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->key.plain(), center_->signing_key());
  Bytes digest = crypto::Digest(crypto::HashAlg::kSha512, AsBytes(b1->bundle));
  EXPECT_TRUE(formats::VerifySshsig(*sig, formats::kBundleNamespace, digest).ok());
  std::string tampered = b1->bundle;
  tampered[tampered.find("deploy")] = 'D';
  EXPECT_FALSE(formats::VerifySshsig(*sig, formats::kBundleNamespace,
                                     crypto::Digest(crypto::HashAlg::kSha512, AsBytes(tampered)))
                   .ok());

  // A change elsewhere moves the global revision, not web1's bundle.
  ASSERT_TRUE(center_->CreateUser(admin_, {"dave", ""}).ok());
  auto b2 = center_->Bundle(*web1);
  ASSERT_TRUE(b2.ok());
  EXPECT_GT(center_->revision(), b1->revision);
  EXPECT_EQ(b2->revision, b1->revision);
  EXPECT_EQ(b2->bundle, b1->bundle);
  // A revocation moves it.
  ASSERT_TRUE(center_->RevokeKey(admin_, id, "").ok());
  auto b3 = center_->Bundle(*web1);
  ASSERT_TRUE(b3.ok());
  EXPECT_EQ(b3->revision, center_->revision());
  EXPECT_GT(b3->revision, b2->revision);
}

TEST_F(CenterTest, AuditChainRecordsEveryChangeAndVerifies) {
  Seed();
  auto log = center_->ListAudit({0, 100});
  ASSERT_TRUE(log.ok());
  std::vector<std::string> actions;
  for (const auto& e : log->items) actions.push_back(e.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"user.create", "group.create", "host.create", "key.add",
                                               "grant.create"}));
  EXPECT_EQ(log->items[0].actor, "admin:test");
  EXPECT_EQ(log->items[0].remote, "127.0.0.1");
  EXPECT_TRUE(center_->VerifyAudit().ok());
  // Pages chain to each other.
  auto page2 = center_->ListAudit({2, 2});
  ASSERT_TRUE(page2.ok());
  ASSERT_EQ(page2->items.size(), 2u);
  EXPECT_EQ(page2->items[0].seq, 3);
  EXPECT_EQ(page2->items[0].prev_hash, log->items[1].hash);
  EXPECT_EQ(page2->next, 4);
}

TEST_F(CenterTest, TokensAreStoredHashedAndScoped) {
  Seed();
  auto admin = center_->IssueAdminToken(admin_, "ops");
  ASSERT_TRUE(admin.ok());
  auto p = center_->Authenticate(*admin, "127.0.0.1");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, PrincipalKind::kAdmin);
  EXPECT_EQ(center_->Authenticate(*admin + "x", "").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(center_->Authenticate("", "").status().code(), StatusCode::kUnauthenticated);
  auto host = center_->RotateHostToken(admin_, "web1");
  ASSERT_TRUE(host.ok());
  auto hp = center_->Authenticate(*host, "");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->kind, PrincipalKind::kHost);
  EXPECT_EQ(hp->name, "web1");
  // The token's text is nowhere in the audit log.
  auto log = center_->ListAudit({0, 1000});
  for (const auto& e : log->items) EXPECT_EQ(e.detail.find(*host), std::string::npos);
}

}  // namespace
}  // namespace kw::center

namespace kw::center {
namespace {

TEST(ConfigTest, DocumentedExampleParsesAndErrorsNameFileAndLine) {
  const char* src = std::getenv("KW_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  auto c = LoadConfig(std::string(src) + "/dist/keywardd.conf");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->listen_port, 8180);
  EXPECT_EQ(c->policy.max_key_age, 90 * 86400);

  auto rel = ParseConfig("store = sqlite:center.db\nsigning_key = k\npolicy.max_key_age = 2w\n", "x.conf", "/srv");
  ASSERT_TRUE(rel.ok());
  EXPECT_EQ(rel->store, "sqlite:/srv/center.db");
  EXPECT_EQ(rel->signing_key, "/srv/k");
  EXPECT_EQ(rel->policy.max_key_age, 14 * 86400);

  auto bad = ParseConfig("listen = 127.0.0.1:80\n\nlisten = nowhere\n", "x.conf", "");
  EXPECT_EQ(bad.status().message(), "x.conf:3: listen: expected ADDRESS:PORT");
  auto unknown = ParseConfig("# c\nlisen = 1\n", "x.conf", "");
  EXPECT_EQ(unknown.status().message(), "x.conf:2: unknown setting \"lisen\"");
  EXPECT_FALSE(ParseConfig("policy.min_rsa_bits = 512\n", "x.conf", "").ok());
  EXPECT_FALSE(ParseConfig("tls_cert = a\n", "x.conf", "").ok());
}

// --- TOTP (issue 8, central mode): the rules with a fake clock; codes from
// the otp library (the HTTP and oathtool side: tests/api, tests/interop).

class CenterTotpTest : public CenterTest {
 protected:
  void SetUp() override {
    CenterTest::SetUp();
    SecretBytes key(32);
    rng_.Fill(key.mutable_span());
    center_->ConfigureTotp(std::move(key), TotpSettings{});
    ASSERT_TRUE(center_->CreateUser(admin_, {"alice", ""}).ok());
    auto e = center_->EnrollTotp(admin_, {"alice", "sha1", 6, 30, false});
    ASSERT_TRUE(e.ok()) << e.status().message();
    secret_ = e->secret.Clone();
    scratch_ = e->scratch_codes;
  }
  // The code of the step `offset` steps from the fake clock's now.
  std::string Code(int64_t offset = 0) {
    return otp::TotpCode(secret_.span(), clock_.NowUnix() + 30 * offset, otp::Algorithm::kSha1, 6);
  }
  TotpVerdict Verify(const std::string& code) {
    auto v = center_->VerifyTotp(Actor{"host:b1", "192.0.2.1"}, "alice", SecretBytes(code));
    EXPECT_TRUE(v.ok()) << v.status().message();
    return v.ok() ? *v : TotpVerdict{};
  }
  SecretBytes secret_;
  std::vector<std::string> scratch_;
};

TEST_F(CenterTotpTest, StepsMoveForwardOnlyAndTheWindowIsOneStepEitherSide) {
  EXPECT_EQ(Verify(Code()).reason, "accepted");
  EXPECT_EQ(Verify(Code()).reason, "reused");
  EXPECT_EQ(Verify(Code(-1)).reason, "reused");  // older than the accepted step
  EXPECT_EQ(Verify(Code(1)).reason, "accepted");  // the next step, early (clears the failures)
  EXPECT_EQ(Verify(Code(2)).reason, "invalid_code");  // outside the window
  clock_.Advance(30);
  EXPECT_EQ(Verify(Code()).reason, "reused");  // that step was just used
  clock_.Advance(30);
  EXPECT_EQ(Verify(Code()).reason, "accepted");
}

TEST_F(CenterTotpTest, FailuresAreRateLimitedPerIntervalAndAnAcceptanceClearsThem) {
  const std::string wrong = Code(5);
  EXPECT_EQ(Verify(wrong).reason, "invalid_code");
  EXPECT_EQ(Verify(wrong).reason, "invalid_code");
  EXPECT_EQ(Verify("12345").reason, "malformed");
  TotpVerdict limited = Verify(Code());
  EXPECT_EQ(limited.reason, "rate_limited");
  EXPECT_EQ(limited.retry_after, 30);
  clock_.Advance(29);
  EXPECT_EQ(Verify(Code()).retry_after, 1);
  clock_.Advance(1);
  EXPECT_EQ(Verify(Code()).reason, "accepted");
  // Cleared: two more failures are not yet a limit.
  EXPECT_EQ(Verify(wrong).reason, "invalid_code");
  EXPECT_EQ(Verify(wrong).reason, "invalid_code");
  EXPECT_EQ(Verify(scratch_[0]).reason, "accepted_scratch");
  EXPECT_EQ(Verify(scratch_[0]).reason, "invalid_code");
}

TEST_F(CenterTotpTest, EnrolmentRulesAndTheSealedSecret) {
  auto again = center_->EnrollTotp(admin_, {"alice", "sha1", 6, 30, false});
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(center_->EnrollTotp(admin_, {"nobody", "sha1", 6, 30, false}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(center_->EnrollTotp(admin_, {"alice", "md5", 6, 30, true}).status().message(),
            "algorithm: must be sha1, sha256 or sha512");
  EXPECT_EQ(center_->EnrollTotp(admin_, {"alice", "sha1", 9, 30, true}).status().message(),
            "digits: must be 6, 7 or 8");
  // The store holds no byte run of the secret, only the sealed box.
  auto txn = store_->Begin(store::TxnMode::kRead);
  ASSERT_TRUE(txn.ok());
  auto user = (*txn)->FindUser("alice");
  ASSERT_TRUE(user.ok());
  auto rec = (*txn)->GetTotp(user->id);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->sealed_secret.size(), 12 + 20 + 16u);
  std::string box(rec->sealed_secret.begin(), rec->sealed_secret.end());
  EXPECT_EQ(box.find(std::string(secret_.view())), std::string::npos);
  EXPECT_EQ(rec->scratch_hashes.size(), 5u);
  // A center without the TOTP key refuses, naming the setting.
  DeterministicRng rng(9);
  auto key = formats::PrivateKey::Generate(formats::KeyType::kEd25519, 0, rng);
  ASSERT_TRUE(key.ok());
  auto signer = formats::KeySigner::Create(*key);
  ASSERT_TRUE(signer.ok());
  Center bare(store_.get(), Policy{}, clock_, rng_, std::move(*signer));
  auto v = bare.VerifyTotp(Actor{"host:b1", ""}, "alice", SecretBytes(std::string("123456")));
  EXPECT_EQ(v.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(v.status().message().find("totp_key_file"), std::string::npos);
}

}  // namespace
}  // namespace kw::center
