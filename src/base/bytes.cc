#include "base/bytes.h"

#include <cstring>

namespace kw {

std::string HexEncode(ByteSpan b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.resize(b.size() * 2);
  for (size_t i = 0; i < b.size(); ++i) {
    out[2 * i] = kDigits[b[i] >> 4];
    out[2 * i + 1] = kDigits[b[i] & 15];
  }
  return out;
}

static int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool HexDecode(std::string_view hex, Bytes* out) {
  if (hex.size() % 2 != 0) return false;
  Bytes r(hex.size() / 2);
  for (size_t i = 0; i < r.size(); ++i) {
    int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    r[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  *out = std::move(r);
  return true;
}

int BitLength(ByteSpan m) {
  size_t i = 0;
  while (i < m.size() && m[i] == 0) ++i;
  if (i == m.size()) return 0;
  return static_cast<int>((m.size() - i - 1) * 8) + (32 - __builtin_clz(m[i]));
}

bool ConstantTimeEquals(ByteSpan a, ByteSpan b) {
  if (a.size() != b.size()) return false;
  volatile uint8_t acc = 0;
  for (size_t i = 0; i < a.size(); ++i) acc = acc | static_cast<uint8_t>(a[i] ^ b[i]);
  return acc == 0;
}

void SecureWipe(void* p, size_t n) {
  if (n == 0) return;
  volatile uint8_t* v = static_cast<volatile uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) v[i] = 0;
  // Keep the stores from being sunk past this point.
  __asm__ __volatile__("" : : "r"(p) : "memory");
}

}  // namespace kw
