// authorized_keys: a real sshd judges `keyward authkeys check`.
//
// For a table of authorized_keys files (options, quoting, from= host and
// address patterns with CIDR and negation, expiry times in the past and the
// future, lines sshd refuses), a throwaway sshd on 127.0.0.1 is asked to let
// a key in, from several client addresses (ssh binds to 127.0.0.X), and
// keyward must reach the same decision for the same key, file, address and
// time. Each case also states what sshd is expected to do, so a scenario
// that does not test what it says fails.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "base/file.h"
#include "interop/interop.h"
#include "support/sshd_server.h"

KW_INTEROP_ENVIRONMENT(true);

namespace kw::interop {
namespace {

struct Case {
  std::string what;
  std::string file;     // "@K" is the offered key, "@O" another key, "@E" the offered key's ECDSA sibling
  std::string from;     // client address (127.0.0.X)
  bool sshd_allows;     // what sshd does (checked, so the case means what it says)
  std::string key = "id";
};

class AuthKeysSshd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    StatusOr<TempDir> d = TempDir::Create("kw-interop-authkeys");
    ASSERT_TRUE(d.ok());
    dir_ = new TempDir(std::move(*d));
    for (const auto& [name, type] : std::vector<std::pair<std::string, std::string>>{
             {"id", "ed25519"}, {"other", "ed25519"}, {"id_ec", "ecdsa"}, {"id_ec384", "ecdsa"}, {"id_rsa", "rsa"}}) {
      std::vector<std::string> argv = {"ssh-keygen", "-q", "-t", type, "-N", "", "-C", name, "-f", dir_->Path(name)};
      if (name == "id_ec384") argv.insert(argv.end(), {"-b", "384"});
      SubprocessResult r = RunTool(Inv(argv));
      ASSERT_TRUE(r.ExitedWith(0)) << r.Describe();
    }
    test::SshdOptions o;
    o.config = {"LogLevel DEBUG1"};
    auto s = test::SshdServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    sshd_ = s->release();
  }
  static void TearDownTestSuite() {
    delete sshd_;
    delete dir_;
  }

  static std::string Pub(const std::string& name) {
    std::string p = ReadFile(dir_->Path(name + ".pub")).value();
    return p.substr(0, p.find('\n'));
  }

  static std::string Expand(std::string text, const std::string& key) {
    auto replace = [&](const std::string& from, const std::string& to) {
      for (size_t p; (p = text.find(from)) != std::string::npos;) text.replace(p, from.size(), to);
    };
    replace("@K", Pub(key));
    replace("@O", Pub("other"));
    replace("@E", Pub("id_ec384"));
    return text;
  }

  // Does sshd let `key` in from `from`? "Authenticated to" is ssh's verbose
  // note of a successful user authentication (a forced command may then do
  // anything).
  static bool SshdAllows(const std::string& key, const std::string& from, std::string* log) {
    test::LoginOptions lo;
    lo.ssh_options = {"BindAddress=" + from, "LogLevel=VERBOSE", "PreferredAuthentications=publickey"};
    lo.remote_command = "true";
    StatusOr<test::LoginResult> r = sshd_->TryLogin(dir_->Path(key), lo);
    EXPECT_TRUE(r.ok());
    *log = r->Describe();
    return r->ssh.err.find("Authenticated to") != std::string::npos;
  }

  static TempDir* dir_;
  static test::SshdServer* sshd_;
};
TempDir* AuthKeysSshd::dir_ = nullptr;
test::SshdServer* AuthKeysSshd::sshd_ = nullptr;

