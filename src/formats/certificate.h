// OpenSSH certificates, "<keytype>-cert-v01@openssh.com" (PROTOCOL.certkeys
// v1.20; OpenSSH 9.2 sshkey.c cert_parse and sshkey_certify).
//
//   string  "<keytype>-cert-v01@openssh.com"
//   string  nonce
//   ...     the certified key's fields, without their type string
//   uint64  serial
//   uint32  type                 1 user, 2 host
//   string  key id
//   string  valid principals     (a packed sequence of strings)
//   uint64  valid after
//   uint64  valid before
//   string  critical options     (a packed sequence of name, data pairs)
//   string  extensions           (likewise)
//   string  reserved
//   string  signature key        (the CA's plain public key blob)
//   string  signature            (over every byte before it)
//
// A Certificate is a value parsed from (or signed into) that blob. Like
// OpenSSH, Certificate::FromBlob verifies the CA signature while parsing, so
// a tampered certificate does not load at all. ParseUnverified() exists for
// tools that must say *why* a certificate is bad (VerifyCertificate).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/rng.h"
#include "base/status.h"
#include "crypto/hash.h"
#include "formats/cert_time.h"
#include "formats/public_key.h"
#include "formats/ssh_error.h"

namespace kw::formats {

class KeySigner;

inline constexpr size_t kMaxCertPrincipals = 256;  // SSHKEY_CERT_MAX_PRINCIPALS
inline constexpr size_t kCertNonceSize = 32;       // what ssh-keygen puts in

enum class CertType : uint32_t { kUser = 1, kHost = 2 };

// "user" or "host".
std::string_view CertTypeName(CertType type);

// The certificate key type names of plain key types:
// "ssh-ed25519-cert-v01@openssh.com", "ecdsa-sha2-nistp256-cert-v01@openssh.com", ...
std::string_view CertKeyTypeName(KeyType type);
// "ED25519-CERT", "RSA-CERT", ... (sshkey_type() of a certificate).
std::string_view CertShortName(KeyType type);
// The plain key type certified by a "-cert-v01@openssh.com" name.
std::optional<KeyType> KeyTypeFromCertName(std::string_view name);

// One critical option or extension. `data` is the contents of the option's
// data string exactly as on the wire: empty for a flag, and for a value
// option ("force-command") itself a string (uint32 length, bytes).
struct CertOption {
  std::string name;
  Bytes data;

  static CertOption Flag(std::string name);
  static CertOption Value(std::string name, std::string_view value);
  // The value of an option whose data is exactly one string.
  std::optional<std::string_view> StringValue() const;
  friend bool operator==(const CertOption&, const CertOption&) = default;
};

// What a CA decides when it signs.
struct CertFields {
  CertType type = CertType::kUser;
  uint64_t serial = 0;
  std::string key_id;
  std::vector<std::string> principals;
  uint64_t valid_after = 0;
  uint64_t valid_before = kForever;
  // In wire order (ssh-keygen sorts by name; parsers must not assume it).
  std::vector<CertOption> critical_options;
  std::vector<CertOption> extensions;
  friend bool operator==(const CertFields&, const CertFields&) = default;
};

class Certificate {
 public:
  // Parses a certificate blob and verifies the CA's signature, as OpenSSH
  // does on every load. On failure *err, if given, gets OpenSSH's code.
  static StatusOr<Certificate> FromBlob(ByteSpan blob, SshErr* err = nullptr);
  // Parses the structure only: the signature is not checked and a CA key
  // that is itself a certificate is accepted (signature_key() is then
  // empty and signature_key_blob() holds it). For diagnosis only.
  static StatusOr<Certificate> ParseUnverified(ByteSpan blob, SshErr* err = nullptr);

  // The certified key (plain).
  const PublicKey& key() const { return *key_; }
  KeyType key_type() const { return key_->type(); }
  std::string_view ssh_name() const { return CertKeyTypeName(key_->type()); }
  std::string_view short_name() const { return CertShortName(key_->type()); }

  const CertFields& fields() const { return fields_; }
  CertType type() const { return fields_.type; }
  uint64_t serial() const { return fields_.serial; }
  const std::string& key_id() const { return fields_.key_id; }
  const std::vector<std::string>& principals() const { return fields_.principals; }
  uint64_t valid_after() const { return fields_.valid_after; }
  uint64_t valid_before() const { return fields_.valid_before; }

  ByteSpan nonce() const { return ByteSpan(blob_).subspan(nonce_off_, nonce_len_); }
  // The raw critical options and extensions sections (the strings' contents).
  ByteSpan critical_section() const { return ByteSpan(blob_).subspan(crit_off_, crit_len_); }
  ByteSpan extensions_section() const { return ByteSpan(blob_).subspan(ext_off_, ext_len_); }

