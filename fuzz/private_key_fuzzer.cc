// Private key files (openssh-key-v1 armour and body, PEM through OpenSSL),
// tried with an empty and a fixed passphrase. Decryption costs grow with the
// KDF work factor the file itself chooses, so inputs asking for more than a
// few bcrypt rounds, or for PEM encryption (PBKDF2 iterations), are skipped
// to keep each run fast.
#include <cstdlib>
#include <string_view>

#include "base/rng.h"
#include "formats/private_key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto rounds = kw::formats::OpensshKdfRounds(text); rounds && *rounds > 4) return 0;
  if (text.find("ENCRYPTED") != std::string_view::npos) return 0;
  for (std::string_view pass : {"", "pw"}) {
    auto key = kw::formats::ParsePrivateKey(text, kw::AsBytes(pass));
    if (!key.ok()) continue;
    // A key that loads writes back and loads again to the same public key.
    kw::DeterministicRng rng(1);
    auto written = kw::formats::WriteOpensshPrivateKey(key->key, key->comment, {}, {}, rng);
    if (!written.ok()) continue;
    auto again = kw::formats::ParsePrivateKey(*written, {});
    if (!again.ok() || !(again->key.public_key() == key->key.public_key())) std::abort();
  }
  (void)kw::formats::PeekOpensshPublicKey(text);
  return 0;
}
