// Configuration files of "name = value" lines, as keywardd.conf and
// agent.conf are written: '#' starts a comment line, blank lines are
// ignored, blanks around the name and the value are not part of them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace kw {

// One setting: its name and value, and "FILE:LINE: " to start an error with.
struct Setting {
  std::string_view name;
  std::string_view value;
  std::string where;

  // kInvalidArgument "FILE:LINE: NAME: WHAT".
  Status Bad(std::string_view what) const;
  // kInvalidArgument "FILE:LINE: unknown setting "NAME"".
  Status Unknown() const;
};

// Calls `on_setting` for each setting of `text` (read from `file_name`), in
// order; stops at its first error. A line without '=' is an error.
Status ForEachSetting(std::string_view text, std::string_view file_name,
                      const std::function<Status(const Setting&)>& on_setting);

// yes/true/on or no/false/off.
bool ParseSettingBool(std::string_view v, bool* out);
// A decimal integer in [lo, hi], nothing else.
bool ParseSettingInt(std::string_view v, int64_t lo, int64_t hi, int64_t* out);
template <class T>
bool ParseSettingInt(std::string_view v, int64_t lo, int64_t hi, T* out) {
  int64_t n = 0;
  if (!ParseSettingInt(v, lo, hi, &n)) return false;
  *out = static_cast<T>(n);
  return true;
}
// `path` taken relative to `base_dir` unless absolute (or base_dir empty).
std::string ResolveSettingPath(std::string_view base_dir, std::string_view path);
// Blanks (space, tab, CR) removed from both ends.
std::string_view TrimBlanks(std::string_view s);
// Line breaks (CR, LF) removed from the end: a one-line file's content.
inline std::string_view TrimLineBreaks(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace kw
