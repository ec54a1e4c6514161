// PublicKey: an SSH public key as a value, parsed from and written to the
// wire blob (RFC 4253 §6.6) and the one-line text form "type base64 comment".
//
// Parsing follows OpenSSH 9.2 (sshkey_from_blob_internal, sshkey_read):
// ECDSA points must be valid curve points, RSA moduli at least 1024 bits,
// Ed25519 keys exactly 32 bytes, no trailing bytes, and the type named by a
// text line must match the type inside its blob. A PublicKey holds only
// valid keys.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/ecdsa.h"
#include "crypto/rsa.h"
#include "formats/key_type.h"

namespace kw::formats {

// Largest EC point OpenSSH accepts (SSHBUF_MAX_ECPOINT).
inline constexpr size_t kMaxEcPointBytes = (528 * 2 / 8) + 1;

class PublicKey {
 public:
  // Parses a wire blob. Errors say what is wrong ("invalid key: ECDSA point
  // is not on the curve").
  static StatusOr<PublicKey> FromBlob(ByteSpan blob);

  static StatusOr<PublicKey> FromEd25519(ByteSpan public_key);
  static StatusOr<PublicKey> FromEcdsa(crypto::EcCurve curve, ByteSpan q);
  static StatusOr<PublicKey> FromRsa(ByteSpan e, ByteSpan n);

  KeyType type() const { return type_; }
  const KeyTypeInfo& info() const { return GetKeyTypeInfo(type_); }
  std::string_view ssh_name() const { return info().ssh_name; }
  // The canonical wire blob (integers minimal), the input of fingerprints.
  const Bytes& blob() const { return blob_; }
  // Key size as ssh-keygen reports it: RSA/DSA modulus bits, ECDSA curve
  // bits, 256 for Ed25519.
  int bits() const { return bits_; }

  // Components; each valid only for the matching type.
  ByteSpan ed25519_key() const { return parts_[0]; }  // 32 bytes
  crypto::EcCurve ec_curve() const { return CurveOf(type_); }
  ByteSpan ec_point() const { return parts_[0]; }     // uncompressed
  ByteSpan rsa_e() const { return parts_[0]; }
  ByteSpan rsa_n() const { return parts_[1]; }
  std::string_view sk_application() const { return application_; }

  friend bool operator==(const PublicKey& a, const PublicKey& b) { return a.blob_ == b.blob_; }

 private:
  PublicKey() = default;
  void Encode();

  KeyType type_ = KeyType::kEd25519;
  int bits_ = 0;
  // Ed25519/ECDSA: [0] key; RSA: [0] e, [1] n; DSA: p, q, g, y.
  std::array<Bytes, 4> parts_;
  std::string application_;  // sk keys
  Bytes blob_;
};

// The result of parsing a key at the start of a line of text.
struct ParsedKeyText {
  PublicKey key;
  // The text after the base64 blob and the blanks that follow it: the
  // comment, verbatim (not trimmed at the end).
  std::string_view rest;
};

// Parses "type base64[ rest]" exactly as OpenSSH's sshkey_read: the type
// token ends at a space or tab, the blob at the next one, and the blob must
// decode to a key of the type the text names. `text` must not hold the line's
// newline.
StatusOr<ParsedKeyText> ParseKeyText(std::string_view text);

// "type base64" and, if the comment is not empty, " comment".
std::string FormatPublicKey(const PublicKey& key, std::string_view comment = {});

}  // namespace kw::formats
