#include "formats/cert_time.h"

#include <cctype>
#include <climits>
#include <cstdio>
#include <strings.h>

namespace kw::formats {
namespace {

// Floor division, for calendars before the epoch and negative inputs.
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12, any
// day: the day is added linearly, so day 0 or 32 normalise like mktime).
// The era arithmetic follows the well-known civil-calendar derivation: a
// year is counted from March so that the leap day falls at its end.
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;                            // [0, 399]
  const int64_t mp = (m + 9) % 12;                              // March = 0
  const int64_t doy = (153 * mp + 2) / 5;                       // [0, 365], day 1 of the month
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;    // [0, 146096]
  return era * 146097 + doe - 719468 + (d - 1);
}

void CivilFromDays(int64_t z, int64_t* y, int64_t* m, int64_t* d) {
  z += 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;                                  // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                // [0, 11]
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yoe + era * 400 + (*m <= 2);
}

class Utc final : public TimeZone {
 public:
  std::optional<CivilTime> ToCivil(int64_t t) const override {
    CivilTime c = CivilUtcFromUnix(t);
    // struct tm holds the year as an int offset from 1900.
    if (c.year - 1900 > INT_MAX || c.year - 1900 < INT_MIN) return std::nullopt;
    return c;
  }
  std::optional<int64_t> FromCivil(const CivilTime& t) const override { return UnixFromCivilUtc(t); }
};

// glibc strptime's numeric conversion: optional blanks, then up to
// `digits` digits, stopping early once another digit would exceed `hi`.
bool StrptimeNumber(std::string_view s, size_t* pos, int digits, int64_t lo, int64_t hi, int64_t* out) {
  while (*pos < s.size() && std::isspace(static_cast<unsigned char>(s[*pos]))) ++*pos;
  if (*pos >= s.size() || s[*pos] < '0' || s[*pos] > '9') return false;
  int64_t v = 0;
  int n = digits;
  do {
    v = v * 10 + (s[(*pos)++] - '0');
  } while (--n > 0 && v * 10 <= hi && *pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9');
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool StrptimeLiteral(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

// strtoull(s, &end, 16) over a whole string that starts with "0x", as
// ssh-keygen's parse_hex_u64.
bool ParseHexU64(std::string_view s, uint64_t* out, bool* overflow) {
  *overflow = false;
  if (s.size() < 3 || !std::isxdigit(static_cast<unsigned char>(s[2]))) return false;  // only "0" converts
  uint64_t v = 0;
  for (size_t i = 2; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!std::isxdigit(c)) return false;
    unsigned d = static_cast<unsigned>(std::isdigit(c) ? c - '0' : std::tolower(c) - 'a' + 10);
    if (v > (UINT64_MAX - d) / 16) *overflow = true;
    v = v * 16 + d;
  }
  *out = *overflow ? UINT64_MAX : v;
  return true;
}

}  // namespace

const TimeZone& UtcZone() {
  static const Utc utc;
  return utc;
}

int64_t UnixFromCivilUtc(const CivilTime& t) {
  // Normalise the month into 1..12 first, carrying into the year.
  int64_t m0 = t.month - 1;
  int64_t y = t.year + FloorDiv(m0, 12);
  int64_t m = m0 - FloorDiv(m0, 12) * 12 + 1;
  return DaysFromCivil(y, m, t.day) * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
}

CivilTime CivilUtcFromUnix(int64_t t) {
  int64_t days = FloorDiv(t, 86400);
  int64_t secs = t - days * 86400;
  CivilTime c;
  CivilFromDays(days, &c.year, &c.month, &c.day);
  c.hour = secs / 3600;
  c.minute = secs / 60 % 60;
  c.second = secs % 60;
  return c;
}

std::optional<int64_t> ParseTimeSpan(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    // strtol: optional blanks and sign, then digits.
    size_t j = i;
    while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    bool neg = false;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) neg = s[j++] == '-';
    size_t digits = j;
    int64_t secs = 0;
    bool range = false;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
      if (secs > (LONG_MAX - (s[j] - '0')) / 10) range = true;
      if (!range) secs = secs * 10 + (s[j] - '0');
      ++j;
    }
    if (j == digits) return std::nullopt;    // no number at all
    if (range) return std::nullopt;          // strtol's ERANGE
    if (neg && secs != 0) return std::nullopt;  // negative
    int64_t mult = 1;
    if (j < s.size()) {
      switch (s[j]) {
        case 's': case 'S': mult = 1; break;
        case 'm': case 'M': mult = 60; break;
        case 'h': case 'H': mult = 3600; break;
        case 'd': case 'D': mult = 86400; break;
        case 'w': case 'W': mult = 604800; break;
        default: return std::nullopt;
      }
      ++j;
    }
    if (secs > INT_MAX / mult) return std::nullopt;
    secs *= mult;
    if (total > INT_MAX - secs) return std::nullopt;
    total += secs;
    i = j;
  }
  return total;
}

