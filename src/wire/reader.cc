#include "wire/reader.h"

#include <cstring>

namespace kw::wire {

Status Reader::Short(std::string_view what, size_t need) const {
  return InvalidArgumentError("truncated " + std::string(what) + ": need " + std::to_string(need) +
                              " bytes, have " + std::to_string(remaining()));
}

StatusOr<uint8_t> Reader::ReadU8(std::string_view what) {
  if (remaining() < 1) return Short(what, 1);
  return data_[pos_++];
}

StatusOr<bool> Reader::ReadBool(std::string_view what) {
  KW_ASSIGN_OR_RETURN(uint8_t b, ReadU8(what));
  return b != 0;
}

StatusOr<uint32_t> Reader::ReadU32(std::string_view what) {
  if (remaining() < 4) return Short(what, 4);
  const uint8_t* p = data_.data() + pos_;
  pos_ += 4;
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

StatusOr<uint64_t> Reader::ReadU64(std::string_view what) {
  if (remaining() < 8) return Short(what, 8);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | data_[pos_ + i];
  pos_ += 8;
  return v;
}

StatusOr<ByteSpan> Reader::ReadRaw(size_t n, std::string_view what) {
  if (remaining() < n) return Short(what, n);
  ByteSpan out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

StatusOr<ByteSpan> Reader::ReadString(std::string_view what) {
  size_t start = pos_;
  KW_ASSIGN_OR_RETURN(uint32_t len, ReadU32(what));
  if (remaining() < len) {
    Status s = InvalidArgumentError("truncated " + std::string(what) + ": length " + std::to_string(len) +
                                    " but " + std::to_string(remaining()) + " bytes left");
    pos_ = start;
    return s;
  }
  ByteSpan out = data_.subspan(pos_, len);
  pos_ += len;
  return out;
}

StatusOr<std::string_view> Reader::ReadText(std::string_view what) {
  size_t start = pos_;
  KW_ASSIGN_OR_RETURN(ByteSpan s, ReadString(what));
  if (std::memchr(s.data(), 0, s.size()) != nullptr) {
    pos_ = start;
    return InvalidArgumentError(std::string(what) + " contains a NUL byte");
  }
  return AsChars(s);
}

StatusOr<Reader> Reader::ReadChild(std::string_view what) {
  KW_ASSIGN_OR_RETURN(ByteSpan s, ReadString(what));
  return Reader(s);
}

StatusOr<ByteSpan> Reader::ReadMpintPositive(std::string_view what) {
  size_t start = pos_;
  KW_ASSIGN_OR_RETURN(ByteSpan s, ReadString(what));
  if (s.size() > kMaxMpintBytes) {
    pos_ = start;
    return OutOfRangeError(std::string(what) + " too large (" + std::to_string(s.size()) + " bytes)");
  }
  if (!s.empty() && (s[0] & 0x80) != 0) {
    pos_ = start;
    return InvalidArgumentError(std::string(what) + " is negative");
  }
  size_t skip = 0;
  while (skip < s.size() && s[skip] == 0) ++skip;
  return s.subspan(skip);
}

StatusOr<std::vector<std::string>> Reader::ReadNameList(std::string_view what) {
  KW_ASSIGN_OR_RETURN(std::string_view text, ReadText(what));
  std::vector<std::string> out;
  if (text.empty()) return out;
  size_t i = 0;
  while (true) {
    size_t comma = text.find(',', i);
    std::string_view name = text.substr(i, comma == std::string_view::npos ? std::string_view::npos : comma - i);
    if (name.empty()) return InvalidArgumentError(std::string(what) + " has an empty name");
    out.emplace_back(name);
    if (comma == std::string_view::npos) break;
    i = comma + 1;
  }
  return out;
}

Status Reader::ExpectEnd(std::string_view what) const {
  if (remaining() != 0)
    return InvalidArgumentError(std::to_string(remaining()) + " trailing bytes after " + std::string(what));
  return OkStatus();
}

}  // namespace kw::wire
