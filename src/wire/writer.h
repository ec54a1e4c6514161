// wire::Writer: appends SSH wire encodings (RFC 4251 §5) to a byte buffer.
// Mirrors wire::Reader field for field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"

namespace kw::wire {

class Writer {
 public:
  Writer() = default;

  void U8(uint8_t v) { buf_.push_back(v); }
  void Bool(bool v) { U8(v ? 1 : 0); }
  void U32(uint32_t v);
  void U64(uint64_t v);
  void Raw(ByteSpan b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
  void Raw(std::string_view s) { Raw(AsBytes(s)); }
  void String(ByteSpan b);
  void String(std::string_view s) { String(AsBytes(s)); }
  // A non-negative integer given as big-endian magnitude (leading zeros are
  // stripped; a 0x00 is prepended when the high bit is set).
  void MpintPositive(ByteSpan magnitude);
  void NameList(const std::vector<std::string>& names);

  size_t size() const { return buf_.size(); }
  const Bytes& bytes() const { return buf_; }
  Bytes Take() { return std::move(buf_); }
  // Direct access, for writers that patch or wipe what they wrote.
  Bytes& buffer() { return buf_; }

 private:
  Bytes buf_;
};

}  // namespace kw::wire
