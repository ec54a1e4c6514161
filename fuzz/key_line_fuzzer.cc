// Text of key files (public keys, authorized_keys, known_hosts) as
// ssh-keygen -l scans them; every key found must format and re-parse.
#include <cstdlib>
#include <string_view>

#include "formats/key_scan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  kw::formats::ScanKeyLines(
      text, {},
      [](size_t, const kw::formats::PublicKey& key, const char*) {
        auto back = kw::formats::ParseKeyText(kw::formats::FormatPublicKey(key, "c"));
        if (!back.ok() || !(back->key == key)) std::abort();
      },
      [](size_t, const kw::Status& s) {
        if (s.message().empty()) std::abort();
      });
  return 0;
}
