// SecretBytes: bytes that hold a secret (a private key, a passphrase, a
// derived key). Move-only, wiped on destruction and on reassignment,
// compared in constant time, never printed.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>

#include "base/bytes.h"

namespace kw {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t n) : data_(n ? new uint8_t[n]() : nullptr), size_(n) {}
  explicit SecretBytes(ByteSpan b) : SecretBytes(b.size()) {
    if (size_) std::memcpy(data_, b.data(), size_);
  }
  explicit SecretBytes(std::string_view s) : SecretBytes(AsBytes(s)) {}
  ~SecretBytes() { Reset(); }

  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& o) noexcept : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  SecretBytes& operator=(SecretBytes&& o) noexcept {
    if (this != &o) {
      Reset();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }

  // An explicit copy, so copies of secrets are visible in the code.
  SecretBytes Clone() const { return SecretBytes(span()); }

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  ByteSpan span() const { return ByteSpan(data_, size_); }
  std::span<uint8_t> mutable_span() { return std::span<uint8_t>(data_, size_); }
  std::string_view view() const { return AsChars(span()); }

  // Constant-time in the contents (the length may leak).
  friend bool operator==(const SecretBytes& a, const SecretBytes& b) {
    return ConstantTimeEquals(a.span(), b.span());
  }

 private:
  void Reset() {
    if (data_) {
      SecureWipe(data_, size_);
      delete[] data_;
    }
    data_ = nullptr;
    size_ = 0;
  }
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace kw
