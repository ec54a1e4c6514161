// Keys made by the real ssh-keygen, read by keyward: `keyward fingerprint`
// must print what `ssh-keygen -l` (and -B) prints, and `keyward pubkey` what
// `ssh-keygen -y` prints, for every key type and size, with and without a
// passphrase, with odd comments, and for every kind of file -l accepts
// (public keys, private keys with and without the .pub beside them,
// authorized_keys, known_hosts, stdin) and the files it rejects.
//
// Every expected output comes from running ssh-keygen on the same file.

#include <gtest/gtest.h>

#include <memory>

#include "base/file.h"
#include "base/rng.h"
#include "interop/interop.h"
#include "wire/base64.h"
#include "wire/reader.h"
#include "wire/writer.h"

KW_INTEROP_ENVIRONMENT(true);

namespace kw::interop {
namespace {

// The labels that also get every odd comment.
const std::vector<std::string> kCommentLabels = {"ed25519", "ecdsa256", "rsa2048"};

const std::vector<KeyFile>& Plan() {
  static const std::vector<KeyFile> plan = PlanOracleKeys(AllKeySpecs(), kCommentLabels);
  return plan;
}

// All keys, made once per binary on first use; removed at exit.
struct World {
  TempDir dir;
  bool ok = false;
};

World& GetWorld() {
  // Owned by a function-local static, so the directory is removed at exit.
  static const std::unique_ptr<World> world([] {
    StatusOr<TempDir> dir = TempDir::Create("kw-interop-fp");
    if (!dir.ok()) {
      std::fprintf(stderr, "%s\n", dir.status().ToString().c_str());
      std::abort();
    }
    auto* w = new World{std::move(*dir)};
    w->ok = MakeOracleKeys(w->dir, Plan());
    // Private keys alone, without the .pub beside them.
    Status s = OkStatus();
    if (StatusOr<std::string> d = w->dir.MakeDir("nopub"); !d.ok()) s = d.status();
    for (const KeyFile& k : Plan())
      if (s.ok()) s = test::CopyFile(w->dir.Path(k.name), w->dir.Path("nopub/" + k.name));
    if (!s.ok()) {
      ADD_FAILURE() << s.ToString();
      w->ok = false;
    }
    return w;
  }());
  return *world;
}

const std::string& Dir() { return GetWorld().dir.path(); }

std::string ReadOrFail(const std::string& path) {
  StatusOr<std::string> s = ReadFile(path);
  if (!s.ok()) ADD_FAILURE() << s.status().ToString();
  return s.ok() ? *s : "";
}
std::string PubOf(std::string_view name) { return ReadOrFail(Dir() + "/" + std::string(name) + ".pub"); }
std::string KeyOf(std::string_view name) { return KeyPart(PubOf(name)); }

// -l option sets: ssh-keygen's flags, and keyward fingerprint's (the same
// spelling). {"-B"} means ssh-keygen -B instead of -l.
const std::vector<std::vector<std::string>>& OptionSets() {
  static const std::vector<std::vector<std::string>> sets = {
      {},           {"-E", "md5"}, {"-E", "sha1"}, {"-E", "sha256"}, {"-E", "sha384"}, {"-E", "sha512"},
      {"-v"},       {"-E", "md5", "-v"}, {"-E", "sha512", "-v"}, {"-B"}, {"-B", "-v"},
  };
  return sets;
}

// Runs `ssh-keygen -l OPTS -f FILE` and `keyward fingerprint OPTS FILE` (FILE
// "-" reads `stdin_data`) in `cwd` and compares.
::testing::AssertionResult CompareFingerprint(const std::string& file, const std::vector<std::string>& opts,
                                              const std::string& stdin_data = "",
                                              StderrMatch match = StderrMatch::kEmptyIffEmpty,
                                              const std::string& cwd = Dir(), const std::string& locale = "C.UTF-8") {
  Invocation oracle{{"ssh-keygen"}, stdin_data, cwd, locale};
  bool bubble = std::find(opts.begin(), opts.end(), "-B") != opts.end();
  if (!bubble) oracle.argv.push_back("-l");
  oracle.argv.insert(oracle.argv.end(), opts.begin(), opts.end());
  oracle.argv.insert(oracle.argv.end(), {"-f", file});
  Invocation kw{{"keyward", "fingerprint"}, stdin_data, cwd, locale};
  kw.argv.insert(kw.argv.end(), opts.begin(), opts.end());
  kw.argv.push_back(file);
  return SameAsOracle(oracle, kw, match);
}

// Every option set on one file.
void CompareAllOptions(MismatchBudget& budget, const std::string& file, const std::string& stdin_data = "",
                       StderrMatch match = StderrMatch::kEmptyIffEmpty) {
  for (const auto& opts : OptionSets()) KW_CHECK(budget, CompareFingerprint(file, opts, stdin_data, match));
}

// ---------------------------------------------------------------------------
// Every key, every option set, as .pub, as private key with .pub beside it,
// and as private key alone.

class FingerprintKey : public ::testing::TestWithParam<KeyFile> {};

// Generated keys get every option set (the hash and randomart code depends
// only on the key); their modified copies (passphrase, comment) differ only
// in where the comment comes from, so the default output (and -v once) suffice.
TEST_P(FingerprintKey, SameAsSshKeygenL) {
  ASSERT_TRUE(GetWorld().ok);
  const KeyFile& k = GetParam();
  MismatchBudget budget;
  for (const std::string& file : {k.name + ".pub", k.name, "nopub/" + k.name}) {
    if (k.base.empty()) {
      CompareAllOptions(budget, file);
    } else {
      KW_CHECK(budget, CompareFingerprint(file, {}));
    }
  }
  if (!k.base.empty()) KW_CHECK(budget, CompareFingerprint(k.name, {"-v"}));
  // The same through stdin (a private key on stdin is not accepted by -l).
  KW_CHECK(budget, CompareFingerprint("-", {}, PubOf(k.name)));
  if (k.base.empty()) {
    KW_CHECK(budget, CompareFingerprint("-", {"-v"}, PubOf(k.name)));
    KW_CHECK(budget, CompareFingerprint("-", {}, ReadOrFail(Dir() + "/" + k.name), StderrMatch::kContains));
  }
}

TEST_P(FingerprintKey, PubkeySameAsSshKeygenY) {
  ASSERT_TRUE(GetWorld().ok);
  const KeyFile& k = GetParam();
  MismatchBudget budget;
  auto compare = [&](std::vector<std::string> pass_args, StderrMatch match, const std::string& file) {
    Invocation oracle{{"ssh-keygen", "-y"}, "", Dir()};
    oracle.argv.insert(oracle.argv.end(), pass_args.begin(), pass_args.end());
    oracle.argv.insert(oracle.argv.end(), {"-f", file});
    Invocation kw{{"keyward", "pubkey"}, "", Dir()};
    kw.argv.insert(kw.argv.end(), pass_args.begin(), pass_args.end());
    kw.argv.insert(kw.argv.end(), {"-f", file});
    KW_CHECK(budget, SameAsOracle(oracle, kw, match));
  };
  if (k.passphrase.empty()) {
    compare({}, StderrMatch::kEmptyIffEmpty, k.name);
    if (k.base.empty()) {
      compare({}, StderrMatch::kEmptyIffEmpty, "nopub/" + k.name);
      // A passphrase given for an unencrypted key is not needed and not an error.
      compare({"-P", "unused"}, StderrMatch::kEmptyIffEmpty, k.name);
    }
  } else {
    compare({"-P", k.passphrase}, StderrMatch::kEmptyIffEmpty, k.name);
    if (!k.comment.empty()) {
      // Load key "NAME": incorrect passphrase supplied to decrypt private key; exit 255.
      compare({"-P", "wrong passphrase"}, StderrMatch::kContains, k.name);
      // No passphrase and nothing on stdin: fails the same way (stderr wording free).
      compare({}, StderrMatch::kIgnore, k.name);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllKeys, FingerprintKey, ::testing::ValuesIn(Plan()), ParamName<KeyFile>);

// ---------------------------------------------------------------------------
// Files with several keys.

class FingerprintFiles : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(GetWorld().ok); }
  // Writes `content` into the shared directory.
  std::string Write(const std::string& name, const std::string& content, mode_t mode = 0644) {
    StatusOr<std::string> p = GetWorld().dir.WriteFile(name, content, mode);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return name;
  }
};

TEST_F(FingerprintFiles, AuthorizedKeysWithOptionsAndComments) {
  std::string f = Write("authorized_keys",
                        "# authorized_keys for root\n"
                        "command=\"ls -l\",no-pty " + KeyOf("ed25519") + " laptop key\n"
                        "command=\"ls -l\",no-pty " + KeyOf("ed25519") + "\n"
                        "from=\"10.0.0.0/8,192.168.1.1\",no-agent-forwarding " + KeyOf("ecdsa256") + " ecdsa key\n"
                        "environment=\"A=b c\",command=\"echo \\\"quoted\\\" x\" " + KeyOf("rsa2048") + " rsa key\n"
                        "restrict,pty " + KeyOf("rsa3072") + "\n"
                        "\n"
                        "  " + KeyOf("ecdsa384") + " indented with comment\n"
                        "no-port-forwarding,permitopen=\"host:22\" " + KeyOf("ecdsa521") + " #not a comment?\n"
                        "cert-authority,principals=\"alice,bob\" " + KeyOf("ed25519-nocomment") + " ca key\n"
                        "tunnel=\"0\",no-X11-forwarding\t" + KeyOf("rsa1024") + "\ttab separated\n"
                        "no-pty " + KeyOf("ed25519") + " " + std::string(5000, 'L') + " 5000-byte comment\n"
                        "command=\"" + std::string(3000, 'c') + "\" " + KeyOf("ecdsa256") + "\n"
                        + KeyOf("dsa") + " dsa key last, no newline at end");
  MismatchBudget budget;
  CompareAllOptions(budget, f);
  KW_CHECK(budget, CompareFingerprint("-", {}, ReadOrFail(Dir() + "/" + f)));
}

TEST_F(FingerprintFiles, KnownHostsPlainHashedAndMarkers) {
  std::string plain =
      "# known_hosts\n"
      "host1.example.com,192.0.2.1 " + KeyOf("ed25519") + "\n"
      "[host2.example.com]:2222 " + KeyOf("ecdsa256") + " trailing comment here\n"
      "*.wild.example.com,!bad.wild.example.com " + KeyOf("rsa2048") + "\n"
      "@cert-authority *.example.com " + KeyOf("ed25519-nocomment") + "\n"
      "@revoked revoked.example.com " + KeyOf("rsa3072") + "\n"
      "host3.example.com " + KeyOf("ecdsa384") + "\n"
      "@cert-authority ca.example.com " + KeyOf("ecdsa521") + " ca with comment\n"
      "192.0.2.7 " + KeyOf("rsa1024") + " ip only\n";
  std::string f = Write("known_hosts", plain);
  MismatchBudget budget;
  CompareAllOptions(budget, f);

  // Hashed by the real ssh-keygen -H (markers and wildcards stay as they are).
  Write("known_hosts_hashed", plain);
  RunTool({{"ssh-keygen", "-H", "-f", "known_hosts_hashed"}, "", Dir()});
  std::string hashed = ReadOrFail(Dir() + "/known_hosts_hashed");
  EXPECT_NE(hashed.find("|1|"), std::string::npos) << hashed;
  CompareAllOptions(budget, "known_hosts_hashed");
  KW_CHECK(budget, CompareFingerprint("-", {}, hashed));
}

TEST_F(FingerprintFiles, BlankLinesCommentsAndInvalidLines) {
  std::string f = Write("mixed",
                        "\n"
                        "   \n"
                        "\t\n"
                        "# a comment\n"
                        "   # an indented comment\n"
                        "garbage line here\n"
                        "ssh-ed25519 AAAA-not-base64 comment\n"
                        "ssh-foo AAAAB3NzaC1yc2EAAAADAQABAAABAQ unknown type\n"
                        "ssh-rsa " + KeyOf("ed25519").substr(12) + " type and blob disagree\n"
                        "1024 35 1234567890 legacy rsa1\n"
                        + KeyOf("ed25519") + " first valid\n"
                        "ssh-ed25519\n"
                        "ssh-ed25519 " + KeyOf("ed25519").substr(12, 30) + " truncated blob\n"
                        "\t " + KeyOf("ecdsa256") + "   comment after blanks   \n"
                        "@revoked\n"
                        "@unknown-marker host " + KeyOf("rsa2048") + " unknown marker\n"
                        + KeyOf("rsa2048") + " second valid\n"
                        "#" + KeyOf("ecdsa384") + " commented out\n");
  MismatchBudget budget;
  CompareAllOptions(budget, f);
  KW_CHECK(budget, CompareFingerprint("-", {}, ReadOrFail(Dir() + "/" + f)));
}

TEST_F(FingerprintFiles, NotAKeyFile) {
  Write("notakey.txt", "hello world\nthis is not a key\n");
  Write("empty", "");
  Write("only-comments", "# nothing here\n\n   \n");
  std::string bin;
  DeterministicRng rng(7);
  bin.resize(256);
  rng.Fill(std::span<uint8_t>(reinterpret_cast<uint8_t*>(bin.data()), bin.size()));
  Write("binary", bin);
  std::string pub = PubOf("ed25519");
  Write("truncated.pub", pub.substr(0, pub.size() / 2) + "\n");
  std::string armour = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAgarbage\n-----END OPENSSH PRIVATE KEY-----\n";
  Write("corrupt-private", armour, 0600);
  Write("corrupt-private-0644", armour, 0644);
  ASSERT_TRUE(GetWorld().dir.MakeDir("adir").ok());
  MismatchBudget budget;
  for (const char* f : {"notakey.txt", "empty", "only-comments", "binary", "truncated.pub", "corrupt-private",
                        "corrupt-private-0644", "adir", "missing-file", "/nonexistent/dir/key"}) {
    for (const auto& opts : std::vector<std::vector<std::string>>{{}, {"-v"}, {"-B"}, {"-E", "md5"}})
      KW_CHECK(budget, CompareFingerprint(f, opts, "", StderrMatch::kContains));
  }
  // The same through stdin: "(stdin) is not a public key file."
  for (const char* f : {"notakey.txt", "empty", "binary", "corrupt-private"})
    KW_CHECK(budget, CompareFingerprint("-", {}, ReadOrFail(Dir() + "/" + f), StderrMatch::kContains));
  // Absolute path in the message.
  KW_CHECK(budget, CompareFingerprint(Dir() + "/notakey.txt", {}, "", StderrMatch::kContains));
}

TEST_F(FingerprintFiles, PrivateKeyWithBadPermissions) {
  // -l only needs the public part: ssh-keygen prints the permissions banner
  // and still fingerprints the key (comment lost without the .pub).
  MismatchBudget budget;
  for (const char* name : {"ed25519", "rsa2048", "ed25519-pw"}) {
    std::string f = std::string("open-") + name;
    Write(f, ReadOrFail(Dir() + "/" + name), 0644);
    KW_CHECK(budget, CompareFingerprint(f, {}, "", StderrMatch::kContains));
    KW_CHECK(budget, CompareFingerprint(f, {"-v"}, "", StderrMatch::kContains));
  }
}

TEST_F(FingerprintFiles, AbsolutePaths) {
  MismatchBudget budget;
  // An empty .pub comment becomes the .pub path as given.
  for (const char* name : {"ed25519-nocomment", "rsa2048-nocomment", "ecdsa256"}) {
    std::string abs = Dir() + "/" + name;
    KW_CHECK(budget, CompareFingerprint(abs, {}, "", StderrMatch::kEmptyIffEmpty, "/"));
    KW_CHECK(budget, CompareFingerprint(abs + ".pub", {}, "", StderrMatch::kEmptyIffEmpty, "/"));
    KW_CHECK(budget, CompareFingerprint(abs, {"-v"}, "", StderrMatch::kEmptyIffEmpty, "/"));
  }
}

// sk keys cannot be made without a token: build their public key lines.
// sk-ssh-ed25519@openssh.com: string type, string pk(32), string application.
// sk-ecdsa-sha2-nistp256@openssh.com: string type, string "nistp256",
// string Q, string application (PROTOCOL.u2f).
TEST_F(FingerprintFiles, SecurityKeyPublicKeys) {
  DeterministicRng rng(42);
  Bytes pk(32);
  rng.Fill(pk);
  wire::Writer ed;
  ed.String("sk-ssh-ed25519@openssh.com");
  ed.String(pk);
  ed.String("ssh:");

  Bytes ecblob = BlobOf(PubOf("ecdsa256"));
  wire::Reader r(ecblob);
  ASSERT_TRUE(r.ReadString().ok());
  ASSERT_TRUE(r.ReadString().ok());
  StatusOr<ByteSpan> q = r.ReadString("Q");
  ASSERT_TRUE(q.ok());
  wire::Writer ec;
  ec.String("sk-ecdsa-sha2-nistp256@openssh.com");
  ec.String("nistp256");
  ec.String(*q);
  ec.String("ssh:");
  wire::Writer ec_app;  // another application string
  ec_app.String("sk-ecdsa-sha2-nistp256@openssh.com");
  ec_app.String("nistp256");
  ec_app.String(*q);
  ec_app.String("ssh:kw-test");

  std::string ed_line = PubLine(ed.bytes(), "");
  std::string ec_line = PubLine(ec.bytes(), "");
  Write("sk-ed25519.pub", ed_line + " user@example.com\n");
  Write("sk-ecdsa.pub", ec_line + " user@example.com\n");
  Write("sk-ed25519-nocomment.pub", ed_line + "\n");
  Write("sk-ecdsa-app.pub", PubLine(ec_app.bytes(), "app comment") + "\n");
  Write("sk-authorized_keys",
        "no-touch-required " + ed_line + " touchless\n"
        "verify-required,command=\"true\" " + ec_line + "\n"
        + ed_line + " plain sk\n");
  MismatchBudget budget;
  for (const char* f : {"sk-ed25519.pub", "sk-ecdsa.pub", "sk-ed25519-nocomment.pub", "sk-ecdsa-app.pub",
                        "sk-authorized_keys"})
    CompareAllOptions(budget, f);
  KW_CHECK(budget, CompareFingerprint("-", {}, ed_line + " via stdin\n"));
}

TEST_F(FingerprintFiles, PemAndPkcs8PrivateKeys) {
  // ssh-keygen -p -m PEM|PKCS8 rewrites a key in the old formats; -l on them
  // prints "no comment" without the .pub, and -y reads them.
  MismatchBudget budget;
  for (const char* name : {"rsa2048", "ecdsa256", "ecdsa384", "ecdsa521"}) {
    for (const char* format : {"PEM", "PKCS8"}) {
      for (bool encrypted : {false, true}) {
        std::string f = std::string(name) + "-" + format + (encrypted ? "-pw" : "");
        Write(f, ReadOrFail(Dir() + "/" + name), 0600);
        RunTool({{"ssh-keygen", "-p", "-P", "", "-N", encrypted ? kTestPassphrase : "", "-m", format, "-f", f}, "",
             Dir()});
        std::string text = ReadOrFail(Dir() + "/" + f);
        EXPECT_EQ(text.find("OPENSSH PRIVATE KEY"), std::string::npos) << f << " was not converted";
        KW_CHECK(budget, CompareFingerprint(f, {}));
        KW_CHECK(budget, CompareFingerprint(f, {"-v"}));
        std::vector<std::string> pass;
        if (encrypted) pass = {"-P", kTestPassphrase};
        Invocation oracle{{"ssh-keygen", "-y"}, "", Dir()};
        Invocation kw{{"keyward", "pubkey"}, "", Dir()};
        for (Invocation* inv : {&oracle, &kw}) {
          inv->argv.insert(inv->argv.end(), pass.begin(), pass.end());
          inv->argv.insert(inv->argv.end(), {"-f", f});
        }
        KW_CHECK(budget, SameAsOracle(oracle, kw, StderrMatch::kEmptyIffEmpty));
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Behaviour that depends on the locale or on 9.2's quirks: separate tests so
// a deliberate divergence shows up as one named failure.

// In the C locale ssh-keygen escapes non-ASCII bytes of comments as octal
// (\303\274); in C.UTF-8 it prints valid UTF-8 as is.
TEST_F(FingerprintFiles, OddCommentsUnderTheCLocale) {
  MismatchBudget budget;
  for (size_t i = 0; i < OddComments().size(); ++i) {
    std::string name = "ed25519-c" + std::to_string(i);
    KW_CHECK(budget, CompareFingerprint(name + ".pub", {}, "", StderrMatch::kEmptyIffEmpty, Dir(), "C"));
    KW_CHECK(budget, CompareFingerprint(name, {"-v"}, "", StderrMatch::kEmptyIffEmpty, Dir(), "C"));
  }
}

// 9.2 strips only "\n" from each line, so a CRLF file keeps "\r" in comments.
TEST_F(FingerprintFiles, CrlfLineEndings) {
  std::string f = Write("crlf",
                        KeyOf("ed25519") + " crlf comment\r\n"
                        "command=\"x\" " + KeyOf("ecdsa256") + " with options\r\n"
                        "# comment\r\n"
                        "\r\n"
                        + KeyOf("rsa2048") + " last\r\n");
  MismatchBudget budget;
  CompareAllOptions(budget, f);
}

// Not tested: 9.2 does not reset its "provisional comment" (options / host
// field) between lines, so a key line without a comment that follows a line
// with options prints whatever the freed line buffer holds (garbage bytes,
// different on every run). That is undefined behaviour, not a format; the
// files above avoid it (every comment-less key line has its own options or
// host field), and keyward is expected to print "no comment" there, as HEAD.

}  // namespace
}  // namespace kw::interop
