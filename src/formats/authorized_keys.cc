#include "formats/authorized_keys.h"

#include <strings.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "formats/addr_match.h"
#include "formats/cert_time.h"
#include "formats/host_pattern.h"
#include "formats/key_read.h"
#include "formats/known_hosts.h"

namespace kw::formats {

LocalTimeFn SystemLocalTime() {
  return [](const std::tm& fields) -> std::optional<int64_t> {
    std::tm copy = fields;
    time_t t = std::mktime(&copy);
    return static_cast<int64_t>(t);
  };
}

namespace {

// timegm(3) on broken-down fields, through the calendar of cert_time.h
// (a day of month out of range rolls over, as timegm's does).
int64_t TimeGm(const std::tm& t) {
  return UnixFromCivilUtc(CivilTime{int64_t{t.tm_year} + 1900, int64_t{t.tm_mon} + 1, t.tm_mday, t.tm_hour, t.tm_min,
                                    t.tm_sec});
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// glibc strptime's get_number(): blanks skipped, then up to `n` digits
// while the value can still grow within `to`.
bool GetNumber(std::string_view s, size_t* pos, int from, int to, int n, int* val) {
  size_t i = *pos;
  while (i < s.size() && IsCSpace(s[i])) ++i;
  if (i >= s.size() || !IsDigit(s[i])) return false;
  int v = 0;
  do {
    v = v * 10 + (s[i++] - '0');
  } while (--n > 0 && v * 10 <= to && i < s.size() && IsDigit(s[i]));
  if (v < from || v > to) return false;
  *pos = i;
  *val = v;
  return true;
}

// strptime(buf, fmt, &tm) for the conversions parse_absolute_time uses;
// true only if the whole of `s` was consumed.
bool MiniStrptime(std::string_view s, std::string_view fmt, std::tm* tm) {
  size_t rp = 0;
  for (size_t f = 0; f < fmt.size(); ++f) {
    if (fmt[f] != '%') {
      if (rp >= s.size() || s[rp] != fmt[f]) return false;
      ++rp;
      continue;
    }
    char conv = fmt[++f];
    int v = 0;
    switch (conv) {
      case 'Y':
        if (!GetNumber(s, &rp, 0, 9999, 4, &v)) return false;
        tm->tm_year = v - 1900;
        break;
      case 'm':
        if (!GetNumber(s, &rp, 1, 12, 2, &v)) return false;
        tm->tm_mon = v - 1;
        break;
      case 'd':
        if (!GetNumber(s, &rp, 1, 31, 2, &v)) return false;
        tm->tm_mday = v;
        break;
      case 'H':
        if (!GetNumber(s, &rp, 0, 23, 2, &v)) return false;
        tm->tm_hour = v;
        break;
      case 'M':
        if (!GetNumber(s, &rp, 0, 59, 2, &v)) return false;
        tm->tm_min = v;
        break;
      case 'S':
        if (!GetNumber(s, &rp, 0, 61, 2, &v)) return false;
        tm->tm_sec = v;
        break;
      default: return false;
    }
  }
  return rp == s.size();
}

// snprintf("%.Ns", p): at most n bytes of p.
std::string_view Prefix(std::string_view s, size_t at, size_t n) {
  if (at >= s.size()) return {};
  return s.substr(at, n);
}

// strtonum(3) (OpenBSD): base 10, leading blanks and a sign allowed, the
// whole string, within [lo, hi].
bool StrToNum(std::string_view s, long long lo, long long hi, long long* out) {
  size_t i = 0;
  while (i < s.size() && IsCSpace(s[i])) ++i;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    neg = s[i] == '-';
    ++i;
  }
  if (i >= s.size() || !IsDigit(s[i])) return false;
  long long v = 0;
  bool overflow = false;
  for (; i < s.size(); ++i) {
    if (!IsDigit(s[i])) return false;
    if (v > (LLONG_MAX - (s[i] - '0')) / 10) {
      overflow = true;
    } else {
      v = v * 10 + (s[i] - '0');
    }
  }
  if (overflow) return false;
  if (neg) v = -v;
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool ValidEnvName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c);
    if (!alnum && c != '_') return false;
  }
  return true;
}

