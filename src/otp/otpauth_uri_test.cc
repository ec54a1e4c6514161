// otpauth:// URIs: the examples of Google's Key Uri Format page, the URI
// google-authenticator's tool prints, and the errors.
#include "otp/otpauth_uri.h"

#include <gtest/gtest.h>

#include "otp/base32.h"

namespace kw::otp {
namespace {

SecretBytes B32(std::string_view s) {
  auto r = Base32Decode(s);
  EXPECT_TRUE(r.ok()) << s;
  return r.ok() ? std::move(r).value() : SecretBytes();
}

TEST(OtpAuthUri, BuildsTheKeyUriFormatExample) {
  // https://github.com/google/google-authenticator/wiki/Key-Uri-Format
  OtpAuthUri u;
  u.issuer = "Example";
  u.account = "alice@google.com";
  u.secret = B32("JBSWY3DPEHPK3PXP");
  EXPECT_EQ(BuildOtpAuthUri(u), "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example");
}

TEST(OtpAuthUri, BuildsNonDefaultParametersAndEscapes) {
  OtpAuthUri u;
  u.issuer = "ACME Co";
  u.account = "john.doe@email.com";
  u.secret = B32("HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ");
  u.algorithm = Algorithm::kSha256;
  u.digits = 8;
  u.period = 60;
  EXPECT_EQ(BuildOtpAuthUri(u),
            "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ"
            "&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60");
  OtpAuthUri h;
  h.type = OtpType::kHotp;
  h.account = "a:b/c?d";
  h.secret = B32("JBSWY3DPEHPK3PXP");
  h.counter = 7;
  // No issuer but a ':' in the account: an empty issuer before a literal ':'
  // keeps readers from splitting at the escaped one.
  EXPECT_EQ(BuildOtpAuthUri(h), "otpauth://hotp/:a%3Ab%2Fc%3Fd?secret=JBSWY3DPEHPK3PXP&counter=7");
  auto back = ParseOtpAuthUri(BuildOtpAuthUri(h));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->issuer, "");
  EXPECT_EQ(back->account, "a:b/c?d");
}

TEST(OtpAuthUri, ParsesTheKeyUriFormatExamples) {
  auto a = ParseOtpAuthUri("otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->type, OtpType::kTotp);
  EXPECT_EQ(a->issuer, "Example");
  EXPECT_EQ(a->account, "alice@google.com");
  EXPECT_EQ(Base32Encode(a->secret.span()), "JBSWY3DPEHPK3PXP");
  EXPECT_EQ(a->algorithm, Algorithm::kSha1);
  EXPECT_EQ(a->digits, 6);
  EXPECT_EQ(a->period, 30);

  auto b = ParseOtpAuthUri(
      "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co"
      "&algorithm=SHA1&digits=6&period=30");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->issuer, "ACME Co");
  EXPECT_EQ(b->account, "john.doe@email.com");

  // "Issuer: account" with optional spaces after the colon, encoded colon.
  auto c = ParseOtpAuthUri("OTPAUTH://TOTP/Big%20Corp%3A%20%20bob?secret=jbswy3dpehpk3pxp&digits=8&algorithm=sha512"
                           "&period=45&image=https%3A%2F%2Fexample.com%2Fx.png");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->issuer, "Big Corp");
  EXPECT_EQ(c->account, "bob");
  EXPECT_EQ(c->digits, 8);
  EXPECT_EQ(c->algorithm, Algorithm::kSha512);
  EXPECT_EQ(c->period, 45);
}

TEST(OtpAuthUri, ParsesWhatGoogleAuthenticatorsToolPrints) {
  // As printed by google-authenticator 1.08 (inside its chart URL, decoded once).
  auto u = ParseOtpAuthUri("otpauth://totp/bob@example?secret=AHTU6CE5Z56RVHXSZPBFZSJTHA&issuer=My%20Co");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->account, "bob@example");
  EXPECT_EQ(u->issuer, "My Co");
  EXPECT_EQ(Base32Encode(u->secret.span()), "AHTU6CE5Z56RVHXSZPBFZSJTHA");
}

TEST(OtpAuthUri, Hotp) {
  auto u = ParseOtpAuthUri("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=42");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->type, OtpType::kHotp);
  EXPECT_EQ(u->counter, 42u);
  EXPECT_FALSE(ParseOtpAuthUri("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP").ok());
}

