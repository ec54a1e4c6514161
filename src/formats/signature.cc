#include "formats/signature.h"

#include "crypto/ecdsa.h"
#include "crypto/ed25519.h"
#include "crypto/rsa.h"
#include "wire/reader.h"
#include "wire/writer.h"

namespace kw::formats {

StatusOr<Bytes> SignData(const PrivateKey& key, ByteSpan data, std::string_view rsa_algorithm) {
  wire::Writer w;
  switch (key.type()) {
    case KeyType::kEd25519: {
      KW_ASSIGN_OR_RETURN(crypto::Ed25519Signer signer, crypto::Ed25519Signer::Create(key.ed25519_seed().span()));
      KW_ASSIGN_OR_RETURN(Bytes sig, signer.Sign(data));
      w.String("ssh-ed25519");
      w.String(sig);
      return w.Take();
    }
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521: {
      const PublicKey& pub = key.public_key();
      KW_ASSIGN_OR_RETURN(crypto::EcdsaSigner signer,
                          crypto::EcdsaSigner::Create(pub.ec_curve(), key.ec_private().span(), pub.ec_point()));
      KW_ASSIGN_OR_RETURN(crypto::EcdsaSignature sig, signer.Sign(data));
      wire::Writer inner;
      inner.MpintPositive(sig.r);
      inner.MpintPositive(sig.s);
      w.String(pub.ssh_name());
      w.String(inner.bytes());
      return w.Take();
    }
    case KeyType::kRsa: {
      crypto::HashAlg hash;
      if (rsa_algorithm == "rsa-sha2-512") {
        hash = crypto::HashAlg::kSha512;
      } else if (rsa_algorithm == "rsa-sha2-256") {
        hash = crypto::HashAlg::kSha256;
      } else if (rsa_algorithm == "ssh-rsa") {
        hash = crypto::HashAlg::kSha1;
      } else {
        return InvalidArgumentError("unknown RSA signature algorithm \"" + std::string(rsa_algorithm) + "\"");
      }
      KW_ASSIGN_OR_RETURN(crypto::RsaSigner signer, crypto::RsaSigner::Create(key.rsa()));
      KW_ASSIGN_OR_RETURN(Bytes sig, signer.Sign(hash, data));
      w.String(rsa_algorithm);
      w.String(sig);
      return w.Take();
    }
    default:
      return UnimplementedError("keyward cannot sign with " + std::string(key.public_key().ssh_name()) + " keys");
  }
}

Status VerifySignature(const PublicKey& key, ByteSpan data, ByteSpan signature, std::string* algorithm) {
  wire::Reader r(signature);
  KW_ASSIGN_OR_RETURN(std::string_view alg, r.ReadText("signature algorithm"));
  KW_ASSIGN_OR_RETURN(ByteSpan sig, r.ReadString("signature"));
  KW_RETURN_IF_ERROR(r.ExpectEnd("signature"));
  Status result;
  switch (key.type()) {
    case KeyType::kEd25519:
      if (alg != "ssh-ed25519") return InvalidArgumentError("signature algorithm \"" + std::string(alg) + "\" does not match the key");
      if (sig.size() != crypto::kEd25519SignatureSize) return InvalidArgumentError("Ed25519 signature has a bad length");
      result = crypto::Ed25519Verify(key.ed25519_key(), data, sig);
      break;
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521: {
      if (alg != key.ssh_name()) return InvalidArgumentError("signature algorithm \"" + std::string(alg) + "\" does not match the key");
      wire::Reader inner(sig);
      KW_ASSIGN_OR_RETURN(ByteSpan rr, inner.ReadMpintPositive("ECDSA r"));
      KW_ASSIGN_OR_RETURN(ByteSpan ss, inner.ReadMpintPositive("ECDSA s"));
      KW_RETURN_IF_ERROR(inner.ExpectEnd("ECDSA signature"));
      result = crypto::EcdsaVerify(key.ec_curve(), key.ec_point(), data, rr, ss);
      break;
    }
    case KeyType::kRsa: {
      crypto::HashAlg hash;
      if (alg == "rsa-sha2-512") {
        hash = crypto::HashAlg::kSha512;
      } else if (alg == "rsa-sha2-256") {
        hash = crypto::HashAlg::kSha256;
      } else if (alg == "ssh-rsa") {
        hash = crypto::HashAlg::kSha1;
      } else {
        return InvalidArgumentError("signature algorithm \"" + std::string(alg) + "\" does not match the key");
      }
      result = crypto::RsaVerify(key.rsa_n(), key.rsa_e(), hash, data, sig);
      break;
    }
    default:
      return UnimplementedError("keyward cannot verify " + std::string(key.ssh_name()) + " signatures");
  }
  if (result.ok() && algorithm) *algorithm = std::string(alg);
  return result;
}

}  // namespace kw::formats
