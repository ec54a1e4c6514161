#include "base/settings.h"

#include <charconv>

namespace kw {

Status Setting::Bad(std::string_view what) const {
  return InvalidArgumentError(where + std::string(name) + ": " + std::string(what));
}

Status Setting::Unknown() const { return InvalidArgumentError(where + "unknown setting \"" + std::string(name) + "\""); }

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

Status ForEachSetting(std::string_view text, std::string_view file_name,
                      const std::function<Status(const Setting&)>& on_setting) {
  size_t lineno = 0;
  for (size_t pos = 0; pos <= text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = TrimBlanks(text.substr(pos, end - pos));
    pos = end + 1;
    ++lineno;
    if (line.empty() || line.front() == '#') continue;
    Setting s;
    s.where = std::string(file_name) + ":" + std::to_string(lineno) + ": ";
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return InvalidArgumentError(s.where + "expected \"name = value\"");
    s.name = TrimBlanks(line.substr(0, eq));
    s.value = TrimBlanks(line.substr(eq + 1));
    KW_RETURN_IF_ERROR(on_setting(s));
  }
  return OkStatus();
}

bool ParseSettingBool(std::string_view v, bool* out) {
  if (v == "yes" || v == "true" || v == "on") return *out = true, true;
  if (v == "no" || v == "false" || v == "off") return *out = false, true;
  return false;
}

bool ParseSettingInt(std::string_view v, int64_t lo, int64_t hi, int64_t* out) {
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size() || n < lo || n > hi) return false;
  *out = n;
  return true;
}

std::string ResolveSettingPath(std::string_view base_dir, std::string_view path) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return std::string(path);
  return std::string(base_dir) + "/" + std::string(path);
}

}  // namespace kw
