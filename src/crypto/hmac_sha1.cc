#include "crypto/hmac_sha1.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define KW_HAVE_SHA_NI_CODE 1
#endif

#include "crypto/ossl.h"

namespace kw::crypto {
namespace {

constexpr size_t kBlock = 64;

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "keyward: OpenSSL failure in %s\n", what);
  std::abort();
}

EVP_MD_CTX* Ctx(void* p) { return static_cast<EVP_MD_CTX*>(p); }

void Sha1Two(EVP_MD_CTX* ctx, const uint8_t* a, size_t alen, const uint8_t* b, size_t blen, uint8_t* out) {
  const EVP_MD* md = internal::Md(HashAlg::kSha1);
  if (EVP_DigestInit_ex2(ctx, md, nullptr) != 1 || EVP_DigestUpdate(ctx, a, alen) != 1 ||
      (blen != 0 && EVP_DigestUpdate(ctx, b, blen) != 1) || EVP_DigestFinal_ex(ctx, out, nullptr) != 1) {
    Die("SHA1");
  }
}

#if KW_HAVE_SHA_NI_CODE
// One SHA-1 compression (FIPS 180-4 §6.1.2) with the x86 SHA extensions.
// The state is kept as the standard five words; the 80 rounds run four at
// a time, and the message schedule W[t] = ROTL1(W[t-3]^W[t-8]^W[t-14]^W[t-16])
// is computed four words at a time by sha1msg1/sha1msg2.
__attribute__((target("sha,sse4.1"))) void Sha1CompressShaNi(uint32_t state[5], const uint8_t block[64]) {
  // Bytes to big-endian words, and words in lane order A..D high to low.
  const __m128i kShuffle = _mm_set_epi64x(0x0001020304050607ULL, 0x08090a0b0c0d0e0fULL);
  __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state)), 0x1B);
  const __m128i abcd_save = abcd;
  const __m128i e_save = _mm_set_epi32(static_cast<int>(state[4]), 0, 0, 0);
  __m128i w[4];
  for (int i = 0; i < 4; ++i) {
    w[i] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * i)), kShuffle);
  }
  __m128i e = _mm_add_epi32(e_save, w[0]);
  __m128i abcd_prev = abcd;
  for (int g = 0; g < 20; ++g) {
    if (g > 0) {
      if (g >= 4) {
        __m128i x = _mm_xor_si128(_mm_sha1msg1_epu32(w[g & 3], w[(g + 1) & 3]), w[(g + 2) & 3]);
        w[g & 3] = _mm_sha1msg2_epu32(x, w[(g + 3) & 3]);
      }
      e = _mm_sha1nexte_epu32(abcd_prev, w[g & 3]);
    }
    abcd_prev = abcd;
    switch (g / 5) {
      case 0: abcd = _mm_sha1rnds4_epu32(abcd, e, 0); break;
      case 1: abcd = _mm_sha1rnds4_epu32(abcd, e, 1); break;
      case 2: abcd = _mm_sha1rnds4_epu32(abcd, e, 2); break;
      default: abcd = _mm_sha1rnds4_epu32(abcd, e, 3); break;
    }
  }
  e = _mm_sha1nexte_epu32(abcd_prev, e_save);
  abcd = _mm_add_epi32(abcd, abcd_save);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state), _mm_shuffle_epi32(abcd, 0x1B));
  state[4] = static_cast<uint32_t>(_mm_extract_epi32(e, 3));
}

// CPUID: SHA extensions are leaf 7 EBX bit 29, SSE4.1 leaf 1 ECX bit 19.
// (clang 14's __builtin_cpu_supports does not know "sha".)
bool HaveShaNi() {
  static const bool have = [] {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || (c & (1u << 19)) == 0) return false;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    return (b & (1u << 29)) != 0;
  }();
  return have;
}

constexpr uint32_t kSha1Iv[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};

// SHA-1 of one 64-byte block followed by a short tail (< 56 bytes): two
// compressions, the second over the tail and its padding.
void Sha1BlockAndTail(const uint8_t block[kBlock], const uint8_t* tail, size_t tail_len, uint8_t out[20]) {
  uint32_t st[5];
  std::memcpy(st, kSha1Iv, sizeof st);
  Sha1CompressShaNi(st, block);
  uint8_t last[kBlock] = {};
  std::memcpy(last, tail, tail_len);
  last[tail_len] = 0x80;
  uint64_t bits = (kBlock + tail_len) * 8;
  for (int i = 0; i < 8; ++i) last[63 - i] = static_cast<uint8_t>(bits >> (8 * i));
  Sha1CompressShaNi(st, last);
  for (int i = 0; i < 5; ++i) {
    out[4 * i] = static_cast<uint8_t>(st[i] >> 24);
    out[4 * i + 1] = static_cast<uint8_t>(st[i] >> 16);
    out[4 * i + 2] = static_cast<uint8_t>(st[i] >> 8);
    out[4 * i + 3] = static_cast<uint8_t>(st[i]);
  }
}
#endif

}  // namespace

HmacSha1::HmacSha1() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) Die("EVP_MD_CTX_new");
}

HmacSha1::~HmacSha1() { EVP_MD_CTX_free(Ctx(ctx_)); }

void HmacSha1::Compute(ByteSpan key, ByteSpan data, uint8_t* out) {
#if KW_HAVE_SHA_NI_CODE
  // The common case of known_hosts (a 20-byte salt, a host name): four
  // compressions with the SHA extensions and no library overhead.
  if (key.size() <= kBlock && data.size() < 56 && HaveShaNi()) {
    uint8_t pad[kBlock] = {};
    if (!key.empty()) std::memcpy(pad, key.data(), key.size());
    for (uint8_t& b : pad) b ^= 0x36;
    uint8_t inner[kSha1Size];
    Sha1BlockAndTail(pad, data.data(), data.size(), inner);
    for (uint8_t& b : pad) b ^= 0x36 ^ 0x5c;
    Sha1BlockAndTail(pad, inner, sizeof inner, out);
    return;
  }
#endif
  uint8_t k[kBlock] = {};
  if (key.size() > kBlock) {
    Sha1Two(Ctx(ctx_), key.data(), key.size(), nullptr, 0, k);
  } else if (!key.empty()) {
    std::memcpy(k, key.data(), key.size());
  }
  uint8_t pad[kBlock];
  uint8_t inner[kSha1Size];
  for (size_t i = 0; i < kBlock; ++i) pad[i] = k[i] ^ 0x36;
  Sha1Two(Ctx(ctx_), pad, kBlock, data.data(), data.size(), inner);
  for (size_t i = 0; i < kBlock; ++i) pad[i] = k[i] ^ 0x5c;
  Sha1Two(Ctx(ctx_), pad, kBlock, inner, kSha1Size, out);
}

}  // namespace kw::crypto
