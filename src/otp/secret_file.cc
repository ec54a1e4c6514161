#include "otp/secret_file.h"

#include <utility>

#include "otp/base32.h"

namespace kw::otp {
namespace {

bool IsBreak(char c) { return c == '\r' || c == '\n'; }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }
// isspace() in the C locale.
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

// End of the line's content (the first CR or LF at or after pos).
size_t ContentEnd(std::string_view t, size_t pos) {
  while (pos < t.size() && !IsBreak(t[pos])) ++pos;
  return pos;
}
// Past the run of CR and LF at pos.
size_t SkipBreaks(std::string_view t, size_t pos) {
  while (pos < t.size() && IsBreak(t[pos])) ++pos;
  return pos;
}
size_t NextLine(std::string_view t, size_t pos) { return SkipBreaks(t, ContentEnd(t, pos)); }

}  // namespace

SecretFile::SecretFile(SecretFile&& other) noexcept
    : text_(std::exchange(other.text_, std::string())),
      secret_(std::move(other.secret_)),
      options_(std::exchange(other.options_, {})) {}

SecretFile& SecretFile::operator=(SecretFile&& other) noexcept {
  if (this != &other) {
    SecureWipe(text_.data(), text_.size());
    text_ = std::exchange(other.text_, std::string());
    secret_ = std::move(other.secret_);
    options_ = std::exchange(other.options_, {});
  }
  return *this;
}

SecretFile::~SecretFile() { SecureWipe(text_.data(), text_.size()); }

StatusOr<SecretFile> SecretFile::Parse(std::string_view text) {
  if (text.empty()) return InvalidArgumentError("secret file is empty");
  if (text.size() > kMaxSecretFileSize)
    return OutOfRangeError("secret file is larger than " + std::to_string(kMaxSecretFileSize) + " bytes");
  if (text.find('\0') != std::string_view::npos) return InvalidArgumentError("secret file contains a NUL byte");
  size_t eol = text.find('\n');
  auto secret = Base32Decode(text.substr(0, eol));
  if (!secret.ok()) return InvalidArgumentError("line 1: no valid base32 secret (" + secret.status().message() + ")");
  SecretFile f;
  f.text_.assign(text);
  f.secret_ = std::move(secret).value();
  f.Reindex();
  return f;
}

SecretFile SecretFile::Create(const SecretBytes& secret, const NewSecretFileOptions& o,
                              std::span<const uint32_t> scratch_codes) {
  SecretFile f;
  std::string& t = f.text_;
  t.reserve(64 + 80 + 9 * scratch_codes.size());
  t = Base32Encode(secret.span());
  t += '\n';
  if (o.rate_limit) {
    t += "\" RATE_LIMIT " + std::to_string(o.rate_limit->first) + " " + std::to_string(o.rate_limit->second) + "\n";
  }
  if (o.window_size) t += "\" WINDOW_SIZE " + std::to_string(*o.window_size) + "\n";
  if (o.step != kDefaultStep) t += "\" STEP_SIZE " + std::to_string(o.step) + "\n";
  if (o.disallow_reuse) t += "\" DISALLOW_REUSE\n";
  if (o.algorithm != Algorithm::kSha1) t += "\" KW_ALGORITHM " + std::string(AlgorithmName(o.algorithm)) + "\n";
  if (o.digits != 6) t += "\" KW_DIGITS " + std::to_string(o.digits) + "\n";
  t += o.type == OtpType::kHotp ? "\" HOTP_COUNTER 1\n" : "\" TOTP_AUTH\n";
  for (uint32_t code : scratch_codes) t += FormatCode(code, 8) + "\n";
  f.secret_ = secret.Clone();
  f.Reindex();
  return f;
}

void SecretFile::Replace(size_t pos, size_t len, std::string_view with) {
  std::string next;
  next.reserve(text_.size() - len + with.size());
  next.append(text_, 0, pos);
  next.append(with);
  next.append(text_, pos + len, std::string::npos);
  SecureWipe(text_.data(), text_.size());
  text_.swap(next);
  Reindex();
}

void SecretFile::Reindex() {
  options_.clear();
  std::string_view t = text_;
  for (size_t line = 0; line < t.size(); line = NextLine(t, line)) {
    if (t.size() - line < 2 || t[line] != '"' || t[line + 1] != ' ') continue;
    size_t end = line + 2;
    while (end < t.size() && !IsBlank(t[end]) && !IsBreak(t[end])) ++end;
    options_.push_back({line, end - line - 2});
  }
}

