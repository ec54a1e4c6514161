// Private to crypto: Blowfish (Schneier, 1993) with the "expensive key
// schedule" of Provos and Mazieres (eksblowfish, USENIX 1999), the block
// cipher under bcrypt_pbkdf. Only encryption is needed, so only encryption
// is here. Not constant-time (table lookups), like every Blowfish; it only
// ever processes key-derivation inputs on the local machine.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"

namespace kw::crypto::internal {

class Blowfish {
 public:
  // The initial state: P-array and S-boxes from the hex digits of pi.
  Blowfish();
  // Wipes the key-dependent state.
  ~Blowfish();
  Blowfish(const Blowfish&) = delete;
  Blowfish& operator=(const Blowfish&) = delete;

  // eksblowfish ExpandKey(state, salt, key): XORs `key` cyclically into P,
  // then re-encrypts P and the S-boxes, chaining, with `data` (the salt)
  // cyclically XORed into each block before it is encrypted.
  void ExpandState(ByteSpan data, ByteSpan key);
  // ExpandKey with a zero salt. Blowfish() followed by Expand0State(key) is
  // the classic Blowfish key schedule.
  void Expand0State(ByteSpan key);

  // Encrypts one 64-bit block held as two big-endian halves.
  void Encipher(uint32_t* left, uint32_t* right) const;

  // The next 32-bit big-endian word of `data` read cyclically from *pos
  // (wrapping to the start); an empty `data` yields zero.
  static uint32_t StreamWord(ByteSpan data, size_t* pos);

 private:
  uint32_t F(uint32_t x) const {
    return ((s_[0][x >> 24] + s_[1][(x >> 16) & 0xff]) ^ s_[2][(x >> 8) & 0xff]) + s_[3][x & 0xff];
  }
  // Encrypts a chain of blocks over P then the S-boxes (both expansions).
  void Rekey(ByteSpan data);

  uint32_t p_[18];
  uint32_t s_[4][256];
};

}  // namespace kw::crypto::internal