TEST_F(AuthKeysSshd, DecisionsMatchSshd) {
  const std::vector<Case> cases = {
      {"the key", "@K\n", "127.0.0.1", true},
      {"another key", "@O\n", "127.0.0.1", false},
      {"comment and blank lines", "# x\n\n   \n\t@K\n", "127.0.0.1", true},
      {"CRLF line", "@K\r\n", "127.0.0.1", true},
      {"restrict", "restrict @K\n", "127.0.0.1", true},
      {"forced command", "command=\"true\" @K\n", "127.0.0.1", true},
      {"quoted command with escapes", "command=\"echo \\\"a b\\\" \\\\x\",no-pty @K\n", "127.0.0.1", true},
      {"every no- flag", "no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc @K\n",
       "127.0.0.1", true},
      {"flags in upper case", "NO-PTY,Restrict,X11-Forwarding @K\n", "127.0.0.1", true},
      {"from= exact address", "from=\"127.0.0.1\" @K\n", "127.0.0.1", true},
      {"from= other address", "from=\"127.0.0.1\" @K\n", "127.0.0.2", false},
      {"from= CIDR", "from=\"127.0.0.0/8\" @K\n", "127.0.0.5", true},
      {"from= narrow CIDR", "from=\"127.0.0.0/30\" @K\n", "127.0.0.5", false},
      {"from= negated first", "from=\"!127.0.0.2,127.0.0.0/8\" @K\n", "127.0.0.2", false},
      {"from= negated, other address", "from=\"!127.0.0.2,127.0.0.0/8\" @K\n", "127.0.0.3", true},
      {"from= negation after positive", "from=\"127.0.0.0/8,!127.0.0.4\" @K\n", "127.0.0.4", false},
      {"from= wildcard", "from=\"127.0.0.*\" @K\n", "127.0.0.6", true},
      {"from= question mark", "from=\"127.0.0.?\" @K\n", "127.0.0.17", false},
      {"from= star", "from=\"*\" @K\n", "127.0.0.1", true},
      {"from= not star", "from=\"!*\" @K\n", "127.0.0.1", false},
      {"from= host name (UseDNS no)", "from=\"localhost\" @K\n", "127.0.0.1", false},
      {"from= host bits set", "from=\"127.0.0.1/8\" @K\n", "127.0.0.1", false},
      {"from= empty entry", "from=\"127.0.0.1,,x\" @K\n", "127.0.0.1", false},
      {"from= other network", "from=\"10.0.0.0/8,192.168.0.0/16\" @K\n", "127.0.0.1", false},
      {"from= IPv6 only", "from=\"::1\" @K\n", "127.0.0.1", false},
      {"expired", "expiry-time=\"20200101\" @K\n", "127.0.0.1", false},
      {"expired (UTC)", "expiry-time=\"202001010000Z\" @K\n", "127.0.0.1", false},
      {"future", "expiry-time=\"20991231\" @K\n", "127.0.0.1", true},
      {"future (UTC, seconds)", "expiry-time=\"20991231235959Z\" @K\n", "127.0.0.1", true},
      {"two expiry times, one past", "expiry-time=\"20991231\",expiry-time=\"20200101\" @K\n", "127.0.0.1", false},
      {"bad expiry time", "expiry-time=\"2099\" @K\n", "127.0.0.1", false},
      {"expired line, then a good one", "expiry-time=\"20200101\" @K\n@K\n", "127.0.0.1", true},
      {"principals without cert-authority", "principals=\"root\" @K\n", "127.0.0.1", false},
      {"cert-authority", "cert-authority @K\n", "127.0.0.1", false},
      {"unknown option", "bogus @K\n", "127.0.0.1", false},
      {"unknown option after a good one", "no-pty,bogus @K\n", "127.0.0.1", false},
      {"flag with a suffix", "ptyx @K\n", "127.0.0.1", false},
      {"trailing comma", "no-pty, @K\n", "127.0.0.1", true},
      {"unterminated quote", "command=\"true @K\n", "127.0.0.1", false},
      {"unquoted value", "command=true @K\n", "127.0.0.1", false},
      {"two commands", "command=\"a\",command=\"b\" @K\n", "127.0.0.1", false},
      {"bad options, then a good line", "bogus @K\n@K\n", "127.0.0.1", true},
      {"environment", "environment=\"A=b c\" @K\n", "127.0.0.1", true},
      {"bad environment name", "environment=\"A-B=1\" @K\n", "127.0.0.1", false},
      {"permitopen", "permitopen=\"host:22\",permitopen=\"[::1]:*\" @K\n", "127.0.0.1", true},
      {"permitopen service name", "permitopen=\"host:ssh\" @K\n", "127.0.0.1", true},
      {"permitopen without port", "permitopen=\"host\" @K\n", "127.0.0.1", false},
      {"permitopen port 0", "permitopen=\"host:0\" @K\n", "127.0.0.1", false},
      {"permitlisten bare port", "permitlisten=\"8080\" @K\n", "127.0.0.1", true},
      {"tunnel", "tunnel=\"1\" @K\n", "127.0.0.1", true},
      {"tunnel any", "tunnel=\"any\" @K\n", "127.0.0.1", true},
      {"bad tunnel", "tunnel=\"x\" @K\n", "127.0.0.1", false},
      {"no-touch-required, verify-required (plain key)", "no-touch-required,verify-required @K\n", "127.0.0.1", true},
      {"key behind a garbage token", "garbage @K\n", "127.0.0.1", false},
      {"truncated key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n@O\n", "127.0.0.1", false},
      {"ECDSA: bad options on another curve's line", "bogus @E\n@K\n", "127.0.0.1", true, "id_ec"},
      {"ECDSA key", "from=\"127.0.0.0/8\" @K\n", "127.0.0.9", true, "id_ec"},
      {"RSA key, restrict", "restrict,command=\"true\" @K\n", "127.0.0.1", true, "id_rsa"},
  };
  std::string path = dir_->Path("authorized_keys_copy");
  for (const Case& c : cases) {
    std::string text = Expand(c.file, c.key);
    ASSERT_TRUE(sshd_->SetAuthorizedKeys(text).ok());
    std::string log;
    bool sshd = SshdAllows(c.key, c.from, &log);
    EXPECT_EQ(sshd, c.sshd_allows) << c.what << "\n" << text << "\n" << log << "\n--- sshd ---\n" << sshd_->Log();
    ASSERT_TRUE(test::WriteFileWithMode(path, text, 0600).ok());
    SubprocessResult kw =
        RunTool(Inv({"keyward", "authkeys", "check", path, "--key", dir_->Path(c.key + ".pub"), "--from", c.from}));
    ASSERT_TRUE(kw.ExitedWith(0) || kw.ExitedWith(2)) << kw.Describe();
    EXPECT_EQ(kw.ExitedWith(0), sshd) << c.what << "\n" << text << "\nkeyward: " << kw.Describe() << "\nssh: " << log;
  }
}

