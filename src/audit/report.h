// The key map of an authorized_keys audit: every key by fingerprint, where
// it appears (host, account, file, line, options), and what is wrong.
//
// A Report is plain data. Scan() (scan.h) fills one from a file tree;
// Merge() joins the reports of several hosts; Finish() computes the flags
// that depend on the whole map (shared keys). JSON is the exchange format
// between `keyward audit scan --json` and `keyward audit merge`; its fields
// are documented in docs/hosts-and-authorized-keys.md and beside each
// member below.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kw::audit {

inline constexpr int kReportVersion = 1;

// Flag names, as they appear in JSON and tables.
inline constexpr const char* kFlagWeak = "weak";                          // key: DSA, or RSA under 2048 bits
inline constexpr const char* kFlagShared = "shared";                      // key: in several accounts or hosts
inline constexpr const char* kFlagNoComment = "no-comment";               // key: no line gives it a comment
inline constexpr const char* kFlagExpired = "expired";                    // line: expiry-time in the past
inline constexpr const char* kFlagUnrestrictedRoot = "unrestricted-root"; // line: root key without restrict/command=/from=
inline constexpr const char* kFlagRejected = "rejected-line";             // line: sshd refuses or skips it
inline constexpr const char* kFlagStrictModes = "strict-modes";           // file: owner or mode StrictModes refuses
inline constexpr const char* kFlagUnreadable = "unreadable";              // file: cannot be read

struct Flag {
  std::string flag;    // one of the kFlag* names
  std::string reason;  // a sentence for people
  friend bool operator==(const Flag&, const Flag&) = default;
};

// One line of one authorized_keys file that holds the key.
struct Occurrence {
  std::string host;
  std::string account;
  int64_t uid = -1;
  std::string file;     // the path as the host sees it ("/home/a/.ssh/authorized_keys")
  size_t line = 0;
  std::string options;  // the options text as written ("" if none)
  std::string comment;
  std::vector<Flag> flags;  // line-level: expired, unrestricted-root, rejected-line, strict-modes
};

struct KeyRecord {
  std::string fingerprint;  // "SHA256:..."
  std::string type;         // "ED25519", "RSA", "ECDSA", "DSA", "ED25519-SK", "ECDSA-SK"
  int bits = 0;
  std::vector<Occurrence> occurrences;
  std::vector<Flag> flags;  // key-level: weak, shared, no-comment (set by Finish)
};

// Something wrong that is not one key: a file or directory StrictModes
// refuses, an unreadable file, a line without a key sshd can read.
struct Problem {
  std::string host;
  std::string account;
  std::string file;
  size_t line = 0;  // 0: the whole file
  Flag flag;
};

struct Report {
  std::vector<std::string> hosts;           // hosts covered, sorted
  std::map<std::string, KeyRecord> keys;    // by fingerprint
  std::vector<Problem> problems;
  uint64_t accounts = 0;                    // accounts looked at
  uint64_t files = 0;                       // authorized_keys files read
  uint64_t lines = 0;                       // key lines read
};

// Computes the key-level flags (weak, shared, no-comment) from the
// occurrences; call after scanning or merging.
void Finish(Report* report);

// Joins reports (keys by fingerprint, occurrences and problems appended)
// and recomputes the key-level flags.
Report Merge(const std::vector<Report>& reports);

// JSON (docs/hosts-and-authorized-keys.md):
// {"version":1, "hosts":[...], "summary":{"accounts","files","lines","keys","flagged_keys","problems"},
//  "keys":[{"fingerprint","type","bits","flags":[{"flag","reason"}],
//           "occurrences":[{"host","account","uid","file","line","options","comment","flags":[...]}]}],
//  "problems":[{"host","account","file","line","flag","reason"}]}
// Written by hand (a fleet's map is large); text that is not valid UTF-8
// is written with each stray byte as \u00XX.
std::string ToJson(const Report& report);
// Reads what ToJson wrote (key-level flags are recomputed).
StatusOr<Report> FromJson(std::string_view text);

// A table for a terminal: keys (flagged ones first), where they appear, and
// the problems.
std::string ToTable(const Report& report);

}  // namespace kw::audit
