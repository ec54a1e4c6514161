// Host patterns as OpenSSH 9.2 matches them (match.c, hostfile.c): '*' and
// '?' globs, comma-separated lists with '!' negation, case folding of host
// names, and hashed host names "|1|salt|hash" (HMAC-SHA1).
//
// OpenSSH works on C strings, so callers pass text that holds no NUL byte
// (known_hosts lines are cut at their first NUL before they get here).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/rng.h"
#include "crypto/hmac_sha1.h"

namespace kw::formats {

// A sub-pattern this long or longer makes the whole list fail to match
// (match_pattern_list's 1024-byte buffer).
inline constexpr size_t kMaxSubPatternLength = 1023;
// The salt of a hashed host name, in bytes (the SHA1 output size).
inline constexpr size_t kHostHashSaltSize = crypto::kSha1Size;
// The length of "|1|" + base64(20) + "|" + base64(20).
inline constexpr size_t kHashedHostLength = 3 + 28 + 1 + 28;

// '*' matches any run of bytes (also none), '?' exactly one byte, every
// other byte itself. Case-sensitive. Same result as OpenSSH's recursive
// match_pattern, computed without recursion (linear space, no blow-up).
bool MatchPattern(std::string_view text, std::string_view pattern);

enum class ListMatch : int8_t {
  kNegated = -1,  // a "!pattern" matched: the list refuses, whatever else matched
  kNone = 0,
  kPositive = 1,
};

// match_pattern_list: `list` is comma-separated sub-patterns, each maybe
// preceded by '!'. Evaluated left to right: the first negated match returns
// kNegated at once; an over-long sub-pattern returns kNone at once.
// `lower_patterns` lower-cases the patterns (ASCII) before matching.
ListMatch MatchPatternList(std::string_view text, std::string_view list, bool lower_patterns);

// match_hostname: the host lower-cased, matched against the lower-cased list.
ListMatch MatchHostname(std::string_view host, std::string_view list);

// ASCII lower-casing, as OpenSSH's lowercase() in the C or a UTF-8 locale.
std::string AsciiLower(std::string_view s);
void AsciiLowerInPlace(std::string* s);

// --- Hashed host names (hostfile.c host_hash, extract_salt) ---------------

// "|1|" + base64(salt) + "|" + base64(HMAC-SHA1(salt, name)). `salt` must be
// kHostHashSaltSize bytes. `name` is hashed as given (callers lower-case it
// first where OpenSSH does).
std::string HashHostName(std::string_view name, ByteSpan salt, crypto::HmacSha1& hmac);
// The same with a fresh salt from `rng`.
std::string HashHostName(std::string_view name, Rng& rng, crypto::HmacSha1& hmac);
// Appends it to *out (the hot path of hashing a whole file).
void AppendHashedHostName(std::string_view name, Rng& rng, crypto::HmacSha1& hmac, std::string* out);

enum class HashedMatch : uint8_t {
  kNoMatch,
  kMatch,
  kBadHash,  // not "|1|<salt>|...", or a salt that is not 20 bytes of base64
};

// match_maybe_hashed for a field that starts with '|': the salt is taken
// from the field, `name` hashed with it, and the whole recomputed string
// compared with the whole field.
HashedMatch MatchHashedHost(std::string_view field, std::string_view name, crypto::HmacSha1& hmac);

// True for the bytes C's isspace() accepts in the C locale.
inline bool IsCSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

}  // namespace kw::formats