class OptionParser {
 public:
  OptionParser(std::string_view s, const AuthParseOptions& parse) : s_(s), parse_(parse) {}

  StatusOr<KeyRights> Run(std::vector<AuthorizedKeyOption>* model) {
    KeyRights r;
    while (i_ < s_.size() && s_[i_] != ' ' && s_[i_] != '\t') {
      int f;
      std::string name;
      if ((f = Flag("restrict", false, &name)) != -1) {
        r.restricted = true;
        r.port_forwarding = r.agent_forwarding = r.x11_forwarding = r.pty = r.user_rc = false;
        Add(model, name);
      } else if ((f = Flag("cert-authority", false, &name)) != -1) {
        r.cert_authority = f == 1;
        Add(model, name);
      } else if ((f = Flag("port-forwarding", true, &name)) != -1) {
        r.port_forwarding = f == 1;
        Add(model, name);
      } else if ((f = Flag("agent-forwarding", true, &name)) != -1) {
        r.agent_forwarding = f == 1;
        Add(model, name);
      } else if ((f = Flag("x11-forwarding", true, &name)) != -1) {
        r.x11_forwarding = f == 1;
        Add(model, name);
      } else if ((f = Flag("touch-required", true, &name)) != -1) {
        r.no_touch_required = f != 1;
        Add(model, name);
      } else if ((f = Flag("verify-required", true, &name)) != -1) {
        r.verify_required = f == 1;
        Add(model, name);
      } else if ((f = Flag("pty", true, &name)) != -1) {
        r.pty = f == 1;
        Add(model, name);
      } else if ((f = Flag("user-rc", true, &name)) != -1) {
        r.user_rc = f == 1;
        Add(model, name);
      } else if (Match("command")) {
        if (r.command) return Fail("multiple \"command\" clauses");
        KW_ASSIGN_OR_RETURN(std::string v, Dequote());
        r.command = v;
        Add(model, "command", v);
      } else if (Match("principals")) {
        if (r.principals) return Fail("multiple \"principals\" clauses");
        KW_ASSIGN_OR_RETURN(std::string v, Dequote());
        r.principals = v;
        Add(model, "principals", v);
      } else if (Match("from")) {
        if (r.from) return Fail("multiple \"from\" clauses");
        KW_ASSIGN_OR_RETURN(std::string v, Dequote());
        r.from = v;
        Add(model, "from", v);
      } else if (Match("expiry-time")) {
        KW_ASSIGN_OR_RETURN(std::string v, Dequote());
        LocalTimeFn local = parse_.local_time ? parse_.local_time : SystemLocalTime();
        StatusOr<ExpiryTime> t = ParseExpiryTime(v, local);
        if (!t.ok()) return Fail("invalid expires time");
        if (!r.valid_before || t->unix_time < *r.valid_before) r.valid_before = t->unix_time;
        Add(model, "expiry-time", v);
      } else if (Match("environment")) {
        if (r.environment.size() > kMaxAuthEnvironment) return Fail("too many environment strings");
        KW_ASSIGN_OR_RETURN(std::string v, Dequote());
        size_t eq = v.find('=');
        if (eq == std::string::npos || !ValidEnvName(std::string_view(v).substr(0, eq))) {
          return Fail("invalid environment string");
        }
        bool dup = false;
        for (const std::string& e : r.environment) dup |= e.compare(0, eq + 1, v, 0, eq + 1) == 0;
        if (!dup) r.environment.push_back(v);
        Add(model, "environment", v);
      } else if (Match("permitopen")) {
        KW_ASSIGN_OR_RETURN(std::string v, Permit(false, &r.permitopen));
        Add(model, "permitopen", v);
      } else if (Match("permitlisten")) {
        KW_ASSIGN_OR_RETURN(std::string v, Permit(true, &r.permitlisten));
        Add(model, "permitlisten", v);
      } else if (Match("tunnel")) {
        KW_ASSIGN_OR_RETURN(std::string v, Dequote());
        long long t = 0;
        if (strcasecmp(v.c_str(), "any") == 0) {
          r.tunnel = kTunnelAny;
        } else if (v.find('\0') == std::string::npos && StrToNum(v, 0, kTunnelMax, &t)) {
          r.tunnel = static_cast<int>(t);
        } else {
          return Fail("invalid tun device");
        }
        Add(model, "tunnel", v);
      }
      if (i_ >= s_.size() || s_[i_] == ' ' || s_[i_] == '\t') break;
      if (s_[i_] != ',') return Fail("unknown key option");
      ++i_;
      if (i_ >= s_.size()) return Fail("unexpected end-of-options");
    }
    return r;
  }

