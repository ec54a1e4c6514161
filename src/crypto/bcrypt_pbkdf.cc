// bcrypt_pbkdf as OpenBSD defines it (bcrypt_pbkdf(3), used by OpenSSH for
// openssh-key-v1 files; see docs formats.md §7): PBKDF2-like, with SHA-512
// and a bcrypt-style hash as the PRF, and its output bytes interleaved
// across the 32-byte blocks rather than concatenated.
#include "crypto/bcrypt_pbkdf.h"

#include <algorithm>
#include <cstring>

#include "base/secret_bytes.h"
#include "crypto/blowfish.h"
#include "crypto/hash.h"

namespace kw::crypto {
namespace {

constexpr size_t kShaSize = 64;           // SHA-512
constexpr size_t kHashSize = 32;          // one bcrypt_hash output block
constexpr size_t kWords = kHashSize / 4;  // 8 words, 4 Blowfish blocks
constexpr size_t kMaxOut = kHashSize * kHashSize;  // 1024: at most 32 blocks
constexpr size_t kMaxSalt = size_t{1} << 20;

// Wipes a fixed-size buffer when it goes out of scope.
template <size_t N>
struct WipedBuffer {
  uint8_t b[N] = {};
  ~WipedBuffer() { SecureWipe(b, N); }
  ByteSpan span() const { return ByteSpan(b, N); }
};

// bcrypt_hash(sha2pass, sha2salt): eksblowfish keyed with both, 64 rounds
// of re-keying, then 64 encryptions of a fixed 32-byte text, whose eight
// words are written out little-endian.
void BcryptHash(ByteSpan sha2pass, ByteSpan sha2salt, uint8_t out[kHashSize]) {
  static constexpr char kText[] = "OxychromaticBlowfishSwatDynamite";
  static_assert(sizeof(kText) - 1 == kHashSize);

  internal::Blowfish bf;
  bf.ExpandState(sha2salt, sha2pass);
  for (int i = 0; i < 64; ++i) {
    bf.Expand0State(sha2salt);
    bf.Expand0State(sha2pass);
  }

  uint32_t words[kWords];
  size_t pos = 0;
  ByteSpan text(reinterpret_cast<const uint8_t*>(kText), kHashSize);
  for (uint32_t& w : words) w = internal::Blowfish::StreamWord(text, &pos);
  for (int i = 0; i < 64; ++i) {
    for (size_t j = 0; j < kWords; j += 2) bf.Encipher(&words[j], &words[j + 1]);
  }
  for (size_t i = 0; i < kWords; ++i) {
    out[4 * i + 0] = static_cast<uint8_t>(words[i]);
    out[4 * i + 1] = static_cast<uint8_t>(words[i] >> 8);
    out[4 * i + 2] = static_cast<uint8_t>(words[i] >> 16);
    out[4 * i + 3] = static_cast<uint8_t>(words[i] >> 24);
  }
  SecureWipe(words, sizeof(words));
}

}  // namespace

Status BcryptPbkdf(ByteSpan passphrase, ByteSpan salt, uint32_t rounds, std::span<uint8_t> out) {
  if (rounds < 1) return InvalidArgumentError("bcrypt_pbkdf: rounds must be at least 1");
  if (passphrase.empty()) return InvalidArgumentError("bcrypt_pbkdf: empty passphrase");
  if (salt.empty() || salt.size() > kMaxSalt) return InvalidArgumentError("bcrypt_pbkdf: bad salt length");
  if (out.empty() || out.size() > kMaxOut) return InvalidArgumentError("bcrypt_pbkdf: bad output length");

  // Output byte i of block b (b = 1, 2, ...) lands at key[i * stride + b - 1],
  // so every block contributes to the whole key.
  const size_t stride = (out.size() + kHashSize - 1) / kHashSize;
  const size_t per_block = (out.size() + stride - 1) / stride;

  WipedBuffer<kShaSize> sha2pass;
  DigestInto(HashAlg::kSha512, passphrase, sha2pass.b);

  SecretBytes count_salt(salt.size() + 4);
  std::memcpy(count_salt.data(), salt.data(), salt.size());

  WipedBuffer<kShaSize> sha2salt;
  WipedBuffer<kHashSize> block, acc;
  size_t remaining = out.size();
  for (uint32_t count = 1; remaining > 0; ++count) {
    uint8_t* be = count_salt.data() + salt.size();
    be[0] = static_cast<uint8_t>(count >> 24);
    be[1] = static_cast<uint8_t>(count >> 16);
    be[2] = static_cast<uint8_t>(count >> 8);
    be[3] = static_cast<uint8_t>(count);

    DigestInto(HashAlg::kSha512, count_salt.span(), sha2salt.b);
    BcryptHash(sha2pass.span(), sha2salt.span(), block.b);
    std::memcpy(acc.b, block.b, kHashSize);
    for (uint32_t r = 1; r < rounds; ++r) {
      DigestInto(HashAlg::kSha512, block.span(), sha2salt.b);
      BcryptHash(sha2pass.span(), sha2salt.span(), block.b);
      for (size_t i = 0; i < kHashSize; ++i) acc.b[i] ^= block.b[i];
    }

    size_t i = 0;
    for (; i < std::min(per_block, remaining); ++i) {
      size_t dest = i * stride + (count - 1);
      if (dest >= out.size()) break;
      out[dest] = acc.b[i];
    }
    remaining -= i;
  }
  return OkStatus();
}

}  // namespace kw::crypto
