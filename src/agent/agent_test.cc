// Unit tests of the agent's parts: its configuration, the verification of
// bundles (every way a bundle must be refused), installing, the state
// files and the backoff. The agent against a real keywardd and sshd is in
// tests/agent.
#include <sys/stat.h>

#include <set>

#include <gtest/gtest.h>

#include "agent/agent.h"
#include "agent/config.h"
#include "agent/install.h"
#include "agent/state.h"
#include "agent/verify.h"
#include "base/bytes.h"
#include "base/file.h"
#include "crypto/hash.h"
#include "formats/private_key.h"
#include "formats/signer.h"
#include "formats/sshsig.h"
#include "support/temp_dir.h"

namespace kw::agent {
namespace {

using formats::Bundle;

TEST(AgentConfigTest, ReadsEveryNameAndResolvesPaths) {
  auto c = ParseAgentConfig(
      "# comment\nserver = https://center.example.com:8180/\nstate_dir = state\ninstall_dir = /etc/ssh/kw\n"
      "host_key_dir = keys\nca_file = ca.pem\nwait = 30\nbackoff_min = 2\nbackoff_max = 120\ntimeout = 5\n",
      "agent.conf", "/etc/keyward");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->server, "https://center.example.com:8180");
  EXPECT_EQ(c->state_dir, "/etc/keyward/state");
  EXPECT_EQ(c->install_dir, "/etc/ssh/kw");
  EXPECT_EQ(c->host_key_dir, "/etc/keyward/keys");
  EXPECT_EQ(c->ca_file, "/etc/keyward/ca.pem");
  EXPECT_EQ(c->wait, 30);
  EXPECT_EQ(c->backoff_min, 2);
  EXPECT_EQ(c->backoff_max, 120);
  EXPECT_EQ(c->timeout, 5);
}

TEST(AgentConfigTest, ErrorsNameFileLineAndSetting) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"server = ftp://x\n", "agent.conf:1: server: expected an http:// or https:// URL"},
      {"\nwait = 0\n", "agent.conf:2: wait: expected 1 to 3600 (seconds)"},
      {"wait = 10s\n", "agent.conf:1: wait: expected 1 to 3600 (seconds)"},
      {"colour = blue\n", "agent.conf:1: unknown setting \"colour\""},
      {"server\n", "agent.conf:1: expected \"name = value\""},
      {"backoff_min = 10\nbackoff_max = 5\n", "agent.conf: backoff_max is below backoff_min"},
  };
  for (const Case& c : cases) {
    auto r = ParseAgentConfig(c.text, "agent.conf", "/etc");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().message(), c.message);
  }
}

TEST(BackoffTest, GrowsWithinBoundsAndSpreads) {
  DeterministicRng rng(7);
  for (int failures = 1; failures < 20; ++failures) {
    int64_t cap = std::min<int64_t>(60000, 1000LL << std::min(failures - 1, 20));
    for (int i = 0; i < 50; ++i) {
      int64_t d = BackoffMillis(failures, 1, 60, rng);
      EXPECT_GE(d, 1000);
      EXPECT_LE(d, cap);
    }
  }
  // Agents failing together come back at different times.
  std::set<int64_t> seen;
  for (int i = 0; i < 100; ++i) seen.insert(BackoffMillis(8, 1, 60, rng));
  EXPECT_GT(seen.size(), 90u);
  EXPECT_EQ(BackoffMillis(1, 5, 5, rng), 5000);
}

// A signing key and signed bundles, as the center makes them.
class Signed {
 public:
  explicit Signed(uint64_t seed = 11) {
    DeterministicRng rng(seed);
    auto k = formats::PrivateKey::Generate(formats::KeyType::kEd25519, 0, rng);
    EXPECT_TRUE(k.ok());
    auto s = formats::KeySigner::Create(*k);
    EXPECT_TRUE(s.ok());
    signer_.emplace(std::move(*s));
  }
  const formats::PublicKey& key() const { return signer_->public_key(); }

