#include "otp/base32.h"

#include <cstdint>

namespace kw::otp {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// The 5-bit value of a base32 character, -1 for characters that are skipped,
// -2 for characters that are invalid.
int Value(char c) {
  switch (c) {
    case ' ': case '\t': case '\r': case '\n': case '-': return -1;
    case '0': return 'O' - 'A';
    case '1': return 'L' - 'A';
    case '8': return 'B' - 'A';
    default: break;
  }
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -2;
}

}  // namespace

std::string Base32Encode(ByteSpan data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t b : data) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += kAlphabet[(acc >> bits) & 31];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (5 - bits)) & 31];
  return out;
}

StatusOr<SecretBytes> Base32Decode(std::string_view text) {
  SecretBytes out(text.size() * 5 / 8);
  size_t n = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    int v = Value(text[i]);
    if (v == -1) continue;
    if (v == -2) {
      acc = 0;
      return InvalidArgumentError("base32: invalid character at offset " + std::to_string(i));
    }
    acc = (acc << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.data()[n++] = static_cast<uint8_t>(acc >> bits);
    }
  }
  acc = 0;
  if (n == 0) return InvalidArgumentError("base32: no secret (fewer than 8 bits)");
  SecretBytes exact(ByteSpan(out.data(), n));
  return exact;
}

StatusOr<SecretBytes> Base32DecodePadded(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  return Base32Decode(text);
}

}  // namespace kw::otp
