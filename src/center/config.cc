#include "center/config.h"

#include <vector>

#include "base/file.h"
#include "base/settings.h"
#include "formats/cert_time.h"

namespace kw::center {

bool IsLoopback(std::string_view a) {
  return a == "localhost" || a == "::1" || a.substr(0, 4) == "127.";
}

StatusOr<Config> ParseConfig(std::string_view text, std::string_view file_name, std::string_view base_dir) {
  Config c;
  auto apply = [&](const Setting& st) -> Status {
    std::string_view name = st.name, value = st.value;
    auto bad = [&](std::string_view what) { return st.Bad(what); };
    if (name == "listen") {
      size_t colon = value.rfind(':');
      if (colon == std::string_view::npos || !ParseSettingInt(value.substr(colon + 1), 0, 65535, &c.listen_port)) {
        return bad("expected ADDRESS:PORT");
      }
      std::string_view addr = value.substr(0, colon);
      if (addr.size() >= 2 && addr.front() == '[' && addr.back() == ']') addr = addr.substr(1, addr.size() - 2);
      c.listen_address = std::string(addr);
    } else if (name == "store") {
      if (value.substr(0, 7) == "sqlite:") {
        c.store = "sqlite:" + ResolveSettingPath(base_dir, value.substr(7));
      } else if (value.substr(0, 11) == "postgres://" || value.substr(0, 13) == "postgresql://") {
        c.store = std::string(value);
      } else {
        return bad("expected sqlite:PATH or postgres://...");
      }
    } else if (name == "signing_key") {
      c.signing_key = ResolveSettingPath(base_dir, value);
    } else if (name == "tls_cert") {
      c.tls_cert = ResolveSettingPath(base_dir, value);
    } else if (name == "tls_key") {
      c.tls_key = ResolveSettingPath(base_dir, value);
    } else if (name == "allow_plain_http") {
      if (!ParseSettingBool(value, &c.allow_plain_http)) return bad("expected yes or no");
    } else if (name == "threads") {
      if (!ParseSettingInt(value, 0, 256, &c.threads)) return bad("expected 0 to 256");
    } else if (name == "max_body") {
      if (!ParseSettingInt(value, 1024, int64_t{1} << 30, &c.max_body)) return bad("expected 1024 to 1073741824");
    } else if (name == "max_wait") {
      if (!ParseSettingInt(value, 1, 3600, &c.max_wait)) return bad("expected 1 to 3600 (seconds)");
    } else if (name == "sweep_interval_ms") {
      if (!ParseSettingInt(value, 10, 3600000, &c.sweep_interval_ms)) return bad("expected 10 to 3600000");
    } else if (name == "cache") {
      if (!ParseSettingBool(value, &c.cache)) return bad("expected yes or no");
    } else if (name == "totp_key_file") {
      c.totp_key_file = ResolveSettingPath(base_dir, value);
    } else if (name == "totp.window") {
      if (!ParseSettingInt(value, 1, 21, &c.totp.window)) return bad("expected 1 to 21 (time steps)");
    } else if (name == "totp.rate_limit_attempts") {
      if (!ParseSettingInt(value, 1, 100, &c.totp.rate_limit_attempts)) return bad("expected 1 to 100");
    } else if (name == "totp.rate_limit_interval") {
      if (!ParseSettingInt(value, 1, 3600, &c.totp.rate_limit_interval)) return bad("expected 1 to 3600 (seconds)");
    } else if (name == "totp.scratch_codes") {
      if (!ParseSettingInt(value, 0, 10, &c.totp.scratch_codes)) return bad("expected 0 to 10");
    } else if (name == "totp.issuer") {
      if (value.empty() || value.size() > 64) return bad("expected 1 to 64 characters");
      c.totp.issuer = std::string(value);
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
        std::string_view t = TrimBlanks(value.substr(p, comma - p));
        if (!t.empty()) c.policy.allowed_key_types.emplace_back(t);
        p = comma + 1;
      }
      if (c.policy.allowed_key_types.empty()) return bad("expected a comma-separated list of key types");
    } else if (name == "policy.min_rsa_bits") {
      if (!ParseSettingInt(value, 1024, 16384, &c.policy.min_rsa_bits)) return bad("expected 1024 to 16384");
    } else if (name == "policy.require_scope") {
      if (!ParseSettingBool(value, &c.policy.require_scope)) return bad("expected yes or no");
    } else {
      return st.Unknown();
    }
    return OkStatus();
  };
  KW_RETURN_IF_ERROR(ForEachSetting(text, file_name, apply));
  if (c.totp_key_file.empty()) c.totp_key_file = DirectoryOf(c.signing_key) + "/totp_key";
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return InvalidArgumentError(std::string(file_name) + ": tls_cert and tls_key go together");
  }
  return c;
}

StatusOr<Config> LoadConfig(const std::string& path) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 1 << 20));
  return ParseConfig(text, path, DirectoryOf(path));
}

}  // namespace kw::center
