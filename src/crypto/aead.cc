#include "crypto/aead.h"

#include <openssl/evp.h>

#include <climits>
#include <cstring>
#include <memory>

#include "crypto/ossl.h"

namespace kw::crypto {
namespace {

using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, internal::Deleter<EVP_CIPHER_CTX_free>>;

const EVP_CIPHER* Gcm() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

Status CheckSizes(const SecretBytes& key, size_t aad, size_t data) {
  if (key.size() != kAeadKeyBytes) {
    return InvalidArgumentError("AES-256-GCM key must be 32 bytes, not " + std::to_string(key.size()));
  }
  if (aad > INT_MAX || data > INT_MAX / 2) return InvalidArgumentError("AES-256-GCM input too large");
  if (Gcm() == nullptr) return InternalError("OpenSSL lacks AES-256-GCM");
  return OkStatus();
}

}  // namespace

StatusOr<Bytes> AeadSeal(const SecretBytes& key, ByteSpan aad, ByteSpan plaintext, Rng& rng) {
  KW_RETURN_IF_ERROR(CheckSizes(key, aad.size(), plaintext.size()));
  Bytes box(kAeadNonceBytes + plaintext.size() + kAeadTagBytes);
  rng.Fill(std::span<uint8_t>(box.data(), kAeadNonceBytes));
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  uint8_t* out = box.data() + kAeadNonceBytes;
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), Gcm(), key.data(), box.data(), nullptr) != 1 ||
      (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) ||
      EVP_EncryptUpdate(ctx.get(), out, &len, plaintext.data(), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kAeadTagBytes),
                          out + plaintext.size()) != 1) {
    return InternalError("AES-256-GCM encryption failed");
  }
  return box;
}

StatusOr<SecretBytes> AeadOpen(const SecretBytes& key, ByteSpan aad, ByteSpan box) {
  if (box.size() < kAeadNonceBytes + kAeadTagBytes) return InvalidArgumentError("sealed secret is too short");
  const size_t n = box.size() - kAeadNonceBytes - kAeadTagBytes;
  KW_RETURN_IF_ERROR(CheckSizes(key, aad.size(), n));
  SecretBytes plain(n);
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  // The tag is set before Final; OpenSSL reads it without writing to it.
  uint8_t tag[kAeadTagBytes];
  std::memcpy(tag, box.data() + kAeadNonceBytes + n, kAeadTagBytes);
  uint8_t* out = plain.data();
  uint8_t spare[1];
  if (out == nullptr) out = spare;
  bool ok = ctx && EVP_DecryptInit_ex2(ctx.get(), Gcm(), key.data(), box.data(), nullptr) == 1 &&
            (aad.empty() || EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1) &&
            EVP_DecryptUpdate(ctx.get(), out, &len, box.data() + kAeadNonceBytes, static_cast<int>(n)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kAeadTagBytes), tag) == 1;
  if (!ok) return InternalError("AES-256-GCM decryption failed");
  if (EVP_DecryptFinal_ex(ctx.get(), out + len, &len) != 1) return DataLossError("sealed secret does not verify");
  return plain;
}

}  // namespace kw::crypto
