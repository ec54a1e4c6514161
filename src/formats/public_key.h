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
#include <cstdint>
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
  // As FromBlob(ByteSpan), but keeps `blob` itself instead of a copy when
  // it already is the canonical blob (as every key ssh-keygen writes is).
  static StatusOr<PublicKey> FromBlob(Bytes&& blob);

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

  // Components; each valid only for the matching type. They point into
  // blob(), so they live as long as the key.
  ByteSpan ed25519_key() const { return part(0); }  // 32 bytes
  crypto::EcCurve ec_curve() const { return CurveOf(type_); }
  ByteSpan ec_point() const { return part(0); }     // uncompressed
  ByteSpan rsa_e() const { return part(0); }        // without leading zeros
  ByteSpan rsa_n() const { return part(1); }
  std::string_view sk_application() const { return AsChars(part(kApplication)); }

  friend bool operator==(const PublicKey& a, const PublicKey& b) { return a.blob_ == b.blob_; }

 private:
  // Where a component lies in blob_: a key is a single allocation.
  struct Part {
    uint32_t offset = 0;
    uint32_t size = 0;
  };
  // Ed25519/ECDSA: [0] key; RSA: [0] e, [1] n; DSA: p, q, g, y; sk keys
  // also [kApplication].
  static constexpr size_t kApplication = 4;
  using Parts = std::array<ByteSpan, kApplication + 1>;

  PublicKey() = default;
  // FromBlob; `owned`, if given, holds `blob` and may be taken over.
  static StatusOr<PublicKey> Parse(ByteSpan blob, Bytes* owned);
  ByteSpan part(size_t i) const { return ByteSpan(blob_).subspan(parts_[i].offset, parts_[i].size); }
  // Sets blob_ to the canonical encoding of `parts` (RSA and DSA integers
  // as magnitudes) and records where each part lies in it.
  void Encode(const Parts& parts);

  KeyType type_ = KeyType::kEd25519;
  int bits_ = 0;
  std::array<Part, kApplication + 1> parts_{};
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
