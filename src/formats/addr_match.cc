#include "formats/addr_match.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstring>
#include <string>
#include <vector>

#include "formats/host_pattern.h"

namespace kw::formats {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// strtoul(s, &end, 0) for text that starts with a digit: "0x" hex, "0"
// octal, else decimal. False on overflow past 32 bits (inet_aton's limit).
bool ParseAtonPart(std::string_view s, size_t* pos, uint64_t* value) {
  size_t i = *pos;
  unsigned base = 10;
  if (s[i] == '0' && i + 1 < s.size() && (s[i + 1] == 'x' || s[i + 1] == 'X') && i + 2 < s.size() &&
      std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
    base = 16;
    i += 2;
  } else if (s[i] == '0') {
    base = 8;
  }
  uint64_t v = 0;
  bool overflow = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    unsigned d;
    if (IsDigit(c)) {
      d = static_cast<unsigned>(c - '0');
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      d = static_cast<unsigned>(c - 'a' + 10);
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      d = static_cast<unsigned>(c - 'A' + 10);
    } else {
      break;
    }
    if (d >= base) break;
    v = v * base + d;
    if (v > 0xffffffffULL) overflow = true;
  }
  *pos = i;
  *value = v;
  return !overflow;
}

// glibc's __inet_aton_exact.
std::optional<IpAddress> ParseIpv4(std::string_view s) {
  uint32_t parts[3];
  size_t nparts = 0;
  size_t i = 0;
  uint64_t val = 0;
  for (;;) {
    if (i >= s.size() || !IsDigit(s[i])) return std::nullopt;
    if (!ParseAtonPart(s, &i, &val)) return std::nullopt;
    if (i < s.size() && s[i] == '.') {
      if (nparts > 2 || val > 0xff) return std::nullopt;
      parts[nparts++] = static_cast<uint32_t>(val);
      ++i;
      continue;
    }
    break;
  }
  if (i != s.size()) return std::nullopt;
  uint32_t addr = static_cast<uint32_t>(val);
  switch (nparts) {
    case 0: break;
    case 1:
      if (val > 0xffffff) return std::nullopt;
      addr |= parts[0] << 24;
      break;
    case 2:
      if (val > 0xffff) return std::nullopt;
      addr |= parts[0] << 24 | parts[1] << 16;
      break;
    default:
      if (val > 0xff) return std::nullopt;
      addr |= parts[0] << 24 | parts[1] << 16 | parts[2] << 8;
      break;
  }
  IpAddress out;
  out.family = 4;
  out.bytes[0] = static_cast<uint8_t>(addr >> 24);
  out.bytes[1] = static_cast<uint8_t>(addr >> 16);
  out.bytes[2] = static_cast<uint8_t>(addr >> 8);
  out.bytes[3] = static_cast<uint8_t>(addr);
  return out;
}

std::optional<IpAddress> ParseIpv6(std::string_view s) {
  std::string_view addr = s, scope;
  size_t pct = s.find('%');
  if (pct != std::string_view::npos) {
    addr = s.substr(0, pct);
    scope = s.substr(pct + 1);
  }
  if (addr.size() >= 64) return std::nullopt;
  char buf[64];
  std::memcpy(buf, addr.data(), addr.size());
  buf[addr.size()] = '\0';
  IpAddress out;
  out.family = 6;
  if (inet_pton(AF_INET6, buf, out.bytes.data()) != 1) return std::nullopt;
  if (pct != std::string_view::npos) {
    if (scope.empty()) return std::nullopt;
    uint64_t v = 0;
    for (char c : scope) {
      if (!IsDigit(c)) return std::nullopt;  // interface names need the system
      v = v * 10 + static_cast<unsigned>(c - '0');
      if (v > 0xffffffffULL) return std::nullopt;
    }
    out.scope_id = static_cast<uint32_t>(v);
  }
  return out;
}

bool HostBitsZero(const IpAddress& a, unsigned len) {
  unsigned total = a.family == 4 ? 32 : 128;
  for (unsigned bit = len; bit < total; ++bit) {
    if (a.bytes[bit / 8] & (0x80u >> (bit % 8))) return false;
  }
  return true;
}

// addr_netmatch() == 0: same family and equal under the mask (and, for
// IPv6, the same scope, as addr_cmp compares it).
bool NetMatch(const IpAddress& host, const Cidr& net) {
  if (host.family != net.network.family) return false;
  unsigned len = net.mask_length;
  for (unsigned bit = 0; bit < len; ++bit) {
    uint8_t m = static_cast<uint8_t>(0x80u >> (bit % 8));
    if ((host.bytes[bit / 8] & m) != (net.network.bytes[bit / 8] & m)) return false;
  }
  if (host.family == 6 && host.scope_id != net.network.scope_id) return false;
  return true;
}

