// The SSH public key algorithms keyward knows, with their OpenSSH names.
// (RFC 4253 §6.6, RFC 5656, RFC 8709, PROTOCOL.u2f; OpenSSH sshkey.c.)
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "crypto/ecdsa.h"

namespace kw::formats {

enum class KeyType : uint8_t {
  kEd25519,
  kEcdsaP256,
  kEcdsaP384,
  kEcdsaP521,
  kRsa,
  kDsa,          // read, fingerprint and compare only
  kSkEd25519,    // FIDO keys: read, fingerprint and compare only
  kSkEcdsaP256,
};

struct KeyTypeInfo {
  KeyType type;
  std::string_view ssh_name;    // "ssh-ed25519"
  std::string_view short_name;  // "ED25519", as ssh-keygen prints in "(ED25519)"
  bool full_support;            // keyward can generate, sign and verify
};

const KeyTypeInfo& GetKeyTypeInfo(KeyType type);

// The key type named by the text of a key line (the first token), as
// OpenSSH's peek_type_nid: exact names, plus the signature-algorithm aliases
// "rsa-sha2-256" and "rsa-sha2-512" (which name RSA keys) and
// "webauthn-sk-ecdsa-sha2-nistp256@openssh.com" (an sk-ecdsa key).
std::optional<KeyType> KeyTypeFromLineName(std::string_view name);

// The key type named inside a wire blob, as OpenSSH's sshkey_type_from_name:
// the above, plus plain short names in any case ("RSA", "ed25519").
std::optional<KeyType> KeyTypeFromBlobName(std::string_view name);

bool IsEcdsa(KeyType type);  // plain or sk
// The curve of an ECDSA key type.
crypto::EcCurve CurveOf(KeyType type);
// "nistp256", "nistp384", "nistp521".
std::string_view CurveName(crypto::EcCurve curve);
KeyType EcdsaKeyType(crypto::EcCurve curve);

}  // namespace kw::formats
