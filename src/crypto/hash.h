// Message digests and HMAC (OpenSSL EVP). Thread-safe; no global state.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace kw::crypto {

enum class HashAlg { kMd5, kSha1, kSha256, kSha384, kSha512 };

inline constexpr size_t kMaxDigestSize = 64;

size_t DigestSize(HashAlg alg);
// "MD5", "SHA1", "SHA256", "SHA384", "SHA512" (as ssh-keygen prints them).
std::string_view HashName(HashAlg alg);
// Accepts those names in any case ("sha256", "Sha256"); false if unknown.
bool ParseHashName(std::string_view name, HashAlg* out);

// One-shot digest.
Bytes Digest(HashAlg alg, ByteSpan data);
// One-shot digest into `out`, which must hold DigestSize(alg) bytes. The hot
// path for fingerprinting many keys.
void DigestInto(HashAlg alg, ByteSpan data, uint8_t* out);

// Streaming digest, for data too large to hold at once.
class Hasher {
 public:
  explicit Hasher(HashAlg alg);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  void Update(ByteSpan data);
  // Returns the digest and readies the Hasher for a new message.
  Bytes Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

Bytes Hmac(HashAlg alg, ByteSpan key, ByteSpan data);
// HMAC into `out` (DigestSize(alg) bytes).
void HmacInto(HashAlg alg, ByteSpan key, ByteSpan data, uint8_t* out);

}  // namespace kw::crypto