// `keyward authkeys lint` flags exactly the lines sshd logs as refused.
TEST_F(AuthKeysSshd, LintFlagsWhatSshdRefuses) {
  std::string text = Expand(
      "@K\nbogus @K\nexpiry-time=\"20200101\" @K\nprincipals=\"x\" @K\nfrom=\"1.2.3.4/8\" @K\nno-pty @K\n", "id");
  std::string path = dir_->Path("lint_keys");
  ASSERT_TRUE(test::WriteFileWithMode(path, text, 0600).ok());
  SubprocessResult r = RunTool(Inv({"keyward", "authkeys", "lint", path}));
  EXPECT_TRUE(r.ExitedWith(1)) << r.Describe();
  for (int line : {2, 3, 4, 5}) EXPECT_NE(r.out.find(path + ":" + std::to_string(line) + ":"), std::string::npos) << r.out;
  for (int line : {1, 6}) EXPECT_EQ(r.out.find(path + ":" + std::to_string(line) + ":"), std::string::npos) << r.out;
  // Each flagged line on its own is refused by sshd; each clean one lets in.
  size_t start = 0;
  int n = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl - start + 1);
    start = nl + 1;
    ++n;
    ASSERT_TRUE(sshd_->SetAuthorizedKeys(line).ok());
    std::string log;
    bool allowed = SshdAllows("id", "127.0.0.1", &log);
    bool flagged = r.out.find(path + ":" + std::to_string(n) + ":") != std::string::npos;
    EXPECT_EQ(allowed, !flagged) << line << log;
  }
}

