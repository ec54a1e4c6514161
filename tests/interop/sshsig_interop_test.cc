// SSHSIG signatures, judged by the real ssh-keygen -Y (OpenSSH 9.2):
//
// - signatures made by keyward (`keyward ssh-keygen -Y sign`, `keyward
//   sign`) verify with ssh-keygen -Y verify, and ssh-keygen's verify with
//   keyward, for every key type, both hashes and a certificate; Ed25519 and
//   RSA signatures are the same bytes ssh-keygen makes;
// - tampered messages, wrong namespaces and principals, bad signature files
//   and allowed_signers files: the same output and exit status as
//   ssh-keygen -Y verify / check-novalidate / find-principals /
//   match-principals.

#include <gtest/gtest.h>

#include <memory>

#include "base/file.h"
#include "interop/interop.h"

KW_INTEROP_ENVIRONMENT(true);

namespace kw::interop {
namespace {

class SigKeys {
 public:
  static const SigKeys& Get() {
    static const SigKeys keys;  // removed at exit
    return keys;
  }
  bool ok() const { return ok_; }
  const TempDir& dir() const { return *dir_; }
  std::string Read(const std::string& f) const {
    StatusOr<std::string> s = ReadFile(dir_->Path(f));
    return s.ok() ? *s : "";
  }

 private:
  SigKeys() {
    auto d = TempDir::Create("kw-sig-keys");
    if (!d.ok()) return;
    dir_.emplace(std::move(*d));
    ok_ = true;
    auto run = [&](std::vector<std::string> argv, const std::string& in = "") {
      SubprocessResult r = RunTool({argv, in, dir_->path()});
      if (!r.ExitedWith(0)) {
        ok_ = false;
        ADD_FAILURE() << test::ShellQuote(argv) << "\n" << r.Describe();
      }
    };
    run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ed", "-f", "ed25519"});
    run({"ssh-keygen", "-q", "-t", "ecdsa", "-b", "256", "-N", "", "-C", "e256", "-f", "ecdsa256"});
    run({"ssh-keygen", "-q", "-t", "ecdsa", "-b", "384", "-N", "", "-C", "e384", "-f", "ecdsa384"});
    run({"ssh-keygen", "-q", "-t", "ecdsa", "-b", "521", "-N", "", "-C", "e521", "-f", "ecdsa521"});
    run({"ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "rsa", "-f", "rsa"});
    run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ca", "-f", "ca"});
    run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "cu", "-f", "certuser"});
    run({"ssh-keygen", "-q", "-s", "ca", "-I", "certuser", "-n", "carol,dave", "-V", "20240101:20300101",
         "certuser.pub"});
    run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "correct horse", "-C", "pw", "-f", "withpass"});
    auto key = [&](const std::string& f) {
      std::string s = Read(f);
      size_t sp = s.find(' ', s.find(' ') + 1);
      return s.substr(0, sp);
    };
    std::string allowed = "# signers\n\n" "alice,al* " + key("ed25519.pub") + "\n" +
                          "bob namespaces=\"file,backup\" " + key("ecdsa256.pub") + "\n" +
                          "carol,*@example.com cert-authority " + key("ca.pub") + "\n" +
                          "erin valid-after=\"20240101\",valid-before=\"20250101Z\" " + key("ecdsa384.pub") + "\n" +
                          "\"frank grace\" " + key("ecdsa521.pub") + "\n" + "!mallory,* " + key("rsa.pub") + "\n";
    Status s1 = dir_->WriteFile("allowed", allowed).status();
    Status s2 = dir_->WriteFile("msg", "a message to sign\nover two lines\n").status();
    Status s3 = dir_->WriteFile("tampered", "a message to sign\nover two lines.\n").status();
    if (!s1.ok() || !s2.ok() || !s3.ok()) ok_ = false;
  }
  std::optional<TempDir> dir_;
  bool ok_ = false;
};

const char* const kKeys[] = {"ed25519", "ecdsa256", "ecdsa384", "ecdsa521", "rsa", "certuser-cert.pub"};

