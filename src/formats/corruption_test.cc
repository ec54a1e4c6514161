// Corruption tests: every truncation and many byte flips of valid public
// and private keys end in a clean error (or, for a flip that leaves a valid
// key, a valid key), never a crash, hang or sanitizer report.
#include <cctype>

#include <gtest/gtest.h>

#include "formats/private_key.h"
#include "formats/test_util.h"
#include "wire/base64.h"

namespace kw::formats {
namespace {

Bytes Unarmor(const std::string& file) {
  size_t start = file.find('\n') + 1;
  size_t end = file.find("-----END");
  std::string b64;
  for (size_t i = start; i < end; ++i)
    if (file[i] != '\n') b64 += file[i];
  return wire::Base64Decode(b64).value();
}

std::string Armor(const Bytes& raw) {
  return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + wire::WrapLines(wire::Base64Encode(raw), 70) +
         "-----END OPENSSH PRIVATE KEY-----\n";
}

TEST(Corruption, PublicKeyBlobs) {
  for (const char* name : {"ed25519", "ecdsa256", "ecdsa521", "rsa1024", "dsa"}) {
    SCOPED_TRACE(name);
    auto k = ParseKeyText(testing::FirstLine(testing::TestData(std::string(name) + ".key.pub")));
    ASSERT_TRUE(k.ok());
    const Bytes& blob = k->key.blob();
    for (size_t n = 0; n < blob.size(); ++n) {
      auto r = PublicKey::FromBlob(ByteSpan(blob).first(n));
      ASSERT_FALSE(r.ok()) << "truncated to " << n << " bytes was accepted";
      EXPECT_FALSE(r.status().message().empty());
    }
    for (size_t i = 0; i < blob.size(); ++i) {
      for (uint8_t mask : {0x01, 0x80, 0xff}) {
        Bytes b = blob;
        b[i] ^= mask;
        auto r = PublicKey::FromBlob(b);
        if (!r.ok()) {
          EXPECT_FALSE(r.status().message().empty());
        }
      }
    }
  }
}

TEST(Corruption, KeyLines) {
  std::string line = testing::FirstLine(testing::TestData("ecdsa256.key.pub"));
  size_t blob_end = line.find(' ', line.find(' ') + 1);
  for (size_t n = 0; n < blob_end; ++n)
    EXPECT_FALSE(ParseKeyText(line.substr(0, n)).ok()) << "truncated at " << n;
  // Flipping letter case inside the base64 changes the point: OpenSSH's
  // point validation rejects all of these.
  size_t rejected = 0, flips = 0;
  for (size_t i = line.find(' ') + 40; i < blob_end; ++i) {
    std::string l = line;
    if (!std::isalpha(static_cast<unsigned char>(l[i]))) continue;
    l[i] ^= 0x20;
    ++flips;
    if (!ParseKeyText(l).ok()) ++rejected;
  }
  EXPECT_EQ(rejected, flips);
}

TEST(Corruption, PrivateKeys) {
  for (const char* name : {"ed25519", "ecdsa256", "rsa1024", "dsa"}) {
    SCOPED_TRACE(name);
    std::string file = testing::TestData(std::string(name) + ".key");
    Bytes raw = Unarmor(file);
    ASSERT_TRUE(ParsePrivateKey(Armor(raw), {}).ok());
    for (size_t n = 0; n < raw.size(); ++n) {
      auto r = ParsePrivateKey(Armor(Bytes(raw.begin(), raw.begin() + static_cast<long>(n))), {});
      ASSERT_FALSE(r.ok()) << "truncated to " << n << " bytes was accepted";
    }
    for (size_t i = 0; i < raw.size(); i += (raw.size() > 600 ? 3 : 1)) {
      Bytes b = raw;
      b[i] ^= 0x55;
      auto r = ParsePrivateKey(Armor(b), {});
      if (!r.ok()) {
        EXPECT_FALSE(r.status().message().empty());
      }
    }
  }
}

TEST(Corruption, EncryptedPrivateKeysNeverDecryptToAnything) {
  DeterministicRng rng(3);
  auto key = ParsePrivateKey(testing::TestData("ed25519.key"), {});
  ASSERT_TRUE(key.ok());
  auto text = WriteOpensshPrivateKey(key->key, "c", AsBytes("pw"), {.rounds = 1}, rng);
  ASSERT_TRUE(text.ok());
  Bytes raw = Unarmor(*text);
  size_t section = raw.size() - 144;  // inside the encrypted section
  for (size_t i = section; i < raw.size(); ++i) {
    Bytes b = raw;
    b[i] ^= 0x01;
    auto r = ParsePrivateKey(Armor(b), AsBytes("pw"));
    // A flipped ciphertext bit flips one plaintext bit (CTR): the check
    // integers, the key, the comment or the padding notice it, except in
    // the comment, which may legitimately change.
    if (r.ok()) {
      EXPECT_TRUE(r->key.public_key() == key->key.public_key());
    }
  }
  // Armour damage.
  EXPECT_FALSE(ParsePrivateKey(text->substr(0, text->size() - 1), AsBytes("pw")).ok());
  EXPECT_FALSE(ParsePrivateKey("-----BEGIN OPENSSH PRIVATE KEY-----\n", AsBytes("pw")).ok());
}

}  // namespace
}  // namespace kw::formats
