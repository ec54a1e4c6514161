#include "crypto/hash.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/test_util.h"

namespace kw::crypto {
namespace {

using testing::FromHex;

std::string HexDigest(HashAlg alg, std::string_view data) { return HexEncode(Digest(alg, AsBytes(data))); }

// FIPS 180-2 appendix examples ("abc") and RFC 1321 A.5 for MD5; all also
// match `openssl dgst` on Debian 12.
TEST(Digest, Abc) {
  EXPECT_EQ(HexDigest(HashAlg::kMd5, "abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(HexDigest(HashAlg::kSha1, "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(HexDigest(HashAlg::kSha256, "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexDigest(HashAlg::kSha384, "abc"),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
            "8086072ba1e7cc2358baeca134c825a7");
  EXPECT_EQ(HexDigest(HashAlg::kSha512, "abc"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

// FIPS 180-2: the empty message and the two-block 448-bit message.
TEST(Digest, EmptyAndTwoBlocks) {
  EXPECT_EQ(HexDigest(HashAlg::kSha256, ""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexDigest(HashAlg::kSha256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Digest, IntoMatchesDigest) {
  for (HashAlg alg : {HashAlg::kMd5, HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512}) {
    uint8_t out[kMaxDigestSize] = {};
    DigestInto(alg, AsBytes("keyward"), out);
    EXPECT_EQ(Bytes(out, out + DigestSize(alg)), Digest(alg, AsBytes("keyward"))) << HashName(alg);
  }
}

// FIPS 180-2: one million 'a', fed in uneven pieces.
TEST(Hasher, MillionAInPieces) {
  Hasher h(HashAlg::kSha256);
  const std::string piece(997, 'a');
  size_t left = 1000000;
  while (left > 0) {
    size_t n = std::min(left, piece.size());
    h.Update(AsBytes(std::string_view(piece).substr(0, n)));
    left -= n;
  }
  EXPECT_EQ(HexEncode(h.Finish()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // Finish leaves the hasher ready for a new message.
  h.Update(AsBytes("abc"));
  EXPECT_EQ(HexEncode(h.Finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Hasher, Movable) {
  Hasher a(HashAlg::kSha1);
  a.Update(AsBytes("ab"));
  Hasher b(std::move(a));
  b.Update(AsBytes("c"));
  EXPECT_EQ(HexEncode(b.Finish()), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(HashNames, RoundTrip) {
  EXPECT_EQ(HashName(HashAlg::kSha256), "SHA256");
  EXPECT_EQ(DigestSize(HashAlg::kMd5), 16u);
  EXPECT_EQ(DigestSize(HashAlg::kSha384), 48u);
  HashAlg alg = HashAlg::kMd5;
  ASSERT_TRUE(ParseHashName("sha256", &alg));
  EXPECT_EQ(alg, HashAlg::kSha256);
  ASSERT_TRUE(ParseHashName("Md5", &alg));
  EXPECT_EQ(alg, HashAlg::kMd5);
  ASSERT_TRUE(ParseHashName("SHA512", &alg));
  EXPECT_EQ(alg, HashAlg::kSha512);
  EXPECT_FALSE(ParseHashName("sha-256", &alg));
  EXPECT_FALSE(ParseHashName("", &alg));
  EXPECT_FALSE(ParseHashName("sha2566", &alg));
}

// RFC 4231 §4.2 (test case 1), §4.3 (test case 2), §4.7 (test case 6).
TEST(Hmac, Rfc4231) {
  const Bytes key1(20, 0x0b);
  EXPECT_EQ(HexEncode(Hmac(HashAlg::kSha256, key1, AsBytes("Hi There"))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HexEncode(Hmac(HashAlg::kSha384, key1, AsBytes("Hi There"))),
            "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
            "faea9ea9076ede7f4af152e8b2fa9cb6");
  EXPECT_EQ(HexEncode(Hmac(HashAlg::kSha512, key1, AsBytes("Hi There"))),
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
            "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
  EXPECT_EQ(HexEncode(Hmac(HashAlg::kSha256, AsBytes("Jefe"), AsBytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const Bytes key6(131, 0xaa);
  EXPECT_EQ(HexEncode(Hmac(HashAlg::kSha256, key6, AsBytes("Test Using Larger Than Block-Size Key - Hash Key First"))),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

// RFC 2202 §3 (HMAC-SHA-1) and §2 (HMAC-MD5), test cases 1 and 2; known_hosts
// hashing uses HMAC-SHA1. Cases 1 and 2 also match `openssl dgst -mac HMAC`.
TEST(Hmac, Rfc2202) {
  EXPECT_EQ(HexEncode(Hmac(HashAlg::kSha1, Bytes(20, 0x0b), AsBytes("Hi There"))),
            "b617318655057264e28bc0b6fb378c8ef146be00");
  EXPECT_EQ(HexEncode(Hmac(HashAlg::kSha1, AsBytes("Jefe"), AsBytes("what do ya want for nothing?"))),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(HexEncode(Hmac(HashAlg::kMd5, Bytes(16, 0x0b), AsBytes("Hi There"))),
            "9294727a3638bb1c13f48ef8158bfc9d");
  EXPECT_EQ(HexEncode(Hmac(HashAlg::kMd5, AsBytes("Jefe"), AsBytes("what do ya want for nothing?"))),
            "750c783e6ab0b503eaa86e310a5db738");
}

// HMAC-SHA256 with an empty key and message (widely published value).
TEST(Hmac, EmptyKeyAndMessage) {
  EXPECT_EQ(HexEncode(Hmac(HashAlg::kSha256, ByteSpan(), ByteSpan())),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(Hmac, IntoMatchesHmac) {
  uint8_t out[kMaxDigestSize] = {};
  HmacInto(HashAlg::kSha1, AsBytes("salt"), AsBytes("host.example"), out);
  EXPECT_EQ(Bytes(out, out + 20), Hmac(HashAlg::kSha1, AsBytes("salt"), AsBytes("host.example")));
}

}  // namespace
}  // namespace kw::crypto
