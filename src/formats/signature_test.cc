#include <gtest/gtest.h>

#include "crypto/random.h"
#include "formats/signature.h"
#include "formats/test_util.h"

namespace kw::formats {
namespace {

TEST(Signature, SignVerifyEveryTypeAndRejectTampering) {
  for (const char* name : {"ed25519", "ecdsa256", "ecdsa384", "ecdsa521", "rsa2048"}) {
    SCOPED_TRACE(name);
    auto k = ParsePrivateKey(testing::TestData(std::string(name) + ".key"), {});
    ASSERT_TRUE(k.ok());
    Bytes data = ToBytes("message to sign");
    auto sig = SignData(k->key, data);
    ASSERT_TRUE(sig.ok()) << sig.status().ToString();
    std::string alg;
    EXPECT_TRUE(VerifySignature(k->key.public_key(), data, *sig, &alg).ok());
    if (k->key.type() == KeyType::kRsa) {
      EXPECT_EQ(alg, "rsa-sha2-512");
    }
    data[0] ^= 1;
    EXPECT_EQ(VerifySignature(k->key.public_key(), data, *sig).code(), StatusCode::kUnauthenticated);
    data[0] ^= 1;
    Bytes bad = *sig;
    bad[bad.size() - 3] ^= 0x40;
    EXPECT_FALSE(VerifySignature(k->key.public_key(), data, bad).ok());
    bad = *sig;
    bad.push_back(0);
    EXPECT_FALSE(VerifySignature(k->key.public_key(), data, bad).ok());
  }
}

TEST(Signature, RsaSha256AndWrongKey) {
  auto rsa = ParsePrivateKey(testing::TestData("rsa2048.key"), {});
  auto ed = ParsePrivateKey(testing::TestData("ed25519.key"), {});
  ASSERT_TRUE(rsa.ok() && ed.ok());
  Bytes data = ToBytes("x");
  auto sig = SignData(rsa->key, data, "rsa-sha2-256");
  ASSERT_TRUE(sig.ok());
  std::string alg;
  EXPECT_TRUE(VerifySignature(rsa->key.public_key(), data, *sig, &alg).ok());
  EXPECT_EQ(alg, "rsa-sha2-256");
  EXPECT_FALSE(VerifySignature(ed->key.public_key(), data, *sig).ok());
}

}  // namespace
}  // namespace kw::formats
