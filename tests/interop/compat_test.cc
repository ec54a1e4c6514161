// `keyward ssh-keygen ARGS...` must behave as `ssh-keygen ARGS...` for the
// flags it accepts (-t -b -C -N -f -q -a; -l -E -v -B; -y -P; -p -P -N):
// the same stdout, the same stderr and the same exit code, byte for byte,
// errors included. Both run in directories with the same relative file
// names so that paths in messages agree.
//
// Key generation is random, so for keygen runs the fingerprint and randomart
// lines are checked against `ssh-keygen -lv` of the key each tool wrote, and
// everything else is compared exactly.

#include <gtest/gtest.h>

#include <memory>
#include <sys/stat.h>

#include <optional>

#include "base/file.h"
#include "interop/interop.h"

KW_INTEROP_ENVIRONMENT(true);

namespace kw::interop {
namespace {

const std::vector<KeyFile>& Plan() {
  static const std::vector<KeyFile> plan = [] {
    std::vector<KeySpec> specs;
    for (const char* l : {"ed25519", "ecdsa256", "ecdsa521", "rsa2048", "dsa"}) specs.push_back(SpecByLabel(l));
    return PlanOracleKeys(specs, {"ed25519"});
  }();
  return plan;
}

struct World {
  TempDir dir;
  bool ok = false;
};

World& GetWorld() {
  // Owned by a function-local static, so the directory is removed at exit.
  static const std::unique_ptr<World> world([] {
    StatusOr<TempDir> dir = TempDir::Create("kw-interop-compat");
    if (!dir.ok()) std::abort();
    auto* w = new World{std::move(*dir)};
    w->ok = MakeOracleKeys(w->dir, Plan());
    (void)w->dir.MakeDir("nopub");
    for (const KeyFile& k : Plan()) (void)test::CopyFile(w->dir.Path(k.name), w->dir.Path("nopub/" + k.name));
    return w;
  }());
  return *world;
}

const std::string& Dir() { return GetWorld().dir.path(); }

// ssh-keygen ARGS vs keyward ssh-keygen ARGS, in `cwd`, everything exact.
::testing::AssertionResult Compat(const std::vector<std::string>& args, const std::string& stdin_data = "",
                                  const std::string& cwd = Dir()) {
  Invocation oracle{{"ssh-keygen"}, stdin_data, cwd};
  Invocation kw{{"keyward", "ssh-keygen"}, stdin_data, cwd};
  for (Invocation* inv : {&oracle, &kw}) inv->argv.insert(inv->argv.end(), args.begin(), args.end());
  return SameAsOracle(oracle, kw, StderrMatch::kExact);
}

class CompatKey : public ::testing::TestWithParam<KeyFile> {
 protected:
  void SetUp() override { ASSERT_TRUE(GetWorld().ok); }
};

TEST_P(CompatKey, FingerprintFlags) {
  const KeyFile& k = GetParam();
  MismatchBudget budget;
  std::vector<std::vector<std::string>> flag_sets = {{"-l"}, {"-l", "-v"}, {"-B"}};
  if (k.base.empty()) {
    flag_sets.insert(flag_sets.end(), {{"-l", "-E", "md5"},
                                       {"-l", "-E", "sha1"},
                                       {"-l", "-E", "SHA512"},  // -E is case-insensitive
                                       {"-l", "-E", "sha384", "-v"},
                                       {"-E", "md5", "-l"},
                                       {"-B", "-v"},
                                       {"-l", "-B"}});
  }
  for (const std::string& file : {k.name + ".pub", k.name, "nopub/" + k.name}) {
    for (auto args : flag_sets) {
      args.insert(args.end(), {"-f", file});
      KW_CHECK(budget, Compat(args));
    }
  }
  if (k.base.empty()) {
    // getopt-style bundles.
    KW_CHECK(budget, Compat({"-lf", k.name + ".pub"}));
    KW_CHECK(budget, Compat({"-lvf", k.name}));
    KW_CHECK(budget, Compat({"-lEmd5", "-f", k.name + ".pub"}));
    KW_CHECK(budget, Compat({"-Bf", k.name + ".pub"}));
    KW_CHECK(budget, Compat({"-l", "-f-"}, *ReadFile(Dir() + "/" + k.name + ".pub")));
    KW_CHECK(budget, Compat({"-l", "-f", "-"}, *ReadFile(Dir() + "/" + k.name + ".pub")));
  }
}

TEST_P(CompatKey, PublicKeyFromPrivate) {
  const KeyFile& k = GetParam();
  MismatchBudget budget;
  if (k.passphrase.empty()) {
    KW_CHECK(budget, Compat({"-y", "-f", k.name}));
    KW_CHECK(budget, Compat({"-y", "-f", "nopub/" + k.name}));
    if (k.base.empty()) {
      KW_CHECK(budget, Compat({"-yf", k.name}));
      KW_CHECK(budget, Compat({"-y", "-P", "unused", "-f", k.name}));
    }
  } else {
    KW_CHECK(budget, Compat({"-y", "-P", k.passphrase, "-f", k.name}));
    if (!k.comment.empty()) {
      KW_CHECK(budget, Compat({"-y", "-P", "wrong passphrase", "-f", k.name}));
      // No -P: "Enter passphrase: " on stderr, then the passphrase is read
      // from stdin (there is no terminal).
      KW_CHECK(budget, Compat({"-y", "-f", k.name}, std::string(k.passphrase) + "\n"));
      KW_CHECK(budget, Compat({"-y", "-f", k.name}, ""));
      KW_CHECK(budget, Compat({"-y", "-f", k.name}, "wrong\n"));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Keys, CompatKey, ::testing::ValuesIn(Plan()), ParamName<KeyFile>);

// ---------------------------------------------------------------------------

class CompatFiles : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(GetWorld().ok); }
  std::string Write(const std::string& name, const std::string& content, mode_t mode) {
    StatusOr<std::string> p = GetWorld().dir.WriteFile(name, content, mode);
    EXPECT_TRUE(p.ok());
    return name;
  }
};

TEST_F(CompatFiles, ReadErrors) {
  Write("notakey.txt", "hello\n", 0644);
  Write("notakey-0600", "hello\n", 0600);
  Write("emptyfile", "", 0600);
  Write("ed25519-0644", *ReadFile(Dir() + "/ed25519"), 0644);
  (void)GetWorld().dir.MakeDir("adir");
  MismatchBudget budget;
  for (const char* f : {"missing", "notakey.txt", "notakey-0600", "emptyfile", "adir", "ed25519-0644"}) {
    KW_CHECK(budget, Compat({"-l", "-f", f}));
    KW_CHECK(budget, Compat({"-l", "-v", "-f", f}));
    KW_CHECK(budget, Compat({"-B", "-f", f}));
    KW_CHECK(budget, Compat({"-y", "-f", f}));
  }
  // A .pub file is 0644: -y refuses it with the permissions banner.
  KW_CHECK(budget, Compat({"-y", "-f", "ed25519.pub"}));
  KW_CHECK(budget, Compat({"-l", "-E", "foo", "-f", "ed25519.pub"}));
  KW_CHECK(budget, Compat({"-l", "-f", "-"}, "not a key\n"));
  KW_CHECK(budget, Compat({"-l", "-f", "-"}, ""));
  KW_CHECK(budget, Compat({"-l", "-f", "-"}, *ReadFile(Dir() + "/ed25519")));
}

TEST_F(CompatFiles, ChangePassphrase) {
  MismatchBudget budget;
  for (const char* name : {"ed25519", "ecdsa256-nocomment"}) {
    // Each tool gets its own copy, under the same name in its own directory.
    StatusOr<TempDir> a = TempDir::Create("kw-compat-p"), b = TempDir::Create("kw-compat-p");
    ASSERT_TRUE(a.ok() && b.ok());
    for (const TempDir* d : {&*a, &*b}) {
      ASSERT_TRUE(test::CopyFile(Dir() + "/" + name, d->Path("k")).ok());
      ASSERT_TRUE(test::CopyFile(Dir() + "/" + name + ".pub", d->Path("k.pub")).ok());
    }
    auto both = [&](const std::vector<std::string>& args, const std::string& in = "") {
      Invocation oracle{{"ssh-keygen"}, in, a->path()};
      Invocation kw{{"keyward", "ssh-keygen"}, in, b->path()};
      for (Invocation* inv : {&oracle, &kw}) inv->argv.insert(inv->argv.end(), args.begin(), args.end());
      return SameResult(test::ShellQuote(kw.argv), oracle, RunTool(oracle), kw, RunTool(kw), StderrMatch::kExact);
    };
    KW_CHECK(budget, both({"-p", "-P", "", "-N", "first", "-f", "k"}));
    KW_CHECK(budget, both({"-p", "-P", "wrong", "-N", "x", "-f", "k"}));
    KW_CHECK(budget, both({"-p", "-P", "first", "-N", "second", "-f", "k"}));
    KW_CHECK(budget, both({"-p", "-N", "third", "-f", "k"}, "second\n"));  // old passphrase from stdin
    KW_CHECK(budget, both({"-p", "-P", "third", "-N", "", "-f", "k"}));
    KW_CHECK(budget, both({"-p", "-P", "", "-N", "x", "-f", "missing"}));
    KW_CHECK(budget, both({"-p", "-P", "", "-N", "rounds", "-a", "4", "-f", "k"}));
    // ssh-keygen can read what keyward wrote.
    SubprocessResult y = RunTool({{"ssh-keygen", "-y", "-P", "rounds", "-f", "k"}, "", b->path()});
    EXPECT_TRUE(y.ExitedWith(0)) << y.Describe();
    EXPECT_EQ(KeyPart(y.out), KeyPart(*ReadFile(Dir() + "/" + name + ".pub")));
    EXPECT_EQ(DecodePrivateEnvelope(*ReadFile(b->Path("k"))).rounds, 4u);
  }
}

// ---------------------------------------------------------------------------
// Key generation.

class CompatKeygen : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<TempDir> a = TempDir::Create("kw-compat-gen"), b = TempDir::Create("kw-compat-gen");
    ASSERT_TRUE(a.ok() && b.ok());
    oracle_dir_.emplace(std::move(*a));
    kw_dir_.emplace(std::move(*b));
  }
  // Runs ssh-keygen ARGS in one directory and keyward ssh-keygen ARGS in the
  // other.
  std::pair<SubprocessResult, SubprocessResult> Both(const std::vector<std::string>& args, const std::string& in = "") {
    oracle_ = {{"ssh-keygen"}, in, oracle_dir_->path()};
    kw_ = {{"keyward", "ssh-keygen"}, in, kw_dir_->path()};
    for (Invocation* inv : {&oracle_, &kw_}) inv->argv.insert(inv->argv.end(), args.begin(), args.end());
    return {RunTool(oracle_), RunTool(kw_)};
  }
  ::testing::AssertionResult Same(const std::pair<SubprocessResult, SubprocessResult>& r) {
    return SameResult(test::ShellQuote(kw_.argv), oracle_, r.first, kw_, r.second, StderrMatch::kExact);
  }
  // The output of a keygen run with its fingerprint and randomart replaced
  // by placeholders, after checking them against `ssh-keygen -lv -f F.pub`
  // of the key that run wrote. Returns the output unchanged (so the
  // comparison fails visibly) when they are not found.
  std::string Normalize(const SubprocessResult& r, const std::string& dir, const std::string& file) {
    SubprocessResult lv = RunTool({{"ssh-keygen", "-l", "-v", "-f", file + ".pub"}, "", dir});
    if (!lv.ExitedWith(0)) return r.out + "[ssh-keygen -lv " + file + ".pub failed: " + lv.err + "]";
    size_t nl = lv.out.find('\n');
    std::string first = lv.out.substr(0, nl);  // "BITS FP COMMENT (TYPE)"
    std::string art = lv.out.substr(nl + 1);
    size_t sp = first.find(' ');
    size_t paren = first.rfind(" (");
    if (sp == std::string::npos || paren == std::string::npos || paren < sp) return r.out;
    std::string fp_line = first.substr(sp + 1, paren - sp - 1);
    std::string fragment = "The key fingerprint is:\n" + fp_line + "\nThe key's randomart image is:\n" + art;
    size_t at = r.out.find(fragment);
    if (at == std::string::npos) return r.out;
    return r.out.substr(0, at) + "The key fingerprint is:\n<fingerprint of the written key>\n" +
           "The key's randomart image is:\n<randomart of the written key>\n" + r.out.substr(at + fragment.size());
  }
  ::testing::AssertionResult SameKeygen(const std::pair<SubprocessResult, SubprocessResult>& r,
                                        const std::string& file) {
    SubprocessResult o = r.first, k = r.second;
    o.out = Normalize(o, oracle_dir_->path(), file);
    k.out = Normalize(k, kw_dir_->path(), file);
    if (o.out == r.first.out && r.first.ExitedWith(0))
      return ::testing::AssertionFailure() << "test bug: ssh-keygen's own output did not normalize:\n"
                                           << Visible(r.first.out);
    return SameResult(test::ShellQuote(kw_.argv) + " (fingerprint and randomart checked against ssh-keygen -lv)",
                      oracle_, o, kw_, k, StderrMatch::kExact);
  }
  std::string Read(const TempDir& d, const std::string& name) {
    StatusOr<std::string> s = ReadFile(d.Path(name));
    return s.ok() ? *s : "<missing " + name + ">";
  }
  static mode_t ModeOf(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
  }

