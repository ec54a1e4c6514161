// kw_bench_certs: in-process figures for #5, each against its baseline in
// the same run (bench/certs_krl.sh runs it next to ssh-keygen).
//
//   sign:  raw OpenSSL Ed25519 signatures per second over messages the size
//          of a certificate's signed part, then keyward certificates issued
//          per second with an Ed25519 CA (fresh nonce, fields, signature);
//          the ratio must be >= 0.70.
//   query: a KRL of 1,000,000 revocations (serials, key ids and SHA256
//          fingerprints), queried with certificates and plain keys; mean
//          microseconds per query (target < 10).
//   build: KRLs of 100,000 random serials and of 100,000 key ids built in
//          process from spec text (the command-line comparison with
//          ssh-keygen -k is in certs_krl.sh).
//
// The raw baseline talks to OpenSSL directly, on purpose: it is what keyward
// is measured against. Usage: kw_bench_certs [seconds per measurement]
#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "base/rng.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "formats/certificate.h"
#include "formats/krl.h"
#include "formats/private_key.h"
#include "formats/signer.h"

namespace {

using Clock = std::chrono::steady_clock;
using kw::formats::CertFields;
using kw::formats::KeyOrCert;
using kw::formats::PrivateKey;
using kw::formats::PublicKey;

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "kw_bench_certs: %s\n", what.c_str());
  std::exit(1);
}

// Raw OpenSSL: the key loaded once, one EVP_DigestSign per message, as any
// program signing many messages with OpenSSL 3 does.
double RawEd25519Rate(const uint8_t seed[32], size_t msg_len, double budget) {
  EVP_PKEY* pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed, 32);
  if (!pkey) Die("EVP_PKEY_new_raw_private_key");
  std::vector<uint8_t> msg(msg_len, 0x5a);
  uint8_t sig[64];
  size_t n = 0;
  auto t0 = Clock::now();
  auto t1 = t0;
  do {
    for (int i = 0; i < 64; ++i, ++n) {
      msg[n % msg_len] ^= static_cast<uint8_t>(n);
      EVP_MD_CTX* ctx = EVP_MD_CTX_new();
      size_t len = sizeof sig;
      if (!ctx || EVP_DigestSignInit_ex(ctx, nullptr, nullptr, nullptr, nullptr, pkey, nullptr) != 1 ||
          EVP_DigestSign(ctx, sig, &len, msg.data(), msg.size()) != 1)
        Die("EVP_DigestSign");
      EVP_MD_CTX_free(ctx);
    }
    t1 = Clock::now();
  } while (Seconds(t0, t1) < budget);
  EVP_PKEY_free(pkey);
  return static_cast<double>(n) / Seconds(t0, t1);
}

double CertRate(const kw::formats::KeySigner& ca, const std::vector<PublicKey>& subjects, double budget,
                size_t* signed_len) {
  CertFields f;
  f.principals = {"alice", "deploy"};
  f.valid_after = 1700000000;
  f.valid_before = 1700000000 + 8 * 3600;
  kw::formats::CertOptionsBuilder opts(kw::formats::CertType::kUser);
  opts.Finish(&f);
  kw::Rng& rng = kw::crypto::SystemRng::Get();
  size_t n = 0;
  auto t0 = Clock::now();
  auto t1 = t0;
  do {
    for (int i = 0; i < 64; ++i, ++n) {
      f.serial = n + 1;
      f.key_id = "user-" + std::to_string(n);
      auto blob = kw::formats::SignCertificateBlob(subjects[n % subjects.size()], f, ca, rng);
      if (!blob.ok()) Die(blob.status().ToString());
      *signed_len = blob->size() - 4 - 4 - 11 - 4 - 64;  // without the signature string
    }
    t1 = Clock::now();
  } while (Seconds(t0, t1) < budget);
  return static_cast<double>(n) / Seconds(t0, t1);
}

PrivateKey NewEd25519(kw::Rng& rng) {
  auto k = PrivateKey::Generate(kw::formats::KeyType::kEd25519, 0, rng);
  if (!k.ok()) Die(k.status().ToString());
  return std::move(*k);
}

}  // namespace

