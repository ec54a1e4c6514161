// keyward-agent's configuration file (/etc/keyward/agent.conf): "name = value"
// lines (base/settings.h). Every name is listed in dist/agent.conf, the
// documented example. Unknown names and bad values are errors naming file
// and line.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace kw::agent {

struct AgentConfig {
  std::string server;   // the key center's URL; empty: the one enrolled with
  std::string ca_file;  // PEM bundle for the center's TLS certificate; empty: the system's
  std::string state_dir = "/var/lib/keyward-agent";
  std::string install_dir = "/etc/ssh/keyward";
  std::string host_key_dir = "/etc/ssh";
  int wait = 55;          // seconds the center holds a long poll
  int backoff_min = 1;    // seconds before the first retry
  int backoff_max = 60;   // the longest pause between retries
  int timeout = 10;       // seconds for a request, besides a long poll's wait
};

// Relative paths are taken from `base_dir` (the file's directory).
StatusOr<AgentConfig> ParseAgentConfig(std::string_view text, std::string_view file_name, std::string_view base_dir);
StatusOr<AgentConfig> LoadAgentConfig(const std::string& path);

}  // namespace kw::agent
