// HOTP (RFC 4226) and TOTP (RFC 6238) with HMAC-SHA1, -SHA256 and -SHA512.
//
// Pure functions: the key, the counter and the time are arguments. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace kw::otp {

enum class Algorithm { kSha1, kSha256, kSha512 };

// Counter-based (RFC 4226) or time-based (RFC 6238).
enum class OtpType { kTotp, kHotp };

// "SHA1", "SHA256", "SHA512" (the spelling of the otpauth:// algorithm
// parameter and of oathtool's --totp=MODE, upper-cased).
std::string_view AlgorithmName(Algorithm alg);
// Accepts those names in any case, with or without a dash ("sha-256").
bool ParseAlgorithm(std::string_view name, Algorithm* out);
// The size of a new secret for `alg`: its HMAC's output, as RFC 4226 and
// RFC 6238 recommend (20, 32 or 64 bytes).
size_t SecretSize(Algorithm alg);

// Code lengths we produce and accept. RFC 4226 §5.3 asks for at least 6;
// the Key Uri Format allows 6 and 8, oathtool any; we take 6 to 8.
inline constexpr int kMinDigits = 6;
inline constexpr int kMaxDigits = 8;
inline constexpr int64_t kDefaultStep = 30;  // RFC 6238 §5.2 "X"

// 10^digits, for digits in [kMinDigits, kMaxDigits].
uint32_t CodeModulus(int digits);

// RFC 4226 §5.3: HMAC(key, counter as 8 bytes big-endian), dynamic
// truncation (offset = low nibble of the last byte of the MAC, as RFC 6238's
// reference code does for every hash), 31 bits, mod 10^digits.
// `digits` must be in [kMinDigits, kMaxDigits].
uint32_t HotpValue(ByteSpan key, uint64_t counter, Algorithm alg, int digits);

// The value as the user types it: zero-padded to `digits` characters.
std::string FormatCode(uint32_t value, int digits);

// HotpValue() formatted.
std::string HotpCode(ByteSpan key, uint64_t counter, Algorithm alg, int digits);

// RFC 6238 §4.2: T = floor((unix_time - t0) / step), step > 0. Times before
// t0 give negative counters (floor, not truncation).
int64_t TotpCounter(int64_t unix_time, int64_t step = kDefaultStep, int64_t t0 = 0);

// The TOTP code at `unix_time`.
std::string TotpCode(ByteSpan key, int64_t unix_time, Algorithm alg, int digits, int64_t step = kDefaultStep,
                     int64_t t0 = 0);

// Compares two codes in time independent of their contents (lengths may
// leak; they are public).
bool CodesEqual(std::string_view a, std::string_view b);

}  // namespace kw::otp
