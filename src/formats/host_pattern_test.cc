// Host patterns (match.c) and hashed names (hostfile.c). The bulk of the
// pattern cases are checked against ssh-keygen -F in known_hosts_test.cc
// (testdata/hosts/patterns.expected); these are the edges of the C code.
#include "formats/host_pattern.h"

#include <gtest/gtest.h>

#include <chrono>

#include "base/rng.h"

namespace kw::formats {
namespace {

TEST(MatchPattern, Globs) {
  EXPECT_TRUE(MatchPattern("", ""));
  EXPECT_TRUE(MatchPattern("", "*"));
  EXPECT_FALSE(MatchPattern("", "?"));
  EXPECT_TRUE(MatchPattern("abc", "a*c"));
  EXPECT_TRUE(MatchPattern("ac", "a*c"));
  EXPECT_FALSE(MatchPattern("ab", "a*c"));
  EXPECT_TRUE(MatchPattern("abcbc", "*bc"));
  EXPECT_TRUE(MatchPattern("[a]:22", "[a]:2?"));  // brackets are literal
  EXPECT_FALSE(MatchPattern("A", "a"));           // case-sensitive
  EXPECT_TRUE(MatchPattern("a.b.c", "*.*"));
}

// The recursive matcher of OpenSSH takes exponential time on these; ours
// must not.
TEST(MatchPattern, NoBlowUp) {
  std::string text(2000, 'a');
  std::string pattern;
  for (int i = 0; i < 50; ++i) pattern += "*a";
  pattern += "*b";
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(MatchPattern(text, pattern));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
}

TEST(MatchPatternList, NegationAndLength) {
  EXPECT_EQ(MatchPatternList("a", "b,a", false), ListMatch::kPositive);
  EXPECT_EQ(MatchPatternList("a", "!a,a", false), ListMatch::kNegated);
  EXPECT_EQ(MatchPatternList("a", "a,!a", false), ListMatch::kNegated);
  EXPECT_EQ(MatchPatternList("a", "!b", false), ListMatch::kNone);
  EXPECT_EQ(MatchPatternList("", ",x", false), ListMatch::kPositive);  // the empty sub-pattern
  EXPECT_EQ(MatchPatternList("", "!", false), ListMatch::kNegated);
  EXPECT_EQ(MatchPatternList("a", "", false), ListMatch::kNone);
  EXPECT_EQ(MatchPatternList("a", "A", true), ListMatch::kPositive);
  EXPECT_EQ(MatchPatternList("a", "A", false), ListMatch::kNone);
  // A sub-pattern of 1023 bytes or more ends the walk with "no match",
  // even after a positive one; a negation before it still counts.
  std::string longp(1023, '*');
  EXPECT_EQ(MatchPatternList("a", "a," + longp, false), ListMatch::kNone);
  EXPECT_EQ(MatchPatternList("a", "!a," + longp, false), ListMatch::kNegated);
  EXPECT_EQ(MatchPatternList("a", std::string(1022, '*'), false), ListMatch::kPositive);
}

TEST(MatchHostname, LowerCasesBoth) {
  EXPECT_EQ(MatchHostname("HOST.Example", "host.EXAMPLE"), ListMatch::kPositive);
  EXPECT_EQ(MatchHostname("host", "*,!HOST"), ListMatch::kNegated);
}

TEST(HashedHost, RoundTripAndMalformed) {
  crypto::HmacSha1 hmac;
  DeterministicRng rng(42);
  std::string h = HashHostName("host.example.com", rng, hmac);
  EXPECT_EQ(h.size(), kHashedHostLength);
  EXPECT_EQ(MatchHashedHost(h, "host.example.com", hmac), HashedMatch::kMatch);
  EXPECT_EQ(MatchHashedHost(h, "Host.example.com", hmac), HashedMatch::kNoMatch);  // not lower-cased
  EXPECT_EQ(MatchHashedHost("|1|", "x", hmac), HashedMatch::kBadHash);
  EXPECT_EQ(MatchHashedHost("|2|" + h.substr(3), "x", hmac), HashedMatch::kBadHash);
  EXPECT_EQ(MatchHashedHost("|1||x", "x", hmac), HashedMatch::kBadHash);
  EXPECT_EQ(MatchHashedHost("|1|AAAA|x", "x", hmac), HashedMatch::kBadHash);  // 3-byte salt
  EXPECT_EQ(MatchHashedHost(h.substr(0, 40), "host.example.com", hmac), HashedMatch::kNoMatch);
  EXPECT_EQ(MatchHashedHost(h + "x", "host.example.com", hmac), HashedMatch::kNoMatch);
  // Blanks inside the salt are skipped by b64_pton: still a good salt, but
  // the recomputed text differs, so it never matches.
  std::string spaced = h.substr(0, 10) + "\r" + h.substr(10);
  EXPECT_EQ(MatchHashedHost(spaced, "host.example.com", hmac), HashedMatch::kNoMatch);
}

// RFC 2202 test case 2 through the known_hosts encoding: the salt "Jefe"
// padded is not 20 bytes, so use a 20-byte salt of 0x0b (test case 1).
TEST(HashedHost, KnownVector) {
  crypto::HmacSha1 hmac;
  Bytes salt(20, 0x0b);
  EXPECT_EQ(HashHostName("Hi There", salt, hmac), "|1|CwsLCwsLCwsLCwsLCwsLCwsLCws=|thcxhlUFcmTii8C2+zeMjvFGvgA=");
}

}  // namespace
}  // namespace kw::formats
