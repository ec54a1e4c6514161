// Certificates, judged by the real ssh-keygen and sshd (OpenSSH 9.2):
//
// - the same `-s` command run by ssh-keygen and by `keyward ssh-keygen` in
//   twin directories gives the same stdout, stderr and exit status, and a
//   certificate that ssh-keygen -L shows exactly as it shows its own;
// - `keyward ssh-keygen -L` and `keyward cert show` print what ssh-keygen -L
//   prints for certificates ssh-keygen made (and for keyward's);
// - a throwaway sshd with TrustedUserCAKeys admits keyward's user
//   certificates and refuses them when expired, not yet valid, for another
//   principal or from outside source-address, and honours force-command;
//   ssh accepts a keyward host certificate through @cert-authority.

#include <gtest/gtest.h>

#include <memory>

#include "base/file.h"
#include "interop/interop.h"
#include "support/sshd_server.h"

KW_INTEROP_ENVIRONMENT(true);

namespace kw::interop {
namespace {

using test::LoginOptions;
using test::SshdOptions;
using test::SshdServer;

// Key name -> ssh-keygen -t / -b.
struct Key {
  const char* name;
  const char* type;
  const char* bits;
};
const Key kKeys[] = {{"ed25519", "ed25519", ""}, {"ecdsa256", "ecdsa", "256"}, {"ecdsa384", "ecdsa", "384"},
                     {"ecdsa521", "ecdsa", "521"}, {"rsa", "rsa", "2048"}};
const Key kCas[] = {{"ca_ed25519", "ed25519", ""}, {"ca_ecdsa256", "ecdsa", "256"}, {"ca_ecdsa384", "ecdsa", "384"},
                    {"ca_ecdsa521", "ecdsa", "521"}, {"ca_rsa", "rsa", "2048"}};

// Keys made once by ssh-keygen for the whole binary; each test copies what
// it needs into its own directories.
class Keys {
 public:
  static const Keys& Get() {
    static const Keys keys;  // removed at exit
    return keys;
  }
  const std::string& dir() const { return dir_->path(); }
  std::string Path(const std::string& name) const { return dir_->Path(name); }
  bool ok() const { return ok_; }

