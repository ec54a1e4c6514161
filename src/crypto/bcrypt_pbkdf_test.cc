#include "crypto/bcrypt_pbkdf.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstring>
#include <optional>
#include <string>

#include "crypto/blowfish.h"
#include "crypto/cipher.h"
#include "crypto/ed25519.h"
#include "crypto/test_util.h"

namespace kw::crypto {
namespace {

using testing::FromHex;
using testing::ReadTestdata;

// Blowfish with the classic key schedule (initial state + Expand0State),
// against Eric Young's published ECB vectors; each also matches
// `openssl enc -bf-ecb -provider legacy` on Debian 12. They check the pi
// tables from gen_blowfish_pi.py and the round function.
TEST(Blowfish, ClassicEcbVectors) {
  struct Case {
    const char* key;
    uint32_t pl, pr, cl, cr;
  };
  const Case cases[] = {
      {"0000000000000000", 0x00000000, 0x00000000, 0x4ef99745, 0x6198dd78},
      {"ffffffffffffffff", 0xffffffff, 0xffffffff, 0x51866fd5, 0xb85ecb8a},
      {"3000000000000000", 0x10000000, 0x00000001, 0x7d856f9a, 0x613063f2},
      {"0123456789abcdef", 0x11111111, 0x11111111, 0x61f9c380, 0x2281b096},
      {"fedcba9876543210", 0x01234567, 0x89abcdef, 0x0aceab0f, 0xc6a0a28d},
  };
  for (const Case& c : cases) {
    internal::Blowfish bf;
    bf.Expand0State(FromHex(c.key));
    uint32_t l = c.pl, r = c.pr;
    bf.Encipher(&l, &r);
    EXPECT_EQ(l, c.cl) << c.key;
    EXPECT_EQ(r, c.cr) << c.key;
  }
}

TEST(Blowfish, StreamWordWrapsCyclically) {
  const Bytes data = FromHex("0102030405");
  size_t pos = 0;
  EXPECT_EQ(internal::Blowfish::StreamWord(data, &pos), 0x01020304u);
  EXPECT_EQ(internal::Blowfish::StreamWord(data, &pos), 0x05010203u);
  EXPECT_EQ(internal::Blowfish::StreamWord(data, &pos), 0x04050102u);
}

struct KdfVector {
  const char* passphrase_hex;
  const char* salt_hex;
  uint32_t rounds;
  const char* key_hex;
};

// Produced by testdata/bcrypt_pbkdf_vectors.py with pyca/bcrypt's kdf()
// (python3-bcrypt 3.2.2 on Debian 12, which wraps OpenBSD's
// bcrypt_pbkdf.c). The first is also pyca/bcrypt's own test vector. Lengths
// 1, 32, 33, 48, 64, 88, 100 and 512 cover every shape of the interleaving.
const KdfVector kPycaVectors[] = {
    {"70617373776f7264",
     "73616c74",
     4,
     "5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9"},
    {"70617373776f7264",
     "73616c74",
     4,
     "5ba4bfc60c7ac272931458407f4c1c4936ea356c55125c5a279b791d65bf9842d49d7e1b572a9052715ebfa9421e7e94"
     "9d8f8f19be3284732af1ba28341dd9bf"},
    {"70617373776f7264",
     "73616c74",
     4,
     "5b"},
    {"70617373776f7264",
     "73616c74",
     1,
     "7aecf4a3148069a4e52b28a060c4da05492ede72bf0caa4f6a2a4e5f1252a24ccb"},
    {"70617373776f7264",
     "73616c74",
     2,
     "7578cf09f03644188b58dd336812168396e59d5dc35b5af7c6c3c90f520caf33dadc94033068763458bbc95f8ecdbe2d"},
    {"00",
     "00",
     3,
     "8b0b463c02424d459c55cc9a198db940bde3354a9c93e3cdb36e741e1c2052b03c6ff2bf734270bdbab218a8c830f8b6"
     "de1b19152b5ef98afa3d07d3af8203afc8efb210fc2c50eb8cc221785f2484537b511b689df7face3c9bc1ab229d16e5"
     "7afa0c6d"},
    {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
     "303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
     "60616263",
     "000102030405060708090a0b0c0d0e0f",
     8,
     "012dc1e697ee06692c86c5c481af000c0fe2cbd00491ec96365cd4d4f1d7ab93ec3f5c85971520438e327734c37cdb45"
     "a2ffd24ce2a839ea83f37cc73bd7534a46e14b76520f51da4981b3394c0fdb90e1013c228aa8841d"},
    {"6b77",
     "787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878"
     "787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878"
     "787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878"
     "787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878"
     "787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878"
     "787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878"
     "787878787878787878787878",
     1,
     "11aec7d38c10d5a7b51fb911fc70a557e63cc2a08d1deb788fad3dc26092e9118dedcf18a4936d4be41d873abbeba56b"
     "f0f1a5f2c5a28ef7c04076b5002743c5e0507a60e47b8a37094d8e2754aa7368529107f6c4c2e357860e4b2862e1f324"
     "d8aca8e6c335f016e8a2539f584447aded2532a013d27f164d81a885a111090d38d689617576a216b24048fe4061b7ee"
     "8d69bc0bfcff9d9ebb52ef7970eb5a44fa4fccea35cb141d785488545464c93b04daa9fa0a5625d3e50b9b37e08cb35a"
     "0a59b61a32793bfe4794f949f6553fc55240ccc0c64de090ad263823b4c3c17ec7b61016ce21feec4516ac000d5bf063"
     "392d286ac7d507899d8fa6f4b57b4122c17a25a8ee2c8eea015afa1274428d49c9eb55deb05cd9e0997fc37f9b96f9f6"
     "3176d9e3bd2d66f18c5440f474cf6252d231ef6149e2a348072eb26f9a35c2fa75155872ed890574bbf8c2561fea4740"
     "d2e869a03b3438f3d5de094f73e7e66f412ee6306548d95780f81b2605220233272ce885bcf82322956a423b061ce75b"
     "0bb5c4fb3925e5961cf0ebfe52ea14e9b78f65cfd87900b7575a5db603054d1db10b0278696f9b1c4eb5ca781ea8905d"
     "74286381b75b67e0da6a2e6191cd34d07bd6a5df3e48358686bfb9b9ed406a35a3765f1b52348ad8b0a0b66bfa0cf80b"
     "d65b95438fa509dfc57982f653dd3a9e79708dd9505c945346b8e386d2cb960e"},
};

TEST(BcryptPbkdf, PycaBcryptVectors) {
  for (const KdfVector& v : kPycaVectors) {
    const Bytes pass = FromHex(v.passphrase_hex), salt = FromHex(v.salt_hex), want = FromHex(v.key_hex);
    Bytes got(want.size());
    ASSERT_TRUE(BcryptPbkdf(pass, salt, v.rounds, got).ok());
    EXPECT_EQ(HexEncode(got), HexEncode(want)) << "pass=" << v.passphrase_hex << " rounds=" << v.rounds
                                               << " len=" << want.size();
  }
}

TEST(BcryptPbkdf, RejectsBadArguments) {
  Bytes out(48);
  EXPECT_EQ(BcryptPbkdf(AsBytes("pw"), AsBytes("salt"), 0, out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(BcryptPbkdf(ByteSpan(), AsBytes("salt"), 1, out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(BcryptPbkdf(AsBytes("pw"), ByteSpan(), 1, out).code(), StatusCode::kInvalidArgument);
  Bytes none;
  EXPECT_EQ(BcryptPbkdf(AsBytes("pw"), AsBytes("salt"), 1, none).code(), StatusCode::kInvalidArgument);
  Bytes too_long(1025);
  EXPECT_EQ(BcryptPbkdf(AsBytes("pw"), AsBytes("salt"), 1, too_long).code(), StatusCode::kInvalidArgument);
  Bytes max(1024);
  EXPECT_TRUE(BcryptPbkdf(AsBytes("pw"), AsBytes("salt"), 1, max).ok());
}

// --- openssh-key-v1 files written by ssh-keygen (testdata/make_testdata.sh) --
// The envelope is parsed just enough to find the KDF inputs; decrypting the
// private section and finding equal check integers proves bcrypt_pbkdf and
// the cipher match OpenSSH 9.2 exactly.

constexpr char kOpensshPass[] = "kw-test-pass";  // OPENSSH_PASS in make_testdata.sh

Bytes Base64Decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  Bytes out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = value(c);
    if (v < 0) continue;  // newlines and '=' padding
    acc = acc << 6 | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  return out;
}

struct Cursor {
  ByteSpan b;
  bool ok = true;
  uint32_t U32() {
    if (b.size() < 4) {
      ok = false;
      return 0;
    }
    uint32_t v = uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
    b = b.subspan(4);
    return v;
  }
  ByteSpan Str() {
    uint32_t n = U32();
    if (!ok || b.size() < n) {
      ok = false;
      return {};
    }
    ByteSpan s = b.first(n);
    b = b.subspan(n);
    return s;
  }
};

struct OpensshKeyFile {
  std::string cipher;
  Bytes salt;
  uint32_t rounds = 0;
  Bytes public_blob;
  Bytes encrypted;  // the private section (without any AEAD tag)
};

OpensshKeyFile ParseOpensshKey(const std::string& text) {
  const std::string begin = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
  EXPECT_EQ(text.rfind(begin, 0), 0u);
  size_t end = text.find("-----END OPENSSH PRIVATE KEY-----");
  EXPECT_NE(end, std::string::npos);
  Bytes blob = Base64Decode(std::string_view(text).substr(begin.size(), end - begin.size()));
  static constexpr char kMagic[] = "openssh-key-v1";  // and its NUL
  EXPECT_GE(blob.size(), sizeof(kMagic));
  EXPECT_EQ(std::memcmp(blob.data(), kMagic, sizeof(kMagic)), 0);
  Cursor c{ByteSpan(blob).subspan(sizeof(kMagic))};
  OpensshKeyFile f;
  f.cipher = ToString(c.Str());
  EXPECT_EQ(ToString(c.Str()), "bcrypt");
  Cursor opts{c.Str()};
  ByteSpan salt = opts.Str();
  f.salt.assign(salt.begin(), salt.end());
  f.rounds = opts.U32();
  EXPECT_TRUE(opts.ok && opts.b.empty());
  EXPECT_EQ(c.U32(), 1u);
  ByteSpan pub = c.Str();
  f.public_blob.assign(pub.begin(), pub.end());
  ByteSpan enc = c.Str();
  f.encrypted.assign(enc.begin(), enc.end());
  EXPECT_TRUE(c.ok);
  EXPECT_EQ(c.b.size(), f.cipher.rfind("chacha", 0) == 0 ? 16u : 0u);  // the Poly1305 tag, if any
  return f;
}

// Decrypts the private section as OpenSSH would; std::nullopt if the
// cipher is not one this test knows.
std::optional<Bytes> Decrypt(const OpensshKeyFile& f, std::string_view passphrase) {
  if (f.cipher == "chacha20-poly1305@openssh.com") {
    // 64-byte key; the file's payload uses the first half with OpenSSH's
    // ChaCha20 (64-bit nonce = sequence number 0, block counter from 1),
    // which is OpenSSL's ChaCha20 with IV = LE32 counter 1 || 12 zero bytes.
    Bytes key(64);
    EXPECT_TRUE(BcryptPbkdf(AsBytes(passphrase), f.salt, f.rounds, key).ok());
    Bytes iv(16, 0);
    iv[0] = 1;
    Bytes out(f.encrypted.size());
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int len = 0;
    bool ok = EVP_DecryptInit_ex2(ctx, EVP_chacha20(), key.data(), iv.data(), nullptr) == 1 &&
              EVP_DecryptUpdate(ctx, out.data(), &len, f.encrypted.data(), static_cast<int>(f.encrypted.size())) == 1;
    EVP_CIPHER_CTX_free(ctx);
    EXPECT_TRUE(ok);
    return out;
  }
  std::optional<CipherInfo> info = FindCipher(f.cipher);
  if (!info) return std::nullopt;
  Bytes derived(info->key_len + info->iv_len);
  EXPECT_TRUE(BcryptPbkdf(AsBytes(passphrase), f.salt, f.rounds, derived).ok());
  ByteSpan key = ByteSpan(derived).first(info->key_len);
  ByteSpan iv = ByteSpan(derived).subspan(info->key_len);
  Bytes out = f.encrypted;
  EXPECT_TRUE(CipherInPlace(info->alg, CipherDirection::kDecrypt, key, iv, out).ok());
  return out;
}

struct OpensshCase {
  const char* file;
  const char* cipher;
  uint32_t rounds;
};

const OpensshCase kOpensshCases[] = {
    {"openssh_ed25519_aes256ctr_a16", "aes256-ctr", 16},  // 48 bytes derived
    {"openssh_ed25519_aes128cbc_a4", "aes128-cbc", 4},    // 32
    {"openssh_ed25519_aes192ctr_a1", "aes192-ctr", 1},    // 40
    {"openssh_ed25519_chacha_a2", "chacha20-poly1305@openssh.com", 2},  // 64
};

TEST(BcryptPbkdf, DecryptsSshKeygenKeys) {
  for (const OpensshCase& k : kOpensshCases) {
    SCOPED_TRACE(k.file);
    OpensshKeyFile f = ParseOpensshKey(ReadTestdata(k.file));
    EXPECT_EQ(f.cipher, k.cipher);
    EXPECT_EQ(f.rounds, k.rounds);
    EXPECT_EQ(f.salt.size(), 16u);
    std::optional<Bytes> plain = Decrypt(f, kOpensshPass);
    ASSERT_TRUE(plain.has_value());

    Cursor c{*plain};
    uint32_t check1 = c.U32(), check2 = c.U32();
    EXPECT_EQ(check1, check2) << "wrong key or IV derived";
    EXPECT_EQ(ToString(c.Str()), "ssh-ed25519");
    ByteSpan pk = c.Str();
    ByteSpan sk = c.Str();
    EXPECT_EQ(ToString(c.Str()), std::string("kw-") + std::string(k.file).substr(8));
    ASSERT_TRUE(c.ok);
    for (size_t i = 0; i < c.b.size(); ++i) EXPECT_EQ(c.b[i], i + 1) << "padding";
    ASSERT_EQ(pk.size(), 32u);
    ASSERT_EQ(sk.size(), 64u);

    // The clear public key in the envelope, the one in the private section,
    // and the one derived from the decrypted seed all agree.
    Cursor pub{f.public_blob};
    EXPECT_EQ(ToString(pub.Str()), "ssh-ed25519");
    EXPECT_EQ(HexEncode(pub.Str()), HexEncode(pk));
    EXPECT_EQ(HexEncode(sk.subspan(32)), HexEncode(pk));
    StatusOr<Bytes> derived = Ed25519PublicFromSeed(sk.first(32));
    ASSERT_TRUE(derived.ok());
    EXPECT_EQ(HexEncode(*derived), HexEncode(pk));
  }
}

TEST(BcryptPbkdf, WrongPassphraseGivesMismatchedCheckInts) {
  for (const OpensshCase& k : kOpensshCases) {
    SCOPED_TRACE(k.file);
    OpensshKeyFile f = ParseOpensshKey(ReadTestdata(k.file));
    std::optional<Bytes> plain = Decrypt(f, "kw-test-pasS");
    ASSERT_TRUE(plain.has_value());
    Cursor c{*plain};
    uint32_t check1 = c.U32(), check2 = c.U32();
    EXPECT_NE(check1, check2);
  }
}

}  // namespace
}  // namespace kw::crypto
