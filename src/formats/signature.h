// SSH signature blobs: "string algorithm, string signature" (RFC 4253 §6.6),
// for ssh-ed25519 (RFC 8709), ecdsa-sha2-* (RFC 5656 §3.1.2; the inner
// blob is mpint r, mpint s) and rsa-sha2-256/512 (RFC 8332; verify-only
// ssh-rsa with SHA-1).
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "formats/private_key.h"
#include "formats/public_key.h"

namespace kw::formats {

// Signs `data`. For RSA keys `rsa_algorithm` picks "rsa-sha2-512" (the
// default) or "rsa-sha2-256"; it is ignored for other keys.
StatusOr<Bytes> SignData(const PrivateKey& key, ByteSpan data, std::string_view rsa_algorithm = "rsa-sha2-512");

// Verifies a signature blob over `data` with `key`. Fails closed: any
// malformed blob, wrong algorithm for the key, or bad signature is an error
// (kUnauthenticated for a signature that does not verify). On success
// *algorithm, if given, receives the signature's algorithm name.
Status VerifySignature(const PublicKey& key, ByteSpan data, ByteSpan signature, std::string* algorithm = nullptr);

}  // namespace kw::formats