  // The CA key. Empty only for ParseUnverified() of a certificate whose
  // signature key is not a usable plain key.
  const std::optional<PublicKey>& signature_key() const { return signature_key_; }
  ByteSpan signature_key_blob() const { return ByteSpan(blob_).subspan(ca_off_, ca_len_); }
  // True when the signature key is itself a certificate (ParseUnverified
  // only; FromBlob rejects such certificates).
  bool signature_key_is_certificate() const { return ca_is_cert_; }
  // The signature blob and its algorithm ("ssh-ed25519", "rsa-sha2-512").
  ByteSpan signature() const { return ByteSpan(blob_).subspan(sig_off_, sig_len_); }
  const std::string& signature_algorithm() const { return signature_algorithm_; }
  // The bytes the signature covers.
  ByteSpan signed_data() const { return ByteSpan(blob_).first(sig_off_ - 4); }
  // True if FromBlob() checked the signature (always, unless ParseUnverified).
  bool signature_verified() const { return signature_verified_; }

  // The whole certificate blob, as it goes into a -cert.pub file.
  const Bytes& blob() const { return blob_; }

  friend bool operator==(const Certificate& a, const Certificate& b) { return a.blob_ == b.blob_; }

 private:
  friend struct CertificateAccess;
  Certificate() = default;

  std::optional<PublicKey> key_;  // always set once constructed
  CertFields fields_;
  std::optional<PublicKey> signature_key_;
  bool ca_is_cert_ = false;
  std::string signature_algorithm_;
  bool signature_verified_ = false;
  Bytes blob_;
  size_t nonce_off_ = 0, nonce_len_ = 0;
  size_t crit_off_ = 0, crit_len_ = 0;
  size_t ext_off_ = 0, ext_len_ = 0;
  size_t ca_off_ = 0, ca_len_ = 0;
  size_t sig_off_ = 0, sig_len_ = 0;
};

// Certifies `subject` (a plain key) with the CA `signer`: a fresh nonce of
// kCertNonceSize bytes from `rng`, the fields, an empty reserved string, the
// CA's public key and its signature. The CA must be a plain key (a signer
// always is). Errors for more than kMaxCertPrincipals principals, principals
// or a key id with a NUL byte.
StatusOr<Certificate> SignCertificate(const PublicKey& subject, const CertFields& fields, const KeySigner& signer,
                                      Rng& rng);
// As SignCertificate, but only returns the blob (the fast path for issuing
// many certificates: nothing is parsed back).
StatusOr<Bytes> SignCertificateBlob(const PublicKey& subject, const CertFields& fields, const KeySigner& signer,
                                    Rng& rng);

// A public key as key files and key lines hold it: a plain key or a
// certificate (whose key() is the certified plain key).
class KeyOrCert {
 public:
  explicit KeyOrCert(PublicKey key) : value_(std::move(key)) {}
  explicit KeyOrCert(Certificate cert) : value_(std::move(cert)) {}

  // A blob of either kind (certificates are verified as in FromBlob).
  static StatusOr<KeyOrCert> FromBlob(ByteSpan blob, SshErr* err = nullptr);
  // As FromBlob(ByteSpan), but a plain key keeps `blob` itself when it can
  // (PublicKey::FromBlob(Bytes&&)).
  static StatusOr<KeyOrCert> FromBlob(Bytes&& blob, SshErr* err = nullptr);

  bool is_cert() const { return std::holds_alternative<Certificate>(value_); }
  const Certificate& cert() const { return std::get<Certificate>(value_); }
  // The plain key (the certified key of a certificate): what fingerprints,
  // sizes and KRL digests are computed over.
  const PublicKey& plain() const {
    return is_cert() ? std::get<Certificate>(value_).key() : std::get<PublicKey>(value_);
  }
  // "ssh-ed25519" or "ssh-ed25519-cert-v01@openssh.com".
  std::string_view ssh_name() const { return is_cert() ? cert().ssh_name() : plain().ssh_name(); }
  // "ED25519" or "ED25519-CERT".
  std::string_view short_name() const { return is_cert() ? cert().short_name() : plain().info().short_name; }
  int bits() const { return plain().bits(); }
  // The wire blob (the certificate blob for a certificate).
  const Bytes& blob() const { return is_cert() ? cert().blob() : plain().blob(); }

  friend bool operator==(const KeyOrCert& a, const KeyOrCert& b) { return a.blob() == b.blob(); }

