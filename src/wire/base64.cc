#include "wire/base64.h"

#include <array>

namespace kw::wire {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr auto kDecode = MakeDecodeTable();

}  // namespace

void Base64EncodeTo(ByteSpan d, bool pad, std::string* out) {
  size_t start = out->size();
  out->resize(start + (d.size() + 2) / 3 * 4);
  char* p = out->data() + start;
  size_t i = 0;
  for (; i + 3 <= d.size(); i += 3) {
    uint32_t v = uint32_t{d[i]} << 16 | uint32_t{d[i + 1]} << 8 | d[i + 2];
    *p++ = kAlphabet[v >> 18];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = kAlphabet[(v >> 6) & 63];
    *p++ = kAlphabet[v & 63];
  }
  size_t rest = d.size() - i;
  if (rest == 1) {
    uint32_t v = uint32_t{d[i]} << 16;
    *p++ = kAlphabet[v >> 18];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = '=';
    *p++ = '=';
  } else if (rest == 2) {
    uint32_t v = uint32_t{d[i]} << 16 | uint32_t{d[i + 1]} << 8;
    *p++ = kAlphabet[v >> 18];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = kAlphabet[(v >> 6) & 63];
    *p++ = '=';
  }
  if (!pad) {
    while (out->size() > start && out->back() == '=') out->pop_back();
  }
}

std::string Base64Encode(ByteSpan data) {
  std::string out;
  Base64EncodeTo(data, true, &out);
  return out;
}

std::string Base64EncodeUnpadded(ByteSpan data) {
  std::string out;
  Base64EncodeTo(data, false, &out);
  return out;
}

bool Base64DecodeTo(std::string_view text, Bytes* out) {
  // As OpenSSH's b64_pton: whole quanta only, '=' padding required, and the
  // bits a padded quantum leaves over must be zero.
  out->clear();
  if (text.size() % 4 != 0) return false;
  size_t n = text.size();
  size_t pad = 0;
  while (n > 0 && text[n - 1] == '=' && pad < 2) {
    --n;
    ++pad;
  }
  out->resize(n * 3 / 4);
  uint8_t* o = out->data();
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    int32_t a = kDecode[static_cast<uint8_t>(text[i])], b = kDecode[static_cast<uint8_t>(text[i + 1])],
            c = kDecode[static_cast<uint8_t>(text[i + 2])], d = kDecode[static_cast<uint8_t>(text[i + 3])];
    if ((a | b | c | d) < 0) return false;
    uint32_t v = static_cast<uint32_t>(a << 18 | b << 12 | c << 6 | d);
    *o++ = static_cast<uint8_t>(v >> 16);
    *o++ = static_cast<uint8_t>(v >> 8);
    *o++ = static_cast<uint8_t>(v);
  }
  if (pad == 2) {
    int32_t a = kDecode[static_cast<uint8_t>(text[i])], b = kDecode[static_cast<uint8_t>(text[i + 1])];
    if ((a | b) < 0 || (b & 15) != 0) return false;
    *o++ = static_cast<uint8_t>(a << 2 | b >> 4);
  } else if (pad == 1) {
    int32_t a = kDecode[static_cast<uint8_t>(text[i])], b = kDecode[static_cast<uint8_t>(text[i + 1])],
            c = kDecode[static_cast<uint8_t>(text[i + 2])];
    if ((a | b | c) < 0 || (c & 3) != 0) return false;
    *o++ = static_cast<uint8_t>(a << 2 | b >> 4);
    *o++ = static_cast<uint8_t>((b & 15) << 4 | c >> 2);
  }
  out->resize(static_cast<size_t>(o - out->data()));
  return true;
}

bool Base64DecodeSkippingSpaceTo(std::string_view text, Bytes* out) {
  // Base64DecodeTo rejects every white-space character, so text it accepts
  // holds none: only a failure needs the look for white space.
  if (Base64DecodeTo(text, out)) return true;
  auto is_space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  bool any = false;
  for (char c : text) any = any || is_space(c);
  if (!any) return false;
  std::string compact;
  for (char c : text)
    if (!is_space(c)) compact += c;
  return Base64DecodeTo(compact, out);
}

StatusOr<Bytes> Base64Decode(std::string_view text) {
  Bytes out;
  if (!Base64DecodeTo(text, &out)) return InvalidArgumentError("invalid base64");
  return out;
}

std::string WrapLines(std::string_view text, size_t width) {
  std::string out;
  out.reserve(text.size() + text.size() / width + 1);
  for (size_t i = 0; i < text.size(); i += width) {
    out.append(text.substr(i, width));
    out.push_back('\n');
  }
  return out;
}

}  // namespace kw::wire
