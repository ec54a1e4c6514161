// A keywardd started from the build tree for black-box tests: its own
// directory, config, signing key and admin token; stopped at destruction.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "net/http_client.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace kw::test {

struct CenterOptions {
  std::string store;             // "" : sqlite in the temp dir
  std::string extra_config;      // appended lines ("policy.max_key_age = 1h\n")
  std::string dir;               // "" : a new temp dir; else reuse (restart)
  bool init = true;
  // The log file in dir (a second instance on the same dir needs its own).
  std::string log_name = "keywardd.log";
};

struct Reply {
  int status = 0;
  std::string body;
  nlohmann::json json;  // parsed body (null when not JSON)
  std::string etag;
};

class CenterProcess {
 public:
  static StatusOr<std::unique_ptr<CenterProcess>> Start(const CenterOptions& options);
  ~CenterProcess();

  const std::string& url() const { return url_; }
  const std::string& admin_token() const { return admin_token_; }
  const std::string& dir() const { return dir_; }
  const std::string& signing_pub() const { return signing_pub_; }
  std::string log() const;
  BackgroundProcess& process() { return *process_; }

  // A request with a bearer token ("" for none); body sent as JSON when set.
  Reply Call(const std::string& method, const std::string& path, const std::string& token,
             const std::optional<nlohmann::json>& body = std::nullopt,
             const std::vector<std::pair<std::string, std::string>>& headers = {}) const;
  Reply Admin(const std::string& method, const std::string& path,
              const std::optional<nlohmann::json>& body = std::nullopt) const {
    return Call(method, path, admin_token_, body);
  }
  // A raw body (not JSON-encoded).
  Reply CallRaw(const std::string& method, const std::string& path, const std::string& token,
                const std::string& body) const;

 private:
  CenterProcess() = default;
  Reply Send(const std::string& method, const std::string& path, const std::string& token, const std::string& body,
             std::vector<std::pair<std::string, std::string>> headers) const;
  std::optional<TempDir> owned_dir_;
  std::string dir_, url_, admin_token_, signing_pub_, log_path_;
  std::optional<BackgroundProcess> process_;
  net::HttpClient client_{net::ClientOptions{}};
};

}  // namespace kw::test
