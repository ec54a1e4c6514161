#include "formats/key_read.h"

#include <string>


namespace kw::formats {

KeyFamily FamilyOf(KeyType type) {
  switch (type) {
    case KeyType::kEd25519: return KeyFamily::kEd25519;
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521: return KeyFamily::kEcdsa;
    case KeyType::kRsa: return KeyFamily::kRsa;
    case KeyType::kDsa: return KeyFamily::kDsa;
    case KeyType::kSkEd25519: return KeyFamily::kSkEd25519;
    case KeyType::kSkEcdsaP256: return KeyFamily::kSkEcdsa;
  }
  return KeyFamily::kEd25519;
}

std::optional<KeyFamily> FamilyOfLineName(std::string_view name) {
  if (auto t = KeyTypeFromLineName(name)) return FamilyOf(*t);
  static constexpr std::string_view kCertNames[] = {
      "ssh-ed25519-cert-v01@openssh.com",
      "sk-ssh-ed25519-cert-v01@openssh.com",
      "ecdsa-sha2-nistp256-cert-v01@openssh.com",
      "ecdsa-sha2-nistp384-cert-v01@openssh.com",
      "ecdsa-sha2-nistp521-cert-v01@openssh.com",
      "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
      "ssh-dss-cert-v01@openssh.com",
      "ssh-rsa-cert-v01@openssh.com",
      "rsa-sha2-256-cert-v01@openssh.com",
      "rsa-sha2-512-cert-v01@openssh.com",
  };
  for (std::string_view c : kCertNames)
    if (c == name) return KeyFamily::kCertificate;
  return std::nullopt;
}

StatusOr<ParsedKeyText> ReadKeyText(std::string_view text, std::optional<KeyFamily> want) {
  if (want) {
    size_t type_end = text.find_first_of(" \t");
    if (type_end != std::string_view::npos && text.find_first_not_of(" \t", type_end) != std::string_view::npos) {
      std::string_view type_name = text.substr(0, type_end);
      std::optional<KeyFamily> family = FamilyOfLineName(type_name);
      if (!family) return InvalidArgumentError("unknown key type \"" + std::string(type_name) + "\"");
      if (*family != *want) {
        return InvalidArgumentError("key type \"" + std::string(type_name) + "\" is not the one wanted");
      }
    }
  }
  return ParseKeyText(text);
}

StatusOr<ParsedKeyOrCertText> ReadKeyOrCertText(std::string_view text) {
  return ParseKeyOrCertText(text);
}

}  // namespace kw::formats
