// Public key wire blobs: parse; a parsed key must re-encode to a blob that
// parses to the same key, and fingerprint without trouble. Its blob must be
// the canonical one (what building the key from its components writes),
// whether the input was kept as it was or re-encoded.
#include <cstdlib>

#include "formats/fingerprint.h"
#include "formats/public_key.h"

namespace {

using kw::formats::KeyType;
using kw::formats::PublicKey;

// The key rebuilt from its components, where a constructor exists for its type.
kw::StatusOr<PublicKey> Rebuild(const PublicKey& key) {
  switch (key.type()) {
    case KeyType::kEd25519: return PublicKey::FromEd25519(key.ed25519_key());
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521: return PublicKey::FromEcdsa(key.ec_curve(), key.ec_point());
    case KeyType::kRsa: return PublicKey::FromRsa(key.rsa_e(), key.rsa_n());
    default: return kw::UnimplementedError("no constructor");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto key = PublicKey::FromBlob(kw::ByteSpan(data, size));
  if (!key.ok()) return 0;
  auto again = PublicKey::FromBlob(key->blob());
  if (!again.ok() || !(*again == *key)) std::abort();
  auto taken = PublicKey::FromBlob(kw::Bytes(data, data + size));
  if (!taken.ok() || !(*taken == *key)) std::abort();
  // FromRsa refuses moduli above kRsaMaxBits, which FromBlob accepts.
  if (auto rebuilt = Rebuild(*key); rebuilt.ok() && !(*rebuilt == *key)) std::abort();
  (void)kw::formats::Fingerprint(*key, kw::crypto::HashAlg::kMd5);
  (void)kw::formats::Randomart(*key);
  return 0;
}