 private:
  Keys() {
    auto d = TempDir::Create("kw-cert-keys");
    if (!d.ok()) return;
    dir_.emplace(std::move(*d));
    ok_ = true;
    auto make = [&](const Key& k) {
      std::vector<std::string> argv = {"ssh-keygen", "-q", "-t", k.type, "-N", "", "-C",
                                       std::string(k.name) + "@kw-test", "-f", k.name};
      if (*k.bits) argv.insert(argv.begin() + 4, {"-b", k.bits});
      SubprocessResult r = RunTool({argv, "", dir_->path()});
      if (!r.ExitedWith(0)) {
        ok_ = false;
        ADD_FAILURE() << "ssh-keygen " << k.name << ": " << r.Describe();
      }
    };
    for (const Key& k : kKeys) make(k);
    for (const Key& k : kCas) make(k);
  }
  std::optional<TempDir> dir_;
  bool ok_ = false;
};

// Two directories with the same files: one for ssh-keygen, one for keyward.
struct Twins {
  TempDir oracle, mine;
  static std::unique_ptr<Twins> Make(const std::vector<std::string>& files) {
    auto o = TempDir::Create("kw-cert-o");
    auto m = TempDir::Create("kw-cert-k");
    if (!o.ok() || !m.ok()) return nullptr;
    auto t = std::make_unique<Twins>(Twins{std::move(*o), std::move(*m)});
    for (const std::string& f : files) {
      for (const TempDir* d : {&t->oracle, &t->mine}) {
        Status s = test::CopyFile(Keys::Get().Path(f), d->Path(f));
        if (!s.ok()) {
          ADD_FAILURE() << s.ToString();
          return nullptr;
        }
      }
    }
    return t;
  }
};

std::vector<std::string> With(std::string head, std::vector<std::string> tail) {
  tail.insert(tail.begin(), std::move(head));
  return tail;
}

// Runs `ssh-keygen ARGS` and `keyward ssh-keygen ARGS` in the twins and
// compares everything they print.
::testing::AssertionResult SameSigning(Twins& t, const std::vector<std::string>& args) {
  Invocation o{With("ssh-keygen", args), "", t.oracle.path()};
  std::vector<std::string> kargs = args;
  kargs.insert(kargs.begin(), "ssh-keygen");
  Invocation k{With("keyward", kargs), "", t.mine.path()};
  SubprocessResult want = RunTool(o), got = RunTool(k);
  return SameResult(test::ShellQuote(k.argv), o, want, k, got, StderrMatch::kExact);
}

// ssh-keygen -L on both certificates must print the same.
::testing::AssertionResult SameCertificate(Twins& t, const std::string& cert) {
  Invocation o{{"ssh-keygen", "-L", "-f", cert}, "", t.oracle.path()};
  Invocation k{{"ssh-keygen", "-L", "-f", cert}, "", t.mine.path()};
  SubprocessResult want = RunTool(o), got = RunTool(k);
  if (!want.ExitedWith(0)) return ::testing::AssertionFailure() << "ssh-keygen -L of its own cert: " << want.Describe();
  return SameResult("ssh-keygen -L of keyward's " + cert, o, want, k, got, StderrMatch::kExact);
}

TEST(CertInterop, SigningEveryKeyTypeWithEveryCaType) {
  ASSERT_TRUE(Keys::Get().ok());
  MismatchBudget budget;
  for (const Key& ca : kCas) {
    for (const Key& key : kKeys) {
      SCOPED_TRACE(std::string(ca.name) + " signs " + key.name);
      std::string pub = std::string(key.name) + ".pub";
      auto t = Twins::Make({ca.name, std::string(ca.name) + ".pub", pub});
      ASSERT_TRUE(t);
      KW_CHECK(budget, SameSigning(*t, {"-s", ca.name, "-I", std::string("id-") + key.name, "-n", "alice,bob",
                                        "-V", "20240101:20300101", "-z", "77", pub}));
      KW_CHECK(budget, SameCertificate(*t, std::string(key.name) + "-cert.pub"));
    }
  }
}

TEST(CertInterop, OptionsValidityAndHostCertificates) {
  ASSERT_TRUE(Keys::Get().ok());
  const std::vector<std::vector<std::string>> cases = {
      {"-I", "host1", "-h", "-n", "host1.example.com,192.0.2.1", "-V", "20240101120000Z:20250101"},
      {"-I", "opts", "-n", "root", "-O", "force-command=/bin/echo hi", "-O", "source-address=10.0.0.0/8,127.0.0.1",
       "-O", "no-pty", "-O", "extension:custom@example.com=v", "-O", "critical:zz@example.com", "-O",
       "no-touch-required", "-O", "verify-required"},
      {"-I", "clear", "-O", "clear", "-O", "permit-X11-forwarding", "-V", "always:forever"},
      {"-I", "after", "-n", "a", "-V", "20240101:forever", "-z", "+5"},
      {"-I", "before", "-n", "a", "-V", "always:20300101000000", "-z", "18446744073709551615"},
      {"-I", "hex", "-n", "a", "-V", "0x10:0x7fffffff"},
      {"-I", "utf8 ïd", "-n", "ünïcode,b", "-V", "20240101Z:20250101Z", "-q"},
      {"-I", "rsa256", "-t", "rsa-sha2-256", "-n", "a", "-s", "ca_rsa"},
      {"-I", "sha1", "-t", "ssh-rsa", "-n", "a", "-s", "ca_rsa"},
  };
  MismatchBudget budget;
  for (const auto& c : cases) {
    SCOPED_TRACE(test::ShellQuote(c));
    auto t = Twins::Make({"ca_ed25519", "ca_rsa", "ed25519.pub", "rsa.pub"});
    ASSERT_TRUE(t);
    std::vector<std::string> args = c;
    bool has_ca = std::find(args.begin(), args.end(), "-s") != args.end();
    if (!has_ca) args.insert(args.begin(), {"-s", "ca_ed25519"});
    args.push_back("ed25519.pub");
    args.push_back("rsa.pub");  // two keys: -z +N increments
    KW_CHECK(budget, SameSigning(*t, args));
    KW_CHECK(budget, SameCertificate(*t, "ed25519-cert.pub"));
    KW_CHECK(budget, SameCertificate(*t, "rsa-cert.pub"));
  }
}

TEST(CertInterop, RelativeValidityIsTheSameWindow) {
  // Relative times depend on the clock: both tools run within the same
  // second or two, so the windows must agree to within that.
  ASSERT_TRUE(Keys::Get().ok());
  for (const char* spec : {"+1h", "-5m:+1d", "+1w2d"}) {
    SCOPED_TRACE(spec);
    auto t = Twins::Make({"ca_ed25519", "ed25519.pub"});
    ASSERT_TRUE(t);
    for (int attempt = 0; attempt < 3; ++attempt) {
      ASSERT_TRUE(RunTool({{"ssh-keygen", "-q", "-s", "ca_ed25519", "-I", "x", "-V", spec, "ed25519.pub"}, "",
                           t->oracle.path()})
                      .ExitedWith(0));
      ASSERT_TRUE(RunTool({{"keyward", "ssh-keygen", "-q", "-s", "ca_ed25519", "-I", "x", "-V", spec, "ed25519.pub"},
                           "", t->mine.path()})
                      .ExitedWith(0));
      if (SameCertificate(*t, "ed25519-cert.pub")) break;  // else a second ticked over: retry
      if (attempt == 2) {
        EXPECT_TRUE(SameCertificate(*t, "ed25519-cert.pub"));
      }
    }
  }
}

TEST(CertInterop, ErrorsAreSshKeygens) {
  ASSERT_TRUE(Keys::Get().ok());
  const std::vector<std::vector<std::string>> cases = {
      {"-s", "ca_ed25519", "ed25519.pub"},                                 // no -I
      {"-s", "ca_ed25519", "-I", "x", "-n", "a,,b", "ed25519.pub"},        // empty principal
      {"-s", "ca_ed25519", "-I", "x", "-V", "+1x", "ed25519.pub"},         // bad validity
      {"-s", "ca_ed25519", "-I", "x", "-V", "20250101:20240101", "ed25519.pub"},
      {"-s", "ca_ed25519", "-I", "x", "-V", "bogus:forever", "ed25519.pub"},
      {"-s", "ca_ed25519", "-I", "x", "-O", "bogus", "ed25519.pub"},       // bad option
      {"-s", "ca_ed25519", "-I", "x", "-O", "source-address=10.0.0.1/8", "ed25519.pub"},
      {"-s", "ca_ed25519", "-I", "x", "-t", "rsa-sha2-256", "ed25519.pub"},  // -t mismatch
      {"-s", "ca_ed25519", "-I", "x", "-z", "x1", "ed25519.pub"},          // bad serial
      {"-s", "ca_ed25519", "-I", "x", "missing.pub"},                      // no such key
      {"-s", "missing", "-I", "x", "ed25519.pub"},                         // no such CA
  };
  MismatchBudget budget;
  for (const auto& c : cases) {
    auto t = Twins::Make({"ca_ed25519", "ed25519.pub"});
    ASSERT_TRUE(t);
    KW_CHECK(budget, SameSigning(*t, c));
  }
  // A certificate cannot be certified again.
  auto t = Twins::Make({"ca_ed25519", "ed25519.pub"});
  ASSERT_TRUE(t);
  ASSERT_TRUE(RunTool({{"ssh-keygen", "-q", "-s", "ca_ed25519", "-I", "x", "ed25519.pub"}, "", t->oracle.path()})
                  .ExitedWith(0));
  ASSERT_TRUE(test::CopyFile(t->oracle.Path("ed25519-cert.pub"), t->mine.Path("ed25519-cert.pub")).ok());
  KW_CHECK(budget, SameSigning(*t, {"-s", "ca_ed25519", "-I", "y", "ed25519-cert.pub"}));
}

TEST(CertInterop, ShowsSshKeygensCertificatesAsSshKeygenDoes) {
  ASSERT_TRUE(Keys::Get().ok());
  auto dir = TempDir::Create("kw-cert-show");
  ASSERT_TRUE(dir.ok());
  std::string all = "# a comment\n\n";
  int n = 0;
  for (const Key& ca : kCas) {
    for (const Key& key : {kKeys[0], kKeys[4]}) {
      std::string name = "k" + std::to_string(n++);
      ASSERT_TRUE(test::CopyFile(Keys::Get().Path(ca.name), dir->Path(ca.name)).ok());
      ASSERT_TRUE(test::CopyFile(Keys::Get().Path(std::string(key.name) + ".pub"), dir->Path(name + ".pub")).ok());
      std::vector<std::string> args = {"ssh-keygen", "-q", "-s", ca.name, "-I", name, "-n", "p1,p2", "-z",
                                       std::to_string(n), "-V", "20240101:20300101", "-O", "force-command=ls",
                                       name + ".pub"};
      if (n % 2) args.insert(args.begin() + 2, "-h");
      ASSERT_TRUE(RunTool({args, "", dir->path()}).ExitedWith(0));
      StatusOr<std::string> cert = ReadFile(dir->Path(name + "-cert.pub"));
      ASSERT_TRUE(cert.ok());
      all += *cert;
    }
  }
  all += "ssh-ed25519 AAAAnot-a-key\n" + *ReadFile(Keys::Get().Path("ed25519.pub"));
  ASSERT_TRUE(dir->WriteFile("all.pub", all).ok());
  MismatchBudget budget;
  for (const char* hash : {"sha256", "md5"}) {
    KW_CHECK(budget, SameAsOracle({{"ssh-keygen", "-L", "-E", hash, "-f", "all.pub"}, "", dir->path()},
                                  {{"keyward", "ssh-keygen", "-L", "-E", hash, "-f", "all.pub"}, "", dir->path()},
                                  StderrMatch::kExact));
    KW_CHECK(budget, SameAsOracle({{"ssh-keygen", "-L", "-E", hash, "-f", "k3-cert.pub"}, "", dir->path()},
                                  {{"keyward", "cert", "show", "-E", hash, "k3-cert.pub"}, "", dir->path()},
                                  StderrMatch::kExact));
  }
  KW_CHECK(budget, SameAsOracle({{"ssh-keygen", "-L", "-f", "-"}, all, dir->path()},
                                {{"keyward", "ssh-keygen", "-L", "-f", "-"}, all, dir->path()}, StderrMatch::kExact));
  KW_CHECK(budget, SameAsOracle({{"ssh-keygen", "-L", "-f", "k1.pub"}, "", dir->path()},
                                {{"keyward", "ssh-keygen", "-L", "-f", "k1.pub"}, "", dir->path()}, StderrMatch::kExact));
  KW_CHECK(budget, SameAsOracle({{"ssh-keygen", "-L", "-f", "nothere"}, "", dir->path()},
                                {{"keyward", "ssh-keygen", "-L", "-f", "nothere"}, "", dir->path()},
                                StderrMatch::kExact));
  // ssh-keygen -l on certificates: the certified key's fingerprint, "-CERT" type.
  KW_CHECK(budget, SameAsOracle({{"ssh-keygen", "-l", "-f", "all.pub"}, "", dir->path()},
                                {{"keyward", "ssh-keygen", "-l", "-f", "all.pub"}, "", dir->path()},
                                StderrMatch::kExact));
  KW_CHECK(budget, SameAsOracle({{"ssh-keygen", "-lv", "-f", "k2-cert.pub"}, "", dir->path()},
                                {{"keyward", "ssh-keygen", "-lv", "-f", "k2-cert.pub"}, "", dir->path()},
                                StderrMatch::kExact));
}

TEST(CertInterop, NativeSignAndVerify) {
  ASSERT_TRUE(Keys::Get().ok());
  auto t = Twins::Make({"ca_ecdsa384", "ca_ecdsa384.pub", "ca_ed25519.pub", "rsa.pub"});
  ASSERT_TRUE(t);
  const std::string d = t->mine.path();
  SubprocessResult s = RunTool({{"keyward", "cert", "sign", "-s", "ca_ecdsa384", "-I", "native", "-n", "alice",
                                 "-V", "20240101:20300101", "-O", "source-address=10.0.0.0/8", "rsa.pub"},
                                "", d});
  ASSERT_TRUE(s.ExitedWith(0)) << s.Describe();
  // ssh-keygen reads it.
  SubprocessResult l = RunTool({{"ssh-keygen", "-L", "-f", "rsa-cert.pub"}, "", d});
  ASSERT_TRUE(l.ExitedWith(0)) << l.Describe();
  EXPECT_NE(l.out.find("Key ID: \"native\""), std::string::npos) << l.out;
  EXPECT_NE(l.out.find("source-address 10.0.0.0/8"), std::string::npos) << l.out;
  struct Case {
    std::vector<std::string> extra;
    int exit;
    const char* says;
  } cases[] = {
      {{"--principal", "alice", "--at", "20250101", "--from", "10.1.2.3"}, 0, "ok"},
      {{"--principal", "bob", "--at", "20250101"}, 1, "wrong principal"},
      {{"--principal", "alice", "--at", "20310101"}, 1, "expired"},
      {{"--principal", "alice", "--at", "20230101"}, 1, "not yet valid"},
      {{"--principal", "alice", "--at", "20250101", "--from", "192.0.2.1"}, 1, "source address"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {"keyward", "cert", "verify", "--ca", "ca_ecdsa384.pub"};
    argv.insert(argv.end(), c.extra.begin(), c.extra.end());
    argv.push_back("rsa-cert.pub");
    SubprocessResult r = RunTool({argv, "", d});
    EXPECT_TRUE(r.ExitedWith(c.exit)) << test::ShellQuote(argv) << "\n" << r.Describe();
    EXPECT_NE(r.out.find(c.says), std::string::npos) << r.Describe();
  }
  SubprocessResult untrusted =
      RunTool({{"keyward", "cert", "verify", "--ca", "ca_ed25519.pub", "--at", "20250101", "rsa-cert.pub"}, "", d});
  EXPECT_TRUE(untrusted.ExitedWith(1)) << untrusted.Describe();
  EXPECT_NE(untrusted.out.find("CA not trusted"), std::string::npos) << untrusted.Describe();
  // A flipped byte in the signature: reported as such, not as a parse error.
  StatusOr<std::string> text = ReadFile(t->mine.Path("rsa-cert.pub"));
  ASSERT_TRUE(text.ok());
  std::string bad = *text;
  size_t sp = bad.find(' ', bad.find(' ') + 1);
  bad[sp - 6] = bad[sp - 6] == 'A' ? 'B' : 'A';
  ASSERT_TRUE(t->mine.WriteFile("bad-cert.pub", bad).ok());
  SubprocessResult tampered =
      RunTool({{"keyward", "cert", "verify", "--ca", "ca_ecdsa384.pub", "--at", "20250101", "bad-cert.pub"}, "", d});
  EXPECT_TRUE(tampered.ExitedWith(1)) << tampered.Describe();
  EXPECT_NE(tampered.out.find("bad signature"), std::string::npos) << tampered.Describe();
  SubprocessResult oracle = RunTool({{"ssh-keygen", "-L", "-f", "bad-cert.pub"}, "", d});
  EXPECT_TRUE(oracle.ExitedWith(1)) << "ssh-keygen accepted a tampered certificate: " << oracle.Describe();
}

// ---------------------------------------------------------------------------
// sshd and ssh judge.

class CertLogin : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Keys::Get().ok());
    auto d = TempDir::Create("kw-cert-login");
    ASSERT_TRUE(d.ok());
    dir_.emplace(std::move(*d));
    for (const Key& k : kKeys) {
      for (const std::string suffix : {"", ".pub"}) {
        ASSERT_TRUE(test::CopyFile(Keys::Get().Path(k.name + suffix), dir_->Path(k.name + suffix)).ok());
      }
    }
    for (const Key& k : kCas) {
      for (const std::string suffix : {"", ".pub"}) {
        ASSERT_TRUE(test::CopyFile(Keys::Get().Path(k.name + suffix), dir_->Path(k.name + suffix)).ok());
      }
    }
  }

