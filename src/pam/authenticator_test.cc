// The pam_keyward flow with a fake PAM handle: results, prompts, state
// written back, and log lines that name the user and the outcome but never
// the code or the secret. Runs as any user: files belong to the test's uid
// and user= names that uid.
#include "pam/authenticator.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "base/file.h"
#include "otp/base32.h"
#include "otp/otp.h"

namespace kw::pam {
namespace {

constexpr const char* kSecret = "2SH3V3GDW7ZNMGYE";

class FakeEnv final : public PamEnv {
 public:
  std::string user;
  std::vector<std::string> answers;  // one per Ask
  std::vector<std::pair<std::string, bool>> asked;
  std::optional<std::string> authtok;
  std::vector<std::string> logs;
  int64_t now = 0;

  StatusOr<std::string> User() override { return user; }
  StatusOr<std::string> Ask(const std::string& prompt, bool echo) override {
    asked.emplace_back(prompt, echo);
    if (asked.size() > answers.size()) return UnavailableError("no more answers");
    return answers[asked.size() - 1];
  }
  std::optional<std::string> AuthTok() override { return authtok; }
  void SetAuthTok(const std::string& t) override { authtok = t; }
  void Log(LogLevel, const std::string& m) override { logs.push_back(m); }
  int64_t Now() override { return now; }
  std::optional<std::string> rhost;
  std::optional<std::string> RemoteHost() override { return rhost; }
  std::string AllLogs() const {
    std::string s;
    for (const auto& l : logs) s += l + "\n";
    return s;
  }
};

std::string CodeAt(int64_t counter) {
  auto key = otp::Base32Decode(kSecret);
  return otp::HotpCode(key->span(), static_cast<uint64_t>(counter), otp::Algorithm::kSha1, 6);
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/kw-pam-unit.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    struct passwd* pw = ::getpwuid(::geteuid());
    ASSERT_NE(pw, nullptr);
    env_.user = pw->pw_name;
    env_.now = 10000 * 30 + 3;
    uid_arg_ = "user=" + std::to_string(::geteuid());
    secret_arg_ = "secret=" + dir_ + "/${USER}.ga";
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string FilePath() const { return dir_ + "/" + env_.user + ".ga"; }
  void WriteSecretFile(const std::string& body, mode_t mode = 0600) {
    std::string p = FilePath();
    ::unlink(p.c_str());
    AtomicWriteOptions o;
    o.mode = mode;
    ASSERT_TRUE(WriteFileAtomic(p, std::string(kSecret) + "\n" + body, o).ok());
  }
  std::string FileText() {
    auto t = ReadFile(FilePath());
    return t.ok() ? *t : "(" + t.status().message() + ")";
  }
  PamResult Run(std::vector<std::string> extra = {}) {
    std::vector<std::string> words = {secret_arg_, uid_arg_};
    for (auto& e : extra) words.push_back(e);
    std::vector<const char*> args;
    for (auto& w : words) args.push_back(w.c_str());
    return Authenticate(env_, args);
  }
  void ExpectLogsAreClean(const std::vector<std::string>& codes) {
    std::string all = env_.AllLogs();
    EXPECT_EQ(all.find(kSecret), std::string::npos) << all;
    for (const auto& c : codes) EXPECT_EQ(all.find(c), std::string::npos) << c << " in " << all;
  }

  FakeEnv env_;
  std::string dir_, uid_arg_, secret_arg_;
};

TEST_F(AuthenticatorTest, RightCodeAcceptedWrongRefusedReuseRefused) {
  WriteSecretFile("\" DISALLOW_REUSE\n\" TOTP_AUTH\n");
  const std::string code = CodeAt(10000);
  env_.answers = {code};
  EXPECT_EQ(Run(), PamResult::kSuccess) << env_.AllLogs();
  ASSERT_EQ(env_.asked.size(), 1u);
  EXPECT_EQ(env_.asked[0].first, "Verification code: ");
  EXPECT_FALSE(env_.asked[0].second);  // echo off
  EXPECT_NE(env_.AllLogs().find("Accepted verification code for " + env_.user), std::string::npos) << env_.AllLogs();
  EXPECT_EQ(FileText(), std::string(kSecret) + "\n\" DISALLOW_REUSE 10000\n\" TOTP_AUTH\n");
  struct stat st;
  ASSERT_EQ(::stat(FilePath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0400u);

  env_.asked.clear();
  env_.answers = {code};
  EXPECT_EQ(Run(), PamResult::kAuthErr);
  EXPECT_NE(env_.AllLogs().find("reused code"), std::string::npos) << env_.AllLogs();

  env_.asked.clear();
  env_.answers = {"000000"};
  EXPECT_EQ(Run({"noskewadj"}), PamResult::kAuthErr);
  EXPECT_NE(env_.AllLogs().find("Invalid verification code for " + env_.user), std::string::npos);
  ExpectLogsAreClean({code, "000000"});
}

TEST_F(AuthenticatorTest, RateLimitDeniesWithoutAsking) {
  WriteSecretFile("\" RATE_LIMIT 2 30\n\" TOTP_AUTH\n");
  for (int i = 0; i < 2; ++i) {
    env_.asked.clear();
    env_.answers = {"000000"};
    EXPECT_EQ(Run({"noskewadj"}), PamResult::kAuthErr);
    EXPECT_EQ(env_.asked.size(), 1u);
  }
  env_.asked.clear();
  env_.answers = {CodeAt(10000)};
  EXPECT_EQ(Run(), PamResult::kAuthErr);
  EXPECT_TRUE(env_.asked.empty());
  EXPECT_NE(env_.AllLogs().find("rate"), std::string::npos) << env_.AllLogs();
  // Half a minute later it works again.
  env_.now += 31;
  env_.asked.clear();
  env_.answers = {CodeAt(10001)};
  EXPECT_EQ(Run(), PamResult::kSuccess) << env_.AllLogs();
}

TEST_F(AuthenticatorTest, ScratchCodeOnce) {
  WriteSecretFile("\" TOTP_AUTH\n12345678\n");
  env_.answers = {"12345678"};
  EXPECT_EQ(Run(), PamResult::kSuccess);
  EXPECT_NE(env_.AllLogs().find("Accepted emergency scratch code for " + env_.user), std::string::npos);
  EXPECT_EQ(FileText(), std::string(kSecret) + "\n\" TOTP_AUTH\n");
  env_.asked.clear();
  EXPECT_EQ(Run(), PamResult::kAuthErr);
  ExpectLogsAreClean({"12345678"});
}

TEST_F(AuthenticatorTest, MissingFile) {
  // nullok: ignored, nothing asked.
  EXPECT_EQ(Run({"nullok"}), PamResult::kIgnore);
  EXPECT_TRUE(env_.asked.empty());
  // Without nullok: asked anyway, denied.
  env_.answers = {CodeAt(10000)};
  EXPECT_EQ(Run(), PamResult::kAuthErr);
  EXPECT_EQ(env_.asked.size(), 1u);
  EXPECT_NE(env_.AllLogs().find("no secret configured for " + env_.user), std::string::npos) << env_.AllLogs();
}

TEST_F(AuthenticatorTest, BadPermissionsOrOwnerDenyEvenWithNullok) {
  WriteSecretFile("\" TOTP_AUTH\n", 0644);
  env_.answers = {CodeAt(10000)};
  EXPECT_EQ(Run({"nullok"}), PamResult::kAuthErr);
  EXPECT_EQ(env_.asked.size(), 1u);
  EXPECT_NE(env_.AllLogs().find("0644"), std::string::npos) << env_.AllLogs();
  env_.asked.clear();
  EXPECT_EQ(Run({"allowed_perm=0644"}), PamResult::kSuccess) << env_.AllLogs();
  // Owned by someone else than the owner the module expects.
  WriteSecretFile("\" TOTP_AUTH\n");
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(FilePath().c_str(), 4242, 4242), 0);
  } else {
    uid_arg_ = "user=" + std::to_string(::geteuid() + 4242);
  }
  env_.asked.clear();
  env_.answers = {CodeAt(10000)};
  EXPECT_EQ(Run(), PamResult::kAuthErr);
  env_.asked.clear();
  EXPECT_EQ(Run({"no_strict_owner"}), PamResult::kSuccess) << env_.AllLogs();
}

// center= mode against a fake key center.
class FakeCenter final : public CenterTransport {
 public:
  std::vector<CenterRequest> requests;
  StatusOr<CenterReply> reply = CenterReply{200, R"({"ok":true,"reason":"accepted"})"};
  StatusOr<CenterReply> Post(const CenterRequest& r) override {
    requests.push_back(r);
    return reply;
  }
};

class CenterModeTest : public AuthenticatorTest {
 protected:
  void SetUp() override {
    AuthenticatorTest::SetUp();
    token_path_ = dir_ + "/token";
    AtomicWriteOptions o;
    o.mode = 0600;
    ASSERT_TRUE(WriteFileAtomic(token_path_, "kw_hosttoken\n", o).ok());
  }
  PamResult RunCenter(std::vector<std::string> extra = {}) {
    std::vector<std::string> words = {"center=http://127.0.0.1:9/", "token_file=" + token_path_};
    for (auto& e : extra) words.push_back(e);
    std::vector<const char*> args;
    for (auto& w : words) args.push_back(w.c_str());
    return Authenticate(env_, args, &center_);
  }
  FakeCenter center_;
  std::string token_path_;
};

TEST_F(CenterModeTest, AcceptedAndRefusedAsTheCenterSays) {
  env_.answers = {"123456"};
  EXPECT_EQ(RunCenter(), PamResult::kSuccess) << env_.AllLogs();
  ASSERT_EQ(center_.requests.size(), 1u);
  EXPECT_EQ(center_.requests[0].url, "http://127.0.0.1:9/api/v1/totp/verify");
  EXPECT_EQ(center_.requests[0].token, "kw_hosttoken");
  EXPECT_EQ(center_.requests[0].timeout_seconds, 5);
  EXPECT_EQ(nlohmann::json::parse(center_.requests[0].body),
            (nlohmann::json{{"user", env_.user}, {"code", "123456"}}));
  EXPECT_NE(env_.AllLogs().find("Accepted verification code for " + env_.user), std::string::npos) << env_.AllLogs();

  center_.reply = CenterReply{200, R"({"ok":false,"reason":"reused"})"};
  env_.asked.clear();
  EXPECT_EQ(RunCenter(), PamResult::kAuthErr);
  EXPECT_NE(env_.AllLogs().find("Invalid verification code for " + env_.user + " (key center: reused)"),
            std::string::npos)
      << env_.AllLogs();
  // A 4xx (a bad token, TOTP not configured) denies whatever center_down says.
  center_.reply = CenterReply{401, R"({"error":{"code":"unauthenticated","message":"bad token"}})"};
  env_.asked.clear();
  EXPECT_EQ(RunCenter({"center_down=ignore"}), PamResult::kAuthErr);
  EXPECT_NE(env_.AllLogs().find("HTTP 401: bad token"), std::string::npos) << env_.AllLogs();
  center_.reply = CenterReply{200, "not json"};
  env_.asked.clear();
  EXPECT_EQ(RunCenter(), PamResult::kAuthErr);
  ExpectLogsAreClean({"123456", "kw_hosttoken"});
}

TEST_F(CenterModeTest, NullokIgnoresOnlyUsersTheCenterHasNoEnrolmentFor) {
  center_.reply = CenterReply{200, R"({"ok":false,"reason":"not_enrolled"})"};
  env_.answers = {"123456"};
  EXPECT_EQ(RunCenter(), PamResult::kAuthErr);
  env_.asked.clear();
  EXPECT_EQ(RunCenter({"nullok"}), PamResult::kIgnore);
  EXPECT_NE(env_.AllLogs().find("nullok: ignored"), std::string::npos) << env_.AllLogs();
  center_.reply = CenterReply{200, R"({"ok":false,"reason":"invalid_code"})"};
  env_.asked.clear();
  EXPECT_EQ(RunCenter({"nullok"}), PamResult::kAuthErr);
}

TEST_F(CenterModeTest, CenterDownDeniesOrIgnoresAsConfigured) {
  center_.reply = UnavailableError("connect 127.0.0.1:9: connection refused");
  env_.answers = {"123456"};
  EXPECT_EQ(RunCenter(), PamResult::kAuthErr);
  EXPECT_NE(env_.AllLogs().find("unavailable"), std::string::npos) << env_.AllLogs();
  EXPECT_NE(env_.AllLogs().find("denying " + env_.user), std::string::npos) << env_.AllLogs();
  env_.asked.clear();
  env_.logs.clear();
  EXPECT_EQ(RunCenter({"center_down=ignore"}), PamResult::kIgnore);
  EXPECT_NE(env_.AllLogs().find("center_down=ignore"), std::string::npos) << env_.AllLogs();
  EXPECT_NE(env_.AllLogs().find(env_.user), std::string::npos);
  center_.reply = CenterReply{503, R"({"error":{"code":"unavailable","message":"store down"}})"};
  env_.asked.clear();
  EXPECT_EQ(RunCenter({"center_down=ignore"}), PamResult::kIgnore);
  env_.asked.clear();
  EXPECT_EQ(RunCenter({"center_down=deny"}), PamResult::kAuthErr);
  ExpectLogsAreClean({"123456", "kw_hosttoken"});
}

TEST_F(CenterModeTest, TokenFileMustBePrivateAndPresent) {
  env_.answers = {"123456"};
  ASSERT_EQ(::chmod(token_path_.c_str(), 0644), 0);
  EXPECT_EQ(RunCenter({"center_down=ignore"}), PamResult::kAuthErr);
  EXPECT_NE(env_.AllLogs().find("readable by others"), std::string::npos) << env_.AllLogs();
  EXPECT_TRUE(center_.requests.empty());
  ::unlink(token_path_.c_str());
  EXPECT_EQ(RunCenter(), PamResult::kAuthErr);
  EXPECT_TRUE(center_.requests.empty());
}

TEST_F(AuthenticatorTest, UnknownOptionFailsClosed) {
  WriteSecretFile("\" TOTP_AUTH\n");
  env_.answers = {CodeAt(10000)};
  EXPECT_EQ(Run({"grace_period_x=60"}), PamResult::kAuthErr);
  EXPECT_NE(env_.AllLogs().find("grace_period_x"), std::string::npos);
}

TEST_F(AuthenticatorTest, GracePeriodSkipsTheCodeForTheSameRemoteHostOnly) {
  WriteSecretFile("\" DISALLOW_REUSE\n\" TOTP_AUTH\n");
  env_.rhost = "192.0.2.7";
  env_.answers = {CodeAt(10000)};
  EXPECT_EQ(Run({"grace_period=60"}), PamResult::kSuccess) << env_.AllLogs();
  EXPECT_EQ(env_.asked.size(), 1u);
  EXPECT_NE(FileText().find("\" LAST0 192.0.2.7 " + std::to_string(env_.now) + "\n"), std::string::npos) << FileText();
  // 59 s later from the same host: nothing asked.
  env_.now += 59;
  env_.asked.clear();
  EXPECT_EQ(Run({"grace_period=60"}), PamResult::kSuccess) << env_.AllLogs();
  EXPECT_TRUE(env_.asked.empty());
  EXPECT_NE(env_.AllLogs().find("without a code (grace_period=60)"), std::string::npos) << env_.AllLogs();
  // Another host is asked; a wrong code fails and records nothing.
  env_.rhost = "192.0.2.8";
  env_.asked.clear();
  env_.answers = {"000000" == CodeAt(10001) ? "111111" : "000000"};
  EXPECT_EQ(Run({"grace_period=60"}), PamResult::kAuthErr);
  EXPECT_EQ(env_.asked.size(), 1u);
  EXPECT_EQ(FileText().find("192.0.2.8"), std::string::npos) << FileText();
  // The first host, past the grace period: asked again.
  env_.rhost = "192.0.2.7";
  env_.now += 2;
  env_.asked.clear();
  env_.answers = {CodeAt(10002)};
  EXPECT_EQ(Run({"grace_period=60"}), PamResult::kSuccess) << env_.AllLogs();
  EXPECT_EQ(env_.asked.size(), 1u);
  // Without grace_period the records are not used; without PAM_RHOST neither.
  env_.asked.clear();
  env_.answers = {CodeAt(10002)};
  EXPECT_EQ(Run(), PamResult::kAuthErr);  // reused step
  EXPECT_EQ(env_.asked.size(), 1u);
  env_.rhost.reset();
  env_.asked.clear();
  EXPECT_EQ(Run({"grace_period=60"}), PamResult::kAuthErr);
  EXPECT_EQ(env_.asked.size(), 1u);
}

TEST_F(AuthenticatorTest, GracePeriodKeepsTenHostsReplacingTheOldest) {
  std::string lines = "\" TOTP_AUTH\n";
  for (int n = 0; n < 10; ++n) {
    lines += "\" LAST" + std::to_string(n) + " 10.0.0." + std::to_string(n) + " " + std::to_string(env_.now - 100 + n) +
             "\n";
  }
  WriteSecretFile(lines);
  env_.rhost = "10.0.0.99";
  env_.answers = {CodeAt(10000)};
  EXPECT_EQ(Run({"grace_period=3600"}), PamResult::kSuccess) << env_.AllLogs();
  std::string text = FileText();
  EXPECT_EQ(text.find("10.0.0.0 "), std::string::npos) << text;  // the oldest went
  EXPECT_NE(text.find("\" LAST0 10.0.0.99 "), std::string::npos) << text;
  EXPECT_NE(text.find("\" LAST9 10.0.0.9 "), std::string::npos) << text;
}

TEST_F(AuthenticatorTest, PromptEchoAndForwardPass) {
  WriteSecretFile("\" TOTP_AUTH\n");
  env_.answers = {CodeAt(10000)};
  EXPECT_EQ(Run({"echo_verification_code", "prompt=OTP for bastion: "}), PamResult::kSuccess);
  ASSERT_EQ(env_.asked.size(), 1u);
  EXPECT_EQ(env_.asked[0].first, "OTP for bastion: ");
  EXPECT_TRUE(env_.asked[0].second);

  env_.asked.clear();
  env_.answers = {"s3cret pw" + CodeAt(10001)};
  EXPECT_EQ(Run({"forward_pass"}), PamResult::kSuccess) << env_.AllLogs();
  EXPECT_EQ(env_.asked[0].first, "Password & verification code: ");
  EXPECT_EQ(env_.authtok, "s3cret pw");
  ExpectLogsAreClean({"s3cret pw"});
}

TEST_F(AuthenticatorTest, FirstPass) {
  WriteSecretFile("\" TOTP_AUTH\n");
  env_.authtok = CodeAt(10000);
  EXPECT_EQ(Run({"use_first_pass"}), PamResult::kSuccess);
  EXPECT_TRUE(env_.asked.empty());
  // try_first_pass: the token is not a code -> ask.
  env_.authtok = "a password";
  env_.answers = {CodeAt(9999)};
  EXPECT_EQ(Run({"try_first_pass"}), PamResult::kSuccess);
  EXPECT_EQ(env_.asked.size(), 1u);
  // use_first_pass without a token: denied, nothing asked.
  env_.authtok.reset();
  env_.asked.clear();
  EXPECT_EQ(Run({"use_first_pass"}), PamResult::kAuthErr);
  EXPECT_TRUE(env_.asked.empty());
}

TEST_F(AuthenticatorTest, HotpAndNoIncrement) {
  WriteSecretFile("\" HOTP_COUNTER 1\n");
  env_.answers = {"293240"};
  EXPECT_EQ(Run(), PamResult::kSuccess);
  env_.asked.clear();
  env_.answers = {"000000"};
  EXPECT_EQ(Run({"no_increment_hotp"}), PamResult::kAuthErr);
  EXPECT_EQ(FileText(), std::string(kSecret) + "\n\" HOTP_COUNTER 2\n");
  env_.asked.clear();
  EXPECT_EQ(Run(), PamResult::kAuthErr);
  EXPECT_EQ(FileText(), std::string(kSecret) + "\n\" HOTP_COUNTER 3\n");
}

TEST_F(AuthenticatorTest, UnwritableStateDeniesUnlessAllowReadonly) {
  WriteSecretFile("\" TOTP_AUTH\n12345678\n87654321\n");
  const std::string before = FileText();
  if (::geteuid() == 0) {
    // As root the module works as the file's owner (user=4242 here): the
    // directory (root's, 0755) is readable but not writable for that uid.
    ASSERT_EQ(::chown(FilePath().c_str(), 4242, 4242), 0);
    ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
    uid_arg_ = "user=4242";
  } else {
    ASSERT_EQ(::chmod(dir_.c_str(), 0500), 0);
  }
  env_.answers = {"12345678"};
  EXPECT_EQ(Run(), PamResult::kAuthErr) << env_.AllLogs();
  EXPECT_NE(env_.AllLogs().find("cannot update the secret file of " + env_.user), std::string::npos)
      << env_.AllLogs();
  EXPECT_EQ(FileText(), before);
  env_.asked.clear();
  EXPECT_EQ(Run({"allow_readonly"}), PamResult::kSuccess) << env_.AllLogs();
  EXPECT_EQ(FileText(), before);
  ::chmod(dir_.c_str(), 0700);
}

TEST_F(AuthenticatorTest, RootReadsAsTheOwner) {
  // make test runs as root; elsewhere this fails rather than skips.
  ASSERT_EQ(::geteuid(), 0u) << "needs root (switches the filesystem uid)";
  // A file owned by uid 4242 in a directory only root may enter: the
  // module, working as uid 4242, cannot read it.
  WriteSecretFile("\" TOTP_AUTH\n");
  ASSERT_EQ(::chown(FilePath().c_str(), 4242, 4242), 0);
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
  uid_arg_ = "user=4242";
  env_.answers = {CodeAt(10000)};
  EXPECT_EQ(Run(), PamResult::kAuthErr);
  EXPECT_NE(env_.AllLogs().find("Permission denied"), std::string::npos) << env_.AllLogs();
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  env_.asked.clear();
  env_.answers = {CodeAt(10000)};
  EXPECT_EQ(Run(), PamResult::kSuccess) << env_.AllLogs();
  // Rewritten files keep their owner.
  ASSERT_EQ(::chmod(dir_.c_str(), 0777), 0);
  WriteSecretFile("\" TOTP_AUTH\n12345678\n");
  ASSERT_EQ(::chown(FilePath().c_str(), 4242, 4243), 0);
  env_.asked.clear();
  env_.answers = {"12345678"};
  EXPECT_EQ(Run(), PamResult::kSuccess) << env_.AllLogs();
  struct stat st;
  ASSERT_EQ(::stat(FilePath().c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 4242u);
  EXPECT_EQ(st.st_mode & 07777, 0400u);
  ::chmod(dir_.c_str(), 0700);
}

}  // namespace
}  // namespace kw::pam