  SignedBundle Sign(const Bundle& b, std::string_view ns = formats::kBundleNamespace) const {
    SignedBundle sb;
    sb.revision = b.revision;
    sb.bundle = formats::EncodeBundle(b);
    Bytes digest = crypto::Digest(crypto::HashAlg::kSha512, AsBytes(sb.bundle));
    auto sig = formats::SignSshsig(*signer_, formats::KeyOrCert(key()), ns, "sha512", digest);
    EXPECT_TRUE(sig.ok());
    sb.signature = formats::ArmorSshsig(*sig);
    return sb;
  }

 private:
  std::optional<formats::KeySigner> signer_;
};

Bundle MakeBundle(int64_t revision, std::string root_keys = "ssh-ed25519 AAAA root\n") {
  Bundle b;
  b.host = "web1";
  b.revision = revision;
  b.authorized_keys["root"] = std::move(root_keys);
  b.authorized_keys["deploy"] = "";
  return b;
}

TEST(VerifyBundleTest, AcceptsTheCentersSignature) {
  Signed center;
  auto b = VerifyBundle(center.Sign(MakeBundle(5)), center.key(), "web1");
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(*b, MakeBundle(5));
}

TEST(VerifyBundleTest, RefusesEveryForgery) {
  Signed center, other(12);
  SignedBundle good = center.Sign(MakeBundle(5));

  auto expect = [](const StatusOr<Bundle>& r, StatusCode code, std::string_view part) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), code) << r.status().message();
    EXPECT_NE(r.status().message().find(part), std::string::npos) << r.status().message();
  };
  // Signed by another key.
  expect(VerifyBundle(other.Sign(MakeBundle(5)), center.key(), "web1"), StatusCode::kUnauthenticated,
         "not by the pinned key");
  // The bytes changed after signing (a key added).
  SignedBundle tampered = good;
  tampered.bundle = formats::EncodeBundle(MakeBundle(5, "ssh-ed25519 AAAA root\nssh-ed25519 BBBB evil\n"));
  expect(VerifyBundle(tampered, center.key(), "web1"), StatusCode::kUnauthenticated, "incorrect signature");
  // Another namespace.
  expect(VerifyBundle(center.Sign(MakeBundle(5), "file"), center.key(), "web1"), StatusCode::kUnauthenticated,
         "namespace");
  // A signature that is not one.
  SignedBundle garbled = good;
  garbled.signature = "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n";
  expect(VerifyBundle(garbled, center.key(), "web1"), StatusCode::kUnauthenticated, "bundle signature");
  SignedBundle truncated = good;
  truncated.signature.resize(truncated.signature.size() / 2);
  expect(VerifyBundle(truncated, center.key(), "web1"), StatusCode::kUnauthenticated, "bundle signature");
  // Signed, but for another host, or at another revision than claimed.
  Bundle web2 = MakeBundle(5);
  web2.host = "web2";
  expect(VerifyBundle(center.Sign(web2), center.key(), "web1"), StatusCode::kInvalidArgument, "\"web2\"");
  SignedBundle relabelled = good;
  relabelled.revision = 9;
  expect(VerifyBundle(relabelled, center.key(), "web1"), StatusCode::kInvalidArgument, "revision 5 inside, 9");
}

