// google-authenticator secret files as the PAM module reads them: parse, then
// run every edit and verification path on the result. Invariants: edits keep
// line 1 (the secret) and the file parseable; a value set is the value read.
#include <cstdlib>
#include <string>
#include <string_view>

#include "otp/otp.h"
#include "otp/secret_file.h"
#include "otp/verifier.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckStillParses(const kw::otp::SecretFile& f) {
  auto back = kw::otp::SecretFile::Parse(f.text());
  Check(back.ok() && back->secret() == f.secret());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kw::otp;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = SecretFile::Parse(text);
  if (!parsed.ok()) {
    Check(!parsed.status().message().empty());
    return 0;
  }
  SecretFile f = std::move(parsed).value();
  Check(f.text() == text);
  (void)ReadSettings(f);

  // A time derived from the input, in the range real files see.
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 16777619u;
  const int64_t now = 1700000000 + static_cast<int64_t>(h % 100000000);

  // Rate limit first, as the module does.
  (void)CheckRateLimit(f, now);
  CheckStillParses(f);

  // The right code for now (reaches DISALLOW_REUSE), then a wrong one.
  VerifyOptions fast;
  fast.skew_adjust = false;
  auto settings = ReadSettings(f);
  if (settings.ok()) {
    std::string code;
    if (settings->hotp_counter >= 1) {
      code = HotpCode(f.secret().span(), static_cast<uint64_t>(settings->hotp_counter), settings->algorithm,
                      settings->digits);
    } else {
      code = TotpCode(f.secret().span(), now, settings->algorithm, settings->digits, settings->step);
    }
    (void)VerifyAnswer(f, code, now, fast);
    CheckStillParses(f);
    // The skew search costs 3000 MACs; run it for a few inputs only.
    VerifyOptions slow;
    if (h % 64 == 0) (void)VerifyAnswer(f, code, now + 600, slow);
    CheckStillParses(f);
  }
  (void)VerifyAnswer(f, std::string_view(text).substr(0, 10), now, fast);
  CheckStillParses(f);

  // Scratch codes: each listed one is accepted exactly once.
  auto codes = f.ScratchCodes();
  if (!codes.empty()) {
    size_t before = f.ScratchCodes().size();
    Check(f.RemoveScratchCode(codes.front()));
    Check(f.ScratchCodes().size() + 1 == before || f.ScratchCodes().size() < before);
    CheckStillParses(f);
  }

  // Set then Get.
  f.Set(kHotpCounter, "42");
  Check(f.Get(kHotpCounter) == std::string("42"));
  f.Set(kRateLimit, "3 30 1 2");
  Check(f.Get(kRateLimit) == std::string("3 30 1 2"));
  CheckStillParses(f);
  return 0;
}
