#include "crypto/rsa.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <cstring>
#include <string>

#include "crypto/ossl.h"

namespace kw::crypto {

using internal::BnCtxPtr;
using internal::BnPtr;
using internal::MdCtxPtr;
using internal::OsslError;
using internal::PkeyCtxPtr;
using internal::PkeyPtr;
using internal::SecretBnPtr;

namespace {

using BldPtr = std::unique_ptr<OSSL_PARAM_BLD, internal::Deleter<OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, internal::Deleter<OSSL_PARAM_free>>;

// Longest integer we accept anywhere: a 16384-bit modulus plus a sign byte.
constexpr size_t kMaxIntBytes = kRsaMaxBits / 8 + 1;

Status CheckModulusBits(const BIGNUM* n) {
  int bits = BN_num_bits(n);
  if (bits < kRsaMinBits || bits > kRsaMaxBits) {
    return OutOfRangeError("rsa: modulus of " + std::to_string(bits) + " bits is outside " +
                           std::to_string(kRsaMinBits) + ".." + std::to_string(kRsaMaxBits));
  }
  return OkStatus();
}

Status CheckSignatureHash(HashAlg hash) {
  if (hash != HashAlg::kSha1 && hash != HashAlg::kSha256 && hash != HashAlg::kSha512) {
    return InvalidArgumentError("rsa: signatures use SHA1, SHA256 or SHA512 only");
  }
  return OkStatus();
}

StatusOr<PkeyPtr> FromData(OSSL_PARAM_BLD* bld, int selection) {
  ParamsPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1) {
    return OsslError(StatusCode::kInvalidArgument, "rsa: cannot load key");
  }
  return PkeyPtr(raw);
}

// The private integers as BIGNUMs, bounded in size first.
struct PrivateBns {
  BnPtr n, e;
  SecretBnPtr d, p, q, iqmp;
};

StatusOr<PrivateBns> ToBns(const RsaPrivateParams& key) {
  for (size_t len : {key.n.size(), key.e.size(), key.d.size(), key.p.size(), key.q.size(), key.iqmp.size()}) {
    if (len > kMaxIntBytes) return OutOfRangeError("rsa: integer too long");
  }
  PrivateBns b;
  b.n = internal::BnFromBytes(key.n);
  b.e = internal::BnFromBytes(key.e);
  b.d = internal::SecretBnFromBytes(key.d.span());
  b.p = internal::SecretBnFromBytes(key.p.span());
  b.q = internal::SecretBnFromBytes(key.q.span());
  b.iqmp = internal::SecretBnFromBytes(key.iqmp.span());
  if (!b.n || !b.e || !b.d || !b.p || !b.q || !b.iqmp) return OsslError(StatusCode::kInternal, "rsa: BN");
  return b;
}

Status Validate(const PrivateBns& k) {
  KW_RETURN_IF_ERROR(CheckModulusBits(k.n.get()));
  const Status bad = InvalidArgumentError("rsa: inconsistent private key");
  if (!BN_is_odd(k.e.get()) || BN_is_one(k.e.get()) || BN_is_zero(k.d.get()) ||
      BN_cmp(k.p.get(), BN_value_one()) <= 0 || BN_cmp(k.q.get(), BN_value_one()) <= 0) {
    return bad;
  }
  BnCtxPtr ctx(BN_CTX_new());
  SecretBnPtr t1(BN_secure_new()), t2(BN_secure_new()), pm1(BN_secure_new()), qm1(BN_secure_new()),
      lcm(BN_secure_new());
  if (!ctx || !t1 || !t2 || !pm1 || !qm1 || !lcm) return OsslError(StatusCode::kInternal, "rsa: BN");
  BN_CTX* c = ctx.get();
  // n == p * q
  if (BN_mul(t1.get(), k.p.get(), k.q.get(), c) != 1) return OsslError(StatusCode::kInternal, "rsa: BN");
  if (BN_cmp(t1.get(), k.n.get()) != 0) return bad;
  // iqmp * q == 1 (mod p)
  if (BN_mod_mul(t1.get(), k.iqmp.get(), k.q.get(), k.p.get(), c) != 1) {
    return OsslError(StatusCode::kInternal, "rsa: BN");
  }
  if (!BN_is_one(t1.get()) || BN_cmp(k.iqmp.get(), k.p.get()) >= 0) return bad;
  // d * e == 1 (mod lcm(p-1, q-1)); also accepts d reduced mod (p-1)(q-1).
  if (BN_sub(pm1.get(), k.p.get(), BN_value_one()) != 1 || BN_sub(qm1.get(), k.q.get(), BN_value_one()) != 1 ||
      BN_gcd(t1.get(), pm1.get(), qm1.get(), c) != 1 || BN_mul(t2.get(), pm1.get(), qm1.get(), c) != 1 ||
      BN_div(lcm.get(), nullptr, t2.get(), t1.get(), c) != 1 ||
      BN_mod_mul(t1.get(), k.d.get(), k.e.get(), lcm.get(), c) != 1) {
    return OsslError(StatusCode::kInternal, "rsa: BN");
  }
  if (!BN_is_one(t1.get())) return bad;
  return OkStatus();
}

}  // namespace

