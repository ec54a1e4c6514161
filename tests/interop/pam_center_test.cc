// pam_keyward.so in center= mode, loaded by the real libpam and driven by
// pamtester, against the built keywardd: two PAM services stand for two
// bastions with their own host tokens. A code is accepted once on one and
// refused on the other; a wrong code is refused; with the center stopped
// the module denies (center_down=deny, the default) or steps aside
// (center_down=ignore: PAM_IGNORE, so a stack whose other module passes --
// pam_permit standing for the public key sshd already checked -- lets the
// user in). Codes come from oathtool, computed from the secret the
// enrolment returned; syslog lines name the user and the outcome only.
#include <gtest/gtest.h>

#include "api/center_process.h"
#include "base/file.h"
#include "interop/interop.h"
#include "interop/otp_peers.h"

KW_INTEROP_ENVIRONMENT(false);

namespace kw::interop {
namespace {

using nlohmann::json;

class PamCenter : public ::testing::Test {
 protected:
  void SetUp() override {
    Status peers = RequirePeers({"oathtool", "pamtester"});
    ASSERT_TRUE(peers.ok()) << peers.message();
    auto module = PamKeywardPath();
    ASSERT_TRUE(module.ok()) << module.status().message();
    module_ = *module;
    auto dir = TempDir::Create("kw-pam-center");
    ASSERT_TRUE(dir.ok());
    dir_.emplace(std::move(dir).value());
    // Room for the failures the tests make on purpose (default: 3 per 30 s).
    test::CenterOptions o;
    o.extra_config = "totp.rate_limit_attempts = 20\n";
    auto c = test::CenterProcess::Start(o);
    ASSERT_TRUE(c.ok()) << c.status().message();
    center_ = std::move(*c);
    // The PAM user is the system's root; the center knows it by that name.
    ASSERT_EQ(center_->Admin("POST", "/api/v1/users", json{{"name", "root"}}).status, 201);
    for (const char* host : {"bastion1", "bastion2"}) {
      auto h = center_->Admin("POST", "/api/v1/hosts", json{{"name", host}});
      ASSERT_EQ(h.status, 201) << h.body;
      ASSERT_TRUE(test::WriteFileWithMode(dir_->Path(std::string(host) + ".token"),
                                          h.json["token"].get<std::string>() + "\n", 0600)
                      .ok());
    }
    auto e = center_->Admin("POST", "/api/v1/users/root/totp", json::object());
    ASSERT_EQ(e.status, 201) << e.body;
    secret_ = e.json["secret"];
    scratch_ = e.json["scratch_codes"][0];
  }

