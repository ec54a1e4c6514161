// The google-authenticator secret file. Expected texts come from the real
// tools: the file layout from google-authenticator 1.08's tool (Debian
// libpam-google-authenticator 20191231), and every edit from what
// pam_google_authenticator.so 1.08 did to the same input (run under
// pamtester; recorded in the comments). The interop suite re-checks these
// edits against the live module.
#include "otp/secret_file.h"

#include <gtest/gtest.h>

#include "otp/base32.h"

namespace kw::otp {
namespace {

SecretFile MustParse(std::string_view text) {
  auto f = SecretFile::Parse(text);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return std::move(f).value();
}

// `google-authenticator -t -d -f -r 3 -R 30 -w 3 -s FILE -q -Q NONE`.
constexpr std::string_view kToolFile =
    "4KQDVTZ2BONL2NRVNG6KKR75GQ\n"
    "\" RATE_LIMIT 3 30\n"
    "\" WINDOW_SIZE 3\n"
    "\" DISALLOW_REUSE\n"
    "\" TOTP_AUTH\n"
    "45466808\n"
    "64679224\n"
    "72608760\n"
    "33916015\n"
    "66400274\n";

TEST(SecretFile, ReadsTheToolsFile) {
  SecretFile f = MustParse(kToolFile);
  EXPECT_EQ(Base32Encode(f.secret().span()), "4KQDVTZ2BONL2NRVNG6KKR75GQ");
  EXPECT_EQ(f.Get(kRateLimit), "3 30");
  EXPECT_EQ(f.Get(kWindowSize), "3");
  EXPECT_EQ(f.Get(kDisallowReuse), "");
  EXPECT_EQ(f.Get(kTotpAuth), "");
  EXPECT_EQ(f.Get(kStepSize), std::nullopt);
  EXPECT_EQ(f.Get(kHotpCounter), std::nullopt);
  EXPECT_TRUE(f.Contains("\" TOTP_AUTH"));
  EXPECT_EQ(f.ScratchCodes(), (std::vector<uint32_t>{45466808, 64679224, 72608760, 33916015, 66400274}));
  EXPECT_EQ(f.text(), kToolFile);
}

TEST(SecretFile, CreatesTheToolsLayout) {
  auto secret = Base32Decode("4KQDVTZ2BONL2NRVNG6KKR75GQ");
  ASSERT_TRUE(secret.ok());
  NewSecretFileOptions o;
  o.rate_limit = std::make_pair(3, 30);
  o.window_size = 3;
  o.disallow_reuse = true;
  const uint32_t codes[] = {45466808, 64679224, 72608760, 33916015, 66400274};
  SecretFile f = SecretFile::Create(*secret, o, codes);
  EXPECT_EQ(f.text(), kToolFile);

  // `google-authenticator -t -D -f -W -u -S 60 -e 3 -C`: WINDOW_SIZE before STEP_SIZE.
  NewSecretFileOptions o2;
  o2.window_size = 3;
  o2.step = 60;
  const uint32_t codes2[] = {24401770, 62356428, 80573871};
  auto s2 = Base32Decode("AHTU6CE5Z56RVHXSZPBFZSJTHA");
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(SecretFile::Create(*s2, o2, codes2).text(),
            "AHTU6CE5Z56RVHXSZPBFZSJTHA\n\" WINDOW_SIZE 3\n\" STEP_SIZE 60\n\" TOTP_AUTH\n24401770\n62356428\n80573871\n");

  // `google-authenticator -c -f -w 5 -C -u -e 2`.
  NewSecretFileOptions o3;
  o3.type = OtpType::kHotp;
  o3.window_size = 5;
  const uint32_t codes3[] = {31557183, 75118122};
  auto s3 = Base32Decode("B65HYBUJFT5RFOMDLDJIHCBO74");
  ASSERT_TRUE(s3.ok());
  EXPECT_EQ(SecretFile::Create(*s3, o3, codes3).text(),
            "B65HYBUJFT5RFOMDLDJIHCBO74\n\" WINDOW_SIZE 5\n\" HOTP_COUNTER 1\n31557183\n75118122\n");

  // keyward's extensions sit just before TOTP_AUTH.
  NewSecretFileOptions o4;
  o4.algorithm = Algorithm::kSha512;
  o4.digits = 8;
  EXPECT_EQ(SecretFile::Create(*s3, o4, {}).text(),
            "B65HYBUJFT5RFOMDLDJIHCBO74\n\" KW_ALGORITHM SHA512\n\" KW_DIGITS 8\n\" TOTP_AUTH\n");
}

TEST(SecretFile, ParseErrors) {
  EXPECT_FALSE(SecretFile::Parse("").ok());
  EXPECT_FALSE(SecretFile::Parse(std::string("JBSWY3DP\n\0", 10)).ok());
  EXPECT_FALSE(SecretFile::Parse("JBSWY3DP=\n").ok());
  EXPECT_FALSE(SecretFile::Parse("\" TOTP_AUTH\nJBSWY3DP\n").ok());
  EXPECT_FALSE(SecretFile::Parse("\n").ok());
  EXPECT_FALSE(SecretFile::Parse(std::string(kMaxSecretFileSize + 1, 'A')).ok());
  EXPECT_TRUE(SecretFile::Parse(std::string(kMaxSecretFileSize, 'A')).ok());
  // The module's tolerance on line 1.
  SecretFile f = MustParse("jbsw y3dp-ehpk 3pxp\r\n");
  EXPECT_EQ(Base32Encode(f.secret().span()), "JBSWY3DPEHPK3PXP");
}

TEST(SecretFile, GetFindsTheFirstExactName) {
  SecretFile f = MustParse(
      "JBSWY3DP\r\n\" RATE_LIMITS 9 9\n\" RATE_LIMIT\t 3 30  \r\n\" RATE_LIMIT 5 60\n\"RATE_LIMIT 1 1\n"
      "\" WINDOW_SIZE");
  EXPECT_EQ(f.Get(kRateLimit), "3 30  ");
  EXPECT_EQ(f.Get(kWindowSize), "");
  EXPECT_EQ(f.Get("RATE"), std::nullopt);
}

// Edits observed on pam_google_authenticator.so 1.08:
TEST(SecretFile, SetReplacesTheFirstAndDropsDuplicates) {
  // " RATE_LIMIT 3 30 / " RATE_LIMIT 5 30 -> one line, the first's values.
  SecretFile f = MustParse("S3CR\n\" RATE_LIMIT 3 30\n\" RATE_LIMIT 5 30\n\" TOTP_AUTH\n");
  f.Set(kRateLimit, "3 30 1795566420");
  EXPECT_EQ(f.text(), "S3CR\n\" RATE_LIMIT 3 30 1795566420\n\" TOTP_AUTH\n");

  // CRLF lines; the replaced line ends in LF; the run of line breaks after it goes.
  SecretFile g = MustParse("2SH3V3GDW7ZNMGYE\r\n\r\n\" HOTP_COUNTER 1\r\n\" HOTP_COUNTER 7\r\n");
  g.Set(kHotpCounter, "2");
  EXPECT_EQ(g.text(), "2SH3V3GDW7ZNMGYE\r\n\r\n\" HOTP_COUNTER 2\n");
}

TEST(SecretFile, SetInsertsAfterLineOne) {
  SecretFile f = MustParse("2SH3V3GDW7ZNMGYE\n\" RESETTING_TIME_SKEW 59852211+100 59852212+101\n\" TOTP_AUTH\n");
  f.Set(kTimeSkew, "100");
  f.Set(kResettingTimeSkew, "");
  EXPECT_EQ(f.text(), "2SH3V3GDW7ZNMGYE\n\" TIME_SKEW 100\n\" RESETTING_TIME_SKEW \n\" TOTP_AUTH\n");

  // A file that is only a secret keeps it on its own line.
  SecretFile g = MustParse("2SH3V3GDW7ZNMGYE");
  g.Set(kHotpCounter, "2");
  EXPECT_EQ(g.text(), "2SH3V3GDW7ZNMGYE\n\" HOTP_COUNTER 2\n");
}

TEST(SecretFile, ScratchCodesScanStopsAtTheFirstOtherLine) {
  SecretFile f = MustParse(
      "JBSWY3DP\n\" TOTP_AUTH\n11111111\n\n\" X\n22222222\r\n 33333333\n+44444444\n55555555 \n66666666\n");
  EXPECT_EQ(f.ScratchCodes(), (std::vector<uint32_t>{11111111, 22222222, 33333333, 44444444}));
  SecretFile g = MustParse("JBSWY3DP\n09999999\n11111111\n");
  EXPECT_TRUE(g.ScratchCodes().empty());
  SecretFile h = MustParse("JBSWY3DP\n111111112\n11111111\n");
  EXPECT_TRUE(h.ScratchCodes().empty());
  SecretFile i = MustParse("JBSWY3DP\n-11111111\n");
  EXPECT_TRUE(i.ScratchCodes().empty());
  SecretFile j = MustParse("JBSWY3DP");
  EXPECT_TRUE(j.ScratchCodes().empty());
}

TEST(SecretFile, RemoveScratchCodeTakesItsLineBreaks) {
  // Observed: 22222222 goes with its CRLF; 11111111 with the blank lines after it.
  SecretFile f = MustParse("2SH3V3GDW7ZNMGYE\n\" TOTP_AUTH\n11111111\n\n\n22222222\r\n33333333\n");
  EXPECT_TRUE(f.RemoveScratchCode(22222222));
  EXPECT_EQ(f.text(), "2SH3V3GDW7ZNMGYE\n\" TOTP_AUTH\n11111111\n\n\n33333333\n");
  EXPECT_TRUE(f.RemoveScratchCode(11111111));
  EXPECT_EQ(f.text(), "2SH3V3GDW7ZNMGYE\n\" TOTP_AUTH\n33333333\n");
  EXPECT_FALSE(f.RemoveScratchCode(11111111));
  EXPECT_FALSE(f.RemoveScratchCode(12345678));
  EXPECT_TRUE(f.RemoveScratchCode(33333333));
  EXPECT_EQ(f.text(), "2SH3V3GDW7ZNMGYE\n\" TOTP_AUTH\n");
  EXPECT_TRUE(f.ScratchCodes().empty());
}

TEST(SecretFile, NewScratchCodesAreEightDigits) {
  DeterministicRng rng(7);
  auto codes = NewScratchCodes(rng, 1000);
  ASSERT_EQ(codes.size(), 1000u);
  for (uint32_t c : codes) {
    EXPECT_GE(c, kMinScratchCode);
    EXPECT_LE(c, kMaxScratchCode);
  }
}

TEST(SecretFile, MovesKeepTheText) {
  SecretFile f = MustParse(kToolFile);
  SecretFile g = std::move(f);
  EXPECT_EQ(g.text(), kToolFile);
  SecretFile h = MustParse("JBSWY3DP\n");
  h = std::move(g);
  EXPECT_EQ(h.text(), kToolFile);
}

}  // namespace
}  // namespace kw::otp
