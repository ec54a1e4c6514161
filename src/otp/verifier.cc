#include "otp/verifier.h"

#include <algorithm>
#include <optional>
#include <vector>

namespace kw::otp {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }
bool EndsNumber(std::string_view s, size_t p) {
  return p == s.size() || s[p] == ' ' || s[p] == '\t' || s[p] == '\r' || s[p] == '\n';
}

// A number as strtol() reads it from s[pos]: white space, a sign, digits.
// `end` == pos when there are no digits; `overflow` past 2^62.
struct Number {
  int64_t value = 0;
  size_t end = 0;
  bool negative = false;
  bool overflow = false;
  bool has_digits() const { return digits > 0; }
  size_t digits = 0;
};
Number ReadNumber(std::string_view s, size_t pos) {
  Number n;
  size_t p = pos;
  while (p < s.size() && IsSpace(s[p])) ++p;
  if (p < s.size() && (s[p] == '+' || s[p] == '-')) n.negative = s[p++] == '-';
  while (p < s.size() && IsDigit(s[p])) {
    if (n.value > (int64_t{1} << 62) / 10) n.overflow = true;
    if (!n.overflow) n.value = n.value * 10 + (s[p] - '0');
    ++p;
    ++n.digits;
  }
  n.end = n.digits ? p : pos;
  if (n.negative) n.value = -n.value;
  return n;
}

Status OptionError(std::string_view name, std::string_view value, std::string_view want) {
  return InvalidArgumentError(std::string(name) + " \"" + std::string(value) + "\" is not " + std::string(want));
}

