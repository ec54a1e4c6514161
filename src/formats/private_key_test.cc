#include <gtest/gtest.h>

#include "crypto/random.h"
#include "formats/private_key.h"
#include "formats/test_util.h"
#include "wire/base64.h"

namespace kw::formats {
namespace {

using testing::FirstLine;
using testing::kPassphrase;
using testing::TestData;

ByteSpan Pass(std::string_view s) { return AsBytes(s); }

bool Encrypted(const std::string& name) {
  return name.find("_pw") != std::string::npos || name.find("_cbc") != std::string::npos;
}

TEST(PrivateKey, ReadsEveryTestKeyAsSshKeygenY) {
  for (std::string name : testing::kKeyNames) {
    SCOPED_TRACE(name);
    std::string file = TestData(name + ".key");
    PrivateKeyError err;
    auto k = ParsePrivateKey(file, Pass(Encrypted(name) ? kPassphrase : ""), &err);
    ASSERT_TRUE(k.ok()) << k.status().ToString();
    EXPECT_EQ(FormatPublicKey(k->key.public_key(), k->comment) + "\n", TestData(name + ".y.expected"));
    EXPECT_EQ(k->encrypted, Encrypted(name));
  }
}

TEST(PrivateKey, WrongOrMissingPassphrase) {
  for (const char* name : {"ed25519_pw", "ecdsa_pw", "rsa_pw", "ed25519_cbc"}) {
    SCOPED_TRACE(name);
    std::string file = TestData(std::string(name) + ".key");
    PrivateKeyError err;
    auto k = ParsePrivateKey(file, Pass("wrong"), &err);
    ASSERT_FALSE(k.ok());
    EXPECT_EQ(err, PrivateKeyError::kWrongPassphrase);
    EXPECT_EQ(k.status().code(), StatusCode::kUnauthenticated);
    EXPECT_FALSE(ParsePrivateKey(file, Pass(""), &err).ok());
    EXPECT_EQ(err, PrivateKeyError::kWrongPassphrase);
    // The envelope's public key needs no passphrase.
    auto pub = PeekOpensshPublicKey(file);
    ASSERT_TRUE(pub.ok());
  }
}

TEST(PrivateKey, KdfRoundsAsWrittenBySshKeygen) {
  // make_testdata.sh encrypts with ssh-keygen's default work factor (16).
  EXPECT_EQ(OpensshKdfRounds(TestData("ed25519_pw.key")), std::optional<uint32_t>(16));
  EXPECT_EQ(OpensshKdfRounds(TestData("ed25519.key")), std::nullopt);
  EXPECT_EQ(OpensshKdfRounds(TestData("rsa_pem.key")), std::nullopt);
}

TEST(PrivateKey, WriteThenReadRoundTripsEveryType) {
  DeterministicRng rng(1);
  for (KeyType t : {KeyType::kEd25519, KeyType::kEcdsaP256, KeyType::kEcdsaP384, KeyType::kEcdsaP521,
                    KeyType::kRsa}) {
    SCOPED_TRACE(GetKeyTypeInfo(t).ssh_name);
    auto key = PrivateKey::Generate(t, t == KeyType::kRsa ? 2048 : 0, crypto::SystemRng::Get());
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    for (std::string_view pass : {"", "hunter2"}) {
      auto text = WriteOpensshPrivateKey(*key, "c o m", Pass(pass), {.rounds = 2}, rng);
      ASSERT_TRUE(text.ok());
      auto back = ParsePrivateKey(*text, Pass(pass));
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      EXPECT_TRUE(back->key.public_key() == key->public_key());
      EXPECT_EQ(back->comment, "c o m");
      EXPECT_EQ(back->encrypted, !pass.empty());
    }
  }
}

TEST(PrivateKey, ArmourAndLayoutAsOpenssh92) {
  DeterministicRng rng(2);
  auto key = ParsePrivateKey(TestData("ed25519.key"), {});
  ASSERT_TRUE(key.ok());
  auto text = WriteOpensshPrivateKey(key->key, key->comment, Pass("pw"), {}, rng);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->rfind("-----BEGIN OPENSSH PRIVATE KEY-----\n", 0), 0u);
  EXPECT_EQ(text->substr(text->size() - 34), "-----END OPENSSH PRIVATE KEY-----\n");
  // Base64 lines of 70 columns.
  size_t first_nl = text->find('\n');
  size_t second_nl = text->find('\n', first_nl + 1);
  EXPECT_EQ(second_nl - first_nl - 1, 70u);
  std::string b64;
  for (size_t i = first_nl + 1; i < text->size() - 34; ++i)
    if ((*text)[i] != '\n') b64 += (*text)[i];
  Bytes raw = wire::Base64Decode(b64).value();
  std::string s = ToString(raw);
  EXPECT_EQ(s.substr(0, 15), std::string("openssh-key-v1\0", 15));
  EXPECT_NE(s.find("aes256-ctr"), std::string::npos);
  EXPECT_NE(s.find("bcrypt"), std::string::npos);
  // rounds = 16 (OpenSSH 9.2's default) right after the 16-byte salt.
  size_t kdf = s.find("bcrypt") + 6;
  // string kdfoptions { string salt(16), uint32 rounds }
  EXPECT_EQ(static_cast<uint8_t>(s[kdf + 3]), 24u);
  EXPECT_EQ(static_cast<uint8_t>(s[kdf + 4 + 4 + 16 + 3]), 16u);
}

TEST(PrivateKey, SameRandomnessSameBytes) {
  auto key = ParsePrivateKey(TestData("ecdsa256.key"), {});
  ASSERT_TRUE(key.ok());
  DeterministicRng a(5), b(5);
  auto t1 = WriteOpensshPrivateKey(key->key, key->comment, Pass("x"), {.rounds = 1}, a);
  auto t2 = WriteOpensshPrivateKey(key->key, key->comment, Pass("x"), {.rounds = 1}, b);
  ASSERT_TRUE(t1.ok() && t2.ok());
  EXPECT_EQ(*t1, *t2);
}

TEST(PrivateKey, UnencryptedOutputEqualsSshKeygenApartFromCheckInt) {
  // ssh-keygen's unencrypted file = armour(magic, "none", "none", "", 1,
  // pub, section(check, check, fields, comment, padding)). Our writer must
  // produce the same bytes once the check integers agree.
  std::string file = TestData("ed25519.key");
  auto key = ParsePrivateKey(file, {});
  ASSERT_TRUE(key.ok());
  std::string body;
  for (size_t i = 36; i < file.size() - 34; ++i)
    if (file[i] != '\n') body += file[i];
  Bytes raw = wire::Base64Decode(body).value();
  // Locate the check integer: after magic(15) + "none"(8) + "none"(8) +
  // kdf ""(4) + nkeys(4) + pub(4+51) + section length(4).
  size_t check_at = 15 + 8 + 8 + 4 + 4 + 4 + key->key.public_key().blob().size() + 4;
  uint32_t check = uint32_t{raw[check_at]} << 24 | uint32_t{raw[check_at + 1]} << 16 |
                   uint32_t{raw[check_at + 2]} << 8 | raw[check_at + 3];
  class FixedRng : public Rng {
   public:
    explicit FixedRng(uint32_t v) : v_(v) {}
    void Fill(std::span<uint8_t> out) override {
      for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(v_ >> (8 * (3 - i % 4)));
    }
   private:
    uint32_t v_;
  } rng(check);
  auto ours = WriteOpensshPrivateKey(key->key, key->comment, {}, {}, rng);
  ASSERT_TRUE(ours.ok());
  EXPECT_EQ(*ours, file);
}

}  // namespace
}  // namespace kw::formats
