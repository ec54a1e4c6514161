// authorized_keys as sshd 9.2 reads it (sshd(8) "AUTHORIZED_KEYS FILE
// FORMAT"; auth2-pubkeyfile.c auth_check_authkey_line, auth-options.c
// sshauthopt_parse, misc.c opt_flag/opt_dequote/opt_match,
// parse_absolute_time).
//
// A line is "[options] keytype base64 [comment]". Options are
// comma-separated, end at the first blank outside double quotes, and are
// matched case-insensitively by prefix, as sshd does. Values are in double
// quotes; inside them only \" is an escape (any other backslash is itself).
//
// Three views of a line:
//  - the model (AuthorizedKeyLine): the options as written, in order, the
//    key and the comment. RenderAuthorizedKeyLine() writes it back and
//    ParseAuthorizedKeyLine() of that gives the same model.
//  - the rights (KeyRights, sshd's struct sshauthopt): what the options add
//    up to (forced command, forwarding flags, from=, expiry, ...).
//  - the decision (EvaluateAuthorizedKeys): for a key, a client address and
//    a time, whether sshd lets the key in and on which line, or why not.
//
// Pure: bytes in, values out. Time zones and service names (which sshd
// takes from the system) are passed in as functions.
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "formats/public_key.h"

namespace kw::formats {

// SSH_AUTHOPT_PERMIT_MAX, SSH_AUTHOPT_ENV_MAX: sshd refuses the line when a
// permitopen/permitlisten (environment) option arrives after this many.
inline constexpr size_t kMaxAuthPermits = 4096;
inline constexpr size_t kMaxAuthEnvironment = 1024;
// tunnel="any"
inline constexpr int kTunnelAny = 0x7fffffff;
inline constexpr int kTunnelMax = kTunnelAny - 2;

// Converts a broken-down time (tm_isdst 0, as parse_absolute_time leaves
// it) to seconds since the epoch in the local time zone, as mktime(3);
// nullopt when it cannot be represented.
using LocalTimeFn = std::function<std::optional<int64_t>(const std::tm&)>;
// mktime() with the process's time zone (TZ), as sshd does.
LocalTimeFn SystemLocalTime();
// Treats local times as UTC (for tests that want no time zone at all).
LocalTimeFn UtcAsLocalTime();

// Resolves a service name ("ssh") to a TCP port, as getservbyname(3); nullopt
// if unknown. Only permitopen/permitlisten use it.
using ServicePortFn = std::function<std::optional<int>(std::string_view)>;

struct AuthParseOptions {
  LocalTimeFn local_time;        // default: SystemLocalTime()
  ServicePortFn service_port;    // default: numeric ports only
};

// One option as written, lower-cased: flags as "no-pty", "restrict";
// valued options as "command" with the value dequoted.
struct AuthorizedKeyOption {
  std::string name;
  std::optional<std::string> value;
  friend bool operator==(const AuthorizedKeyOption&, const AuthorizedKeyOption&) = default;
};

// An expiry-time value as parse_absolute_time reads it.
struct ExpiryTime {
  std::string text;  // as written
  std::tm fields{};  // tm_isdst 0
  bool utc = false;  // ended in "Z" or "UTC"
  int64_t unix_time = 0;  // converted (UTC, or with the LocalTimeFn)
};

// struct sshauthopt as sshauthopt_parse builds it from a line's options.
struct KeyRights {
  bool port_forwarding = true;
  bool agent_forwarding = true;
  bool x11_forwarding = true;
  bool pty = true;
  bool user_rc = true;
  bool restricted = false;       // "restrict" was given
  bool cert_authority = false;
  bool no_touch_required = false;
  bool verify_required = false;
  std::optional<std::string> command;
  std::optional<std::string> principals;
  std::optional<std::string> from;
  std::optional<int> tunnel;     // kTunnelAny for "any"
  std::optional<int64_t> valid_before;  // the earliest expiry-time
  std::vector<std::string> environment;  // "NAME=value", first of each name
  std::vector<std::string> permitopen;
  std::vector<std::string> permitlisten;  // a bare port becomes "*:port"
};

// The line model.
struct AuthorizedKeyLine {
  std::vector<AuthorizedKeyOption> options;
  PublicKey key;
  std::string comment;
};

// Parses the options of a line (the text from the first option to the
// blank that ends them; what follows is ignored). Errors carry sshd's own
// reason: "missing end quote", "unknown key option", "invalid expires
// time", ... `model`, if given, receives the options as written.
StatusOr<KeyRights> ParseKeyOptions(std::string_view options, const AuthParseOptions& parse = {},
                                    std::vector<AuthorizedKeyOption>* model = nullptr);

// What a line of an authorized_keys file is, read without a particular key
// in mind (the lint view).
enum class AuthLineKind : uint8_t {
  kComment,     // blank, blanks only, or '#'
  kKey,         // a key, maybe with options: all fine
  kBadOptions,  // a key whose options sshd refuses (the line never lets anyone in)
  kNoKey,       // no key sshd can read: sshd skips the line
};

struct ParsedAuthLine {
  size_t number = 0;
  std::string_view text;        // the line, without its '\n'
  AuthLineKind kind = AuthLineKind::kComment;
  std::string reason;           // kBadOptions / kNoKey: why
  std::string_view options;     // the option text ("" if none)
  std::optional<AuthorizedKeyLine> line;  // kKey and kBadOptions (options empty for the latter)
  std::optional<KeyRights> rights;        // kKey
};

// Parses one line (without '\n'). The number is for the result only.
ParsedAuthLine ParseAuthorizedKeysLine(std::string_view text, size_t number = 1, const AuthParseOptions& parse = {});

// Every line of a file, in order (lines split as getline does).
std::vector<ParsedAuthLine> ParseAuthorizedKeys(std::string_view text, const AuthParseOptions& parse = {});

// Parses a single line into the model; an error for anything but kKey.
StatusOr<AuthorizedKeyLine> ParseAuthorizedKeyLine(std::string_view text, const AuthParseOptions& parse = {});

// Writes the model back: options joined with ',', values in double quotes
// with '"' escaped as \", then the key, then " comment". Fails for what
// sshd could not read back the same (unknown or mistyped options, a value
// ending in a backslash or holding a newline or NUL, a comment with a
// newline or leading blanks, options sshd would refuse).
StatusOr<std::string> RenderAuthorizedKeyLine(const AuthorizedKeyLine& line, const AuthParseOptions& parse = {});

// --- sshd's decision -------------------------------------------------------

struct ClientInfo {
  std::string address;    // the client's IP address as sshd prints it
  // The host name sshd matches from= host patterns against. sshd uses the
  // address unless UseDNS is on; empty means "the address".
  std::string host;
};

enum class LineVerdict : uint8_t {
  kSkipped,     // comment, no key, another key, or a cert-authority line
  kBadOptions,  // a key of the offered key's type with options sshd refuses
  kRefused,     // this key, but its options refuse the login
  kAccepted,
};

struct LineDecision {
  size_t line = 0;
  LineVerdict verdict = LineVerdict::kSkipped;
  bool key_matches = false;  // the line holds the offered key
  std::string reason;        // kBadOptions / kRefused: sshd's reason
  KeyRights rights;          // kAccepted (and kRefused): the options
};

// auth_check_authkey_line() for one line and a plain key.
LineDecision EvaluateAuthorizedKeyLine(std::string_view text, size_t number, const PublicKey& key,
                                       const ClientInfo& client, int64_t now, const AuthParseOptions& parse = {});

struct AuthDecision {
  bool allowed = false;
  size_t line = 0;            // the accepting line
  KeyRights rights;           // its options
  // Every line that held the key but did not let it in (refused, or with
  // options sshd refuses), in order.
  std::vector<LineDecision> rejections;
  // A note on keys sshd 9.2 refuses whatever the file says (ssh-dss is not
  // in the default PubkeyAcceptedAlgorithms); empty if none.
  std::string key_type_note;
};

// auth_check_authkeys_file(): the first line that accepts the key wins; a
// line that refuses it does not stop the search.
AuthDecision EvaluateAuthorizedKeys(std::string_view text, const PublicKey& key, const ClientInfo& client,
                                    int64_t now, const AuthParseOptions& parse = {});

struct AuthLineProblem {
  size_t line = 0;
  // True: sshd skips or refuses this line whatever key is offered (at
  // `now`). False: a warning (the line works only under some settings).
  bool refused = true;
  std::string reason;
};

// Every line sshd would not use: no key it can read, options it refuses,
// an expiry-time before `now`, principals= without cert-authority, a from=
// list it finds malformed; and warnings for ssh-dss keys.
std::vector<AuthLineProblem> LintAuthorizedKeys(std::string_view text, int64_t now, const AuthParseOptions& parse = {});

// "2026-01-31T12:00:00Z" for messages.
std::string FormatUtcTime(int64_t t);

// parse_absolute_time(): "YYYYMMDD[HHMM[SS]]" with an optional "Z" or "UTC"
// suffix (UTC), else local time. Fails on anything else or the epoch.
StatusOr<ExpiryTime> ParseExpiryTime(std::string_view text, const LocalTimeFn& local_time);

}  // namespace kw::formats
