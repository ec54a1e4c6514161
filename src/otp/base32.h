// Base32 (RFC 4648 §6) as TOTP secrets use it, and as google-authenticator's
// PAM module reads it.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "base/status.h"

namespace kw::otp {

// Upper case A-Z2-7, no '=' padding (what google-authenticator writes and the
// Key Uri Format asks for). A trailing partial group is zero-filled.
std::string Base32Encode(ByteSpan data);

// Decodes text the way google-authenticator's module does:
//  - space, tab, CR, LF and '-' are skipped anywhere;
//  - lower case is accepted;
//  - the look-alikes 0, 1 and 8 read as O, L and B;
//  - any other character (including '=') is an error naming its offset;
//  - bits of a trailing partial byte are dropped.
// An input without a single whole byte is an error too (an empty secret).
// The result is a secret: it is wiped when dropped.
StatusOr<SecretBytes> Base32Decode(std::string_view text);

// As Base32Decode, but first drops trailing '=' padding (RFC 4648 §6). For
// otpauth:// URIs, whose writers sometimes pad.
StatusOr<SecretBytes> Base32DecodePadded(std::string_view text);

}  // namespace kw::otp
