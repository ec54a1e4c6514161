// pam_keyward's module arguments (the words after the module path in
// /etc/pam.d/SERVICE). Where they overlap with pam_google_authenticator's,
// the spelling and meaning are the same, so the module is a drop-in:
//
//   secret=PATH        secret file (default ~/.google_authenticator);
//                      ~ (at the start or after '/'), ${HOME}, ${USER}
//   user=NAME|UID      the fixed account that owns the secret files
//   nullok             no secret file (ENOENT): PAM_IGNORE, nothing asked;
//                      with center=: the center has no enrolment for the
//                      user: PAM_IGNORE (after asking)
//   no_increment_hotp  a failed HOTP attempt does not advance the counter
//   noskewadj          no clock-skew learning
//   echo_verification_code (or echo-verification-code): prompt with echo
//   forward_pass       "Password & verification code: "; the password part
//                      goes to PAM_AUTHTOK for the next module
//   allowed_perm=0nnn  permission bits the file may have (default 0600)
//   no_strict_owner, allow_readonly, debug, try_first_pass, use_first_pass,
//   authtok_prompt=TEXT (as google-authenticator's)
//
// keyward's own:
//   prompt=TEXT        the prompt (same as authtok_prompt)
//   center=URL         verify with the key center (keywardd) instead of a
//                      local file: POST URL/api/v1/totp/verify. The center
//                      keeps the secrets and remembers used steps and
//                      failures for every bastion together.
//   token_file=PATH    (with center=) a file holding this bastion's host
//                      token (`keyward host add`), owned by root, mode 0600
//                      or stricter; required with center=
//   center_down=deny|ignore  (with center=) when the center cannot be
//                      reached or answers 5xx: deny (default), or return
//                      PAM_IGNORE so the rest of the stack (the key alone)
//                      decides; logged either way
//   ca_file=PATH       (with an https center=) PEM CA bundle to verify the
//                      center with; default: the system's
//   center_timeout=S   (with center=) seconds for the whole request, 1..60
//                      (default 5)
//
//   grace_period=S     (local files, as google-authenticator's) no code is
//                      asked when the same PAM_RHOST logged in with a code
//                      within S seconds (the file's " LAST0".." LAST9
//                      lines: the ten most recent hosts); each accepted
//                      code records its host there
//
// An unknown argument is an error (the module then denies, as
// pam_google_authenticator does).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <sys/types.h>

#include "base/status.h"

namespace kw::pam {

inline constexpr const char* kDefaultSecretPath = "~/.google_authenticator";
inline constexpr const char* kDefaultPrompt = "Verification code: ";
inline constexpr const char* kForwardPassPrompt = "Password & verification code: ";

struct PamOptions {
  std::string secret = kDefaultSecretPath;
  std::optional<std::string> user;  // user=
  std::optional<std::string> center;
  std::string token_file;
  bool center_down_ignore = false;
  std::string ca_file;
  int center_timeout = 5;
  int64_t grace_period = 0;  // seconds; 0: off
  std::optional<std::string> prompt;
  mode_t allowed_perm = 0600;
  bool nullok = false;
  bool no_increment_hotp = false;
  bool noskewadj = false;
  bool echo_verification_code = false;
  bool forward_pass = false;
  bool no_strict_owner = false;
  bool allow_readonly = false;
  bool debug = false;
  bool try_first_pass = false;
  bool use_first_pass = false;
};

// Errors name the argument: `unrecognized option "foo"`.
StatusOr<PamOptions> ParseOptions(std::span<const char* const> args);

// Expands the secret= template for `user` whose home is `home`: "${USER}"
// everywhere, "${HOME}" everywhere, "~" at the start or right after a '/'.
// With a fixed owner (user=) the home of the logging-in user is not used:
// "~" and "${HOME}" are errors then (as in google-authenticator).
StatusOr<std::string> ExpandSecretPath(const std::string& templ, const std::string& user, const std::string& home,
                                       bool fixed_owner);

}  // namespace kw::pam