 private:
  std::variant<PublicKey, Certificate> value_;
};

struct ParsedKeyOrCertText {
  KeyOrCert key;
  std::string_view rest;  // as ParsedKeyText::rest
};

// ParseKeyText() for plain keys and certificates (OpenSSH's sshkey_read
// with KEY_UNSPEC): "type base64[ rest]", the blob's type must be the one
// the text names.
StatusOr<ParsedKeyOrCertText> ParseKeyOrCertText(std::string_view text, SshErr* err = nullptr);

// "type base64" plus " comment" when the comment is not empty.
std::string FormatKeyOrCert(const KeyOrCert& key, std::string_view comment = {});

// ---------------------------------------------------------------------------
// ssh-keygen -O: the options of a certificate being signed.

// Builds the critical options and extensions the way ssh-keygen 9.2 does
// (add_cert_option, then finalise_cert_exts): user certificates start with
// permit-X11-forwarding, -agent-forwarding, -port-forwarding, -pty and
// -user-rc; host certificates with none. The result is sorted: extensions
// before critical options, then by name (strcmp), then by value.
class CertOptionsBuilder {
 public:
  explicit CertOptionsBuilder(CertType type);
  // One -O argument ("clear", "no-pty", "force-command=/bin/true",
  // "source-address=10.0.0.0/8", "extension:name[=value]",
  // "critical:name[=value]", ... keywords in any case). Errors carry
  // ssh-keygen's fatal() text; *notes, if given, gets the error() lines
  // ssh-keygen prints before it (what is wrong in a source-address list).
  Status Add(std::string_view option, std::vector<std::string>* notes = nullptr);
  // Fills fields->critical_options and fields->extensions.
  void Finish(CertFields* fields) const;

 private:
  struct Custom {
    std::string name;
    std::optional<std::string> value;
    bool critical;
  };
  uint32_t flags_;
  std::optional<std::string> force_command_;
  std::optional<std::string> source_address_;
  std::vector<Custom> custom_;
};

// ---------------------------------------------------------------------------
// ssh-keygen -L.

// The lines ssh-keygen -L prints for a certificate (everything after the
// "FILE:" line): "        Type: ...", "        Public key: ...", etc.
// Fingerprints use `hash`; times are shown in `zone`. When an option section
// cannot be shown, ssh-keygen stops with a fatal error: the text printed up
// to that point is returned and *fatal gets the message.
std::string DescribeCertificate(const Certificate& cert, crypto::HashAlg hash, const TimeZone& zone,
                                std::string* fatal = nullptr);

// ---------------------------------------------------------------------------
// Verification: is this certificate good for this login, now?

enum class CertFailure {
  kNone,
  kBadSignature,           // the CA signature does not verify
  kCaIsCertificate,        // the signature key is itself a certificate
  kCaNotTrusted,           // the CA is not among the trusted keys
  kWrongType,              // a host certificate used for a user, or the reverse
  kNotYetValid,
  kExpired,
  kNoPrincipals,           // a user certificate with an empty principals list
  kWrongPrincipal,         // the principal is not listed
  kUnsupportedCriticalOption,
  kBadOptions,             // malformed option data
  kSourceAddress,          // the client address is outside source-address
};

// "bad signature", "expired", ... (a stable token for scripts and JSON).
std::string_view CertFailureName(CertFailure f);

struct CertVerifyRequest {
  std::span<const PublicKey> trusted_cas;
  bool host = false;  // expect a host certificate (ssh's @cert-authority)
  // The user name (user certificates) or host name (host certificates) the
  // certificate must list. nullopt: any listed principal will do.
  std::optional<std::string> principal;
  // The client's address, checked against a source-address option. nullopt:
  // the option (if any) is only syntax-checked.
  std::optional<std::string> client_address;
  uint64_t now = 0;
};

struct CertVerdict {
  CertFailure failure = CertFailure::kNone;
  // OpenSSH's wording where it has one ("Certificate invalid: expired"),
  // with details.
  std::string reason;
  // The options sshd would apply on success.
  std::optional<std::string> force_command;
  std::optional<std::string> source_address;
  bool ok() const { return failure == CertFailure::kNone; }
};

// The checks sshd makes for a user certificate under TrustedUserCAKeys
// (without AuthorizedPrincipalsFile), and ssh makes for a host certificate
// under @cert-authority, in their order: signature, CA, type, validity
// window, principals, critical options, source address. Pure: the time and
// the client address are arguments. Works on certificates from
// ParseUnverified() too (the signature is checked here then).
CertVerdict VerifyCertificate(const Certificate& cert, const CertVerifyRequest& request);

}  // namespace kw::formats
