// The google-authenticator secret file (~/.google_authenticator), read and
// edited the way google-authenticator-libpam's module does, so files move
// both ways between it and keyward:
//
//   <BASE32 SECRET>                  line 1
//   " RATE_LIMIT 3 30 [ts ...]        option lines: '"', ' ', NAME, args
//   " WINDOW_SIZE 3
//   " STEP_SIZE 30
//   " DISALLOW_REUSE [counter ...]
//   " TOTP_AUTH                       or  " HOTP_COUNTER n
//   12345678                         emergency scratch codes, 8 digits
//
// The text is kept as read and edited in place: an option update rewrites
// only its own line (the first occurrence; later duplicates are dropped;
// a new option goes right after line 1), a used scratch code loses its line;
// every other byte stays. Spec: FILEFORMAT and the module's source,
// https://github.com/google/google-authenticator-libpam (behaviour notes in
// docs; no code taken from it).
//
// keyward extensions (google-authenticator ignores option lines it does not
// know): " KW_ALGORITHM SHA256|SHA512 and " KW_DIGITS 7|8. A file that uses
// them only verifies with keyward; without them (the default) it is a plain
// google-authenticator file.
//
// Pure: bytes in, bytes out. The text holds the secret, so it is wiped when
// replaced or dropped. Not thread-safe (one file, one authentication).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/rng.h"
#include "base/secret_bytes.h"
#include "base/status.h"
#include "otp/otp.h"

namespace kw::otp {

// The module reads 1..65536 bytes and refuses NUL bytes.
inline constexpr size_t kMaxSecretFileSize = 65536;
// What google-authenticator's tool allows.
inline constexpr int kMaxScratchCodes = 10;
inline constexpr uint32_t kMinScratchCode = 10000000;
inline constexpr uint32_t kMaxScratchCode = 99999999;

// Option names.
inline constexpr std::string_view kRateLimit = "RATE_LIMIT";
inline constexpr std::string_view kWindowSize = "WINDOW_SIZE";
inline constexpr std::string_view kStepSize = "STEP_SIZE";
inline constexpr std::string_view kDisallowReuse = "DISALLOW_REUSE";
inline constexpr std::string_view kTotpAuth = "TOTP_AUTH";
inline constexpr std::string_view kHotpCounter = "HOTP_COUNTER";
inline constexpr std::string_view kTimeSkew = "TIME_SKEW";
inline constexpr std::string_view kResettingTimeSkew = "RESETTING_TIME_SKEW";
inline constexpr std::string_view kKwAlgorithm = "KW_ALGORITHM";
inline constexpr std::string_view kKwDigits = "KW_DIGITS";

// What a new file contains (keyward totp init). The layout is the one
// google-authenticator's tool writes: secret, RATE_LIMIT, WINDOW_SIZE,
// STEP_SIZE, DISALLOW_REUSE, TOTP_AUTH or HOTP_COUNTER 1, scratch codes.
struct NewSecretFileOptions {
  OtpType type = OtpType::kTotp;
  Algorithm algorithm = Algorithm::kSha1;  // KW_ALGORITHM line unless SHA1
  int digits = 6;                          // KW_DIGITS line unless 6
  int64_t step = kDefaultStep;             // STEP_SIZE line unless 30
  std::optional<int> window_size;          // WINDOW_SIZE line when set
  bool disallow_reuse = false;             // DISALLOW_REUSE line
  std::optional<std::pair<int, int>> rate_limit;  // RATE_LIMIT attempts seconds
};

class SecretFile {
 public:
  // Parses the bytes of a file. Errors: empty, larger than
  // kMaxSecretFileSize, a NUL byte, or a line 1 that is not a base32 secret
  // (read as the module reads it, see Base32Decode()).
  static StatusOr<SecretFile> Parse(std::string_view text);

  // A new file in the tool's layout. `scratch_codes` must be in
  // [kMinScratchCode, kMaxScratchCode].
  static SecretFile Create(const SecretBytes& secret, const NewSecretFileOptions& options,
                           std::span<const uint32_t> scratch_codes);

  SecretFile(SecretFile&& other) noexcept;
  SecretFile& operator=(SecretFile&& other) noexcept;
  SecretFile(const SecretFile&) = delete;
  SecretFile& operator=(const SecretFile&) = delete;
  ~SecretFile();

  const SecretBytes& secret() const { return secret_; }
  // The whole file as it is now (what to write back).
  std::string_view text() const { return text_; }

  // The value of the first line `" NAME[ VALUE]`: the rest of the line after
  // the blanks that follow NAME ("" for a bare flag). nullopt if absent.
  std::optional<std::string> Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  // Makes the first `" NAME` line read `" NAME VALUE\n` (a space after NAME
  // even when VALUE is empty, as the module writes it), drops later
  // duplicates, or inserts the line right after line 1.
  void Set(std::string_view name, std::string_view value);
  // Substring test on the whole text (how the module decides TOTP_AUTH).
  bool Contains(std::string_view needle) const { return text_.find(needle) != std::string::npos; }

  // The scratch codes: after line 1, skipping blank lines and option lines,
  // every line that is exactly an 8-digit number 10000000..99999999; the
  // scan stops at the first line that is not.
  std::vector<uint32_t> ScratchCodes() const;
  // Removes the line of the first scratch code equal to `code` (with the
  // line breaks after it). False if there is none.
  bool RemoveScratchCode(uint32_t code);

 private:
  SecretFile() = default;
  void Replace(size_t pos, size_t len, std::string_view with);
  // Rebuilds options_ from text_ (after parsing and after every edit).
  void Reindex();
  // Position of the first `" NAME` line at or after `from`, or npos.
  size_t Find(std::string_view name, size_t from = 0) const;
  // Calls f(pos, value_end, line_end) for scratch-code lines in order until
  // f returns true; returns whether it did.
  template <typename F>
  bool ForEachScratchCode(F&& f) const;

  std::string text_;
  SecretBytes secret_;
  // Every line that starts with `" `, in order: where it starts and how long
  // its name is. Lookups walk this instead of the text (verification reads
  // half a dozen options per code).
  struct OptionLine {
    size_t pos;
    size_t name_len;
  };
  std::vector<OptionLine> options_;
};

// `n` scratch codes as google-authenticator's tool makes them: 4 random
// bytes, (x & 0x7fffffff) % 10^8, drawn again while below 10^7.
std::vector<uint32_t> NewScratchCodes(Rng& rng, int n);

}  // namespace kw::otp
