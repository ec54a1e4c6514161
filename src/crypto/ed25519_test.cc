#include "crypto/ed25519.h"

#include <gtest/gtest.h>

#include "crypto/random.h"
#include "crypto/test_util.h"

namespace kw::crypto {
namespace {

using testing::FromHex;

struct Rfc8032Case {
  const char* name;
  const char* seed;
  const char* pub;
  const char* message;
  const char* signature;
};

// RFC 8032 §7.1, TEST 1..3.
const Rfc8032Case kRfc8032[] = {
    {"TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24"
     "655141438e7a100b"},
    {"TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aee"
     "b00d291612bb0c00"},
    {"TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28d"
     "c027beceea1ec40a"},
};

TEST(Ed25519, Rfc8032Vectors) {
  for (const Rfc8032Case& c : kRfc8032) {
    SCOPED_TRACE(c.name);
    const Bytes seed = FromHex(c.seed), msg = FromHex(c.message);
    StatusOr<Bytes> pub = Ed25519PublicFromSeed(seed);
    ASSERT_TRUE(pub.ok());
    EXPECT_EQ(HexEncode(*pub), c.pub);
    StatusOr<Ed25519Signer> signer = Ed25519Signer::Create(seed);
    ASSERT_TRUE(signer.ok());
    StatusOr<Bytes> sig = signer->Sign(msg);
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(HexEncode(*sig), c.signature);
    EXPECT_TRUE(Ed25519Verify(*pub, msg, *sig).ok());
  }
}

TEST(Ed25519, RoundTripAndTamper) {
  DeterministicRng rng(42);
  SecretBytes seed = Ed25519GenerateSeed(rng);
  ASSERT_EQ(seed.size(), kEd25519SeedSize);
  StatusOr<Bytes> pub = Ed25519PublicFromSeed(seed.span());
  ASSERT_TRUE(pub.ok());
  StatusOr<Ed25519Signer> signer = Ed25519Signer::Create(seed.span());
  ASSERT_TRUE(signer.ok());
  const Bytes msg = ToBytes("keyward message");
  StatusOr<Bytes> sig = signer->Sign(msg);
  ASSERT_TRUE(sig.ok());
  ASSERT_EQ(sig->size(), kEd25519SignatureSize);
  EXPECT_TRUE(Ed25519Verify(*pub, msg, *sig).ok());

  Bytes other_msg = msg;
  other_msg.back() ^= 1;
  EXPECT_EQ(Ed25519Verify(*pub, other_msg, *sig).code(), StatusCode::kUnauthenticated);
  Bytes bad_sig = *sig;
  bad_sig[10] ^= 0x40;
  EXPECT_EQ(Ed25519Verify(*pub, msg, bad_sig).code(), StatusCode::kUnauthenticated);
  // S >= L: a non-canonical signature is rejected, not accepted.
  Bytes high_s = *sig;
  high_s[63] |= 0xf0;
  EXPECT_EQ(Ed25519Verify(*pub, msg, high_s).code(), StatusCode::kUnauthenticated);
  Bytes other_pub = *pub;
  other_pub[0] ^= 1;
  EXPECT_EQ(Ed25519Verify(other_pub, msg, *sig).code(), StatusCode::kUnauthenticated);

  // Signing is deterministic and the signer reusable.
  StatusOr<Bytes> again = signer->Sign(msg);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *sig);
}

TEST(Ed25519, DeterministicRngGivesSameSeed) {
  DeterministicRng a(7), b(7);
  EXPECT_EQ(Ed25519GenerateSeed(a), Ed25519GenerateSeed(b));
  SecretBytes s1 = Ed25519GenerateSeed(SystemRng::Get());
  SecretBytes s2 = Ed25519GenerateSeed(SystemRng::Get());
  EXPECT_FALSE(s1 == s2);
}

TEST(Ed25519, RejectsBadLengths) {
  EXPECT_EQ(Ed25519PublicFromSeed(Bytes(31)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519Signer::Create(Bytes(64)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519Verify(Bytes(31), Bytes(), Bytes(64)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519Verify(Bytes(32), Bytes(), Bytes(63)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519Verify(Bytes(32), Bytes(), Bytes(65)).code(), StatusCode::kInvalidArgument);
}

TEST(Ed25519, SignerMoves) {
  const Bytes seed = FromHex(kRfc8032[0].seed);
  StatusOr<Ed25519Signer> made = Ed25519Signer::Create(seed);
  ASSERT_TRUE(made.ok());
  Ed25519Signer moved = std::move(*made);
  StatusOr<Bytes> sig = moved.Sign(Bytes());
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(HexEncode(*sig), kRfc8032[0].signature);
  StatusOr<Ed25519Signer> other = Ed25519Signer::Create(FromHex(kRfc8032[1].seed));
  ASSERT_TRUE(other.ok());
  moved = std::move(*other);
  sig = moved.Sign(FromHex("72"));
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(HexEncode(*sig), kRfc8032[1].signature);
}

}  // namespace
}  // namespace kw::crypto