  std::optional<TempDir> oracle_dir_, kw_dir_;
  Invocation oracle_, kw_;
};

TEST_F(CompatKeygen, QuietGeneration) {
  for (const std::vector<std::string>& type : std::vector<std::vector<std::string>>{
           {"-t", "ed25519"}, {"-t", "ecdsa"}, {"-t", "ecdsa", "-b", "384"}, {"-t", "ecdsa", "-b", "521"},
           {"-t", "rsa", "-b", "2048"}}) {
    std::string f = "q-" + type[1] + (type.size() > 2 ? type[3] : "");
    std::vector<std::string> args = {"-q"};
    args.insert(args.end(), type.begin(), type.end());
    args.insert(args.end(), {"-N", "", "-C", "c", "-f", f});
    EXPECT_TRUE(Same(Both(args)));
    EXPECT_EQ(ModeOf(kw_dir_->Path(f)), 0600u);
    EXPECT_EQ(ModeOf(kw_dir_->Path(f + ".pub")), 0644u);
    // Same type and size, per ssh-keygen.
    auto strip_fp = [](std::string l) {
      size_t a = l.find(' '), b = l.find(' ', a + 1);
      return a == std::string::npos || b == std::string::npos ? l : l.substr(0, a) + l.substr(b);
    };
    std::string want = RunToolOk({{"ssh-keygen", "-l", "-f", f}, "", oracle_dir_->path()});
    std::string got = RunToolOk({{"ssh-keygen", "-l", "-f", f}, "", kw_dir_->path()});
    EXPECT_EQ(strip_fp(got), strip_fp(want));
  }
}