// An option the module reads strictly: digits, then the end of the value.
StatusOr<int64_t> StrictOption(const SecretFile& f, std::string_view name, int64_t fallback, int64_t lo, int64_t hi) {
  std::optional<std::string> v = f.Get(name);
  if (!v) return fallback;
  Number n = ReadNumber(*v, 0);
  if (!n.has_digits() || n.negative || n.overflow || !EndsNumber(*v, n.end) || n.value < lo || n.value > hi) {
    return OptionError(name, *v, "in " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  return n.value;
}

// An option the module reads with a bare strtol(): garbage reads as 0.
int64_t LenientOption(const SecretFile& f, std::string_view name) {
  std::optional<std::string> v = f.Get(name);
  if (!v) return 0;
  Number n = ReadNumber(*v, 0);
  return n.overflow ? 0 : n.value;
}

StatusOr<int64_t> StepSize(const SecretFile& f) { return StrictOption(f, kStepSize, kDefaultStep, 1, kMaxStepSize); }
StatusOr<int64_t> WindowSize(const SecretFile& f) {
  return StrictOption(f, kWindowSize, kDefaultWindowSize, 1, kMaxWindowSize);
}

StatusOr<Algorithm> FileAlgorithm(const SecretFile& f) {
  std::optional<std::string> v = f.Get(kKwAlgorithm);
  if (!v) return Algorithm::kSha1;
  std::string_view name = *v;
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  Algorithm a;
  if (!ParseAlgorithm(name, &a)) return OptionError(kKwAlgorithm, *v, "SHA1, SHA256 or SHA512");
  return a;
}

StatusOr<int> FileDigits(const SecretFile& f) {
  KW_ASSIGN_OR_RETURN(int64_t d, StrictOption(f, kKwDigits, 6, kMinDigits, kMaxDigits));
  return static_cast<int>(d);
}

VerifyResult Result(Outcome o, std::string detail, bool changed = false) {
  VerifyResult r;
  r.outcome = o;
  r.detail = std::move(detail);
  r.changed = changed;
  return r;
}

VerifyResult BadFile(const Status& s) { return Result(Outcome::kBadFile, "secret file: " + s.message()); }

// The trailing `len` characters of the answer as a code, if they are all
// digits (and, for a scratch code, the first is not 0) and what precedes
// them is allowed.
std::optional<AnswerCode> Extract(std::string_view answer, size_t len, bool scratch, bool forward_pass) {
  if (answer.size() < len) return std::nullopt;
  std::string_view code = answer.substr(answer.size() - len);
  if (scratch && code[0] == '0') return std::nullopt;
  uint32_t v = 0;
  for (char c : code) {
    if (!IsDigit(c)) return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  AnswerCode c{v, answer.substr(0, answer.size() - len)};
  if (!forward_pass && !c.prefix.empty()) return std::nullopt;
  return c;
}

// DISALLOW_REUSE: refuse `counter` if listed, drop entries a window or more
// away from it, append it. The list is edited in place, as the module does
// it (a dropped entry takes the blanks after it with it).
VerifyResult Invalidate(SecretFile& f, int64_t counter, int64_t window, int64_t step, int64_t now) {
  std::optional<std::string> list = f.Get(kDisallowReuse);
  if (!list) return Result(Outcome::kAccepted, "valid code");
  std::string& v = *list;
  for (size_t p = 0;;) {
    while (p < v.size() && (v[p] == ' ' || v[p] == '\t' || v[p] == '\r' || v[p] == '\n')) ++p;
    if (p >= v.size()) break;
    Number n = ReadNumber(v, p);
    if (!n.has_digits() || n.negative || n.overflow || !EndsNumber(v, n.end)) {
      return BadFile(InvalidArgumentError("invalid list of used codes in DISALLOW_REUSE"));
    }
    if (n.value == counter) {
      VerifyResult r = Result(Outcome::kReused, "code of an already used time step");
      r.retry_after = step - (((now % step) + step) % step);
      return r;
    }
    if (n.value - counter >= window || counter - n.value >= window) {
      size_t e = n.end;
      while (e < v.size() && (v[e] == ' ' || v[e] == '\t')) ++e;
      v.erase(p, e - p);
    } else {
      p = n.end;
    }
  }
  if (!v.empty()) v += ' ';
  v += std::to_string(counter);
  f.Set(kDisallowReuse, v);
  return Result(Outcome::kAccepted, "valid code", true);
}

// A code that matched `skew` steps away from now: one observation towards
// learning the clock skew. Three in a row (time steps at most 2 apart, skews
// within 1 of each other) set TIME_SKEW to their mean and accept the third.
VerifyResult ObserveSkew(SecretFile& f, int64_t tm, int64_t skew) {
  struct Entry {
    int64_t tm, skew;
  };
  std::vector<Entry> entries;
  if (std::optional<std::string> v = f.Get(kResettingTimeSkew)) {
    std::string_view s = *v;
    size_t p = 0;
    while (p < s.size() && s[p] != '\r' && s[p] != '\n') {
      Number t = ReadNumber(s, p);
      if (!t.has_digits() || t.negative || t.overflow || t.end >= s.size() || (s[t.end] != '+' && s[t.end] != '-'))
        break;
      Number k = ReadNumber(s, t.end);
      if (!k.has_digits() || k.overflow || !EndsNumber(s, k.end)) break;
      entries.push_back({t.value, k.value});
      if (entries.size() > 3) entries.erase(entries.begin());
      p = k.end;
    }
    // The same code again tells nothing new.
    if (!entries.empty() && tm + skew == entries.back().tm + entries.back().skew) {
      return Result(Outcome::kInvalidCode, "code outside the window (same as the last skew observation)");
    }
  }
  entries.push_back({tm, skew});
  if (entries.size() > 3) entries.erase(entries.begin());
  bool learned = false;
  if (entries.size() == 3) {
    learned = true;
    int64_t sum = entries[0].skew;
    for (size_t i = 1; i < 3; ++i) {
      int64_t gap = entries[i].tm - entries[i - 1].tm;
      int64_t drift = entries[i].skew - entries[i - 1].skew;
      if (gap < 0 || gap > 2 || drift < -1 || drift > 1) learned = false;
      sum += entries[i].skew;
    }
    if (learned) f.Set(kTimeSkew, std::to_string(sum / 3));  // truncates, as C's / does
  }
  std::string list;
  if (!learned) {
    for (const Entry& e : entries) {
      if (!list.empty()) list += ' ';
      list += std::to_string(e.tm) + (e.skew < 0 ? "" : "+") + std::to_string(e.skew);
    }
  }
  f.Set(kResettingTimeSkew, list);
  if (learned) return Result(Outcome::kAcceptedSkew, "clock skew learned; code accepted", true);
  return Result(Outcome::kInvalidCode, "code outside the window (recorded for clock-skew learning)", true);
}

VerifyResult CheckTotp(SecretFile& f, uint32_t code, Algorithm alg, int digits, int64_t now, const VerifyOptions& o) {
  auto step = StepSize(f);
  if (!step.ok()) return BadFile(step.status());
  auto window = WindowSize(f);
  if (!window.ok()) return BadFile(window.status());
  const int64_t tm = TotpCounter(now, *step);
  const int64_t skew = LenientOption(f, kTimeSkew);
  const ByteSpan key = f.secret().span();
  TotpWindow w{alg, digits, *step, static_cast<int>(*window), skew};
  if (std::optional<int64_t> counter = MatchTotpStep(key, code, w, now)) {
    return Invalidate(f, *counter, *window, *step, now);
  }
  if (o.skew_adjust) {
    // Every candidate is computed (no early exit): the time taken says
    // nothing about where a match was.
    bool found = false;
    int64_t found_skew = 0;
    for (int64_t i = 0; i < kSkewSearchSteps; ++i) {
      bool back = (HotpValue(key, static_cast<uint64_t>(tm - i), alg, digits) ^ code) == 0;
      if (back && !found) {
        found = true;
        found_skew = -i;
      }
      bool ahead = (HotpValue(key, static_cast<uint64_t>(tm + i), alg, digits) ^ code) == 0;
      if (ahead && !found) {
        found = true;
        found_skew = i;
      }
    }
    if (found) return ObserveSkew(f, tm, found_skew);
  }
  return Result(Outcome::kInvalidCode, "no match in the window");
}

VerifyResult CheckHotp(SecretFile& f, uint32_t code, int64_t counter, Algorithm alg, int digits,
                       const VerifyOptions& o) {
  auto window = WindowSize(f);
  if (!window.ok()) return BadFile(window.status());
  const ByteSpan key = f.secret().span();
  for (int64_t i = 0; i < *window; ++i) {
    if ((HotpValue(key, static_cast<uint64_t>(counter + i), alg, digits) ^ code) == 0) {
      f.Set(kHotpCounter, std::to_string(counter + i + 1));
      return Result(Outcome::kAccepted, "valid code", true);
    }
  }
  if (o.increment_hotp) {
    f.Set(kHotpCounter, std::to_string(counter + 1));
    return Result(Outcome::kInvalidCode, "no match in the counter window (counter advanced)", true);
  }
  return Result(Outcome::kInvalidCode, "no match in the counter window");
}

}  // namespace

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kAccepted: return "accepted";
    case Outcome::kAcceptedScratch: return "accepted scratch code";
    case Outcome::kAcceptedSkew: return "accepted after clock-skew resync";
    case Outcome::kInvalidCode: return "invalid code";
    case Outcome::kReused: return "reused code";
    case Outcome::kRateLimited: return "rate limited";
    case Outcome::kMalformed: return "malformed answer";
    case Outcome::kBadFile: return "bad secret file";
  }
  return "unknown";
}

