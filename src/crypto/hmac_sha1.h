// A reusable HMAC-SHA1 (RFC 2104) for hot loops: known_hosts stores each
// hashed host name as HMAC-SHA1(salt, name) with its own 20-byte salt, so a
// lookup computes one HMAC per line. crypto::HmacInto sets up an OpenSSL MAC
// context per call (about 2.4 us); this keeps one digest context and feeds
// it the padded key blocks itself (about 0.5 us on one core here).
#pragma once

#include <cstdint>

#include "base/bytes.h"

namespace kw::crypto {

inline constexpr size_t kSha1Size = 20;

// Not thread-safe: use one per thread. Cheap to keep, not to create.
class HmacSha1 {
 public:
  HmacSha1();
  ~HmacSha1();
  HmacSha1(const HmacSha1&) = delete;
  HmacSha1& operator=(const HmacSha1&) = delete;

  // out (kSha1Size bytes) = HMAC-SHA1(key, data). Keys longer than the
  // 64-byte block are hashed first, as RFC 2104 says.
  void Compute(ByteSpan key, ByteSpan data, uint8_t* out);

 private:
  void* ctx_;  // EVP_MD_CTX, kept out of the header (only crypto sees OpenSSL)
};

}  // namespace kw::crypto
