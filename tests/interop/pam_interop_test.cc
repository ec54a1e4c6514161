// pam_keyward.so loaded by the real libpam, driven by pamtester through a
// PAM service file in /etc/pam.d (needs root): right code accepted, wrong
// refused, reuse refused, rate limit engaged (nothing asked), scratch code
// once, nullok with no file, center= without a token failing closed (the
// central mode itself: pam_center_test.cc) -- and the syslog lines
// naming the user and the outcome, never the code or the secret. Codes
// come from oathtool.
#include <gtest/gtest.h>

#include <ctime>
#include <sys/stat.h>

#include "base/file.h"
#include "interop/interop.h"
#include "interop/otp_peers.h"

KW_INTEROP_ENVIRONMENT(false);

namespace kw::interop {
namespace {

constexpr const char* kSecret = "2SH3V3GDW7ZNMGYE";

class PamInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    Status peers = RequirePeers({"oathtool", "pamtester"});
    ASSERT_TRUE(peers.ok()) << peers.message();
    auto module = PamKeywardPath();
    ASSERT_TRUE(module.ok()) << module.status().message();
    module_ = *module;
    auto dir = TempDir::Create("kw-pam");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_.emplace(std::move(dir).value());
    file_ = dir_->Path("root.otp");
  }
  // A service whose only auth module is pam_keyward with `args`, plus
  // pam_permit after it (so PAM_IGNORE from nullok means success, as it
  // does in a real stack with another required module).
  std::unique_ptr<PamService> Service(const std::string& args, bool then_permit = false) {
    std::string body = "auth required " + module_ + " secret=" + dir_->path() + "/${USER}.otp user=root " + args + "\n";
    if (then_permit) body += "auth required pam_permit.so\n";
    auto s = PamService::Create(body);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  void WriteSecret(const std::string& body) {
    ASSERT_TRUE(test::WriteFileWithMode(file_, std::string(kSecret) + "\n" + body, 0600).ok());
  }
  std::string Text() {
    auto t = ReadFile(file_);
    return t.ok() ? *t : "(" + t.status().message() + ")";
  }
  // The code of the current step, and the time it was computed for.
  std::string CodeNow() { return Oathtool({"-b", "--totp", kSecret}); }

  std::string module_, file_;
  std::optional<TempDir> dir_;
};

TEST_F(PamInterop, RightWrongAndReusedCodes) {
  WriteSecret("\" DISALLOW_REUSE\n\" TOTP_AUTH\n");
  auto svc = Service("");
  ASSERT_TRUE(svc);
  const std::string code = CodeNow();
  PamtesterResult ok = RunPamtester(svc->name(), "root", code);
  EXPECT_TRUE(ok.authenticated) << ok.Describe();
  EXPECT_TRUE(ok.prompted) << ok.Describe();
  EXPECT_NE(Text().find("\" DISALLOW_REUSE "), std::string::npos) << Text();
  struct stat st;
  ASSERT_EQ(::stat(file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0400u);

  PamtesterResult reused = RunPamtester(svc->name(), "root", code);
  EXPECT_FALSE(reused.authenticated) << reused.Describe();
  EXPECT_TRUE(reused.prompted);

  PamtesterResult wrong = RunPamtester(svc->name(), "root", code == "123456" ? "654321" : "123456");
  EXPECT_FALSE(wrong.authenticated) << wrong.Describe();
  PamtesterResult junk = RunPamtester(svc->name(), "root", "not a code");
  EXPECT_FALSE(junk.authenticated) << junk.Describe();
}

TEST_F(PamInterop, RateLimitEngages) {
  WriteSecret("\" RATE_LIMIT 2 30\n\" TOTP_AUTH\n");
  auto svc = Service("noskewadj");
  ASSERT_TRUE(svc);
  EXPECT_FALSE(RunPamtester(svc->name(), "root", "000000").authenticated);
  EXPECT_FALSE(RunPamtester(svc->name(), "root", "000000").authenticated);
  // The third attempt within 30 s: refused before asking, even with the right code.
  PamtesterResult limited = RunPamtester(svc->name(), "root", CodeNow());
  EXPECT_FALSE(limited.authenticated) << limited.Describe();
  EXPECT_FALSE(limited.prompted) << limited.Describe();
  // Three stamps were seen, the newest two kept.
  const std::string line = Text().substr(Text().find("\" RATE_LIMIT"));
  EXPECT_EQ(std::count(line.begin(), line.begin() + static_cast<long>(line.find('\n')), ' '), 5) << Text();
}

TEST_F(PamInterop, ScratchCodeWorksOnce) {
  WriteSecret("\" TOTP_AUTH\n12345678\n87654321\n");
  auto svc = Service("");
  ASSERT_TRUE(svc);
  EXPECT_TRUE(RunPamtester(svc->name(), "root", "87654321").authenticated);
  EXPECT_EQ(Text(), std::string(kSecret) + "\n\" TOTP_AUTH\n12345678\n");
  EXPECT_FALSE(RunPamtester(svc->name(), "root", "87654321").authenticated);
  EXPECT_TRUE(RunPamtester(svc->name(), "root", "12345678").authenticated);
}

TEST_F(PamInterop, NullokWithoutAFile) {
  // No file + nullok: PAM_IGNORE, nothing asked; the stack's other module decides.
  auto ignore = Service("nullok", true);
  ASSERT_TRUE(ignore);
  PamtesterResult r = RunPamtester(ignore->name(), "root", "");
  EXPECT_TRUE(r.authenticated) << r.Describe();
  EXPECT_FALSE(r.prompted) << r.Describe();
  // Alone in the stack, an ignoring module does not authenticate anyone.
  auto alone = Service("nullok");
  ASSERT_TRUE(alone);
  EXPECT_FALSE(RunPamtester(alone->name(), "root", "").authenticated);
  // Without nullok: asked anyway, refused.
  auto strict = Service("", true);
  ASSERT_TRUE(strict);
  PamtesterResult s = RunPamtester(strict->name(), "root", CodeNow());
  EXPECT_FALSE(s.authenticated) << s.Describe();
  EXPECT_TRUE(s.prompted) << s.Describe();
  // nullok does not cover a file that exists but is unusable.
  ASSERT_TRUE(test::WriteFileWithMode(file_, std::string(kSecret) + "\n\" TOTP_AUTH\n", 0644).ok());
  PamtesterResult open = RunPamtester(ignore->name(), "root", CodeNow());
  EXPECT_FALSE(open.authenticated) << open.Describe();
}

TEST_F(PamInterop, PromptEchoAndCenterOption) {
  WriteSecret("\" TOTP_AUTH\n");
  auto svc = Service("[prompt=Bastion code: ]");
  ASSERT_TRUE(svc);
  PamtesterResult r = RunPamtester(svc->name(), "root", CodeNow(), "Bastion code: ");
  EXPECT_TRUE(r.authenticated) << r.Describe();
  EXPECT_TRUE(r.prompted) << r.Describe();
  // center= without token_file= is a bad argument list: denied unasked.
  auto center = Service("center=https://keys.example.invalid", true);
  ASSERT_TRUE(center);
  PamtesterResult c = RunPamtester(center->name(), "root", CodeNow());
  EXPECT_FALSE(c.authenticated) << c.Describe();
  EXPECT_FALSE(c.prompted) << c.Describe();
}

// grace_period= with PAM_RHOST as libpam hands it over (pamtester -I).
TEST_F(PamInterop, GracePeriodForTheSameRemoteHost) {
  WriteSecret("\" DISALLOW_REUSE\n\" TOTP_AUTH\n");
  auto svc = Service("grace_period=300");
  ASSERT_TRUE(svc);
  PamtesterResult first = RunPamtester(svc->name(), "root", CodeNow(), "Verification code: ", "198.51.100.4");
  EXPECT_TRUE(first.authenticated) << first.Describe();
  EXPECT_TRUE(first.prompted);
  EXPECT_NE(Text().find("\" LAST0 198.51.100.4 "), std::string::npos) << Text();
  PamtesterResult again = RunPamtester(svc->name(), "root", "", "Verification code: ", "198.51.100.4");
  EXPECT_TRUE(again.authenticated) << again.Describe();
  EXPECT_FALSE(again.prompted) << again.Describe();
  PamtesterResult other = RunPamtester(svc->name(), "root", "", "Verification code: ", "198.51.100.5");
  EXPECT_FALSE(other.authenticated) << other.Describe();
  EXPECT_TRUE(other.prompted) << other.Describe();
}

TEST_F(PamInterop, SyslogNamesUserAndOutcomeNeverCodeOrSecret) {
  auto catcher = SyslogCatcher::Start();
  ASSERT_TRUE(catcher.ok()) << catcher.status().ToString();
  WriteSecret("\" DISALLOW_REUSE\n\" TOTP_AUTH\n12345678\n");
  auto svc = Service("");
  ASSERT_TRUE(svc);
  const std::string code = CodeNow();
  (*catcher)->Drain();
  auto logs_of = [&](const std::string& answer) {
    RunPamtester(svc->name(), "root", answer);
    std::string all;
    for (const auto& m : (*catcher)->Drain()) all += m + "\n";
    EXPECT_EQ(all.find(kSecret), std::string::npos) << all;
    EXPECT_EQ(all.find(answer), std::string::npos) << all;
    return all;
  };
  std::string ok = logs_of(code);
  EXPECT_NE(ok.find("pam_keyward"), std::string::npos) << ok;
  EXPECT_NE(ok.find("Accepted verification code for root"), std::string::npos) << ok;
  std::string reused = logs_of(code);
  EXPECT_NE(reused.find("Invalid verification code for root (reused code"), std::string::npos) << reused;
  std::string scratch = logs_of("12345678");
  EXPECT_NE(scratch.find("Accepted emergency scratch code for root"), std::string::npos) << scratch;
  std::string wrong = logs_of("999999");
  EXPECT_NE(wrong.find("Invalid verification code for root"), std::string::npos) << wrong;
  auto center = Service("center=https://keys.example.invalid");
  ASSERT_TRUE(center);
  RunPamtester(center->name(), "root", code);
  std::string c;
  for (const auto& m : (*catcher)->Drain()) c += m + "\n";
  EXPECT_NE(c.find("center= needs token_file="), std::string::npos) << c;
  EXPECT_NE(c.find("root"), std::string::npos) << c;
}

}  // namespace
}  // namespace kw::interop
