// bcrypt_pbkdf: the key derivation of OpenSSH private keys (OpenBSD's
// bcrypt_pbkdf(3); PROTOCOL.key). Not in OpenSSL, so implemented here on our
// own Blowfish with its "expensive key schedule".
#pragma once

#include <cstdint>
#include <span>

#include "base/bytes.h"
#include "base/status.h"

namespace kw::crypto {

// Derives out.size() bytes (1..1024) from a non-empty passphrase and a
// non-empty salt with `rounds` >= 1. Output bytes are interleaved across
// 32-byte blocks exactly as OpenBSD does.
Status BcryptPbkdf(ByteSpan passphrase, ByteSpan salt, uint32_t rounds, std::span<uint8_t> out);

}  // namespace kw::crypto
