#include <gtest/gtest.h>

#include "formats/public_key.h"
#include "formats/test_util.h"
#include "wire/base64.h"
#include "wire/writer.h"

namespace kw::formats {
namespace {

using testing::FirstLine;
using testing::TestData;

TEST(PublicKey, ParsesAndRewritesEveryTestKeyByteForByte) {
  for (const char* name : testing::kKeyNames) {
    SCOPED_TRACE(name);
    std::string line = FirstLine(TestData(std::string(name) + ".key.pub"));
    auto parsed = ParseKeyText(line);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    // ssh-keygen writes " comment" even for an empty comment.
    EXPECT_EQ(FormatPublicKey(parsed->key) + " " + std::string(parsed->rest), line);
  }
}

TEST(PublicKey, SizesAndTypes) {
  struct Case { const char* name; KeyType type; int bits; };
  for (auto c : {Case{"ed25519", KeyType::kEd25519, 256}, Case{"ecdsa384", KeyType::kEcdsaP384, 384},
                 Case{"ecdsa521", KeyType::kEcdsaP521, 521}, Case{"rsa1024", KeyType::kRsa, 1024},
                 Case{"rsa2048", KeyType::kRsa, 2048}, Case{"dsa", KeyType::kDsa, 1024}}) {
    auto k = ParseKeyText(FirstLine(TestData(std::string(c.name) + ".key.pub")));
    ASSERT_TRUE(k.ok());
    EXPECT_EQ(k->key.type(), c.type);
    EXPECT_EQ(k->key.bits(), c.bits);
  }
}

TEST(PublicKey, RejectsTypeMismatchBetweenTextAndBlob) {
  std::string line = FirstLine(TestData("ed25519.key.pub"));
  std::string swapped = "ssh-rsa" + line.substr(line.find(' '));
  auto r = ParseKeyText(swapped);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("mismatch"), std::string::npos) << r.status().message();
  EXPECT_FALSE(ParseKeyText("ssh-foo AAAA").ok());
  EXPECT_EQ(ParseKeyText("ssh-foo AAAA").status().message(), "unknown key type \"ssh-foo\"");
  EXPECT_EQ(ParseKeyText("ssh-ed25519 !!!!").status().message(), "base64 blob does not decode");
  EXPECT_FALSE(ParseKeyText("ssh-ed25519").ok());
}

TEST(PublicKey, RejectsPointOffTheCurve) {
  auto k = ParseKeyText(FirstLine(TestData("ecdsa256.key.pub")));
  ASSERT_TRUE(k.ok());
  Bytes blob = k->key.blob();
  blob[blob.size() - 1] ^= 1;  // last byte of Y
  auto r = PublicKey::FromBlob(blob);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("invalid key"), std::string::npos);
}

TEST(PublicKey, RejectsTrailingBytesAndShortRsa) {
  auto k = ParseKeyText(FirstLine(TestData("ed25519.key.pub")));
  ASSERT_TRUE(k.ok());
  Bytes blob = k->key.blob();
  blob.push_back(0);
  EXPECT_FALSE(PublicKey::FromBlob(blob).ok());

  wire::Writer w;
  w.String("ssh-rsa");
  w.MpintPositive(Bytes{1, 0, 1});
  Bytes n(96, 0xff);  // 768 bits: below OpenSSH's 1024-bit minimum
  w.MpintPositive(n);
  auto r = PublicKey::FromBlob(w.bytes());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("768 bits"), std::string::npos);
}

TEST(PublicKey, CanonicalBlobStripsMpintLeadingZeros) {
  auto k = ParseKeyText(FirstLine(TestData("rsa2048.key.pub")));
  ASSERT_TRUE(k.ok());
  wire::Writer w;
  w.String("ssh-rsa");
  Bytes e = {0, 0, 1, 0, 1};  // non-minimal, accepted by OpenSSH
  w.String(e);
  w.MpintPositive(k->key.rsa_n());
  auto r = PublicKey::FromBlob(w.bytes());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->blob(), k->key.blob());
}

TEST(PublicKey, ComponentsPointIntoTheCanonicalBlob) {
  // A blob that is not canonical (a type alias, non-minimal integers) is
  // re-encoded; a canonical one is kept. Either way the components are
  // those of the key, whether the blob was copied or taken over.
  auto k = ParseKeyText(FirstLine(TestData("rsa2048.key.pub")));
  ASSERT_TRUE(k.ok());
  Bytes n(k->key.rsa_n().begin(), k->key.rsa_n().end());
  for (std::string_view name : {"ssh-rsa", "rsa-sha2-256"}) {
    for (bool pad : {false, true}) {
      SCOPED_TRACE(std::string(name) + (pad ? " padded" : ""));
      // n's top bit is set: its shortest mpint has one leading zero byte.
      ASSERT_NE(n[0] & 0x80, 0);
      Bytes wire_n = n;
      wire_n.insert(wire_n.begin(), pad ? 2 : 1, 0);
      wire::Writer w;
      w.String(name);
      w.String(pad ? Bytes{0, 1, 0, 1} : Bytes{1, 0, 1});
      w.String(wire_n);
      for (bool take : {false, true}) {
        Bytes blob = w.bytes();
        auto r = take ? PublicKey::FromBlob(std::move(blob)) : PublicKey::FromBlob(ByteSpan(blob));
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        EXPECT_EQ(r->blob(), k->key.blob());
        EXPECT_EQ(Bytes(r->rsa_e().begin(), r->rsa_e().end()), (Bytes{1, 0, 1}));
        EXPECT_EQ(Bytes(r->rsa_n().begin(), r->rsa_n().end()), n);
        EXPECT_EQ(r->bits(), 2048);
        // A copy owns its own blob.
        PublicKey copy = *r;
        EXPECT_EQ(copy.rsa_n().data(), copy.blob().data() + (r->rsa_n().data() - r->blob().data()));
      }
    }
  }
  auto ec = ParseKeyText(FirstLine(TestData("ecdsa256.key.pub")));
  ASSERT_TRUE(ec.ok());
  auto ec2 = PublicKey::FromEcdsa(crypto::EcCurve::kP256, ec->key.ec_point());
  ASSERT_TRUE(ec2.ok());
  EXPECT_EQ(ec2->blob(), ec->key.blob());
  EXPECT_EQ(ec2->ec_point().size(), 65u);
}

TEST(PublicKey, SkKeysReadAndCompare) {
  auto ed = ParseKeyText(FirstLine(TestData("ed25519.key.pub")));
  ASSERT_TRUE(ed.ok());
  wire::Writer w;
  w.String("sk-ssh-ed25519@openssh.com");
  w.String(ed->key.ed25519_key());
  w.String("ssh:");
  auto sk = PublicKey::FromBlob(w.bytes());
  ASSERT_TRUE(sk.ok()) << sk.status().ToString();
  EXPECT_EQ(sk->type(), KeyType::kSkEd25519);
  EXPECT_EQ(sk->sk_application(), "ssh:");
  EXPECT_EQ(sk->bits(), 256);
  EXPECT_FALSE(*sk == ed->key);
  std::string line = FormatPublicKey(*sk, "c");
  auto again = ParseKeyText(line);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->key == *sk);
}

}  // namespace
}  // namespace kw::formats