std::optional<uint64_t> ParseAbsoluteTime(std::string_view s, const TimeZone& local) {
  size_t l = s.size();
  bool utc = false;
  if (l > 1 && (s[l - 1] == 'Z' || s[l - 1] == 'z')) {
    utc = true;
    l -= 1;
  } else if (l > 3 && strncasecmp(s.data() + l - 3, "UTC", 3) == 0) {
    utc = true;
    l -= 3;
  }
  if (l != 8 && l != 12 && l != 14) return std::nullopt;
  // The text is first cut into "YYYY-MM-DD[THH:MM[:SS]]" (each field exactly
  // its width, whatever the characters) and then read with strptime.
  std::string buf;
  buf.append(s.substr(0, 4)).append("-").append(s.substr(4, 2)).append("-").append(s.substr(6, 2));
  if (l >= 12) buf.append("T").append(s.substr(8, 2)).append(":").append(s.substr(10, 2));
  if (l == 14) buf.append(":").append(s.substr(12, 2));
  // A NUL inside the text ends the C string early.
  if (size_t nul = buf.find('\0'); nul != std::string::npos) buf.resize(nul);

  CivilTime t;
  size_t pos = 0;
  if (!StrptimeNumber(buf, &pos, 4, 0, 9999, &t.year) || !StrptimeLiteral(buf, &pos, '-') ||
      !StrptimeNumber(buf, &pos, 2, 1, 12, &t.month) || !StrptimeLiteral(buf, &pos, '-') ||
      !StrptimeNumber(buf, &pos, 2, 1, 31, &t.day))
    return std::nullopt;
  if (l >= 12) {
    if (!StrptimeLiteral(buf, &pos, 'T') || !StrptimeNumber(buf, &pos, 2, 0, 23, &t.hour) ||
        !StrptimeLiteral(buf, &pos, ':') || !StrptimeNumber(buf, &pos, 2, 0, 59, &t.minute))
      return std::nullopt;
  }
  if (l == 14) {
    if (!StrptimeLiteral(buf, &pos, ':') || !StrptimeNumber(buf, &pos, 2, 0, 61, &t.second)) return std::nullopt;
  }
  if (pos != buf.size()) return std::nullopt;
  std::optional<int64_t> tt = utc ? UtcZone().FromCivil(t) : local.FromCivil(t);
  if (!tt || *tt < 0) return std::nullopt;
  return static_cast<uint64_t>(*tt);
}

std::string FormatAbsoluteTime(uint64_t t, const TimeZone& zone) {
  int64_t tt = t > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(t);
  std::optional<CivilTime> c = zone.ToCivil(tt);
  if (!c) {
    // localtime_r fails for years beyond struct tm; OpenSSH then prints
    // whatever the uninitialised struct held. Print the time of day and
    // an honest marker instead.
    c = CivilUtcFromUnix(tt);
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, "%lld-%02lld-%02lldT%02lld:%02lld:%02lld", static_cast<long long>(c->year),
                static_cast<long long>(c->month), static_cast<long long>(c->day), static_cast<long long>(c->hour),
                static_cast<long long>(c->minute), static_cast<long long>(c->second));
  return buf;
}

