// Certificate validity times as ssh-keygen reads and prints them (OpenSSH
// 9.2 misc.c convtime/parse_absolute_time/format_absolute_time and
// ssh-keygen.c parse_cert_times): "+1h", "-5m:+1d", "20240101",
// "202401011200Z", "always:forever", "0x65920080:0x7fffffff".
//
// Pure: the current time and the local time zone are arguments. The CLI
// passes the system zone (localtime_r/mktime); tests pass UtcZone().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace kw::formats {

// valid_before of a certificate that never expires.
inline constexpr uint64_t kForever = ~uint64_t{0};

// A broken-down wall-clock time. Fields may be out of their usual ranges in
// input to TimeZone::FromCivil, which normalises them as mktime(3) does.
struct CivilTime {
  int64_t year = 1970;
  int64_t month = 1;  // 1..12
  int64_t day = 1;    // 1..31
  int64_t hour = 0;
  int64_t minute = 0;
  int64_t second = 0;
};

// A time zone. Implementations must be thread-safe.
class TimeZone {
 public:
  virtual ~TimeZone() = default;
  // The wall-clock time at `unix_time` (as localtime_r). nullopt when the
  // year does not fit the platform's struct tm.
  virtual std::optional<CivilTime> ToCivil(int64_t unix_time) const = 0;
  // The Unix time of a wall-clock time read as standard time (mktime with
  // tm_isdst = 0, which is what OpenSSH's parse_absolute_time does).
  virtual std::optional<int64_t> FromCivil(const CivilTime& t) const = 0;
};

// Coordinated Universal Time, computed without the C library.
const TimeZone& UtcZone();

// Proleptic Gregorian conversions (UTC), exact over the whole int64 range of
// days the algorithms can represent.
int64_t UnixFromCivilUtc(const CivilTime& t);
CivilTime CivilUtcFromUnix(int64_t unix_time);

// OpenSSH convtime(): a sequence of <number>[smhdwSMHDW] summed, e.g.
// "90", "1h30m", "2w". nullopt for anything malformed, negative or larger
// than INT_MAX seconds.
std::optional<int64_t> ParseTimeSpan(std::string_view s);

// OpenSSH parse_absolute_time(): YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS in
// `local` time, or in UTC with a "Z" or "UTC" suffix (any case). nullopt
// when malformed or before 1970.
std::optional<uint64_t> ParseAbsoluteTime(std::string_view s, const TimeZone& local);

// OpenSSH format_absolute_time(): "%Y-%m-%dT%H:%M:%S" in `zone`.
std::string FormatAbsoluteTime(uint64_t t, const TimeZone& zone);

struct Validity {
  uint64_t valid_after = 0;
  uint64_t valid_before = kForever;
  friend bool operator==(const Validity&, const Validity&) = default;
};

// ssh-keygen -V: "+span" (from now minus up to a minute, rounded down to
// the minute, to now + span) or "from:to", each side "[+-]span",
// YYYYMMDD[HHMM[SS]][Z], "0x<hex seconds>", "always" (from) or "forever"
// (to). Errors carry ssh-keygen's own fatal() text ("Invalid certificate
// life specification X", "Empty certificate validity interval", ...).
StatusOr<Validity> ParseValiditySpec(std::string_view spec, int64_t now, const TimeZone& local);

// OpenSSH sshkey_format_cert_validity(): "forever", "from A to B",
// "after A" (never expires) or "before B" (valid_after 0).
std::string FormatValidity(uint64_t valid_after, uint64_t valid_before, const TimeZone& zone);

}  // namespace kw::formats
