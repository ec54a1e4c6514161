// An injectable random source. Production code uses crypto::SystemRng
// (OpenSSL's DRBG); tests use a deterministic one so outputs that contain
// random bytes (salts, check integers, nonces) can be compared exactly.
#pragma once

#include <cstdint>
#include <span>

namespace kw {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual void Fill(std::span<uint8_t> out) = 0;
  uint32_t NextU32();
};

// Deterministic bytes from a seed (splitmix64). Never for real secrets.
class DeterministicRng final : public Rng {
 public:
  explicit DeterministicRng(uint64_t seed) : state_(seed) {}
  void Fill(std::span<uint8_t> out) override;

 private:
  uint64_t state_;
};

}  // namespace kw
