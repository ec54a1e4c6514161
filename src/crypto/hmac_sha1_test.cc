#include "crypto/hmac_sha1.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/hash.h"

namespace kw::crypto {
namespace {

std::string Hex(HmacSha1& h, ByteSpan key, std::string_view data) {
  uint8_t out[kSha1Size];
  h.Compute(key, AsBytes(data), out);
  return HexEncode(ByteSpan(out, kSha1Size));
}

// RFC 2202 section 3, test cases 1, 2, 6 and 7 (key longer than a block).
TEST(HmacSha1, Rfc2202) {
  HmacSha1 h;
  Bytes k1(20, 0x0b);
  EXPECT_EQ(Hex(h, k1, "Hi There"), "b617318655057264e28bc0b6fb378c8ef146be00");
  EXPECT_EQ(Hex(h, AsBytes("Jefe"), "what do ya want for nothing?"), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  Bytes k80(80, 0xaa);
  EXPECT_EQ(Hex(h, k80, "Test Using Larger Than Block-Size Key - Hash Key First"),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112");
  EXPECT_EQ(Hex(h, k80, "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"),
            "e8e99d0f45237d786d6bbaa7965c7808bbff1a91");
}

// The same as the one-shot OpenSSL MAC for many keys and lengths, reusing
// one context.
TEST(HmacSha1, MatchesOneShot) {
  HmacSha1 h;
  for (size_t klen = 0; klen < 70; klen += 3) {
    Bytes key(klen);
    for (size_t i = 0; i < klen; ++i) key[i] = static_cast<uint8_t>(i * 7 + klen);
    for (size_t dlen : {0, 1, 20, 55, 56, 64, 100}) {
      std::string data(dlen, 'x');
      uint8_t out[kSha1Size];
      h.Compute(key, AsBytes(data), out);
      EXPECT_EQ(Bytes(out, out + kSha1Size), Hmac(HashAlg::kSha1, key, AsBytes(data))) << klen << " " << dlen;
    }
  }
}

}  // namespace
}  // namespace kw::crypto
