#include "crypto/hash.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <array>
#include <cctype>
#include <climits>
#include <cstdio>
#include <cstdlib>

#include "crypto/ossl.h"

namespace kw::crypto {
namespace {

struct HashEntry {
  HashAlg alg;
  std::string_view name;         // as ssh-keygen prints it
  const char* ossl_name;         // OpenSSL's fetch name
  size_t size;
};

constexpr std::array<HashEntry, 5> kHashes = {{
    {HashAlg::kMd5, "MD5", "MD5", 16},
    {HashAlg::kSha1, "SHA1", "SHA1", 20},
    {HashAlg::kSha256, "SHA256", "SHA256", 32},
    {HashAlg::kSha384, "SHA384", "SHA384", 48},
    {HashAlg::kSha512, "SHA512", "SHA512", 64},
}};

const HashEntry& Entry(HashAlg alg) { return kHashes[static_cast<size_t>(alg)]; }

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "keyward: OpenSSL failure in %s\n", what);
  std::abort();
}

// The HMAC implementation, fetched once (thread-safe static init).
EVP_MAC* HmacMac() {
  static EVP_MAC* const mac = [] {
    EVP_MAC* m = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (m == nullptr) Die("EVP_MAC_fetch(HMAC)");
    return m;
  }();
  return mac;
}

}  // namespace

namespace internal {

const EVP_MD* Md(HashAlg alg) {
  // Fetched once for the life of the process: an explicit fetch avoids the
  // per-call name lookup that the EVP_sha256()-style shims do.
  static const std::array<EVP_MD*, kHashes.size()> mds = [] {
    std::array<EVP_MD*, kHashes.size()> r{};
    for (size_t i = 0; i < kHashes.size(); ++i) {
      r[i] = EVP_MD_fetch(nullptr, kHashes[i].ossl_name, nullptr);
      if (r[i] == nullptr) Die(kHashes[i].ossl_name);
    }
    return r;
  }();
  return mds[static_cast<size_t>(alg)];
}

}  // namespace internal

size_t DigestSize(HashAlg alg) { return Entry(alg).size; }

std::string_view HashName(HashAlg alg) { return Entry(alg).name; }

bool ParseHashName(std::string_view name, HashAlg* out) {
  for (const HashEntry& e : kHashes) {
    if (e.name.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) {
      same = std::toupper(static_cast<unsigned char>(name[i])) == e.name[i];
    }
    if (same) {
      *out = e.alg;
      return true;
    }
  }
  return false;
}

Bytes Digest(HashAlg alg, ByteSpan data) {
  Bytes out(DigestSize(alg));
  DigestInto(alg, data, out.data());
  return out;
}

void DigestInto(HashAlg alg, ByteSpan data, uint8_t* out) {
  if (EVP_Digest(data.data(), data.size(), out, nullptr, internal::Md(alg), nullptr) != 1) {
    Die("EVP_Digest");
  }
}

struct Hasher::Impl {
  internal::MdCtxPtr ctx;
  HashAlg alg;
};

Hasher::Hasher(HashAlg alg) : impl_(std::make_unique<Impl>()) {
  impl_->alg = alg;
  impl_->ctx.reset(EVP_MD_CTX_new());
  if (!impl_->ctx || EVP_DigestInit_ex2(impl_->ctx.get(), internal::Md(alg), nullptr) != 1) {
    Die("EVP_DigestInit_ex2");
  }
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::Update(ByteSpan data) {
  if (EVP_DigestUpdate(impl_->ctx.get(), data.data(), data.size()) != 1) Die("EVP_DigestUpdate");
}

Bytes Hasher::Finish() {
  Bytes out(DigestSize(impl_->alg));
  if (EVP_DigestFinal_ex(impl_->ctx.get(), out.data(), nullptr) != 1) Die("EVP_DigestFinal_ex");
  // Ready for a new message, so a Hasher can be reused.
  if (EVP_DigestInit_ex2(impl_->ctx.get(), internal::Md(impl_->alg), nullptr) != 1) {
    Die("EVP_DigestInit_ex2");
  }
  return out;
}

Bytes Hmac(HashAlg alg, ByteSpan key, ByteSpan data) {
  Bytes out(DigestSize(alg));
  HmacInto(alg, key, data, out.data());
  return out;
}

void HmacInto(HashAlg alg, ByteSpan key, ByteSpan data, uint8_t* out) {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(HmacMac());
  if (ctx == nullptr) Die("EVP_MAC_CTX_new");
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(Entry(alg).ossl_name), 0),
      OSSL_PARAM_construct_end(),
  };
  // HMAC accepts an empty key; OpenSSL wants a non-null pointer for it.
  static const uint8_t kEmpty = 0;
  const uint8_t* key_ptr = key.empty() ? &kEmpty : key.data();
  size_t out_len = 0;
  bool ok = EVP_MAC_init(ctx, key_ptr, key.size(), params) == 1 &&
            EVP_MAC_update(ctx, data.data(), data.size()) == 1 &&
            EVP_MAC_final(ctx, out, &out_len, DigestSize(alg)) == 1 && out_len == DigestSize(alg);
  EVP_MAC_CTX_free(ctx);
  if (!ok) Die("HMAC");
}

}  // namespace kw::crypto
