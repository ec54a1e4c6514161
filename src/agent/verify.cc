#include "agent/verify.h"

#include "base/bytes.h"
#include "crypto/hash.h"
#include "formats/fingerprint.h"
#include "formats/sshsig.h"

namespace kw::agent {

StatusOr<formats::Bundle> VerifyBundle(const SignedBundle& sb, const formats::PublicKey& pinned,
                                       std::string_view host) {
  auto unauth = [](const Status& s) { return UnauthenticatedError("bundle signature: " + s.message()); };
  auto blob = formats::DearmorSshsig(sb.signature);
  if (!blob.ok()) return unauth(blob.status());
  auto sig = formats::ParseSshsig(*blob);
  if (!sig.ok()) return unauth(sig.status());
  if (sig->key.is_cert() || !(sig->key.plain() == pinned)) {
    return UnauthenticatedError("bundle signature: signed by " + std::string(sig->key.short_name()) + " key " +
                                formats::Fingerprint(sig->key.plain()) + ", not by the pinned key " +
                                formats::Fingerprint(pinned));
  }
  std::optional<crypto::HashAlg> alg = formats::SshsigHashAlg(sig->hash_algorithm);
  if (!alg) return UnauthenticatedError("bundle signature: unsupported hash algorithm");
  Bytes digest = crypto::Digest(*alg, AsBytes(sb.bundle));
  if (Status s = formats::VerifySshsig(*sig, formats::kBundleNamespace, digest); !s.ok()) return unauth(s);

  KW_ASSIGN_OR_RETURN(formats::Bundle b, formats::DecodeBundle(sb.bundle));
  if (b.host != host) {
    return InvalidArgumentError("bundle: made for host \"" + b.host + "\", this host is \"" + std::string(host) + "\"");
  }
  if (b.revision != sb.revision) {
    return InvalidArgumentError("bundle: revision " + std::to_string(b.revision) + " inside, " +
                                std::to_string(sb.revision) + " in the response");
  }
  return b;
}

}  // namespace kw::agent
