#include "formats/bundle.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace kw::formats {
namespace {

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// `s` (ASCII) as a JSON string, escaped as nlohmann::json escapes it.
void AppendAsciiJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      case '\b': *out += "\\b"; break;
      case '\f': *out += "\\f"; break;
      default:
        *out += "\\u00";
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xf]);
    }
  }
  out->append(s.substr(run));
  out->push_back('"');
}

}  // namespace

std::string EncodeSignedBundleJson(int64_t revision, std::string_view bundle, std::string_view signature) {
  if (!IsAscii(bundle) || !IsAscii(signature)) {
    nlohmann::json j = {{"revision", revision}, {"bundle", bundle}, {"signature", signature}};
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  std::string out;
  out.reserve(bundle.size() + signature.size() + bundle.size() / 16 + 64);
  out += "{\"bundle\":";
  AppendAsciiJsonString(bundle, &out);
  out += ",\"revision\":" + std::to_string(revision) + ",\"signature\":";
  AppendAsciiJsonString(signature, &out);
  out += "}\n";
  return out;
}

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
