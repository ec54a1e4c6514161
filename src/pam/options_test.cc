// pam_keyward module arguments and secret= expansion (the spellings and
// rules of pam_google_authenticator's, see options.h).
#include "pam/options.h"

#include <gtest/gtest.h>

#include <vector>

namespace kw::pam {
namespace {

StatusOr<PamOptions> Parse(std::vector<const char*> args) { return ParseOptions(args); }

TEST(PamOptions, Defaults) {
  auto o = Parse({});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->secret, "~/.google_authenticator");
  EXPECT_EQ(o->allowed_perm, 0600u);
  EXPECT_FALSE(o->nullok);
  EXPECT_FALSE(o->user);
  EXPECT_FALSE(o->center);
  EXPECT_FALSE(o->prompt);
}

TEST(PamOptions, CenterOptionsAreCheckedByName) {
  struct Case {
    std::vector<const char*> args;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {{"center=keys.example"}, "center=\"keys.example\" is not an http"},
           {{"center=https://k"}, "center= needs token_file="},
           {{"center=https://k", "token_file=rel"}, "token_file= needs an absolute path"},
           {{"center=https://k", "token_file=/t", "center_down=maybe"}, "center_down=\"maybe\""},
           {{"center=https://k", "token_file=/t", "center_timeout=0"}, "center_timeout=\"0\""},
           {{"center=https://k", "token_file=/t", "center_timeout=61"}, "center_timeout=\"61\""},
           {{"token_file=/t"}, "go with center="}}) {
    auto o = Parse(c.args);
    ASSERT_FALSE(o.ok()) << c.error;
    EXPECT_NE(o.status().message().find(c.error), std::string::npos) << o.status().message();
  }
  auto o = Parse({"center=http://127.0.0.1:8180/", "token_file=/t"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(*o->center, "http://127.0.0.1:8180");  // trailing '/' dropped
  EXPECT_FALSE(o->center_down_ignore);              // deny by default
  EXPECT_EQ(o->center_timeout, 5);
}

TEST(PamOptions, EveryOption) {
  auto o = Parse({"secret=/var/lib/otp/${USER}", "user=otp", "nullok", "no_increment_hotp", "noskewadj",
                  "echo_verification_code", "forward_pass", "allowed_perm=0640", "no_strict_owner", "allow_readonly",
                  "debug", "try_first_pass", "use_first_pass", "center=https://keys.example:8443", "prompt=OTP: ",
                  "token_file=/etc/keyward/pam.token", "center_down=ignore", "ca_file=/etc/keyward/ca.pem",
                  "center_timeout=3"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->secret, "/var/lib/otp/${USER}");
  EXPECT_EQ(o->user, "otp");
  EXPECT_TRUE(o->nullok && o->no_increment_hotp && o->noskewadj && o->echo_verification_code && o->forward_pass &&
              o->no_strict_owner && o->allow_readonly && o->debug && o->try_first_pass && o->use_first_pass);
  EXPECT_EQ(o->allowed_perm, 0640u);
  EXPECT_EQ(o->center, "https://keys.example:8443");
  EXPECT_EQ(o->token_file, "/etc/keyward/pam.token");
  EXPECT_TRUE(o->center_down_ignore);
  EXPECT_EQ(o->ca_file, "/etc/keyward/ca.pem");
  EXPECT_EQ(o->center_timeout, 3);
  EXPECT_EQ(o->prompt, "OTP: ");
  auto a = Parse({"echo-verification-code", "authtok_prompt=Code please: "});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->echo_verification_code);
  EXPECT_EQ(a->prompt, "Code please: ");
}

TEST(PamOptions, ErrorsNameTheArgument) {
  for (const char* bad : {"grace_period=-1", "grace_period=x", "nullOK", "secret=", "user=", "allowed_perm=", "allowed_perm=0999",
                          "allowed_perm=600x", "bogus"}) {
    auto o = Parse({bad});
    ASSERT_FALSE(o.ok()) << bad;
  }
  auto o = Parse({"nullok", "frobnicate"});
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("\"frobnicate\""), std::string::npos) << o.status().ToString();
}

TEST(PamOptions, ExpandSecretPath) {
  auto e = [](const char* t, bool fixed = false) { return ExpandSecretPath(t, "alice", "/home/alice", fixed); };
  EXPECT_EQ(*e("~/.google_authenticator"), "/home/alice/.google_authenticator");
  EXPECT_EQ(*e("${HOME}/.ga"), "/home/alice/.ga");
  EXPECT_EQ(*e("/var/otp/${USER}.ga"), "/var/otp/alice.ga");
  EXPECT_EQ(*e("/var/otp/${USER}/${USER}"), "/var/otp/alice/alice");
  EXPECT_EQ(*e("/var/otp/~"), "/var/otp//home/alice");
  EXPECT_EQ(*e("/var/o~tp/x"), "/var/o~tp/x");
  EXPECT_EQ(*e("/var/otp/${USER}", true), "/var/otp/alice");
  EXPECT_FALSE(e("~/.ga", true).ok());
  EXPECT_FALSE(e("${HOME}/.ga", true).ok());
  EXPECT_FALSE(e("relative/${USER}").ok());
  EXPECT_FALSE(ExpandSecretPath("~/.ga", "nobody", "", false).ok());
}

}  // namespace
}  // namespace kw::pam