std::vector<std::string> Kw(std::vector<std::string> args) {
  args.insert(args.begin(), {"keyward", "ssh-keygen"});
  return args;
}
std::vector<std::string> Sk(std::vector<std::string> args) {
  args.insert(args.begin(), "ssh-keygen");
  return args;
}

TEST(SshsigInterop, EachSideVerifiesTheOther) {
  const SigKeys& k = SigKeys::Get();
  ASSERT_TRUE(k.ok());
  const std::string d = k.dir().path();
  const std::string msg = k.Read("msg");
  MismatchBudget budget;
  for (const char* key : kKeys) {
    for (const char* hash : {"sha512", "sha256"}) {
      SCOPED_TRACE(std::string(key) + " " + hash);
      std::string base = std::string(key) + "." + hash;
      // Sign standard input with both tools.
      std::vector<std::string> args = {"-Y", "sign", "-f", key, "-n", "file", "-O", std::string("hashalg=") + hash};
      SubprocessResult o = RunTool({Sk(args), msg, d}), m = RunTool({Kw(args), msg, d});
      ASSERT_TRUE(o.ExitedWith(0)) << o.Describe();
      ASSERT_TRUE(m.ExitedWith(0)) << m.Describe();
      EXPECT_EQ(m.err, o.err);
      std::string kind(key);
      if (kind == "ed25519" || kind == "rsa" || kind == "certuser-cert.pub") {
        EXPECT_EQ(m.out, o.out) << "deterministic signature differs";
      }
      ASSERT_TRUE(k.dir().WriteFile(base + ".o.sig", o.out).ok());
      ASSERT_TRUE(k.dir().WriteFile(base + ".k.sig", m.out).ok());
      std::string principal = kind == "certuser-cert.pub" ? "carol"
                              : kind == "ed25519"        ? "alice"
                              : kind == "ecdsa256"       ? "bob"
                              : kind == "ecdsa384"       ? "erin"
                              : kind == "ecdsa521"       ? "frank grace"
                                                         : "zed";
      for (const char* who : {"o", "k"}) {
        std::string sig = base + "." + who + ".sig";
        for (const std::string& what : {std::string("msg"), std::string("tampered")}) {
          std::vector<std::string> v = {"-Y", "verify", "-f", "allowed", "-I", principal, "-n", "file", "-s", sig,
                                        "-O", "verify-time=20240601"};
          KW_CHECK(budget, SameAsOracle({Sk(v), k.Read(what), d}, {Kw(v), k.Read(what), d}, StderrMatch::kExact));
          std::vector<std::string> c = {"-Y", "check-novalidate", "-n", "file", "-s", sig};
          KW_CHECK(budget, SameAsOracle({Sk(c), k.Read(what), d}, {Kw(c), k.Read(what), d}, StderrMatch::kExact));
        }
        // The judge accepts keyward's signature.
        SubprocessResult j = RunTool({Sk({"-Y", "verify", "-f", "allowed", "-I", principal, "-n", "file", "-s",
                                          base + ".k.sig", "-O", "verify-time=20240601"}),
                                      msg, d});
        EXPECT_TRUE(j.ExitedWith(0)) << j.Describe();
        std::vector<std::string> f = {"-Y", "find-principals", "-f", "allowed", "-s", sig, "-O",
                                      "verify-time=20240601"};
        KW_CHECK(budget, SameAsOracle({Sk(f), "", d}, {Kw(f), "", d}, StderrMatch::kExact));
      }
    }
  }
}

