// Certificates against vectors made by ssh-keygen 9.2
// (testdata/certs/make_testdata.sh): parsing, ssh-keygen -L text,
// byte-identical re-signing, -V and -O handling, tampering, verification.
#include <gtest/gtest.h>

#include <cstring>

#include "formats/cert_time.h"
#include "formats/certificate.h"
#include "formats/fingerprint.h"
#include "formats/key_scan.h"
#include "formats/signer.h"
#include "formats/test_util.h"
#include "wire/base64.h"

namespace kw::formats {
namespace {

using testing::TestData;

std::string Certs(const std::string& name) { return TestData("certs/" + name); }

KeyOrCert LoadLine(const std::string& file) {
  std::string line = testing::FirstLine(Certs(file));
  auto parsed = ParseKeyOrCertText(line);
  EXPECT_TRUE(parsed.ok()) << file << ": " << parsed.status().ToString();
  return std::move(parsed->key);
}

Certificate LoadCert(const std::string& name) {
  KeyOrCert k = LoadLine(name + "-cert.pub");
  EXPECT_TRUE(k.is_cert());
  return k.cert();
}

PrivateKey LoadPrivate(const std::string& name) {
  auto k = ParsePrivateKey(Certs(name + ".key"), {});
  EXPECT_TRUE(k.ok()) << k.status().ToString();
  return std::move(k->key);
}

// Hands out fixed bytes: a certificate's own nonce, to re-sign it exactly.
class FixedRng final : public Rng {
 public:
  explicit FixedRng(ByteSpan bytes) : bytes_(bytes.begin(), bytes.end()) {}
  void Fill(std::span<uint8_t> out) override {
    ASSERT_LE(out.size(), bytes_.size());
    std::memcpy(out.data(), bytes_.data(), out.size());
  }

