#include "formats/signer.h"

#include <optional>

#include "crypto/ecdsa.h"
#include "crypto/ed25519.h"
#include "crypto/rsa.h"

namespace kw::formats {

struct KeySigner::Impl {
  PublicKey pub;
  std::string algorithm;
  std::optional<crypto::Ed25519Signer> ed25519;
  std::optional<crypto::EcdsaSigner> ecdsa;
  std::optional<crypto::RsaSigner> rsa;
  crypto::HashAlg rsa_hash = crypto::HashAlg::kSha512;

  explicit Impl(PublicKey p) : pub(std::move(p)) {}
};

KeySigner::KeySigner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KeySigner::KeySigner(KeySigner&&) noexcept = default;
KeySigner& KeySigner::operator=(KeySigner&&) noexcept = default;
KeySigner::~KeySigner() = default;

const PublicKey& KeySigner::public_key() const { return impl_->pub; }
const std::string& KeySigner::algorithm() const { return impl_->algorithm; }

StatusOr<KeySigner> KeySigner::Create(const PrivateKey& key, std::string_view algorithm) {
  auto impl = std::make_unique<Impl>(key.public_key());
  const PublicKey& pub = key.public_key();
  auto mismatch = [&]() {
    return InvalidArgumentError("signature algorithm \"" + std::string(algorithm) + "\" does not match a " +
                                std::string(pub.ssh_name()) + " key");
  };
  switch (key.type()) {
    case KeyType::kEd25519: {
      if (!algorithm.empty() && algorithm != pub.ssh_name()) return mismatch();
      KW_ASSIGN_OR_RETURN(crypto::Ed25519Signer s, crypto::Ed25519Signer::Create(key.ed25519_seed().span()));
      impl->ed25519.emplace(std::move(s));
      impl->algorithm = std::string(pub.ssh_name());
      break;
    }
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521: {
      if (!algorithm.empty() && algorithm != pub.ssh_name()) return mismatch();
      KW_ASSIGN_OR_RETURN(crypto::EcdsaSigner s,
                          crypto::EcdsaSigner::Create(pub.ec_curve(), key.ec_private().span(), pub.ec_point()));
      impl->ecdsa.emplace(std::move(s));
      impl->algorithm = std::string(pub.ssh_name());
      break;
    }
    case KeyType::kRsa: {
      std::string_view alg = algorithm.empty() ? std::string_view("rsa-sha2-512") : algorithm;
      if (alg == "rsa-sha2-512") {
        impl->rsa_hash = crypto::HashAlg::kSha512;
      } else if (alg == "rsa-sha2-256") {
        impl->rsa_hash = crypto::HashAlg::kSha256;
      } else if (alg == "ssh-rsa") {
        impl->rsa_hash = crypto::HashAlg::kSha1;
      } else {
        return mismatch();
      }
      KW_ASSIGN_OR_RETURN(crypto::RsaSigner s, crypto::RsaSigner::Create(key.rsa()));
      impl->rsa.emplace(std::move(s));
      impl->algorithm = std::string(alg);
      break;
    }
    default:
      return UnimplementedError("keyward cannot sign with " + std::string(pub.ssh_name()) + " keys");
  }
  return KeySigner(std::move(impl));
}

Status KeySigner::SignAsString(ByteSpan data, wire::Writer* out) const {
  // `data` may point into `out`'s own buffer (a certificate signs what it
  // has written so far), so nothing is appended until the signature exists.
  const Impl& s = *impl_;
  Bytes sig;
  if (s.ed25519) {
    KW_ASSIGN_OR_RETURN(sig, s.ed25519->Sign(data));
  } else if (s.ecdsa) {
    KW_ASSIGN_OR_RETURN(crypto::EcdsaSignature rs, s.ecdsa->Sign(data));
    wire::Writer inner;
    inner.MpintPositive(rs.r);
    inner.MpintPositive(rs.s);
    sig = inner.Take();
  } else {
    KW_ASSIGN_OR_RETURN(sig, s.rsa->Sign(s.rsa_hash, data));
  }
  out->U32(static_cast<uint32_t>(4 + s.algorithm.size() + 4 + sig.size()));
  out->String(s.algorithm);
  out->String(sig);
  return OkStatus();
}

StatusOr<Bytes> KeySigner::Sign(ByteSpan data) const {
  wire::Writer w;
  KW_RETURN_IF_ERROR(SignAsString(data, &w));
  Bytes b = w.Take();
  b.erase(b.begin(), b.begin() + 4);
  return b;
}

}  // namespace kw::formats
