#include "crypto/cipher.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdio>
#include <cstdlib>

#include "crypto/ossl.h"

namespace kw::crypto {
namespace {

struct CipherEntry {
  CipherInfo info;
  const char* ossl_name;
};

constexpr std::array<CipherEntry, 6> kCiphers = {{
    {{CipherAlg::kAes128Ctr, "aes128-ctr", 16, 16, 16}, "AES-128-CTR"},
    {{CipherAlg::kAes192Ctr, "aes192-ctr", 24, 16, 16}, "AES-192-CTR"},
    {{CipherAlg::kAes256Ctr, "aes256-ctr", 32, 16, 16}, "AES-256-CTR"},
    {{CipherAlg::kAes128Cbc, "aes128-cbc", 16, 16, 16}, "AES-128-CBC"},
    {{CipherAlg::kAes192Cbc, "aes192-cbc", 24, 16, 16}, "AES-192-CBC"},
    {{CipherAlg::kAes256Cbc, "aes256-cbc", 32, 16, 16}, "AES-256-CBC"},
}};

const EVP_CIPHER* OsslCipher(CipherAlg alg) {
  static const std::array<EVP_CIPHER*, kCiphers.size()> ciphers = [] {
    std::array<EVP_CIPHER*, kCiphers.size()> r{};
    for (size_t i = 0; i < kCiphers.size(); ++i) {
      r[i] = EVP_CIPHER_fetch(nullptr, kCiphers[i].ossl_name, nullptr);
      if (r[i] == nullptr) {
        std::fprintf(stderr, "keyward: OpenSSL lacks %s\n", kCiphers[i].ossl_name);
        std::abort();
      }
    }
    return r;
  }();
  return ciphers[static_cast<size_t>(alg)];
}

bool IsCbc(CipherAlg alg) {
  return alg == CipherAlg::kAes128Cbc || alg == CipherAlg::kAes192Cbc || alg == CipherAlg::kAes256Cbc;
}

using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, internal::Deleter<EVP_CIPHER_CTX_free>>;

}  // namespace

std::optional<CipherInfo> FindCipher(std::string_view ssh_name) {
  for (const CipherEntry& e : kCiphers) {
    if (e.info.ssh_name == ssh_name) return e.info;
  }
  return std::nullopt;
}

const CipherInfo& GetCipherInfo(CipherAlg alg) { return kCiphers[static_cast<size_t>(alg)].info; }

Status CipherInPlace(CipherAlg alg, CipherDirection dir, ByteSpan key, ByteSpan iv, std::span<uint8_t> data) {
  const CipherInfo& info = GetCipherInfo(alg);
  if (key.size() != info.key_len) return InvalidArgumentError("cipher: wrong key length");
  if (iv.size() != info.iv_len) return InvalidArgumentError("cipher: wrong IV length");
  if (IsCbc(alg) && data.size() % info.block_size != 0) {
    return InvalidArgumentError("cipher: CBC data is not a whole number of blocks");
  }
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return internal::OsslError(StatusCode::kInternal, "EVP_CIPHER_CTX_new");
  int enc = dir == CipherDirection::kEncrypt ? 1 : 0;
  if (EVP_CipherInit_ex2(ctx.get(), OsslCipher(alg), key.data(), iv.data(), enc, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
    return internal::OsslError(StatusCode::kInternal, "EVP_CipherInit_ex2");
  }
  // EVP works in place when out == in. Lengths are ints, so go in chunks
  // that keep whole blocks (CTR keeps its counter state across updates).
  constexpr size_t kChunk = size_t{1} << 30;
  while (!data.empty()) {
    size_t n = std::min(data.size(), kChunk);
    int out_len = 0;
    if (EVP_CipherUpdate(ctx.get(), data.data(), &out_len, data.data(), static_cast<int>(n)) != 1 ||
        static_cast<size_t>(out_len) != n) {
      return internal::OsslError(StatusCode::kInternal, "EVP_CipherUpdate");
    }
    data = data.subspan(n);
  }
  uint8_t tail[32];
  int tail_len = 0;
  if (EVP_CipherFinal_ex(ctx.get(), tail, &tail_len) != 1 || tail_len != 0) {
    return internal::OsslError(StatusCode::kInternal, "EVP_CipherFinal_ex");
  }
  return OkStatus();
}

}  // namespace kw::crypto
