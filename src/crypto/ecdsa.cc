#include "crypto/ecdsa.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "crypto/ossl.h"

namespace kw::crypto {

using internal::BnCtxPtr;
using internal::BnPtr;
using internal::EcPointPtr;
using internal::MdCtxPtr;
using internal::OsslError;
using internal::PkeyCtxPtr;
using internal::PkeyPtr;
using internal::SecretBnPtr;

namespace {

struct CurveEntry {
  int nid;
  const char* group_name;  // OSSL_PKEY_PARAM_GROUP_NAME
  size_t field_bytes;
  int bits;
  HashAlg hash;
};

constexpr std::array<CurveEntry, 3> kCurves = {{
    {NID_X9_62_prime256v1, "P-256", 32, 256, HashAlg::kSha256},
    {NID_secp384r1, "P-384", 48, 384, HashAlg::kSha384},
    {NID_secp521r1, "P-521", 66, 521, HashAlg::kSha512},
}};

const CurveEntry& Entry(EcCurve curve) { return kCurves[static_cast<size_t>(curve)]; }

// Per-curve constants built once (thread-safe static init) and shared
// read-only by every thread: EC_GROUP is safe for concurrent const use.
struct CurveData {
  EC_GROUP* group = nullptr;
  BIGNUM* order = nullptr;
  int order_bits = 0;
  // order - 1, big-endian, left-padded to the field size, for comparing
  // coordinates bytewise.
  std::array<uint8_t, 66> order_minus_one{};
};

const CurveData& Data(EcCurve curve) {
  static const std::array<CurveData, kCurves.size()> data = [] {
    std::array<CurveData, kCurves.size()> r{};
    for (size_t i = 0; i < kCurves.size(); ++i) {
      CurveData& d = r[i];
      d.group = EC_GROUP_new_by_curve_name(kCurves[i].nid);
      d.order = BN_new();
      BnPtr tmp(BN_new());
      if (d.group == nullptr || d.order == nullptr || !tmp ||
          EC_GROUP_get_order(d.group, d.order, nullptr) != 1 ||
          BN_sub(tmp.get(), d.order, BN_value_one()) != 1 ||
          BN_bn2binpad(tmp.get(), d.order_minus_one.data(), static_cast<int>(kCurves[i].field_bytes)) < 0) {
        std::fprintf(stderr, "keyward: OpenSSL lacks curve %s\n", kCurves[i].group_name);
        std::abort();
      }
      d.order_bits = BN_num_bits(d.order);
    }
    return r;
  }();
  return data[static_cast<size_t>(curve)];
}

// A scratch BN_CTX per thread, so the hot path does not allocate one.
BN_CTX* ThreadBnCtx() {
  thread_local BnCtxPtr ctx(BN_CTX_new());
  if (!ctx) std::abort();
  return ctx.get();
}

// Bit length of a big-endian magnitude.
int BitLength(ByteSpan b) {
  size_t i = 0;
  while (i < b.size() && b[i] == 0) ++i;
  if (i == b.size()) return 0;
  int top = 0;
  for (uint8_t v = b[i]; v != 0; v >>= 1) ++top;
  return static_cast<int>((b.size() - i - 1) * 8) + top;
}

// OpenSSH 9.2's extra checks on a coordinate (sshkey_ec_validate_public):
// log2(c) > log2(order) / 2 and c < order - 1. `c` is field_bytes long.
bool CoordinateInRange(const CurveData& data, ByteSpan c) {
  if (BitLength(c) <= data.order_bits / 2) return false;
  return std::memcmp(c.data(), data.order_minus_one.data(), c.size()) < 0;
}

// Decodes a validated public point.
StatusOr<EcPointPtr> DecodePoint(EcCurve curve, ByteSpan q) {
  const CurveData& data = Data(curve);
  EcPointPtr point(EC_POINT_new(data.group));
  if (!point) return OsslError(StatusCode::kInternal, "ecdsa: EC_POINT_new");
  // oct2point checks that the coordinates are below p and that the point
  // is on the curve.
  if (EC_POINT_oct2point(data.group, point.get(), q.data(), q.size(), ThreadBnCtx()) != 1) {
    internal::ClearOsslErrors();
    return InvalidArgumentError("ecdsa: public point is not on the curve");
  }
  if (EC_POINT_is_at_infinity(data.group, point.get())) {
    return InvalidArgumentError("ecdsa: public point is the point at infinity");
  }
  return point;
}

// The scalar checks of OpenSSH's sshkey_ec_validate_private:
// log2(d) > log2(order) / 2 and d < order - 1.
Status CheckPrivateScalar(EcCurve curve, const BIGNUM* d) {
  const CurveData& data = Data(curve);
  BnPtr limit(BN_dup(data.order));
  if (!limit || BN_sub_word(limit.get(), 1) != 1) return OsslError(StatusCode::kInternal, "ecdsa: BN");
  if (BN_num_bits(d) <= data.order_bits / 2 || BN_cmp(d, limit.get()) >= 0) {
    return InvalidArgumentError("ecdsa: private scalar out of range");
  }
  return OkStatus();
}

StatusOr<Bytes> EncodePoint(EcCurve curve, const EC_POINT* point) {
  Bytes q(1 + 2 * Entry(curve).field_bytes);
  if (EC_POINT_point2oct(Data(curve).group, point, POINT_CONVERSION_UNCOMPRESSED, q.data(), q.size(),
                         ThreadBnCtx()) != q.size()) {
    return OsslError(StatusCode::kInternal, "ecdsa: EC_POINT_point2oct");
  }
  return q;
}

StatusOr<Bytes> MultiplyGenerator(EcCurve curve, const BIGNUM* d) {
  const CurveData& data = Data(curve);
  EcPointPtr point(EC_POINT_new(data.group));
  if (!point || EC_POINT_mul(data.group, point.get(), d, nullptr, nullptr, ThreadBnCtx()) != 1) {
    return OsslError(StatusCode::kInternal, "ecdsa: EC_POINT_mul");
  }
  return EncodePoint(curve, point.get());
}

// An EVP_PKEY for (curve, q) and, when `d` is not null, the private scalar.
StatusOr<PkeyPtr> MakeKey(EcCurve curve, ByteSpan q, const BIGNUM* d) {
  using BldPtr = std::unique_ptr<OSSL_PARAM_BLD, internal::Deleter<OSSL_PARAM_BLD_free>>;
  using ParamsPtr = std::unique_ptr<OSSL_PARAM, internal::Deleter<OSSL_PARAM_free>>;
  BldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, Entry(curve).group_name, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, q.data(), q.size()) != 1 ||
      (d != nullptr && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d) != 1)) {
    return OsslError(StatusCode::kInternal, "ecdsa: OSSL_PARAM_BLD");
  }
  ParamsPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, d != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    return OsslError(StatusCode::kInvalidArgument, "ecdsa: cannot load key");
  }
  return PkeyPtr(raw);
}

