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

TEST(PamOptions, EveryOption) {
  auto o = Parse({"secret=/var/lib/otp/${USER}", "user=otp", "nullok", "no_increment_hotp", "noskewadj",
                  "echo_verification_code", "forward_pass", "allowed_perm=0640", "no_strict_owner", "allow_readonly",
                  "debug", "try_first_pass", "use_first_pass", "center=https://keys.example:8443", "prompt=OTP: "});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->secret, "/var/lib/otp/${USER}");
  EXPECT_EQ(o->user, "otp");
  EXPECT_TRUE(o->nullok && o->no_increment_hotp && o->noskewadj && o->echo_verification_code && o->forward_pass &&
              o->no_strict_owner && o->allow_readonly && o->debug && o->try_first_pass && o->use_first_pass);
  EXPECT_EQ(o->allowed_perm, 0640u);
  EXPECT_EQ(o->center, "https://keys.example:8443");
  EXPECT_EQ(o->prompt, "OTP: ");
  auto a = Parse({"echo-verification-code", "authtok_prompt=Code please: "});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->echo_verification_code);
  EXPECT_EQ(a->prompt, "Code please: ");
}

TEST(PamOptions, ErrorsNameTheArgument) {
  for (const char* bad : {"grace_period=60", "nullOK", "secret=", "user=", "allowed_perm=", "allowed_perm=0999",
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
