#include <gtest/gtest.h>

#include "wire/base64.h"
#include "wire/reader.h"
#include "wire/writer.h"

namespace kw::wire {
namespace {

TEST(Wire, RoundTripEveryField) {
  Writer w;
  w.U8(7);
  w.Bool(true);
  w.U32(0xdeadbeef);
  w.U64(0x0102030405060708ULL);
  w.String("hello");
  Bytes m = {0x80, 0x01};
  w.MpintPositive(m);
  w.MpintPositive(Bytes{0, 0, 5});
  w.MpintPositive(Bytes{});
  w.NameList({"a", "bc"});
  Reader r(w.bytes());
  EXPECT_EQ(r.ReadU8().value(), 7);
  EXPECT_TRUE(r.ReadBool().value());
  EXPECT_EQ(r.ReadU32().value(), 0xdeadbeefu);
  EXPECT_EQ(r.ReadU64().value(), 0x0102030405060708ULL);
  EXPECT_EQ(AsChars(r.ReadString().value()), "hello");
  ByteSpan mp = r.ReadMpintPositive().value();
  EXPECT_EQ(Bytes(mp.begin(), mp.end()), m);
  mp = r.ReadMpintPositive().value();
  EXPECT_EQ(Bytes(mp.begin(), mp.end()), Bytes{5});
  EXPECT_TRUE(r.ReadMpintPositive().value().empty());
  EXPECT_EQ(r.ReadNameList().value(), (std::vector<std::string>{"a", "bc"}));
  EXPECT_TRUE(r.ExpectEnd().ok());
}

TEST(Wire, MpintEncodingIsRfc4251) {
  // RFC 4251 §5 examples.
  Writer w;
  w.MpintPositive(Bytes{0x80});
  EXPECT_EQ(HexEncode(w.bytes()), "000000020080");
  Writer z;
  z.MpintPositive(Bytes{});
  EXPECT_EQ(HexEncode(z.bytes()), "00000000");
}

TEST(Wire, BoundsAndErrors) {
  Bytes b = {0, 0, 0, 9, 'a'};
  Reader r(b);
  auto s = r.ReadString("comment");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("comment"), std::string::npos);
  EXPECT_EQ(r.position(), 0u);  // cursor unchanged on failure
  EXPECT_FALSE(Reader(Bytes{1, 2, 3}).ReadU32().ok());
  Bytes neg = {0, 0, 0, 1, 0x80};
  EXPECT_FALSE(Reader(neg).ReadMpintPositive().ok());
  Bytes nul = {0, 0, 0, 2, 'a', 0};
  EXPECT_FALSE(Reader(nul).ReadText().ok());
  Bytes trailing = {0, 0, 0, 0, 1};
  Reader t(trailing);
  ASSERT_TRUE(t.ReadString().ok());
  EXPECT_FALSE(t.ExpectEnd().ok());
  Bytes empty_name = {0, 0, 0, 3, 'a', ',', ','};
  EXPECT_FALSE(Reader(empty_name).ReadNameList().ok());
}

TEST(Wire, ChildReader) {
  Writer inner;
  inner.U32(5);
  Writer outer;
  outer.String(inner.bytes());
  Reader r(outer.bytes());
  Reader c = r.ReadChild().value();
  EXPECT_EQ(c.ReadU32().value(), 5u);
  EXPECT_TRUE(c.ExpectEnd().ok());
  EXPECT_TRUE(r.ExpectEnd().ok());
}

TEST(Base64, Rfc4648Vectors) {
  // RFC 4648 §10.
  const char* in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(Base64Encode(AsBytes(in[i])), out[i]);
    EXPECT_EQ(ToString(Base64Decode(out[i]).value()), in[i]);
  }
  EXPECT_EQ(Base64EncodeUnpadded(AsBytes("f")), "Zg");
}

TEST(Base64, StrictAsOpenSsh) {
  EXPECT_FALSE(Base64Decode("Zg").ok());     // padding required
  EXPECT_FALSE(Base64Decode("Zh==").ok());   // leftover bits must be zero
  EXPECT_FALSE(Base64Decode("Zm9=").ok());    // "9" leaves a 1 bit over
  EXPECT_FALSE(Base64Decode("Zm!v").ok());
  EXPECT_FALSE(Base64Decode("====").ok());
  EXPECT_FALSE(Base64Decode("Zg==Zg==").ok());
  EXPECT_EQ(WrapLines("abcdef", 4), "abcd\nef\n");
}

}  // namespace
}  // namespace kw::wire
