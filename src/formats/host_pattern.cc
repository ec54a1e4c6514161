#include "formats/host_pattern.h"

#include <array>
#include <cstring>

#include "wire/base64.h"

namespace kw::formats {

bool MatchPattern(std::string_view text, std::string_view pattern) {
  // Greedy glob with one backtrack point: on a mismatch, let the most recent
  // '*' swallow one more byte. With only '*' and '?' this accepts exactly
  // what the recursive matcher accepts.
  size_t t = 0, p = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      while (p < pattern.size() && pattern[p] == '*') ++p;
      if (p == pattern.size()) return true;
      star_p = p;
      star_t = t;
      continue;
    }
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

namespace {
inline char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> MakeB64Table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kB64[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr std::array<int8_t, 256> kB64Value = MakeB64Table();

// 28 characters of strict padded base64 ("...x=") to 20 bytes.
bool Decode28(std::string_view s, uint8_t* out) {
  if (s.size() != 28 || s[27] != '=') return false;
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  int bad = 0;
  for (size_t q = 0; q < 24; q += 4) {
    int a = kB64Value[p[q]], b = kB64Value[p[q + 1]], c = kB64Value[p[q + 2]], d = kB64Value[p[q + 3]];
    bad |= a | b | c | d;
    uint32_t v = static_cast<uint32_t>(a) << 18 | static_cast<uint32_t>(b) << 12 | static_cast<uint32_t>(c) << 6 |
                 static_cast<uint32_t>(d);
    *out++ = static_cast<uint8_t>(v >> 16);
    *out++ = static_cast<uint8_t>(v >> 8);
    *out++ = static_cast<uint8_t>(v);
  }
  int a = kB64Value[p[24]], b = kB64Value[p[25]], c = kB64Value[p[26]];
  bad |= a | b | c;
  if (bad < 0 || (c & 3) != 0) return false;  // the 2 left-over bits must be zero
  uint32_t v = static_cast<uint32_t>(a) << 18 | static_cast<uint32_t>(b) << 12 | static_cast<uint32_t>(c) << 6;
  *out++ = static_cast<uint8_t>(v >> 16);
  *out = static_cast<uint8_t>(v >> 8);
  return true;
}

// 20 bytes to 28 characters of padded base64.
void Encode20(const uint8_t* in, char* out) {
  size_t o = 0;
  for (size_t i = 0; i < 18; i += 3) {
    uint32_t v = uint32_t{in[i]} << 16 | uint32_t{in[i + 1]} << 8 | in[i + 2];
    out[o++] = kB64[v >> 18];
    out[o++] = kB64[(v >> 12) & 63];
    out[o++] = kB64[(v >> 6) & 63];
    out[o++] = kB64[v & 63];
  }
  uint32_t v = uint32_t{in[18]} << 16 | uint32_t{in[19]} << 8;
  out[o++] = kB64[v >> 18];
  out[o++] = kB64[(v >> 12) & 63];
  out[o++] = kB64[(v >> 6) & 63];
  out[o] = '=';
}
}  // namespace

ListMatch MatchPatternList(std::string_view text, std::string_view list, bool lower_patterns) {
  bool got_positive = false;
  std::string sub;
  size_t i = 0;
  const size_t len = list.size();
  while (i < len) {
    bool negated = list[i] == '!';
    if (negated) ++i;
    sub.clear();
    while (i < len && sub.size() < kMaxSubPatternLength && list[i] != ',') {
      sub.push_back(lower_patterns ? LowerAscii(list[i]) : list[i]);
      ++i;
    }
    if (sub.size() >= kMaxSubPatternLength) return ListMatch::kNone;
    if (i < len && list[i] == ',') ++i;
    if (MatchPattern(text, sub)) {
      if (negated) return ListMatch::kNegated;
      got_positive = true;
    }
  }
  return got_positive ? ListMatch::kPositive : ListMatch::kNone;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  AsciiLowerInPlace(&out);
  return out;
}

void AsciiLowerInPlace(std::string* s) {
  for (char& c : *s) c = LowerAscii(c);
}

ListMatch MatchHostname(std::string_view host, std::string_view list) {
  return MatchPatternList(AsciiLower(host), list, true);
}

std::string HashHostName(std::string_view name, ByteSpan salt, crypto::HmacSha1& hmac) {
  uint8_t mac[crypto::kSha1Size];
  hmac.Compute(salt, AsBytes(name), mac);
  std::string out = "|1|";
  out.reserve(kHashedHostLength);
  wire::Base64EncodeTo(salt, true, &out);
  out.push_back('|');
  wire::Base64EncodeTo(ByteSpan(mac, sizeof(mac)), true, &out);
  return out;
}

std::string HashHostName(std::string_view name, Rng& rng, crypto::HmacSha1& hmac) {
  uint8_t salt[kHostHashSaltSize];
  rng.Fill(salt);
  return HashHostName(name, ByteSpan(salt, sizeof(salt)), hmac);
}

void AppendHashedHostName(std::string_view name, Rng& rng, crypto::HmacSha1& hmac, std::string* out) {
  uint8_t salt[kHostHashSaltSize];
  rng.Fill(salt);
  uint8_t mac[crypto::kSha1Size];
  hmac.Compute(ByteSpan(salt, sizeof(salt)), AsBytes(name), mac);
  char buf[kHashedHostLength];
  std::memcpy(buf, "|1|", 3);
  Encode20(salt, buf + 3);
  buf[31] = '|';
  Encode20(mac, buf + 32);
  out->append(buf, sizeof(buf));
}

HashedMatch MatchHashedHost(std::string_view field, std::string_view name, crypto::HmacSha1& hmac) {
  // extract_salt(): "|1|", then the salt up to the next '|'.
  if (field.size() < 3 || field.substr(0, 3) != "|1|") return HashedMatch::kBadHash;
  size_t bar = field.find('|', 3);
  if (bar == std::string_view::npos) return HashedMatch::kBadHash;
  std::string_view b64salt = field.substr(3, bar - 3);
  if (b64salt.empty() || b64salt.size() > 1024) return HashedMatch::kBadHash;
  // b64_pton into a 256-byte buffer: longer output fails too, and either
  // way anything but 20 bytes is refused.
  if (b64salt.size() == 28) {
    // The common case, without allocating. A strict decode of 28 characters
    // to 20 bytes is canonical, so the text equals what host_hash() would
    // print for this salt and only the HMAC part needs comparing.
    uint8_t salt[kHostHashSaltSize];
    if (Decode28(b64salt, salt)) {
      if (field.size() != kHashedHostLength) return HashedMatch::kNoMatch;
      uint8_t mac[crypto::kSha1Size];
      hmac.Compute(ByteSpan(salt, sizeof(salt)), AsBytes(name), mac);
      char encoded[28];
      Encode20(mac, encoded);
      return std::memcmp(field.data() + 32, encoded, sizeof(encoded)) == 0 ? HashedMatch::kMatch
                                                                            : HashedMatch::kNoMatch;
    }
    // Blanks inside, or not base64 at all: the general path decides.
  }
  Bytes decoded;
  if (!wire::Base64DecodeSkippingSpaceTo(b64salt, &decoded) || decoded.size() > 256 ||
      decoded.size() != kHostHashSaltSize) {
    return HashedMatch::kBadHash;
  }
  // Recompute the whole string and compare it with the whole field.
  std::string expect = HashHostName(name, decoded, hmac);
  return expect == field ? HashedMatch::kMatch : HashedMatch::kNoMatch;
}

}  // namespace kw::formats
