// SSHSIG: detached signatures over files (PROTOCOL.sshsig; OpenSSH 9.2
// sshsig.c), as `ssh-keygen -Y sign` writes them.
//
//   "SSHSIG" | uint32 version (1) | string public key | string namespace |
//   string reserved | string hash algorithm | string signature
//
// The signature covers "SSHSIG" | string namespace | string reserved |
// string hash algorithm | string H(message). The armour is
// "-----BEGIN SSH SIGNATURE-----\n", the blob in base64 broken every 70
// characters, and "-----END SSH SIGNATURE-----\n".
//
// Pure: the message goes in as its digest, so callers can hash a large file
// as they read it (see SshsigHashName / crypto::Hasher).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/hash.h"
#include "formats/certificate.h"
#include "formats/ssh_error.h"

namespace kw::formats {

class KeySigner;

inline constexpr std::string_view kSshsigMagic = "SSHSIG";
inline constexpr uint32_t kSshsigVersion = 1;
inline constexpr std::string_view kSshsigBegin = "-----BEGIN SSH SIGNATURE-----\n";
inline constexpr std::string_view kSshsigEnd = "-----END SSH SIGNATURE-----";
// ssh-keygen's default hash, and what it lets signatures use.
inline constexpr std::string_view kSshsigDefaultHash = "sha512";

// "sha256" or "sha512" to their digests; nullopt for anything else.
std::optional<crypto::HashAlg> SshsigHashAlg(std::string_view name);

// The armoured text of a signature blob.
std::string ArmorSshsig(ByteSpan blob);

// The blob inside armoured text. The text must start with the BEGIN line;
// the blob ends at the first "\n-----END SSH SIGNATURE-----"; blanks in the
// base64 are skipped. Errors carry OpenSSH's wording ("Couldn't parse
// signature: missing header") and *err its code.
StatusOr<Bytes> DearmorSshsig(std::string_view text, SshErr* err = nullptr);

struct Sshsig {
  uint32_t version = kSshsigVersion;
  KeyOrCert key;  // the signer's public key or certificate
  std::string sig_namespace;
  Bytes reserved;
  std::string hash_algorithm;  // "sha256" / "sha512" (others are kept, and refused when verifying)
  Bytes signature;             // an SSH signature blob
};

// Parses a signature blob (a certificate inside is checked as
// Certificate::FromBlob does). Versions above 1 are refused; trailing bytes
// are an error.
// *key_error, if given, tells whether it was the public key inside that
// did not parse (OpenSSH reports that at a later step than the rest).
StatusOr<Sshsig> ParseSshsig(ByteSpan blob, SshErr* err = nullptr, bool* key_error = nullptr);

// The bytes a signature covers.
Bytes SshsigSignedData(std::string_view sig_namespace, ByteSpan reserved, std::string_view hash_algorithm,
                       ByteSpan message_digest);

// Signs a message given by its digest under `hash_algorithm` ("sha256" or
// "sha512"). `public_key` is the key (or certificate of the key) `signer`
// holds; it is what goes into the blob. RSA keys sign with rsa-sha2-512.
// The namespace must not be empty.
StatusOr<Bytes> SignSshsig(const KeySigner& signer, const KeyOrCert& public_key, std::string_view sig_namespace,
                           std::string_view hash_algorithm, ByteSpan message_digest);

// Verifies `sig` for `expected_namespace` and the message digest (made with
// sig.hash_algorithm). The checks and their OpenSSH messages, in order:
// namespace ("Couldn't verify signature: namespace does not match"), RSA
// algorithm (rsa-sha2-256/512 only), the signature itself ("Signature
// verification failed: incorrect signature").
Status VerifySshsig(const Sshsig& sig, std::string_view expected_namespace, ByteSpan message_digest,
                    SshErr* err = nullptr);

}  // namespace kw::formats
