// OpenSSH key revocation lists (PROTOCOL.krl; OpenSSH 9.2 krl.c), read,
// written byte for byte as ssh-keygen -k writes them, and queried.
//
//   "SSHKRL\n\0" | uint32 format version (1) | uint64 KRL version |
//   uint64 generated date | uint64 flags | string reserved | string comment |
//   sections: byte type, string body
//
// Sections: certificates (one per CA: serial lists, ranges, bitmaps and key
// ids), explicit keys, SHA1 and SHA256 fingerprints of keys, and signatures.
//
// A Krl is a value. Building appends revocations; queries and serialisation
// first put them in canonical order (merged serial ranges, sorted ids and
// blobs), which happens once and is cached. A Krl is thread-compatible:
// concurrent const calls are safe once Seal() has been called (Parse()
// returns sealed KRLs).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "formats/cert_time.h"
#include "formats/certificate.h"
#include "formats/public_key.h"
#include "formats/ssh_error.h"

namespace kw::formats {

class KeySigner;

inline constexpr std::string_view kKrlMagic{"SSHKRL\n\0", 8};
inline constexpr uint32_t kKrlFormatVersion = 1;

enum KrlSectionType : uint8_t {
  kKrlSectionCertificates = 1,
  kKrlSectionExplicitKey = 2,
  kKrlSectionFingerprintSha1 = 3,
  kKrlSectionSignature = 4,
  kKrlSectionFingerprintSha256 = 5,
};
enum KrlCertSectionType : uint8_t {
  kKrlCertSerialList = 0x20,
  kKrlCertSerialRange = 0x21,
  kKrlCertSerialBitmap = 0x22,
  kKrlCertKeyId = 0x23,
};

// Where a key or certificate was found revoked.
enum class KrlHit {
  kNone,
  kSha1,          // FINGERPRINT_SHA1 section
  kSha256,        // FINGERPRINT_SHA256 section
  kExplicitKey,   // EXPLICIT_KEY section
  kCertKeyId,     // a certificate's key id, in its CA's section
  kCertSerial,    // a certificate's serial, in its CA's section
};
std::string_view KrlHitName(KrlHit hit);

struct KrlCheckResult {
  KrlHit hit = KrlHit::kNone;
  // The certificate's CA key (rather than the certificate itself) was revoked.
  bool via_ca_key = false;
  // For kCertKeyId / kCertSerial: the section was the wildcard-CA one.
  bool wildcard_ca = false;
  bool revoked() const { return hit != KrlHit::kNone; }
};

struct KrlWriteOptions {
  // ssh-keygen 9.2 writes serial bitmaps of any size, but refuses to read a
  // bitmap of more than 16384 bits (its bignum limit), as does sshd: such a
  // KRL locks everyone out. With this set, bitmaps are split before that
  // size; the output then differs from ssh-keygen's exactly where
  // ssh-keygen's own would be unreadable.
  bool split_large_bitmaps = false;
  // Keys to sign the KRL with (9.2's KRL signature sections; ssh-keygen does
  // not write them). Each is appended as byte 4, string key, string signature.
  std::vector<const KeySigner*> signers;
};

class Krl {
 public:
  Krl() = default;

  // Parses a KRL as OpenSSH 9.2 does: signature sections are verified (over
  // every byte before them) and must come last; a KRL whose signing keys are
  // all revoked by itself is rejected; with `trusted_signers`, one of them
  // must have signed it. *err, if given, gets OpenSSH's code (kKrlBadMagic
  // for a file that is not a KRL at all).
  static StatusOr<Krl> Parse(ByteSpan data, SshErr* err = nullptr,
                             std::span<const PublicKey> trusted_signers = {});

  // The KRL as ssh-keygen -k writes it. A zero generated_date becomes `now`.
  StatusOr<Bytes> Serialize(int64_t now, const KrlWriteOptions& options = {}) const;

