// Helpers of the TOTP/PAM interop suites: throwaway PAM service files for
// pamtester, the real peers (oathtool, google-authenticator,
// pam_google_authenticator.so, pamtester) and a syslog catcher.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "support/subprocess.h"

namespace kw::interop {

// Where Debian puts PAM modules, and the real google-authenticator module.
inline constexpr const char* kPamModuleDir = "/lib/x86_64-linux-gnu/security";
inline constexpr const char* kGoogleAuthenticatorModule =
    "/lib/x86_64-linux-gnu/security/pam_google_authenticator.so";

// $KW_BUILD_DIR/lib/pam_keyward.so; kNotFound with a reason otherwise.
StatusOr<std::string> PamKeywardPath();

// Fails (a Status naming what is missing) unless every program is in PATH
// and every file exists: the suites need their peers and fail without them.
Status RequirePeers(const std::vector<std::string>& programs, const std::vector<std::string>& files = {});

// /etc/pam.d/<prefix><8 random lower-case letters and digits> with `body`,
// removed on destruction. PAM reads service files only from /etc/pam.d, so
// tests need root; it lower-cases service names, hence no upper case.
class PamService {
 public:
  static StatusOr<std::unique_ptr<PamService>> Create(const std::string& body, const std::string& prefix = "kw-test-");
  ~PamService();
  PamService(const PamService&) = delete;
  PamService& operator=(const PamService&) = delete;
  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }

 private:
  PamService(std::string name, std::string path) : name_(std::move(name)), path_(std::move(path)) {}
  std::string name_, path_;
};

struct PamtesterResult {
  bool authenticated = false;  // pamtester: "successfully authenticated", exit 0
  bool prompted = false;       // the module asked ("Verification code: " or `prompt`)
  test::SubprocessResult run;
  std::string Describe() const { return run.Describe(); }
};

// `pamtester SERVICE USER authenticate` with `answer` (and a newline) on
// its standard input; with `rhost`, PAM_RHOST set to it (-I rhost=).
// Starting pamtester at all must work (ADD_FAILURE).
PamtesterResult RunPamtester(const std::string& service, const std::string& user, const std::string& answer,
                             const std::string& prompt = "Verification code: ", const std::string& rhost = "");

// Runs oathtool with `args`; returns its stdout without the newline
// (ADD_FAILURE and "" when it fails).
std::string Oathtool(const std::vector<std::string>& args);

// Receives what syslog(3) sends to /dev/log while it lives, when nothing
// else (a system logger) owns /dev/log. A stale socket left by a crashed
// run is replaced.
class SyslogCatcher {
 public:
  static StatusOr<std::unique_ptr<SyslogCatcher>> Start();
  ~SyslogCatcher();
  SyslogCatcher(const SyslogCatcher&) = delete;
  SyslogCatcher& operator=(const SyslogCatcher&) = delete;
  // The messages received since the last call (waits briefly for stragglers).
  std::vector<std::string> Drain();

 private:
  explicit SyslogCatcher(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace kw::interop
