#include "formats/public_key.h"

#include "wire/base64.h"
#include "wire/reader.h"
#include "wire/writer.h"

namespace kw::formats {
namespace {

Status Invalid(std::string_view what) { return InvalidArgumentError("invalid key: " + std::string(what)); }

Bytes Copy(ByteSpan s) { return Bytes(s.begin(), s.end()); }

}  // namespace

void PublicKey::Encode() {
  wire::Writer w;
  w.String(ssh_name());
  switch (type_) {
    case KeyType::kEd25519:
    case KeyType::kSkEd25519:
      w.String(parts_[0]);
      break;
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521:
    case KeyType::kSkEcdsaP256:
      w.String(CurveName(ec_curve()));
      w.String(parts_[0]);
      break;
    case KeyType::kRsa:
      w.MpintPositive(parts_[0]);
      w.MpintPositive(parts_[1]);
      break;
    case KeyType::kDsa:
      for (const Bytes& p : parts_) w.MpintPositive(p);
      break;
  }
  if (type_ == KeyType::kSkEd25519 || type_ == KeyType::kSkEcdsaP256) w.String(application_);
  blob_ = w.Take();
}

StatusOr<PublicKey> PublicKey::FromBlob(ByteSpan blob) {
  wire::Reader r(blob);
  auto name = r.ReadText("key type");
  if (!name.ok()) return Invalid(name.status().message());
  std::optional<KeyType> type = KeyTypeFromBlobName(*name);
  if (!type) {
    if (name->find("-cert-v01@openssh.com") != std::string_view::npos)
      return UnimplementedError("certificate keys are not supported here: \"" + std::string(*name) + "\"");
    return InvalidArgumentError("unknown key type \"" + std::string(*name) + "\"");
  }
  PublicKey k;
  k.type_ = *type;
  switch (*type) {
    case KeyType::kEd25519:
    case KeyType::kSkEd25519: {
      auto pk = r.ReadString("Ed25519 public key");
      if (!pk.ok()) return Invalid(pk.status().message());
      if (pk->size() != 32) return Invalid("Ed25519 public key is " + std::to_string(pk->size()) + " bytes, not 32");
      k.parts_[0] = Copy(*pk);
      k.bits_ = 256;
      break;
    }
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521:
    case KeyType::kSkEcdsaP256: {
      auto curve = r.ReadText("curve name");
      if (!curve.ok()) return Invalid(curve.status().message());
      if (*curve != CurveName(k.ec_curve()))
        return Invalid("curve \"" + std::string(*curve) + "\" does not match key type " + std::string(k.ssh_name()));
      auto q = r.ReadString("ECDSA point");
      if (!q.ok()) return Invalid(q.status().message());
      if (q->empty() || q->size() > kMaxEcPointBytes) return Invalid("ECDSA point has a bad length");
      if ((*q)[0] != 0x04) return Invalid("ECDSA point is not uncompressed");
      if (Status s = crypto::EcValidatePublic(k.ec_curve(), *q); !s.ok()) return Invalid(s.message());
      k.parts_[0] = Copy(*q);
      k.bits_ = crypto::EcBits(k.ec_curve());
      break;
    }
    case KeyType::kRsa: {
      auto e = r.ReadMpintPositive("RSA exponent");
      if (!e.ok()) return Invalid(e.status().message());
      auto n = r.ReadMpintPositive("RSA modulus");
      if (!n.ok()) return Invalid(n.status().message());
      k.parts_[0] = Copy(*e);
      k.parts_[1] = Copy(*n);
      k.bits_ = BitLength(*n);
      if (k.bits_ < crypto::kRsaMinBits)
        return Invalid("RSA modulus is " + std::to_string(k.bits_) + " bits, less than " +
                       std::to_string(crypto::kRsaMinBits));
      break;
    }
    case KeyType::kDsa: {
      static constexpr std::string_view kNames[] = {"DSA p", "DSA q", "DSA g", "DSA public key"};
      for (int i = 0; i < 4; ++i) {
        auto v = r.ReadMpintPositive(kNames[i]);
        if (!v.ok()) return Invalid(v.status().message());
        k.parts_[i] = Copy(*v);
      }
      k.bits_ = BitLength(k.parts_[0]);
      break;
    }
  }
  if (*type == KeyType::kSkEd25519 || *type == KeyType::kSkEcdsaP256) {
    auto app = r.ReadText("FIDO application");
    if (!app.ok()) return Invalid(app.status().message());
    k.application_ = std::string(*app);
  }
  if (Status s = r.ExpectEnd("key"); !s.ok()) return Invalid(s.message());
  k.Encode();
  return k;
}

StatusOr<PublicKey> PublicKey::FromEd25519(ByteSpan public_key) {
  if (public_key.size() != 32) return Invalid("Ed25519 public key must be 32 bytes");
  PublicKey k;
  k.type_ = KeyType::kEd25519;
  k.parts_[0] = Copy(public_key);
  k.bits_ = 256;
  k.Encode();
  return k;
}

StatusOr<PublicKey> PublicKey::FromEcdsa(crypto::EcCurve curve, ByteSpan q) {
  KW_RETURN_IF_ERROR(crypto::EcValidatePublic(curve, q));
  PublicKey k;
  k.type_ = EcdsaKeyType(curve);
  k.parts_[0] = Copy(q);
  k.bits_ = crypto::EcBits(curve);
  k.Encode();
  return k;
}

StatusOr<PublicKey> PublicKey::FromRsa(ByteSpan e, ByteSpan n) {
  PublicKey k;
  k.type_ = KeyType::kRsa;
  size_t ze = 0, zn = 0;
  while (ze < e.size() && e[ze] == 0) ++ze;
  while (zn < n.size() && n[zn] == 0) ++zn;
  k.parts_[0] = Copy(e.subspan(ze));
  k.parts_[1] = Copy(n.subspan(zn));
  k.bits_ = BitLength(n);
  if (k.bits_ < crypto::kRsaMinBits || k.bits_ > crypto::kRsaMaxBits)
    return Invalid("RSA modulus of " + std::to_string(k.bits_) + " bits");
  k.Encode();
  return k;
}

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

size_t SkipNonBlank(std::string_view s, size_t i) {
  while (i < s.size() && !IsBlank(s[i])) ++i;
  return i;
}

size_t SkipBlank(std::string_view s, size_t i) {
  while (i < s.size() && IsBlank(s[i])) ++i;
  return i;
}

}  // namespace

