#include "crypto/ecdsa.h"

#include <gtest/gtest.h>
#include <openssl/ec.h>

#include "crypto/test_util.h"

namespace kw::crypto {
namespace {

using testing::FromHex;
using testing::ReadTestdata;

const EcCurve kCurves[] = {EcCurve::kP256, EcCurve::kP384, EcCurve::kP521};

TEST(Ecdsa, CurveConstants) {
  EXPECT_EQ(EcFieldBytes(EcCurve::kP256), 32u);
  EXPECT_EQ(EcFieldBytes(EcCurve::kP384), 48u);
  EXPECT_EQ(EcFieldBytes(EcCurve::kP521), 66u);
  EXPECT_EQ(EcHash(EcCurve::kP256), HashAlg::kSha256);
  EXPECT_EQ(EcHash(EcCurve::kP384), HashAlg::kSha384);
  EXPECT_EQ(EcHash(EcCurve::kP521), HashAlg::kSha512);
  EXPECT_EQ(EcBits(EcCurve::kP521), 521);
}

// RFC 6979 A.2.5: the P-256 key, and the SHA-256 signature of "sample"
// (the values were also checked with an independent textbook
// implementation of the curve arithmetic).
TEST(Ecdsa, Rfc6979P256) {
  const Bytes d = FromHex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
  const Bytes q = FromHex(
      "04 60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
      "   7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299");
  StatusOr<Bytes> derived = EcPublicFromPrivate(EcCurve::kP256, d);
  ASSERT_TRUE(derived.ok());
  EXPECT_EQ(HexEncode(*derived), HexEncode(q));
  EXPECT_TRUE(EcValidatePublic(EcCurve::kP256, q).ok());
  EXPECT_TRUE(EcValidatePrivate(EcCurve::kP256, d, q).ok());

  const Bytes r = FromHex("efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716");
  const Bytes s = FromHex("f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8");
  EXPECT_TRUE(EcdsaVerify(EcCurve::kP256, q, AsBytes("sample"), r, s).ok());
  EXPECT_EQ(EcdsaVerify(EcCurve::kP256, q, AsBytes("samplf"), r, s).code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(EcdsaVerify(EcCurve::kP256, q, AsBytes("sample"), s, r).code(), StatusCode::kUnauthenticated);

  // A signature of ours with the same key verifies too.
  StatusOr<EcdsaSigner> signer = EcdsaSigner::Create(EcCurve::kP256, d, q);
  ASSERT_TRUE(signer.ok());
  StatusOr<EcdsaSignature> sig = signer->Sign(AsBytes("sample"));
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(EcdsaVerify(EcCurve::kP256, q, AsBytes("sample"), sig->r, sig->s).ok());
}

// `openssl dgst -sha384 -sign` output for a P-384 key (make_testdata.sh).
TEST(Ecdsa, VerifiesOpensslSignature) {
  const Bytes q = FromHex(ReadTestdata("ec384_pkcs8.pub.hex"));
  const std::string der = ReadTestdata("ec384_pkcs8.sha384.sig");
  const std::string msg = ReadTestdata("msg.txt");
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  ASSERT_NE(sig, nullptr);
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  Bytes rb(static_cast<size_t>(BN_num_bytes(r))), sb(static_cast<size_t>(BN_num_bytes(s)));
  BN_bn2bin(r, rb.data());
  BN_bn2bin(s, sb.data());
  ECDSA_SIG_free(sig);
  EXPECT_TRUE(EcdsaVerify(EcCurve::kP384, q, AsBytes(msg), rb, sb).ok());
  EXPECT_EQ(EcdsaVerify(EcCurve::kP384, q, AsBytes(msg + "x"), rb, sb).code(), StatusCode::kUnauthenticated);
  // Leading zero bytes on r and s (as an mpint might carry) change nothing.
  Bytes r0 = rb;
  r0.insert(r0.begin(), 0);
  EXPECT_TRUE(EcdsaVerify(EcCurve::kP384, q, AsBytes(msg), r0, sb).ok());
}

TEST(Ecdsa, GenerateSignVerify) {
  for (EcCurve curve : kCurves) {
    SCOPED_TRACE(EcBits(curve));
    StatusOr<EcKeyPair> key = EcGenerate(curve);
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(key->q.size(), 1 + 2 * EcFieldBytes(curve));
    EXPECT_EQ(key->q[0], 0x04);
    EXPECT_LE(key->d.size(), EcFieldBytes(curve));
    EXPECT_TRUE(EcValidatePublic(curve, key->q).ok());
    EXPECT_TRUE(EcValidatePrivate(curve, key->d.span(), key->q).ok());
    StatusOr<Bytes> q = EcPublicFromPrivate(curve, key->d.span());
    ASSERT_TRUE(q.ok());
    EXPECT_EQ(*q, key->q);

    StatusOr<EcdsaSigner> signer = EcdsaSigner::Create(curve, key->d.span(), key->q);
    ASSERT_TRUE(signer.ok());
    const Bytes msg = ToBytes("keyward ecdsa");
    for (int i = 0; i < 20; ++i) {
      StatusOr<EcdsaSignature> sig = signer->Sign(msg);
      ASSERT_TRUE(sig.ok());
      // Magnitudes without leading zeros.
      ASSERT_FALSE(sig->r.empty());
      ASSERT_FALSE(sig->s.empty());
      EXPECT_NE(sig->r[0], 0);
      EXPECT_NE(sig->s[0], 0);
      EXPECT_LE(sig->r.size(), EcFieldBytes(curve));
      EXPECT_LE(sig->s.size(), EcFieldBytes(curve));
      EXPECT_TRUE(EcdsaVerify(curve, key->q, msg, sig->r, sig->s).ok());
      if (i == 0) {
        Bytes tampered = msg;
        tampered[0] ^= 1;
        EXPECT_EQ(EcdsaVerify(curve, key->q, tampered, sig->r, sig->s).code(), StatusCode::kUnauthenticated);
        Bytes r = sig->r;
        r.back() ^= 1;
        EXPECT_EQ(EcdsaVerify(curve, key->q, msg, r, sig->s).code(), StatusCode::kUnauthenticated);
        EXPECT_EQ(EcdsaVerify(curve, key->q, msg, Bytes(), sig->s).code(), StatusCode::kUnauthenticated);
        EXPECT_EQ(EcdsaVerify(curve, key->q, msg, Bytes(200, 1), sig->s).code(), StatusCode::kUnauthenticated);
      }
    }
    // Another key's public point does not verify.
    StatusOr<EcKeyPair> other = EcGenerate(curve);
    ASSERT_TRUE(other.ok());
    StatusOr<EcdsaSignature> sig = signer->Sign(msg);
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(EcdsaVerify(curve, other->q, msg, sig->r, sig->s).code(), StatusCode::kUnauthenticated);
    // Nor does a signer accept a mismatched pair.
    EXPECT_FALSE(EcdsaSigner::Create(curve, other->d.span(), key->q).ok());
  }
}

TEST(Ecdsa, ValidatePublicRejectsBadPoints) {
  for (EcCurve curve : kCurves) {
    SCOPED_TRACE(EcBits(curve));
    StatusOr<EcKeyPair> key = EcGenerate(curve);
    ASSERT_TRUE(key.ok());
    const Bytes& q = key->q;
    const size_t fb = EcFieldBytes(curve);
    ASSERT_TRUE(EcValidatePublic(curve, q).ok());

    Bytes off_curve = q;  // y + 1 (or y - 1) is not a point with this x
    off_curve.back() ^= 1;
    EXPECT_EQ(EcValidatePublic(curve, off_curve).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(EcValidatePublic(curve, ByteSpan(q).first(q.size() - 1)).code(), StatusCode::kInvalidArgument);
    Bytes longer = q;
    longer.push_back(0);
    EXPECT_EQ(EcValidatePublic(curve, longer).code(), StatusCode::kInvalidArgument);
    // Compressed: 0x02/0x03 || x.
    Bytes compressed(q.begin(), q.begin() + 1 + static_cast<long>(fb));
    compressed[0] = static_cast<uint8_t>(0x02 | (q.back() & 1));
    EXPECT_EQ(EcValidatePublic(curve, compressed).code(), StatusCode::kInvalidArgument);
    Bytes hybrid = q;  // right length, wrong form byte
    hybrid[0] = 0x06;
    EXPECT_EQ(EcValidatePublic(curve, hybrid).code(), StatusCode::kInvalidArgument);
    // The point at infinity: its one-byte encoding, and an all-zero body.
    EXPECT_EQ(EcValidatePublic(curve, Bytes{0x00}).code(), StatusCode::kInvalidArgument);
    Bytes zeros(q.size(), 0);
    zeros[0] = 0x04;
    EXPECT_EQ(EcValidatePublic(curve, zeros).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(EcValidatePublic(curve, Bytes()).code(), StatusCode::kInvalidArgument);
    // A coordinate of all ones is >= p.
    Bytes big = q;
    std::fill(big.begin() + 1, big.begin() + 1 + static_cast<long>(fb), 0xff);
    EXPECT_EQ(EcValidatePublic(curve, big).code(), StatusCode::kInvalidArgument);
  }
}

// On the curve but refused by OpenSSH 9.2's sshkey_ec_validate_public
// (log2(x) must exceed log2(order)/2): the P-256 point with x = 5. Made with
// a few lines of Python (y = sqrt(x^3 - 3x + b) mod p); `ssh-keygen -l` on a
// public key file holding it answers "is not a public key file".
TEST(Ecdsa, ValidatePublicMatchesOpensshRangeChecks) {
  const Bytes small_x = FromHex(
      "04 0000000000000000000000000000000000000000000000000000000000000005"
      "   459243b9aa581806fe913bce99817ade11ca503c64d9a3c533415c083248fbcc");
  EXPECT_EQ(EcValidatePublic(EcCurve::kP256, small_x).code(), StatusCode::kInvalidArgument);
}

TEST(Ecdsa, ValidatePrivateRanges) {
  StatusOr<EcKeyPair> key = EcGenerate(EcCurve::kP256);
  ASSERT_TRUE(key.ok());
  // d = 1 is below OpenSSH's log2 bound; so is any small d.
  const Bytes one = {1};
  StatusOr<Bytes> g = EcPublicFromPrivate(EcCurve::kP256, one);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(HexEncode(*g),
            "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
            "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
  EXPECT_EQ(EcValidatePrivate(EcCurve::kP256, one, *g).code(), StatusCode::kInvalidArgument);
  // d = order - 1 is refused (OpenSSH wants d < order - 1).
  const Bytes n_minus_1 = FromHex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550");
  StatusOr<Bytes> q = EcPublicFromPrivate(EcCurve::kP256, n_minus_1);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(EcValidatePrivate(EcCurve::kP256, n_minus_1, *q).code(), StatusCode::kInvalidArgument);
  // d = 0 and d = order have no public point.
  EXPECT_FALSE(EcPublicFromPrivate(EcCurve::kP256, Bytes(32, 0)).ok());
  EXPECT_FALSE(
      EcPublicFromPrivate(EcCurve::kP256, FromHex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"))
          .ok());
  // A mismatched pair.
  StatusOr<EcKeyPair> other = EcGenerate(EcCurve::kP256);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(EcValidatePrivate(EcCurve::kP256, other->d.span(), key->q).code(), StatusCode::kInvalidArgument);
  // A scalar of the wrong curve's size for P-521 is simply another number.
  EXPECT_FALSE(EcValidatePrivate(EcCurve::kP521, key->d.span(), key->q).ok());
}

}  // namespace
}  // namespace kw::crypto