StatusOr<RsaPrivateParams> RsaGenerate(int bits) {
  if (bits < kRsaMinBits || bits > kRsaMaxBits) {
    return InvalidArgumentError("rsa: key size must be " + std::to_string(kRsaMinBits) + ".." +
                                std::to_string(kRsaMaxBits) + " bits");
  }
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  // The default public exponent is 65537.
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) != 1 ||
      EVP_PKEY_generate(ctx.get(), &raw) != 1) {
    return OsslError(StatusCode::kInternal, "rsa: key generation");
  }
  PkeyPtr pkey(raw);
  // OpenSSL's factor1/factor2 are p/q and coefficient1 is q^-1 mod p: the
  // same convention as OpenSSH's iqmp.
  KW_ASSIGN_OR_RETURN(SecretBnPtr n, internal::GetBnParam(pkey.get(), OSSL_PKEY_PARAM_RSA_N));
  KW_ASSIGN_OR_RETURN(SecretBnPtr e, internal::GetBnParam(pkey.get(), OSSL_PKEY_PARAM_RSA_E));
  KW_ASSIGN_OR_RETURN(SecretBnPtr d, internal::GetBnParam(pkey.get(), OSSL_PKEY_PARAM_RSA_D));
  KW_ASSIGN_OR_RETURN(SecretBnPtr p, internal::GetBnParam(pkey.get(), OSSL_PKEY_PARAM_RSA_FACTOR1));
  KW_ASSIGN_OR_RETURN(SecretBnPtr q, internal::GetBnParam(pkey.get(), OSSL_PKEY_PARAM_RSA_FACTOR2));
  KW_ASSIGN_OR_RETURN(SecretBnPtr iqmp, internal::GetBnParam(pkey.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1));
  RsaPrivateParams out;
  out.n = internal::BnToBytes(n.get());
  out.e = internal::BnToBytes(e.get());
  out.d = internal::BnToSecretBytes(d.get());
  out.p = internal::BnToSecretBytes(p.get());
  out.q = internal::BnToSecretBytes(q.get());
  out.iqmp = internal::BnToSecretBytes(iqmp.get());
  return out;
}

Status RsaValidatePrivate(const RsaPrivateParams& key) {
  KW_ASSIGN_OR_RETURN(PrivateBns bns, ToBns(key));
  return Validate(bns);
}

struct RsaSigner::Impl {
  PkeyPtr pkey;
  size_t modulus_bytes = 0;
};

RsaSigner::RsaSigner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RsaSigner::~RsaSigner() = default;
RsaSigner::RsaSigner(RsaSigner&&) noexcept = default;
RsaSigner& RsaSigner::operator=(RsaSigner&&) noexcept = default;

