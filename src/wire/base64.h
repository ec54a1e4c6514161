// Base64 (RFC 4648 §4, the standard alphabet) as OpenSSH uses it.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace kw::wire {

// With '=' padding.
std::string Base64Encode(ByteSpan data);
// Without trailing '=' (SHA256 fingerprints).
std::string Base64EncodeUnpadded(ByteSpan data);
// Appends to *out (hot paths reuse one buffer).
void Base64EncodeTo(ByteSpan data, bool pad, std::string* out);

// Strict decode, as OpenSSH's b64_pton: the standard alphabet, whole
// 4-character quanta, '=' padding required, no whitespace.
StatusOr<Bytes> Base64Decode(std::string_view text);
// Decodes into *out (cleared first). Returns false on invalid input.
bool Base64DecodeTo(std::string_view text, Bytes* out);

// As Base64DecodeTo after removing white space (\t \n \v \f \r and
// space), which OpenSSH's b64_pton skips: a CRLF key line's blob ends in \r.
bool Base64DecodeSkippingSpaceTo(std::string_view text, Bytes* out);

// Splits base64 into lines of `width` characters, each ending in '\n'.
std::string WrapLines(std::string_view text, size_t width);

}  // namespace kw::wire
