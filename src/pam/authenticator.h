// What pam_keyward does for pam_sm_authenticate, with PAM itself behind a
// small interface so the whole flow runs in unit tests:
//
//   options -> user -> account -> secret file (as the owner: fs uid
//   dropped) -> RATE_LIMIT -> prompt -> verify -> write state back -> log
//   -> PAM result
//
// With center=URL the key center holds the secret and the state:
//
//   options -> user -> host token (token_file) -> prompt ->
//   POST URL/api/v1/totp/verify {"user","code"} -> log -> PAM result
//
// and a center that cannot be reached (or answers 5xx) gives PAM_AUTH_ERR,
// or PAM_IGNORE with center_down=ignore (the other modules decide).
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
  // PAM_RHOST: the address the login comes from; nullopt when not set.
  virtual std::optional<std::string> RemoteHost() { return std::nullopt; }
};

// How center= mode reaches the key center: one JSON POST with a bearer
// token. The real one is kw::net::HttpClient; tests give a fake.
struct CenterReply {
  int status = 0;
  std::string body;
};
struct CenterRequest {
  std::string url;  // the whole URL
  std::string token;
  std::string body;  // JSON; holds the code: never log it
  std::string ca_file;
  int timeout_seconds = 5;
};
class CenterTransport {
 public:
  virtual ~CenterTransport() = default;
  // Unavailable when the center cannot be reached in time.
  virtual StatusOr<CenterReply> Post(const CenterRequest& request) = 0;
};

// `transport` null: the real HTTP client.
PamResult Authenticate(PamEnv& env, std::span<const char* const> args, CenterTransport* transport = nullptr);

}  // namespace kw::pam
