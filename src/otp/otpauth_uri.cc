#include "otp/otpauth_uri.h"

#include <optional>
#include <vector>

#include "otp/base32.h"

namespace kw::otp {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// A decimal number without sign, at most 18 digits.
bool ParseDecimal(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

Status UriError(std::string_view what) { return InvalidArgumentError("otpauth URI: " + std::string(what)); }

}  // namespace

StatusOr<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) {
      return UriError("truncated %-escape at offset " + std::to_string(i));
    }
    int hi = HexValue(text[i + 1]), lo = HexValue(text[i + 2]);
    if (hi < 0 || lo < 0) return UriError("bad %-escape at offset " + std::to_string(i));
    out += static_cast<char>(hi << 4 | lo);
    i += 2;
  }
  return out;
}

std::string BuildOtpAuthUri(const OtpAuthUri& uri) {
  // '@' is a legal path and query character (RFC 3986 pchar) and keeps
  // "alice@host" readable; a literal ':' separates issuer and account, so
  // inside either part it is escaped.
  std::string s = uri.type == OtpType::kHotp ? "otpauth://hotp/" : "otpauth://totp/";
  // Without an issuer, an account with a ':' in it still needs the literal
  // separator (with nothing before it), or a reader would split at the %3A.
  if (!uri.issuer.empty() || uri.account.find(':') != std::string::npos) s += PercentEncode(uri.issuer, "@") + ":";
  s += PercentEncode(uri.account, "@");
  s += "?secret=" + Base32Encode(uri.secret.span());
  if (!uri.issuer.empty()) s += "&issuer=" + PercentEncode(uri.issuer, "@");
  if (uri.algorithm != Algorithm::kSha1) s += "&algorithm=" + std::string(AlgorithmName(uri.algorithm));
  if (uri.digits != 6) s += "&digits=" + std::to_string(uri.digits);
  if (uri.type == OtpType::kHotp) {
    s += "&counter=" + std::to_string(uri.counter);
  } else if (uri.period != kDefaultStep) {
    s += "&period=" + std::to_string(uri.period);
  }
  return s;
}

StatusOr<OtpAuthUri> ParseOtpAuthUri(std::string_view text) {
  if (text.size() > kMaxOtpAuthUriSize) return UriError("longer than " + std::to_string(kMaxOtpAuthUriSize) + " bytes");
  constexpr std::string_view kScheme = "otpauth://";
  if (text.size() < kScheme.size() || !EqualsNoCase(text.substr(0, kScheme.size()), kScheme))
    return UriError("does not start with otpauth://");
  std::string_view rest = text.substr(kScheme.size());
  size_t fragment = rest.find('#');
  if (fragment != std::string_view::npos) rest = rest.substr(0, fragment);

  OtpAuthUri out;
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return UriError("no label (otpauth://TYPE/LABEL?...)");
  std::string_view type = rest.substr(0, slash);
  if (EqualsNoCase(type, "totp")) {
    out.type = OtpType::kTotp;
  } else if (EqualsNoCase(type, "hotp")) {
    out.type = OtpType::kHotp;
  } else {
    return UriError("unknown type \"" + std::string(type) + "\" (totp or hotp)");
  }
  rest = rest.substr(slash + 1);
  size_t q = rest.find('?');
  std::string_view label_enc = rest.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : rest.substr(q + 1);

  // The issuer/account separator is a literal ':' (what we write; a ':'
  // inside either part is then escaped) or, failing that, the first "%3A".
  std::string label_issuer, account;
  if (size_t colon = label_enc.find(':'); colon != std::string_view::npos) {
    KW_ASSIGN_OR_RETURN(label_issuer, PercentDecode(label_enc.substr(0, colon)));
    KW_ASSIGN_OR_RETURN(account, PercentDecode(label_enc.substr(colon + 1)));
  } else {
    KW_ASSIGN_OR_RETURN(std::string label, PercentDecode(label_enc));
    if (size_t dc = label.find(':'); dc != std::string::npos) {
      label_issuer = label.substr(0, dc);
      account = label.substr(dc + 1);
    } else {
      account = std::move(label);
    }
  }
  size_t start = account.find_first_not_of(' ');
  out.account = start == std::string::npos ? std::string() : account.substr(start);

  std::optional<std::string> secret_text, issuer, algorithm, digits, period, counter;
  std::vector<std::string> seen;
  size_t pos = 0;
  while (pos <= query.size() && !query.empty()) {
    size_t amp = query.find('&', pos);
    std::string_view param = query.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    pos = amp == std::string_view::npos ? query.size() + 1 : amp + 1;
    if (param.empty()) continue;
    size_t eq = param.find('=');
    std::string_view key = param.substr(0, eq);
    KW_ASSIGN_OR_RETURN(std::string value,
                        PercentDecode(eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1)));
    std::optional<std::string>* slot = nullptr;
    if (key == "secret") slot = &secret_text;
    else if (key == "issuer") slot = &issuer;
    else if (key == "algorithm") slot = &algorithm;
    else if (key == "digits") slot = &digits;
    else if (key == "period") slot = &period;
    else if (key == "counter") slot = &counter;
    if (slot == nullptr) continue;  // unknown parameters are allowed
    if (slot->has_value()) return UriError("parameter \"" + std::string(key) + "\" given twice");
    *slot = std::move(value);
  }

  if (!secret_text) return UriError("no secret parameter");
  {
    auto secret = Base32DecodePadded(*secret_text);
    SecureWipe(secret_text->data(), secret_text->size());
    if (!secret.ok()) return UriError("secret: " + secret.status().message());
    out.secret = std::move(secret).value();
  }
  out.issuer = issuer ? *issuer : label_issuer;
  if (algorithm && !ParseAlgorithm(*algorithm, &out.algorithm))
    return UriError("algorithm \"" + *algorithm + "\" is not SHA1, SHA256 or SHA512");
  if (digits) {
    uint64_t d = 0;
    if (!ParseDecimal(*digits, &d) || d < static_cast<uint64_t>(kMinDigits) || d > static_cast<uint64_t>(kMaxDigits))
      return UriError("digits \"" + *digits + "\" is not 6, 7 or 8");
    out.digits = static_cast<int>(d);
  }
  if (period) {
    uint64_t p = 0;
    if (!ParseDecimal(*period, &p) || p == 0 || p > 1000000000)
      return UriError("period \"" + *period + "\" is not a positive number of seconds");
    out.period = static_cast<int64_t>(p);
  }
  if (out.type == OtpType::kHotp) {
    if (!counter) return UriError("hotp URI without a counter parameter");
    if (!ParseDecimal(*counter, &out.counter)) return UriError("counter \"" + *counter + "\" is not a number");
  }
  return out;
}

}  // namespace kw::otp