 private:
  static Status Fail(const char* why) { return InvalidArgumentError(why); }

  static void Add(std::vector<AuthorizedKeyOption>* model, std::string name,
                  std::optional<std::string> value = std::nullopt) {
    if (model) model->push_back({std::move(name), std::move(value)});
  }

  bool StartsWithNoCase(size_t at, std::string_view word) const {
    return s_.size() - at >= word.size() && strncasecmp(s_.data() + at, word.data(), word.size()) == 0;
  }

  // opt_flag(): -1 no match, 1 the option, 0 its "no-" form.
  int Flag(std::string_view opt, bool allow_negate, std::string* name) {
    size_t at = i_;
    bool negate = false;
    if (allow_negate && StartsWithNoCase(at, "no-")) {
      at += 3;
      negate = true;
    }
    if (!StartsWithNoCase(at, opt)) return -1;
    i_ = at + opt.size();
    *name = (negate ? "no-" : "") + std::string(opt);
    return negate ? 0 : 1;
  }

  // opt_match(): "term=".
  bool Match(std::string_view term) {
    if (!StartsWithNoCase(i_, term) || i_ + term.size() >= s_.size() || s_[i_ + term.size()] != '=') return false;
    i_ += term.size() + 1;
    return true;
  }

  // opt_dequote(): a double-quoted value; only \" is an escape.
  StatusOr<std::string> Dequote() {
    if (i_ >= s_.size() || s_[i_] != '"') return Fail("missing start quote");
    size_t k = i_ + 1;
    std::string out;
    while (k < s_.size() && s_[k] != '"') {
      if (s_[k] == '\\' && k + 1 < s_.size() && s_[k + 1] == '"') ++k;
      out.push_back(s_[k++]);
    }
    if (k >= s_.size()) return Fail("missing end quote");
    i_ = k + 1;
    return out;
  }

  // a2port(): a number 0..65535, else a service name.
  int A2Port(std::string_view p) const {
    long long v = 0;
    if (StrToNum(p, 0, 65535, &v)) return static_cast<int>(v);
    if (parse_.service_port) {
      if (std::optional<int> port = parse_.service_port(p)) return *port;
    }
    return -1;
  }