TEST(SshsigInterop, FilesAndNativeCommands) {
  const SigKeys& k = SigKeys::Get();
  ASSERT_TRUE(k.ok());
  auto o = TempDir::Create("kw-sig-o");
  auto m = TempDir::Create("kw-sig-k");
  ASSERT_TRUE(o.ok() && m.ok());
  for (const TempDir* t : {&*o, &*m}) {
    for (const std::string f : {"ed25519", "ed25519.pub", "rsa", "rsa.pub", "msg", "allowed", "withpass",
                                "withpass.pub"})
      ASSERT_TRUE(test::CopyFile(k.dir().Path(f), t->Path(f)).ok());
    ASSERT_TRUE(t->WriteFile("second", "another file\n").ok());
  }
  MismatchBudget budget;
  // Signing files: FILE.sig and the messages on stderr; a passphrase-protected
  // key with -P; a key that does not exist.
  const std::vector<std::vector<std::string>> cases = {
      {"-Y", "sign", "-f", "ed25519", "-n", "file", "msg", "second"},
      {"-Y", "sign", "-f", "rsa.pub", "-n", "git", "-q", "msg"},
      {"-Y", "sign", "-f", "withpass", "-P", "correct horse", "-n", "file", "second"},
      {"-Y", "sign", "-f", "missing", "-n", "file", "msg"},
      {"-Y", "sign", "-f", "ed25519", "-n", "file", "-O", "hashalg=md5", "msg"},
      {"-Y", "sign", "-f", "ed25519", "-n", "file", "msg", "-"},
      {"-Y", "sign", "-f", "ed25519", "msg"},
      {"-Y", "sign", "-n", "file", "msg"},
      {"-Y", "bogus"},
  };
  for (const auto& c : cases) {
    SubprocessResult want = RunTool({Sk(c), "y\n", o->path()}), got = RunTool({Kw(c), "y\n", m->path()});
    KW_CHECK(budget, SameResult(test::ShellQuote(c), {Sk(c), "y\n", o->path()}, want, {Kw(c), "y\n", m->path()}, got,
                                c.back() == "bogus" ? StderrMatch::kIgnore : StderrMatch::kExact));
  }
  // Same signature files (Ed25519 and RSA are deterministic).
  for (const char* f : {"msg.sig", "second.sig"}) {
    StatusOr<std::string> a = ReadFile(o->Path(f)), b = ReadFile(m->Path(f));
    ASSERT_TRUE(a.ok() && b.ok()) << f;
    EXPECT_EQ(*b, *a) << f;
  }
  // Native: sign, then verify with ssh-keygen and with `keyward verify --key`.
  SubprocessResult s = RunTool({{"keyward", "sign", "-q", "--force", "-f", "ed25519", "-n", "keyward-bundle", "second"}, "",
                                m->path()});
  ASSERT_TRUE(s.ExitedWith(0)) << s.Describe();
  SubprocessResult j = RunTool({{"ssh-keygen", "-Y", "check-novalidate", "-n", "keyward-bundle", "-s", "second.sig"},
                                "another file\n", m->path()});
  EXPECT_TRUE(j.ExitedWith(0)) << j.Describe();
  SubprocessResult v = RunTool({{"keyward", "verify", "-s", "second.sig", "-n", "keyward-bundle", "--key",
                                 "ed25519.pub", "second"},
                                "", m->path()});
  EXPECT_TRUE(v.ExitedWith(0)) << v.Describe();
  SubprocessResult wrong = RunTool({{"keyward", "verify", "-s", "second.sig", "-n", "keyward-bundle", "--key",
                                     "rsa.pub", "second"},
                                    "", m->path()});
  EXPECT_TRUE(wrong.ExitedWith(255)) << wrong.Describe();
  SubprocessResult tampered = RunTool({{"keyward", "verify", "-s", "second.sig", "-n", "keyward-bundle", "--key",
                                        "ed25519.pub"},
                                       "another file!\n", m->path()});
  EXPECT_TRUE(tampered.ExitedWith(255)) << tampered.Describe();
}

