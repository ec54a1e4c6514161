// Ed25519 (RFC 8032) through OpenSSL.
#pragma once

#include <memory>

#include "base/bytes.h"
#include "base/rng.h"
#include "base/secret_bytes.h"
#include "base/status.h"

namespace kw::crypto {

inline constexpr size_t kEd25519PublicKeySize = 32;
inline constexpr size_t kEd25519SeedSize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;

// A fresh 32-byte seed (the private key) drawn from `rng`.
SecretBytes Ed25519GenerateSeed(Rng& rng);
// The public key of a 32-byte seed.
StatusOr<Bytes> Ed25519PublicFromSeed(ByteSpan seed);

// A loaded private key; signing many messages reuses it. Thread-compatible.
class Ed25519Signer {
 public:
  static StatusOr<Ed25519Signer> Create(ByteSpan seed);
  ~Ed25519Signer();
  Ed25519Signer(Ed25519Signer&&) noexcept;
  Ed25519Signer& operator=(Ed25519Signer&&) noexcept;
  // A 64-byte signature.
  StatusOr<Bytes> Sign(ByteSpan message) const;

 private:
  struct Impl;
  explicit Ed25519Signer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// kUnauthenticated for a signature that does not verify; kInvalidArgument
// for a malformed key or signature length.
Status Ed25519Verify(ByteSpan public_key, ByteSpan message, ByteSpan signature);

}  // namespace kw::crypto