TEST(OtpAuthUri, PaddedSecret) {
  auto u = ParseOtpAuthUri("otpauth://totp/x?secret=MZXW6YQ%3D");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->secret.view(), "foob");
  auto v = ParseOtpAuthUri("otpauth://totp/x?secret=MZXW6YQ=");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->secret.view(), "foob");
}

TEST(OtpAuthUri, RoundTrips) {
  for (OtpType type : {OtpType::kTotp, OtpType::kHotp}) {
    for (Algorithm alg : {Algorithm::kSha1, Algorithm::kSha256, Algorithm::kSha512}) {
      for (int digits : {6, 7, 8}) {
        OtpAuthUri u;
        u.type = type;
        u.issuer = "Ünïcode & Co: 100%";
        u.account = "user+tag@host name";
        u.secret = B32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        u.algorithm = alg;
        u.digits = digits;
        u.period = type == OtpType::kTotp ? 90 : 30;
        u.counter = type == OtpType::kHotp ? 123456789 : 0;
        std::string text = BuildOtpAuthUri(u);
        auto back = ParseOtpAuthUri(text);
        ASSERT_TRUE(back.ok()) << text << ": " << back.status().ToString();
        EXPECT_EQ(back->type, u.type);
        EXPECT_EQ(back->issuer, u.issuer);
        EXPECT_EQ(back->account, u.account);
        EXPECT_TRUE(back->secret == u.secret);
        EXPECT_EQ(back->algorithm, u.algorithm);
        EXPECT_EQ(back->digits, u.digits);
        EXPECT_EQ(back->period, u.period);
        EXPECT_EQ(back->counter, u.counter);
        EXPECT_EQ(BuildOtpAuthUri(*back), text);
      }
    }
  }
}

TEST(OtpAuthUri, Errors) {
  struct Case {
    const char* uri;
    const char* mentions;
  } cases[] = {
      {"http://totp/x?secret=JBSWY3DP", "otpauth://"},
      {"otpauth://totp?secret=JBSWY3DP", "label"},
      {"otpauth://motp/x?secret=JBSWY3DP", "type"},
      {"otpauth://totp/x?issuer=a", "no secret"},
      {"otpauth://totp/x?secret=", "secret"},
      {"otpauth://totp/x?secret=JBSW!3DP", "secret"},
      {"otpauth://totp/x?secret=JBSWY3DP&secret=JBSWY3DP", "twice"},
      {"otpauth://totp/x?secret=JBSWY3DP&algorithm=MD5", "algorithm"},
      {"otpauth://totp/x?secret=JBSWY3DP&digits=5", "digits"},
      {"otpauth://totp/x?secret=JBSWY3DP&digits=9", "digits"},
      {"otpauth://totp/x?secret=JBSWY3DP&digits=six", "digits"},
      {"otpauth://totp/x?secret=JBSWY3DP&period=0", "period"},
      {"otpauth://totp/x?secret=JBSWY3DP&period=-30", "period"},
      {"otpauth://hotp/x?secret=JBSWY3DP&counter=x", "counter"},
      {"otpauth://totp/x%2?secret=JBSWY3DP", "escape"},
      {"otpauth://totp/x%zz?secret=JBSWY3DP", "escape"},
  };
  for (const Case& c : cases) {
    auto r = ParseOtpAuthUri(c.uri);
    ASSERT_FALSE(r.ok()) << c.uri;
    EXPECT_NE(r.status().message().find(c.mentions), std::string::npos) << c.uri << " -> " << r.status().ToString();
  }
  EXPECT_FALSE(ParseOtpAuthUri(std::string(5000, 'a')).ok());
}

TEST(OtpAuthUri, PercentCoding) {
  EXPECT_EQ(PercentEncode("a b/c:d@e~f"), "a%20b%2Fc%3Ad%40e~f");
  EXPECT_EQ(PercentEncode("a@b", "@"), "a@b");
  auto d = PercentDecode("a%20b%2fc+d");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, "a b/c+d");
  EXPECT_FALSE(PercentDecode("%").ok());
  EXPECT_FALSE(PercentDecode("%4").ok());
  EXPECT_FALSE(PercentDecode("%4g").ok());
}

}  // namespace
}  // namespace kw::otp
