// wire::Reader: a bounds-checked cursor over SSH wire data (RFC 4251 §5).
//
// Every read checks the remaining length; a failed read returns an error
// naming what was being read and leaves the cursor where it was. A nested
// length-prefixed blob becomes a child Reader; ExpectEnd() rejects trailing
// bytes. The Reader borrows the bytes: they must outlive it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace kw::wire {

// Largest mpint we accept, in bytes (16384-bit RSA plus a sign byte), as
// OpenSSH's SSHBUF_MAX_BIGNUM.
inline constexpr size_t kMaxMpintBytes = 16384 / 8 + 1;

class Reader {
 public:
  explicit Reader(ByteSpan data) : data_(data) {}
  explicit Reader(std::string_view data) : data_(AsBytes(data)) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  bool empty() const { return remaining() == 0; }
  // The bytes not read yet.
  ByteSpan rest() const { return data_.subspan(pos_); }
  // The bytes read so far.
  ByteSpan consumed() const { return data_.first(pos_); }

  StatusOr<uint8_t> ReadU8(std::string_view what = "byte");
  StatusOr<bool> ReadBool(std::string_view what = "boolean");
  StatusOr<uint32_t> ReadU32(std::string_view what = "uint32");
  StatusOr<uint64_t> ReadU64(std::string_view what = "uint64");
  // Exactly n raw bytes.
  StatusOr<ByteSpan> ReadRaw(size_t n, std::string_view what = "bytes");
  // A uint32 length and that many bytes.
  StatusOr<ByteSpan> ReadString(std::string_view what = "string");
  // As ReadString, but the contents must not contain NUL (names, comments).
  StatusOr<std::string_view> ReadText(std::string_view what = "string");
  // A string parsed as a nested reader.
  StatusOr<Reader> ReadChild(std::string_view what = "string");
  // An mpint that must be non-negative; returns its magnitude, big-endian,
  // without leading zeros (so 0 is empty). Leading zero bytes on input are
  // accepted and stripped, as OpenSSH does.
  StatusOr<ByteSpan> ReadMpintPositive(std::string_view what = "mpint");
  // A comma-separated name-list (RFC 4251 §5).
  StatusOr<std::vector<std::string>> ReadNameList(std::string_view what = "name-list");

  // Error unless every byte was consumed.
  Status ExpectEnd(std::string_view what = "data") const;

 private:
  Status Short(std::string_view what, size_t need) const;
  ByteSpan data_;
  size_t pos_ = 0;
};

}  // namespace kw::wire