size_t SecretFile::Find(std::string_view name, size_t from) const {
  for (const OptionLine& o : options_) {
    if (o.pos >= from && o.name_len == name.size() && text_.compare(o.pos + 2, name.size(), name) == 0) return o.pos;
  }
  return std::string::npos;
}

std::optional<std::string> SecretFile::Get(std::string_view name) const {
  std::string_view t = text_;
  size_t line = Find(name);
  if (line == std::string_view::npos) return std::nullopt;
  size_t v = line + 2 + name.size();
  while (v < t.size() && IsBlank(t[v])) ++v;
  return std::string(t.substr(v, ContentEnd(t, v) - v));
}

void SecretFile::Set(std::string_view name, std::string_view value) {
  std::string line = "\" ";
  line.append(name);
  line += ' ';
  line.append(value);
  line += '\n';
  size_t start = Find(name);
  size_t stop;
  if (start != std::string::npos) {
    stop = NextLine(text_, start);
  } else {
    // Right after line 1 -- which, as the secret is read, ends at the first
    // LF (a lone CR inside it must not split it) -- and the line breaks
    // that follow it.
    size_t eol = text_.find('\n');
    start = stop = eol == std::string::npos ? text_.size() : SkipBreaks(text_, eol);
    // A file that is only a secret without a line break: keep the secret on
    // its own line (the module would glue the option onto it).
    if (eol == std::string::npos) line.insert(0, "\n");
  }
  Replace(start, stop - start, line);
  // Later duplicates of the option go.
  for (size_t pos = Find(name, start + line.size()); pos != std::string::npos;
       pos = Find(name, start + line.size())) {
    Replace(pos, NextLine(text_, pos) - pos, "");
  }
}

template <typename F>
bool SecretFile::ForEachScratchCode(F&& f) const {
  std::string_view t = text_;
  size_t pos = t.find('\n');
  if (pos == std::string_view::npos) return false;
  for (;;) {
    pos = SkipBreaks(t, pos);
    if (pos >= t.size()) return false;
    if (t[pos] == '"') {
      pos = t.find('\n', pos);
      if (pos == std::string_view::npos) return false;
      continue;
    }
    // A number as strtoul() reads it: leading white space (even line
    // breaks), an optional sign, digits; then the line must end.
    size_t p = pos;
    while (p < t.size() && IsSpace(t[p])) ++p;
    bool negative = false;
    if (p < t.size() && (t[p] == '+' || t[p] == '-')) negative = t[p++] == '-';
    size_t digits = p;
    uint64_t value = 0;
    while (p < t.size() && t[p] >= '0' && t[p] <= '9') {
      if (value <= kMaxScratchCode) value = value * 10 + static_cast<uint64_t>(t[p] - '0');
      ++p;
    }
    if (p == digits || negative || (p < t.size() && !IsBreak(t[p]))) return false;
    if (value < kMinScratchCode || value > kMaxScratchCode) return false;
    if (f(pos, p, static_cast<uint32_t>(value))) return true;
    pos = p;
  }
}

std::vector<uint32_t> SecretFile::ScratchCodes() const {
  std::vector<uint32_t> codes;
  ForEachScratchCode([&](size_t, size_t, uint32_t code) {
    codes.push_back(code);
    return false;
  });
  return codes;
}

bool SecretFile::RemoveScratchCode(uint32_t code) {
  size_t start = 0, end = 0;
  // Every listed code is compared, each as one word (no early exit on a
  // matching prefix, none on the match either).
  bool found = false;
  ForEachScratchCode([&](size_t pos, size_t value_end, uint32_t candidate) {
    const bool equal = (candidate ^ code) == 0;
    if (equal && !found) {
      found = true;
      start = pos;
      end = SkipBreaks(text_, value_end);
    }
    return false;
  });
  if (!found) return false;
  Replace(start, end - start, "");
  return true;
}

std::vector<uint32_t> NewScratchCodes(Rng& rng, int n) {
  std::vector<uint32_t> codes;
  for (int i = 0; i < n; ++i) {
    uint32_t code;
    do {
      code = (rng.NextU32() & 0x7fffffff) % 100000000;
    } while (code < kMinScratchCode);
    codes.push_back(code);
  }
  return codes;
}

}  // namespace kw::otp
