// SSHSIG armour and blobs, and allowed_signers files: the input is split at
// its first NUL into an armoured signature and an allowed_signers text.
#include <cstdlib>
#include <cstring>

#include "formats/allowed_signers.h"
#include "formats/sshsig.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kw::formats;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nul = in.find('\0');
  std::string_view armour = in.substr(0, nul);
  std::string_view allowed = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);

  auto blob = DearmorSshsig(armour);
  if (!blob.ok()) blob = kw::Bytes(armour.begin(), armour.end());  // also try it as a raw blob
  auto sig = ParseSshsig(*blob);
  if (sig.ok()) {
    // Re-armouring round-trips.
    auto again = DearmorSshsig(ArmorSshsig(*blob));
    if (!again.ok() || *again != *blob) std::abort();
    std::optional<kw::crypto::HashAlg> alg = SshsigHashAlg(sig->hash_algorithm);
    kw::Bytes digest(alg ? kw::crypto::DigestSize(*alg) : 64, 0);
    (void)VerifySshsig(*sig, sig->sig_namespace, digest);
    AllowedSignersQuery q;
    q.sign_key = &sig->key;
    q.principal = "alice";
    q.sig_namespace = sig->sig_namespace;
    q.verify_time = 1700000000;
    (void)CheckAllowedSigners(allowed, "fuzz", q);
    q.principal.reset();
    q.sig_namespace.reset();
    (void)CheckAllowedSigners(allowed, "fuzz", q);
  }
  (void)MatchAllowedPrincipals(allowed, "fuzz", "alice", UtcZone());
  return 0;
}