StatusOr<FileSettings> ReadSettings(const SecretFile& f) {
  FileSettings s;
  s.hotp_counter = LenientOption(f, kHotpCounter);
  s.totp = s.hotp_counter < 1 && f.Contains("\" TOTP_AUTH");
  if (s.hotp_counter < 1) s.hotp_counter = 0;
  KW_ASSIGN_OR_RETURN(s.algorithm, FileAlgorithm(f));
  KW_ASSIGN_OR_RETURN(s.digits, FileDigits(f));
  KW_ASSIGN_OR_RETURN(s.step, StepSize(f));
  KW_ASSIGN_OR_RETURN(int64_t window, WindowSize(f));
  s.window = static_cast<int>(window);
  s.time_skew = LenientOption(f, kTimeSkew);
  s.disallow_reuse = f.Has(kDisallowReuse);
  if (std::optional<std::string> v = f.Get(kRateLimit)) {
    Number a = ReadNumber(*v, 0);
    Number m = a.has_digits() ? ReadNumber(*v, a.end) : Number{};
    if (!a.has_digits() || !m.has_digits() || a.negative || m.negative || a.value < 1 ||
        a.value > kMaxRateLimitAttempts || m.value < 1 || m.value > kMaxRateLimitInterval)
      return OptionError(kRateLimit, *v, "\"ATTEMPTS SECONDS [TIMESTAMP...]\" with 1..100 attempts per 1..3600 s");
    s.rate_limit_attempts = static_cast<int>(a.value);
    s.rate_limit_interval = static_cast<int>(m.value);
  }
  return s;
}

