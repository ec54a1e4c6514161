#include "crypto/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>

namespace kw::crypto {

void SystemRng::Fill(std::span<uint8_t> out) {
  while (!out.empty()) {
    size_t n = std::min<size_t>(out.size(), INT_MAX);
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
      std::fprintf(stderr, "keyward: OpenSSL RAND_bytes failed\n");
      std::abort();
    }
    out = out.subspan(n);
  }
}

SystemRng& SystemRng::Get() {
  static SystemRng rng;
  return rng;
}

}  // namespace kw::crypto
