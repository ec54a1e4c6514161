// kw_bench_gen_pubkeys TYPE COUNT [SEED]: writes COUNT distinct public key
// lines of TYPE to stdout, "type base64(blob) bench-TYPE-N", as inputs for
// bench/run.sh. Making real keys with ssh-keygen would take far too long
// for RSA, and `ssh-keygen -l` only parses keys, so:
//   ed25519     32 random bytes                       (string "ssh-ed25519", string pk)
//   ecdsa-p256  a real point from crypto::EcGenerate   (string type, string "nistp256", string Q)
//   rsa3072     a random odd 3072-bit modulus with the top bit set, e = 65537
//               (string "ssh-rsa", mpint e, mpint n; not a product of primes)
// Wire encodings per RFC 4253 §6.6 and RFC 5656 §3.1. Random bytes come from
// a seeded DeterministicRng, so the same arguments give the same file
// (ECDSA points excepted: they come from OpenSSL's generator).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/rng.h"
#include "crypto/ecdsa.h"
#include "wire/base64.h"
#include "wire/writer.h"

namespace {

int Usage() {
  std::fprintf(stderr, "usage: kw_bench_gen_pubkeys ed25519|ecdsa-p256|rsa3072 COUNT [SEED]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) return Usage();
  const std::string_view type = argv[1];
  char* end = nullptr;
  const long count = std::strtol(argv[2], &end, 10);
  if (*end != '\0' || count < 0) return Usage();
  const unsigned long long seed = argc == 4 ? std::strtoull(argv[3], nullptr, 10) : 1;
  if (type != "ed25519" && type != "ecdsa-p256" && type != "rsa3072") return Usage();

  kw::DeterministicRng rng(seed);
  std::string out;
  out.reserve(1 << 20);
  for (long i = 0; i < count; ++i) {
    kw::wire::Writer w;
    if (type == "ed25519") {
      kw::Bytes pk(32);
      rng.Fill(pk);
      w.String("ssh-ed25519");
      w.String(pk);
    } else if (type == "ecdsa-p256") {
      kw::StatusOr<kw::crypto::EcKeyPair> key = kw::crypto::EcGenerate(kw::crypto::EcCurve::kP256);
      if (!key.ok()) {
        std::fprintf(stderr, "EcGenerate: %s\n", key.status().ToString().c_str());
        return 1;
      }
      w.String("ecdsa-sha2-nistp256");
      w.String("nistp256");
      w.String(key->q);
    } else {
      kw::Bytes n(3072 / 8);
      rng.Fill(n);
      n.front() |= 0x80;  // exactly 3072 bits
      n.back() |= 0x01;   // odd
      const uint8_t e[] = {0x01, 0x00, 0x01};
      w.String("ssh-rsa");
      w.MpintPositive(e);
      w.MpintPositive(n);
    }
    const std::string_view name = type == "ed25519" ? "ssh-ed25519" : type == "ecdsa-p256" ? "ecdsa-sha2-nistp256" : "ssh-rsa";
    out.append(name);
    out.push_back(' ');
    kw::wire::Base64EncodeTo(w.bytes(), /*pad=*/true, &out);
    out.append(" bench-");
    out.append(type);
    out.push_back('-');
    out.append(std::to_string(i));
    out.push_back('\n');
    if (out.size() > (1 << 20) - 4096) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}
