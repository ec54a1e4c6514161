#include "center/config.h"

#include <charconv>
#include <vector>

#include "base/file.h"
#include "formats/cert_time.h"

namespace kw::center {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

template <class T>
bool ParseNum(std::string_view v, T lo, T hi, T* out) {
  T n{};
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < lo || n > hi) return false;
  *out = n;
  return true;
}

bool ParseBool(std::string_view v, bool* out) {
  if (v == "yes" || v == "true" || v == "on") return *out = true, true;
  if (v == "no" || v == "false" || v == "off") return *out = false, true;
  return false;
}

std::string Resolve(std::string_view base_dir, std::string_view path) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return std::string(path);
  return std::string(base_dir) + "/" + std::string(path);
}

}  // namespace

bool IsLoopback(std::string_view a) {
  return a == "localhost" || a == "::1" || a.substr(0, 4) == "127.";
}

StatusOr<Config> ParseConfig(std::string_view text, std::string_view file_name, std::string_view base_dir) {
  Config c;
  size_t lineno = 0;
  for (size_t pos = 0; pos <= text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = Trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++lineno;
    if (line.empty() || line.front() == '#') continue;
    std::string where = std::string(file_name) + ":" + std::to_string(lineno) + ": ";
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return InvalidArgumentError(where + "expected \"name = value\"");
    std::string_view name = Trim(line.substr(0, eq));
    std::string_view value = Trim(line.substr(eq + 1));
    auto bad = [&](std::string_view what) {
      return InvalidArgumentError(where + std::string(name) + ": " + std::string(what));
    };
    if (name == "listen") {
      size_t colon = value.rfind(':');
      if (colon == std::string_view::npos || !ParseNum<uint16_t>(value.substr(colon + 1), 0, 65535, &c.listen_port)) {
        return bad("expected ADDRESS:PORT");
      }
      std::string_view addr = value.substr(0, colon);
      if (addr.size() >= 2 && addr.front() == '[' && addr.back() == ']') addr = addr.substr(1, addr.size() - 2);
      c.listen_address = std::string(addr);
    } else if (name == "store") {
      if (value.substr(0, 7) == "sqlite:") {
        c.store = "sqlite:" + Resolve(base_dir, value.substr(7));
      } else if (value.substr(0, 11) == "postgres://" || value.substr(0, 13) == "postgresql://") {
        c.store = std::string(value);
      } else {
        return bad("expected sqlite:PATH or postgres://...");
      }
    } else if (name == "signing_key") {
      c.signing_key = Resolve(base_dir, value);
    } else if (name == "tls_cert") {
      c.tls_cert = Resolve(base_dir, value);
    } else if (name == "tls_key") {
      c.tls_key = Resolve(base_dir, value);
    } else if (name == "allow_plain_http") {
      if (!ParseBool(value, &c.allow_plain_http)) return bad("expected yes or no");
    } else if (name == "threads") {
      if (!ParseNum(value, 0, 256, &c.threads)) return bad("expected 0 to 256");
    } else if (name == "max_body") {
      if (!ParseNum<size_t>(value, 1024, size_t{1} << 30, &c.max_body)) return bad("expected 1024 to 1073741824");
    } else if (name == "max_wait") {
      if (!ParseNum(value, 1, 3600, &c.max_wait)) return bad("expected 1 to 3600 (seconds)");
    } else if (name == "sweep_interval_ms") {
      if (!ParseNum(value, 10, 3600000, &c.sweep_interval_ms)) return bad("expected 10 to 3600000");
    } else if (name == "cache") {
      if (!ParseBool(value, &c.cache)) return bad("expected yes or no");
    } else if (name == "policy.max_key_age") {
      if (value == "0" || value == "none") {
        c.policy.max_key_age = 0;
      } else {
        auto span = formats::ParseTimeSpan(value);
        if (!span || *span <= 0) return bad("expected a time span such as 90d, 12w or none");
        c.policy.max_key_age = *span;
      }
    } else if (name == "policy.allowed_key_types") {
      c.policy.allowed_key_types.clear();
      for (size_t p = 0; p <= value.size();) {
        size_t comma = value.find(',', p);
        if (comma == std::string_view::npos) comma = value.size();
        std::string_view t = Trim(value.substr(p, comma - p));
        if (!t.empty()) c.policy.allowed_key_types.emplace_back(t);
        p = comma + 1;
      }
      if (c.policy.allowed_key_types.empty()) return bad("expected a comma-separated list of key types");
    } else if (name == "policy.min_rsa_bits") {
      if (!ParseNum(value, 1024, 16384, &c.policy.min_rsa_bits)) return bad("expected 1024 to 16384");
    } else if (name == "policy.require_scope") {
      if (!ParseBool(value, &c.policy.require_scope)) return bad("expected yes or no");
    } else {
      return InvalidArgumentError(where + "unknown setting \"" + std::string(name) + "\"");
    }
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return InvalidArgumentError(std::string(file_name) + ": tls_cert and tls_key go together");
  }
  return c;
}

StatusOr<Config> LoadConfig(const std::string& path) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 1 << 20));
  std::string dir = ".";
  size_t slash = path.rfind('/');
  if (slash != std::string::npos) dir = slash == 0 ? "/" : path.substr(0, slash);
  return ParseConfig(text, path, dir);
}

}  // namespace kw::center
