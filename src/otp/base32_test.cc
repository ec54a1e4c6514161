// Base32 (RFC 4648 §10 test vectors) and google-authenticator's lenient
// reading (its README and the module's base32 decoder: spaces, dashes,
// lower case, 0/1/8 read as O/L/B).
#include "otp/base32.h"

#include <gtest/gtest.h>

namespace kw::otp {
namespace {

std::string Decoded(std::string_view text) {
  auto r = Base32Decode(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? std::string(r->view()) : std::string();
}

TEST(Base32, Rfc4648Vectors) {
  // RFC 4648 §10, with the '=' padding removed (we never write padding).
  struct Case {
    const char* plain;
    const char* encoded;
  } cases[] = {
      {"", ""},           {"f", "MY"},          {"fo", "MZXQ"},          {"foo", "MZXW6"},
      {"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Base32Encode(AsBytes(c.plain)), c.encoded) << c.plain;
    if (*c.plain != '\0') {
      EXPECT_EQ(Decoded(c.encoded), c.plain) << c.encoded;
    }
  }
}

TEST(Base32, PaddedFormsDecodeWithThePaddedReader) {
  const char* padded[][2] = {{"MY======", "f"}, {"MZXQ====", "fo"}, {"MZXW6===", "foo"},
                             {"MZXW6YQ=", "foob"}, {"MZXW6YTBOI======", "foobar"}};
  for (auto& p : padded) {
    auto r = Base32DecodePadded(p[0]);
    ASSERT_TRUE(r.ok()) << p[0];
    EXPECT_EQ(r->view(), p[1]);
    // The module itself refuses '='.
    EXPECT_FALSE(Base32Decode(p[0]).ok()) << p[0];
  }
}

TEST(Base32, ToleratesWhatGoogleAuthenticatorTolerates) {
  const std::string want = Decoded("MZXW6YTBOI");
  EXPECT_EQ(Decoded("mzxw6ytboi"), want);
  EXPECT_EQ(Decoded("MZXW 6YTB OI"), want);
  EXPECT_EQ(Decoded("mzxw-6ytb-oi"), want);
  EXPECT_EQ(Decoded(" MZ\tXW6Y\r\nTBOI\n"), want);
  // 0 -> O, 1 -> L, 8 -> B.
  EXPECT_EQ(Decoded("0L8A"), Decoded("OLBA"));
  EXPECT_EQ(Decoded("O1BA"), Decoded("OLBA"));
  EXPECT_EQ(Decoded("oL8a"), Decoded("OLBA"));
}

TEST(Base32, RejectsOtherCharactersNamingTheOffset) {
  for (const char* bad : {"MZXW9", "MZ=W6", "MZ.XW", "MZ_XW", "ÄBCD", "MZXW6\"", "9"}) {
    auto r = Base32Decode(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  auto r = Base32Decode("ABC9D");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("offset 3"), std::string::npos) << r.status().ToString();
}

TEST(Base32, NoWholeByteIsAnError) {
  EXPECT_FALSE(Base32Decode("").ok());
  EXPECT_FALSE(Base32Decode("A").ok());
  EXPECT_FALSE(Base32Decode("  - ").ok());
  EXPECT_TRUE(Base32Decode("AA").ok());  // 10 bits: one byte, two dropped
}

TEST(Base32, RoundTripsEveryLength) {
  std::string data;
  for (int n = 1; n <= 64; ++n) {
    data.push_back(static_cast<char>(n * 37 + 11));
    EXPECT_EQ(Decoded(Base32Encode(AsBytes(data))), data) << n;
  }
}

}  // namespace
}  // namespace kw::otp
