#include "formats/sshsig.h"

#include <algorithm>
#include <cctype>

#include "formats/signature.h"
#include "formats/signer.h"
#include "wire/base64.h"
#include "wire/reader.h"
#include "wire/writer.h"

namespace kw::formats {
namespace {

Status Fail(SshErr* err, SshErr code, std::string message) {
  if (err) *err = code;
  return InvalidArgumentError(std::move(message));
}

SshErr ReadCode(const Status& s) {
  return s.message().rfind("truncated", 0) == 0 ? SshErr::kMessageIncomplete : SshErr::kInvalidFormat;
}

}  // namespace

std::optional<crypto::HashAlg> SshsigHashAlg(std::string_view name) {
  if (name == "sha256") return crypto::HashAlg::kSha256;
  if (name == "sha512") return crypto::HashAlg::kSha512;
  return std::nullopt;
}

std::string ArmorSshsig(ByteSpan blob) {
  std::string out(kSshsigBegin);
  std::string b64 = wire::Base64Encode(blob);
  out += wire::WrapLines(b64, 70);
  out += kSshsigEnd;
  out += '\n';
  return out;
}

StatusOr<Bytes> DearmorSshsig(std::string_view text, SshErr* err) {
  if (err) *err = SshErr::kNone;
  if (text.size() < kSshsigBegin.size())
    return Fail(err, SshErr::kMessageIncomplete, "Couldn't parse signature: missing header");
  if (text.substr(0, kSshsigBegin.size()) != kSshsigBegin)
    return Fail(err, SshErr::kInvalidFormat, "Couldn't parse signature: missing header");
  std::string_view body = text.substr(kSshsigBegin.size());
  const std::string footer = "\n" + std::string(kSshsigEnd);
  size_t end = body.find(footer);
  if (end == std::string_view::npos) return Fail(err, SshErr::kInvalidFormat, "Couldn't parse signature: missing footer");
  body = body.substr(0, end);
  // The base64 is read as a C string (a NUL ends it) with blanks skipped.
  body = body.substr(0, body.find('\0'));
  std::string compact;
  compact.reserve(body.size());
  for (char c : body)
    if (!std::isspace(static_cast<unsigned char>(c))) compact += c;
  Bytes out;
  if (!compact.empty() && !wire::Base64DecodeTo(compact, &out))
    return Fail(err, SshErr::kInvalidFormat, "Couldn't parse signature: invalid base64");
  return out;
}

StatusOr<Sshsig> ParseSshsig(ByteSpan blob, SshErr* err, bool* key_error) {
  if (err) *err = SshErr::kNone;
  if (key_error) *key_error = false;
  wire::Reader r(blob);
  auto magic = r.ReadRaw(kSshsigMagic.size(), "magic");
  if (!magic.ok()) return Fail(err, SshErr::kMessageIncomplete, "Couldn't verify signature: invalid format");
  if (AsChars(*magic) != kSshsigMagic) return Fail(err, SshErr::kInvalidFormat, "Couldn't verify signature: invalid format");
  auto version = r.ReadU32("version");
  if (!version.ok()) return Fail(err, SshErr::kMessageIncomplete, "Couldn't verify signature: invalid format");
  if (*version > kSshsigVersion)
    return Fail(err, SshErr::kInvalidFormat, "Signature version " + std::to_string(*version) +
                                                 " is larger than supported version " + std::to_string(kSshsigVersion));
  auto key_blob = r.ReadString("public key");
  if (!key_blob.ok()) return Fail(err, ReadCode(key_blob.status()), "parse signature object: " + key_blob.status().message());
  SshErr key_err = SshErr::kNone;
  auto key = KeyOrCert::FromBlob(*key_blob, &key_err);
  if (!key.ok()) {
    if (key_error) *key_error = true;
    return Fail(err, key_err, "parse signature object: " + key.status().message());
  }
  Sshsig sig{*version, std::move(*key), {}, {}, {}, {}};
  auto ns = r.ReadText("namespace");
  if (!ns.ok()) return Fail(err, ReadCode(ns.status()), "parse signature object: " + ns.status().message());
  auto reserved = r.ReadString("reserved");
  if (!reserved.ok()) return Fail(err, ReadCode(reserved.status()), "parse signature object: " + reserved.status().message());
  auto hash = r.ReadText("hash algorithm");
  if (!hash.ok()) return Fail(err, ReadCode(hash.status()), "parse signature object: " + hash.status().message());
  auto s = r.ReadString("signature");
  if (!s.ok()) return Fail(err, ReadCode(s.status()), "parse signature object: " + s.status().message());
  if (!r.empty()) return Fail(err, SshErr::kInvalidFormat, "Signature contains trailing data");
  sig.sig_namespace = std::string(*ns);
  sig.reserved.assign(reserved->begin(), reserved->end());
  sig.hash_algorithm = std::string(*hash);
  sig.signature.assign(s->begin(), s->end());
  return sig;
}

Bytes SshsigSignedData(std::string_view sig_namespace, ByteSpan reserved, std::string_view hash_algorithm,
                       ByteSpan message_digest) {
  wire::Writer w;
  w.Raw(kSshsigMagic);
  w.String(sig_namespace);
  w.String(reserved);
  w.String(hash_algorithm);
  w.String(message_digest);
  return w.Take();
}

StatusOr<Bytes> SignSshsig(const KeySigner& signer, const KeyOrCert& public_key, std::string_view sig_namespace,
                           std::string_view hash_algorithm, ByteSpan message_digest) {
  if (sig_namespace.empty()) return InvalidArgumentError("SSHSIG namespace must not be empty");
  if (sig_namespace.find('\0') != std::string_view::npos) return InvalidArgumentError("SSHSIG namespace contains a NUL byte");
  std::optional<crypto::HashAlg> alg = SshsigHashAlg(hash_algorithm);
  if (!alg) return InvalidArgumentError("unsupported hash algorithm \"" + std::string(hash_algorithm) + "\"");
  if (message_digest.size() != crypto::DigestSize(*alg))
    return InvalidArgumentError("message digest is " + std::to_string(message_digest.size()) + " bytes, not " +
                                std::to_string(crypto::DigestSize(*alg)));
  if (!(public_key.plain() == signer.public_key()))
    return InvalidArgumentError("the public key does not belong to the signing key");
  if (signer.public_key().type() == KeyType::kRsa && signer.algorithm() == "ssh-rsa")
    return InvalidArgumentError("SSHSIG does not allow ssh-rsa (SHA-1) signatures");
  Bytes tosign = SshsigSignedData(sig_namespace, {}, hash_algorithm, message_digest);
  wire::Writer w;
  w.Raw(kSshsigMagic);
  w.U32(kSshsigVersion);
  w.String(public_key.blob());
  w.String(sig_namespace);
  w.String(std::string_view());  // reserved
  w.String(hash_algorithm);
  KW_RETURN_IF_ERROR(signer.SignAsString(tosign, &w));
  return w.Take();
}

Status VerifySshsig(const Sshsig& sig, std::string_view expected_namespace, ByteSpan message_digest, SshErr* err) {
  if (err) *err = SshErr::kNone;
  if (sig.sig_namespace != expected_namespace)
    return Fail(err, SshErr::kSignatureInvalid, "Couldn't verify signature: namespace does not match");
  if (!SshsigHashAlg(sig.hash_algorithm))
    return Fail(err, SshErr::kSignAlgUnsupported, "unsupported hash algorithm \"" + sig.hash_algorithm.substr(0, 100) + "\"");
  const PublicKey& key = sig.key.plain();
  if (key.type() == KeyType::kRsa) {
    wire::Reader r(sig.signature);
    auto alg = r.ReadText("signature algorithm");
    if (!alg.ok())
      return Fail(err, SshErr::kInvalidFormat,
                  "Couldn't verify signature: unable to get signature type: invalid format");
    if (*alg != "rsa-sha2-512" && *alg != "rsa-sha2-256")
      return Fail(err, SshErr::kSignAlgUnsupported,
                  "Couldn't verify signature: unsupported RSA signature algorithm " + std::string(*alg));
  }
  // The signed data uses the namespace we expect and an empty reserved
  // field, whatever the blob says (as OpenSSH).
  Bytes data = SshsigSignedData(expected_namespace, {}, sig.hash_algorithm, message_digest);
  Status s = VerifySignature(key, data, sig.signature);
  if (!s.ok()) {
    SshErr code = s.code() == StatusCode::kUnauthenticated ? SshErr::kSignatureInvalid : SshErr::kInvalidFormat;
    if (s.message().find("does not match the key") != std::string::npos) code = SshErr::kKeyTypeMismatch;
    return Fail(err, code, "Signature verification failed: " + std::string(SshErrText(code)));
  }
  return OkStatus();
}

}  // namespace kw::formats