int main(int argc, char** argv) {
  double budget = argc > 1 ? std::atof(argv[1]) : 2.0;
  kw::DeterministicRng keys_rng(5);
  PrivateKey ca = NewEd25519(keys_rng);
  std::vector<PublicKey> subjects;
  for (int i = 0; i < 64; ++i) subjects.push_back(NewEd25519(keys_rng).public_key());
  auto signer = kw::formats::KeySigner::Create(ca);
  if (!signer.ok()) Die(signer.status().ToString());

  // --- signing -------------------------------------------------------------
  size_t signed_len = 300;
  (void)CertRate(*signer, subjects, 0.2, &signed_len);  // warm up, learn the size
  double raw1 = RawEd25519Rate(ca.ed25519_seed().data(), signed_len, budget);
  double kw1 = CertRate(*signer, subjects, budget, &signed_len);
  // Second round in the other order, so that load drift hits both.
  double kw2 = CertRate(*signer, subjects, budget, &signed_len);
  double raw2 = RawEd25519Rate(ca.ed25519_seed().data(), signed_len, budget);
  double raw = (raw1 + raw2) / 2, cert = (kw1 + kw2) / 2;
  std::printf("sign:  raw OpenSSL Ed25519 %.0f sig/s (%zu-byte messages); keyward certificates %.0f cert/s; "
              "ratio %.2f (target >= 0.70) %s\n",
              raw, signed_len, cert, cert / raw, cert / raw >= 0.70 ? "OK" : "MISSED");

  // --- KRL query -------------------------------------------------------------
  std::mt19937_64 rng(42);
  PublicKey ca_pub = ca.public_key();
  kw::formats::Krl krl;
  const size_t kEntries = 1000000;
  auto b0 = Clock::now();
  for (size_t i = 0; i < kEntries / 2; ++i) {
    if (!krl.RevokeSerial(&ca_pub, 1 + (rng() >> 1)).ok()) Die("revoke");
  }
  for (size_t i = 0; i < kEntries / 4; ++i) krl.RevokeKeyId(&ca_pub, "revoked-user-" + std::to_string(rng()));
  uint8_t digest[32];
  for (size_t i = 0; i < kEntries / 4; ++i) {
    for (auto& b : digest) b = static_cast<uint8_t>(rng());
    if (!krl.RevokeSha256(kw::ByteSpan(digest, 32)).ok()) Die("revoke sha256");
  }
  krl.Seal();
  auto b1 = Clock::now();
  std::printf("query: KRL of %zu revocations (%zu serials, %zu key ids, %zu SHA256) built in %.2f s\n",
              krl.revocation_count(), kEntries / 2, kEntries / 4, kEntries / 4, Seconds(b0, b1));
  // Queries: certificates (their key's digests, explicit keys, key id,
  // serial, then the CA key) and plain keys (digests, explicit keys).
  std::vector<KeyOrCert> queries;
  kw::DeterministicRng qrng(9);
  for (int i = 0; i < 32; ++i) {
    CertFields f;
    f.serial = i % 2 ? 1 + (rng() >> 1) : 0;
    f.key_id = "user-" + std::to_string(i);
    f.principals = {"alice"};
    auto c = kw::formats::SignCertificate(subjects[i], f, *signer, qrng);
    if (!c.ok()) Die(c.status().ToString());
    queries.emplace_back(std::move(*c));
    queries.emplace_back(subjects[(i + 7) % subjects.size()]);
  }
  // Revoke a quarter of the query certificates, by serial or by key id.
  for (size_t i = 0; i < queries.size(); i += 8) {
    const kw::formats::Certificate& c = queries[i].cert();
    if (c.serial() != 0) {
      (void)krl.RevokeSerial(&ca_pub, c.serial());
    } else {
      krl.RevokeKeyId(&ca_pub, c.key_id());
    }
  }
  krl.Seal();
  size_t revoked = 0, n = 0;
  auto q0 = Clock::now();
  auto q1 = q0;
  do {
    for (const KeyOrCert& q : queries) {
      revoked += krl.Check(q).revoked();
      ++n;
    }
    q1 = Clock::now();
  } while (Seconds(q0, q1) < budget);
  double us = Seconds(q0, q1) * 1e6 / static_cast<double>(n);
  std::printf("query: %.2f us per query over %zu queries (%zu revoked) (target < 10 us) %s\n", us, n, revoked,
              us < 10 ? "OK" : "MISSED");

  // --- KRL build in process ---------------------------------------------------
  std::string serial_spec, id_spec;
  for (int i = 0; i < 100000; ++i) serial_spec += "serial: " + std::to_string(1 + (rng() >> 1)) + "\n";
  for (int i = 0; i < 100000; ++i) id_spec += "id: user-" + std::to_string(i) + "-" + std::to_string(rng() % 1000000000) + "\n";
  for (const auto& [name, spec] : {std::pair<const char*, const std::string&>{"100,000 random serials", serial_spec},
                                   {"100,000 key ids", id_spec}}) {
    auto t0 = Clock::now();
    kw::formats::Krl k;
    if (!kw::formats::ApplyKrlSpec(&k, spec, "spec", &ca_pub, false).ok()) Die("spec");
    auto out = k.Serialize(1);
    if (!out.ok()) Die("serialize");
    auto t1 = Clock::now();
    std::printf("build: %s: %.3f s in process (%zu bytes)\n", name, Seconds(t0, t1), out->size());
  }
  return 0;
}
