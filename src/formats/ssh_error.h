// OpenSSH's error codes (ssherr.h) for the cases where keyward must print
// exactly what OpenSSH prints ("FILE:3: invalid key: incorrect signature").
// Parsers that need this report the code through an out-parameter next to
// their own, more detailed, Status.
#pragma once

#include <string_view>

namespace kw::formats {

enum class SshErr {
  kNone,
  kInvalidFormat,        // "invalid format"
  kMessageIncomplete,    // "incomplete message"
  kBignumIsNegative,     // "bignum is negative"
  kBignumTooLarge,       // "bignum is too large"
  kKeyTypeMismatch,      // "key type does not match"
  kKeyTypeUnknown,       // "unknown or unsupported key type"
  kEcCurveMismatch,      // "elliptic curve does not match"
  kCertUnknownType,      // "unknown/unsupported certificate type"
  kCertInvalidSignKey,   // "invalid certificate signing key"
  kInvalidEcValue,       // "invalid elliptic curve value"
  kSignatureInvalid,     // "incorrect signature"
  kKeyLength,            // "Invalid key length"
  kSignAlgUnsupported,   // "signature algorithm not supported"
  kKrlBadMagic,          // "KRL file has invalid magic number"
  kKeyRevoked,           // "Key is revoked"
  kKeyNotFound,          // "key not found"
  kInternal,             // "unexpected internal error"
};

// ssh_err()'s text.
std::string_view SshErrText(SshErr e);

}  // namespace kw::formats
