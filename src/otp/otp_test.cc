// HOTP and TOTP known answers: RFC 4226 Appendix D, RFC 6238 Appendix B (all
// three hashes), and the vector of google-authenticator-libpam's own unit
// test (secret 2SH3V3GDW7ZNMGYE).
#include "otp/otp.h"

#include <gtest/gtest.h>

#include "otp/base32.h"

namespace kw::otp {
namespace {

// RFC 4226 Appendix D: secret = ASCII "12345678901234567890".
TEST(Hotp, Rfc4226AppendixD) {
  const std::string key = "12345678901234567890";
  const char* want[] = {"755224", "287082", "359152", "969429", "338314",
                        "254676", "287922", "162583", "399871", "520489"};
  for (uint64_t c = 0; c < 10; ++c) {
    EXPECT_EQ(HotpCode(AsBytes(key), c, Algorithm::kSha1, 6), want[c]) << "counter " << c;
  }
}

// RFC 6238 Appendix B: 8 digits, step 30, T0 = 0; the seed is 20, 32 or 64
// bytes of "1234567890..." for SHA1, SHA256, SHA512.
TEST(Totp, Rfc6238AppendixB) {
  const std::string seed1 = "12345678901234567890";
  const std::string seed256 = "12345678901234567890123456789012";
  const std::string seed512 = "1234567890123456789012345678901234567890123456789012345678901234";
  struct Row {
    int64_t time;
    const char* sha1;
    const char* sha256;
    const char* sha512;
  } rows[] = {
      {59, "94287082", "46119246", "90693936"},
      {1111111109, "07081804", "68084774", "25091201"},
      {1111111111, "14050471", "67062674", "99943326"},
      {1234567890, "89005924", "91819424", "93441116"},
      {2000000000, "69279037", "90698825", "38618901"},
      {20000000000, "65353130", "77737706", "47863826"},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(TotpCode(AsBytes(seed1), r.time, Algorithm::kSha1, 8), r.sha1) << r.time;
    EXPECT_EQ(TotpCode(AsBytes(seed256), r.time, Algorithm::kSha256, 8), r.sha256) << r.time;
    EXPECT_EQ(TotpCode(AsBytes(seed512), r.time, Algorithm::kSha512, 8), r.sha512) << r.time;
    // Fewer digits are the same value mod 10^d: the RFC's last 6 and 7 digits.
    EXPECT_EQ(TotpCode(AsBytes(seed1), r.time, Algorithm::kSha1, 6), std::string(r.sha1).substr(2)) << r.time;
    EXPECT_EQ(TotpCode(AsBytes(seed256), r.time, Algorithm::kSha256, 7), std::string(r.sha256).substr(1)) << r.time;
  }
  // The RFC's T column (hex counters) for two of the rows.
  EXPECT_EQ(TotpCounter(1111111109), 0x23523EC);
  EXPECT_EQ(TotpCounter(20000000000), 0x27BC86AA);
}

TEST(Totp, GoogleAuthenticatorUnitTestVector) {
  auto key = Base32Decode("2SH3V3GDW7ZNMGYE");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(TotpCode(key->span(), 300000, Algorithm::kSha1, 6), "050548");
  EXPECT_EQ(HotpCode(key->span(), 1, Algorithm::kSha1, 6), "293240");
  EXPECT_EQ(HotpCode(key->span(), 3, Algorithm::kSha1, 6), "464407");
  EXPECT_EQ(HotpCode(key->span(), 4, Algorithm::kSha1, 6), "374703");
  EXPECT_EQ(HotpCode(key->span(), 5, Algorithm::kSha1, 6), "932068");
}

TEST(Totp, CounterIsAFloor) {
  EXPECT_EQ(TotpCounter(0), 0);
  EXPECT_EQ(TotpCounter(29), 0);
  EXPECT_EQ(TotpCounter(30), 1);
  EXPECT_EQ(TotpCounter(-1), -1);
  EXPECT_EQ(TotpCounter(-30), -1);
  EXPECT_EQ(TotpCounter(-31), -2);
  EXPECT_EQ(TotpCounter(119, 60), 1);
  EXPECT_EQ(TotpCounter(100, 30, 40), 2);
  EXPECT_EQ(TotpCounter(12345, 1), 12345);
}

TEST(Otp, FormatCodePadsWithZeros) {
  EXPECT_EQ(FormatCode(0, 6), "000000");
  EXPECT_EQ(FormatCode(50548, 6), "050548");
  EXPECT_EQ(FormatCode(7081804, 8), "07081804");
  EXPECT_EQ(FormatCode(1234567, 7), "1234567");
}

TEST(Otp, AlgorithmNames) {
  Algorithm a;
  ASSERT_TRUE(ParseAlgorithm("sha256", &a));
  EXPECT_EQ(a, Algorithm::kSha256);
  ASSERT_TRUE(ParseAlgorithm("SHA-512", &a));
  EXPECT_EQ(a, Algorithm::kSha512);
  ASSERT_TRUE(ParseAlgorithm("Sha1", &a));
  EXPECT_EQ(a, Algorithm::kSha1);
  EXPECT_FALSE(ParseAlgorithm("md5", &a));
  EXPECT_FALSE(ParseAlgorithm("", &a));
  EXPECT_EQ(AlgorithmName(Algorithm::kSha512), "SHA512");
}

TEST(Otp, CodesEqual) {
  EXPECT_TRUE(CodesEqual("123456", "123456"));
  EXPECT_FALSE(CodesEqual("123456", "123457"));
  EXPECT_FALSE(CodesEqual("123456", "1234567"));
}

}  // namespace
}  // namespace kw::otp