VerifyResult CheckRateLimit(SecretFile& f, int64_t now) {
  std::optional<std::string> v = f.Get(kRateLimit);
  if (!v) return Result(Outcome::kAccepted, "no rate limit");
  const std::string& s = *v;
  Number attempts = ReadNumber(s, 0);
  bool ok = attempts.has_digits() && !attempts.negative && !attempts.overflow && attempts.value >= 1 &&
            attempts.value <= kMaxRateLimitAttempts && attempts.end < s.size() &&
            (s[attempts.end] == ' ' || s[attempts.end] == '\t');
  Number interval = ok ? ReadNumber(s, attempts.end) : Number{};
  ok = ok && interval.has_digits() && !interval.negative && !interval.overflow && interval.value >= 1 &&
       interval.value <= kMaxRateLimitInterval;
  if (!ok) return BadFile(InvalidArgumentError("invalid RATE_LIMIT option"));
  std::vector<int64_t> stamps = {now};
  for (size_t p = interval.end; p < s.size() && s[p] != '\r' && s[p] != '\n';) {
    Number t = (s[p] == ' ' || s[p] == '\t') ? ReadNumber(s, p) : Number{};
    if (!t.has_digits() || t.negative || t.overflow) {
      return BadFile(InvalidArgumentError("invalid list of timestamps in RATE_LIMIT"));
    }
    stamps.push_back(t.value);
    p = t.end;
  }
  std::sort(stamps.begin(), stamps.end());
  // Keep [now - interval, now]; more than `attempts` of them is too many.
  int64_t start = 0, stop = -1;
  for (size_t i = 0; i < stamps.size(); ++i) {
    if (stamps[i] < now - interval.value) {
      start = static_cast<int64_t>(i) + 1;
    } else if (stamps[i] > now) {
      break;
    }
    stop = static_cast<int64_t>(i);
  }
  bool exceeded = stop - start + 1 > attempts.value;
  if (exceeded) start = stop - attempts.value + 1;
  std::string list = std::to_string(attempts.value) + " " + std::to_string(interval.value);
  for (int64_t i = start; i <= stop; ++i) list += " " + std::to_string(stamps[static_cast<size_t>(i)]);
  f.Set(kRateLimit, list);
  if (exceeded) {
    return Result(Outcome::kRateLimited,
                  "rate limit reached (RATE_LIMIT: " + std::to_string(attempts.value) + " attempts per " +
                      std::to_string(interval.value) + " s)",
                  true);
  }
  return Result(Outcome::kAccepted, "within the rate limit", true);
}

std::optional<int64_t> MatchTotpStep(ByteSpan key, uint32_t code, const TotpWindow& w, int64_t now) {
  const int64_t tm = TotpCounter(now, w.step);
  // The current step first (the common case costs one HMAC), then the rest
  // of the window, oldest first.
  const int64_t lo = -((w.window - 1) / 2), hi = w.window / 2;
  for (int64_t k = lo - 1; k <= hi; ++k) {
    if (k == 0) continue;
    const int64_t offset = k < lo ? 0 : k;
    const int64_t counter = tm + w.skew + offset;
    if ((HotpValue(key, static_cast<uint64_t>(counter), w.algorithm, w.digits) ^ code) == 0) return counter;
  }
  return std::nullopt;
}

ParsedAnswer ParseAnswer(std::string_view answer, int digits, bool forward_pass) {
  ParsedAnswer p;
  p.otp = Extract(answer, static_cast<size_t>(digits), false, forward_pass);
  p.scratch = Extract(answer, 8, true, forward_pass);
  return p;
}

VerifyResult VerifyAnswer(SecretFile& f, std::string_view answer, int64_t now, const VerifyOptions& o) {
  auto alg = FileAlgorithm(f);
  if (!alg.ok()) return BadFile(alg.status());
  auto digits = FileDigits(f);
  if (!digits.ok()) return BadFile(digits.status());

  auto [otp, scratch] = ParseAnswer(answer, *digits, o.forward_pass);
  if (!otp && !scratch) return Result(Outcome::kMalformed, "the answer is not a verification code");

  VerifyResult r;
  if (scratch && f.RemoveScratchCode(scratch->value)) {
    r = Result(Outcome::kAcceptedScratch, "emergency scratch code used", true);
    r.password = SecretBytes(scratch->prefix);
    return r;
  }
  if (!otp) return Result(Outcome::kInvalidCode, "not a scratch code");
  const int64_t counter = LenientOption(f, kHotpCounter);
  if (counter >= 1) {
    r = CheckHotp(f, otp->value, counter, *alg, *digits, o);
  } else if (f.Contains("\" TOTP_AUTH")) {
    r = CheckTotp(f, otp->value, *alg, *digits, now, o);
  } else {
    r = Result(Outcome::kInvalidCode, "the file has neither TOTP_AUTH nor HOTP_COUNTER (scratch codes only)");
  }
  r.password = SecretBytes(otp->prefix);
  return r;
}

VerifyResult Authenticate(SecretFile& f, std::string_view answer, int64_t now, const VerifyOptions& o) {
  VerifyResult limit = CheckRateLimit(f, now);
  if (!limit.accepted()) return limit;
  VerifyResult r = VerifyAnswer(f, answer, now, o);
  r.changed = r.changed || limit.changed;
  return r;
}

}  // namespace kw::otp
