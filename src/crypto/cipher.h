// Symmetric ciphers used by OpenSSH private key files (PROTOCOL.key): AES in
// CTR and CBC modes, without padding. The key file format pads for us.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace kw::crypto {

enum class CipherAlg { kAes128Ctr, kAes192Ctr, kAes256Ctr, kAes128Cbc, kAes192Cbc, kAes256Cbc };

struct CipherInfo {
  CipherAlg alg;
  std::string_view ssh_name;  // "aes256-ctr"
  size_t key_len;
  size_t iv_len;
  size_t block_size;
};

// Looks up a cipher by its OpenSSH name; nullopt if we do not support it.
std::optional<CipherInfo> FindCipher(std::string_view ssh_name);
const CipherInfo& GetCipherInfo(CipherAlg alg);

enum class CipherDirection { kEncrypt, kDecrypt };

// Encrypts or decrypts `data` in place. key and iv must have the cipher's
// sizes; for CBC the data length must be a multiple of the block size.
// CTR increments the whole 128-bit IV as a big-endian counter.
Status CipherInPlace(CipherAlg alg, CipherDirection dir, ByteSpan key, ByteSpan iv, std::span<uint8_t> data);

}  // namespace kw::crypto