 private:
  Bytes bytes_;
};

const char* const kCerts[] = {"user_ed25519", "user_ecdsa256", "user_ecdsa384", "user_ecdsa521", "user_rsa",
                              "user_rsa256",  "user_sha1",     "host_ed25519",  "host_rsa",      "opts",
                              "clear",        "noprinc",       "forever",       "maxserial",     "utf8"};

TEST(Certificate, ShowsExactlyWhatSshKeygenShows) {
  for (const char* name : kCerts) {
    SCOPED_TRACE(name);
    Certificate c = LoadCert(name);
    std::string header = std::string(name) + "-cert.pub:\n";
    std::string fatal;
    EXPECT_EQ(header + DescribeCertificate(c, crypto::HashAlg::kSha256, UtcZone(), &fatal),
              Certs(std::string(name) + ".L.expected"));
    EXPECT_EQ(header + DescribeCertificate(c, crypto::HashAlg::kMd5, UtcZone()),
              Certs(std::string(name) + ".Lmd5.expected"));
    EXPECT_TRUE(fatal.empty());
  }
}

TEST(Certificate, FingerprintLineIsThatOfTheCertifiedKey) {
  for (const char* name : kCerts) {
    SCOPED_TRACE(name);
    std::string text = Certs(std::string(name) + "-cert.pub");
    std::string out;
    ScanOptions so;
    ScanKeyOrCertLines(text, so, [&](size_t, const KeyOrCert& k, const char* comment) {
      out += std::to_string(k.bits()) + " " + Fingerprint(k.plain()) + " " + comment + " (" +
             std::string(k.short_name()) + ")\n";
    });
    EXPECT_EQ(out, Certs(std::string(name) + ".l.expected"));
  }
}

TEST(Certificate, PlainScannerStillSkipsCertificates) {
  size_t keys = 0, bad = 0;
  ScanKeyLines(Certs("mixed.pub"), ScanOptions{}, [&](size_t, const PublicKey&, const char*) { ++keys; },
               [&](size_t, const Status&) { ++bad; });
  EXPECT_EQ(keys, 1u);  // only the plain key
  EXPECT_EQ(bad, 3u);
}

TEST(Certificate, ResignedWithTheSameNonceIsByteIdentical) {
  // Ed25519 and RSA PKCS#1 v1.5 signatures are deterministic, so signing the
  // fields ssh-keygen signed, with its nonce, must give its bytes back.
  struct Case {
    const char* cert;
    const char* ca;
  } cases[] = {{"user_ed25519", "ca_ed25519"}, {"host_ed25519", "ca_ed25519"}, {"opts", "ca_ed25519"},
               {"clear", "ca_ed25519"},        {"noprinc", "ca_ed25519"},      {"maxserial", "ca_ed25519"},
               {"utf8", "ca_ed25519"},         {"user_rsa", "ca_rsa"},         {"user_rsa256", "ca_rsa"},
               {"user_sha1", "ca_rsa"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.cert);
    Certificate cert = LoadCert(c.cert);
    PrivateKey ca = LoadPrivate(c.ca);
    auto signer = KeySigner::Create(ca, cert.signature_algorithm());
    ASSERT_TRUE(signer.ok()) << signer.status().ToString();
    FixedRng rng(cert.nonce());
    auto blob = SignCertificateBlob(cert.key(), cert.fields(), *signer, rng);
    ASSERT_TRUE(blob.ok()) << blob.status().ToString();
    EXPECT_EQ(*blob, cert.blob());
  }
}

TEST(Certificate, EcdsaCaSignsTheSameBytes) {
  // ECDSA signatures are randomised: everything up to the signature matches.
  struct Case {
    const char* cert;
    const char* ca;
  } cases[] = {{"user_ecdsa256", "ca_ecdsa256"}, {"user_ecdsa384", "ca_ecdsa384"},
               {"user_ecdsa521", "ca_ecdsa521"}, {"host_rsa", "ca_ecdsa256"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.cert);
    Certificate cert = LoadCert(c.cert);
    auto signer = KeySigner::Create(LoadPrivate(c.ca));
    ASSERT_TRUE(signer.ok());
    FixedRng rng(cert.nonce());
    auto mine = SignCertificate(cert.key(), cert.fields(), *signer, rng);
    ASSERT_TRUE(mine.ok()) << mine.status().ToString();
    EXPECT_EQ(Bytes(mine->signed_data().begin(), mine->signed_data().end()),
              Bytes(cert.signed_data().begin(), cert.signed_data().end()));
    EXPECT_EQ(mine->signature_algorithm(), cert.signature_algorithm());
  }
}

TEST(Certificate, FieldsAsSshKeygenWroteThem) {
  Certificate c = LoadCert("user_ed25519");
  EXPECT_EQ(c.type(), CertType::kUser);
  EXPECT_EQ(c.serial(), 42u);
  EXPECT_EQ(c.key_id(), "alice@example");
  EXPECT_EQ(c.principals(), (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(c.nonce().size(), kCertNonceSize);
  EXPECT_EQ(c.ssh_name(), "ssh-ed25519-cert-v01@openssh.com");
  EXPECT_EQ(c.key(), LoadLine("ed25519.key.pub").plain());
  ASSERT_TRUE(c.signature_key().has_value());
  EXPECT_EQ(*c.signature_key(), LoadLine("ca_ed25519.key.pub").plain());
  EXPECT_TRUE(c.signature_verified());

  Certificate o = LoadCert("opts");
  std::vector<std::string> crit, ext;
  for (const CertOption& x : o.fields().critical_options) crit.push_back(x.name);
  for (const CertOption& x : o.fields().extensions) ext.push_back(x.name);
  EXPECT_EQ(crit, (std::vector<std::string>{"crit@example.com", "force-command", "source-address", "verify-required"}));
  EXPECT_EQ(ext, (std::vector<std::string>{"custom@example.com", "no-touch-required", "permit-X11-forwarding",
                                           "permit-agent-forwarding", "permit-port-forwarding", "permit-pty",
                                           "permit-user-rc"}));
  EXPECT_EQ(o.fields().critical_options[1].StringValue(), "/bin/true");
}

TEST(Certificate, OptionsBuiltAsSshKeygenBuildsThem) {
  struct Case {
    const char* cert;
    CertType type;
    std::vector<std::string> opts;
  } cases[] = {
      {"opts", CertType::kUser,
       {"force-command=/bin/true", "source-address=10.0.0.0/8,192.168.1.1", "critical:crit@example.com",
        "extension:custom@example.com=val", "verify-required", "no-touch-required"}},
      {"clear", CertType::kUser, {"clear", "permit-pty"}},
      {"user_ed25519", CertType::kUser, {}},
      {"host_ed25519", CertType::kHost, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.cert);
    CertOptionsBuilder b(c.type);
    for (const std::string& o : c.opts) ASSERT_TRUE(b.Add(o).ok()) << o;
    CertFields f;
    b.Finish(&f);
    Certificate cert = LoadCert(c.cert);
    EXPECT_EQ(f.critical_options, cert.fields().critical_options);
    EXPECT_EQ(f.extensions, cert.fields().extensions);
  }
  CertOptionsBuilder b(CertType::kUser);
  EXPECT_EQ(b.Add("bogus").message(), "Unsupported certificate option \"bogus\"");
  EXPECT_EQ(b.Add("source-address=10.0.0.1/8").message(), "Invalid source-address list");
  EXPECT_EQ(b.Add("force-command=").message(), "Empty force-command option");
  EXPECT_TRUE(b.Add("FORCE-COMMAND=x").ok());
  EXPECT_EQ(b.Add("force-command=y").message(), "force-command already specified");
}

TEST(Certificate, ValiditySpecsAsSshKeygenReadThem) {
  // Each spec with the window ssh-keygen put into the certificate.
  struct Case {
    const char* spec;
    const char* cert;
  } cases[] = {{"20240101:20300101", "user_ed25519"},     {"20240101120000Z:20240102", "user_ecdsa256"},
               {"always:20300101", "user_ecdsa384"},      {"20240101:forever", "user_ecdsa521"},
               {"0x1:0xfffffffe", "maxserial"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.spec);
    auto v = ParseValiditySpec(c.spec, 1700000000, UtcZone());
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    Certificate cert = LoadCert(c.cert);
    EXPECT_EQ(v->valid_after, cert.valid_after());
    EXPECT_EQ(v->valid_before, cert.valid_before());
  }
  Certificate forever = LoadCert("forever");
  EXPECT_EQ(forever.valid_after(), 0u);
  EXPECT_EQ(forever.valid_before(), kForever);
}

TEST(Certificate, RelativeValidity) {
  // ssh-keygen.c parse_cert_times: "+span" backdates the start to the
  // minute before; "-a:+b" is relative on both sides.
  const int64_t now = 1700000030;  // 22:13:50 UTC: from 22:12:00
  auto v = ParseValiditySpec("+1h", now, UtcZone());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->valid_after, 1699999920u);
  EXPECT_EQ(v->valid_before, static_cast<uint64_t>(now + 3600));
  v = ParseValiditySpec("-5m:+1d", now, UtcZone());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->valid_after, static_cast<uint64_t>(now - 300));
  EXPECT_EQ(v->valid_before, static_cast<uint64_t>(now + 86400));
  EXPECT_EQ(ParseValiditySpec("+1x", now, UtcZone()).status().message(), "Invalid relative certificate life +1x");
  EXPECT_EQ(ParseValiditySpec(":+1h", now, UtcZone()).status().message(),
            "Invalid certificate life specification :+1h");
  EXPECT_EQ(ParseValiditySpec("0x0:0x0", now, UtcZone()).status().message(), "Empty certificate validity interval");
  EXPECT_EQ(ParseValiditySpec("forever:always", now, UtcZone()).status().message(), "Invalid from time \"forever\"");
  EXPECT_EQ(ParseValiditySpec("20241301:20250101", now, UtcZone()).status().message(),
            "Invalid from time \"20241301\"");
  EXPECT_TRUE(ParseValiditySpec("2024 101:20250101", now, UtcZone()).ok());  // strptime skips the blank
  EXPECT_EQ(*ParseAbsoluteTime("20240230", UtcZone()), *ParseAbsoluteTime("20240301", UtcZone()));
}

TEST(Certificate, EveryFlippedByteIsRefused) {
  for (const char* name : {"user_ed25519", "user_rsa", "opts", "user_ecdsa256"}) {
    SCOPED_TRACE(name);
    Bytes blob = LoadCert(name).blob();
    for (size_t i = 0; i < blob.size(); ++i) {
      Bytes bad = blob;
      bad[i] ^= 0x01;
      EXPECT_FALSE(Certificate::FromBlob(bad).ok()) << "byte " << i;
    }
    for (size_t n = 0; n < blob.size(); n += 7) {
      EXPECT_FALSE(Certificate::FromBlob(ByteSpan(blob).first(n)).ok()) << "truncated to " << n;
    }
    Bytes longer = blob;
    longer.push_back(0);
    SshErr err;
    EXPECT_FALSE(Certificate::FromBlob(longer, &err).ok());
    EXPECT_EQ(err, SshErr::kInvalidFormat);
  }
}

TEST(Certificate, SignatureErrorsNameTheCause) {
  Bytes blob = LoadCert("user_ed25519").blob();
  blob[blob.size() - 1] ^= 0x80;
  SshErr err;
  EXPECT_FALSE(Certificate::FromBlob(blob, &err).ok());
  EXPECT_EQ(err, SshErr::kSignatureInvalid);
  auto unverified = Certificate::ParseUnverified(blob);
  ASSERT_TRUE(unverified.ok());
  CertVerifyRequest req;
  PublicKey ca = LoadLine("ca_ed25519.key.pub").plain();
  req.trusted_cas = std::span<const PublicKey>(&ca, 1);
  req.principal = "alice";
  req.now = 1750000000;
  EXPECT_EQ(VerifyCertificate(*unverified, req).failure, CertFailure::kBadSignature);
}

TEST(Certificate, VerificationSaysWhy) {
  Certificate user = LoadCert("user_ed25519");   // alice,bob; 2024-01-01 .. 2030-01-01
  Certificate host = LoadCert("host_ed25519");
  Certificate opts = LoadCert("opts");           // source-address=10.0.0.0/8,192.168.1.1
  Certificate none = LoadCert("noprinc");
  PublicKey ca = LoadLine("ca_ed25519.key.pub").plain();
  PublicKey other = LoadLine("ca_rsa.key.pub").plain();
  std::vector<PublicKey> trusted = {other, ca};
  CertVerifyRequest req;
  req.trusted_cas = trusted;
  req.principal = "alice";
  req.now = *ParseAbsoluteTime("20250101", UtcZone());

  EXPECT_TRUE(VerifyCertificate(user, req).ok());
  CertVerifyRequest r = req;
  r.principal = "carol";
  EXPECT_EQ(VerifyCertificate(user, r).failure, CertFailure::kWrongPrincipal);
  r = req;
  r.now = *ParseAbsoluteTime("20300101", UtcZone());
  EXPECT_EQ(VerifyCertificate(user, r).failure, CertFailure::kExpired);
  r.now -= 1;
  EXPECT_TRUE(VerifyCertificate(user, r).ok());
  r.now = *ParseAbsoluteTime("20240101", UtcZone()) - 1;
  EXPECT_EQ(VerifyCertificate(user, r).failure, CertFailure::kNotYetValid);
  r = req;
  r.trusted_cas = std::span<const PublicKey>(&other, 1);
  EXPECT_EQ(VerifyCertificate(user, r).failure, CertFailure::kCaNotTrusted);
  EXPECT_EQ(VerifyCertificate(host, req).failure, CertFailure::kWrongType);
  r = req;
  r.host = true;
  r.principal = "host.example.com";
  EXPECT_TRUE(VerifyCertificate(host, r).ok());
  EXPECT_EQ(VerifyCertificate(none, req).failure, CertFailure::kNoPrincipals);
  r = req;
  r.client_address = "10.1.2.3";
  // opts also carries an unknown critical option, which sshd refuses first.
  EXPECT_EQ(VerifyCertificate(opts, r).failure, CertFailure::kUnsupportedCriticalOption);
}

TEST(Certificate, SourceAddressAndForceCommand) {
  PrivateKey ca = LoadPrivate("ca_ed25519");
  auto signer = KeySigner::Create(ca);
  ASSERT_TRUE(signer.ok());
  CertFields f;
  f.principals = {"root"};
  CertOptionsBuilder b(CertType::kUser);
  ASSERT_TRUE(b.Add("source-address=10.0.0.0/8,192.168.1.1").ok());
  ASSERT_TRUE(b.Add("force-command=/usr/bin/id").ok());
  b.Finish(&f);
  DeterministicRng rng(1);
  auto cert = SignCertificate(LoadLine("ed25519.key.pub").plain(), f, *signer, rng);
  ASSERT_TRUE(cert.ok()) << cert.status().ToString();
  CertVerifyRequest req;
  req.trusted_cas = std::span<const PublicKey>(&ca.public_key(), 1);
  req.principal = "root";
  req.now = 1;
  req.client_address = "10.200.0.1";
  CertVerdict v = VerifyCertificate(*cert, req);
  EXPECT_TRUE(v.ok()) << v.reason;
  EXPECT_EQ(v.force_command, "/usr/bin/id");
  req.client_address = "192.168.1.2";
  EXPECT_EQ(VerifyCertificate(*cert, req).failure, CertFailure::kSourceAddress);
  req.client_address = "192.168.1.1";
  EXPECT_TRUE(VerifyCertificate(*cert, req).ok());
}

TEST(Certificate, RefusesWhatSshKeygenRefuses) {
  PrivateKey ca = LoadPrivate("ca_ed25519");
  auto signer = KeySigner::Create(ca);
  ASSERT_TRUE(signer.ok());
  DeterministicRng rng(2);
  CertFields f;
  f.principals.assign(kMaxCertPrincipals + 1, "p");
  EXPECT_FALSE(SignCertificateBlob(ca.public_key(), f, *signer, rng).ok());
  f.principals = {std::string("a\0b", 3)};
  EXPECT_FALSE(SignCertificateBlob(ca.public_key(), f, *signer, rng).ok());
  EXPECT_FALSE(KeySigner::Create(ca, "rsa-sha2-256").ok());
}

}  // namespace
}  // namespace kw::formats
