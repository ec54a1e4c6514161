#include "formats/public_key.h"

#include <optional>
#include <utility>

#include "wire/base64.h"
#include "wire/reader.h"
#include "wire/writer.h"

namespace kw::formats {
namespace {

Status Invalid(std::string_view what) { return InvalidArgumentError("invalid key: " + std::string(what)); }

bool IsSk(KeyType type) { return type == KeyType::kSkEd25519 || type == KeyType::kSkEcdsaP256; }

ByteSpan StripLeadingZeros(ByteSpan m) {
  size_t skip = 0;
  while (skip < m.size() && m[skip] == 0) ++skip;
  return m.subspan(skip);
}

// Whether an mpint that took `wire_size` bytes, length included, is in the
// shortest form (the one Writer::MpintPositive writes) of `magnitude`.
bool IsMinimalMpint(size_t wire_size, ByteSpan magnitude) {
  size_t pad = !magnitude.empty() && (magnitude[0] & 0x80) != 0 ? 1 : 0;
  return wire_size == 4 + pad + magnitude.size();
}

// How many entries of the parts array a key type uses (the application
// of an sk key is not counted: it sits at kApplication).
size_t PartCount(KeyType type) {
  switch (type) {
    case KeyType::kRsa: return 2;
    case KeyType::kDsa: return 4;
    default: return 1;
  }
}

}  // namespace

void PublicKey::Encode(const Parts& parts) {
  size_t n = PartCount(type_);
  wire::Writer w;
  size_t reserve = 4 + ssh_name().size() + 4 + 16;  // name, and a curve name
  for (size_t i = 0; i < n; ++i) reserve += 5 + parts[i].size();
  if (IsSk(type_)) reserve += 4 + parts[kApplication].size();
  w.buffer().reserve(reserve);
  // Offsets are taken after each write: a part is the last thing written.
  auto mark = [&](size_t i, size_t size) {
    parts_[i] = Part{static_cast<uint32_t>(w.size() - size), static_cast<uint32_t>(size)};
  };
  w.String(ssh_name());
  switch (type_) {
    case KeyType::kEd25519:
    case KeyType::kSkEd25519:
      w.String(parts[0]);
      mark(0, parts[0].size());
      break;
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521:
    case KeyType::kSkEcdsaP256:
      w.String(CurveName(ec_curve()));
      w.String(parts[0]);
      mark(0, parts[0].size());
      break;
    case KeyType::kRsa:
    case KeyType::kDsa:
      for (size_t i = 0; i < n; ++i) {
        ByteSpan m = StripLeadingZeros(parts[i]);
        w.MpintPositive(m);
        mark(i, m.size());
      }
      break;
  }
  if (IsSk(type_)) {
    w.String(parts[kApplication]);
    mark(kApplication, parts[kApplication].size());
  }
  blob_ = w.Take();
}

StatusOr<PublicKey> PublicKey::FromBlob(ByteSpan blob) { return Parse(blob, nullptr); }

StatusOr<PublicKey> PublicKey::FromBlob(Bytes&& blob) { return Parse(blob, &blob); }

StatusOr<PublicKey> PublicKey::Parse(ByteSpan blob, Bytes* owned) {
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
  Parts parts{};
  // Whether `blob` is already the canonical encoding, so that it can be
  // kept as it is: the type under its own name (not "rsa-sha2-256" or
  // "ED25519") and integers in their shortest form.
  bool canonical = *name == k.ssh_name();
  switch (*type) {
    case KeyType::kEd25519:
    case KeyType::kSkEd25519: {
      auto pk = r.ReadString("Ed25519 public key");
      if (!pk.ok()) return Invalid(pk.status().message());
      if (pk->size() != 32) return Invalid("Ed25519 public key is " + std::to_string(pk->size()) + " bytes, not 32");
      parts[0] = *pk;
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
      parts[0] = *q;
      k.bits_ = crypto::EcBits(k.ec_curve());
      break;
    }
    case KeyType::kRsa:
    case KeyType::kDsa: {
      static constexpr std::string_view kRsaNames[] = {"RSA exponent", "RSA modulus"};
      static constexpr std::string_view kDsaNames[] = {"DSA p", "DSA q", "DSA g", "DSA public key"};
      for (size_t i = 0; i < PartCount(*type); ++i) {
        size_t start = r.position();
        auto v = r.ReadMpintPositive(*type == KeyType::kRsa ? kRsaNames[i] : kDsaNames[i]);
        if (!v.ok()) return Invalid(v.status().message());
        canonical = canonical && IsMinimalMpint(r.position() - start, *v);
        parts[i] = *v;
      }
      if (*type == KeyType::kRsa) {
        k.bits_ = BitLength(parts[1]);
        if (k.bits_ < crypto::kRsaMinBits)
          return Invalid("RSA modulus is " + std::to_string(k.bits_) + " bits, less than " +
                         std::to_string(crypto::kRsaMinBits));
      } else {
        k.bits_ = BitLength(parts[0]);
      }
      break;
    }
  }
  if (IsSk(*type)) {
    auto app = r.ReadText("FIDO application");
    if (!app.ok()) return Invalid(app.status().message());
    parts[kApplication] = AsBytes(*app);
  }
  if (Status s = r.ExpectEnd("key"); !s.ok()) return Invalid(s.message());
  if (!canonical) {
    k.Encode(parts);
    return k;
  }
  for (size_t i = 0; i < k.parts_.size(); ++i) {
    if (i < PartCount(*type) || (i == kApplication && IsSk(*type)))
      k.parts_[i] = Part{static_cast<uint32_t>(parts[i].data() - blob.data()), static_cast<uint32_t>(parts[i].size())};
  }
  if (owned != nullptr) {
    k.blob_ = std::move(*owned);
  } else {
    k.blob_.assign(blob.begin(), blob.end());
  }
  return k;
}

StatusOr<PublicKey> PublicKey::FromEd25519(ByteSpan public_key) {
  if (public_key.size() != 32) return Invalid("Ed25519 public key must be 32 bytes");
  PublicKey k;
  k.type_ = KeyType::kEd25519;
  k.bits_ = 256;
  k.Encode(Parts{public_key});
  return k;
}

StatusOr<PublicKey> PublicKey::FromEcdsa(crypto::EcCurve curve, ByteSpan q) {
  KW_RETURN_IF_ERROR(crypto::EcValidatePublic(curve, q));
  PublicKey k;
  k.type_ = EcdsaKeyType(curve);
  k.bits_ = crypto::EcBits(curve);
  k.Encode(Parts{q});
  return k;
}

StatusOr<PublicKey> PublicKey::FromRsa(ByteSpan e, ByteSpan n) {
  PublicKey k;
  k.type_ = KeyType::kRsa;
  k.bits_ = BitLength(n);
  if (k.bits_ < crypto::kRsaMinBits || k.bits_ > crypto::kRsaMaxBits)
    return Invalid("RSA modulus of " + std::to_string(k.bits_) + " bits");
  k.Encode(Parts{e, n});
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
  KW_ASSIGN_OR_RETURN(PublicKey key, PublicKey::FromBlob(std::move(blob)));
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