TEST_F(CompatKeygen, CommentsAreKeptLikeSshKeygen) {
  // ssh-keygen keeps at most 1023 bytes of -C.
  std::vector<std::string> comments = OddComments();
  comments.push_back(std::string(3000, 'x'));
  comments.push_back("");
  for (size_t i = 0; i < comments.size(); ++i) {
    std::string f = "c" + std::to_string(i);
    EXPECT_TRUE(Same(Both({"-q", "-t", "ed25519", "-N", "", "-C", comments[i], "-f", f})));
    std::string want = Read(*oracle_dir_, f + ".pub"), got = Read(*kw_dir_, f + ".pub");
    EXPECT_EQ(Visible(got.substr(std::min(got.size(), KeyPart(got).size()))),
              Visible(want.substr(KeyPart(want).size())));
  }
}

TEST_F(CompatKeygen, DefaultTypeIsRsa3072) {
  EXPECT_TRUE(Same(Both({"-q", "-N", "", "-C", "c", "-f", "d"})));
  std::string got = RunToolOk({{"ssh-keygen", "-l", "-f", "d.pub"}, "", kw_dir_->path()});
  EXPECT_EQ(got.substr(0, 5), "3072 ") << got;
  EXPECT_NE(got.find("(RSA)"), std::string::npos) << got;
}