std::vector<std::string_view> SplitCommas(std::string_view list) {
  // strsep(&list, ","): every comma separates, empty pieces included.
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) {
      out.push_back(list.substr(start));
      return out;
    }
    out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
}

}  // namespace

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  if (text.empty() || text.find('\0') != std::string_view::npos) return std::nullopt;
  if (auto v4 = ParseIpv4(text)) return v4;
  return ParseIpv6(text);
}

std::optional<Cidr> ParseCidr(std::string_view text, CidrError* error) {
  auto fail = [&](CidrError e) -> std::optional<Cidr> {
    if (error) *error = e;
    return std::nullopt;
  };
  // strlcpy into a 64-byte buffer.
  if (text.size() >= 64) return fail(CidrError::kNotCidr);
  std::string_view addr = text;
  std::optional<unsigned long> mask;
  size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    std::string_view m = text.substr(slash + 1);
    // strtoul: must start with a digit, all digits, at most 128.
    if (m.empty() || !IsDigit(m[0])) return fail(CidrError::kNotCidr);
    unsigned long v = 0;
    for (char c : m) {
      if (!IsDigit(c)) return fail(CidrError::kNotCidr);
      v = v * 10 + static_cast<unsigned>(c - '0');
      if (v > 100000) v = 100000;  // saturate; anything > 128 is refused
    }
    if (v > 128) return fail(CidrError::kNotCidr);
    mask = v;
  }
  std::optional<IpAddress> ip = ParseIpAddress(addr);
  if (!ip) return fail(CidrError::kNotCidr);
  unsigned len = mask ? static_cast<unsigned>(*mask) : (ip->family == 4 ? 32u : 128u);
  if ((ip->family == 4 && len > 32) || len > 128) return fail(CidrError::kBadMaskLength);
  if (!HostBitsZero(*ip, len)) return fail(CidrError::kBadMaskLength);
  return Cidr{*ip, len};
}

int AddrMatchList(std::optional<std::string_view> addr, std::string_view list) {
  std::optional<IpAddress> try_addr;
  if (addr) {
    try_addr = ParseIpAddress(*addr);
    if (!try_addr) return 0;
  }
  int ret = 0;
  for (std::string_view cp : SplitCommas(list)) {
    bool neg = !cp.empty() && cp[0] == '!';
    if (neg) cp.remove_prefix(1);
    if (cp.empty()) return -2;
    CidrError err = CidrError::kNotCidr;
    std::optional<Cidr> net = ParseCidr(cp, &err);
    bool found = false;
    if (net) {
      found = try_addr && NetMatch(*try_addr, *net);
    } else if (err == CidrError::kBadMaskLength) {
      return -2;
    } else {
      found = addr && MatchPattern(*addr, cp);
    }
    if (found) {
      if (neg) return -1;
      ret = 1;
    }
  }
  return ret;
}

int MatchHostAndIp(std::string_view host, std::string_view ip, std::string_view patterns) {
  int mip = AddrMatchList(ip, patterns);
  if (mip == -2) return -1;
  if (mip == -1) return 0;
  ListMatch mhost = MatchHostname(host, patterns);
  if (mhost == ListMatch::kNegated) return 0;
  if (mhost == ListMatch::kNone && mip == 0) return 0;
  return 1;
}

int AddrMatchCidrList(std::optional<std::string_view> addr, std::string_view list) {
  std::optional<IpAddress> try_addr;
  if (addr) {
    try_addr = ParseIpAddress(*addr);
    if (!try_addr) return 0;
  }
  int ret = 0;
  for (std::string_view cp : SplitCommas(list)) {
    if (cp.empty()) return -1;
    if (cp.size() > 46 + 3) return -1;  // INET6_ADDRSTRLEN + 3
    bool bad_chars = cp.find_first_not_of("0123456789abcdefABCDEF.:/") != std::string_view::npos;
    if (bad_chars) ret = -1;  // noted, and the walk goes on (as sshd)
    CidrError err = CidrError::kNotCidr;
    std::optional<Cidr> net = ParseCidr(cp, &err);
    if (!net) return -1;
    if (try_addr && NetMatch(*try_addr, *net)) ret = 1;
  }
  return ret;
}

}  // namespace kw::formats