  // handle_permit(): validates "host:port" and records the value as written
  // (a bare permitlisten port becomes "*:port").
  StatusOr<std::string> Permit(bool allow_bare_port, std::vector<std::string>* permits) {
    if (permits->size() > kMaxAuthPermits) return Fail("too many permission directives");
    KW_ASSIGN_OR_RETURN(std::string opt, Dequote());
    std::string recorded = opt;
    if (allow_bare_port && recorded.find(':') == std::string::npos) recorded = "*:" + recorded;
    // hpdelim2(): "[v6]" or up to ':' or '/'.
    std::string_view t = recorded;
    size_t nul = t.find('\0');
    if (nul != std::string_view::npos) t = t.substr(0, nul);
    size_t delim;
    if (!t.empty() && t[0] == '[') {
      size_t close = t.find(']');
      if (close == std::string_view::npos) return Fail("invalid permission hostname");
      delim = close + 1;
    } else {
      delim = t.find_first_of(":/");
      if (delim == std::string_view::npos) delim = t.size();
    }
    std::optional<std::string_view> port;
    if (delim < t.size()) {
      if (t[delim] != ':' && t[delim] != '/') return Fail("invalid permission hostname");
      port = t.substr(delim + 1);
    }
    std::string_view host = t.substr(0, delim);
    if (host.size() >= 1025) return Fail("invalid permission hostname");
    if (!port || (*port != "*" && A2Port(*port) <= 0)) return Fail("invalid permission port");
    permits->push_back(recorded);
    return opt;
  }

  std::string_view s_;
  const AuthParseOptions& parse_;
  size_t i_ = 0;
};

// sshkey_advance_past_options(): to the first blank outside quotes; false
// for an unterminated quote.
bool AdvancePastOptions(std::string_view s, size_t* pos) {
  size_t i = *pos;
  bool quoted = false;
  for (; i < s.size() && (quoted || (s[i] != ' ' && s[i] != '\t')); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '"') {
      ++i;
    } else if (s[i] == '"') {
      quoted = !quoted;
    }
  }
  *pos = i;
  return !(i >= s.size() && quoted);
}

std::string_view CText(std::string_view text) {
  size_t nul = text.find('\0');
  return nul == std::string_view::npos ? text : text.substr(0, nul);
}

size_t SkipBlanks(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return i;
}

}  // namespace

LocalTimeFn UtcAsLocalTime() {
  return [](const std::tm& fields) -> std::optional<int64_t> { return TimeGm(fields); };
}

std::string FormatUtcTime(int64_t t) {
  int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t secs = t - days * 86400;
  // civil_from_days
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp + (mp < 10 ? 3 : -9);
  y += m <= 2;
  auto two = [](int64_t v) {
    std::string digits = std::to_string(v);
    return digits.size() < 2 ? "0" + digits : digits;
  };
  std::string year = std::to_string(y);
  while (year.size() < 4) year.insert(year.begin(), '0');
  return year + "-" + two(m) + "-" + two(d) + "T" + two(secs / 3600) + ":" + two(secs / 60 % 60) + ":" +
         two(secs % 60) + "Z";
}

StatusOr<ExpiryTime> ParseExpiryTime(std::string_view text, const LocalTimeFn& local_time) {
  std::string_view s = CText(text);
  ExpiryTime out;
  out.text = std::string(text);
  size_t l = s.size();
  if (l > 1 && strncasecmp(s.data() + l - 1, "Z", 1) == 0) {
    out.utc = true;
    l -= 1;
  } else if (l > 3 && strncasecmp(s.data() + l - 3, "UTC", 3) == 0) {
    out.utc = true;
    l -= 3;
  }
  std::string buf;
  std::string_view fmt;
  switch (l) {
    case 8:
      fmt = "%Y-%m-%d";
      buf = std::string(Prefix(s, 0, 4)) + "-" + std::string(Prefix(s, 4, 2)) + "-" + std::string(Prefix(s, 6, 2));
      break;
    case 12:
      fmt = "%Y-%m-%dT%H:%M";
      buf = std::string(Prefix(s, 0, 4)) + "-" + std::string(Prefix(s, 4, 2)) + "-" + std::string(Prefix(s, 6, 2)) +
            "T" + std::string(Prefix(s, 8, 2)) + ":" + std::string(Prefix(s, 10, 2));
      break;
    case 14:
      fmt = "%Y-%m-%dT%H:%M:%S";
      buf = std::string(Prefix(s, 0, 4)) + "-" + std::string(Prefix(s, 4, 2)) + "-" + std::string(Prefix(s, 6, 2)) +
            "T" + std::string(Prefix(s, 8, 2)) + ":" + std::string(Prefix(s, 10, 2)) + ":" +
            std::string(Prefix(s, 12, 2));
      break;
    default:
      return InvalidArgumentError("expiry time \"" + std::string(s) +
                                  "\" is not YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS (with an optional Z)");
  }
  std::tm tm{};
  if (!MiniStrptime(buf, fmt, &tm)) return InvalidArgumentError("expiry time \"" + std::string(s) + "\" is not a date");
  out.fields = tm;
  std::optional<int64_t> t;
  if (out.utc) {
    t = TimeGm(tm);
  } else {
    t = local_time ? local_time(tm) : SystemLocalTime()(tm);
  }
  if (!t || *t < 0) return InvalidArgumentError("expiry time \"" + std::string(s) + "\" is before 1970");
  if (*t == 0) return InvalidArgumentError("expiry time \"" + std::string(s) + "\" is the epoch");
  out.unix_time = *t;
  return out;
}

