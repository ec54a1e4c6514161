// Private key files (openssh-key-v1 armour and body, PEM through OpenSSL),
// tried with an empty and a fixed passphrase. bcrypt rounds are capped by
// the input itself, so inputs asking for many rounds are skipped to keep
// each run fast.
#include <cstdlib>
#include <string_view>

#include "base/rng.h"
#include "formats/private_key.h"
#include "wire/base64.h"

namespace {

bool TooManyRounds(std::string_view text) {
  // The armoured body: decode and look for the bcrypt options cheaply.
  size_t start = text.find('\n');
  if (start == std::string_view::npos) return false;
  std::string b64;
  for (char c : text.substr(start + 1, 4096))
    if (c != '\n' && c != '\r') b64 += c;
  b64.resize(b64.size() / 4 * 4);
  kw::Bytes raw;
  if (!kw::wire::Base64DecodeTo(b64, &raw)) return false;
  std::string_view r(reinterpret_cast<const char*>(raw.data()), raw.size());
  size_t at = r.find("bcrypt");
  if (at == std::string_view::npos) return false;
  // string kdfoptions { string salt, uint32 rounds }: read rounds after the salt.
  size_t p = at + 6 + 4;
  if (p + 4 > r.size()) return false;
  uint32_t salt_len = (uint8_t)r[p] << 24 | (uint8_t)r[p + 1] << 16 | (uint8_t)r[p + 2] << 8 | (uint8_t)r[p + 3];
  p += 4 + salt_len;
  if (p + 4 > r.size()) return false;
  uint32_t rounds = (uint8_t)r[p] << 24 | (uint8_t)r[p + 1] << 16 | (uint8_t)r[p + 2] << 8 | (uint8_t)r[p + 3];
  return rounds > 4;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (TooManyRounds(text)) return 0;
  for (std::string_view pass : {"", "pw"}) {
    auto key = kw::formats::ParsePrivateKey(text, kw::AsBytes(pass));
    if (!key.ok()) continue;
    // A key that loads writes back and loads again to the same public key.
    kw::DeterministicRng rng(1);
    auto written = kw::formats::WriteOpensshPrivateKey(key->key, key->comment, {}, {}, rng);
    if (!written.ok()) continue;  // e.g. sk or DSA-less writers
    auto again = kw::formats::ParsePrivateKey(*written, {});
    if (!again.ok() || !(again->key.public_key() == key->key.public_key())) std::abort();
  }
  (void)kw::formats::PeekOpensshPublicKey(text);
  return 0;
}