StatusOr<ParsedKeyText> ParseKeyText(std::string_view text) {
  size_t type_end = SkipNonBlank(text, 0);
  if (type_end == text.size()) return InvalidArgumentError("no key after the key type");
  std::string_view type_name = text.substr(0, type_end);
  std::optional<KeyType> type = KeyTypeFromLineName(type_name);
  if (!type) return InvalidArgumentError("unknown key type \"" + std::string(type_name) + "\"");
  size_t blob_start = SkipBlank(text, type_end);
  if (blob_start == text.size()) return InvalidArgumentError("no key after the key type");
  size_t blob_end = SkipNonBlank(text, blob_start);
  std::string_view b64 = text.substr(blob_start, blob_end - blob_start);
  Bytes blob;
  if (!wire::Base64DecodeSkippingSpaceTo(b64, &blob)) return InvalidArgumentError("base64 blob does not decode");
  KW_ASSIGN_OR_RETURN(PublicKey key, PublicKey::FromBlob(blob));
  if (key.type() != *type)
    return InvalidArgumentError("key type mismatch: line says \"" + std::string(type_name) + "\", blob holds \"" +
                                std::string(key.ssh_name()) + "\"");
  return ParsedKeyText{std::move(key), text.substr(SkipBlank(text, blob_end))};
}

std::string FormatPublicKey(const PublicKey& key, std::string_view comment) {
  std::string out(key.ssh_name());
  out += ' ';
  wire::Base64EncodeTo(key.blob(), true, &out);
  if (!comment.empty()) {
    out += ' ';
    out += comment;
  }
  return out;
}

}  // namespace kw::formats