StatusOr<KeyRights> ParseKeyOptions(std::string_view options, const AuthParseOptions& parse,
                                    std::vector<AuthorizedKeyOption>* model) {
  OptionParser p(CText(options), parse);
  return p.Run(model);
}

ParsedAuthLine ParseAuthorizedKeysLine(std::string_view text, size_t number, const AuthParseOptions& parse) {
  ParsedAuthLine out;
  out.number = number;
  out.text = text;
  std::string_view s = CText(text);
  size_t cp = SkipBlanks(s, 0);
  if (cp >= s.size() || s[cp] == '#') {
    out.kind = AuthLineKind::kComment;
    return out;
  }
  std::string_view rest = s.substr(cp);
  StatusOr<ParsedKeyText> key = ReadKeyText(rest);
  if (key.ok()) {
    out.kind = AuthLineKind::kKey;
    out.line = AuthorizedKeyLine{{}, std::move(key->key), std::string(key->rest)};
    out.rights = KeyRights{};
    return out;
  }
  size_t end = 0;
  if (!AdvancePastOptions(rest, &end)) {
    out.kind = AuthLineKind::kBadOptions;
    out.reason = "invalid key option string (a double quote is not closed)";
    out.options = rest;
    return out;
  }
  out.options = rest.substr(0, end);
  std::string_view after = rest.substr(SkipBlanks(rest, end));
  StatusOr<ParsedKeyText> key2 = ReadKeyText(after);
  if (!key2.ok()) {
    out.kind = AuthLineKind::kNoKey;
    // The more telling of the two attempts: the first if the line starts
    // with a key type, else the one after the options.
    std::string_view first = rest.substr(0, rest.find_first_of(" \t"));
    bool starts_with_type = FamilyOfLineName(first).has_value();
    out.reason = "no key sshd can read: " +
                 (starts_with_type || after.empty() ? key.status().message() : key2.status().message());
    out.options = {};
    return out;
  }
  std::vector<AuthorizedKeyOption> model;
  StatusOr<KeyRights> rights = ParseKeyOptions(rest, parse, &model);
  out.line = AuthorizedKeyLine{{}, std::move(key2->key), std::string(key2->rest)};
  if (!rights.ok()) {
    out.kind = AuthLineKind::kBadOptions;
    out.reason = "bad key options: " + rights.status().message();
    return out;
  }
  out.kind = AuthLineKind::kKey;
  out.line->options = std::move(model);
  out.rights = std::move(*rights);
  return out;
}

std::vector<ParsedAuthLine> ParseAuthorizedKeys(std::string_view text, const AuthParseOptions& parse) {
  std::vector<ParsedAuthLine> out;
  LineCursor cursor(text);
  std::string_view l;
  bool nl;
  size_t n;
  while (cursor.Next(&l, &nl, &n)) out.push_back(ParseAuthorizedKeysLine(l, n, parse));
  return out;
}

