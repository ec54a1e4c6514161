#include "formats/allowed_signers.h"

#include <algorithm>
#include <cstring>
#include <strings.h>

#include "base/settings.h"
#include "formats/host_pattern.h"

namespace kw::formats {
namespace {

constexpr char kWhitespace[] = " \t\r\n";

enum class LineResult { kSkip, kError, kOk };

struct SignerOptions {
  bool ca = false;
  std::optional<std::string> namespaces;
  uint64_t valid_after = 0;
  uint64_t valid_before = 0;
};

// strdelimw(): the first token, ended by whitespace or taken from between
// double quotes. nullopt when the line holds no delimiter at all.
std::optional<std::string> TakeToken(std::string* s, size_t* pos) {
  size_t start = *pos;
  size_t p = s->find_first_of(std::string(kWhitespace) + "\"", start);
  if (p == std::string::npos) return std::nullopt;
  if ((*s)[p] == '"') {
    s->erase(p, 1);
    size_t q = s->find('"', p);
    if (q == std::string::npos) return std::nullopt;
    std::string tok = s->substr(start, q - start);
    size_t after = s->find_first_not_of(kWhitespace, q + 1);
    *pos = after == std::string::npos ? s->size() : after;
    return tok;
  }
  std::string tok = s->substr(start, p - start);
  size_t after = s->find_first_not_of(kWhitespace, p + 1);
  *pos = after == std::string::npos ? s->size() : after;
  return tok;
}

// opt_dequote(): a double-quoted value with \" escapes.
std::optional<std::string> Dequote(std::string_view s, size_t* pos, const char** err) {
  if (*pos >= s.size() || s[*pos] != '"') {
    *err = "missing start quote";
    return std::nullopt;
  }
  size_t i = *pos + 1;
  std::string out;
  while (i < s.size() && s[i] != '"') {
    if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '"') ++i;
    out += s[i++];
  }
  if (i >= s.size()) {
    *err = "missing end quote";
    return std::nullopt;
  }
  *pos = i + 1;
  return out;
}

bool OptMatch(std::string_view s, size_t* pos, std::string_view term) {
  if (s.size() - *pos > term.size() && strncasecmp(s.data() + *pos, term.data(), term.size()) == 0 &&
      s[*pos + term.size()] == '=') {
    *pos += term.size() + 1;
    return true;
  }
  return false;
}

// sshsigopt_parse().
std::optional<SignerOptions> ParseOptions(std::string_view opts, const TimeZone& zone, const char** err) {
  SignerOptions o;
  size_t i = 0;
  while (i < opts.size() && opts[i] != ' ' && opts[i] != '\t') {
    if (opts.size() - i >= 14 && strncasecmp(opts.data() + i, "cert-authority", 14) == 0) {
      o.ca = true;
      i += 14;
    } else if (OptMatch(opts, &i, "namespaces")) {
      if (o.namespaces) {
        *err = "multiple \"namespaces\" clauses";
        return std::nullopt;
      }
      o.namespaces = Dequote(opts, &i, err);
      if (!o.namespaces) return std::nullopt;
    } else if (bool after = OptMatch(opts, &i, "valid-after"); after || OptMatch(opts, &i, "valid-before")) {
      uint64_t& slot = after ? o.valid_after : o.valid_before;
      if (slot != 0) {
        *err = after ? "multiple \"valid-after\" clauses" : "multiple \"valid-before\" clauses";
        return std::nullopt;
      }
      std::optional<std::string> v = Dequote(opts, &i, err);
      if (!v) return std::nullopt;
      std::optional<uint64_t> t = ParseAbsoluteTime(*v, zone);
      if (!t || *t == 0) {
        *err = after ? "invalid \"valid-after\" time" : "invalid \"valid-before\" time";
        return std::nullopt;
      }
      slot = *t;
    }
    if (i >= opts.size() || opts[i] == ' ' || opts[i] == '\t') break;
    if (opts[i] != ',') {
      *err = "unknown key option";
      return std::nullopt;
    }
    ++i;
    if (i >= opts.size()) {
      *err = "unexpected end-of-options";
      return std::nullopt;
    }
  }
  if (o.valid_after != 0 && o.valid_before != 0 && o.valid_before <= o.valid_after) {
    *err = "\"valid-before\" time is before \"valid-after\"";
    return std::nullopt;
  }
  return o;
}

struct ParsedLine {
  std::string principals;
  std::optional<KeyOrCert> key;
  SignerOptions options;
};

// parse_principals_key_and_options(): kSkip for comments and, with a
// required principal, lines that do not list it; kError (message added) for
// malformed lines.
LineResult ParseLine(std::string_view raw, const std::string& where, const std::optional<std::string>& required,
                     const TimeZone& zone, ParsedLine* out, std::vector<std::string>* errors) {
  std::string line(raw.substr(0, raw.find('\0')));
  size_t pos = line.find_first_not_of(" \t");
  if (pos == std::string::npos || line[pos] == '#') return LineResult::kSkip;
  std::optional<std::string> principals = TakeToken(&line, &pos);
  if (!principals) {
    errors->push_back(where + ": invalid line");
    return LineResult::kError;
  }
  if (required && MatchPatternList(*required, *principals, false) != ListMatch::kPositive) return LineResult::kSkip;
  out->principals = *principals;

  // The key, or options and then the key.
  std::string_view rest = std::string_view(line).substr(pos);
  auto try_key = [](std::string_view text) {
    // sshkey_read sees the line's end ("\n") as blank space.
    text = TrimLineBreaks(text);
    return ParseKeyOrCertText(text);
  };
  std::string_view opts;
  auto key = try_key(rest);
  if (!key.ok()) {
    // sshkey_advance_past_options(): to the first blank outside quotes.
    size_t i = 0;
    bool quoted = false;
    for (; i < rest.size() && (quoted || (rest[i] != ' ' && rest[i] != '\t')); ++i) {
      if (rest[i] == '\\' && i + 1 < rest.size() && rest[i + 1] == '"') {
        ++i;
      } else if (rest[i] == '"') {
        quoted = !quoted;
      }
    }
    if (i >= rest.size() && quoted) {
      errors->push_back(where + ": invalid options");
      return LineResult::kError;
    }
    if (i >= rest.size()) {
      errors->push_back(where + ": missing key");
      return LineResult::kError;
    }
    opts = rest.substr(0, i);
    size_t k = rest.find_first_not_of(" \t", i + 1);
    key = try_key(k == std::string_view::npos ? std::string_view() : rest.substr(k));
    if (!key.ok()) {
      errors->push_back(where + ": invalid key");
      return LineResult::kError;
    }
  }
  const char* why = nullptr;
  std::optional<SignerOptions> o = ParseOptions(opts, zone, &why);
  if (!o) {
    errors->push_back(where + ": bad options: " + std::string(why ? why : "(null)"));
    return LineResult::kError;
  }
  out->key.emplace(std::move(key->key));
  out->options = *o;
  return LineResult::kOk;
}

// sshkey_equal(found, sign_key): same type (a certificate never equals a
// plain key) and the same key, or the same certificate.
bool KeysEqual(const KeyOrCert& found, const KeyOrCert& sign) {
  if (found.is_cert() != sign.is_cert()) return false;
  if (found.is_cert()) return found.blob() == sign.blob();
  return found.plain() == sign.plain();
}

// sshkey_cert_check_authority(cert, user, require principal, exact).
const char* CertAuthority(const Certificate& cert, uint64_t now, const std::optional<std::string>& name) {
  if (cert.type() != CertType::kUser) return "Certificate invalid: not a user certificate";
  if (now < cert.valid_after()) return "Certificate invalid: not yet valid";
  if (now >= cert.valid_before()) return "Certificate invalid: expired";
  if (cert.principals().empty()) return "Certificate lacks principal list";
  if (name && std::find(cert.principals().begin(), cert.principals().end(), *name) == cert.principals().end())
    return "Certificate invalid: name is not a listed principal";
  return nullptr;
}

}  // namespace

