// RFC 3986 percent-encoding, for URLs (net::UrlEncode) and otpauth:// URIs.
#pragma once

#include <string>
#include <string_view>

namespace kw {

// Unreserved characters (A-Z a-z 0-9 - . _ ~, §2.3) and those in `keep`
// stay; every other byte becomes %XX (upper-case hex).
std::string PercentEncode(std::string_view text, std::string_view keep = "");

}  // namespace kw