using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, internal::Deleter<ECDSA_SIG_free>>;

}  // namespace

size_t EcFieldBytes(EcCurve curve) { return Entry(curve).field_bytes; }
HashAlg EcHash(EcCurve curve) { return Entry(curve).hash; }
int EcBits(EcCurve curve) { return Entry(curve).bits; }

Status EcValidatePublic(EcCurve curve, ByteSpan q) {
  const size_t fb = EcFieldBytes(curve);
  if (q.size() != 1 + 2 * fb) return InvalidArgumentError("ecdsa: public point has the wrong length");
  if (q[0] != 0x04) return InvalidArgumentError("ecdsa: public point is not uncompressed");
  const CurveData& data = Data(curve);
  // Cheap byte checks first; they also reject a zero coordinate.
  if (!CoordinateInRange(data, q.subspan(1, fb)) || !CoordinateInRange(data, q.subspan(1 + fb, fb))) {
    return InvalidArgumentError("ecdsa: public point coordinate out of range");
  }
  KW_ASSIGN_OR_RETURN(EcPointPtr point, DecodePoint(curve, q));
  (void)point;
  return OkStatus();
}

Status EcValidatePrivate(EcCurve curve, ByteSpan d, ByteSpan q) {
  if (d.size() > 2 * EcFieldBytes(curve)) return InvalidArgumentError("ecdsa: private scalar too long");
  KW_RETURN_IF_ERROR(EcValidatePublic(curve, q));
  SecretBnPtr dbn = internal::SecretBnFromBytes(d);
  if (!dbn) return OsslError(StatusCode::kInternal, "ecdsa: BN");
  KW_RETURN_IF_ERROR(CheckPrivateScalar(curve, dbn.get()));
  KW_ASSIGN_OR_RETURN(Bytes derived, MultiplyGenerator(curve, dbn.get()));
  if (derived.size() != q.size() || std::memcmp(derived.data(), q.data(), q.size()) != 0) {
    return InvalidArgumentError("ecdsa: private scalar does not match the public point");
  }
  return OkStatus();
}

