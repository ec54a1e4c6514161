// Keys made by keyward, read by the real ssh-keygen: `keyward keygen` files
// must load in ssh-keygen (with -P for encrypted ones) and give back exactly
// the .pub line keyward wrote; encrypted keys use ssh-keygen 9.2's defaults
// (aes256-ctr, bcrypt, 16 rounds); `keyward passphrase` re-encrypts in place,
// and keyward reads what `ssh-keygen -p` wrote.

#include <gtest/gtest.h>

#include <memory>
#include <sys/stat.h>

#include <map>
#include <optional>

#include "base/file.h"
#include "interop/interop.h"

KW_INTEROP_ENVIRONMENT(true);

namespace kw::interop {
namespace {

const char* const kComment = "kw user@example.com";
const char* const kPass = "kw passphrase 1";

struct GenKey {
  std::string name;
  KeySpec spec;
  std::string passphrase;
};

void PrintTo(const GenKey& k, std::ostream* os) { *os << k.name; }

const std::vector<GenKey>& Plan() {
  static const std::vector<GenKey> plan = [] {
    std::vector<GenKey> p;
    for (const KeySpec& s : AllKeySpecs()) {
      if (s.type == "dsa") continue;  // ssh-keygen reads DSA; keyward does not make it
      p.push_back({"kw-" + s.label, s, ""});
      p.push_back({"kw-" + s.label + "-pw", s, kPass});
    }
    return p;
  }();
  return plan;
}

std::vector<std::string> KeygenArgs(const KeySpec& spec, const std::string& comment, const std::string& pass,
                                    const std::string& file) {
  std::vector<std::string> a = {"keyward", "keygen", "-t", spec.type};
  if (spec.bits != 0) a.insert(a.end(), {"-b", std::to_string(spec.bits)});
  a.insert(a.end(), {"-C", comment, "-N", pass, "-f", file});
  return a;
}

// keyward keygen for every planned key, once per binary.
struct World {
  TempDir dir;
  std::map<std::string, SubprocessResult> keygen;  // by key name
};

World& GetWorld() {
  // Owned by a function-local static, so the directory is removed at exit.
  static const std::unique_ptr<World> world([] {
    StatusOr<TempDir> dir = TempDir::Create("kw-interop-keygen");
    if (!dir.ok()) std::abort();
    auto* w = new World{std::move(*dir), {}};
    (void)w->dir.MakeDir("nopub");
    for (const GenKey& k : Plan()) {
      w->keygen[k.name] = RunTool({KeygenArgs(k.spec, kComment, k.passphrase, k.name), "", w->dir.path()});
      (void)test::CopyFile(w->dir.Path(k.name), w->dir.Path("nopub/" + k.name));
    }
    return w;
  }());
  return *world;
}

const std::string& Dir() { return GetWorld().dir.path(); }

std::string ReadOrEmpty(const std::string& path) {
  StatusOr<std::string> s = ReadFile(path);
  return s.ok() ? *s : "";
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

// "-P pass" when there is one.
std::vector<std::string> PassArgs(const std::string& pass) {
  return pass.empty() ? std::vector<std::string>{} : std::vector<std::string>{"-P", pass};
}

std::string SshKeygenY(const std::string& dir, const std::string& file, const std::string& pass,
                       SubprocessResult* result = nullptr) {
  std::vector<std::string> a = {"ssh-keygen", "-y"};
  for (const auto& x : PassArgs(pass)) a.push_back(x);
  a.insert(a.end(), {"-f", file});
  SubprocessResult r = RunTool({a, "", dir});
  if (result) *result = r;
  return r.ExitedWith(0) ? r.out : "<ssh-keygen -y failed: " + r.DescribeStatus() + ": " + r.err + ">";
}

class KeywardKey : public ::testing::TestWithParam<GenKey> {
 protected:
  void SetUp() override {
    const SubprocessResult& r = GetWorld().keygen[GetParam().name];
    ASSERT_TRUE(r.ExitedWith(0)) << "keyward keygen failed:\n$ "
                                 << test::ShellQuote(KeygenArgs(GetParam().spec, kComment, GetParam().passphrase,
                                                                GetParam().name))
                                 << "\n" << r.Describe();
  }
  std::string Path(const std::string& ext = "") const { return Dir() + "/" + GetParam().name + ext; }
};

TEST_P(KeywardKey, WritesPrivateAndPublicFilesWithModes) {
  EXPECT_EQ(ModeOf(Path()), 0600u) << Path();
  EXPECT_EQ(ModeOf(Path(".pub")), 0644u) << Path(".pub");
  std::string pub = ReadOrEmpty(Path(".pub"));
  const KeySpec& spec = GetParam().spec;
  std::string type = spec.type == "ed25519" ? "ssh-ed25519"
                     : spec.type == "rsa"   ? "ssh-rsa"
                                            : "ecdsa-sha2-nistp" + std::to_string(spec.Bits());
  EXPECT_EQ(pub.rfind(type + " ", 0), 0u) << pub;
  EXPECT_EQ(pub, KeyPart(pub) + " " + kComment + "\n");
}

TEST_P(KeywardKey, SshKeygenYGivesBackThePubLine) {
  const GenKey& k = GetParam();
  std::string pub = ReadOrEmpty(Path(".pub"));
  EXPECT_EQ(SshKeygenY(Dir(), k.name, k.passphrase), pub);
  EXPECT_EQ(SshKeygenY(Dir(), "nopub/" + k.name, k.passphrase), pub);
  if (!k.passphrase.empty()) {
    SubprocessResult r;
    SshKeygenY(Dir(), k.name, "not the passphrase", &r);
    EXPECT_TRUE(r.ExitedWith(255)) << r.Describe();
    EXPECT_NE(r.err.find("incorrect passphrase supplied to decrypt private key"), std::string::npos) << r.err;
  }
}

TEST_P(KeywardKey, SshKeygenLShowsTypeBitsAndComment) {
  const GenKey& k = GetParam();
  std::string from_pub = RunToolOk({{"ssh-keygen", "-l", "-f", k.name + ".pub"}, "", Dir()});
  std::string prefix = std::to_string(k.spec.Bits()) + " SHA256:";
  std::string suffix = std::string(" ") + kComment + " (" + k.spec.ShortType() + ")\n";
  EXPECT_EQ(from_pub.rfind(prefix, 0), 0u) << from_pub;
  EXPECT_TRUE(from_pub.size() > suffix.size() && from_pub.substr(from_pub.size() - suffix.size()) == suffix)
      << from_pub;
  // The private key with its .pub beside it; alone (an unencrypted key keeps
  // its comment in the private section; an encrypted one shows "no comment").
  EXPECT_EQ(RunToolOk({{"ssh-keygen", "-l", "-f", k.name}, "", Dir()}), from_pub);
  std::string alone = RunToolOk({{"ssh-keygen", "-l", "-f", "nopub/" + k.name}, "", Dir()});
  if (k.passphrase.empty()) {
    EXPECT_EQ(alone, from_pub);
  } else {
    EXPECT_EQ(alone, from_pub.substr(0, from_pub.size() - suffix.size()) + " no comment (" + k.spec.ShortType() +
                         ")\n");
  }
}

TEST_P(KeywardKey, PrivateKeyEnvelope) {
  const GenKey& k = GetParam();
  std::string text = ReadOrEmpty(Path());
  PrivateEnvelope env = DecodePrivateEnvelope(text);
  ASSERT_EQ(env.error, "") << text;
  EXPECT_TRUE(env.armour_ok) << "BEGIN/END lines and 70-column base64 expected:\n" << text;
  EXPECT_TRUE(env.magic_ok);
  EXPECT_EQ(env.nkeys, 1u);
  EXPECT_EQ(env.public_blob, BlobOf(ReadOrEmpty(Path(".pub"))));
  if (k.passphrase.empty()) {
    EXPECT_EQ(env.cipher, "none");
    EXPECT_EQ(env.kdf, "none");
    EXPECT_EQ(env.salt_len, 0u);
  } else {
    EXPECT_EQ(env.cipher, "aes256-ctr");
    EXPECT_EQ(env.kdf, "bcrypt");
    EXPECT_EQ(env.salt_len, 16u);
    EXPECT_EQ(env.rounds, 16u) << "ssh-keygen 9.2's default bcrypt rounds";
  }
}

TEST_P(KeywardKey, KeywardReadsItsOwnKeyLikeSshKeygen) {
  const GenKey& k = GetParam();
  MismatchBudget budget;
  for (const std::string& file : {k.name + ".pub", k.name, "nopub/" + k.name}) {
    for (const auto& opts : std::vector<std::vector<std::string>>{{}, {"-v"}}) {
      Invocation oracle{{"ssh-keygen", "-l"}, "", Dir()};
      oracle.argv.insert(oracle.argv.end(), opts.begin(), opts.end());
      oracle.argv.insert(oracle.argv.end(), {"-f", file});
      Invocation kw{{"keyward", "fingerprint"}, "", Dir()};
      kw.argv.insert(kw.argv.end(), opts.begin(), opts.end());
      kw.argv.push_back(file);
      KW_CHECK(budget, SameAsOracle(oracle, kw, StderrMatch::kEmptyIffEmpty));
    }
  }
  Invocation oracle{{"ssh-keygen", "-y"}, "", Dir()};
  Invocation kw{{"keyward", "pubkey"}, "", Dir()};
  for (Invocation* inv : {&oracle, &kw}) {
    for (const auto& x : PassArgs(k.passphrase)) inv->argv.push_back(x);
    inv->argv.insert(inv->argv.end(), {"-f", k.name});
  }
  KW_CHECK(budget, SameAsOracle(oracle, kw, StderrMatch::kEmptyIffEmpty));
}

INSTANTIATE_TEST_SUITE_P(AllTypes, KeywardKey, ::testing::ValuesIn(Plan()), ParamName<GenKey>);

// ---------------------------------------------------------------------------

class KeywardKeygen : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<TempDir> d = TempDir::Create("kw-interop-keygen1");
    ASSERT_TRUE(d.ok());
    dir_.emplace(std::move(*d));
  }
  const std::string& dir() const { return dir_->path(); }
  std::string P(const std::string& name) const { return dir_->Path(name); }
  SubprocessResult Keyward(std::vector<std::string> args, const std::string& stdin_data = "") {
    args.insert(args.begin(), "keyward");
    return RunTool({args, stdin_data, dir()});
  }
  std::optional<TempDir> dir_;
};

TEST_F(KeywardKeygen, OddCommentsRoundTripThroughSshKeygen) {
  MismatchBudget budget;
  std::vector<std::string> comments = OddComments();
  comments.push_back("");
  for (size_t i = 0; i < comments.size(); ++i) {
    const std::string& c = comments[i];
    std::string name = "c" + std::to_string(i);
    SubprocessResult r = Keyward({"keygen", "-t", "ed25519", "-N", "", "-C", c, "-f", name});
    ASSERT_TRUE(r.ExitedWith(0)) << r.Describe();
    std::string pub = ReadOrEmpty(P(name + ".pub"));
    // ssh-keygen writes "type b64 comment\n", with the space even when the
    // comment is empty. It also cuts -C at 1023 bytes (a 1024-byte buffer);
    // keyward may keep a longer comment whole or cut it the same way.
    if (c.size() <= 1023) {
      EXPECT_EQ(pub, KeyPart(pub) + " " + c + "\n") << "comment " << Visible(c);
    } else {
      EXPECT_TRUE(pub == KeyPart(pub) + " " + c + "\n" || pub == KeyPart(pub) + " " + c.substr(0, 1023) + "\n")
          << "a " << c.size() << "-byte comment became " << Visible(pub);
    }
    EXPECT_EQ(SshKeygenY(dir(), name, ""), c.empty() ? KeyPart(pub) + "\n" : pub) << "comment " << Visible(c);
    (void)test::CopyFile(P(name), P(name + "-alone"));
    for (const std::string& file : {name + ".pub", name, name + "-alone"}) {
      Invocation oracle{{"ssh-keygen", "-l", "-f", file}, "", dir()};
      Invocation kw{{"keyward", "fingerprint", file}, "", dir()};
      KW_CHECK(budget, SameAsOracle(oracle, kw, StderrMatch::kEmptyIffEmpty));
    }
  }
}

TEST_F(KeywardKeygen, DefaultCommentIsSshKeygensUserAtHost) {
  ASSERT_TRUE(RunTool({{"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", "oracle"}, "", dir()}).ExitedWith(0));
  SubprocessResult r = Keyward({"keygen", "-t", "ed25519", "-N", "", "-f", "kw"});
  ASSERT_TRUE(r.ExitedWith(0)) << r.Describe();
  std::string want = ReadOrEmpty(P("oracle.pub"));
  std::string got = ReadOrEmpty(P("kw.pub"));
  EXPECT_EQ(got.substr(KeyPart(got).size()), want.substr(KeyPart(want).size()));
}

TEST_F(KeywardKeygen, RoundsOption) {
  for (int rounds : {1, 8, 32}) {
    std::string name = "r" + std::to_string(rounds);
    SubprocessResult r =
        Keyward({"keygen", "-t", "ed25519", "-N", kPass, "-a", std::to_string(rounds), "-C", "c", "-f", name});
    ASSERT_TRUE(r.ExitedWith(0)) << r.Describe();
    PrivateEnvelope env = DecodePrivateEnvelope(ReadOrEmpty(P(name)));
    EXPECT_EQ(env.rounds, static_cast<uint32_t>(rounds));
    EXPECT_EQ(env.kdf, "bcrypt");
    EXPECT_EQ(SshKeygenY(dir(), name, kPass), ReadOrEmpty(P(name + ".pub")));
  }
}

TEST_F(KeywardKeygen, RefusesToOverwriteWithoutForce) {
  ASSERT_TRUE(Keyward({"keygen", "-t", "ed25519", "-N", "", "-C", "first", "-f", "k"}).ExitedWith(0));
  ASSERT_EQ(::chmod(P("k.pub").c_str(), 0640), 0);  // a mode keyward would not pick
  std::string priv = ReadOrEmpty(P("k")), pub = ReadOrEmpty(P("k.pub"));
  ASSERT_FALSE(priv.empty());

  SubprocessResult again = Keyward({"keygen", "-t", "ed25519", "-N", "", "-C", "second", "-f", "k"});
  EXPECT_FALSE(again.ExitedWith(0)) << again.Describe();
  EXPECT_NE(again.err, "") << "a refusal should say why";
  EXPECT_EQ(ReadOrEmpty(P("k")), priv);
  EXPECT_EQ(ReadOrEmpty(P("k.pub")), pub);
  EXPECT_EQ(ModeOf(P("k")), 0600u);
  EXPECT_EQ(ModeOf(P("k.pub")), 0640u);

  SubprocessResult forced = Keyward({"keygen", "-t", "ed25519", "-N", "", "-C", "second", "-f", "k", "--force"});
  EXPECT_TRUE(forced.ExitedWith(0)) << forced.Describe();
  EXPECT_NE(ReadOrEmpty(P("k")), priv);
  std::string newpub = ReadOrEmpty(P("k.pub"));
  EXPECT_NE(KeyPart(newpub), KeyPart(pub));
  EXPECT_EQ(newpub, KeyPart(newpub) + " second\n");
  EXPECT_EQ(ModeOf(P("k")), 0600u);
  EXPECT_EQ(SshKeygenY(dir(), "k", ""), newpub);
}

TEST_F(KeywardKeygen, RejectsBadArguments) {
  // Whatever the wording, these must fail and write nothing.
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"-t", "foo"},
           {"-t", "rsa", "-b", "512"},
           {"-t", "rsa", "-b", "100000"},
           {"-t", "ecdsa", "-b", "300"},
           {"-t", "rsa", "-b", "abc"},
       }) {
    std::vector<std::string> a = {"keygen"};
    a.insert(a.end(), args.begin(), args.end());
    a.insert(a.end(), {"-N", "", "-f", "bad"});
    SubprocessResult r = Keyward(a);
    EXPECT_FALSE(r.ExitedWith(0)) << test::ShellQuote(a) << "\n" << r.Describe();
    EXPECT_FALSE(test::PathExists(P("bad"))) << test::ShellQuote(a);
    EXPECT_FALSE(test::PathExists(P("bad.pub"))) << test::ShellQuote(a);
  }
  SubprocessResult r = Keyward({"keygen", "-t", "ed25519", "-N", "", "-f", P("no/such/dir/k")});
  EXPECT_FALSE(r.ExitedWith(0)) << r.Describe();
}

