// keywardd's configuration file: "name = value" lines, '#' comments, blank
// lines ignored. Every name is listed in dist/keywardd.conf, the documented
// example. Unknown names and bad values are errors naming file and line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "center/center.h"
#include "center/policy.h"

namespace kw::center {

struct Config {
  std::string listen_address = "127.0.0.1";
  uint16_t listen_port = 8180;
  std::string store = "sqlite:/var/lib/keyward/center.db";
  std::string signing_key = "/var/lib/keyward/signing_key";
  std::string tls_cert, tls_key;
  // Plain HTTP is served on loopback only, unless this is set.
  bool allow_plain_http = false;
  int threads = 0;
  size_t max_body = 1 << 20;
  int max_wait = 300;
  int sweep_interval_ms = 1000;
  // Cache renders, bundles and token lookups per revision (Center::set_caching).
  bool cache = true;
  Policy policy;
  // The 32-byte key sealing TOTP secrets (64 hex digits, 0600), made by
  // `keywardd init`. "" : "totp_key" beside the signing key.
  std::string totp_key_file;
  TotpSettings totp;
};

// Relative paths in the file (store "sqlite:REL", signing_key, TLS files)
// are taken relative to the file's directory.
StatusOr<Config> ParseConfig(std::string_view text, std::string_view file_name, std::string_view base_dir);
StatusOr<Config> LoadConfig(const std::string& path);

// Whether `address` is a loopback address (127.0.0.0/8, ::1, localhost).
bool IsLoopback(std::string_view address);

}  // namespace kw::center