StatusOr<RsaSigner> RsaSigner::Create(const RsaPrivateParams& key) {
  KW_ASSIGN_OR_RETURN(PrivateBns k, ToBns(key));
  KW_RETURN_IF_ERROR(Validate(k));
  // OpenSSH keeps only d, p, q and iqmp; the CRT exponents are recomputed
  // (as OpenSSH's ssh_rsa_complete_crt_parameters does).
  BnCtxPtr ctx(BN_CTX_new());
  SecretBnPtr t(BN_secure_new()), dmp1(BN_secure_new()), dmq1(BN_secure_new());
  if (!ctx || !t || !dmp1 || !dmq1 || BN_sub(t.get(), k.p.get(), BN_value_one()) != 1 ||
      BN_mod(dmp1.get(), k.d.get(), t.get(), ctx.get()) != 1 ||
      BN_sub(t.get(), k.q.get(), BN_value_one()) != 1 ||
      BN_mod(dmq1.get(), k.d.get(), t.get(), ctx.get()) != 1) {
    return OsslError(StatusCode::kInternal, "rsa: CRT parameters");
  }
  BldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, k.n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, k.e.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_D, k.d.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, k.p.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, k.q.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, dmp1.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, dmq1.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, k.iqmp.get()) != 1) {
    return OsslError(StatusCode::kInternal, "rsa: OSSL_PARAM_BLD");
  }
  auto impl = std::make_unique<Impl>();
  KW_ASSIGN_OR_RETURN(impl->pkey, FromData(bld.get(), EVP_PKEY_KEYPAIR));
  impl->modulus_bytes = static_cast<size_t>(BN_num_bytes(k.n.get()));
  return RsaSigner(std::move(impl));
}

StatusOr<Bytes> RsaSigner::Sign(HashAlg hash, ByteSpan message) const {
  KW_RETURN_IF_ERROR(CheckSignatureHash(hash));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, internal::Md(hash), nullptr, impl_->pkey.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    return OsslError(StatusCode::kInternal, "rsa: sign init");
  }
  Bytes sig(impl_->modulus_bytes);
  size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1 || len > sig.size()) {
    return OsslError(StatusCode::kInternal, "rsa: sign");
  }
  if (len < sig.size()) {  // keep the modulus length, as the wire format wants
    std::memmove(sig.data() + (sig.size() - len), sig.data(), len);
    std::memset(sig.data(), 0, sig.size() - len);
  }
  return sig;
}

Status RsaVerify(ByteSpan n, ByteSpan e, HashAlg hash, ByteSpan message, ByteSpan signature) {
  KW_RETURN_IF_ERROR(CheckSignatureHash(hash));
  if (n.size() > kMaxIntBytes || e.size() > kMaxIntBytes) return OutOfRangeError("rsa: integer too long");
  BnPtr nbn = internal::BnFromBytes(n);
  BnPtr ebn = internal::BnFromBytes(e);
  if (!nbn || !ebn) return OsslError(StatusCode::kInternal, "rsa: BN");
  KW_RETURN_IF_ERROR(CheckModulusBits(nbn.get()));
  if (!BN_is_odd(ebn.get()) || BN_is_one(ebn.get())) return InvalidArgumentError("rsa: bad public exponent");

  const size_t modulus_bytes = static_cast<size_t>(BN_num_bytes(nbn.get()));
  if (signature.size() > modulus_bytes) return InvalidArgumentError("rsa: signature longer than the modulus");
  Bytes padded;
  if (signature.size() < modulus_bytes) {  // OpenSSH tolerates stripped leading zeros
    padded.assign(modulus_bytes - signature.size(), 0);
    padded.insert(padded.end(), signature.begin(), signature.end());
    signature = padded;
  }

  BldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, nbn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, ebn.get()) != 1) {
    return OsslError(StatusCode::kInternal, "rsa: OSSL_PARAM_BLD");
  }
  KW_ASSIGN_OR_RETURN(PkeyPtr pkey, FromData(bld.get(), EVP_PKEY_PUBLIC_KEY));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, internal::Md(hash), nullptr, pkey.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    return OsslError(StatusCode::kInternal, "rsa: verify init");
  }
  int rc = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(), message.size());
  if (rc == 1) return OkStatus();
  internal::ClearOsslErrors();
  return UnauthenticatedError("rsa: signature does not verify");
}

}  // namespace kw::crypto
