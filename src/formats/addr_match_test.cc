// Address lists as sshd matches from="..." (addrmatch.c). Which strings are
// numeric addresses was checked against glibc's getaddrinfo(AI_NUMERICHOST)
// (Debian 12, via python3 socket.getaddrinfo); the list semantics follow
// addr_match_list and are checked end to end against a real sshd in
// tests/interop/authkeys_sshd_test.cc.
#include "formats/addr_match.h"

#include <gtest/gtest.h>

namespace kw::formats {
namespace {

std::string V4(std::string_view s) {
  auto a = ParseIpAddress(s);
  if (!a) return "none";
  if (a->family != 4) return "v6";
  return std::to_string(a->bytes[0]) + "." + std::to_string(a->bytes[1]) + "." + std::to_string(a->bytes[2]) + "." +
         std::to_string(a->bytes[3]);
}

TEST(ParseIpAddress, GlibcForms) {
  EXPECT_EQ(V4("10.1"), "10.0.0.1");
  EXPECT_EQ(V4("010.0.0.1"), "8.0.0.1");
  EXPECT_EQ(V4("0x0a.0.0.1"), "10.0.0.1");
  EXPECT_EQ(V4("1.2.3"), "1.2.0.3");
  EXPECT_EQ(V4("4294967295"), "255.255.255.255");
  EXPECT_EQ(V4("4294967296"), "none");
  EXPECT_EQ(V4("1.2.3.4 "), "none");
  EXPECT_EQ(V4("08.1.1.1"), "none");
  EXPECT_EQ(V4("1.2.3.4.5"), "none");
  EXPECT_EQ(V4("1.2.3.256"), "none");
  EXPECT_EQ(V4(""), "none");
  EXPECT_EQ(V4("0x"), "none");
  EXPECT_EQ(V4("1..2"), "none");
  EXPECT_EQ(V4("[::1]"), "none");
  EXPECT_EQ(V4("::1"), "v6");
  EXPECT_EQ(V4("::ffff:1.2.3.4"), "v6");
  auto s = ParseIpAddress("fe80::1%3");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->scope_id, 3u);
}

TEST(ParseCidr, MasksAndHostBits) {
  CidrError e;
  EXPECT_TRUE(ParseCidr("10.0.0.0/8"));
  EXPECT_TRUE(ParseCidr("10.0.0.1"));
  EXPECT_TRUE(ParseCidr("2001:db8::/32"));
  EXPECT_FALSE(ParseCidr("10.0.0.1/8", &e));
  EXPECT_EQ(e, CidrError::kBadMaskLength);  // host bits set
  EXPECT_FALSE(ParseCidr("10.0.0.0/33", &e));
  EXPECT_EQ(e, CidrError::kBadMaskLength);
  EXPECT_FALSE(ParseCidr("10.0.0.0/129", &e));
  EXPECT_EQ(e, CidrError::kNotCidr);  // strtoul > 128: not CIDR at all
  EXPECT_FALSE(ParseCidr("10.0.0.0/", &e));
  EXPECT_EQ(e, CidrError::kNotCidr);
  EXPECT_FALSE(ParseCidr("*.example.com", &e));
  EXPECT_EQ(e, CidrError::kNotCidr);
  EXPECT_TRUE(ParseCidr("0.0.0.0/0"));
}

TEST(AddrMatchList, Semantics) {
  EXPECT_EQ(AddrMatchList("10.1.2.3", "10.0.0.0/8"), 1);
  EXPECT_EQ(AddrMatchList("10.1.2.3", "192.168.0.0/16"), 0);
  EXPECT_EQ(AddrMatchList("10.1.2.3", "!10.1.0.0/16,10.0.0.0/8"), -1);
  EXPECT_EQ(AddrMatchList("10.1.2.3", "10.0.0.0/8,!10.1.0.0/16"), -1);
  EXPECT_EQ(AddrMatchList("10.1.2.3", "10.1.2.*"), 1);   // wildcard fallback
  EXPECT_EQ(AddrMatchList("10.1.2.3", "10.1.2.3"), 1);
  EXPECT_EQ(AddrMatchList("10.1.2.3", "a,,b"), -2);      // empty entry
  EXPECT_EQ(AddrMatchList("10.1.2.3", "10.0.0.1/8"), -2);
  EXPECT_EQ(AddrMatchList("10.1.2.3", "!10.0.0.0/8,,"), -1);  // the walk stops at the first negation
  EXPECT_EQ(AddrMatchList(std::nullopt, "10.0.0.0/8,x"), 0);
  EXPECT_EQ(AddrMatchList(std::nullopt, "10.0.0.0/8,"), -2);
  EXPECT_EQ(AddrMatchList("not-an-address", "*"), 0);
  EXPECT_EQ(AddrMatchList("::1", "::1"), 1);
  EXPECT_EQ(AddrMatchList("::1", "127.0.0.1"), 0);
}

TEST(MatchHostAndIp, HostAndAddress) {
  EXPECT_EQ(MatchHostAndIp("10.1.2.3", "10.1.2.3", "10.0.0.0/8"), 1);
  EXPECT_EQ(MatchHostAndIp("h.example.com", "10.1.2.3", "*.example.com"), 1);
  EXPECT_EQ(MatchHostAndIp("h.example.com", "10.1.2.3", "*.example.com,!10.1.2.3"), 0);
  EXPECT_EQ(MatchHostAndIp("h.example.com", "10.1.2.3", "!h.example.com,10.0.0.0/8"), 0);
  EXPECT_EQ(MatchHostAndIp("H.EXAMPLE.COM", "10.1.2.3", "h.example.com"), 1);
  EXPECT_EQ(MatchHostAndIp("10.1.2.3", "10.1.2.3", "10.1.2.3/8"), -1);
  EXPECT_EQ(MatchHostAndIp("10.1.2.3", "10.1.2.3", "192.168.1.1"), 0);
}

}  // namespace
}  // namespace kw::formats
