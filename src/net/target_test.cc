#include "net/target.h"

#include <gtest/gtest.h>

namespace kw::net {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

TEST(PercentDecode, DecodesEscapesInEitherCase) {
  auto s = PercentDecode("a%20b%2fc%2F%7e", false);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*s, "a b/c/~");
}

TEST(PercentDecode, PlusIsASpaceOnlyWhenAsked) {
  EXPECT_EQ(*PercentDecode("a+b", true), "a b");
  EXPECT_EQ(*PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(*PercentDecode("a%2Bb", true), "a+b");
}

TEST(PercentDecode, RejectsBadEscapes) {
  for (const char* bad : {"%", "%2", "a%zz", "%g0", "x%00y"}) {
    auto s = PercentDecode(bad, false);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ParseTarget, SplitsPathAndQuery) {
  auto t = ParseTarget("/api/v1/keys%2Fx/a%20b+c?host=web%201&q=a+b&empty=&flag&&x=%26%3D&host=2");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->path, "/api/v1/keys/x/a b+c");
  EXPECT_EQ(t->query, (Params{{"host", "web 1"}, {"q", "a b"}, {"empty", ""}, {"flag", ""}, {"x", "&="}, {"host", "2"}}));
}

TEST(ParseTarget, NoQueryAndFragment) {
  auto t = ParseTarget("/a/b#frag");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/a/b");
  EXPECT_TRUE(t->query.empty());
  t = ParseTarget("/?");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/");
  EXPECT_TRUE(t->query.empty());
}

TEST(ParseTarget, RejectsNonOriginFormAndBadEscapes) {
  EXPECT_FALSE(ParseTarget("").ok());
  EXPECT_FALSE(ParseTarget("*").ok());
  EXPECT_FALSE(ParseTarget("http://example.com/a").ok());
  auto bad_path = ParseTarget("/a%zz");
  ASSERT_FALSE(bad_path.ok());
  EXPECT_NE(bad_path.status().message().find("path"), std::string::npos) << bad_path.status().ToString();
  auto bad_value = ParseTarget("/a?name=%4");
  ASSERT_FALSE(bad_value.ok());
  EXPECT_NE(bad_value.status().message().find("\"name\""), std::string::npos) << bad_value.status().ToString();
}

}  // namespace
}  // namespace kw::net
