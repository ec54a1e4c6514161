// Private keys in PEM (PKCS#1 "RSA PRIVATE KEY", SEC1 "EC PRIVATE KEY",
// PKCS#8 "PRIVATE KEY" and "ENCRYPTED PRIVATE KEY", and legacy
// Proc-Type-encrypted PEM) read through OpenSSL's decoders.
#pragma once

#include <string_view>
#include <variant>

#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "base/status.h"
#include "crypto/ecdsa.h"
#include "crypto/rsa.h"

namespace kw::crypto {

struct Ed25519PrivateParams {
  Bytes public_key;  // 32 bytes
  SecretBytes seed;  // 32 bytes
};

struct EcPrivateParams {
  EcCurve curve;
  Bytes q;
  SecretBytes d;
};

using PemPrivateKey = std::variant<Ed25519PrivateParams, EcPrivateParams, RsaPrivateParams>;

// `passphrase` may be empty. Errors: kFailedPrecondition when the key is
// encrypted and no passphrase was given; kUnauthenticated when the passphrase
// is wrong; kUnimplemented for a key type keyward does not handle (DSA, other
// curves); kInvalidArgument when the text is not a PEM private key.
StatusOr<PemPrivateKey> ParsePemPrivateKey(std::string_view pem, ByteSpan passphrase);

}  // namespace kw::crypto
