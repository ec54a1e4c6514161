#include "formats/bundle.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "formats/audit_chain.h"

namespace kw::formats {
namespace {

TEST(BundleTest, EncodesCanonicallyAndRoundTrips) {
  Bundle b;
  b.host = "web1";
  b.revision = 42;
  b.authorized_keys["root"] = "ssh-ed25519 AAAA x\n";
  b.authorized_keys["deploy"] = "";
  std::string text = EncodeBundle(b);
  EXPECT_EQ(text,
            "{\"authorized_keys\":{\"deploy\":\"\",\"root\":\"ssh-ed25519 AAAA x\\n\"},\"format\":\"keyward-bundle-1\","
            "\"host\":\"web1\",\"revision\":42}\n");
  auto back = DecodeBundle(text);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, b);
}

TEST(BundleTest, RefusesWhatItDoesNotFullyUnderstand) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"[]", "bundle: not a JSON object"},
           {"{\"format\":\"keyward-bundle-2\",\"host\":\"h\",\"revision\":1,\"authorized_keys\":{}}",
            "bundle: \"format\" must be \"keyward-bundle-1\""},
           {"{\"format\":\"keyward-bundle-1\",\"host\":\"h\",\"revision\":0,\"authorized_keys\":{}}",
            "bundle: \"revision\" must be a positive integer"},
           {"{\"format\":\"keyward-bundle-1\",\"host\":\"h\",\"revision\":1.5,\"authorized_keys\":{}}",
            "bundle: \"revision\" must be a positive integer"},
           {"{\"format\":\"keyward-bundle-1\",\"host\":\"h\",\"revision\":1,\"authorized_keys\":{},\"krl\":\"\"}",
            "bundle: unknown field \"krl\""},
           {"{\"format\":\"keyward-bundle-1\",\"host\":\"h\",\"revision\":1,\"authorized_keys\":{\"../etc\":\"\"}}",
            "bundle: authorized_keys: invalid account name \"../etc\""},
           {"{\"format\":\"keyward-bundle-1\",\"host\":\"h\",\"revision\":1,\"authorized_keys\":{\"a\":1}}",
            "bundle: authorized_keys \"a\" must be a string"},
           {"{\"format\":\"keyward-bundle-1\",\"revision\":1,\"authorized_keys\":{}}",
            "bundle: \"host\" must be a non-empty string"},
       }) {
    auto b = DecodeBundle(c.text);
    ASSERT_FALSE(b.ok()) << c.text;
    EXPECT_EQ(b.status().message(), c.message);
  }
}

TEST(BundleTest, SignedBundleJsonIsWhatNlohmannMakes) {
  // Every control character, quotes, backslashes, DEL, and (through the
  // fallback) UTF-8 and invalid bytes; nlohmann::json is the reference.
  std::string all;
  for (int c = 0; c < 0x80; ++c) all.push_back(static_cast<char>(c));
  const std::vector<std::string> texts = {"",
                                          "ssh-ed25519 AAAA keyward:alice:key-1\n",
                                          "command=\"echo \\\"hi\\\"\" ssh-rsa AAAA\r\n\t\b\f",
                                          all,
                                          "caf\xc3\xa9 \xe2\x9c\x93",
                                          "bad \xff byte"};
  for (const std::string& bundle : texts) {
    for (const std::string& signature : texts) {
      nlohmann::json j = {{"revision", 7}, {"bundle", bundle}, {"signature", signature}};
      EXPECT_EQ(EncodeSignedBundleJson(7, bundle, signature),
                j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n")
          << bundle << " / " << signature;
    }
  }
}

TEST(BundleTest, AccountNames) {
  for (const char* ok : {"root", "deploy", "www-data", "a.b", "_x", "u1234567890123456789012345678901"}) {
    EXPECT_TRUE(IsValidAccountName(ok)) << ok;
  }
  for (const char* bad : {"", "-x", ".x", "a/b", "..", "a b", "a\nb", "u12345678901234567890123456789012"}) {
    EXPECT_FALSE(IsValidAccountName(bad)) << bad;
  }
}

TEST(AuditChainTest, DetectsEditsGapsAndReordering) {
  std::vector<ChainLink> links;
  Bytes prev(kAuditHashBytes, 0);
  const char* actions[] = {"user.create", "key.add", "key.revoke"};
  for (int i = 0; i < 3; ++i) {
    ChainLink l;
    l.fields = {i + 1, 1000 + i, "admin:ops", "10.0.0.1", actions[i], "user:bob", "{}"};
    l.prev_hash = prev;
    l.hash = AuditEntryHash(prev, l.fields);
    prev = l.hash;
    links.push_back(l);
  }
  EXPECT_TRUE(VerifyAuditChain(links).ok());
  auto edited = links;
  edited[1].fields.target = "user:eve";
  EXPECT_EQ(VerifyAuditChain(edited).message(), "audit entry 2: hash does not match its contents");
  auto rehashed = edited;  // recomputing the edited hash breaks the next link
  rehashed[1].hash = AuditEntryHash(rehashed[1].prev_hash, rehashed[1].fields);
  EXPECT_EQ(VerifyAuditChain(rehashed).message(), "audit entry 3: does not chain to the entry before it");
  auto gap = links;
  gap.erase(gap.begin() + 1);
  EXPECT_FALSE(VerifyAuditChain(gap).ok());
  EXPECT_FALSE(VerifyAuditChain(links, Bytes(kAuditHashBytes, 1)).ok());
  // The hash covers every field: any change of one field changes it.
  AuditFields f = links[0].fields;
  Bytes h = AuditEntryHash(Bytes(kAuditHashBytes, 0), f);
  f.remote = "10.0.0.2";
  EXPECT_NE(AuditEntryHash(Bytes(kAuditHashBytes, 0), f), h);
}

}  // namespace
}  // namespace kw::formats
