// otpauth:// URIs (Google's Key Uri Format, as authenticator apps scan them):
//
//   otpauth://TYPE/LABEL?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
//   otpauth://hotp/LABEL?secret=BASE32&counter=N
//
// LABEL is "ISSUER:ACCOUNT" or "ACCOUNT", percent-encoded. Spec:
// https://github.com/google/google-authenticator/wiki/Key-Uri-Format
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/percent.h"
#include "base/secret_bytes.h"
#include "base/status.h"
#include "otp/otp.h"

namespace kw::otp {

// Longest URI we parse; real ones are a few hundred bytes.
inline constexpr size_t kMaxOtpAuthUriSize = 4096;

struct OtpAuthUri {
  OtpType type = OtpType::kTotp;
  std::string issuer;   // may be empty
  std::string account;  // the label's account part (e.g. "alice@bastion")
  SecretBytes secret;
  Algorithm algorithm = Algorithm::kSha1;
  int digits = 6;
  int64_t period = kDefaultStep;  // TOTP only
  uint64_t counter = 0;           // HOTP only (required there)
};

// Builds the URI. The label is "ISSUER:ACCOUNT" when there is an issuer, and
// the issuer is repeated as a parameter (as the Key Uri Format recommends).
// Parameters at their defaults (SHA1, 6 digits, period 30) are left out, so
// the URI reads in every authenticator; others are written.
std::string BuildOtpAuthUri(const OtpAuthUri& uri);

// Parses a URI. Scheme and type are case-insensitive; unknown parameters are
// ignored (e.g. "image"); a repeated parameter, a missing or bad secret, an
// unknown algorithm, digits outside 6..8, a zero period or a HOTP URI
// without a counter are errors naming the parameter. The label splits at
// its first literal ':', else at its first "%3A"; spaces after it are
// dropped. The issuer parameter wins over a label prefix when both are
// given. '+' is a literal '+'. The secret may carry '=' padding.
StatusOr<OtpAuthUri> ParseOtpAuthUri(std::string_view uri);

// RFC 3986 percent-encoding (base/percent.h).
using ::kw::PercentEncode;
// The inverse; a malformed escape is an error.
StatusOr<std::string> PercentDecode(std::string_view text);

}  // namespace kw::otp
