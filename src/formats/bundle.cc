#include "formats/bundle.h"

#include <nlohmann/json.hpp>

namespace kw::formats {

bool IsValidAccountName(std::string_view name) {
  if (name.empty() || name.size() > 32 || name[0] == '-' || name[0] == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string EncodeBundle(const Bundle& b) {
  nlohmann::json ak = nlohmann::json::object();
  for (const auto& [account, text] : b.authorized_keys) ak[account] = text;
  nlohmann::json j = {
      {"format", kBundleFormat}, {"host", b.host}, {"revision", b.revision}, {"authorized_keys", ak}};
  // Strings come from parsed JSON or checked names, so they are UTF-8; replace
  // rather than throw should one not be.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

StatusOr<Bundle> DecodeBundle(std::string_view text) {
  if (text.size() > kMaxBundleBytes) return InvalidArgumentError("bundle: larger than the limit");
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgumentError("bundle: not a JSON object");
  for (const auto& [name, value] : j.items()) {
    (void)value;
    if (name != "format" && name != "host" && name != "revision" && name != "authorized_keys") {
      return InvalidArgumentError("bundle: unknown field \"" + name + "\"");
    }
  }
  auto format = j.find("format");
  if (format == j.end() || !format->is_string() || format->get<std::string>() != kBundleFormat) {
    return InvalidArgumentError("bundle: \"format\" must be \"" + std::string(kBundleFormat) + "\"");
  }
  Bundle b;
  auto host = j.find("host");
  if (host == j.end() || !host->is_string() || host->get<std::string>().empty()) {
    return InvalidArgumentError("bundle: \"host\" must be a non-empty string");
  }
  b.host = host->get<std::string>();
  auto rev = j.find("revision");
  if (rev == j.end() || !rev->is_number_integer() || rev->get<int64_t>() <= 0) {
    return InvalidArgumentError("bundle: \"revision\" must be a positive integer");
  }
  b.revision = rev->get<int64_t>();
  auto ak = j.find("authorized_keys");
  if (ak == j.end() || !ak->is_object()) {
    return InvalidArgumentError("bundle: \"authorized_keys\" must be an object");
  }
  for (const auto& [account, value] : ak->items()) {
    if (!IsValidAccountName(account)) {
      return InvalidArgumentError("bundle: authorized_keys: invalid account name \"" + account + "\"");
    }
    if (!value.is_string()) {
      return InvalidArgumentError("bundle: authorized_keys \"" + account + "\" must be a string");
    }
    b.authorized_keys[account] = value.get<std::string>();
  }
  return b;
}

}  // namespace kw::formats
