// Private to crypto: owning handles for OpenSSL objects and small helpers
// shared by the algorithm files. Not installed, not included outside crypto.
#pragma once

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <memory>
#include <string_view>

#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "base/status.h"
#include "crypto/hash.h"

namespace kw::crypto::internal {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const { Free(p); }
};

// OPENSSL_free is a macro; this is a function a Deleter can name.
inline void OsslFree(void* p) { OPENSSL_free(p); }

using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
// For secret integers: zeroed before being freed.
using SecretBnPtr = std::unique_ptr<BIGNUM, Deleter<BN_clear_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, Deleter<BN_CTX_free>>;
using EcPointPtr = std::unique_ptr<EC_POINT, Deleter<EC_POINT_free>>;

// The digest for `alg`, fetched once from the default provider and kept for
// the life of the process. Never null (aborts if OpenSSL lacks it).
const EVP_MD* Md(HashAlg alg);

// An error status carrying `what` and OpenSSL's queued errors; the queue is
// cleared so failures do not leak into later calls on this thread.
Status OsslError(StatusCode code, std::string_view what);
// Discards this thread's queued OpenSSL errors (after an expected failure).
void ClearOsslErrors();

// Big-endian magnitude to BIGNUM (an empty span is zero). Null only when
// OpenSSL cannot allocate.
BnPtr BnFromBytes(ByteSpan b);
SecretBnPtr SecretBnFromBytes(ByteSpan b);
// BIGNUM to big-endian magnitude without leading zeros (zero is empty).
Bytes BnToBytes(const BIGNUM* bn);
SecretBytes BnToSecretBytes(const BIGNUM* bn);

// Reads a BIGNUM parameter of a key (OSSL_PKEY_PARAM_*).
StatusOr<SecretBnPtr> GetBnParam(const EVP_PKEY* pkey, const char* name);

}  // namespace kw::crypto::internal