  // keyward ssh-keygen -s CA ARGS KEY.pub (the certificate lands beside KEY).
  void Sign(const std::string& ca, const std::string& key, std::vector<std::string> args) {
    std::vector<std::string> argv = {"keyward", "ssh-keygen", "-q", "-s", ca};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(key + ".pub");
    SubprocessResult r = RunTool({argv, "", dir_->path()});
    ASSERT_TRUE(r.ExitedWith(0)) << test::ShellQuote(argv) << "\n" << r.Describe();
  }

  std::unique_ptr<SshdServer> StartSshd(const std::string& trusted_ca) {
    SshdOptions o;
    o.config = {"TrustedUserCAKeys " + dir_->Path(trusted_ca + ".pub")};
    auto s = SshdServer::Start(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  test::LoginResult Login(SshdServer& sshd, const std::string& key, LoginOptions o = {}) {
    auto r = sshd.TryLogin(dir_->Path(key), o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : test::LoginResult{};
  }

  std::optional<TempDir> dir_;
};

TEST_F(CertLogin, UserCertificatesOfEveryTypeAreAccepted) {
  // Every key type, each certified by a different CA type (and the RSA CA
  // once more with rsa-sha2-256); one sshd trusts all the CAs.
  std::string cas;
  for (const Key& ca : kCas) cas += *ReadFile(dir_->Path(std::string(ca.name) + ".pub"));
  ASSERT_TRUE(dir_->WriteFile("all_cas.pub", cas).ok());
  std::unique_ptr<SshdServer> sshd = StartSshd("all_cas");
  ASSERT_TRUE(sshd);
  struct Pair {
    const char* key;
    const char* ca;
    std::vector<std::string> extra;
  } pairs[] = {{"ed25519", "ca_rsa", {}},
               {"ecdsa256", "ca_ecdsa521", {}},
               {"ecdsa384", "ca_ed25519", {}},
               {"ecdsa521", "ca_ecdsa256", {}},
               {"rsa", "ca_ecdsa384", {}},
               {"ed25519", "ca_rsa", {"-t", "rsa-sha2-256"}}};
  for (const Pair& p : pairs) {
    SCOPED_TRACE(std::string(p.key) + " certified by " + p.ca);
    std::vector<std::string> args = {"-I", std::string(p.key) + "-by-" + p.ca, "-n", "root"};
    args.insert(args.end(), p.extra.begin(), p.extra.end());
    Sign(p.ca, p.key, args);
    test::LoginResult r = Login(*sshd, p.key);
    EXPECT_TRUE(r.ok) << r.Describe() << "--- sshd log ---\n" << sshd->Log();
    EXPECT_NE(sshd->Log().find("Accepted certificate ID \"" + args[1] + "\""), std::string::npos) << sshd->Log();
  }
}

TEST_F(CertLogin, RefusedWhenInvalidAndForceCommandHonoured) {
  std::unique_ptr<SshdServer> sshd = StartSshd("ca_ed25519");
  ASSERT_TRUE(sshd);
  struct Case {
    const char* what;
    std::vector<std::string> args;
    bool accepted;
    const char* log;  // what sshd says when it refuses
  } cases[] = {
      {"valid", {"-I", "ok", "-n", "root", "-V", "-5m:+1h"}, true, ""},
      {"expired", {"-I", "expired", "-n", "root", "-V", "20200101:20210101"}, false, "expired"},
      {"not yet valid", {"-I", "future", "-n", "root", "-V", "+1d:+2d"}, false, "not yet valid"},
      {"other principal", {"-I", "alice", "-n", "alice,bob"}, false, "name is not a listed principal"},
      {"no principals", {"-I", "none"}, false, "lacks principal list"},
      {"host certificate", {"-I", "host", "-h", "-n", "root"}, false, ""},
      {"outside source-address", {"-I", "src", "-n", "root", "-O", "source-address=10.0.0.0/8"}, false,
       "not from a permitted source address"},
      {"inside source-address", {"-I", "src2", "-n", "root", "-O", "source-address=10.0.0.0/8,127.0.0.1/32"}, true,
       ""},
      {"unknown critical option", {"-I", "crit", "-n", "root", "-O", "critical:unknown@example.com"}, false,
       "is not supported"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Sign("ca_ed25519", "ed25519", c.args);
    test::LoginResult r = Login(*sshd, "ed25519");
    EXPECT_EQ(r.ok, c.accepted) << c.what << "\n" << r.Describe() << "--- sshd log ---\n" << sshd->Log();
    if (!c.accepted && *c.log) {
      EXPECT_NE(sshd->Log().find(c.log), std::string::npos) << "sshd log lacks \"" << c.log << "\"\n" << sshd->Log();
    }
  }
  // A certificate from a CA that sshd does not trust.
  Sign("ca_ecdsa256", "ecdsa256", {"-I", "untrusted", "-n", "root"});
  EXPECT_FALSE(Login(*sshd, "ecdsa256").ok);

  // force-command replaces the command the client asked for.
  Sign("ca_ed25519", "rsa", {"-I", "forced", "-n", "root", "-O", "force-command=echo forced-by-keyward-cert"});
  LoginOptions o;
  o.expected_output = "forced-by-keyward-cert";
  test::LoginResult forced = Login(*sshd, "rsa", o);
  EXPECT_TRUE(forced.ok) << forced.Describe() << "--- sshd log ---\n" << sshd->Log();
  EXPECT_EQ(forced.ssh.out.find("kw-login-ok"), std::string::npos) << forced.Describe();
}

TEST_F(CertLogin, HostCertificateThroughCertAuthority) {
  // The host key and its keyward certificate; ssh trusts only the CA.
  ASSERT_TRUE(RunTool({{"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", "hostkey"}, "", dir_->path()})
                  .ExitedWith(0));
  Sign("ca_ecdsa384", "hostkey", {"-h", "-I", "test-host", "-n", "127.0.0.1,localhost"});
  SshdOptions so;
  so.host_key_types = {"ecdsa"};  // its own key of another type; ours carries the certificate
  so.config = {"HostKey " + dir_->Path("hostkey"), "HostCertificate " + dir_->Path("hostkey-cert.pub")};
  so.authorized_keys = *ReadFile(dir_->Path("ed25519.pub"));
  auto sshd = SshdServer::Start(so);
  ASSERT_TRUE(sshd.ok()) << sshd.status().ToString();
  for (const char* ca : {"ca_ecdsa384", "ca_rsa"}) {
    SCOPED_TRACE(ca);
    StatusOr<std::string> ca_pub = ReadFile(dir_->Path(std::string(ca) + ".pub"));
    ASSERT_TRUE(ca_pub.ok());
    std::string known = "@cert-authority [127.0.0.1]:" + std::to_string((*sshd)->port()) + " " + *ca_pub;
    ASSERT_TRUE(dir_->WriteFile("known_hosts", known).ok());
    LoginOptions o;
    o.ssh_options = {"StrictHostKeyChecking=yes", "UserKnownHostsFile=" + dir_->Path("known_hosts"),
                     "HostKeyAlgorithms=ssh-ed25519-cert-v01@openssh.com"};
    test::LoginResult r = Login(**sshd, "ed25519", o);
    bool trusted = std::string(ca) == "ca_ecdsa384";
    EXPECT_EQ(r.ok, trusted) << r.Describe() << "--- sshd log ---\n" << (*sshd)->Log();
    if (!trusted) {
      EXPECT_NE(r.ssh.err.find("Host key verification failed"), std::string::npos) << r.Describe();
    }
  }
}

}  // namespace
}  // namespace kw::interop
