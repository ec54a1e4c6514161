#include "formats/ssh_error.h"

namespace kw::formats {

std::string_view SshErrText(SshErr e) {
  switch (e) {
    case SshErr::kNone: return "success";
    case SshErr::kInvalidFormat: return "invalid format";
    case SshErr::kMessageIncomplete: return "incomplete message";
    case SshErr::kBignumIsNegative: return "bignum is negative";
    case SshErr::kBignumTooLarge: return "bignum is too large";
    case SshErr::kKeyTypeMismatch: return "key type does not match";
    case SshErr::kKeyTypeUnknown: return "unknown or unsupported key type";
    case SshErr::kEcCurveMismatch: return "elliptic curve does not match";
    case SshErr::kCertUnknownType: return "unknown/unsupported certificate type";
    case SshErr::kCertInvalidSignKey: return "invalid certificate signing key";
    case SshErr::kInvalidEcValue: return "invalid elliptic curve value";
    case SshErr::kSignatureInvalid: return "incorrect signature";
    case SshErr::kKeyLength: return "Invalid key length";
    case SshErr::kSignAlgUnsupported: return "signature algorithm not supported";
    case SshErr::kKrlBadMagic: return "KRL file has invalid magic number";
    case SshErr::kKeyRevoked: return "Key is revoked";
    case SshErr::kKeyNotFound: return "key not found";
    case SshErr::kInternal: return "unexpected internal error";
  }
  return "unexpected internal error";
}

}  // namespace kw::formats