TEST(BundleResponseTest, RoundTripsAndNamesBadFields) {
  SignedBundle sb{7, "{\"x\":1}\n", "sig"};
  auto back = ParseBundleResponse(EncodeBundleResponse(sb));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->revision, 7);
  EXPECT_EQ(back->bundle, sb.bundle);
  EXPECT_EQ(back->signature, "sig");
  std::string full = EncodeBundleResponse(sb);
  for (size_t cut = 0; cut < full.size() - 1; ++cut) {
    EXPECT_FALSE(ParseBundleResponse(full.substr(0, cut)).ok()) << cut;
  }
  EXPECT_EQ(ParseBundleResponse(R"({"revision":0,"bundle":"","signature":""})").status().message(),
            "bundle response: \"revision\" must be a positive integer");
  EXPECT_EQ(ParseBundleResponse(R"({"revision":1,"bundle":2,"signature":""})").status().message(),
            "bundle response: \"bundle\" must be a string");
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(InstallTest, WritesEachAccountAndEmptiesRemovedOnes) {
  auto dir = test::TempDir::Create();
  ASSERT_TRUE(dir.ok());
  std::string install = dir->Path("ssh");
  Bundle b = MakeBundle(1);
  b.authorized_keys["ops"] = "ssh-ed25519 AAAA ops\n";
  auto r = InstallBundle(b, install);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->written, 3);
  EXPECT_EQ(*ReadFile(install + "/authorized_keys/root"), "ssh-ed25519 AAAA root\n");
  EXPECT_EQ(*ReadFile(install + "/authorized_keys/ops"), "ssh-ed25519 AAAA ops\n");
  EXPECT_EQ(ModeOf(install + "/authorized_keys/root"), 0644u);
  EXPECT_EQ(ModeOf(install + "/authorized_keys") & 0022u, 0u);  // sshd's StrictModes

  // The same bundle again changes nothing; a leftover temporary file goes.
  ASSERT_TRUE(WriteFileAtomic(install + "/authorized_keys/root.kwtmp.AbC123", "half", {}).ok());
  r = InstallBundle(b, install);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->written, 0);
  EXPECT_EQ(r->unchanged, 3);
  EXPECT_FALSE(ReadFile(install + "/authorized_keys/root.kwtmp.AbC123").ok());

  // ops leaves the bundle: its file is emptied, not left with old keys.
  Bundle next = MakeBundle(2, "ssh-ed25519 CCCC root\n");
  r = InstallBundle(next, install);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*ReadFile(install + "/authorized_keys/ops"), "");
  EXPECT_EQ(*ReadFile(install + "/authorized_keys/root"), "ssh-ed25519 CCCC root\n");
  EXPECT_EQ(*InstalledAuthorizedKeys(install, "root"), "ssh-ed25519 CCCC root\n");
  EXPECT_EQ(*InstalledAuthorizedKeys(install, "nobody"), "");
  EXPECT_EQ(*InstalledAuthorizedKeys(install, "../authorized_keys/root"), "");
}

TEST(InstallTest, RefusesBadAccountNamesBeforeWritingAnything) {
  auto dir = test::TempDir::Create();
  ASSERT_TRUE(dir.ok());
  Bundle b = MakeBundle(1);
  b.authorized_keys["../../etc/passwd"] = "x\n";
  auto r = InstallBundle(b, dir->Path("ssh"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not an account name"), std::string::npos);
  EXPECT_FALSE(ReadFile(dir->Path("ssh/authorized_keys/root")).ok());
}

TEST(StateDirTest, RoundTripsAndKeepsSecretsPrivate) {
  auto dir = test::TempDir::Create();
  ASSERT_TRUE(dir.ok());
  StateDir state(dir->Path("state"));
  ASSERT_TRUE(state.Create().ok());
  EXPECT_EQ(ModeOf(state.dir()), 0700u);
  auto none = state.LoadEnrollment();
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find("not enrolled"), std::string::npos);

  ASSERT_TRUE(state.SaveEnrollment({"http://c", "web1", "kw_secret", "ssh-ed25519 AAAA"}).ok());
  EXPECT_EQ(ModeOf(state.dir() + "/enrollment.json"), 0600u);
  auto e = state.LoadEnrollment();
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->token, "kw_secret");

  EXPECT_FALSE(state.LoadBundle()->has_value());
  ASSERT_TRUE(state.SaveBundle({3, "b", "s"}).ok());
  EXPECT_EQ(ModeOf(state.dir() + "/bundle.json"), 0600u);
  EXPECT_EQ((*state.LoadBundle())->revision, 3);

  AgentStatus s{"web1", 3, 111, 222, "boom", 333};
  ASSERT_TRUE(state.SaveStatus(s).ok());
  auto back = state.LoadStatus();
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->installed_at_us, 111);
  EXPECT_EQ(back->last_error, "boom");

  // A corrupt file is an error naming it, not an empty state.
  ASSERT_TRUE(WriteFileAtomic(state.dir() + "/bundle.json", "{\"revision\":", {.mode = 0600}).ok());
  auto bad = state.LoadBundle();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bundle.json"), std::string::npos);
}

}  // namespace
}  // namespace kw::agent