TEST_F(CompatKeygen, VerboseGenerationOutput) {
  for (const std::vector<std::string>& type : std::vector<std::vector<std::string>>{
           {"-t", "ed25519"}, {"-t", "ecdsa", "-b", "384"}, {"-t", "rsa", "-b", "2048"}}) {
    std::string f = "v-" + type[1];
    std::vector<std::string> args = type;
    args.insert(args.end(), {"-N", "", "-C", "a comment", "-f", f});
    EXPECT_TRUE(SameKeygen(Both(args), f));
    // Encrypted.
    std::vector<std::string> enc = type;
    enc.insert(enc.end(), {"-N", "secret", "-C", "enc", "-f", f + "-pw"});
    EXPECT_TRUE(SameKeygen(Both(enc), f + "-pw"));
  }
}

TEST_F(CompatKeygen, ExistingFilePromptsToOverwrite) {
  // ssh-keygen asks "F already exists.\nOverwrite (y/n)? " on stdout and
  // reads the answer from stdin; anything but y/Y (or EOF) keeps the file
  // and exits 1.
  auto prepare = [&] {
    for (const TempDir* d : {&*oracle_dir_, &*kw_dir_}) {
      ASSERT_TRUE(test::CopyFile(GetWorld().dir.Path("ed25519"), d->Path("k")).ok());
      ASSERT_TRUE(test::CopyFile(GetWorld().dir.Path("ed25519.pub"), d->Path("k.pub")).ok());
    }
  };
  for (const char* answer : {"n\n", "", "x\n", " y\n"}) {
    for (bool quiet : {true, false}) {
      prepare();
      std::vector<std::string> args = {"-t", "ed25519", "-N", "", "-C", "new", "-f", "k"};
      if (quiet) args.insert(args.begin(), "-q");
      EXPECT_TRUE(Same(Both(args, answer))) << "stdin " << Visible(answer);
      EXPECT_EQ(Read(*kw_dir_, "k"), *ReadFile(GetWorld().dir.Path("ed25519"))) << "keyward overwrote k";
      EXPECT_EQ(Read(*kw_dir_, "k.pub"), *ReadFile(GetWorld().dir.Path("ed25519.pub"))) << "keyward overwrote k.pub";
    }
  }
  for (const char* answer : {"y\n", "Y\n", "yes\n"}) {
    prepare();
    EXPECT_TRUE(SameKeygen(Both({"-t", "ed25519", "-N", "", "-C", "new", "-f", "k"}, answer), "k"))
        << "stdin " << Visible(answer);
    EXPECT_NE(Read(*kw_dir_, "k.pub"), *ReadFile(GetWorld().dir.Path("ed25519.pub"))) << "not overwritten";
    prepare();
    EXPECT_TRUE(Same(Both({"-q", "-t", "ed25519", "-N", "", "-C", "new", "-f", "k"}, answer)));
    EXPECT_EQ(Read(*kw_dir_, "k.pub").substr(KeyPart(Read(*kw_dir_, "k.pub")).size()), " new\n");
  }
}

