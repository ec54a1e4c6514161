// Request targets (RFC 9112 §3.2, origin-form): "/path?query".
//
// The path is percent-decoded (RFC 3986 §2.1); the query is split on '&'
// into name=value pairs, each percent-decoded with '+' as a space (the
// application/x-www-form-urlencoded convention). Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace kw::net {

struct Target {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;  // in order, repeats kept
};

// Decodes %XX escapes; with plus_as_space, '+' becomes ' '. kInvalidArgument
// for a truncated or non-hex escape and for an encoded NUL ("%00"), which no
// route or value of ours may contain.
StatusOr<std::string> PercentDecode(std::string_view s, bool plus_as_space);

// Splits and decodes an origin-form target. A parameter without '=' has the
// value ""; empty pieces ("a=1&&b=2") are skipped; a "#fragment" is dropped.
// kInvalidArgument for a target that does not start with '/' (absolute-form,
// "*") or that holds a bad escape.
StatusOr<Target> ParseTarget(std::string_view target);

}  // namespace kw::net