StatusOr<EcKeyPair> EcGenerate(EcCurve curve) {
  // Redraw in the (2^-128-likely) case that a key fails OpenSSH's range
  // checks, so every generated key loads everywhere.
  for (int attempt = 0; attempt < 8; ++attempt) {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* raw = nullptr;
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_group_name(ctx.get(), Entry(curve).group_name) != 1 ||
        EVP_PKEY_generate(ctx.get(), &raw) != 1) {
      return OsslError(StatusCode::kInternal, "ecdsa: key generation");
    }
    PkeyPtr pkey(raw);
    KW_ASSIGN_OR_RETURN(SecretBnPtr d, internal::GetBnParam(pkey.get(), OSSL_PKEY_PARAM_PRIV_KEY));
    if (!CheckPrivateScalar(curve, d.get()).ok()) continue;
    KW_ASSIGN_OR_RETURN(Bytes q, MultiplyGenerator(curve, d.get()));
    if (!EcValidatePublic(curve, q).ok()) continue;
    return EcKeyPair{std::move(q), internal::BnToSecretBytes(d.get())};
  }
  return InternalError("ecdsa: could not generate a valid key");
}

StatusOr<Bytes> EcPublicFromPrivate(EcCurve curve, ByteSpan d) {
  if (d.size() > 2 * EcFieldBytes(curve)) return InvalidArgumentError("ecdsa: private scalar too long");
  SecretBnPtr dbn = internal::SecretBnFromBytes(d);
  if (!dbn) return OsslError(StatusCode::kInternal, "ecdsa: BN");
  if (BN_is_zero(dbn.get()) || BN_cmp(dbn.get(), Data(curve).order) >= 0) {
    return InvalidArgumentError("ecdsa: private scalar out of range");
  }
  return MultiplyGenerator(curve, dbn.get());
}

struct EcdsaSigner::Impl {
  EcCurve curve;
  PkeyPtr pkey;
};

EcdsaSigner::EcdsaSigner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EcdsaSigner::~EcdsaSigner() = default;
EcdsaSigner::EcdsaSigner(EcdsaSigner&&) noexcept = default;
EcdsaSigner& EcdsaSigner::operator=(EcdsaSigner&&) noexcept = default;

StatusOr<EcdsaSigner> EcdsaSigner::Create(EcCurve curve, ByteSpan d, ByteSpan q) {
  KW_RETURN_IF_ERROR(EcValidatePrivate(curve, d, q));
  SecretBnPtr dbn = internal::SecretBnFromBytes(d);
  if (!dbn) return OsslError(StatusCode::kInternal, "ecdsa: BN");
  auto impl = std::make_unique<Impl>();
  impl->curve = curve;
  KW_ASSIGN_OR_RETURN(impl->pkey, MakeKey(curve, q, dbn.get()));
  return EcdsaSigner(std::move(impl));
}

StatusOr<EcdsaSignature> EcdsaSigner::Sign(ByteSpan message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, internal::Md(EcHash(impl_->curve)), nullptr,
                                 impl_->pkey.get()) != 1) {
    return OsslError(StatusCode::kInternal, "ecdsa: sign init");
  }
  uint8_t der[160];  // DER of two integers of at most 67 bytes, with headers
  size_t der_len = sizeof(der);
  if (EVP_DigestSign(ctx.get(), der, &der_len, message.data(), message.size()) != 1) {
    return OsslError(StatusCode::kInternal, "ecdsa: sign");
  }
  const unsigned char* p = der;
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  if (!sig) return OsslError(StatusCode::kInternal, "ecdsa: cannot parse own signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  return EcdsaSignature{internal::BnToBytes(r), internal::BnToBytes(s)};
}

Status EcdsaVerify(EcCurve curve, ByteSpan q, ByteSpan message, ByteSpan r, ByteSpan s) {
  KW_RETURN_IF_ERROR(EcValidatePublic(curve, q));
  // A component longer than this cannot be below the order.
  const size_t max_len = EcFieldBytes(curve) + 1;
  if (r.size() > max_len || s.size() > max_len) return UnauthenticatedError("ecdsa: signature does not verify");

  EcdsaSigPtr sig(ECDSA_SIG_new());
  BnPtr rbn = internal::BnFromBytes(r);
  BnPtr sbn = internal::BnFromBytes(s);
  if (!sig || !rbn || !sbn || ECDSA_SIG_set0(sig.get(), rbn.get(), sbn.get()) != 1) {
    return OsslError(StatusCode::kInternal, "ecdsa: ECDSA_SIG");
  }
  (void)rbn.release();  // now owned by sig
  (void)sbn.release();
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return OsslError(StatusCode::kInternal, "ecdsa: i2d_ECDSA_SIG");
  std::unique_ptr<unsigned char, internal::Deleter<internal::OsslFree>> der_owner(der);

  KW_ASSIGN_OR_RETURN(PkeyPtr pkey, MakeKey(curve, q, nullptr));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, internal::Md(EcHash(curve)), nullptr, pkey.get()) != 1) {
    return OsslError(StatusCode::kInternal, "ecdsa: verify init");
  }
  int rc = EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_len), message.data(), message.size());
  if (rc == 1) return OkStatus();
  internal::ClearOsslErrors();
  return UnauthenticatedError("ecdsa: signature does not verify");
}

}  // namespace kw::crypto