  // auth required pam_keyward.so center=URL token_file=<host>.token ARGS
  // [+ auth required pam_permit.so]
  std::unique_ptr<PamService> Bastion(const std::string& host, const std::string& args = "",
                                      bool then_permit = false) {
    std::string body = "auth required " + module_ + " center=" + center_->url() + " token_file=" +
                       dir_->Path(host + ".token") + " center_timeout=2 " + args + "\n";
    if (then_permit) body += "auth required pam_permit.so\n";
    auto s = PamService::Create(body);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  std::string CodeNow() { return Oathtool({"-b", "--totp", secret_}); }

  std::string module_, secret_, scratch_;
  std::optional<TempDir> dir_;
  std::unique_ptr<test::CenterProcess> center_;
};

TEST_F(PamCenter, OneCodeAcceptedOnceAcrossTwoBastions) {
  auto catcher = SyslogCatcher::Start();
  ASSERT_TRUE(catcher.ok()) << catcher.status().ToString();
  auto b1 = Bastion("bastion1"), b2 = Bastion("bastion2");
  ASSERT_TRUE(b1 && b2);
  const std::string code = CodeNow();
  (*catcher)->Drain();

  PamtesterResult first = RunPamtester(b1->name(), "root", code);
  EXPECT_TRUE(first.authenticated) << first.Describe();
  EXPECT_TRUE(first.prompted) << first.Describe();
  PamtesterResult replay = RunPamtester(b2->name(), "root", code);
  EXPECT_FALSE(replay.authenticated) << replay.Describe();
  EXPECT_TRUE(replay.prompted);
  PamtesterResult again = RunPamtester(b1->name(), "root", code);
  EXPECT_FALSE(again.authenticated) << again.Describe();
  std::string wrong_code = code;
  wrong_code[0] = static_cast<char>('0' + (code[0] - '0' + 5) % 10);
  PamtesterResult wrong = RunPamtester(b2->name(), "root", wrong_code);
  EXPECT_FALSE(wrong.authenticated) << wrong.Describe();
  PamtesterResult scratch = RunPamtester(b2->name(), "root", scratch_);
  EXPECT_TRUE(scratch.authenticated) << scratch.Describe();
  PamtesterResult scratch_again = RunPamtester(b1->name(), "root", scratch_);
  EXPECT_FALSE(scratch_again.authenticated) << scratch_again.Describe();

  std::string logs;
  for (const auto& m : (*catcher)->Drain()) logs += m + "\n";
  EXPECT_NE(logs.find("Accepted verification code for root (key center)"), std::string::npos) << logs;
  EXPECT_NE(logs.find("Invalid verification code for root (key center: reused)"), std::string::npos) << logs;
  EXPECT_NE(logs.find("Invalid verification code for root (key center: invalid_code)"), std::string::npos) << logs;
  EXPECT_NE(logs.find("Accepted emergency scratch code for root (key center)"), std::string::npos) << logs;
  for (const std::string& s : {code, wrong_code, scratch_, secret_}) EXPECT_EQ(logs.find(s), std::string::npos) << s;

  // The center's audit log has each outcome with the bastion that asked.
  auto audit = center_->Admin("GET", "/api/v1/audit?limit=1000");
  std::vector<std::pair<std::string, std::string>> seen;
  for (const json& e : audit.json["items"]) {
    if (e["action"] == "totp.verify") seen.emplace_back(e["actor"], e["detail"]["outcome"]);
  }
  std::vector<std::pair<std::string, std::string>> want = {{"host:bastion1", "accepted"},
                                                           {"host:bastion2", "reused"},
                                                           {"host:bastion1", "reused"},
                                                           {"host:bastion2", "invalid_code"},
                                                           {"host:bastion2", "accepted_scratch"},
                                                           {"host:bastion1", "invalid_code"}};
  EXPECT_EQ(seen, want);
}

TEST_F(PamCenter, CenterDownDeniesByDefaultOrStepsAsideWithIgnore) {
  // Both stacks end with pam_permit (the key alone would pass).
  auto deny = Bastion("bastion1", "", true);
  auto ignore = Bastion("bastion2", "center_down=ignore", true);
  ASSERT_TRUE(deny && ignore);
  // With the center up, ignore changes nothing: a wrong code is refused.
  std::string code = CodeNow();
  std::string wrong_code = code;
  wrong_code[0] = static_cast<char>('0' + (code[0] - '0' + 5) % 10);
  PamtesterResult up_wrong = RunPamtester(ignore->name(), "root", wrong_code);
  EXPECT_FALSE(up_wrong.authenticated) << up_wrong.Describe();

  auto catcher = SyslogCatcher::Start();
  ASSERT_TRUE(catcher.ok()) << catcher.status().ToString();
  center_->process().Stop();
  (*catcher)->Drain();
  PamtesterResult denied = RunPamtester(deny->name(), "root", code);
  EXPECT_FALSE(denied.authenticated) << denied.Describe();
  std::string deny_logs;
  for (const auto& m : (*catcher)->Drain()) deny_logs += m + "\n";
  EXPECT_NE(deny_logs.find("unavailable"), std::string::npos) << deny_logs;
  EXPECT_NE(deny_logs.find("denying root"), std::string::npos) << deny_logs;

  PamtesterResult ignored = RunPamtester(ignore->name(), "root", code);
  EXPECT_TRUE(ignored.authenticated) << ignored.Describe();
  std::string ignore_logs;
  for (const auto& m : (*catcher)->Drain()) ignore_logs += m + "\n";
  EXPECT_NE(ignore_logs.find("center_down=ignore: no second factor checked for root"), std::string::npos)
      << ignore_logs;
  EXPECT_EQ(ignore_logs.find(code), std::string::npos) << ignore_logs;
}

}  // namespace
}  // namespace kw::interop
