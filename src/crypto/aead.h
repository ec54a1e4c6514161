// AES-256-GCM (NIST SP 800-38D) for secrets the key center keeps at rest
// (TOTP secrets). A sealed box is nonce (12 bytes) | ciphertext | tag (16
// bytes); the nonce is random per seal, so one key may seal about 2^32
// boxes before the nonce-collision bound of SP 800-38D §8.3 matters.
//
// `aad` is authenticated but not stored: bind a box to where it lives (a
// user id), so a box copied to another row does not open.
//
// Thread-safe; no state.
#pragma once

#include "base/bytes.h"
#include "base/rng.h"
#include "base/secret_bytes.h"
#include "base/status.h"

namespace kw::crypto {

inline constexpr size_t kAeadKeyBytes = 32;
inline constexpr size_t kAeadNonceBytes = 12;
inline constexpr size_t kAeadTagBytes = 16;

// Errors: InvalidArgument for a key that is not 32 bytes.
StatusOr<Bytes> AeadSeal(const SecretBytes& key, ByteSpan aad, ByteSpan plaintext, Rng& rng);

// Errors: InvalidArgument for a bad key size or a box too short;
// DataLoss "sealed secret does not verify" when the tag, the aad or the
// key does not match (nothing of the plaintext is returned then).
StatusOr<SecretBytes> AeadOpen(const SecretBytes& key, ByteSpan aad, ByteSpan box);

}  // namespace kw::crypto