// keyward passphrase: add, change, remove; ssh-keygen is the judge of the
// result each time.
class PassphraseChange : public KeywardKeygen, public ::testing::WithParamInterface<std::string> {};

TEST_P(PassphraseChange, SshKeygenFollowsEveryChange) {
  const KeySpec& spec = SpecByLabel(GetParam());
  ASSERT_TRUE(RunTool({KeygenArgs(spec, "pp comment", "", "k"), "", dir()}).ExitedWith(0));
  const std::string pub = ReadOrEmpty(P("k.pub"));
  ASSERT_FALSE(pub.empty());
  SubprocessResult r;

  // none -> new1
  r = Keyward({"passphrase", "-f", "k", "-N", "new one"});
  ASSERT_TRUE(r.ExitedWith(0)) << r.Describe();
  EXPECT_EQ(SshKeygenY(dir(), "k", "new one"), pub);
  SshKeygenY(dir(), "k", "", &r);
  EXPECT_TRUE(r.ExitedWith(255)) << "the key should now need a passphrase\n" << r.Describe();
  PrivateEnvelope env = DecodePrivateEnvelope(ReadOrEmpty(P("k")));
  EXPECT_EQ(env.cipher, "aes256-ctr");
  EXPECT_EQ(env.kdf, "bcrypt");
  EXPECT_EQ(env.rounds, 16u);
  EXPECT_EQ(ModeOf(P("k")), 0600u);

  // new1 -> new2
  r = Keyward({"passphrase", "-f", "k", "-P", "new one", "-N", "new two"});
  ASSERT_TRUE(r.ExitedWith(0)) << r.Describe();
  EXPECT_EQ(SshKeygenY(dir(), "k", "new two"), pub);
  SshKeygenY(dir(), "k", "new one", &r);
  EXPECT_TRUE(r.ExitedWith(255)) << "the old passphrase must no longer work\n" << r.Describe();
  EXPECT_NE(r.err.find("incorrect passphrase"), std::string::npos) << r.err;

  // wrong old passphrase: refused, file untouched
  std::string before = ReadOrEmpty(P("k"));
  r = Keyward({"passphrase", "-f", "k", "-P", "new one", "-N", "never"});
  EXPECT_FALSE(r.ExitedWith(0)) << r.Describe();
  EXPECT_EQ(ReadOrEmpty(P("k")), before);

  // new2 -> none; the comment survived every rewrite
  r = Keyward({"passphrase", "-f", "k", "-P", "new two", "-N", ""});
  ASSERT_TRUE(r.ExitedWith(0)) << r.Describe();
  EXPECT_EQ(SshKeygenY(dir(), "k", ""), pub);
  EXPECT_EQ(DecodePrivateEnvelope(ReadOrEmpty(P("k"))).cipher, "none");
  ASSERT_TRUE(test::CopyFile(P("k"), P("alone")).ok());
  std::string l = RunToolOk({{"ssh-keygen", "-l", "-f", "alone"}, "", dir()});
  EXPECT_NE(l.find(" pp comment ("), std::string::npos) << l;
  // Nothing left behind in the directory (temporary files of the atomic write).
  StatusOr<SubprocessResult> ls = test::RunSubprocess({"ls", "-A", dir()});
  ASSERT_TRUE(ls.ok());
  EXPECT_EQ(ls->out, "alone\nk\nk.pub\n");
}

