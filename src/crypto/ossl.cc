#include "crypto/ossl.h"

#include <openssl/err.h>

#include <string>

namespace kw::crypto::internal {

Status OsslError(StatusCode code, std::string_view what) {
  std::string msg(what);
  // The earliest error is usually the informative one.
  unsigned long e = ERR_get_error();
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    msg += " (";
    msg += buf;
    msg += ")";
  }
  ERR_clear_error();
  return Status(code, std::move(msg));
}

void ClearOsslErrors() { ERR_clear_error(); }

// BN_bin2bn takes an int length; nothing we handle comes near this bound.
constexpr size_t kMaxBnBytes = 1 << 20;

BnPtr BnFromBytes(ByteSpan b) {
  if (b.size() > kMaxBnBytes) return nullptr;
  return BnPtr(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr));
}

SecretBnPtr SecretBnFromBytes(ByteSpan b) {
  if (b.size() > kMaxBnBytes) return nullptr;
  SecretBnPtr bn(BN_secure_new());
  if (!bn) return bn;
  BN_set_flags(bn.get(), BN_FLG_CONSTTIME);
  if (BN_bin2bn(b.data(), static_cast<int>(b.size()), bn.get()) == nullptr) bn.reset();
  return bn;
}

Bytes BnToBytes(const BIGNUM* bn) {
  Bytes out(static_cast<size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, out.data());
  return out;
}

SecretBytes BnToSecretBytes(const BIGNUM* bn) {
  SecretBytes out(static_cast<size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, out.data());
  return out;
}

StatusOr<SecretBnPtr> GetBnParam(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1 || bn == nullptr) {
    return OsslError(StatusCode::kInvalidArgument, std::string("key lacks parameter ") + name);
  }
  return SecretBnPtr(bn);
}

}  // namespace kw::crypto::internal
