// KRLs against ssh-keygen 9.2's own (testdata/certs/make_testdata.sh):
// byte-identical generation from the same spec, -Q -l text, -Q verdicts,
// updates, and corrupted input.
#include <gtest/gtest.h>

#include "crypto/hash.h"
#include "formats/krl.h"
#include "formats/private_key.h"
#include "formats/signer.h"
#include "formats/test_util.h"
#include "wire/reader.h"

namespace kw::formats {
namespace {

using testing::TestData;

std::string Certs(const std::string& name) { return TestData("certs/" + name); }

PublicKey LoadKey(const std::string& file) {
  auto parsed = ParseKeyOrCertText(testing::FirstLine(Certs(file)));
  EXPECT_TRUE(parsed.ok()) << file;
  return parsed->key.plain();
}

KeyOrCert LoadAny(const std::string& file) {
  auto parsed = ParseKeyOrCertText(testing::FirstLine(Certs(file)));
  EXPECT_TRUE(parsed.ok()) << file;
  return std::move(parsed->key);
}

uint64_t GeneratedDate(const std::string& krl) {
  wire::Reader r(AsBytes(krl).subspan(20));
  return r.ReadU64().value();
}

Krl Build(const std::string& spec, const PublicKey* ca, bool wildcard) {
  Krl krl;
  Status s = ApplyKrlSpec(&krl, Certs(spec), spec, ca, wildcard);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return krl;
}

std::string Escape(std::string_view s) { return std::string(s); }

TEST(Krl, SameBytesAsSshKeygenFromTheSameSpec) {
  PublicKey ca = LoadKey("ca_ed25519.key.pub");
  struct Case {
    const char* spec;
    const char* krl;
    bool wildcard;
    bool with_ca;
    uint64_t version;
  } cases[] = {{"full.spec", "full.krl", false, true, 17},
               {"bitmap.spec", "bitmap.krl", false, true, 0},
               {"wild.spec", "wild.krl", true, false, 0}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.spec);
    Krl krl = Build(c.spec, c.with_ca ? &ca : nullptr, c.wildcard);
    krl.set_version(c.version);
    std::string expected = Certs(c.krl);
    auto blob = krl.Serialize(static_cast<int64_t>(GeneratedDate(expected)));
    ASSERT_TRUE(blob.ok());
    EXPECT_EQ(HexEncode(*blob), HexEncode(AsBytes(expected)));
  }
  Krl empty;
  std::string expected = Certs("empty.krl");
  EXPECT_EQ(*empty.Serialize(static_cast<int64_t>(GeneratedDate(expected))), ToBytes(expected));
}

TEST(Krl, UpdateKeepsTheDateAndAddsSections) {
  auto krl = Krl::Parse(AsBytes(Certs("full.krl")));
  ASSERT_TRUE(krl.ok()) << krl.status().ToString();
  PublicKey ca2 = LoadKey("ca_ecdsa256.key.pub");
  ASSERT_TRUE(ApplyKrlSpec(&*krl, Certs("update.spec"), "update.spec", &ca2, false).ok());
  auto blob = krl->Serialize(0);
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(HexEncode(*blob), HexEncode(AsBytes(Certs("updated.krl"))));
}

TEST(Krl, RoundTripsEveryKrl) {
  for (const char* name : {"full.krl", "bitmap.krl", "wild.krl", "updated.krl", "empty.krl"}) {
    SCOPED_TRACE(name);
    std::string data = Certs(name);
    auto krl = Krl::Parse(AsBytes(data));
    ASSERT_TRUE(krl.ok()) << krl.status().ToString();
    EXPECT_EQ(*krl->Serialize(0), ToBytes(data));
  }
}

TEST(Krl, DumpIsSshKeygenQl) {
  for (const char* name : {"full", "wild"}) {
    SCOPED_TRACE(name);
    auto krl = Krl::Parse(AsBytes(Certs(std::string(name) + ".krl")));
    ASSERT_TRUE(krl.ok());
    EXPECT_EQ(krl->Dump(UtcZone(), Escape), Certs(std::string(name) + ".Ql.expected"));
  }
}

TEST(Krl, VerdictsAreSshKeygenQ) {
  auto krl = Krl::Parse(AsBytes(Certs("full.krl")));
  ASSERT_TRUE(krl.ok());
  std::string expected = Certs("full.Q.expected");
  std::string got;
  for (const char* f : {"ed25519.key.pub", "ecdsa256.key.pub", "ecdsa384.key.pub", "ecdsa521.key.pub",
                        "rsa.key.pub", "user_ed25519-cert.pub", "user_rsa-cert.pub", "noprinc-cert.pub",
                        "host_ed25519-cert.pub", "opts-cert.pub"}) {
    auto parsed = ParseKeyOrCertText(testing::FirstLine(Certs(f)));
    ASSERT_TRUE(parsed.ok());
    got += std::string(f) + " (" + std::string(parsed->rest) + "): " +
           (krl->Check(parsed->key).revoked() ? "REVOKED" : "ok") + "\n";
  }
  EXPECT_EQ(got, expected);
}

TEST(Krl, SaysWhichSection) {
  auto krl = Krl::Parse(AsBytes(Certs("full.krl")));
  ASSERT_TRUE(krl.ok());
  EXPECT_EQ(krl->Check(LoadAny("ecdsa384.key.pub")).hit, KrlHit::kExplicitKey);
  EXPECT_EQ(krl->Check(LoadAny("ecdsa521.key.pub")).hit, KrlHit::kSha1);
  EXPECT_EQ(krl->Check(LoadAny("ecdsa256.key.pub")).hit, KrlHit::kSha256);
  EXPECT_EQ(krl->Check(LoadAny("rsa.key.pub")).hit, KrlHit::kSha256);  // the hash: line
  EXPECT_EQ(krl->Check(LoadAny("user_rsa-cert.pub")).hit, KrlHit::kSha256);  // its key is revoked
  EXPECT_EQ(krl->Check(LoadAny("noprinc-cert.pub")).hit, KrlHit::kCertKeyId);  // serial 0: by key id
  EXPECT_FALSE(krl->Check(LoadAny("user_ed25519-cert.pub")).revoked());       // serial 42
  Krl k;
  PublicKey ca = LoadKey("ca_ed25519.key.pub");
  ASSERT_TRUE(k.RevokeSerialRange(&ca, 40, 50).ok());
  KrlCheckResult r = k.Check(LoadAny("user_ed25519-cert.pub"));
  EXPECT_EQ(r.hit, KrlHit::kCertSerial);
  EXPECT_FALSE(r.via_ca_key);
  Krl byca;
  byca.RevokeExplicit(ca);
  r = byca.Check(LoadAny("user_ed25519-cert.pub"));
  EXPECT_EQ(r.hit, KrlHit::kExplicitKey);
  EXPECT_TRUE(r.via_ca_key);
  EXPECT_FALSE(k.RevokeSerialRange(&ca, 0, 5).ok());
  EXPECT_FALSE(k.RevokeSerialRange(&ca, 6, 5).ok());
}

TEST(Krl, SpecErrorsAreSshKeygens) {
  PublicKey ca = LoadKey("ca_ed25519.key.pub");
  struct Case {
    const char* line;
    const char* message;
    bool with_ca;
  } cases[] = {
      {"serial: 5\n", "revoking certificates by serial number requires specification of a CA key", false},
      {"id: x\n", "revoking certificates by key ID requires specification of a CA key", false},
      {"serial: x\n", "s:1: invalid serial \"x\"", true},
      {"serial: 9-3\n", "s:1: invalid serial range 9:3", true},
      {"serial: 99999999999999999999\n", "s:1: serial out of range", true},
      {"serial: 0\n", "update_krl_from_file: revoke serial failed", true},
      {"hash: MD5:00\n", "s:1: unsupported hash algorithm", true},
      {"hash: SHA256:AAAA\n", "update_krl_from_file: revoke key failed: invalid format", true},
      {"\n# c\nssh-ed25519 AAAAbroken\n", "s:3: invalid key: invalid format", true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    Krl krl;
    EXPECT_EQ(ApplyKrlSpec(&krl, c.line, "s", c.with_ca ? &ca : nullptr, false).message(), c.message);
  }
  // Hex and octal serials, blanks and comments.
  Krl krl;
  ASSERT_TRUE(ApplyKrlSpec(&krl, "  SERIAL:\t0x10 # sixteen\nserial: 010-011\n", "s", &ca, false).ok());
  std::string dump = krl.Dump(UtcZone(), Escape);
  EXPECT_NE(dump.find("serial: 8-9\nserial: 16\n"), std::string::npos) << dump;
}

TEST(Krl, LargeBitmapsAreSplitOnlyWhenAsked) {
  // Every other serial up to 40000: one bitmap of 5000 bytes, which
  // OpenSSH 9.2 writes but refuses to read (more than 2048 bytes).
  PublicKey ca = LoadKey("ca_ed25519.key.pub");
  Krl krl;
  krl.set_generated_date(1);
  for (uint64_t s = 1; s < 40000; s += 2) ASSERT_TRUE(krl.RevokeSerial(&ca, s).ok());
  auto exact = krl.Serialize(1);
  ASSERT_TRUE(exact.ok());
  SshErr err = SshErr::kNone;
  EXPECT_FALSE(Krl::Parse(*exact, &err).ok());
  EXPECT_EQ(err, SshErr::kBignumTooLarge);
  KrlWriteOptions o;
  o.split_large_bitmaps = true;
  auto split = krl.Serialize(1, o);
  ASSERT_TRUE(split.ok());
  auto back = Krl::Parse(*split);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->Dump(UtcZone(), Escape) == krl.Dump(UtcZone(), Escape));  // (too long to print)
}

TEST(Krl, CorruptionIsAnErrorNeverACrash) {
  std::string data = Certs("full.krl");
  for (size_t i = 0; i < data.size(); ++i) {
    std::string bad = data;
    bad[i] = static_cast<char>(bad[i] ^ 0x21);
    (void)Krl::Parse(AsBytes(bad));
  }
  for (size_t n = 0; n < data.size(); ++n) {
    auto krl = Krl::Parse(AsBytes(data).first(n));
    // A prefix that ends exactly between sections is a valid, smaller KRL.
    if (krl.ok()) {
      EXPECT_LE(krl->revocation_count(), 40u);
    }
  }
  SshErr err;
  EXPECT_FALSE(Krl::Parse(AsBytes(std::string("SSHKRL\n"))).ok());
  EXPECT_FALSE(Krl::Parse(AsBytes(std::string("not a krl at all")), &err).ok());
  EXPECT_EQ(err, SshErr::kKrlBadMagic);
}

TEST(Krl, SignedKrlsAreVerified) {
  auto priv = ParsePrivateKey(Certs("ca_ecdsa256.key"), {});
  ASSERT_TRUE(priv.ok());
  auto signer = KeySigner::Create(priv->key);
  ASSERT_TRUE(signer.ok());
  Krl krl = Build("wild.spec", nullptr, true);
  KrlWriteOptions o;
  o.signers.push_back(&*signer);
  auto blob = krl.Serialize(1000, o);
  ASSERT_TRUE(blob.ok());
  auto back = Krl::Parse(*blob);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->signed_by().size(), 1u);
  EXPECT_EQ(back->signed_by()[0], priv->key.public_key());
  Bytes bad = *blob;
  bad[bad.size() - 10] ^= 1;
  EXPECT_FALSE(Krl::Parse(bad).ok());
  PublicKey other = LoadKey("ca_ed25519.key.pub");
  EXPECT_FALSE(Krl::Parse(*blob, nullptr, std::span<const PublicKey>(&other, 1)).ok());
  // A KRL signed only by a key it revokes is refused.
  krl.RevokeExplicit(priv->key.public_key());
  auto self = krl.Serialize(1000, o);
  ASSERT_TRUE(self.ok());
  EXPECT_FALSE(Krl::Parse(*self).ok());
}

}  // namespace
}  // namespace kw::formats
