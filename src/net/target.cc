#include "net/target.h"

namespace kw::net {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

StatusOr<std::string> PercentDecode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= s.size()) {
        return InvalidArgumentError("truncated percent escape at offset " + std::to_string(i));
      }
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) {
        return InvalidArgumentError("bad percent escape \"" + std::string(s.substr(i, 3)) + "\" at offset " +
                                    std::to_string(i));
      }
      char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return InvalidArgumentError("encoded NUL (%00) at offset " + std::to_string(i));
      out.push_back(decoded);
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

StatusOr<Target> ParseTarget(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return InvalidArgumentError("request target must start with '/'");
  }
  if (size_t hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);

  Target out;
  std::string_view path = target;
  std::string_view query;
  if (size_t q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  auto decoded_path = PercentDecode(path, /*plus_as_space=*/false);
  if (!decoded_path.ok()) return decoded_path.status().WithContext("path");
  out.path = std::move(decoded_path).value();

  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    std::string_view name = piece.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    auto n = PercentDecode(name, /*plus_as_space=*/true);
    if (!n.ok()) return n.status().WithContext("query");
    auto v = PercentDecode(value, /*plus_as_space=*/true);
    if (!v.ok()) return v.status().WithContext("query parameter \"" + *n + "\"");
    out.query.emplace_back(std::move(n).value(), std::move(v).value());
  }
  return out;
}

}  // namespace kw::net
