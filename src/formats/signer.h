// KeySigner: a private key made ready to sign many messages, producing SSH
// signature blobs ("string algorithm, string signature", RFC 4253 §6.6).
//
// SignData() in signature.h loads the key into the crypto library for each
// call; a CA issuing certificates, a key center signing bundles or a
// benchmark signs many messages with one key, so the loaded signer is kept.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "formats/private_key.h"
#include "formats/public_key.h"
#include "wire/writer.h"

namespace kw::formats {

class KeySigner {
 public:
  // `algorithm` is the signature algorithm: for RSA keys "rsa-sha2-512"
  // (the default when empty), "rsa-sha2-256" or "ssh-rsa"; for other keys
  // it must be empty or the key's own name ("ssh-ed25519",
  // "ecdsa-sha2-nistp256", ...). kUnimplemented for key types keyward cannot
  // sign with (DSA, FIDO).
  static StatusOr<KeySigner> Create(const PrivateKey& key, std::string_view algorithm = {});

  KeySigner(KeySigner&&) noexcept;
  KeySigner& operator=(KeySigner&&) noexcept;
  ~KeySigner();

  const PublicKey& public_key() const;
  // The algorithm name that goes into each signature blob.
  const std::string& algorithm() const;

  // The signature blob over `data`.
  StatusOr<Bytes> Sign(ByteSpan data) const;
  // Appends the signature blob to `out` as an SSH string (uint32 length,
  // blob), the form certificates and SSHSIG carry it in.
  Status SignAsString(ByteSpan data, wire::Writer* out) const;

 private:
  struct Impl;
  explicit KeySigner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kw::formats