StatusOr<AuthorizedKeyLine> ParseAuthorizedKeyLine(std::string_view text, const AuthParseOptions& parse) {
  ParsedAuthLine p = ParseAuthorizedKeysLine(text, 1, parse);
  switch (p.kind) {
    case AuthLineKind::kKey: return std::move(*p.line);
    case AuthLineKind::kComment: return InvalidArgumentError("no key: the line is blank or a comment");
    case AuthLineKind::kBadOptions:
    case AuthLineKind::kNoKey: break;
  }
  return InvalidArgumentError(p.reason);
}

StatusOr<std::string> RenderAuthorizedKeyLine(const AuthorizedKeyLine& line, const AuthParseOptions& parse) {
  std::string out;
  for (size_t i = 0; i < line.options.size(); ++i) {
    const AuthorizedKeyOption& o = line.options[i];
    if (o.name.empty() || o.name.find_first_of(" \t\",=\n") != std::string::npos) {
      return InvalidArgumentError("bad option name \"" + o.name + "\"");
    }
    if (i > 0) out += ',';
    out += o.name;
    if (o.value) {
      const std::string& v = *o.value;
      if (v.find('\0') != std::string::npos || v.find('\n') != std::string::npos) {
        return InvalidArgumentError("the value of " + o.name + " holds a newline or NUL byte");
      }
      if (!v.empty() && v.back() == '\\') {
        return InvalidArgumentError("the value of " + o.name +
                                    " ends with a backslash, which sshd would read as escaping the closing quote");
      }
      out += "=\"";
      for (char c : v) {
        if (c == '"') out += '\\';
        out += c;
      }
      out += '"';
    }
  }
  if (!out.empty()) out += ' ';
  if (line.comment.find_first_of("\n\r") != std::string::npos || line.comment.find('\0') != std::string::npos) {
    return InvalidArgumentError("the comment holds a line break or NUL byte");
  }
  if (!line.comment.empty() && (line.comment[0] == ' ' || line.comment[0] == '\t')) {
    return InvalidArgumentError("the comment starts with a blank, which would not survive a round trip");
  }
  out += FormatPublicKey(line.key, line.comment);
  // Prove it: sshd must read back exactly this model.
  StatusOr<AuthorizedKeyLine> back = ParseAuthorizedKeyLine(out, parse);
  if (!back.ok()) return InvalidArgumentError("rendered line does not parse: " + back.status().message());
  if (back->options != line.options || !(back->key == line.key) || back->comment != line.comment) {
    return InvalidArgumentError("rendered line does not read back the same (unknown or misspelt option name?)");
  }
  return out;
}

