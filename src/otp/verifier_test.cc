// Verification. The behaviour expected here is google-authenticator-libpam's:
// the facts its own unit test asserts (secret 2SH3V3GDW7ZNMGYE, window,
// step, reuse, rate limit, skew, scratch, HOTP), and edits observed on the
// real pam_google_authenticator.so 1.08 under pamtester (noted per test).
// Codes come from RFC-checked HotpCode() with the time given explicitly.
#include "otp/verifier.h"

#include <gtest/gtest.h>

#include "otp/base32.h"

namespace kw::otp {
namespace {

constexpr std::string_view kSecret = "2SH3V3GDW7ZNMGYE";

SecretFile File(std::string_view options_and_codes) {
  auto f = SecretFile::Parse(std::string(kSecret) + "\n" + std::string(options_and_codes));
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return std::move(f).value();
}

std::string CodeAt(int64_t counter) {
  auto key = Base32Decode(kSecret);
  return HotpCode(key->span(), static_cast<uint64_t>(counter), Algorithm::kSha1, 6);
}

VerifyOptions Opts(bool skew_adjust, bool increment_hotp = true, bool forward_pass = false) {
  VerifyOptions o;
  o.skew_adjust = skew_adjust;
  o.increment_hotp = increment_hotp;
  o.forward_pass = forward_pass;
  return o;
}

Outcome Try(SecretFile& f, std::string_view answer, int64_t now, VerifyOptions o = {}) {
  return VerifyAnswer(f, answer, now, o).outcome;
}

TEST(Verifier, UpstreamVectorAtTime300000) {
  SecretFile f = File("\" TOTP_AUTH\n");
  EXPECT_EQ(Try(f, "050548", 300000), Outcome::kAccepted);
  EXPECT_EQ(Try(f, "050549", 300000, Opts(false)), Outcome::kInvalidCode);
}

TEST(Verifier, WindowOfThreeIsMinusOneToPlusOne) {
  // Upstream: the code for 10000 fails at tm 9998, passes at 9999 and 10001, fails at 10002.
  const std::string code = CodeAt(10000);
  VerifyOptions no_skew = Opts(false);
  for (auto [tm, want] : {std::pair{9998, Outcome::kInvalidCode}, {9999, Outcome::kAccepted},
                          {10000, Outcome::kAccepted}, {10001, Outcome::kAccepted}, {10002, Outcome::kInvalidCode}}) {
    SecretFile f = File("\" TOTP_AUTH\n");
    EXPECT_EQ(Try(f, code, tm * 30 + 7, no_skew), want) << tm;
  }
}

TEST(Verifier, WindowOfSixIsMinusTwoToPlusThree) {
  const std::string code = CodeAt(10000);
  VerifyOptions no_skew = Opts(false);
  for (auto [tm, want] : {std::pair{9996, Outcome::kInvalidCode}, {9997, Outcome::kAccepted},
                          {10002, Outcome::kAccepted}, {10003, Outcome::kInvalidCode}}) {
    SecretFile f = File("\" WINDOW_SIZE 6\n\" TOTP_AUTH\n");
    EXPECT_EQ(Try(f, code, tm * 30, no_skew), want) << tm;
  }
}

TEST(Verifier, StepSizeSixty) {
  const std::string code = CodeAt(10000);
  VerifyOptions no_skew = Opts(false);
  for (auto [tm, want] : {std::pair{9998, Outcome::kInvalidCode}, {9999, Outcome::kAccepted},
                          {10001, Outcome::kAccepted}, {10002, Outcome::kInvalidCode}}) {
    SecretFile f = File("\" STEP_SIZE 60\n\" TOTP_AUTH\n");
    EXPECT_EQ(Try(f, code, tm * 60 + 59, no_skew), want) << tm;
  }
}

TEST(Verifier, DisallowReuseKeepsAWindowOfUsedSteps) {
  // Upstream: after successes at 10001..10007 the line is exactly this.
  SecretFile f = File("\" WINDOW_SIZE 6\n\" DISALLOW_REUSE\n\" TOTP_AUTH\n");
  for (int64_t tm = 10001; tm <= 10007; ++tm) {
    VerifyResult r = VerifyAnswer(f, CodeAt(tm), tm * 30, {});
    EXPECT_EQ(r.outcome, Outcome::kAccepted) << tm;
    EXPECT_TRUE(r.changed);
  }
  EXPECT_EQ(f.Get(kDisallowReuse), "10002 10003 10004 10005 10006 10007");
  // The same code again, in the same step: refused, nothing written.
  VerifyResult again = VerifyAnswer(f, CodeAt(10007), 10007 * 30 + 10, {});
  EXPECT_EQ(again.outcome, Outcome::kReused);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(again.retry_after, 20);
  // A code of an earlier, used step that is still in the window: refused too.
  EXPECT_EQ(Try(f, CodeAt(10006), 10007 * 30), Outcome::kReused);
}

TEST(Verifier, DisallowReuseEditsTheListAsTheModuleDoes) {
  // Observed on pam_google_authenticator.so: tm = 59852213, the code of
  // tm-1 entered with entries tm-4 tm-3 tm-2 tm+1 tm+3 listed. Entries 3 or
  // more steps from the used one go (each with the blanks after it), the
  // used one is appended after a space.
  const int64_t tm = 59852213;
  SecretFile f = File("\" WINDOW_SIZE 3\n\" DISALLOW_REUSE 59852209 59852210 59852211 59852214 59852216\n"
                      "\" TOTP_AUTH\n");
  EXPECT_EQ(Try(f, CodeAt(tm - 1), tm * 30 + 8), Outcome::kAccepted);
  EXPECT_EQ(f.text(), std::string(kSecret) +
                          "\n\" WINDOW_SIZE 3\n\" DISALLOW_REUSE 59852210 59852211 59852214  59852212\n\" TOTP_AUTH\n");
  // An empty list (even with trailing blanks) gets the number alone.
  SecretFile g = File("\" DISALLOW_REUSE   \n\" TOTP_AUTH\n");
  EXPECT_EQ(Try(g, CodeAt(tm), tm * 30), Outcome::kAccepted);
  EXPECT_EQ(g.text(), std::string(kSecret) + "\n\" DISALLOW_REUSE 59852213\n\" TOTP_AUTH\n");
  // A bad list is a bad file.
  SecretFile h = File("\" DISALLOW_REUSE 12x\n\" TOTP_AUTH\n");
  EXPECT_EQ(Try(h, CodeAt(tm), tm * 30), Outcome::kBadFile);
}

TEST(Verifier, RateLimitUpstreamSequence) {
  // RATE_LIMIT 4 120 at tm 20000..20004 (x30 s): four pass, the fifth is
  // refused before any code is looked at; at 20006 one passes again.
  SecretFile f = File("\" RATE_LIMIT 4 120\n\" TOTP_AUTH\n");
  for (int64_t tm = 20000; tm <= 20003; ++tm) {
    VerifyResult r = Authenticate(f, CodeAt(tm), tm * 30, {});
    EXPECT_EQ(r.outcome, Outcome::kAccepted) << tm;
  }
  VerifyResult limited = Authenticate(f, CodeAt(20004), 20004 * 30, {});
  EXPECT_EQ(limited.outcome, Outcome::kRateLimited);
  EXPECT_TRUE(limited.changed);
  EXPECT_EQ(Authenticate(f, CodeAt(20006), 20006 * 30, {}).outcome, Outcome::kAccepted);
  EXPECT_EQ(f.Get(kRateLimit), "4 120 600060 600090 600120 600180");
}

TEST(Verifier, RateLimitListEdits) {
  // Observed: entries older than the interval and in the future go; sorted.
  const int64_t now = 1795566403;
  SecretFile f = File("\" RATE_LIMIT 3 30 1795566363 1795566503 1795566398\n\" TOTP_AUTH\n");
  EXPECT_EQ(CheckRateLimit(f, now).outcome, Outcome::kAccepted);
  EXPECT_EQ(f.Get(kRateLimit), "3 30 1795566398 1795566403");
  // Observed: "2 30" with three recent entries: refused, the newest two kept.
  SecretFile g = File("\" RATE_LIMIT 2 30 1795566402 1795566400 1795566398\n\" TOTP_AUTH\n");
  EXPECT_EQ(CheckRateLimit(g, now).outcome, Outcome::kRateLimited);
  EXPECT_EQ(g.Get(kRateLimit), "2 30 1795566402 1795566403");
  // No RATE_LIMIT: nothing to do, nothing changed.
  SecretFile h = File("\" TOTP_AUTH\n");
  VerifyResult r = CheckRateLimit(h, now);
  EXPECT_EQ(r.outcome, Outcome::kAccepted);
  EXPECT_FALSE(r.changed);
}

TEST(Verifier, RateLimitFormatErrors) {
  for (const char* bad : {"\" RATE_LIMIT\n", "\" RATE_LIMIT 3\n", "\" RATE_LIMIT 0 30\n", "\" RATE_LIMIT 101 30\n",
                          "\" RATE_LIMIT 3 0\n", "\" RATE_LIMIT 3 3601\n", "\" RATE_LIMIT 3 30 100 \n",
                          "\" RATE_LIMIT 3 30x\n", "\" RATE_LIMIT 3 30 1,2\n"}) {
    SecretFile f = File(bad);
    EXPECT_EQ(CheckRateLimit(f, 1000).outcome, Outcome::kBadFile) << bad;
  }
}

TEST(Verifier, SkewIsLearnedFromThreeCodes) {
  // Upstream: codes of 11000+i entered at tm 12000+i: the first two fail,
  // the third sets the skew and passes, and so does the fourth.
  SecretFile f = File("\" TOTP_AUTH\n");
  EXPECT_EQ(Try(f, CodeAt(11000), 12000 * 30), Outcome::kInvalidCode);
  EXPECT_EQ(f.Get(kResettingTimeSkew), "12000-1000");
  EXPECT_EQ(Try(f, CodeAt(11000), 12000 * 30), Outcome::kInvalidCode);  // same code: no news
  EXPECT_EQ(f.Get(kResettingTimeSkew), "12000-1000");
  EXPECT_EQ(Try(f, CodeAt(11001), 12001 * 30), Outcome::kInvalidCode);
  EXPECT_EQ(Try(f, CodeAt(11002), 12002 * 30), Outcome::kAcceptedSkew);
  EXPECT_EQ(f.Get(kTimeSkew), "-1000");
  EXPECT_EQ(Try(f, CodeAt(11003), 12003 * 30), Outcome::kAccepted);
  // With noskewadj the same codes never pass.
  SecretFile g = File("\" TOTP_AUTH\n");
  VerifyOptions no_skew = Opts(false);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Try(g, CodeAt(11000 + i), (12000 + i) * 30, no_skew), Outcome::kInvalidCode);
  EXPECT_EQ(g.Get(kTimeSkew), std::nullopt);
}

TEST(Verifier, SkewEditsAsTheModuleDoes) {
  // Observed with tm = 59852213 on the real module.
  const int64_t tm = 59852213;
  SecretFile f = File("\" TOTP_AUTH\n");
  EXPECT_EQ(Try(f, CodeAt(tm + 100), tm * 30), Outcome::kInvalidCode);
  EXPECT_EQ(f.text(), std::string(kSecret) + "\n\" RESETTING_TIME_SKEW 59852213+100\n\" TOTP_AUTH\n");

  SecretFile g = File("\" RESETTING_TIME_SKEW 59852211+100 59852212+101\n\" TOTP_AUTH\n");
  EXPECT_EQ(Try(g, CodeAt(tm + 100), tm * 30), Outcome::kInvalidCode);  // same as the last observation
  EXPECT_EQ(g.text(), std::string(kSecret) + "\n\" RESETTING_TIME_SKEW 59852211+100 59852212+101\n\" TOTP_AUTH\n");
  EXPECT_EQ(Try(g, CodeAt(tm + 101), tm * 30), Outcome::kAcceptedSkew);
  EXPECT_EQ(g.text(), std::string(kSecret) + "\n\" TIME_SKEW 100\n\" RESETTING_TIME_SKEW \n\" TOTP_AUTH\n");

  SecretFile h = File("\" RESETTING_TIME_SKEW 59852211-5 59852212+101\n\" TOTP_AUTH\n");
  EXPECT_EQ(Try(h, CodeAt(tm - 7), tm * 30), Outcome::kInvalidCode);
  EXPECT_EQ(h.text(), std::string(kSecret) + "\n\" RESETTING_TIME_SKEW 59852211-5 59852212+101 59852213-7\n\" TOTP_AUTH\n");
}

TEST(Verifier, ScratchCodesWorkOnce) {
  SecretFile f = File("\" TOTP_AUTH\n12345678\n87654321\n");
  VerifyResult r = VerifyAnswer(f, "12345678", 1000, {});
  EXPECT_EQ(r.outcome, Outcome::kAcceptedScratch);
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(f.text(), std::string(kSecret) + "\n\" TOTP_AUTH\n87654321\n");
  EXPECT_EQ(Try(f, "12345678", 1000), Outcome::kInvalidCode);
  EXPECT_EQ(Try(f, "87654321", 1000), Outcome::kAcceptedScratch);
  EXPECT_TRUE(f.ScratchCodes().empty());
  // Without TOTP or HOTP configured only scratch codes work.
  SecretFile g = File("11223344\n");
  EXPECT_EQ(Try(g, CodeAt(33), 33 * 30), Outcome::kInvalidCode);
  EXPECT_EQ(Try(g, "11223344", 0), Outcome::kAcceptedScratch);
}

TEST(Verifier, HotpUpstreamSequence) {
  SecretFile f = File("\" HOTP_COUNTER 1\n");
  EXPECT_EQ(Try(f, "293240", 0), Outcome::kAccepted);
  EXPECT_EQ(f.Get(kHotpCounter), "2");
  EXPECT_EQ(Try(f, "000000", 0), Outcome::kInvalidCode);  // a failure advances the counter
  EXPECT_EQ(f.Get(kHotpCounter), "3");
  EXPECT_EQ(Try(f, "932068", 0), Outcome::kAccepted);  // counter 5, inside the window 3..5
  EXPECT_EQ(f.Get(kHotpCounter), "6");
  EXPECT_EQ(Try(f, "932068", 0), Outcome::kInvalidCode);
  EXPECT_EQ(f.Get(kHotpCounter), "7");
  // no_increment_hotp.
  VerifyResult r = VerifyAnswer(f, "000000", 0, Opts(true, false));
  EXPECT_EQ(r.outcome, Outcome::kInvalidCode);
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(f.Get(kHotpCounter), "7");
}

TEST(Verifier, AnswerShapes) {
  SecretFile f = File("\" TOTP_AUTH\n");
  VerifyOptions no_skew = Opts(false);
  const std::string code = CodeAt(10000);
  for (const char* bad : {"", "12345", "abcdef", "050548 ", " 050548x"}) {
    EXPECT_EQ(Try(f, bad, 300000, no_skew), Outcome::kMalformed) << bad;
  }
  // Upstream: with the code 050548 at 300000, extra leading characters fail.
  for (const char* bad : {"50548", "0050548", "00050548", "x050548"}) {
    EXPECT_NE(Try(f, bad, 300000, no_skew), Outcome::kAccepted) << bad;
  }
  // forward_pass: a password in front, handed on.
  VerifyResult r = VerifyAnswer(f, "hunter2" + code, 10000 * 30, Opts(false, true, true));
  EXPECT_EQ(r.outcome, Outcome::kAccepted);
  EXPECT_EQ(r.password.view(), "hunter2");
}

TEST(Verifier, KeywardExtensionsAlgorithmAndDigits) {
  // RFC 6238 SHA256 seed, 8 digits, T = 59 -> 46119246.
  auto f = SecretFile::Parse(Base32Encode(AsBytes("12345678901234567890123456789012")) +
                             "\n\" KW_ALGORITHM SHA256\n\" KW_DIGITS 8\n\" TOTP_AUTH\n");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(VerifyAnswer(*f, "46119246", 59, {}).outcome, Outcome::kAccepted);
  auto g = SecretFile::Parse("JBSWY3DP\n\" KW_ALGORITHM MD5\n\" TOTP_AUTH\n");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(VerifyAnswer(*g, "123456", 59, {}).outcome, Outcome::kBadFile);
  auto h = SecretFile::Parse("JBSWY3DP\n\" KW_DIGITS 9\n\" TOTP_AUTH\n");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(VerifyAnswer(*h, "123456", 59, {}).outcome, Outcome::kBadFile);
}

TEST(Verifier, BadOptionsAreBadFiles) {
  for (const char* bad : {"\" STEP_SIZE 0\n\" TOTP_AUTH\n", "\" STEP_SIZE x\n\" TOTP_AUTH\n",
                          "\" WINDOW_SIZE 0\n\" TOTP_AUTH\n", "\" WINDOW_SIZE 101\n\" TOTP_AUTH\n",
                          "\" WINDOW_SIZE 3x\n\" TOTP_AUTH\n"}) {
    SecretFile f = File(bad);
    EXPECT_EQ(Try(f, "123456", 1000), Outcome::kBadFile) << bad;
  }
  // ...but a scratch code needs none of them (as in the module).
  SecretFile g = File("\" STEP_SIZE 0\n\" TOTP_AUTH\n12345678\n");
  EXPECT_EQ(Try(g, "12345678", 1000), Outcome::kAcceptedScratch);
}

TEST(Verifier, DetailNeverContainsTheCodeOrSecret) {
  SecretFile f = File("\" DISALLOW_REUSE\n\" RATE_LIMIT 1 30\n\" TOTP_AUTH\n12345678\n");
  const std::string code = CodeAt(40000);
  for (std::string answer : {code, code, std::string("12345678"), std::string("999999")}) {
    VerifyResult r = Authenticate(f, answer, 40000 * 30, {});
    EXPECT_EQ(r.detail.find(answer), std::string::npos) << r.detail;
    EXPECT_EQ(r.detail.find(kSecret), std::string::npos) << r.detail;
  }
}

TEST(Verifier, ReadSettings) {
  SecretFile f = File("\" RATE_LIMIT 3 30 1 2\n\" WINDOW_SIZE 17\n\" STEP_SIZE 60\n\" DISALLOW_REUSE\n"
                      "\" KW_ALGORITHM sha512\n\" KW_DIGITS 7\n\" TIME_SKEW -3\n\" TOTP_AUTH\n");
  auto s = ReadSettings(f);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->totp);
  EXPECT_EQ(s->hotp_counter, 0);
  EXPECT_EQ(s->algorithm, Algorithm::kSha512);
  EXPECT_EQ(s->digits, 7);
  EXPECT_EQ(s->step, 60);
  EXPECT_EQ(s->window, 17);
  EXPECT_EQ(s->time_skew, -3);
  EXPECT_TRUE(s->disallow_reuse);
  EXPECT_EQ(s->rate_limit_attempts, 3);
  EXPECT_EQ(s->rate_limit_interval, 30);
  SecretFile h = File("\" HOTP_COUNTER 9\n\" TOTP_AUTH\n");
  auto hs = ReadSettings(h);
  ASSERT_TRUE(hs.ok());
  EXPECT_FALSE(hs->totp);
  EXPECT_EQ(hs->hotp_counter, 9);
  SecretFile bad = File("\" STEP_SIZE 0\n");
  auto bs = ReadSettings(bad);
  ASSERT_FALSE(bs.ok());
  EXPECT_NE(bs.status().message().find("STEP_SIZE"), std::string::npos);
}

}  // namespace
}  // namespace kw::otp
