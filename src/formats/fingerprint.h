// Key fingerprints as ssh-keygen prints them (OpenSSH sshkey_fingerprint):
// "SHA256:<unpadded base64>", "MD5:<colon hex>", bubblebabble, and the
// "drunken bishop" randomart of ssh-keygen -lv.
#pragma once

#include <string>

#include "crypto/hash.h"
#include "formats/public_key.h"

namespace kw::formats {

// MD5 as colon-separated lower-case hex, every other hash as base64
// without padding, each prefixed by the hash name and ':'.
std::string Fingerprint(const PublicKey& key, crypto::HashAlg alg = crypto::HashAlg::kSha256);
// Appends the fingerprint to *out (the hot path of fingerprinting files).
void AppendFingerprint(const PublicKey& key, crypto::HashAlg alg, std::string* out);
// The fingerprint of raw digest bytes.
std::string FormatDigest(crypto::HashAlg alg, ByteSpan digest);

// Bubblebabble of the SHA1 digest of the key ("xefin-...-mexix").
std::string BubbleBabble(const PublicKey& key);
std::string BubbleBabble(ByteSpan digest);

// The 11-line randomart picture (no final newline). `type_label` is the
// short type shown in the title ("ED25519", "RSA-CERT"), `bits` the size.
std::string Randomart(ByteSpan digest, crypto::HashAlg alg, std::string_view type_label, int bits);
std::string Randomart(const PublicKey& key, crypto::HashAlg alg = crypto::HashAlg::kSha256);

}  // namespace kw::formats