StatusOr<Validity> ParseValiditySpec(std::string_view spec, int64_t now, const TimeZone& local) {
  const std::string text(spec);
  if (!spec.empty() && spec[0] == '+' && spec.find(':') == std::string_view::npos) {
    std::optional<int64_t> secs = ParseTimeSpan(spec.substr(1));
    if (!secs) return InvalidArgumentError("Invalid relative certificate life " + text);
    Validity v;
    v.valid_before = static_cast<uint64_t>(now + *secs);
    // Backdated to the start of the previous minute, for hosts whose clocks
    // lag a little.
    v.valid_after = static_cast<uint64_t>((now - 59) / 60 * 60);
    return v;
  }
  size_t colon = spec.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == spec.size())
    return InvalidArgumentError("Invalid certificate life specification " + text);
  std::string_view from = spec.substr(0, colon);
  std::string_view to = spec.substr(colon + 1);

  auto relative = [&](std::string_view s) -> StatusOr<uint64_t> {
    std::optional<int64_t> secs = ParseTimeSpan(s.substr(1));
    if (!secs) return InvalidArgumentError("Invalid relative certificate time " + std::string(s));
    if (s[0] == '-') {
      if (*secs > now) return InvalidArgumentError("Certificate time " + std::string(s) + " cannot be represented");
      return static_cast<uint64_t>(now - *secs);
    }
    return static_cast<uint64_t>(now) + static_cast<uint64_t>(*secs);
  };
  auto hex = [](std::string_view s) -> StatusOr<uint64_t> {
    uint64_t v = 0;
    bool overflow = false;
    if (!ParseHexU64(s, &v, &overflow)) return InvalidArgumentError("Invalid certificate time: not a number");
    if (overflow) return InvalidArgumentError("parse_hex_u64: Invalid certificate time: Numerical result out of range");
    return v;
  };

  Validity v;
  if (from[0] == '-' || from[0] == '+') {
    KW_ASSIGN_OR_RETURN(v.valid_after, relative(from));
  } else if (from == "always") {
    v.valid_after = 0;
  } else if (from.substr(0, 2) == "0x") {
    KW_ASSIGN_OR_RETURN(v.valid_after, hex(from));
  } else if (std::optional<uint64_t> t = ParseAbsoluteTime(from, local)) {
    v.valid_after = *t;
  } else {
    return InvalidArgumentError("Invalid from time \"" + std::string(from) + "\"");
  }

  if (to[0] == '-' || to[0] == '+') {
    KW_ASSIGN_OR_RETURN(v.valid_before, relative(to));
  } else if (to == "forever") {
    v.valid_before = kForever;
  } else if (to.substr(0, 2) == "0x") {
    KW_ASSIGN_OR_RETURN(v.valid_before, hex(to));
  } else if (std::optional<uint64_t> t = ParseAbsoluteTime(to, local)) {
    v.valid_before = *t;
  } else {
    return InvalidArgumentError("Invalid to time \"" + std::string(to) + "\"");
  }
  if (v.valid_before <= v.valid_after) return InvalidArgumentError("Empty certificate validity interval");
  return v;
}

std::string FormatValidity(uint64_t valid_after, uint64_t valid_before, const TimeZone& zone) {
  if (valid_after == 0 && valid_before == kForever) return "forever";
  if (valid_after == 0) return "before " + FormatAbsoluteTime(valid_before, zone);
  if (valid_before == kForever) return "after " + FormatAbsoluteTime(valid_after, zone);
  return "from " + FormatAbsoluteTime(valid_after, zone) + " to " + FormatAbsoluteTime(valid_before, zone);
}

}  // namespace kw::formats