TEST_P(PassphraseChange, KeywardReadsWhatSshKeygenPWrote) {
  const KeySpec& spec = SpecByLabel(GetParam());
  ASSERT_TRUE(RunTool({KeygenArgs(spec, "pp comment", kPass, "k"), "", dir()}).ExitedWith(0));
  const std::string pub = ReadOrEmpty(P("k.pub"));
  SubprocessResult r = RunTool({{"ssh-keygen", "-p", "-P", kPass, "-N", "changed by ssh-keygen", "-f", "k"}, "", dir()});
  ASSERT_TRUE(r.ExitedWith(0)) << r.Describe();
  r = Keyward({"pubkey", "-P", "changed by ssh-keygen", "-f", "k"});
  EXPECT_TRUE(r.ExitedWith(0)) << r.Describe();
  EXPECT_EQ(r.out, pub);
  r = Keyward({"pubkey", "-P", kPass, "-f", "k"});
  EXPECT_FALSE(r.ExitedWith(0)) << "the old passphrase must fail\n" << r.Describe();
  // And keyward can change it again, for ssh-keygen.
  r = Keyward({"passphrase", "-f", "k", "-P", "changed by ssh-keygen", "-N", "back to keyward"});
  EXPECT_TRUE(r.ExitedWith(0)) << r.Describe();
  EXPECT_EQ(SshKeygenY(dir(), "k", "back to keyward"), pub);
}

