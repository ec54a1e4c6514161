#include "crypto/pem.h"

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/evp.h>

#include <climits>
#include <cstring>
#include <string>

#include "crypto/ed25519.h"
#include "crypto/ossl.h"

namespace kw::crypto {

using internal::OsslError;
using internal::PkeyPtr;
using internal::SecretBnPtr;

namespace {

// Hands our passphrase to OpenSSL's decoders and records that one was asked
// for, which is how an encrypted key is told from a malformed one.
struct PassphraseRequest {
  ByteSpan passphrase;
  bool asked = false;
};

int PassphraseCallback(char* buf, size_t size, size_t* len, const OSSL_PARAM[] /*params*/, void* arg) {
  auto* req = static_cast<PassphraseRequest*>(arg);
  req->asked = true;
  if (req->passphrase.empty() || req->passphrase.size() > size) return 0;
  std::memcpy(buf, req->passphrase.data(), req->passphrase.size());
  *len = req->passphrase.size();
  return 1;
}

StatusOr<PkeyPtr> Decode(std::string_view pem, ByteSpan passphrase) {
  using DecoderCtxPtr = std::unique_ptr<OSSL_DECODER_CTX, internal::Deleter<OSSL_DECODER_CTX_free>>;
  EVP_PKEY* raw = nullptr;
  DecoderCtxPtr dctx(
      OSSL_DECODER_CTX_new_for_pkey(&raw, "PEM", nullptr, nullptr, EVP_PKEY_KEYPAIR, nullptr, nullptr));
  if (!dctx) return OsslError(StatusCode::kInternal, "pem: no decoders");
  PassphraseRequest req{passphrase};
  if (OSSL_DECODER_CTX_set_passphrase_cb(dctx.get(), PassphraseCallback, &req) != 1) {
    return OsslError(StatusCode::kInternal, "pem: OSSL_DECODER_CTX_set_passphrase_cb");
  }
  const auto* data = reinterpret_cast<const unsigned char*>(pem.data());
  size_t len = pem.size();
  int ok = OSSL_DECODER_from_data(dctx.get(), &data, &len);
  PkeyPtr pkey(raw);
  if (ok == 1 && pkey) return pkey;
  internal::ClearOsslErrors();
  if (req.asked) {
    if (passphrase.empty()) return FailedPreconditionError("pem: the key is encrypted; a passphrase is needed");
    return UnauthenticatedError("pem: wrong passphrase (or a corrupt encrypted key)");
  }
  return InvalidArgumentError("pem: not a PEM private key keyward can read");
}

StatusOr<PemPrivateKey> ToEd25519(EVP_PKEY* pkey) {
  Ed25519PrivateParams out;
  out.seed = SecretBytes(kEd25519SeedSize);
  out.public_key.resize(kEd25519PublicKeySize);
  size_t seed_len = out.seed.size();
  size_t pub_len = out.public_key.size();
  if (EVP_PKEY_get_raw_private_key(pkey, out.seed.data(), &seed_len) != 1 || seed_len != kEd25519SeedSize ||
      EVP_PKEY_get_raw_public_key(pkey, out.public_key.data(), &pub_len) != 1 ||
      pub_len != kEd25519PublicKeySize) {
    return OsslError(StatusCode::kInvalidArgument, "pem: bad Ed25519 key");
  }
  // Files carry the seed only (RFC 8410), so the public half is derived:
  // check it anyway, in case a file carried a mismatched one.
  KW_ASSIGN_OR_RETURN(Bytes derived, Ed25519PublicFromSeed(out.seed.span()));
  if (derived != out.public_key) return InvalidArgumentError("pem: Ed25519 public key does not match");
  return PemPrivateKey(std::move(out));
}

StatusOr<PemPrivateKey> ToEc(EVP_PKEY* pkey) {
  char group[64] = {};
  size_t group_len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &group_len) != 1) {
    internal::ClearOsslErrors();
    return UnimplementedError("pem: EC key with explicit curve parameters");
  }
  std::string_view name(group, group_len);
  EcPrivateParams out;
  if (name == "prime256v1" || name == "P-256") {
    out.curve = EcCurve::kP256;
  } else if (name == "secp384r1" || name == "P-384") {
    out.curve = EcCurve::kP384;
  } else if (name == "secp521r1" || name == "P-521") {
    out.curve = EcCurve::kP521;
  } else {
    return UnimplementedError("pem: unsupported EC curve " + std::string(name));
  }
  KW_ASSIGN_OR_RETURN(SecretBnPtr d, internal::GetBnParam(pkey, OSSL_PKEY_PARAM_PRIV_KEY));
  out.d = internal::BnToSecretBytes(d.get());
  // Recompute Q in uncompressed form whatever form (if any) the file used;
  // then check the pair as OpenSSH does when it loads a key.
  KW_ASSIGN_OR_RETURN(out.q, EcPublicFromPrivate(out.curve, out.d.span()));
  KW_RETURN_IF_ERROR(EcValidatePrivate(out.curve, out.d.span(), out.q));
  return PemPrivateKey(std::move(out));
}

StatusOr<PemPrivateKey> ToRsa(EVP_PKEY* pkey) {
  BIGNUM* third = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR3, &third) == 1) {
    BN_clear_free(third);
    return UnimplementedError("pem: multi-prime RSA key");
  }
  internal::ClearOsslErrors();
  RsaPrivateParams out;
  KW_ASSIGN_OR_RETURN(SecretBnPtr n, internal::GetBnParam(pkey, OSSL_PKEY_PARAM_RSA_N));
  KW_ASSIGN_OR_RETURN(SecretBnPtr e, internal::GetBnParam(pkey, OSSL_PKEY_PARAM_RSA_E));
  KW_ASSIGN_OR_RETURN(SecretBnPtr d, internal::GetBnParam(pkey, OSSL_PKEY_PARAM_RSA_D));
  KW_ASSIGN_OR_RETURN(SecretBnPtr p, internal::GetBnParam(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1));
  KW_ASSIGN_OR_RETURN(SecretBnPtr q, internal::GetBnParam(pkey, OSSL_PKEY_PARAM_RSA_FACTOR2));
  KW_ASSIGN_OR_RETURN(SecretBnPtr iqmp, internal::GetBnParam(pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1));
  out.n = internal::BnToBytes(n.get());
  out.e = internal::BnToBytes(e.get());
  out.d = internal::BnToSecretBytes(d.get());
  out.p = internal::BnToSecretBytes(p.get());
  out.q = internal::BnToSecretBytes(q.get());
  out.iqmp = internal::BnToSecretBytes(iqmp.get());
  KW_RETURN_IF_ERROR(RsaValidatePrivate(out));
  return PemPrivateKey(std::move(out));
}

}  // namespace

StatusOr<PemPrivateKey> ParsePemPrivateKey(std::string_view pem, ByteSpan passphrase) {
  if (pem.find("-----BEGIN ") == std::string_view::npos) {
    return InvalidArgumentError("pem: no PEM BEGIN line");
  }
  KW_ASSIGN_OR_RETURN(PkeyPtr pkey, Decode(pem, passphrase));
  if (EVP_PKEY_is_a(pkey.get(), "ED25519")) return ToEd25519(pkey.get());
  if (EVP_PKEY_is_a(pkey.get(), "EC")) return ToEc(pkey.get());
  if (EVP_PKEY_is_a(pkey.get(), "RSA")) return ToRsa(pkey.get());
  const char* type = EVP_PKEY_get0_type_name(pkey.get());
  return UnimplementedError(std::string("pem: unsupported key type ") + (type != nullptr ? type : "?"));
}

}  // namespace kw::crypto