TEST_F(CompatKeygen, Errors) {
  MismatchBudget budget;
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"-t", "foo"},
           {"-t", "rsa", "-b", "512"},
           {"-t", "rsa", "-b", "100000"},
           {"-t", "ecdsa", "-b", "300"},
           {"-t", "dsa", "-b", "2048"},
           {"-t", "rsa", "-b", "abc"},
           {"-t", "ed25519", "-a", "0"},
       }) {
    std::vector<std::string> args = {"-q"};
    args.insert(args.end(), bad.begin(), bad.end());
    args.insert(args.end(), {"-N", "", "-f", "bad"});
    KW_CHECK(budget, Same(Both(args)));
    EXPECT_FALSE(test::PathExists(kw_dir_->Path("bad"))) << test::ShellQuote(args);
  }
  KW_CHECK(budget, Same(Both({"-q", "-t", "ed25519", "-N", "", "-f", "no/such/dir/k"})));
}

TEST_F(CompatKeygen, RoundsAndPassphrase) {
  EXPECT_TRUE(Same(Both({"-q", "-t", "ed25519", "-N", "pass phrase", "-a", "5", "-C", "r", "-f", "r"})));
  PrivateEnvelope env = DecodePrivateEnvelope(Read(*kw_dir_, "r"));
  EXPECT_EQ(env.cipher, "aes256-ctr");
  EXPECT_EQ(env.kdf, "bcrypt");
  EXPECT_EQ(env.rounds, 5u);
  SubprocessResult y = RunTool({{"ssh-keygen", "-y", "-P", "pass phrase", "-f", "r"}, "", kw_dir_->path()});
  EXPECT_TRUE(y.ExitedWith(0)) << y.Describe();
  EXPECT_EQ(y.out, Read(*kw_dir_, "r.pub"));
}

}  // namespace
}  // namespace kw::interop
