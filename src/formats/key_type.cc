#include "formats/key_type.h"

#include <array>
#include <strings.h>

namespace kw::formats {
namespace {

constexpr std::array<KeyTypeInfo, 8> kTypes = {{
    {KeyType::kEd25519, "ssh-ed25519", "ED25519", true},
    {KeyType::kEcdsaP256, "ecdsa-sha2-nistp256", "ECDSA", true},
    {KeyType::kEcdsaP384, "ecdsa-sha2-nistp384", "ECDSA", true},
    {KeyType::kEcdsaP521, "ecdsa-sha2-nistp521", "ECDSA", true},
    {KeyType::kRsa, "ssh-rsa", "RSA", true},
    {KeyType::kDsa, "ssh-dss", "DSA", false},
    {KeyType::kSkEd25519, "sk-ssh-ed25519@openssh.com", "ED25519-SK", false},
    {KeyType::kSkEcdsaP256, "sk-ecdsa-sha2-nistp256@openssh.com", "ECDSA-SK", false},
}};

}  // namespace

const KeyTypeInfo& GetKeyTypeInfo(KeyType type) { return kTypes[static_cast<size_t>(type)]; }

std::optional<KeyType> KeyTypeFromLineName(std::string_view name) {
  for (const auto& t : kTypes)
    if (t.ssh_name == name) return t.type;
  if (name == "rsa-sha2-256" || name == "rsa-sha2-512") return KeyType::kRsa;
  if (name == "webauthn-sk-ecdsa-sha2-nistp256@openssh.com") return KeyType::kSkEcdsaP256;
  return std::nullopt;
}

std::optional<KeyType> KeyTypeFromBlobName(std::string_view name) {
  if (auto t = KeyTypeFromLineName(name)) return t;
  // Short names match case-insensitively; "ECDSA" and "ECDSA-SK" name no
  // curve, so OpenSSH's ECDSA decoder then rejects them.
  for (std::string_view s : {"RSA", "DSA", "ED25519", "ED25519-SK"}) {
    if (name.size() == s.size() && strncasecmp(name.data(), s.data(), s.size()) == 0) {
      if (s == "RSA") return KeyType::kRsa;
      if (s == "DSA") return KeyType::kDsa;
      if (s == "ED25519") return KeyType::kEd25519;
      return KeyType::kSkEd25519;
    }
  }
  return std::nullopt;
}

bool IsEcdsa(KeyType type) {
  return type == KeyType::kEcdsaP256 || type == KeyType::kEcdsaP384 || type == KeyType::kEcdsaP521 ||
         type == KeyType::kSkEcdsaP256;
}

crypto::EcCurve CurveOf(KeyType type) {
  switch (type) {
    case KeyType::kEcdsaP384: return crypto::EcCurve::kP384;
    case KeyType::kEcdsaP521: return crypto::EcCurve::kP521;
    default: return crypto::EcCurve::kP256;
  }
}

std::string_view CurveName(crypto::EcCurve curve) {
  switch (curve) {
    case crypto::EcCurve::kP256: return "nistp256";
    case crypto::EcCurve::kP384: return "nistp384";
    case crypto::EcCurve::kP521: return "nistp521";
  }
  return "";
}

KeyType EcdsaKeyType(crypto::EcCurve curve) {
  switch (curve) {
    case crypto::EcCurve::kP256: return KeyType::kEcdsaP256;
    case crypto::EcCurve::kP384: return KeyType::kEcdsaP384;
    case crypto::EcCurve::kP521: return KeyType::kEcdsaP521;
  }
  return KeyType::kEcdsaP256;
}

}  // namespace kw::formats
