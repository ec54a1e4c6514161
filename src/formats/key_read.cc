#include "formats/key_read.h"

#include <string>

#include "formats/host_pattern.h"

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

namespace {

// Locates the blob token as sshkey_read() does. If it holds blanks other
// than space and tab, returns a copy of `text` without them in *cleaned and
// the offset where the text after the blob starts in `text`.
bool NeedsCleaning(std::string_view text, std::string* cleaned, size_t* rest) {
  size_t type_end = text.find_first_of(" \t");
  if (type_end == std::string_view::npos) return false;
  size_t blob_start = text.find_first_not_of(" \t", type_end);
  if (blob_start == std::string_view::npos) return false;
  size_t blob_end = text.find_first_of(" \t", blob_start);
  if (blob_end == std::string_view::npos) blob_end = text.size();
  std::string_view blob = text.substr(blob_start, blob_end - blob_start);
  bool has_space = false;
  for (char c : blob) has_space |= IsCSpace(c);
  if (!has_space) return false;
  // Drop the blanks b64_pton would skip; the caller parses the copy and
  // points `rest` back into its own text.
  cleaned->assign(text.substr(0, blob_start));
  for (char c : blob)
    if (!IsCSpace(c)) cleaned->push_back(c);
  size_t r = text.find_first_not_of(" \t", blob_end);
  *rest = r == std::string_view::npos ? text.size() : r;
  return true;
}

}  // namespace

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
  std::string cleaned;
  size_t rest = 0;
  if (!NeedsCleaning(text, &cleaned, &rest)) return ParseKeyText(text);
  KW_ASSIGN_OR_RETURN(ParsedKeyText parsed, ParseKeyText(cleaned));
  return ParsedKeyText{std::move(parsed.key), text.substr(rest)};
}

StatusOr<ParsedKeyOrCertText> ReadKeyOrCertText(std::string_view text) {
  std::string cleaned;
  size_t rest = 0;
  if (!NeedsCleaning(text, &cleaned, &rest)) return ParseKeyOrCertText(text);
  KW_ASSIGN_OR_RETURN(ParsedKeyOrCertText parsed, ParseKeyOrCertText(cleaned));
  return ParsedKeyOrCertText{std::move(parsed.key), text.substr(rest)};
}

}  // namespace kw::formats