  uint64_t version() const { return version_; }
  void set_version(uint64_t v) { version_ = v; }
  uint64_t generated_date() const { return generated_date_; }
  void set_generated_date(uint64_t d) { generated_date_ = d; }
  uint64_t flags() const { return flags_; }
  const std::string& comment() const { return comment_; }
  void set_comment(std::string c) { comment_ = std::move(c); }
  // The keys that signed the parsed KRL (verified), in order.
  const std::vector<PublicKey>& signed_by() const { return signed_by_; }

  // Revocations, as ssh_krl_revoke_*. A null CA means "any CA" (the
  // wildcard section). Serial 0 cannot be revoked; lo must not exceed hi.
  Status RevokeSerialRange(const PublicKey* ca, uint64_t lo, uint64_t hi);
  Status RevokeSerial(const PublicKey* ca, uint64_t serial) { return RevokeSerialRange(ca, serial, serial); }
  void RevokeKeyId(const PublicKey* ca, std::string_view key_id);
  // The plain key's blob (a certificate's certified key).
  void RevokeExplicit(const PublicKey& key);
  // Digests of a plain key blob: 20 and 32 bytes.
  Status RevokeSha1(ByteSpan digest);
  Status RevokeSha256(ByteSpan digest);
  // ssh_krl_revoke_key: a plain key explicitly; a certificate by serial (or
  // by key id when its serial is 0) under its own CA.
  void RevokeKey(const KeyOrCert& key);

  // ssh_krl_check_key: digests, explicit key, then (for a certificate) its
  // CA's section and the wildcard section, then the same plain checks for
  // the CA key. O(log n) in the number of revocations.
  KrlCheckResult Check(const KeyOrCert& key) const;
  KrlCheckResult Check(const PublicKey& key) const;

  // Puts every revocation in canonical order now (see the class comment).
  void Seal() const;

  // What ssh-keygen -Q -l prints. `zone` is for the generation date,
  // `escape` makes the comment and key ids printable (OpenSSH's
  // asmprintf); keys that cannot be parsed add a line to *errors.
  std::string Dump(const TimeZone& zone, const std::function<std::string(std::string_view)>& escape,
                   std::vector<std::string>* errors = nullptr) const;

  // Counts, for tools and tests.
  size_t ca_count() const { return cas_.size(); }
  size_t revocation_count() const;

 private:
  struct CaSection {
    std::optional<PublicKey> ca;  // nullopt: any CA
    mutable std::vector<std::pair<uint64_t, uint64_t>> serials;  // merged when sealed
    mutable std::vector<std::string> key_ids;                    // sorted when sealed
    mutable bool dirty = false;
  };
  CaSection* SectionFor(const PublicKey* ca, bool create);
  const CaSection* FindSection(const PublicKey* ca) const;
  KrlCheckResult CheckPlain(const PublicKey& key) const;
  static KrlCheckResult CheckCert(const Certificate& cert, const CaSection& s);

  uint64_t version_ = 0;
  uint64_t generated_date_ = 0;
  uint64_t flags_ = 0;
  std::string comment_;
  std::vector<PublicKey> signed_by_;
  std::vector<CaSection> cas_;
  mutable std::vector<Bytes> keys_;  // explicit plain key blobs
  mutable std::vector<std::array<uint8_t, 20>> sha1s_;
  mutable std::vector<std::array<uint8_t, 32>> sha256s_;
  mutable bool dirty_ = false;
};

// ssh-keygen -k's spec file (update_krl_from_file): lines "serial: N",
// "serial: A-B", "id: KEYID", "key: <key line>", "sha1: <key line>",
// "sha256: <key line>", "hash: SHA256:<base64>", or a bare public key or
// certificate line; '#' starts a comment. `ca` is -s (null with
// `wildcard_ca` for "-s none"). `path` names the file in messages. Errors
// carry ssh-keygen's fatal() text ("spec:3: invalid serial \"x\"").
Status ApplyKrlSpec(Krl* krl, std::string_view text, std::string_view path, const PublicKey* ca, bool wildcard_ca);

}  // namespace kw::formats
