// Public key wire blobs: parse; a parsed key must re-encode to a blob that
// parses to the same key, and fingerprint without trouble.
#include <cstdlib>

#include "formats/fingerprint.h"
#include "formats/public_key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto key = kw::formats::PublicKey::FromBlob(kw::ByteSpan(data, size));
  if (!key.ok()) return 0;
  auto again = kw::formats::PublicKey::FromBlob(key->blob());
  if (!again.ok() || !(*again == *key)) std::abort();
  (void)kw::formats::Fingerprint(*key, kw::crypto::HashAlg::kMd5);
  (void)kw::formats::Randomart(*key);
  return 0;
}
