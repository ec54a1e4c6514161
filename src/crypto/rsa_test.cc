#include "crypto/rsa.h"

#include <gtest/gtest.h>

#include <variant>

#include "crypto/pem.h"
#include "crypto/test_util.h"

namespace kw::crypto {
namespace {

using testing::FromHex;
using testing::ReadTestdata;

// One 1024-bit key shared by the tests (generation is the slow part).
const RsaPrivateParams& TestKey() {
  static const RsaPrivateParams* key = [] {
    StatusOr<RsaPrivateParams> k = RsaGenerate(1024);
    EXPECT_TRUE(k.ok()) << k.status().ToString();
    return new RsaPrivateParams(std::move(*k));
  }();
  return *key;
}

RsaPrivateParams Copy(const RsaPrivateParams& k) {
  return RsaPrivateParams{k.n, k.e, k.d.Clone(), k.p.Clone(), k.q.Clone(), k.iqmp.Clone()};
}

TEST(Rsa, GenerateShape) {
  const RsaPrivateParams& k = TestKey();
  EXPECT_EQ(k.n.size(), 128u);
  EXPECT_GE(k.n[0], 0x80);  // exactly 1024 bits
  EXPECT_EQ(HexEncode(k.e), "010001");
  EXPECT_EQ(k.p.size(), 64u);
  EXPECT_EQ(k.q.size(), 64u);
  EXPECT_TRUE(RsaValidatePrivate(k).ok());

  EXPECT_EQ(RsaGenerate(1023).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RsaGenerate(16385).status().code(), StatusCode::kInvalidArgument);
}

TEST(Rsa, SignVerifyEachHash) {
  const RsaPrivateParams& k = TestKey();
  StatusOr<RsaSigner> signer = RsaSigner::Create(k);
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  const Bytes msg = ToBytes("keyward rsa");
  for (HashAlg hash : {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha512}) {
    SCOPED_TRACE(HashName(hash));
    StatusOr<Bytes> sig = signer->Sign(hash, msg);
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(sig->size(), k.n.size());
    EXPECT_TRUE(RsaVerify(k.n, k.e, hash, msg, *sig).ok());
    Bytes tampered = msg;
    tampered[3] ^= 0x20;
    EXPECT_EQ(RsaVerify(k.n, k.e, hash, tampered, *sig).code(), StatusCode::kUnauthenticated);
    Bytes bad_sig = *sig;
    bad_sig[50] ^= 1;
    EXPECT_EQ(RsaVerify(k.n, k.e, hash, msg, bad_sig).code(), StatusCode::kUnauthenticated);
    // The hash is bound into the signature.
    HashAlg other = hash == HashAlg::kSha256 ? HashAlg::kSha512 : HashAlg::kSha256;
    EXPECT_EQ(RsaVerify(k.n, k.e, other, msg, *sig).code(), StatusCode::kUnauthenticated);
  }
  EXPECT_EQ(signer->Sign(HashAlg::kMd5, msg).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(signer->Sign(HashAlg::kSha384, msg).status().code(), StatusCode::kInvalidArgument);
}

// OpenSSH accepts a signature whose leading zero bytes were dropped; a
// signature longer than the modulus is an error.
TEST(Rsa, VerifyPadsShortSignatures) {
  const RsaPrivateParams& k = TestKey();
  StatusOr<RsaSigner> signer = RsaSigner::Create(k);
  ASSERT_TRUE(signer.ok());
  // About one signature in 256 starts with a zero byte; find one.
  Bytes msg = ToBytes("counter:0000");
  Bytes sig;
  for (uint32_t i = 0; i < 5000; ++i) {
    msg[8] = static_cast<uint8_t>(i);
    msg[9] = static_cast<uint8_t>(i >> 8);
    StatusOr<Bytes> s = signer->Sign(HashAlg::kSha256, msg);
    ASSERT_TRUE(s.ok());
    if ((*s)[0] == 0) {
      sig = std::move(*s);
      break;
    }
  }
  ASSERT_FALSE(sig.empty()) << "no signature with a leading zero in 5000 tries";
  EXPECT_EQ(sig.size(), k.n.size());  // Sign itself keeps the full length
  EXPECT_TRUE(RsaVerify(k.n, k.e, HashAlg::kSha256, msg, sig).ok());
  const Bytes stripped(sig.begin() + 1, sig.end());
  EXPECT_TRUE(RsaVerify(k.n, k.e, HashAlg::kSha256, msg, stripped).ok());

  Bytes longer = sig;
  longer.insert(longer.begin(), 0);
  EXPECT_EQ(RsaVerify(k.n, k.e, HashAlg::kSha256, msg, longer).code(), StatusCode::kInvalidArgument);
}

TEST(Rsa, ValidateCatchesInconsistency) {
  const RsaPrivateParams& k = TestKey();
  {
    RsaPrivateParams bad = Copy(k);
    bad.n.back() ^= 2;
    EXPECT_FALSE(RsaValidatePrivate(bad).ok());
    EXPECT_FALSE(RsaSigner::Create(bad).ok());
  }
  {
    RsaPrivateParams bad = Copy(k);
    bad.d.data()[bad.d.size() - 1] ^= 2;
    EXPECT_EQ(RsaValidatePrivate(bad).code(), StatusCode::kInvalidArgument);
  }
  {
    RsaPrivateParams bad = Copy(k);
    bad.iqmp.data()[bad.iqmp.size() - 1] ^= 1;
    EXPECT_EQ(RsaValidatePrivate(bad).code(), StatusCode::kInvalidArgument);
  }
  {
    RsaPrivateParams swapped = Copy(k);  // iqmp is q^-1 mod p, not p^-1 mod q
    std::swap(swapped.p, swapped.q);
    EXPECT_EQ(RsaValidatePrivate(swapped).code(), StatusCode::kInvalidArgument);
  }
  {
    RsaPrivateParams bad = Copy(k);
    bad.e = {0x01, 0x00, 0x03};
    EXPECT_EQ(RsaValidatePrivate(bad).code(), StatusCode::kInvalidArgument);
  }
}

TEST(Rsa, ModulusSizeLimits) {
  // A 512-bit modulus is refused before any arithmetic.
  Bytes n512(64, 0xcb);
  EXPECT_EQ(RsaVerify(n512, FromHex("010001"), HashAlg::kSha256, Bytes(), Bytes(64)).code(),
            StatusCode::kOutOfRange);
  Bytes huge(kRsaMaxBits / 8 + 1, 0xff);
  EXPECT_EQ(RsaVerify(huge, FromHex("010001"), HashAlg::kSha256, Bytes(), Bytes(64)).code(),
            StatusCode::kOutOfRange);
}

// PKCS#1 v1.5 is deterministic: signing with the key that `openssl dgst
// -sign` used (make_testdata.sh) must give its exact bytes.
TEST(Rsa, MatchesOpensslSignatures) {
  StatusOr<PemPrivateKey> pem = ParsePemPrivateKey(ReadTestdata("rsa2048_pkcs1.pem"), ByteSpan());
  ASSERT_TRUE(pem.ok()) << pem.status().ToString();
  const RsaPrivateParams& k = std::get<RsaPrivateParams>(*pem);
  EXPECT_EQ(HexEncode(k.n), HexEncode(FromHex(ReadTestdata("rsa2048_pkcs1.modulus"))));
  StatusOr<RsaSigner> signer = RsaSigner::Create(k);
  ASSERT_TRUE(signer.ok());
  const std::string msg = ReadTestdata("msg.txt");
  const struct {
    HashAlg hash;
    const char* file;
  } cases[] = {{HashAlg::kSha1, "rsa2048_pkcs1.sha1.sig"},
               {HashAlg::kSha256, "rsa2048_pkcs1.sha256.sig"},
               {HashAlg::kSha512, "rsa2048_pkcs1.sha512.sig"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    const Bytes want = ToBytes(ReadTestdata(c.file));
    StatusOr<Bytes> got = signer->Sign(c.hash, AsBytes(msg));
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(HexEncode(*got), HexEncode(want));
    EXPECT_TRUE(RsaVerify(k.n, k.e, c.hash, AsBytes(msg), want).ok());
  }
}

}  // namespace
}  // namespace kw::crypto
