#include "otp/otp.h"

#include <array>
#include <cassert>

#include "crypto/hash.h"

namespace kw::otp {
namespace {

crypto::HashAlg HashOf(Algorithm alg) {
  switch (alg) {
    case Algorithm::kSha1: return crypto::HashAlg::kSha1;
    case Algorithm::kSha256: return crypto::HashAlg::kSha256;
    case Algorithm::kSha512: return crypto::HashAlg::kSha512;
  }
  return crypto::HashAlg::kSha1;
}

}  // namespace

size_t SecretSize(Algorithm alg) { return crypto::DigestSize(HashOf(alg)); }

namespace {

char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace

std::string_view AlgorithmName(Algorithm alg) {
  switch (alg) {
    case Algorithm::kSha1: return "SHA1";
    case Algorithm::kSha256: return "SHA256";
    case Algorithm::kSha512: return "SHA512";
  }
  return "SHA1";
}

bool ParseAlgorithm(std::string_view name, Algorithm* out) {
  std::string n;
  for (char c : name) {
    if (c != '-') n += Upper(c);
  }
  for (Algorithm a : {Algorithm::kSha1, Algorithm::kSha256, Algorithm::kSha512}) {
    if (n == AlgorithmName(a)) {
      *out = a;
      return true;
    }
  }
  return false;
}

uint32_t CodeModulus(int digits) {
  assert(digits >= kMinDigits && digits <= kMaxDigits);
  uint32_t m = 1;
  for (int i = 0; i < digits; ++i) m *= 10;
  return m;
}

uint32_t HotpValue(ByteSpan key, uint64_t counter, Algorithm alg, int digits) {
  std::array<uint8_t, 8> msg;
  for (int i = 7; i >= 0; --i) {
    msg[static_cast<size_t>(i)] = static_cast<uint8_t>(counter);
    counter >>= 8;
  }
  std::array<uint8_t, crypto::kMaxDigestSize> mac;
  crypto::HashAlg h = HashOf(alg);
  size_t n = crypto::DigestSize(h);
  crypto::HmacInto(h, key, msg, mac.data());
  size_t offset = mac[n - 1] & 0x0f;
  uint32_t bin = (uint32_t{mac[offset]} & 0x7f) << 24 | uint32_t{mac[offset + 1]} << 16 |
                 uint32_t{mac[offset + 2]} << 8 | uint32_t{mac[offset + 3]};
  SecureWipe(mac.data(), mac.size());
  return bin % CodeModulus(digits);
}

std::string FormatCode(uint32_t value, int digits) {
  std::string s(static_cast<size_t>(digits), '0');
  for (size_t i = s.size(); i-- > 0 && value > 0;) {
    s[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return s;
}

std::string HotpCode(ByteSpan key, uint64_t counter, Algorithm alg, int digits) {
  return FormatCode(HotpValue(key, counter, alg, digits), digits);
}

int64_t TotpCounter(int64_t unix_time, int64_t step, int64_t t0) {
  assert(step > 0);
  int64_t d = unix_time - t0;
  int64_t q = d / step;
  if (d % step != 0 && d < 0) --q;
  return q;
}

std::string TotpCode(ByteSpan key, int64_t unix_time, Algorithm alg, int digits, int64_t step, int64_t t0) {
  return HotpCode(key, static_cast<uint64_t>(TotpCounter(unix_time, step, t0)), alg, digits);
}

bool CodesEqual(std::string_view a, std::string_view b) { return ConstantTimeEquals(AsBytes(a), AsBytes(b)); }

}  // namespace kw::otp
