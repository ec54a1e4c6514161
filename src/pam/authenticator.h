// What pam_keyward does for pam_sm_authenticate, with PAM itself behind a
// small interface so the whole flow runs in unit tests:
//
//   options -> user -> (center=: deny, not available) -> account ->
//   secret file (as the owner: fs uid dropped) -> RATE_LIMIT -> prompt ->
//   verify -> write state back -> log -> PAM result
//
// Results follow pam_google_authenticator: PAM_SUCCESS for an accepted code,
// PAM_IGNORE for a missing file with nullok (nothing asked), PAM_AUTH_ERR
// otherwise -- including every error on the way (fail closed). Without a
// usable secret the user is still asked, so the answer does not tell an
// attacker whether the account has a file.
//
// Log lines name the user and the outcome; never the code, the answer or
// the secret.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "base/status.h"

namespace kw::pam {

// PAM's answers, independent of <security/pam_modules.h>.
enum class PamResult { kSuccess, kAuthErr, kIgnore, kUserUnknown, kServiceErr };

enum class LogLevel { kErr, kWarning, kNotice, kInfo, kDebug };

// The PAM handle, as the flow needs it.
class PamEnv {
 public:
  virtual ~PamEnv() = default;
  // PAM_USER (asking the application if needed).
  virtual StatusOr<std::string> User() = 0;
  // One question through the application's conversation function. The
  // answer is wiped by the caller after use.
  virtual StatusOr<std::string> Ask(const std::string& prompt, bool echo) = 0;
  // PAM_AUTHTOK as a module before this one left it (try/use_first_pass).
  virtual std::optional<std::string> AuthTok() = 0;
  virtual void SetAuthTok(const std::string& token) = 0;
  virtual void Log(LogLevel level, const std::string& message) = 0;
  virtual int64_t Now() = 0;
};

PamResult Authenticate(PamEnv& env, std::span<const char* const> args);

}  // namespace kw::pam
