// ECDSA over NIST P-256, P-384 and P-521 (RFC 5656) through OpenSSL.
// Points are SEC1 uncompressed (0x04 || X || Y); scalars and signature
// components are big-endian magnitudes without leading zeros.
#pragma once

#include <memory>

#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "base/status.h"
#include "crypto/hash.h"

namespace kw::crypto {

enum class EcCurve { kP256, kP384, kP521 };

// Bytes of one coordinate: 32, 48, 66.
size_t EcFieldBytes(EcCurve curve);
// The digest RFC 5656 pairs with the curve: SHA256, SHA384, SHA512.
HashAlg EcHash(EcCurve curve);
// Curve size in bits: 256, 384, 521.
int EcBits(EcCurve curve);

// Checks that `q` is an uncompressed point of the right length that lies on
// the curve and is not the point at infinity, and that each coordinate c has
// log2(c) > log2(order)/2 and c < order - 1, as OpenSSH 9.2's
// sshkey_ec_validate_public demands (ssh-keygen 9.2 refuses the on-curve
// P-256 point with x = 5). The curves have cofactor 1, so OpenSSH's
// order*Q == infinity check adds nothing. kInvalidArgument when invalid.
// Cheap (no scalar multiplication): it is on the fingerprinting hot path.
Status EcValidatePublic(EcCurve curve, ByteSpan q);
// Checks log2(d) > log2(order)/2 and d < order - 1 (OpenSSH's
// sshkey_ec_validate_private), that q passes EcValidatePublic, and that
// d*G == q (the consistency check of a loaded private key).
Status EcValidatePrivate(EcCurve curve, ByteSpan d, ByteSpan q);

struct EcKeyPair {
  Bytes q;       // uncompressed public point
  SecretBytes d; // private scalar, big-endian
};
StatusOr<EcKeyPair> EcGenerate(EcCurve curve);
StatusOr<Bytes> EcPublicFromPrivate(EcCurve curve, ByteSpan d);

struct EcdsaSignature {
  Bytes r;  // big-endian magnitudes
  Bytes s;
};

// A loaded private key; signing many messages reuses it. Thread-compatible.
class EcdsaSigner {
 public:
  // Runs EcValidatePrivate first.
  static StatusOr<EcdsaSigner> Create(EcCurve curve, ByteSpan d, ByteSpan q);
  ~EcdsaSigner();
  EcdsaSigner(EcdsaSigner&&) noexcept;
  EcdsaSigner& operator=(EcdsaSigner&&) noexcept;
  // Hashes `message` with EcHash(curve) and signs the digest.
  StatusOr<EcdsaSignature> Sign(ByteSpan message) const;

 private:
  struct Impl;
  explicit EcdsaSigner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Hashes `message` with EcHash(curve) and verifies (r, s). kUnauthenticated
// when the signature does not verify.
Status EcdsaVerify(EcCurve curve, ByteSpan q, ByteSpan message, ByteSpan r, ByteSpan s);

}  // namespace kw::crypto
