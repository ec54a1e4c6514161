// pam_keyward.so: the PAM entry points. Thin: adapt the PAM handle to
// PamEnv and translate the result (to_pam_result). Everything else is in
// authenticator.cc.
#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <syslog.h>

#include <cstdlib>
#include <cstring>
#include <span>
#include <string>

#include "base/bytes.h"
#include "base/clock.h"
#include "pam/authenticator.h"

namespace kw::pam {
namespace {

int ToPamResult(PamResult r) {
  switch (r) {
    case PamResult::kSuccess: return PAM_SUCCESS;
    case PamResult::kIgnore: return PAM_IGNORE;
    case PamResult::kUserUnknown: return PAM_USER_UNKNOWN;
    case PamResult::kServiceErr: return PAM_SERVICE_ERR;
    case PamResult::kAuthErr: return PAM_AUTH_ERR;
  }
  return PAM_AUTH_ERR;
}

int ToSyslog(LogLevel l) {
  switch (l) {
    case LogLevel::kErr: return LOG_ERR;
    case LogLevel::kWarning: return LOG_WARNING;
    case LogLevel::kNotice: return LOG_NOTICE;
    case LogLevel::kInfo: return LOG_INFO;
    case LogLevel::kDebug: return LOG_DEBUG;
  }
  return LOG_ERR;
}

class HandleEnv final : public PamEnv {
 public:
  explicit HandleEnv(pam_handle_t* pamh) : pamh_(pamh) {}

  StatusOr<std::string> User() override {
    const char* user = nullptr;
    int rc = pam_get_user(pamh_, &user, nullptr);
    if (rc != PAM_SUCCESS || user == nullptr) return UnavailableError(pam_strerror(pamh_, rc));
    return std::string(user);
  }

  StatusOr<std::string> Ask(const std::string& prompt, bool echo) override {
    const void* item = nullptr;
    if (pam_get_item(pamh_, PAM_CONV, &item) != PAM_SUCCESS || item == nullptr) {
      return UnavailableError("no conversation function");
    }
    const auto* conv = static_cast<const struct pam_conv*>(item);
    if (conv->conv == nullptr) return UnavailableError("no conversation function");
    struct pam_message msg;
    msg.msg_style = echo ? PAM_PROMPT_ECHO_ON : PAM_PROMPT_ECHO_OFF;
    msg.msg = prompt.c_str();
    const struct pam_message* msgs[1] = {&msg};
    struct pam_response* resp = nullptr;
    int rc = conv->conv(1, msgs, &resp, conv->appdata_ptr);
    std::string answer;
    bool got = rc == PAM_SUCCESS && resp != nullptr && resp[0].resp != nullptr;
    if (got) answer = resp[0].resp;
    if (resp != nullptr) {
      if (resp[0].resp != nullptr) {
        SecureWipe(resp[0].resp, std::strlen(resp[0].resp));
        std::free(resp[0].resp);
      }
      std::free(resp);
    }
    if (!got) return UnavailableError(rc == PAM_SUCCESS ? "no answer" : pam_strerror(pamh_, rc));
    return answer;
  }

  std::optional<std::string> AuthTok() override {
    const void* item = nullptr;
    if (pam_get_item(pamh_, PAM_AUTHTOK, &item) != PAM_SUCCESS || item == nullptr) return std::nullopt;
    return std::string(static_cast<const char*>(item));
  }

  void SetAuthTok(const std::string& token) override { pam_set_item(pamh_, PAM_AUTHTOK, token.c_str()); }

  void Log(LogLevel level, const std::string& message) override {
    pam_syslog(pamh_, ToSyslog(level), "%s", message.c_str());
  }

  int64_t Now() override { return SystemClock::Get().NowUnix(); }
  std::optional<std::string> RemoteHost() override {
    const void* item = nullptr;
    if (pam_get_item(pamh_, PAM_RHOST, &item) != PAM_SUCCESS || item == nullptr) return std::nullopt;
    std::string host = static_cast<const char*>(item);
    if (host.empty()) return std::nullopt;
    return host;
  }

 private:
  pam_handle_t* pamh_;
};

}  // namespace
}  // namespace kw::pam

extern "C" {

PAM_EXTERN int pam_sm_authenticate(pam_handle_t* pamh, int /*flags*/, int argc, const char** argv) {
  // No C++ exception may cross into the C caller (only the library could
  // throw, e.g. std::bad_alloc): deny instead.
  try {
    kw::pam::HandleEnv env(pamh);
    std::span<const char* const> args(argv, argc > 0 ? static_cast<size_t>(argc) : 0);
    return kw::pam::ToPamResult(kw::pam::Authenticate(env, args));
  } catch (...) {
    pam_syslog(pamh, LOG_CRIT, "internal error; denying");
    return PAM_AUTH_ERR;
  }
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t* /*pamh*/, int /*flags*/, int /*argc*/, const char** /*argv*/) {
  return PAM_SUCCESS;
}

}  // extern "C"
