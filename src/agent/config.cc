#include "agent/config.h"

#include "base/file.h"
#include "base/settings.h"

namespace kw::agent {

StatusOr<AgentConfig> ParseAgentConfig(std::string_view text, std::string_view file_name, std::string_view base_dir) {
  AgentConfig c;
  auto apply = [&](const Setting& st) -> Status {
    std::string_view v = st.value;
    if (st.name == "server") {
      if (!v.starts_with("http://") && !v.starts_with("https://")) return st.Bad("expected an http:// or https:// URL");
      while (v.ends_with('/')) v.remove_suffix(1);
      c.server = std::string(v);
    } else if (st.name == "ca_file") {
      c.ca_file = ResolveSettingPath(base_dir, v);
    } else if (st.name == "state_dir") {
      c.state_dir = ResolveSettingPath(base_dir, v);
    } else if (st.name == "install_dir") {
      c.install_dir = ResolveSettingPath(base_dir, v);
    } else if (st.name == "host_key_dir") {
      c.host_key_dir = ResolveSettingPath(base_dir, v);
    } else if (st.name == "wait") {
      if (!ParseSettingInt(v, 1, 3600, &c.wait)) return st.Bad("expected 1 to 3600 (seconds)");
    } else if (st.name == "backoff_min") {
      if (!ParseSettingInt(v, 1, 3600, &c.backoff_min)) return st.Bad("expected 1 to 3600 (seconds)");
    } else if (st.name == "backoff_max") {
      if (!ParseSettingInt(v, 1, 86400, &c.backoff_max)) return st.Bad("expected 1 to 86400 (seconds)");
    } else if (st.name == "timeout") {
      if (!ParseSettingInt(v, 1, 600, &c.timeout)) return st.Bad("expected 1 to 600 (seconds)");
    } else {
      return st.Unknown();
    }
    if ((st.name == "state_dir" || st.name == "install_dir" || st.name == "host_key_dir") && v.empty()) {
      return st.Bad("expected a directory");
    }
    return OkStatus();
  };
  KW_RETURN_IF_ERROR(ForEachSetting(text, file_name, apply));
  if (c.backoff_max < c.backoff_min) {
    return InvalidArgumentError(std::string(file_name) + ": backoff_max is below backoff_min");
  }
  return c;
}

StatusOr<AgentConfig> LoadAgentConfig(const std::string& path) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 1 << 20));
  return ParseAgentConfig(text, path, DirectoryOf(path));
}

}  // namespace kw::agent
