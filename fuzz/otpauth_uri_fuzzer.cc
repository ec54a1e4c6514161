// otpauth:// URIs (what a QR code or a user pastes). A parsed URI must
// build to a URI that parses to the same URI again.
#include <cstdlib>
#include <string_view>

#include "otp/otpauth_uri.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto uri = kw::otp::ParseOtpAuthUri(text);
  if (!uri.ok()) {
    if (uri.status().message().empty()) std::abort();
    return 0;
  }
  std::string built = kw::otp::BuildOtpAuthUri(*uri);
  auto again = kw::otp::ParseOtpAuthUri(built);
  if (!again.ok()) std::abort();
  if (kw::otp::BuildOtpAuthUri(*again) != built) std::abort();
  if (!(again->secret == uri->secret) || again->account != uri->account || again->issuer != uri->issuer) std::abort();
  return 0;
}
