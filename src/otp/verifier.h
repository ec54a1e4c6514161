// Verification of an answer against a google-authenticator secret file, with
// the module's rules: the window, reuse refused per time step
// (DISALLOW_REUSE), rate limiting (RATE_LIMIT), clock-skew learning
// (TIME_SKEW / RESETTING_TIME_SKEW), HOTP counters and single-use scratch
// codes. A pure function of the file, the answer, the options and `now`:
// state changes are made to the SecretFile in memory, and the caller writes
// the file back when `changed` says so.
//
// Codes are compared as whole words (no early exit on a prefix); the secret,
// the answer and codes never appear in `detail`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/secret_bytes.h"
#include "otp/otp.h"
#include "otp/secret_file.h"

namespace kw::otp {

// Ranges of the module's options (STEP_SIZE: the module takes 1..60; keyward
// reads up to a day so that files made with a longer step verify here).
inline constexpr int kMaxWindowSize = 100;
inline constexpr int kDefaultWindowSize = 3;
inline constexpr int64_t kMaxStepSize = 86400;
inline constexpr int kMaxRateLimitAttempts = 100;
inline constexpr int kMaxRateLimitInterval = 3600;
// Skew learning looks this many steps either side of now.
inline constexpr int kSkewSearchSteps = 1500;

struct VerifyOptions {
  bool skew_adjust = true;     // false: the module's `noskewadj`
  bool increment_hotp = true;  // false: `no_increment_hotp`
  bool forward_pass = false;   // the answer is a password followed by the code
};

enum class Outcome {
  kAccepted,         // a TOTP or HOTP code in the window
  kAcceptedScratch,  // an emergency scratch code (now removed from the file)
  kAcceptedSkew,     // the code that completed a clock-skew resync
  kInvalidCode,      // wrong code (or only an observation towards a resync)
  kReused,           // a TOTP code of a step already used (DISALLOW_REUSE)
  kRateLimited,      // more attempts than RATE_LIMIT allows: not asked
  kMalformed,        // the answer is not a code
  kBadFile,          // an option value the module would reject
};

std::string_view OutcomeName(Outcome outcome);
inline bool IsAccepted(Outcome o) {
  return o == Outcome::kAccepted || o == Outcome::kAcceptedScratch || o == Outcome::kAcceptedSkew;
}

struct VerifyResult {
  Outcome outcome = Outcome::kInvalidCode;
  bool changed = false;     // the file's text changed: write it back
  std::string detail;       // for logs: what happened; never a code or the secret
  int64_t retry_after = 0;  // kReused: seconds until the next step
  // forward_pass: what preceded the code (the password for the next module).
  SecretBytes password;
  bool accepted() const { return IsAccepted(outcome); }
};

// The settings a file's options describe, for tools (keyward totp).
struct FileSettings {
  bool totp = false;           // " TOTP_AUTH (and no HOTP counter)
  int64_t hotp_counter = 0;    // >= 1: HOTP mode
  Algorithm algorithm = Algorithm::kSha1;
  int digits = 6;
  int64_t step = kDefaultStep;
  int window = kDefaultWindowSize;
  int64_t time_skew = 0;
  bool disallow_reuse = false;
  int rate_limit_attempts = 0;  // 0: no RATE_LIMIT
  int rate_limit_interval = 0;
};
// Errors name the option ("STEP_SIZE \"0\" is not in 1..86400").
StatusOr<FileSettings> ReadSettings(const SecretFile& file);

// The module's first step, before asking for a code: records `now` in the
// RATE_LIMIT list (when the option is present), drops entries outside
// [now - interval, now], and refuses with kRateLimited when more than the
// allowed number remain (the list keeps the newest ones). kAccepted means
// "go on and ask".
VerifyResult CheckRateLimit(SecretFile& file, int64_t now);

// Checks an answer: a scratch code (8 digits, first 1-9) first, then the
// HOTP counter or the TOTP window, then (TOTP, unless disabled) a clock
// skew observation.
VerifyResult VerifyAnswer(SecretFile& file, std::string_view answer, int64_t now, const VerifyOptions& options);

// CheckRateLimit() and, if that lets it through, VerifyAnswer(): one
// authentication as the module does it (`changed` covers both steps).
VerifyResult Authenticate(SecretFile& file, std::string_view answer, int64_t now, const VerifyOptions& options);

// --- the parts of VerifyAnswer() that need no file (the key center keeps
// its state in a database and uses these; VerifyAnswer() uses them too)

struct TotpWindow {
  Algorithm algorithm = Algorithm::kSha1;
  int digits = 6;
  int64_t step = kDefaultStep;
  int window = kDefaultWindowSize;  // WINDOW_SIZE: steps tried around now
  int64_t skew = 0;                 // TIME_SKEW, in steps
};

// The time step (counter) in the window around `now` whose code equals
// `code`: the current step first, then the others oldest first, as the
// module tries them. nullopt when none matches.
std::optional<int64_t> MatchTotpStep(ByteSpan key, uint32_t code, const TotpWindow& w, int64_t now);

// An answer read as a code: `digits` digits (otp), or an 8-digit number
// not starting with 0 (scratch). Either may be absent; both absent means
// the answer is not a code at all. `prefix` is what precedes the code
// (must be empty unless forward_pass).
struct AnswerCode {
  uint32_t value = 0;
  std::string_view prefix;
};
struct ParsedAnswer {
  std::optional<AnswerCode> otp, scratch;
};
ParsedAnswer ParseAnswer(std::string_view answer, int digits, bool forward_pass);

}  // namespace kw::otp