AllowedSignersResult CheckAllowedSigners(std::string_view text, std::string_view path,
                                         const AllowedSignersQuery& q) {
  AllowedSignersResult res;
  const TimeZone& zone = *q.zone;
  size_t lnum = 0, pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view line = text.substr(pos, end - pos);
    pos = end;
    ++lnum;
    const std::string where = std::string(path) + ":" + std::to_string(lnum);
    ParsedLine pl;
    if (ParseLine(line, where, q.principal, zone, &pl, &res.errors) != LineResult::kOk) continue;

    std::string principals = pl.principals;
    const KeyOrCert& sign = *q.sign_key;
    if (!pl.options.ca && KeysEqual(*pl.key, sign)) {
      // exact key
    } else if (pl.options.ca && sign.is_cert() && sign.cert().signature_key() &&
               !pl.key->is_cert() && *sign.cert().signature_key() == pl.key->plain()) {
      if (q.principal) {
        if (const char* why = CertAuthority(sign.cert(), q.verify_time, q.principal)) {
          res.errors.push_back(where + ": certificate not authorized: " + why);
          continue;
        }
      } else {
        // cert_filter_principals(): the certificate's principals that the
        // line's patterns allow.
        std::string found;
        size_t p = 0;
        while (p <= principals.size()) {
          size_t comma = principals.find(',', p);
          std::string pat = principals.substr(p, comma == std::string::npos ? std::string::npos : comma - p);
          if (pat.empty()) break;
          if (CertAuthority(sign.cert(), q.verify_time, std::nullopt) == nullptr) {
            for (const std::string& cp : sign.cert().principals()) {
              if (MatchPattern(cp, pat)) {
                if (!found.empty()) found += ',';
                found += cp;
              }
            }
          }
          if (comma == std::string::npos) break;
          p = comma + 1;
        }
        if (found.empty()) {
          res.errors.push_back(where + ": no valid principals found");
          continue;
        }
        principals = found;
      }
    } else {
      continue;
    }
    if (pl.options.namespaces && q.sig_namespace &&
        MatchPatternList(*q.sig_namespace, *pl.options.namespaces, false) != ListMatch::kPositive) {
      res.errors.push_back(where + ": key is not permitted for use in signature namespace \"" + *q.sig_namespace +
                           "\"");
      continue;
    }
    if (pl.options.valid_after != 0 && q.verify_time < pl.options.valid_after) {
      res.errors.push_back(where + ": key is not yet valid: verify time " + FormatAbsoluteTime(q.verify_time, zone) +
                           " < valid-after " + FormatAbsoluteTime(pl.options.valid_after, zone));
      continue;
    }
    if (pl.options.valid_before != 0 && q.verify_time > pl.options.valid_before) {
      res.errors.push_back(where + ": key has expired: verify time " + FormatAbsoluteTime(q.verify_time, zone) +
                           " > valid-before " + FormatAbsoluteTime(pl.options.valid_before, zone));
      continue;
    }
    res.found = true;
    res.principals = principals;
    return res;
  }
  return res;
}

MatchPrincipalsResult MatchAllowedPrincipals(std::string_view text, std::string_view path,
                                             std::string_view principal, const TimeZone& zone) {
  MatchPrincipalsResult res;
  const std::optional<std::string> required{std::string(principal)};
  size_t lnum = 0, pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view line = text.substr(pos, end - pos);
    pos = end;
    ++lnum;
    ParsedLine pl;
    LineResult r = ParseLine(line, std::string(path) + ":" + std::to_string(lnum), required, zone, &pl, &res.errors);
    if (r == LineResult::kSkip) continue;
    if (r == LineResult::kError) {
      res.malformed = true;
      break;
    }
    res.principals.push_back(pl.principals);
  }
  return res;
}

}  // namespace kw::formats