// StrictModes: sshd refuses authorized_keys files (and directories above
// them, up to the home directory) that are writable by others or owned by
// someone else; `keyward audit scan` must flag exactly those.
// The files live under /root (root's home), so the walk stops there.
TEST_F(AuthKeysSshd, AuditStrictModesMatchesSshd) {
  char tmpl[] = "/root/kw-strict.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr) << "needs root (a directory under /root)";
  std::string base = tmpl;
  struct Cleanup {
    std::string dir;
    ~Cleanup() { (void)RunTool(Inv({"rm", "-rf", dir})); }
  } cleanup{base};
  ASSERT_EQ(::chmod(base.c_str(), 0755), 0);
  test::SshdOptions o;
  o.config = {"StrictModes yes"};
  o.authorized_keys_file = base + "/current/keys";
  auto s = test::SshdServer::Start(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::string key = Pub("id") + "\n";

  // Debian's sshd accepts group write when the group's only member is the
  // owner (root's group here); a group with no entry is refused.
  struct Setup {
    std::string what;
    mode_t dir_mode, file_mode;
    uid_t file_uid;
    gid_t file_gid;
    bool refused;
  };
  const std::vector<Setup> setups = {
      {"all fine", 0755, 0600, 0, 0, false},
      {"group-writable file, root's own group", 0755, 0620, 0, 0, false},
      {"group-writable file, a group without entry", 0755, 0620, 0, 4343, true},
      {"world-writable file", 0755, 0602, 0, 0, true},
      {"group-writable directory, root's own group", 0775, 0600, 0, 0, false},
      {"world-writable directory", 0757, 0600, 0, 0, true},
      {"file owned by another user", 0755, 0644, 4242, 0, true},
      {"readable by all is fine", 0755, 0644, 0, 0, false},
  };
  std::string passwd = base + "/passwd";
  ASSERT_TRUE(test::WriteFileWithMode(passwd, "root:x:0:0:root:/root:/bin/sh\n", 0644).ok());
  for (const Setup& st : setups) {
    std::string d = base + "/current";
    (void)RunTool(Inv({"rm", "-rf", d}));
    ASSERT_EQ(::mkdir(d.c_str(), 0700), 0);
    ASSERT_EQ(::chmod(d.c_str(), st.dir_mode), 0);
    ASSERT_TRUE(test::WriteFileWithMode(d + "/keys", key, st.file_mode).ok());
    ASSERT_EQ(::chown((d + "/keys").c_str(), st.file_uid, st.file_gid), 0);
    test::LoginOptions lo;
    lo.ssh_options = {"LogLevel=VERBOSE"};
    lo.remote_command = "true";
    StatusOr<test::LoginResult> r = (*s)->TryLogin(dir_->Path("id"), lo);
    ASSERT_TRUE(r.ok());
    bool sshd_refused = r->ssh.err.find("Authenticated to") == std::string::npos;
    EXPECT_EQ(sshd_refused, st.refused) << st.what << "\n" << r->Describe() << (*s)->Log();
    SubprocessResult a = RunTool(Inv({"keyward", "audit", "scan", "--root", "/", "--passwd", passwd, "--host", "h",
                                      "--authorized-keys-file", d + "/keys", "--json"}));
    ASSERT_TRUE(a.ExitedWith(0)) << a.Describe();
    bool flagged = a.out.find("\"flag\":\"strict-modes\"") != std::string::npos;
    EXPECT_EQ(flagged, sshd_refused) << st.what << "\n" << a.out;
    EXPECT_NE(a.out.find("\"account\":\"root\""), std::string::npos) << a.out;
  }
}

}  // namespace
}  // namespace kw::interop
