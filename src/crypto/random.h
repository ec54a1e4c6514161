// The system random source (OpenSSL's DRBG, seeded from the kernel).
#pragma once

#include "base/rng.h"

namespace kw::crypto {

class SystemRng final : public Rng {
 public:
  // Aborts if OpenSSL cannot produce random bytes: nothing sane can continue.
  void Fill(std::span<uint8_t> out) override;
  static SystemRng& Get();
};

}  // namespace kw::crypto
