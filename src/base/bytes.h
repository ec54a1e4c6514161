// Byte buffers and views used across keyward.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kw {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

inline ByteSpan AsBytes(std::string_view s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline std::string_view AsChars(ByteSpan b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}
inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline std::string ToString(ByteSpan b) { return std::string(AsChars(b)); }

// Lower-case hex, no separators ("0a1b").
std::string HexEncode(ByteSpan b);
// Parses hex (either case, even length); empty optional-like result on error
// is signalled by returning false.
bool HexDecode(std::string_view hex, Bytes* out);

// Bits in a big-endian unsigned magnitude (0 for zero), as BN_num_bits.
int BitLength(ByteSpan magnitude);

// Equality that takes the same time whatever the contents (lengths may leak).
bool ConstantTimeEquals(ByteSpan a, ByteSpan b);

// Overwrites memory in a way the compiler may not elide.
void SecureWipe(void* p, size_t n);

}  // namespace kw
