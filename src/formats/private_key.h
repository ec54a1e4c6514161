// PrivateKey: an SSH private key, generated here or read from an
// "openssh-key-v1" file (PROTOCOL.key; plain, aes256-ctr/-cbc with
// bcrypt_pbkdf) or a PEM file (PKCS#1, SEC1, PKCS#8, through OpenSSL), and
// written as "openssh-key-v1" exactly as OpenSSH 9.2 writes it.
//
// Secrets live in SecretBytes; nothing here prints them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/rng.h"
#include "base/secret_bytes.h"
#include "base/status.h"
#include "crypto/rsa.h"
#include "formats/public_key.h"

namespace kw::formats {

inline constexpr uint32_t kDefaultKdfRounds = 16;  // OpenSSH 9.2's default (-a)
inline constexpr int kDefaultRsaBits = 3072;
inline constexpr std::string_view kDefaultCipher = "aes256-ctr";

class PrivateKey {
 public:
  // Generates a key. `bits` is used for RSA (kRsaMinBits..kRsaMaxBits) and
  // must be 0 or match the curve for ECDSA; Ed25519 seeds come from `rng`.
  static StatusOr<PrivateKey> Generate(KeyType type, int bits, Rng& rng);

  static StatusOr<PrivateKey> FromEd25519Seed(ByteSpan seed);

  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;
  ~PrivateKey();

  const PublicKey& public_key() const { return public_; }
  KeyType type() const { return public_.type(); }

  // Type-specific secret parts (valid for the matching type only).
  const SecretBytes& ed25519_seed() const { return secret_[0]; }
  const SecretBytes& ec_private() const { return secret_[0]; }
  const crypto::RsaPrivateParams& rsa() const { return rsa_; }

  // The private fields as PROTOCOL.key serializes them ("string type, ...").
  void SerializePrivate(Bytes* out) const;

 private:
  friend struct PrivateKeyAccess;
  explicit PrivateKey(PublicKey pub) : public_(std::move(pub)) {}
  PublicKey public_;
  SecretBytes secret_[1];  // Ed25519 seed, ECDSA d, DSA x
  crypto::RsaPrivateParams rsa_;
};

enum class PrivateKeyFormat { kOpenssh, kPem };

struct LoadedPrivateKey {
  PrivateKey key;
  std::string comment;  // empty for PEM files, which carry none
  PrivateKeyFormat format = PrivateKeyFormat::kOpenssh;
  bool encrypted = false;
};

// Why a private key file could not be read, in OpenSSH's terms (the CLI
// maps these to ssh-keygen's messages).
enum class PrivateKeyError {
  kNone,
  kInvalidFormat,      // "invalid format"
  kWrongPassphrase,    // "incorrect passphrase supplied to decrypt private key"
  kUnknownCipher,      // "unknown cipher" (or KDF)
  kLibcrypto,          // "error in libcrypto"
  kUnsupportedType,    // a key type keyward cannot load privately
};

// Reads an OpenSSH or PEM private key file. An encrypted key needs the
// right passphrase (an empty one for an encrypted key is a wrong passphrase,
// as in OpenSSH). On failure *error, if given, gets the OpenSSH-level cause.
StatusOr<LoadedPrivateKey> ParsePrivateKey(std::string_view file, ByteSpan passphrase,
                                           PrivateKeyError* error = nullptr);

// The public key of an "openssh-key-v1" file, read from its clear envelope
// without a passphrase. Fails for PEM files.
StatusOr<PublicKey> PeekOpensshPublicKey(std::string_view file);

// The bcrypt_pbkdf rounds an encrypted "openssh-key-v1" file asks for
// (nullopt if it is not one, or not encrypted). The cost of decryption grows
// linearly with them, and OpenSSH sets no limit: callers that take key files
// from elsewhere can refuse absurd values before decrypting.
std::optional<uint32_t> OpensshKdfRounds(std::string_view file);

struct OpensshWriteOptions {
  std::string cipher = std::string(kDefaultCipher);  // used only with a passphrase
  uint32_t rounds = kDefaultKdfRounds;
};

// Writes an "openssh-key-v1" file. An empty passphrase writes it in the
// clear (cipher and KDF "none"). Salt and check integer come from `rng`.
StatusOr<std::string> WriteOpensshPrivateKey(const PrivateKey& key, std::string_view comment,
                                             ByteSpan passphrase, const OpensshWriteOptions& options, Rng& rng);

}  // namespace kw::formats