INSTANTIATE_TEST_SUITE_P(Types, PassphraseChange, ::testing::Values("ed25519", "ecdsa384", "rsa2048"));

// ssh-keygen -p -Z writes other ciphers; keyward must read all of them.
TEST_F(KeywardKeygen, ReadsEveryCipherSshKeygenWrites) {
  ASSERT_TRUE(Keyward({"keygen", "-t", "ed25519", "-N", "", "-C", "ciphers", "-f", "base"}).ExitedWith(0));
  const std::string pub = ReadOrEmpty(P("base.pub"));
  MismatchBudget budget;
  for (const char* cipher : {"aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-cbc", "aes192-cbc", "aes256-cbc"}) {
    std::string f = std::string("k-") + cipher;
    ASSERT_TRUE(test::CopyFile(P("base"), P(f)).ok());
    SubprocessResult r = RunTool({{"ssh-keygen", "-p", "-P", "", "-N", kPass, "-a", "2", "-Z", cipher, "-f", f}, "", dir()});
    ASSERT_TRUE(r.ExitedWith(0)) << r.Describe();
    EXPECT_EQ(DecodePrivateEnvelope(ReadOrEmpty(P(f))).cipher, cipher);
    Invocation oracle{{"ssh-keygen", "-y", "-P", kPass, "-f", f}, "", dir()};
    Invocation kw{{"keyward", "pubkey", "-P", kPass, "-f", f}, "", dir()};
    KW_CHECK(budget, SameAsOracle(oracle, kw, StderrMatch::kEmptyIffEmpty));
    Invocation wrong_oracle{{"ssh-keygen", "-y", "-P", "wrong", "-f", f}, "", dir()};
    Invocation wrong_kw{{"keyward", "pubkey", "-P", "wrong", "-f", f}, "", dir()};
    KW_CHECK(budget, SameAsOracle(wrong_oracle, wrong_kw, StderrMatch::kContains));
  }
}