TEST(SshsigInterop, BadInputsAndPrincipals) {
  const SigKeys& k = SigKeys::Get();
  ASSERT_TRUE(k.ok());
  const std::string d = k.dir().path();
  SubprocessResult s = RunTool({{"ssh-keygen", "-q", "-Y", "sign", "-f", "ed25519", "-n", "file"}, k.Read("msg"), d});
  ASSERT_TRUE(s.ExitedWith(0));
  ASSERT_TRUE(k.dir().WriteFile("good.sig", s.out).ok());
  std::string body = s.out;
  std::string flipped = body;
  flipped[60] = flipped[60] == 'A' ? 'B' : 'A';
  ASSERT_TRUE(k.dir().WriteFile("flipped.sig", flipped).ok());
  ASSERT_TRUE(k.dir().WriteFile("noheader.sig", body.substr(10)).ok());
  ASSERT_TRUE(k.dir().WriteFile("nofooter.sig", body.substr(0, body.size() - 12)).ok());
  ASSERT_TRUE(k.dir().WriteFile("short.sig", "junk\n").ok());
  ASSERT_TRUE(k.dir().WriteFile("bad_allowed", "alice\nbob " + k.Read("ed25519.pub") + "x y=\"z " +
                                                   k.Read("ed25519.pub") + "alice nokey\n")
                  .ok());
  MismatchBudget budget;
  const std::vector<std::vector<std::string>> cases = {
      {"-Y", "verify", "-f", "allowed", "-I", "alice", "-n", "other", "-s", "good.sig"},
      {"-Y", "verify", "-f", "allowed", "-I", "mallory", "-n", "file", "-s", "good.sig"},
      {"-Y", "verify", "-f", "allowed", "-I", "alfred", "-n", "file", "-s", "good.sig"},
      {"-Y", "verify", "-f", "allowed", "-I", "alice", "-n", "file", "-s", "flipped.sig"},
      {"-Y", "verify", "-f", "allowed", "-I", "alice", "-n", "file", "-s", "noheader.sig"},
      {"-Y", "verify", "-f", "allowed", "-I", "alice", "-n", "file", "-s", "nofooter.sig"},
      {"-Y", "verify", "-f", "allowed", "-I", "alice", "-n", "file", "-s", "short.sig"},
      {"-Y", "verify", "-f", "allowed", "-I", "alice", "-n", "file", "-s", "missing.sig"},
      {"-Y", "verify", "-f", "missing", "-I", "alice", "-n", "file", "-s", "good.sig"},
      {"-Y", "verify", "-f", "bad_allowed", "-I", "alice", "-n", "file", "-s", "good.sig"},
      {"-Y", "verify", "-f", "allowed", "-I", "alice", "-n", "file", "-s", "good.sig", "-O", "print-pubkey"},
      {"-Y", "verify", "-f", "allowed", "-I", "alice", "-n", "file", "-s", "good.sig", "-O", "bogus"},
      {"-Y", "verify", "-f", "allowed", "-I", "alice", "-n", "file", "-s", "good.sig", "-q"},
      {"-Y", "verify", "-f", "allowed", "-I", "alice", "-n", "file", "-s", "good.sig", "-r", "allowed"},
      {"-Y", "verify", "-f", "allowed", "-n", "file", "-s", "good.sig"},
      {"-Y", "find-principals", "-f", "bad_allowed", "-s", "good.sig"},
      {"-Y", "find-principals", "-f", "allowed", "-s", "short.sig"},
      {"-Y", "find-principals", "-f", "allowed", "-s", "good.sig"},
      {"-Y", "match-principals", "-f", "allowed", "-I", "alice"},
      {"-Y", "match-principals", "-f", "allowed", "-I", "someone@example.com"},
      {"-Y", "match-principals", "-f", "allowed", "-I", "mallory"},
      {"-Y", "match-principals", "-f", "bad_allowed", "-I", "bob"},
      {"-Y", "match-principals", "-f", "missing", "-I", "bob"},
      {"-Y", "check-novalidate", "-n", "file", "-s", "flipped.sig"},
      {"-Y", "check-novalidate", "-s", "good.sig"},
  };
  for (const auto& c : cases) {
    KW_CHECK(budget, SameAsOracle({Sk(c), k.Read("msg"), d}, {Kw(c), k.Read("msg"), d}, StderrMatch::kExact));
  }
}

}  // namespace
}  // namespace kw::interop
