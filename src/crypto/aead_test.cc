#include "crypto/aead.h"

#include <gtest/gtest.h>

namespace kw::crypto {
namespace {

// An Rng that gives zeros: the nonce of the known-answer test.
class ZeroRng final : public Rng {
 public:
  void Fill(std::span<uint8_t> out) override { std::fill(out.begin(), out.end(), 0); }
};

SecretBytes Key(uint8_t fill) {
  SecretBytes k(32);
  std::fill(k.mutable_span().begin(), k.mutable_span().end(), fill);
  return k;
}

// McGrew & Viega, "The Galois/Counter Mode of Operation", test case 14:
// K = 0^256, IV = 0^96, P = 0^128.
TEST(Aead, GcmTestCase14) {
  ZeroRng rng;
  Bytes plain(16, 0);
  auto box = AeadSeal(Key(0), {}, plain, rng);
  ASSERT_TRUE(box.ok()) << box.status().ToString();
  EXPECT_EQ(HexEncode(*box), "000000000000000000000000"
                             "cea7403d4d606b6e074ec5d3baf39d18"
                             "d0d1c8a799996bf0265b98b5d48ab919");
  auto opened = AeadOpen(Key(0), {}, *box);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(Bytes(opened->span().begin(), opened->span().end()), plain);
}

TEST(Aead, TamperedBoxWrongAadOrKeyDoNotOpen) {
  DeterministicRng rng(7);
  const std::string secret = "12345678901234567890";
  const Bytes aad = {'u', 's', 'e', 'r', '1'};
  auto box = AeadSeal(Key(1), aad, AsBytes(secret), rng);
  ASSERT_TRUE(box.ok());
  auto ok = AeadOpen(Key(1), aad, *box);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->view(), secret);
  for (size_t i = 0; i < box->size(); ++i) {
    Bytes bad = *box;
    bad[i] ^= 0x01;
    auto r = AeadOpen(Key(1), aad, bad);
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << "byte " << i;
  }
  EXPECT_EQ(AeadOpen(Key(1), AsBytes(std::string_view("user2")), *box).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(AeadOpen(Key(2), aad, *box).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(AeadOpen(Key(1), aad, ByteSpan(box->data(), 27)).status().code(), StatusCode::kInvalidArgument);
  SecretBytes short_key(16);
  EXPECT_EQ(AeadSeal(short_key, aad, AsBytes(secret), rng).status().code(), StatusCode::kInvalidArgument);
  // Two seals of the same secret differ (fresh nonce).
  auto again = AeadSeal(Key(1), aad, AsBytes(secret), rng);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*again, *box);
}

}  // namespace
}  // namespace kw::crypto
