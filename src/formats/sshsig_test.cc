// SSHSIG and allowed_signers against ssh-keygen 9.2's signatures and
// verdicts (testdata/certs/make_testdata.sh).
#include <gtest/gtest.h>

#include "formats/allowed_signers.h"
#include "formats/signer.h"
#include "formats/sshsig.h"
#include "formats/test_util.h"

namespace kw::formats {
namespace {

using testing::TestData;

std::string Certs(const std::string& name) { return TestData("certs/" + name); }

Sshsig LoadSig(const std::string& file) {
  auto blob = DearmorSshsig(Certs(file));
  EXPECT_TRUE(blob.ok()) << blob.status().ToString();
  auto sig = ParseSshsig(*blob);
  EXPECT_TRUE(sig.ok()) << sig.status().ToString();
  return std::move(*sig);
}

Bytes Digest(const Sshsig& sig, std::string_view message) {
  return crypto::Digest(*SshsigHashAlg(sig.hash_algorithm), AsBytes(message));
}

const char* const kKeys[] = {"ed25519", "ecdsa256", "ecdsa384", "ecdsa521", "rsa"};

TEST(Sshsig, VerifiesSshKeygensSignatures) {
  std::string msg = Certs("msg.txt");
  for (const char* k : kKeys) {
    for (const char* hash : {"sha512", "sha256"}) {
      SCOPED_TRACE(std::string(k) + "." + hash);
      Sshsig sig = LoadSig(std::string(k) + "." + hash + ".sig");
      std::string ns = std::string(hash) == "sha512" ? "file" : "git";
      EXPECT_EQ(sig.hash_algorithm, hash);
      EXPECT_EQ(sig.sig_namespace, ns);
      EXPECT_TRUE(VerifySshsig(sig, ns, Digest(sig, msg)).ok());
      EXPECT_EQ(VerifySshsig(sig, "other", Digest(sig, msg)).message(),
                "Couldn't verify signature: namespace does not match");
      EXPECT_EQ(VerifySshsig(sig, ns, Digest(sig, msg + "x")).message(),
                "Signature verification failed: incorrect signature");
    }
  }
}

TEST(Sshsig, DeterministicKeysSignTheSameBytesAsSshKeygen) {
  std::string msg = Certs("msg.txt");
  for (const char* k : {"ed25519", "rsa"}) {
    for (const char* hash : {"sha512", "sha256"}) {
      SCOPED_TRACE(std::string(k) + "." + hash);
      auto priv = ParsePrivateKey(Certs(std::string(k) + ".key"), {});
      ASSERT_TRUE(priv.ok());
      auto signer = KeySigner::Create(priv->key);
      ASSERT_TRUE(signer.ok());
      std::string ns = std::string(hash) == "sha512" ? "file" : "git";
      auto blob = SignSshsig(*signer, KeyOrCert(priv->key.public_key()), ns, hash,
                             crypto::Digest(*SshsigHashAlg(hash), AsBytes(msg)));
      ASSERT_TRUE(blob.ok()) << blob.status().ToString();
      EXPECT_EQ(ArmorSshsig(*blob), Certs(std::string(k) + "." + hash + ".sig"));
    }
  }
}

TEST(Sshsig, CertificateSignaturesCarryTheCertificate) {
  Sshsig sig = LoadSig("cert.sig");
  ASSERT_TRUE(sig.key.is_cert());
  EXPECT_TRUE(VerifySshsig(sig, "file", Digest(sig, Certs("msg.txt"))).ok());
  auto priv = ParsePrivateKey(Certs("ed25519.key"), {});
  ASSERT_TRUE(priv.ok());
  auto signer = KeySigner::Create(priv->key);
  ASSERT_TRUE(signer.ok());
  auto blob = SignSshsig(*signer, sig.key, "file", "sha512", Digest(sig, Certs("msg.txt")));
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(ArmorSshsig(*blob), Certs("cert.sig"));
}

TEST(Sshsig, ArmourAndBlobErrors) {
  SshErr err;
  EXPECT_EQ(DearmorSshsig("junk\n", &err).status().message(), "Couldn't parse signature: missing header");
  EXPECT_EQ(err, SshErr::kMessageIncomplete);
  std::string good = Certs("ed25519.sha512.sig");
  EXPECT_EQ(DearmorSshsig(good.substr(0, good.size() - 10)).status().message(),
            "Couldn't parse signature: missing footer");
  // Blanks inside the base64 are skipped, as OpenSSH's b64_pton does.
  std::string spaced = good;
  spaced.insert(40, "  \t");
  EXPECT_EQ(*DearmorSshsig(spaced), *DearmorSshsig(good));
  Bytes blob = *DearmorSshsig(good);
  for (size_t i = 0; i < blob.size(); ++i) {
    Bytes bad = blob;
    bad[i] ^= 0x04;
    auto sig = ParseSshsig(bad);
    if (!sig.ok()) continue;
    if (!SshsigHashAlg(sig->hash_algorithm)) {
      EXPECT_FALSE(VerifySshsig(*sig, "file", {}).ok());
      continue;
    }
    EXPECT_FALSE(VerifySshsig(*sig, "file", Digest(*sig, Certs("msg.txt"))).ok()) << "byte " << i;
  }
  Bytes longer = blob;
  longer.push_back(0);
  EXPECT_EQ(ParseSshsig(longer).status().message(), "Signature contains trailing data");
}

struct VerifyCase {
  const char* name;
  const char* sig;
  const char* ns;
  const char* principal;
};

TEST(AllowedSigners, SameVerdictsAsSshKeygen) {
  const VerifyCase cases[] = {{"alice", "ed25519.sha512.sig", "file", "alice"},
                              {"bob2", "ed25519.sha512.sig", "file", "bobby"},
                              {"mallory", "ed25519.sha512.sig", "file", "mallory"},
                              {"carol_git", "ecdsa256.sha256.sig", "git", "carol"},
                              {"carol_file", "ecdsa256.sha512.sig", "file", "carol"},
                              {"dave", "ecdsa384.sha512.sig", "file", "dave"},
                              {"erin", "rsa.sha512.sig", "file", "erin"},
                              {"cert_alice", "cert.sig", "file", "alice"},
                              {"wrong_ns", "ed25519.sha512.sig", "git", "alice"}};
  std::string allowed = Certs("signers.allowed");
  std::string msg = Certs("msg.txt");
  for (const VerifyCase& c : cases) {
    SCOPED_TRACE(c.name);
    Sshsig sig = LoadSig(c.sig);
    std::string err;
    bool ok = false;
    if (Status s = VerifySshsig(sig, c.ns, Digest(sig, msg)); !s.ok()) {
      err += s.message() + "\r\n";
    } else {
      AllowedSignersQuery q;
      q.sign_key = &sig.key;
      q.principal = c.principal;
      q.sig_namespace = c.ns;
      q.verify_time = *ParseAbsoluteTime("20250101", UtcZone());
      AllowedSignersResult r = CheckAllowedSigners(allowed, "signers.allowed", q);
      for (const std::string& e : r.errors) err += e + "\r\n";
      ok = r.found;
    }
    std::string rc = Certs(std::string(c.name) + ".verify.rc.expected");
    EXPECT_EQ(ok ? "0\n" : "255\n", rc);
    EXPECT_EQ(err, Certs(std::string(c.name) + ".verify.err.expected"));
  }
}

TEST(AllowedSigners, FindPrincipals) {
  std::string allowed = Certs("signers.allowed");
  for (const char* c : {"ed25519.sha512.sig", "cert.sig"}) {
    SCOPED_TRACE(c);
    Sshsig sig = LoadSig(c);
    AllowedSignersQuery q;
    q.sign_key = &sig.key;
    q.verify_time = *ParseAbsoluteTime("20250101", UtcZone());
    AllowedSignersResult r = CheckAllowedSigners(allowed, "signers.allowed", q);
    ASSERT_TRUE(r.found);
    std::string lines;
    for (size_t p = 0; p <= r.principals.size();) {
      size_t comma = r.principals.find(',', p);
      lines += r.principals.substr(p, comma == std::string::npos ? std::string::npos : comma - p) + "\n";
      if (comma == std::string::npos) break;
      p = comma + 1;
    }
    EXPECT_EQ(lines, Certs(std::string(c) == "cert.sig" ? "find_cert.expected" : "find_ed25519.expected"));
  }
}

TEST(AllowedSigners, MalformedLines) {
  auto r = MatchAllowedPrincipals("bob\n", "f", "bob", UtcZone());
  EXPECT_TRUE(r.malformed);
  EXPECT_EQ(r.errors, std::vector<std::string>{"f:1: missing key"});
  std::string key = testing::FirstLine(Certs("ed25519.key.pub"));
  r = MatchAllowedPrincipals("# c\nalice,b* " + key + "\nbob x=\"unterminated " + key + "\n", "f", "bob", UtcZone());
  EXPECT_EQ(r.principals, std::vector<std::string>{"alice,b*"});
  EXPECT_TRUE(r.malformed);
}

}  // namespace
}  // namespace kw::formats