// The AEAD ciphers (-Z aes*-gcm@openssh.com, chacha20-poly1305@openssh.com)
// are not implemented yet: keyward must refuse such files cleanly, saying
// why, rather than misreading them.
TEST_F(KeywardKeygen, RefusesAeadCipherKeysClearly) {
  ASSERT_TRUE(Keyward({"keygen", "-t", "ed25519", "-N", "", "-C", "aead", "-f", "aead"}).ExitedWith(0));
  for (const char* cipher : {"aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com"}) {
    std::string f = std::string("k-") + cipher;
    ASSERT_TRUE(test::CopyFile(P("aead"), P(f)).ok());
    SubprocessResult r = RunTool({{"ssh-keygen", "-p", "-P", "", "-N", kPass, "-a", "2", "-Z", cipher, "-f", f}, "", dir()});
    ASSERT_TRUE(r.ExitedWith(0)) << r.Describe();
    SubprocessResult kw = Keyward({"pubkey", "-P", kPass, "-f", f});
    EXPECT_TRUE(kw.ExitedWith(1)) << kw.Describe();
    EXPECT_TRUE(kw.out.empty()) << kw.Describe();
    EXPECT_NE(kw.err.find("key encrypted using unsupported cipher"), std::string::npos) << kw.Describe();
  }
}

}  // namespace
}  // namespace kw::interop
