#include "crypto/pem.h"

#include <gtest/gtest.h>

#include <variant>

#include "crypto/ed25519.h"
#include "crypto/test_util.h"

namespace kw::crypto {
namespace {

using testing::FromHex;
using testing::ReadTestdata;

constexpr char kPemPass[] = "pem-pass";  // PEM_PASS in make_testdata.sh

StatusOr<PemPrivateKey> Parse(const char* file, std::string_view pass = "") {
  return ParsePemPrivateKey(ReadTestdata(file), AsBytes(pass));
}

Bytes Modulus(const char* file) { return FromHex(ReadTestdata(file)); }

TEST(Pem, RsaPkcs1) {
  StatusOr<PemPrivateKey> key = Parse("rsa2048_pkcs1.pem");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  ASSERT_TRUE(std::holds_alternative<RsaPrivateParams>(*key));
  const auto& rsa = std::get<RsaPrivateParams>(*key);
  EXPECT_EQ(HexEncode(rsa.n), HexEncode(Modulus("rsa2048_pkcs1.modulus")));
  EXPECT_EQ(HexEncode(rsa.e), "010001");
  EXPECT_TRUE(RsaValidatePrivate(rsa).ok());
  // A passphrase given for a clear key is ignored.
  EXPECT_TRUE(Parse("rsa2048_pkcs1.pem", "unused").ok());
}

// Legacy "Proc-Type: 4,ENCRYPTED" PKCS#1, as ssh-keygen -m PEM writes it.
TEST(Pem, RsaLegacyEncrypted) {
  StatusOr<PemPrivateKey> key = Parse("rsa2048_pkcs1_enc.pem", kPemPass);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  const auto& rsa = std::get<RsaPrivateParams>(*key);
  EXPECT_EQ(HexEncode(rsa.n), HexEncode(Modulus("rsa2048_pkcs1_enc.modulus")));
  EXPECT_TRUE(RsaValidatePrivate(rsa).ok());

  EXPECT_EQ(Parse("rsa2048_pkcs1_enc.pem").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Parse("rsa2048_pkcs1_enc.pem", "wrong").status().code(), StatusCode::kUnauthenticated);
}

TEST(Pem, EcSec1AndCompressed) {
  const std::string want = ReadTestdata("ec256_sec1.pub.hex");
  for (const char* file : {"ec256_sec1.pem", "ec256_sec1_compressed.pem"}) {
    SCOPED_TRACE(file);
    StatusOr<PemPrivateKey> key = Parse(file);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    ASSERT_TRUE(std::holds_alternative<EcPrivateParams>(*key));
    const auto& ec = std::get<EcPrivateParams>(*key);
    EXPECT_EQ(ec.curve, EcCurve::kP256);
    EXPECT_EQ(HexEncode(ec.q), want);  // always uncompressed
    EXPECT_TRUE(EcValidatePrivate(ec.curve, ec.d.span(), ec.q).ok());
  }
}

TEST(Pem, EcPkcs8) {
  StatusOr<PemPrivateKey> key = Parse("ec384_pkcs8.pem");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  const auto& ec = std::get<EcPrivateParams>(*key);
  EXPECT_EQ(ec.curve, EcCurve::kP384);
  EXPECT_EQ(HexEncode(ec.q), ReadTestdata("ec384_pkcs8.pub.hex"));
  StatusOr<EcdsaSigner> signer = EcdsaSigner::Create(ec.curve, ec.d.span(), ec.q);
  ASSERT_TRUE(signer.ok());
}

TEST(Pem, EcEncryptedPkcs8) {
  StatusOr<PemPrivateKey> key = Parse("ec521_pkcs8_enc.pem", kPemPass);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  const auto& ec = std::get<EcPrivateParams>(*key);
  EXPECT_EQ(ec.curve, EcCurve::kP521);
  EXPECT_EQ(HexEncode(ec.q), ReadTestdata("ec521_pkcs8_enc.pub.hex"));

  EXPECT_EQ(Parse("ec521_pkcs8_enc.pem").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Parse("ec521_pkcs8_enc.pem", "pem-pasS").status().code(), StatusCode::kUnauthenticated);
}

TEST(Pem, Ed25519Pkcs8) {
  StatusOr<PemPrivateKey> key = Parse("ed25519_pkcs8.pem");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  ASSERT_TRUE(std::holds_alternative<Ed25519PrivateParams>(*key));
  const auto& ed = std::get<Ed25519PrivateParams>(*key);
  EXPECT_EQ(HexEncode(ed.public_key), ReadTestdata("ed25519_pkcs8.pub.hex"));
  ASSERT_EQ(ed.seed.size(), kEd25519SeedSize);
  // Ed25519 is deterministic: our signature equals `openssl pkeyutl -sign`'s.
  StatusOr<Ed25519Signer> signer = Ed25519Signer::Create(ed.seed.span());
  ASSERT_TRUE(signer.ok());
  const std::string msg = ReadTestdata("msg.txt");
  StatusOr<Bytes> sig = signer->Sign(AsBytes(msg));
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(HexEncode(*sig), HexEncode(AsBytes(ReadTestdata("ed25519_pkcs8.sig"))));
  EXPECT_TRUE(Ed25519Verify(ed.public_key, AsBytes(msg), *sig).ok());
}

TEST(Pem, Ed25519EncryptedPkcs8) {
  StatusOr<PemPrivateKey> key = Parse("ed25519_pkcs8_enc.pem", kPemPass);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  const auto& ed = std::get<Ed25519PrivateParams>(*key);
  EXPECT_EQ(HexEncode(ed.public_key), ReadTestdata("ed25519_pkcs8_enc.pub.hex"));
  EXPECT_EQ(Parse("ed25519_pkcs8_enc.pem").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Parse("ed25519_pkcs8_enc.pem", "nope").status().code(), StatusCode::kUnauthenticated);
}

TEST(Pem, UnsupportedKeyTypes) {
  EXPECT_EQ(Parse("dsa1024.pem").status().code(), StatusCode::kUnimplemented);
  EXPECT_EQ(Parse("secp256k1.pem").status().code(), StatusCode::kUnimplemented);
}

TEST(Pem, NotAKey) {
  EXPECT_EQ(ParsePemPrivateKey("", ByteSpan()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePemPrivateKey("hello", ByteSpan()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePemPrivateKey("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", ByteSpan())
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  // An openssh-key-v1 file is not PEM that OpenSSL reads.
  EXPECT_EQ(ParsePemPrivateKey(ReadTestdata("openssh_ed25519_aes256ctr_a16"), AsBytes("kw-test-pass"))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  // A clear key cut short.
  const std::string pem = ReadTestdata("ec256_sec1.pem");
  EXPECT_EQ(ParsePemPrivateKey(pem.substr(0, pem.size() / 2), ByteSpan()).status().code(),
            StatusCode::kInvalidArgument);
  // A public key is not a private key.
  EXPECT_EQ(ParsePemPrivateKey("-----BEGIN PUBLIC KEY-----\n"
                               "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
                               "-----END PUBLIC KEY-----\n",
                               ByteSpan())
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kw::crypto
