// Address patterns as sshd 9.2 matches them (addrmatch.c, addr.c, match.c):
// the from="..." option of authorized_keys and source-address lists. A list
// mixes CIDR networks ("10.0.0.0/8", "2001:db8::/32"), plain addresses, and
// '*'/'?' wildcards, each maybe negated with '!'.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace kw::formats {

struct IpAddress {
  int family = 0;                  // 4 or 6
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4
  uint32_t scope_id = 0;           // IPv6 "%N"
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// A numeric address as getaddrinfo(AI_NUMERICHOST) reads it on glibc:
// IPv4 in inet_aton's forms ("10.1" is 10.0.0.1, "010" is octal, "0x0a"
// hex) with nothing after it, or IPv6 with an optional numeric "%scope".
// (Interface-name scopes such as "%eth0" need the system and are refused.)
std::optional<IpAddress> ParseIpAddress(std::string_view text);

struct Cidr {
  IpAddress network;
  unsigned mask_length = 0;
};

enum class CidrError : int8_t {
  kNotCidr = -1,       // not an address: lists then try it as a wildcard pattern
  kBadMaskLength = -2, // an address, but the mask is too long or host bits are set
};

// addr_pton_cidr: "addr" or "addr/len". Host bits beyond `len` must be zero.
std::optional<Cidr> ParseCidr(std::string_view text, CidrError* error = nullptr);

// addr_match_list: 1 a positive entry matched, 0 nothing matched, -1 a
// negated entry matched, -2 the list holds an empty entry or a bad mask.
// Entries are tried in order; the first negated match or error ends the
// walk. An `addr` that is not a numeric address matches nothing (0).
// Without `addr` only the list's form is checked (0 or -2).
int AddrMatchList(std::optional<std::string_view> addr, std::string_view list);

// match_host_and_ip: 1 if the host name or the address matches `patterns`
// and neither is refused by a negation; 0 if not; -1 if the address list is
// malformed (sshd then refuses as well). With UseDNS no (the default) sshd
// passes the address as the host name too.
int MatchHostAndIp(std::string_view host, std::string_view ip, std::string_view patterns);

// addr_match_cidr_list (certificate source-address): 1 matched, 0 not, -1
// the list is malformed (only CIDR entries, no wildcards or negation).
int AddrMatchCidrList(std::optional<std::string_view> addr, std::string_view list);

}  // namespace kw::formats
