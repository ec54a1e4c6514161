// HTTP header lists as the server's Request and the client's response hold
// them: (name, value) pairs in order, names compared without regard to
// ASCII case (RFC 9110 §5.1).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/core/string.hpp>

namespace kw::net {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

inline bool HeaderNameIs(std::string_view name, std::string_view wanted) {
  return boost::beast::iequals(boost::beast::string_view(name.data(), name.size()),
                               boost::beast::string_view(wanted.data(), wanted.size()));
}

// The first value of header `name`; "" when absent.
inline std::string HeaderValue(const HeaderList& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (HeaderNameIs(k, name)) return v;
  }
  return "";
}

}  // namespace kw::net