LineDecision EvaluateAuthorizedKeyLine(std::string_view text, size_t number, const PublicKey& key,
                                       const ClientInfo& client, int64_t now, const AuthParseOptions& parse) {
  LineDecision d;
  d.line = number;
  std::string_view s = CText(text);
  size_t cp = SkipBlanks(s, 0);
  if (cp >= s.size() || s[cp] == '#') return d;
  std::string_view rest = s.substr(cp);
  KeyFamily want = FamilyOf(key.type());
  std::string_view options;
  StatusOr<ParsedKeyText> found = ReadKeyText(rest, want);
  if (!found.ok()) {
    size_t end = 0;
    if (!AdvancePastOptions(rest, &end)) {
      d.verdict = LineVerdict::kBadOptions;
      d.reason = "invalid key option string";
      return d;
    }
    options = rest;
    found = ReadKeyText(rest.substr(SkipBlanks(rest, end)), want);
    if (!found.ok()) return d;
  }
  StatusOr<KeyRights> rights = options.empty() ? StatusOr<KeyRights>(KeyRights{}) : ParseKeyOptions(options, parse);
  d.key_matches = found->key == key;
  if (!rights.ok()) {
    d.verdict = LineVerdict::kBadOptions;
    d.reason = "bad key options: " + rights.status().message();
    return d;
  }
  d.rights = *rights;
  if (!d.key_matches || d.rights.cert_authority) {
    d.key_matches = d.key_matches && !d.rights.cert_authority;
    return d;
  }
  // auth_authorise_keyopts()
  d.verdict = LineVerdict::kRefused;
  if (d.rights.valid_before && now > 0 && *d.rights.valid_before < now) {
    d.reason = "entry expired at " + FormatUtcTime(*d.rights.valid_before);
    return d;
  }
  if (d.rights.principals) {
    d.reason = "principals on non-CA key";
    return d;
  }
  if (d.rights.from && client.address.empty() && client.host.empty()) {
    d.reason = "from=\"" + *d.rights.from + "\" needs the client's address";
    return d;
  }
  if (d.rights.from) {
    std::string_view host = client.host.empty() ? std::string_view(client.address) : std::string_view(client.host);
    int m = MatchHostAndIp(host, client.address, *d.rights.from);
    if (m != 1) {
      d.reason = std::string(m == -1 ? "invalid from criteria; " : "") + "host " + std::string(host) +
                 " (address " + client.address + ") is not permitted by from=\"" + *d.rights.from + "\"";
      return d;
    }
  }
  d.verdict = LineVerdict::kAccepted;
  return d;
}

AuthDecision EvaluateAuthorizedKeys(std::string_view text, const PublicKey& key, const ClientInfo& client,
                                    int64_t now, const AuthParseOptions& parse) {
  AuthDecision out;
  if (key.type() == KeyType::kDsa) {
    out.key_type_note = "sshd 9.2 refuses ssh-dss keys unless PubkeyAcceptedAlgorithms adds them";
  }
  LineCursor cursor(text);
  std::string_view l;
  bool nl;
  size_t n;
  while (cursor.Next(&l, &nl, &n)) {
    if (out.allowed) break;  // sshd reads on, but nothing changes
    LineDecision d = EvaluateAuthorizedKeyLine(l, n, key, client, now, parse);
    switch (d.verdict) {
      case LineVerdict::kAccepted:
        out.allowed = true;
        out.line = n;
        out.rights = d.rights;
        break;
      case LineVerdict::kRefused:
      case LineVerdict::kBadOptions:
        if (d.key_matches) out.rejections.push_back(std::move(d));
        break;
      case LineVerdict::kSkipped: break;
    }
  }
  return out;
}

}  // namespace kw::formats

namespace kw::formats {

std::vector<AuthLineProblem> LintAuthorizedKeys(std::string_view text, int64_t now, const AuthParseOptions& parse) {
  std::vector<AuthLineProblem> out;
  for (const ParsedAuthLine& p : ParseAuthorizedKeys(text, parse)) {
    switch (p.kind) {
      case AuthLineKind::kComment: continue;
      case AuthLineKind::kNoKey:
      case AuthLineKind::kBadOptions:
        out.push_back({p.number, true, p.reason});
        continue;
      case AuthLineKind::kKey: break;
    }
    const KeyRights& r = *p.rights;
    if (r.valid_before && now > 0 && *r.valid_before < now) {
      out.push_back({p.number, true, "expired at " + FormatUtcTime(*r.valid_before)});
    }
    if (r.principals && !r.cert_authority) {
      out.push_back({p.number, true, "principals= without cert-authority: sshd refuses the key"});
    }
    if (r.from && AddrMatchList(std::nullopt, *r.from) == -2) {
      out.push_back({p.number, true,
                     "from=\"" + *r.from + "\" holds an empty entry or a bad network mask: sshd refuses every login"});
    }
    if (p.line->key.type() == KeyType::kDsa) {
      out.push_back({p.number, false, "ssh-dss key: sshd 9.2 refuses DSA keys by default"});
    }
  }
  return out;
}

}  // namespace kw::formats
