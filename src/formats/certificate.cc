#include "formats/certificate.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include "formats/addr_match.h"
#include "formats/fingerprint.h"
#include "formats/signature.h"
#include "formats/signer.h"
#include "wire/base64.h"
#include "wire/reader.h"
#include "wire/writer.h"

namespace kw::formats {

// Builds certificates from their parts (a friend of Certificate).
struct CertificateAccess {
  static StatusOr<Certificate> Parse(ByteSpan blob, bool verify, SshErr* err);
};

namespace {

struct CertName {
  KeyType type;
  std::string_view name;
  std::string_view short_name;
};

constexpr std::array<CertName, 8> kCertNames = {{
    {KeyType::kEd25519, "ssh-ed25519-cert-v01@openssh.com", "ED25519-CERT"},
    {KeyType::kEcdsaP256, "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ECDSA-CERT"},
    {KeyType::kEcdsaP384, "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ECDSA-CERT"},
    {KeyType::kEcdsaP521, "ecdsa-sha2-nistp521-cert-v01@openssh.com", "ECDSA-CERT"},
    {KeyType::kRsa, "ssh-rsa-cert-v01@openssh.com", "RSA-CERT"},
    {KeyType::kDsa, "ssh-dss-cert-v01@openssh.com", "DSA-CERT"},
    {KeyType::kSkEd25519, "sk-ssh-ed25519-cert-v01@openssh.com", "ED25519-SK-CERT"},
    {KeyType::kSkEcdsaP256, "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "ECDSA-SK-CERT"},
}};

Status Fail(SshErr* err, SshErr code, std::string message) {
  if (err) *err = code;
  return InvalidArgumentError("invalid certificate: " + message);
}

// OpenSSH's code for a plain key that PublicKey::FromBlob refused.
SshErr KeyErrorCode(const Status& s) {
  const std::string& m = s.message();
  if (m.find("unknown key type") != std::string::npos) return SshErr::kKeyTypeUnknown;
  if (m.find("RSA modulus") != std::string::npos) return SshErr::kKeyLength;
  if (m.find("does not match key type") != std::string::npos) return SshErr::kEcCurveMismatch;
  if (m.find("ECDSA point") != std::string::npos || m.find("curve") != std::string::npos)
    return SshErr::kInvalidEcValue;
  return SshErr::kInvalidFormat;
}

// Reads the fields of a `type` key (without the type string) from `r`, so
// that the plain key can be rebuilt from them.
Status SkipKeyFields(KeyType type, wire::Reader& r) {
  switch (type) {
    case KeyType::kEd25519:
      return r.ReadString("Ed25519 public key").status();
    case KeyType::kSkEd25519:
      KW_RETURN_IF_ERROR(r.ReadString("Ed25519 public key"));
      return r.ReadString("FIDO application").status();
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521:
      KW_RETURN_IF_ERROR(r.ReadString("curve name"));
      return r.ReadString("ECDSA point").status();
    case KeyType::kSkEcdsaP256:
      KW_RETURN_IF_ERROR(r.ReadString("curve name"));
      KW_RETURN_IF_ERROR(r.ReadString("ECDSA point"));
      return r.ReadString("FIDO application").status();
    case KeyType::kRsa:
      KW_RETURN_IF_ERROR(r.ReadString("RSA exponent"));
      return r.ReadString("RSA modulus").status();
    case KeyType::kDsa:
      for (int i = 0; i < 4; ++i) KW_RETURN_IF_ERROR(r.ReadString("DSA parameter"));
      return OkStatus();
  }
  return InvalidArgumentError("unknown key type");
}

// A packed sequence of (string name, string data) pairs.
StatusOr<std::vector<CertOption>> ParseOptions(ByteSpan section, std::string_view what) {
  std::vector<CertOption> out;
  wire::Reader r(section);
  while (!r.empty()) {
    KW_ASSIGN_OR_RETURN(ByteSpan name, r.ReadString(std::string(what) + " name"));
    KW_ASSIGN_OR_RETURN(ByteSpan data, r.ReadString(std::string(what) + " data"));
    out.push_back(CertOption{ToString(name), Bytes(data.begin(), data.end())});
  }
  return out;
}

void WriteOptions(const std::vector<CertOption>& options, wire::Writer* w) {
  wire::Writer section;
  for (const CertOption& o : options) {
    section.String(o.name);
    section.String(o.data);
  }
  w->String(section.bytes());
}

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

}  // namespace

std::string_view CertTypeName(CertType type) {
  switch (type) {
    case CertType::kUser: return "user";
    case CertType::kHost: return "host";
  }
  return "unknown";
}

std::string_view CertKeyTypeName(KeyType type) {
  for (const CertName& c : kCertNames)
    if (c.type == type) return c.name;
  return "";
}

std::string_view CertShortName(KeyType type) {
  for (const CertName& c : kCertNames)
    if (c.type == type) return c.short_name;
  return "";
}

std::optional<KeyType> KeyTypeFromCertName(std::string_view name) {
  for (const CertName& c : kCertNames)
    if (c.name == name) return c.type;
  // Signature-algorithm aliases OpenSSH also accepts as names of RSA
  // certificates.
  if (name == "rsa-sha2-256-cert-v01@openssh.com" || name == "rsa-sha2-512-cert-v01@openssh.com")
    return KeyType::kRsa;
  return std::nullopt;
}

CertOption CertOption::Flag(std::string name) { return CertOption{std::move(name), {}}; }

CertOption CertOption::Value(std::string name, std::string_view value) {
  wire::Writer w;
  w.String(value);
  return CertOption{std::move(name), w.Take()};
}

std::optional<std::string_view> CertOption::StringValue() const {
  wire::Reader r(data);
  auto s = r.ReadText("option value");
  if (!s.ok() || !r.empty()) return std::nullopt;
  return *s;
}

StatusOr<Certificate> CertificateAccess::Parse(ByteSpan blob, bool verify, SshErr* err) {
  if (err) *err = SshErr::kNone;
  Certificate c;
  c.blob_.assign(blob.begin(), blob.end());
  ByteSpan b(c.blob_);
  wire::Reader r(b);

  auto name = r.ReadText("key type");
  if (!name.ok()) return Fail(err, SshErr::kInvalidFormat, name.status().message());
  std::optional<KeyType> type = KeyTypeFromCertName(*name);
  if (!type) {
    if (KeyTypeFromBlobName(*name))
      return Fail(err, SshErr::kInvalidFormat, "\"" + std::string(*name) + "\" is a plain key, not a certificate");
    return Fail(err, SshErr::kKeyTypeUnknown, "unknown key type \"" + std::string(*name) + "\"");
  }
  size_t nonce_at = r.position();
  auto nonce = r.ReadString("nonce");
  if (!nonce.ok()) return Fail(err, SshErr::kInvalidFormat, nonce.status().message());
  c.nonce_off_ = nonce_at + 4;
  c.nonce_len_ = nonce->size();

  // The certified key: its fields, rebuilt into a plain blob.
  size_t fields_at = r.position();
  if (Status s = SkipKeyFields(*type, r); !s.ok()) return Fail(err, SshErr::kInvalidFormat, s.message());
  {
    wire::Writer plain;
    plain.String(GetKeyTypeInfo(*type).ssh_name);
    plain.Raw(b.subspan(fields_at, r.position() - fields_at));
    auto key = PublicKey::FromBlob(plain.bytes());
    if (!key.ok()) return Fail(err, KeyErrorCode(key.status()), key.status().message());
    c.key_.emplace(std::move(*key));
  }

  CertFields& f = c.fields_;
  uint32_t cert_type = 0;
  std::string_view key_id;
  ByteSpan principals, crit, exts;
  {
    auto serial = r.ReadU64("serial");
    auto t = serial.ok() ? r.ReadU32("certificate type") : StatusOr<uint32_t>(serial.status());
    if (!t.ok()) return Fail(err, SshErr::kInvalidFormat, t.status().message());
    f.serial = *serial;
    cert_type = *t;
    auto id = r.ReadText("key id");
    if (!id.ok()) return Fail(err, SshErr::kInvalidFormat, id.status().message());
    key_id = *id;
    auto p = r.ReadString("principals");
    if (!p.ok()) return Fail(err, SshErr::kInvalidFormat, p.status().message());
    principals = *p;
    auto after = r.ReadU64("valid after");
    auto before = after.ok() ? r.ReadU64("valid before") : after;
    if (!before.ok()) return Fail(err, SshErr::kInvalidFormat, before.status().message());
    f.valid_after = *after;
    f.valid_before = *before;
    size_t at = r.position();
    auto cs = r.ReadString("critical options");
    if (!cs.ok()) return Fail(err, SshErr::kInvalidFormat, cs.status().message());
    crit = *cs;
    c.crit_off_ = at + 4;
    c.crit_len_ = crit.size();
    at = r.position();
    auto es = r.ReadString("extensions");
    if (!es.ok()) return Fail(err, SshErr::kInvalidFormat, es.status().message());
    exts = *es;
    c.ext_off_ = at + 4;
    c.ext_len_ = exts.size();
    auto reserved = r.ReadString("reserved");
    if (!reserved.ok()) return Fail(err, SshErr::kInvalidFormat, reserved.status().message());
    at = r.position();
    auto ca = r.ReadString("signature key");
    if (!ca.ok()) return Fail(err, SshErr::kInvalidFormat, ca.status().message());
    c.ca_off_ = at + 4;
    c.ca_len_ = ca->size();
    at = r.position();
    auto sig = r.ReadString("signature");
    if (!sig.ok()) return Fail(err, SshErr::kInvalidFormat, sig.status().message());
    c.sig_off_ = at + 4;
    c.sig_len_ = sig->size();
  }
  if (cert_type != 1 && cert_type != 2)
    return Fail(err, SshErr::kCertUnknownType, "unknown certificate type " + std::to_string(cert_type));
  f.type = static_cast<CertType>(cert_type);
  f.key_id = std::string(key_id);

  wire::Reader pr(principals);
  while (!pr.empty()) {
    if (f.principals.size() >= kMaxCertPrincipals)
      return Fail(err, SshErr::kInvalidFormat, "more than " + std::to_string(kMaxCertPrincipals) + " principals");
    auto p = pr.ReadText("principal");
    if (!p.ok()) return Fail(err, SshErr::kInvalidFormat, p.status().message());
    f.principals.emplace_back(*p);
  }
  auto co = ParseOptions(crit, "critical option");
  if (!co.ok()) return Fail(err, SshErr::kInvalidFormat, co.status().message());
  f.critical_options = std::move(*co);
  auto eo = ParseOptions(exts, "extension");
  if (!eo.ok()) return Fail(err, SshErr::kInvalidFormat, eo.status().message());
  f.extensions = std::move(*eo);

  // The CA key: a plain key (a certificate cannot sign certificates).
  ByteSpan ca_blob = c.signature_key_blob();
  {
    wire::Reader cr(ca_blob);
    auto ca_name = cr.ReadText("CA key type");
    if (ca_name.ok() && KeyTypeFromCertName(*ca_name)) {
      if (verify) return Fail(err, SshErr::kCertInvalidSignKey, "the signature key is itself a certificate");
      c.ca_is_cert_ = true;
    } else {
      auto ca_key = PublicKey::FromBlob(ca_blob);
      if (!ca_key.ok()) return Fail(err, SshErr::kCertInvalidSignKey, "signature key: " + ca_key.status().message());
      c.signature_key_.emplace(std::move(*ca_key));
    }
  }

  if (verify) {
    std::string alg;
    Status s = VerifySignature(*c.signature_key_, c.signed_data(), c.signature(), &alg);
    if (!s.ok()) {
      SshErr code = s.code() == StatusCode::kUnauthenticated ? SshErr::kSignatureInvalid
                    : s.code() == StatusCode::kUnimplemented ? SshErr::kKeyTypeUnknown
                                                             : SshErr::kSignatureInvalid;
      if (s.message().find("does not match the key") != std::string::npos) code = SshErr::kKeyTypeMismatch;
      return Fail(err, code, "CA signature: " + s.message());
    }
    c.signature_algorithm_ = std::move(alg);
    c.signature_verified_ = true;
  } else {
    wire::Reader sr(c.signature());
    auto alg = sr.ReadText("signature algorithm");
    if (alg.ok()) c.signature_algorithm_ = std::string(*alg);
  }

  if (!r.empty()) return Fail(err, SshErr::kInvalidFormat, std::to_string(r.remaining()) + " bytes after the signature");
  return c;
}

StatusOr<Certificate> Certificate::FromBlob(ByteSpan blob, SshErr* err) {
  return CertificateAccess::Parse(blob, /*verify=*/true, err);
}

StatusOr<Certificate> Certificate::ParseUnverified(ByteSpan blob, SshErr* err) {
  return CertificateAccess::Parse(blob, /*verify=*/false, err);
}

StatusOr<Bytes> SignCertificateBlob(const PublicKey& subject, const CertFields& f, const KeySigner& signer,
                                    Rng& rng) {
  std::string_view name = CertKeyTypeName(subject.type());
  if (name.empty()) return InvalidArgumentError("cannot certify a " + std::string(subject.ssh_name()) + " key");
  if (f.principals.size() > kMaxCertPrincipals)
    return InvalidArgumentError("too many certificate principals (" + std::to_string(f.principals.size()) +
                                ", at most " + std::to_string(kMaxCertPrincipals) + ")");
  if (HasNul(f.key_id)) return InvalidArgumentError("certificate key id contains a NUL byte");
  for (const std::string& p : f.principals)
    if (HasNul(p)) return InvalidArgumentError("certificate principal contains a NUL byte");

  const Bytes& key_blob = subject.blob();
  const Bytes& ca_blob = signer.public_key().blob();
  wire::Writer w;
  w.buffer().reserve(key_blob.size() + ca_blob.size() + f.key_id.size() + 256 + 64 * f.principals.size());
  w.String(name);
  uint8_t nonce[kCertNonceSize];
  rng.Fill(nonce);
  w.String(ByteSpan(nonce, sizeof nonce));
  // The key's fields: its blob without the leading type string.
  size_t type_len = 4 + subject.ssh_name().size();
  w.Raw(ByteSpan(key_blob).subspan(type_len));
  w.U64(f.serial);
  w.U32(static_cast<uint32_t>(f.type));
  w.String(f.key_id);
  wire::Writer principals;
  for (const std::string& p : f.principals) principals.String(p);
  w.String(principals.bytes());
  w.U64(f.valid_after);
  w.U64(f.valid_before);
  WriteOptions(f.critical_options, &w);
  WriteOptions(f.extensions, &w);
  w.String(std::string_view());  // reserved
  w.String(ca_blob);
  KW_RETURN_IF_ERROR(signer.SignAsString(w.bytes(), &w));
  return w.Take();
}

StatusOr<Certificate> SignCertificate(const PublicKey& subject, const CertFields& fields, const KeySigner& signer,
                                      Rng& rng) {
  KW_ASSIGN_OR_RETURN(Bytes blob, SignCertificateBlob(subject, fields, signer, rng));
  // Parse what was written (and check the signature): the result is then
  // exactly what a reader of the file will see.
  return Certificate::FromBlob(blob);
}

namespace {

// KeyOrCert::FromBlob; `owned`, if given, holds `blob` and a plain key may
// take it over.
StatusOr<KeyOrCert> ParseKeyOrCertBlob(ByteSpan blob, Bytes* owned, SshErr* err) {
  if (err) *err = SshErr::kNone;
  wire::Reader r(blob);
  auto name = r.ReadText("key type");
  if (!name.ok()) {
    if (err) *err = SshErr::kInvalidFormat;
    return InvalidArgumentError("invalid key: " + name.status().message());
  }
  if (KeyTypeFromCertName(*name)) {
    KW_ASSIGN_OR_RETURN(Certificate c, Certificate::FromBlob(blob, err));
    return KeyOrCert(std::move(c));
  }
  auto key = owned != nullptr ? PublicKey::FromBlob(std::move(*owned)) : PublicKey::FromBlob(blob);
  if (!key.ok()) {
    if (err) *err = KeyErrorCode(key.status());
    return key.status();
  }
  return KeyOrCert(std::move(*key));
}

}  // namespace

StatusOr<KeyOrCert> KeyOrCert::FromBlob(ByteSpan blob, SshErr* err) { return ParseKeyOrCertBlob(blob, nullptr, err); }

StatusOr<KeyOrCert> KeyOrCert::FromBlob(Bytes&& blob, SshErr* err) { return ParseKeyOrCertBlob(blob, &blob, err); }

StatusOr<ParsedKeyOrCertText> ParseKeyOrCertText(std::string_view text, SshErr* err) {
  auto fail = [&](SshErr code, std::string m) -> Status {
    if (err) *err = code;
    return InvalidArgumentError(std::move(m));
  };
  // Plain loops: string_view's find_first_of calls memchr per character.
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  auto skip_blank = [&](size_t i) {
    while (i < text.size() && blank(text[i])) ++i;
    return i;
  };
  auto skip_token = [&](size_t i) {
    while (i < text.size() && !blank(text[i])) ++i;
    return i;
  };
  size_t type_end = skip_token(0);
  if (type_end == text.size()) return fail(SshErr::kInvalidFormat, "no key after the key type");
  std::string_view type_name = text.substr(0, type_end);
  std::optional<KeyType> type = KeyTypeFromLineName(type_name);
  bool cert = false;
  if (!type) {
    type = KeyTypeFromCertName(type_name);
    cert = type.has_value();
  }
  if (!type) return fail(SshErr::kInvalidFormat, "unknown key type \"" + std::string(type_name) + "\"");
  size_t blob_start = skip_blank(type_end);
  if (blob_start == text.size()) return fail(SshErr::kInvalidFormat, "no key after the key type");
  size_t blob_end = skip_token(blob_start);
  Bytes blob;
  if (!wire::Base64DecodeSkippingSpaceTo(text.substr(blob_start, blob_end - blob_start), &blob))
    return fail(SshErr::kInvalidFormat, "base64 blob does not decode");
  KW_ASSIGN_OR_RETURN(KeyOrCert key, KeyOrCert::FromBlob(std::move(blob), err));
  if (key.is_cert() != cert || key.plain().type() != *type) {
    // sshkey_read: a different key type (or a certificate for a plain key)
    // is a type mismatch; ECDSA of another curve is a curve mismatch.
    KeyType got = key.plain().type();
    bool same_family = key.is_cert() == cert && IsEcdsa(*type) && IsEcdsa(got) &&
                       (*type == KeyType::kSkEcdsaP256) == (got == KeyType::kSkEcdsaP256);
    return fail(same_family ? SshErr::kEcCurveMismatch : SshErr::kKeyTypeMismatch,
                "key type mismatch: line says \"" + std::string(type_name) + "\", blob holds \"" +
                    std::string(key.ssh_name()) + "\"");
  }
  return ParsedKeyOrCertText{std::move(key), text.substr(skip_blank(blob_end))};
}

std::string FormatKeyOrCert(const KeyOrCert& key, std::string_view comment) {
  std::string out(key.ssh_name());
  out += ' ';
  wire::Base64EncodeTo(key.blob(), true, &out);
  if (!comment.empty()) {
    out += ' ';
    out += comment;
  }
  return out;
}

// ---------------------------------------------------------------------------
// -O options.

namespace {

enum : uint32_t {
  kOptX11 = 1,
  kOptAgent = 1 << 1,
  kOptPort = 1 << 2,
  kOptPty = 1 << 3,
  kOptUserRc = 1 << 4,
  kOptNoTouch = 1 << 5,
  kOptVerify = 1 << 6,
  kOptDefault = kOptX11 | kOptAgent | kOptPort | kOptPty | kOptUserRc,
};

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

bool IStartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && IEquals(s.substr(0, prefix.size()), prefix);
}

}  // namespace

CertOptionsBuilder::CertOptionsBuilder(CertType type) : flags_(type == CertType::kHost ? 0u : static_cast<uint32_t>(kOptDefault)) {}

namespace {

// addr_match_cidr_list(NULL, list)'s error() lines for a bad list.
void CidrListNotes(std::string_view list, std::vector<std::string>* notes) {
  size_t pos = 0;
  while (true) {
    size_t comma = list.find(',', pos);
    std::string_view e = list.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    std::string shown(e.substr(0, 100));
    if (e.empty()) {
      notes->push_back("addr_match_cidr_list: empty entry in list \"" + std::string(list.substr(0, 100)) + "\"");
      return;
    }
    if (e.size() > 46 + 3) {
      notes->push_back("addr_match_cidr_list: list entry \"" + shown + "\" too long");
      return;
    }
    if (e.find_first_not_of("0123456789abcdefABCDEF.:/") != std::string_view::npos)
      notes->push_back("addr_match_cidr_list: list entry \"" + shown + "\" contains invalid characters");
    CidrError err = CidrError::kNotCidr;
    if (!ParseCidr(e, &err)) {
      notes->push_back(err == CidrError::kBadMaskLength ? "Inconsistent mask length for network \"" + shown + "\""
                                                        : "Invalid network entry \"" + shown + "\"");
      return;
    }
    if (comma == std::string_view::npos) return;
    pos = comma + 1;
  }
}

}  // namespace

Status CertOptionsBuilder::Add(std::string_view opt, std::vector<std::string>* notes) {
  struct FlagOp {
    std::string_view name;
    uint32_t bit;
    bool set;
  };
  static constexpr FlagOp kFlags[] = {
      {"no-x11-forwarding", kOptX11, false},     {"permit-x11-forwarding", kOptX11, true},
      {"no-agent-forwarding", kOptAgent, false}, {"permit-agent-forwarding", kOptAgent, true},
      {"no-port-forwarding", kOptPort, false},   {"permit-port-forwarding", kOptPort, true},
      {"no-pty", kOptPty, false},                {"permit-pty", kOptPty, true},
      {"no-user-rc", kOptUserRc, false},         {"permit-user-rc", kOptUserRc, true},
      {"touch-required", kOptNoTouch, false},    {"no-touch-required", kOptNoTouch, true},
      {"no-verify-required", kOptVerify, false}, {"verify-required", kOptVerify, true},
  };
  if (IEquals(opt, "clear")) {
    flags_ = 0;
    return OkStatus();
  }
  for (const FlagOp& f : kFlags) {
    if (IEquals(opt, f.name)) {
      flags_ = f.set ? (flags_ | f.bit) : (flags_ & ~f.bit);
      return OkStatus();
    }
  }
  // The option is a C string in ssh-keygen: a NUL ends it.
  std::string_view text = opt.substr(0, opt.find('\0'));
  if (IStartsWith(text, "force-command=")) {
    std::string_view val = text.substr(14);
    if (val.empty()) return InvalidArgumentError("Empty force-command option");
    if (force_command_) return InvalidArgumentError("force-command already specified");
    force_command_ = std::string(val);
    return OkStatus();
  }
  if (IStartsWith(text, "source-address=")) {
    std::string_view val = text.substr(15);
    if (val.empty()) return InvalidArgumentError("Empty source-address option");
    if (source_address_) return InvalidArgumentError("source-address already specified");
    if (AddrMatchCidrList(std::nullopt, val) != 0) {
      if (notes) CidrListNotes(val, notes);
      return InvalidArgumentError("Invalid source-address list");
    }
    source_address_ = std::string(val);
    return OkStatus();
  }
  bool ext = IStartsWith(text, "extension:");
  bool crit = !ext && IStartsWith(text, "critical:");
  if (ext || crit) {
    std::string_view rest = text.substr(text.find(':') + 1);
    Custom c;
    c.critical = crit;
    size_t eq = rest.find('=');
    c.name = std::string(rest.substr(0, eq));
    if (eq != std::string_view::npos) c.value = std::string(rest.substr(eq + 1));
    custom_.push_back(std::move(c));
    return OkStatus();
  }
  return InvalidArgumentError("Unsupported certificate option \"" + std::string(text) + "\"");
}

void CertOptionsBuilder::Finish(CertFields* fields) const {
  std::vector<Custom> all = custom_;
  auto add = [&](std::string name, std::optional<std::string> value, bool critical) {
    all.push_back(Custom{std::move(name), std::move(value), critical});
  };
  if (force_command_) add("force-command", force_command_, true);
  if (source_address_) add("source-address", source_address_, true);
  if (flags_ & kOptVerify) add("verify-required", std::nullopt, true);
  if (flags_ & kOptX11) add("permit-X11-forwarding", std::nullopt, false);
  if (flags_ & kOptAgent) add("permit-agent-forwarding", std::nullopt, false);
  if (flags_ & kOptPort) add("permit-port-forwarding", std::nullopt, false);
  if (flags_ & kOptPty) add("permit-pty", std::nullopt, false);
  if (flags_ & kOptUserRc) add("permit-user-rc", std::nullopt, false);
  if (flags_ & kOptNoTouch) add("no-touch-required", std::nullopt, false);
  // ssh-keygen's cert_ext_cmp: extensions first, then name, then a flag
  // before a value, then value (strcmp: byte order).
  std::stable_sort(all.begin(), all.end(), [](const Custom& a, const Custom& b) {
    if (a.critical != b.critical) return !a.critical;
    if (int r = std::strcmp(a.name.c_str(), b.name.c_str()); r != 0) return r < 0;
    if (a.value.has_value() != b.value.has_value()) return !a.value.has_value();
    if (a.value && *a.value != *b.value) return std::strcmp(a.value->c_str(), b.value->c_str()) < 0;
    return false;
  });
  fields->critical_options.clear();
  fields->extensions.clear();
  for (const Custom& c : all) {
    CertOption o = c.value ? CertOption::Value(c.name, *c.value) : CertOption::Flag(c.name);
    (c.critical ? fields->critical_options : fields->extensions).push_back(std::move(o));
  }
}

// ---------------------------------------------------------------------------
// ssh-keygen -L.

namespace {

constexpr std::string_view kKnownExtensions[] = {"permit-X11-forwarding", "permit-agent-forwarding",
                                                 "permit-port-forwarding", "permit-pty",
                                                 "permit-user-rc", "no-touch-required"};

// show_options(): false (with *fatal set) where ssh-keygen stops.
bool ShowOptions(ByteSpan section, bool critical, std::string* out, std::string* fatal) {
  wire::Reader r(section);
  while (!r.empty()) {
    auto name = r.ReadString();
    auto data = name.ok() ? r.ReadString() : name;
    if (!data.ok() || std::memchr(name->data(), 0, name->size()) != nullptr) {
      *fatal = "show_options: parse option: " +
               std::string(!data.ok() ? "incomplete message" : "invalid format");
      return false;
    }
    std::string n = ToString(*name);
    *out += "                " + n;
    bool known_ext = !critical && std::find(std::begin(kKnownExtensions), std::end(kKnownExtensions), n) !=
                                      std::end(kKnownExtensions);
    if (known_ext || (critical && n == "verify-required")) {
      *out += '\n';
      if (!data->empty()) {
        *fatal = "Option corrupt: extra data at end";
        return false;
      }
    } else if (critical && (n == "force-command" || n == "source-address")) {
      wire::Reader dr(*data);
      auto arg = dr.ReadString();
      if (!arg.ok() || std::memchr(arg->data(), 0, arg->size()) != nullptr) {
        *fatal = "show_options: parse critical: " + std::string(!arg.ok() ? "incomplete message" : "invalid format");
        return false;
      }
      *out += " " + ToString(*arg) + "\n";
      if (!dr.empty()) {
        *fatal = "Option corrupt: extra data at end";
        return false;
      }
    } else if (!data->empty()) {
      *out += " UNKNOWN OPTION: " + HexEncode(*data) + " (len " + std::to_string(data->size()) + ")\n";
    } else {
      *out += " UNKNOWN FLAG OPTION\n";
    }
  }
  return true;
}

}  // namespace

std::string DescribeCertificate(const Certificate& cert, crypto::HashAlg hash, const TimeZone& zone,
                                std::string* fatal) {
  std::string out;
  out += "        Type: " + std::string(cert.ssh_name()) + " " + std::string(CertTypeName(cert.type())) +
         " certificate\n";
  out += "        Public key: " + std::string(cert.short_name()) + " " + Fingerprint(cert.key(), hash) + "\n";
  out += "        Signing CA: ";
  if (cert.signature_key()) {
    out += std::string(cert.signature_key()->info().short_name) + " " + Fingerprint(*cert.signature_key(), hash);
  } else {
    out += "(certificate) " + FormatDigest(hash, crypto::Digest(hash, cert.signature_key_blob()));
  }
  out += " (using " + cert.signature_algorithm() + ")\n";
  out += "        Key ID: \"" + cert.key_id() + "\"\n";
  out += "        Serial: " + std::to_string(cert.serial()) + "\n";
  out += "        Valid: " + FormatValidity(cert.valid_after(), cert.valid_before(), zone) + "\n";
  out += "        Principals: ";
  if (cert.principals().empty()) {
    out += "(none)\n";
  } else {
    for (const std::string& p : cert.principals()) out += "\n                " + p;
    out += "\n";
  }
  std::string why;
  out += "        Critical Options: ";
  if (cert.critical_section().empty()) {
    out += "(none)\n";
  } else {
    out += "\n";
    if (!ShowOptions(cert.critical_section(), true, &out, &why)) {
      if (fatal) *fatal = why;
      return out;
    }
  }
  out += "        Extensions: ";
  if (cert.extensions_section().empty()) {
    out += "(none)\n";
  } else {
    out += "\n";
    if (!ShowOptions(cert.extensions_section(), false, &out, &why)) {
      if (fatal) *fatal = why;
      return out;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Verification.

std::string_view CertFailureName(CertFailure f) {
  switch (f) {
    case CertFailure::kNone: return "ok";
    case CertFailure::kBadSignature: return "bad signature";
    case CertFailure::kCaIsCertificate: return "CA is a certificate";
    case CertFailure::kCaNotTrusted: return "CA not trusted";
    case CertFailure::kWrongType: return "wrong certificate type";
    case CertFailure::kNotYetValid: return "not yet valid";
    case CertFailure::kExpired: return "expired";
    case CertFailure::kNoPrincipals: return "no principals";
    case CertFailure::kWrongPrincipal: return "wrong principal";
    case CertFailure::kUnsupportedCriticalOption: return "unsupported critical option";
    case CertFailure::kBadOptions: return "bad options";
    case CertFailure::kSourceAddress: return "source address";
  }
  return "unknown";
}

CertVerdict VerifyCertificate(const Certificate& cert, const CertVerifyRequest& req) {
  CertVerdict v;
  auto fail = [&](CertFailure f, std::string reason) {
    v.failure = f;
    v.reason = std::move(reason);
    v.force_command.reset();
    v.source_address.reset();
    return v;
  };
  if (cert.signature_key_is_certificate() || !cert.signature_key())
    return fail(CertFailure::kCaIsCertificate, "invalid certificate signing key: the CA key is itself a certificate");
  const PublicKey& ca = *cert.signature_key();
  if (!cert.signature_verified()) {
    Status s = VerifySignature(ca, cert.signed_data(), cert.signature());
    if (!s.ok()) return fail(CertFailure::kBadSignature, "incorrect signature: " + s.message());
  }
  bool trusted = std::any_of(req.trusted_cas.begin(), req.trusted_cas.end(),
                             [&](const PublicKey& k) { return k == ca; });
  if (!trusted)
    return fail(CertFailure::kCaNotTrusted, "CA " + std::string(ca.info().short_name) + " " + Fingerprint(ca) +
                                                " is not a trusted certificate authority");
  if (req.host && cert.type() != CertType::kHost)
    return fail(CertFailure::kWrongType, "Certificate invalid: not a host certificate");
  if (!req.host && cert.type() != CertType::kUser)
    return fail(CertFailure::kWrongType, "Certificate invalid: not a user certificate");
  if (req.now < cert.valid_after()) return fail(CertFailure::kNotYetValid, "Certificate invalid: not yet valid");
  if (req.now >= cert.valid_before()) return fail(CertFailure::kExpired, "Certificate invalid: expired");
  if (cert.principals().empty()) {
    if (!req.host) return fail(CertFailure::kNoPrincipals, "Certificate lacks principal list");
  } else if (req.principal) {
    if (std::find(cert.principals().begin(), cert.principals().end(), *req.principal) == cert.principals().end())
      return fail(CertFailure::kWrongPrincipal, "Certificate invalid: name is not a listed principal");
  }
  // Critical options: a host certificate may carry none; a user certificate
  // only those sshd knows, each once and well-formed.
  for (const CertOption& o : cert.fields().critical_options) {
    if (req.host)
      return fail(CertFailure::kUnsupportedCriticalOption, "Certificate contains unsupported critical options");
    if (o.name == "verify-required") {
      if (!o.data.empty()) return fail(CertFailure::kBadOptions, "Certificate option \"verify-required\" corrupt (extra data)");
    } else if (o.name == "force-command" || o.name == "source-address") {
      std::optional<std::string_view> val = o.StringValue();
      if (!val) return fail(CertFailure::kBadOptions, "Unable to parse \"" + o.name + "\" section");
      std::optional<std::string>& slot = o.name == "force-command" ? v.force_command : v.source_address;
      if (slot) return fail(CertFailure::kBadOptions, "Certificate has multiple " + o.name + " options");
      if (o.name == "source-address" && AddrMatchCidrList(std::nullopt, *val) == -1)
        return fail(CertFailure::kBadOptions, "Certificate source-address contents invalid");
      slot = std::string(*val);
    } else {
      return fail(CertFailure::kUnsupportedCriticalOption,
                  "Certificate critical option \"" + o.name + "\" is not supported");
    }
  }
  if (v.source_address && req.client_address) {
    int m = AddrMatchCidrList(*req.client_address, *v.source_address);
    if (m != 1)
      return fail(CertFailure::kSourceAddress, "Certificate source-address " + *v.source_address +
                                                   " does not permit connections from " + *req.client_address);
  }
  return v;
}

}  // namespace kw::formats
