#include "crypto/cipher.h"

#include <gtest/gtest.h>

#include "crypto/test_util.h"

namespace kw::crypto {
namespace {

using testing::FromHex;

// NIST SP 800-38A appendix F: the same four plaintext blocks for every case.
const char kPlain[] =
    "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710";
const char kCtrIv[] = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
const char kCbcIv[] = "000102030405060708090a0b0c0d0e0f";
const char kKey128[] = "2b7e151628aed2a6abf7158809cf4f3c";
const char kKey192[] = "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b";
const char kKey256[] = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";

struct Sp80038aCase {
  const char* name;
  CipherAlg alg;
  const char* key;
  const char* iv;
  const char* cipher;
};

const Sp80038aCase kCases[] = {
    {"F.5.1 CTR-AES128", CipherAlg::kAes128Ctr, kKey128, kCtrIv,
     "874d6191b620e3261bef6864990db6ce 9806f66b7970fdff8617187bb9fffdff"
     "5ae4df3edbd5d35e5b4f09020db03eab 1e031dda2fbe03d1792170a0f3009cee"},
    {"F.5.3 CTR-AES192", CipherAlg::kAes192Ctr, kKey192, kCtrIv,
     "1abc932417521ca24f2b0459fe7e6e0b 090339ec0aa6faefd5ccc2c6f4ce8e94"
     "1e36b26bd1ebc670d1bd1d665620abf7 4f78a7f6d29809585a97daec58c6b050"},
    {"F.5.5 CTR-AES256", CipherAlg::kAes256Ctr, kKey256, kCtrIv,
     "601ec313775789a5b7a7f504bbf3d228 f443e3ca4d62b59aca84e990cacaf5c5"
     "2b0930daa23de94ce87017ba2d84988d dfc9c58db67aada613c2dd08457941a6"},
    {"F.2.1 CBC-AES128", CipherAlg::kAes128Cbc, kKey128, kCbcIv,
     "7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2"
     "73bed6b8e3c1743b7116e69e22229516 3ff1caa1681fac09120eca307586e1a7"},
    {"F.2.3 CBC-AES192", CipherAlg::kAes192Cbc, kKey192, kCbcIv,
     "4f021db243bc633d7178183a9fa071e8 b4d9ada9ad7dedf4e5e738763f69145a"
     "571b242012fb7ae07fa9baac3df102e0 08b0e27988598881d920a9e64f5615cd"},
    {"F.2.5 CBC-AES256", CipherAlg::kAes256Cbc, kKey256, kCbcIv,
     "f58c4c04d6e5f1ba779eabfb5f7bfbd6 9cfc4e967edb808d679f777bc6702c7d"
     "39f23369a9d9bacfa530e26304231461 b2eb05e2c39be9fcda6c19078c6a9d1b"},
};

TEST(Cipher, Sp80038aEncryptAndDecrypt) {
  for (const Sp80038aCase& c : kCases) {
    SCOPED_TRACE(c.name);
    const Bytes key = FromHex(c.key), iv = FromHex(c.iv), plain = FromHex(kPlain), cipher = FromHex(c.cipher);
    Bytes data = plain;
    ASSERT_TRUE(CipherInPlace(c.alg, CipherDirection::kEncrypt, key, iv, data).ok());
    EXPECT_EQ(HexEncode(data), HexEncode(cipher));
    ASSERT_TRUE(CipherInPlace(c.alg, CipherDirection::kDecrypt, key, iv, data).ok());
    EXPECT_EQ(HexEncode(data), HexEncode(plain));
  }
}

// The CTR counter is the whole 128-bit IV: the carry out of the low 64 bits
// reaches the high half. The keystream's second block must be
// AES(00..01 00..00), computed here independently as a one-block CBC
// encryption with a zero IV.
TEST(Cipher, CtrCarriesAcross64Bits) {
  const Bytes key = FromHex(kKey256);
  Bytes stream(32, 0);
  ASSERT_TRUE(CipherInPlace(CipherAlg::kAes256Ctr, CipherDirection::kEncrypt, key,
                            FromHex("0000000000000000ffffffffffffffff"), stream).ok());
  Bytes next = FromHex("00000000000000010000000000000000");
  ASSERT_TRUE(CipherInPlace(CipherAlg::kAes256Cbc, CipherDirection::kEncrypt, key, Bytes(16, 0), next).ok());
  EXPECT_EQ(HexEncode(ByteSpan(stream).subspan(16)), HexEncode(next));

  // And the all-ones counter wraps to zero.
  Bytes wrap(32, 0);
  ASSERT_TRUE(CipherInPlace(CipherAlg::kAes256Ctr, CipherDirection::kEncrypt, key, Bytes(16, 0xff), wrap).ok());
  Bytes zero_block(16, 0);
  ASSERT_TRUE(
      CipherInPlace(CipherAlg::kAes256Cbc, CipherDirection::kEncrypt, key, Bytes(16, 0), zero_block).ok());
  EXPECT_EQ(HexEncode(ByteSpan(wrap).subspan(16)), HexEncode(zero_block));
}

TEST(Cipher, CtrAnyLengthRoundTrips) {
  const Bytes key(16, 7), iv(16, 9);
  Bytes data(37);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i);
  const Bytes original = data;
  ASSERT_TRUE(CipherInPlace(CipherAlg::kAes128Ctr, CipherDirection::kEncrypt, key, iv, data).ok());
  EXPECT_NE(data, original);
  ASSERT_TRUE(CipherInPlace(CipherAlg::kAes128Ctr, CipherDirection::kDecrypt, key, iv, data).ok());
  EXPECT_EQ(data, original);
  Bytes empty;
  EXPECT_TRUE(CipherInPlace(CipherAlg::kAes128Ctr, CipherDirection::kEncrypt, key, iv, empty).ok());
}

TEST(Cipher, RejectsBadSizes) {
  Bytes data(32);
  EXPECT_EQ(CipherInPlace(CipherAlg::kAes256Ctr, CipherDirection::kEncrypt, Bytes(16), Bytes(16), data).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CipherInPlace(CipherAlg::kAes256Ctr, CipherDirection::kEncrypt, Bytes(32), Bytes(12), data).code(),
            StatusCode::kInvalidArgument);
  Bytes partial(20);
  EXPECT_EQ(CipherInPlace(CipherAlg::kAes128Cbc, CipherDirection::kDecrypt, Bytes(16), Bytes(16), partial).code(),
            StatusCode::kInvalidArgument);
}

TEST(Cipher, Names) {
  auto c = FindCipher("aes256-ctr");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->alg, CipherAlg::kAes256Ctr);
  EXPECT_EQ(c->key_len, 32u);
  EXPECT_EQ(c->iv_len, 16u);
  EXPECT_EQ(c->block_size, 16u);
  auto cbc = FindCipher("aes192-cbc");
  ASSERT_TRUE(cbc.has_value());
  EXPECT_EQ(cbc->key_len, 24u);
  EXPECT_FALSE(FindCipher("AES256-CTR").has_value());
  EXPECT_FALSE(FindCipher("chacha20-poly1305@openssh.com").has_value());
  EXPECT_FALSE(FindCipher("none").has_value());
  for (CipherAlg alg : {CipherAlg::kAes128Ctr, CipherAlg::kAes192Ctr, CipherAlg::kAes256Ctr, CipherAlg::kAes128Cbc,
                        CipherAlg::kAes192Cbc, CipherAlg::kAes256Cbc}) {
    const CipherInfo& info = GetCipherInfo(alg);
    EXPECT_EQ(info.alg, alg);
    auto found = FindCipher(info.ssh_name);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->alg, alg);
  }
}

}  // namespace
}  // namespace kw::crypto
