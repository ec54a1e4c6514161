// RSA with PKCS#1 v1.5 signatures (RFC 8017; RFC 8332 for rsa-sha2-*)
// through OpenSSL. Integers are big-endian magnitudes without leading zeros.
#pragma once

#include <memory>

#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "base/status.h"
#include "crypto/hash.h"

namespace kw::crypto {

inline constexpr int kRsaMinBits = 1024;   // OpenSSH's SSH_RSA_MINIMUM_MODULUS_SIZE
inline constexpr int kRsaMaxBits = 16384;  // OpenSSH's SSHBUF_MAX_BIGNUM * 8

struct RsaPrivateParams {
  Bytes n;
  Bytes e;
  SecretBytes d;
  SecretBytes p;
  SecretBytes q;
  SecretBytes iqmp;  // q^-1 mod p
};

// Generates a key of `bits` (kRsaMinBits..kRsaMaxBits) with e = 65537.
StatusOr<RsaPrivateParams> RsaGenerate(int bits);

// Checks that the parameters form a consistent key (n = p*q, d*e = 1 mod
// lcm(p-1, q-1), iqmp correct): kInvalidArgument if not. kOutOfRange when
// the modulus is outside kRsaMinBits..kRsaMaxBits, which OpenSSH refuses to
// load ("Invalid key length").
Status RsaValidatePrivate(const RsaPrivateParams& key);

// A loaded private key (with CRT parameters recomputed from d, p and q);
// signing many messages reuses it. Thread-compatible.
class RsaSigner {
 public:
  // Runs RsaValidatePrivate first.
  static StatusOr<RsaSigner> Create(const RsaPrivateParams& key);
  ~RsaSigner();
  RsaSigner(RsaSigner&&) noexcept;
  RsaSigner& operator=(RsaSigner&&) noexcept;
  // PKCS#1 v1.5 signature with `hash` (SHA1, SHA256 or SHA512), exactly as
  // long as the modulus.
  StatusOr<Bytes> Sign(HashAlg hash, ByteSpan message) const;

 private:
  struct Impl;
  explicit RsaSigner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Verifies a PKCS#1 v1.5 signature. A signature shorter than the modulus is
// left-padded with zeros first (as OpenSSH does); longer is kInvalidArgument.
// kOutOfRange for a modulus outside kRsaMinBits..kRsaMaxBits;
// kUnauthenticated when the signature does not verify.
Status RsaVerify(ByteSpan n, ByteSpan e, HashAlg hash, ByteSpan message, ByteSpan signature);

}  // namespace kw::crypto
