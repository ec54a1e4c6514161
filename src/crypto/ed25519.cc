#include "crypto/ed25519.h"

#include <openssl/evp.h>

#include "crypto/ossl.h"

namespace kw::crypto {

using internal::MdCtxPtr;
using internal::OsslError;
using internal::PkeyPtr;

SecretBytes Ed25519GenerateSeed(Rng& rng) {
  SecretBytes seed(kEd25519SeedSize);
  rng.Fill(seed.mutable_span());
  return seed;
}

namespace {

StatusOr<PkeyPtr> PrivateKey(ByteSpan seed) {
  if (seed.size() != kEd25519SeedSize) return InvalidArgumentError("ed25519: seed must be 32 bytes");
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (!pkey) return OsslError(StatusCode::kInternal, "ed25519: cannot load private key");
  return pkey;
}

}  // namespace

StatusOr<Bytes> Ed25519PublicFromSeed(ByteSpan seed) {
  KW_ASSIGN_OR_RETURN(PkeyPtr pkey, PrivateKey(seed));
  Bytes pub(kEd25519PublicKeySize);
  size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), pub.data(), &len) != 1 || len != pub.size()) {
    return OsslError(StatusCode::kInternal, "ed25519: cannot derive public key");
  }
  return pub;
}

struct Ed25519Signer::Impl {
  PkeyPtr pkey;
};

Ed25519Signer::Ed25519Signer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Ed25519Signer::~Ed25519Signer() = default;
Ed25519Signer::Ed25519Signer(Ed25519Signer&&) noexcept = default;
Ed25519Signer& Ed25519Signer::operator=(Ed25519Signer&&) noexcept = default;

StatusOr<Ed25519Signer> Ed25519Signer::Create(ByteSpan seed) {
  KW_ASSIGN_OR_RETURN(PkeyPtr pkey, PrivateKey(seed));
  auto impl = std::make_unique<Impl>();
  impl->pkey = std::move(pkey);
  return Ed25519Signer(std::move(impl));
}

StatusOr<Bytes> Ed25519Signer::Sign(ByteSpan message) const {
  // Ed25519 is "pure": no separate digest, one-shot EVP_DigestSign only.
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, impl_->pkey.get(), nullptr) != 1) {
    return OsslError(StatusCode::kInternal, "ed25519: sign init");
  }
  Bytes sig(kEd25519SignatureSize);
  size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1 || len != sig.size()) {
    return OsslError(StatusCode::kInternal, "ed25519: sign");
  }
  return sig;
}

Status Ed25519Verify(ByteSpan public_key, ByteSpan message, ByteSpan signature) {
  if (public_key.size() != kEd25519PublicKeySize) {
    return InvalidArgumentError("ed25519: public key must be 32 bytes");
  }
  if (signature.size() != kEd25519SignatureSize) {
    return InvalidArgumentError("ed25519: signature must be 64 bytes");
  }
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()));
  if (!pkey) return OsslError(StatusCode::kInvalidArgument, "ed25519: bad public key");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, pkey.get(), nullptr) != 1) {
    return OsslError(StatusCode::kInternal, "ed25519: verify init");
  }
  int rc = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(), message.size());
  if (rc == 1) return OkStatus();
  // 0 is a bad signature; OpenSSL also fails (<0) on encodings that cannot
  // be a valid signature or point, which is just as unauthenticated.
  internal::ClearOsslErrors();
  return UnauthenticatedError("ed25519: signature does not verify");
}

}  // namespace kw::crypto
