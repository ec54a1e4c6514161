#include "formats/private_key.h"

#include <cctype>

#include "crypto/bcrypt_pbkdf.h"
#include "crypto/cipher.h"
#include "crypto/ed25519.h"
#include "crypto/pem.h"
#include "wire/base64.h"
#include "wire/reader.h"
#include "wire/writer.h"

namespace kw::formats {

// PROTOCOL.key constants.
namespace {
constexpr std::string_view kMarkBegin = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
constexpr std::string_view kMarkEnd = "-----END OPENSSH PRIVATE KEY-----\n";
constexpr std::string_view kAuthMagic{"openssh-key-v1\0", 15};
constexpr size_t kSaltLen = 16;
constexpr size_t kWrapColumns = 70;
}  // namespace

struct PrivateKeyAccess {
  static PrivateKey Make(PublicKey pub) { return PrivateKey(std::move(pub)); }
  static SecretBytes& Secret(PrivateKey& k) { return k.secret_[0]; }
  static crypto::RsaPrivateParams& Rsa(PrivateKey& k) { return k.rsa_; }
};

PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&&) noexcept = default;
PrivateKey::~PrivateKey() = default;

namespace {

Bytes Copy(ByteSpan s) { return Bytes(s.begin(), s.end()); }

Status Fail(PrivateKeyError* out, PrivateKeyError e, Status s) {
  if (out) *out = e;
  return s;
}

}  // namespace

StatusOr<PrivateKey> PrivateKey::FromEd25519Seed(ByteSpan seed) {
  KW_ASSIGN_OR_RETURN(Bytes pk, crypto::Ed25519PublicFromSeed(seed));
  KW_ASSIGN_OR_RETURN(PublicKey pub, PublicKey::FromEd25519(pk));
  PrivateKey k(std::move(pub));
  k.secret_[0] = SecretBytes(seed);
  return k;
}

StatusOr<PrivateKey> PrivateKey::Generate(KeyType type, int bits, Rng& rng) {
  switch (type) {
    case KeyType::kEd25519: {
      SecretBytes seed = crypto::Ed25519GenerateSeed(rng);
      return FromEd25519Seed(seed.span());
    }
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521: {
      crypto::EcCurve curve = CurveOf(type);
      if (bits != 0 && bits != crypto::EcBits(curve))
        return InvalidArgumentError("invalid ECDSA key length: valid lengths are 256, 384 or 521 bits");
      KW_ASSIGN_OR_RETURN(crypto::EcKeyPair pair, crypto::EcGenerate(curve));
      KW_ASSIGN_OR_RETURN(PublicKey pub, PublicKey::FromEcdsa(curve, pair.q));
      PrivateKey k(std::move(pub));
      k.secret_[0] = std::move(pair.d);
      return k;
    }
    case KeyType::kRsa: {
      if (bits == 0) bits = kDefaultRsaBits;
      if (bits < crypto::kRsaMinBits)
        return InvalidArgumentError("invalid RSA key length: minimum is " + std::to_string(crypto::kRsaMinBits) +
                                    " bits");
      if (bits > crypto::kRsaMaxBits)
        return InvalidArgumentError("invalid RSA key length: maximum is " + std::to_string(crypto::kRsaMaxBits) +
                                    " bits");
      KW_ASSIGN_OR_RETURN(crypto::RsaPrivateParams params, crypto::RsaGenerate(bits));
      KW_ASSIGN_OR_RETURN(PublicKey pub, PublicKey::FromRsa(params.e, params.n));
      PrivateKey k(std::move(pub));
      k.rsa_ = std::move(params);
      return k;
    }
    default:
      return UnimplementedError("keyward cannot generate " + std::string(GetKeyTypeInfo(type).ssh_name) + " keys");
  }
}

void PrivateKey::SerializePrivate(Bytes* out) const {
  wire::Writer w;
  w.String(public_.ssh_name());
  switch (type()) {
    case KeyType::kEd25519: {
      w.String(public_.ed25519_key());
      Bytes sk(secret_[0].span().begin(), secret_[0].span().end());
      sk.insert(sk.end(), public_.ed25519_key().begin(), public_.ed25519_key().end());
      w.String(sk);
      SecureWipe(sk.data(), sk.size());
      break;
    }
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521:
      w.String(CurveName(public_.ec_curve()));
      w.String(public_.ec_point());
      w.MpintPositive(secret_[0].span());
      break;
    case KeyType::kRsa:
      w.MpintPositive(rsa_.n);
      w.MpintPositive(rsa_.e);
      w.MpintPositive(rsa_.d.span());
      w.MpintPositive(rsa_.iqmp.span());
      w.MpintPositive(rsa_.p.span());
      w.MpintPositive(rsa_.q.span());
      break;
    case KeyType::kDsa: {
      // The public blob holds p, q, g, y after the type name; copy them.
      wire::Reader r(public_.blob());
      (void)r.ReadString();
      w.Raw(r.rest());
      w.MpintPositive(secret_[0].span());
      break;
    }
    default:
      break;
  }
  Bytes& buf = w.buffer();
  out->insert(out->end(), buf.begin(), buf.end());
  SecureWipe(buf.data(), buf.size());
}

namespace {

// Undoes the armour: the text after the BEGIN line up to a line that starts
// with the END marker, with line breaks (and, as b64_pton, other white
// space) removed, base64-decoded; it must start with the magic.
StatusOr<Bytes> Unarmor(std::string_view file) {
  if (file.size() < kMarkBegin.size() + kMarkEnd.size() || file.substr(0, kMarkBegin.size()) != kMarkBegin)
    return InvalidArgumentError("not an OpenSSH private key (no BEGIN line)");
  std::string b64;
  size_t i = kMarkBegin.size();
  bool found_end = false;
  while (i < file.size()) {
    char c = file[i++];
    if (c == '\n') {
      if (file.substr(i, kMarkEnd.size()) == kMarkEnd) {
        found_end = true;
        break;
      }
      continue;
    }
    if (!std::isspace(static_cast<unsigned char>(c))) b64.push_back(c);
  }
  if (!found_end) return InvalidArgumentError("no END line");
  Bytes decoded;
  if (!wire::Base64DecodeTo(b64, &decoded)) return InvalidArgumentError("base64 body does not decode");
  if (decoded.size() < kAuthMagic.size() || AsChars(ByteSpan(decoded).first(kAuthMagic.size())) != kAuthMagic)
    return InvalidArgumentError("bad magic, not openssh-key-v1");
  return decoded;
}

struct Envelope {
  std::string cipher;
  std::string kdf;
  ByteSpan kdf_options;
  PublicKey public_key;
  ByteSpan encrypted;
  ByteSpan trailing;
};

StatusOr<Envelope> ReadEnvelope(const Bytes& decoded) {
  wire::Reader r(ByteSpan(decoded).subspan(kAuthMagic.size()));
  KW_ASSIGN_OR_RETURN(std::string_view cipher, r.ReadText("cipher name"));
  KW_ASSIGN_OR_RETURN(std::string_view kdf, r.ReadText("KDF name"));
  KW_ASSIGN_OR_RETURN(ByteSpan kdf_options, r.ReadString("KDF options"));
  KW_ASSIGN_OR_RETURN(uint32_t nkeys, r.ReadU32("number of keys"));
  if (nkeys != 1) return InvalidArgumentError("file holds " + std::to_string(nkeys) + " keys, not 1");
  KW_ASSIGN_OR_RETURN(ByteSpan pub_blob, r.ReadString("public key"));
  auto pub = PublicKey::FromBlob(pub_blob);
  if (!pub.ok()) return pub.status().WithContext("public key");
  KW_ASSIGN_OR_RETURN(ByteSpan encrypted, r.ReadString("private section"));
  // AEAD ciphers put their tag after the section; checked once the cipher is known.
  return Envelope{std::string(cipher), std::string(kdf), kdf_options, std::move(*pub), encrypted, r.rest()};
}

// Reads the type-specific private fields (sshkey_private_deserialize).
StatusOr<PrivateKey> ReadPrivateFields(wire::Reader& r, PrivateKeyError* error) {
  KW_ASSIGN_OR_RETURN(std::string_view name, r.ReadText("key type"));
  std::optional<KeyType> type = KeyTypeFromBlobName(name);
  if (!type) return Fail(error, PrivateKeyError::kUnsupportedType, InvalidArgumentError("unknown key type \"" + std::string(name) + "\""));
  switch (*type) {
    case KeyType::kEd25519: {
      KW_ASSIGN_OR_RETURN(ByteSpan pk, r.ReadString("Ed25519 public key"));
      KW_ASSIGN_OR_RETURN(ByteSpan sk, r.ReadString("Ed25519 private key"));
      if (pk.size() != 32 || sk.size() != 64) return InvalidArgumentError("bad Ed25519 key lengths");
      KW_ASSIGN_OR_RETURN(PublicKey pub, PublicKey::FromEd25519(pk));
      KW_ASSIGN_OR_RETURN(Bytes derived, crypto::Ed25519PublicFromSeed(sk.first(32)));
      if (derived != Bytes(pk.begin(), pk.end()))
        return InvalidArgumentError("Ed25519 private key does not match its public key");
      PrivateKey k = PrivateKeyAccess::Make(std::move(pub));
      PrivateKeyAccess::Secret(k) = SecretBytes(sk.first(32));
      return k;
    }
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521: {
      crypto::EcCurve curve = CurveOf(*type);
      KW_ASSIGN_OR_RETURN(std::string_view curve_name, r.ReadText("curve name"));
      if (curve_name != CurveName(curve)) return InvalidArgumentError("curve does not match key type");
      KW_ASSIGN_OR_RETURN(ByteSpan q, r.ReadString("ECDSA point"));
      KW_ASSIGN_OR_RETURN(ByteSpan d, r.ReadMpintPositive("ECDSA private key"));
      KW_ASSIGN_OR_RETURN(PublicKey pub, PublicKey::FromEcdsa(curve, q));
      KW_RETURN_IF_ERROR(crypto::EcValidatePrivate(curve, d, q));
      PrivateKey k = PrivateKeyAccess::Make(std::move(pub));
      PrivateKeyAccess::Secret(k) = SecretBytes(d);
      return k;
    }
    case KeyType::kRsa: {
      crypto::RsaPrivateParams p;
      KW_ASSIGN_OR_RETURN(ByteSpan n, r.ReadMpintPositive("RSA n"));
      KW_ASSIGN_OR_RETURN(ByteSpan e, r.ReadMpintPositive("RSA e"));
      KW_ASSIGN_OR_RETURN(ByteSpan d, r.ReadMpintPositive("RSA d"));
      KW_ASSIGN_OR_RETURN(ByteSpan iqmp, r.ReadMpintPositive("RSA iqmp"));
      KW_ASSIGN_OR_RETURN(ByteSpan pp, r.ReadMpintPositive("RSA p"));
      KW_ASSIGN_OR_RETURN(ByteSpan qq, r.ReadMpintPositive("RSA q"));
      KW_ASSIGN_OR_RETURN(PublicKey pub, PublicKey::FromRsa(e, n));
      p.n = Copy(n);
      p.e = Copy(e);
      p.d = SecretBytes(d);
      p.iqmp = SecretBytes(iqmp);
      p.p = SecretBytes(pp);
      p.q = SecretBytes(qq);
      PrivateKey k = PrivateKeyAccess::Make(std::move(pub));
      PrivateKeyAccess::Rsa(k) = std::move(p);
      return k;
    }
    case KeyType::kDsa: {
      wire::Writer blob;
      blob.String("ssh-dss");
      for (const char* what : {"DSA p", "DSA q", "DSA g", "DSA y"}) {
        KW_ASSIGN_OR_RETURN(ByteSpan v, r.ReadMpintPositive(what));
        blob.MpintPositive(v);
      }
      KW_ASSIGN_OR_RETURN(ByteSpan x, r.ReadMpintPositive("DSA x"));
      KW_ASSIGN_OR_RETURN(PublicKey pub, PublicKey::FromBlob(blob.bytes()));
      PrivateKey k = PrivateKeyAccess::Make(std::move(pub));
      PrivateKeyAccess::Secret(k) = SecretBytes(x);
      return k;
    }
    default:
      return Fail(error, PrivateKeyError::kUnsupportedType,
                  UnimplementedError("private " + std::string(name) + " keys are not supported"));
  }
}

StatusOr<LoadedPrivateKey> ParseOpenssh(std::string_view file, ByteSpan passphrase, PrivateKeyError* error) {
  auto invalid = [&](const Status& s) { return Fail(error, PrivateKeyError::kInvalidFormat, s); };
  auto decoded = Unarmor(file);
  if (!decoded.ok()) return invalid(decoded.status());
  auto env = ReadEnvelope(*decoded);
  if (!env.ok()) return invalid(env.status());

  size_t block_size = 8;
  std::optional<crypto::CipherInfo> cipher;
  if (env->cipher != "none") {
    cipher = crypto::FindCipher(env->cipher);
    if (!cipher)
      return Fail(error, PrivateKeyError::kUnknownCipher,
                  UnimplementedError("key encrypted using unsupported cipher \"" + env->cipher + "\""));
    block_size = cipher->block_size;
  }
  // The ciphers we support have no authentication tag: nothing may follow.
  if (!env->trailing.empty())
    return invalid(InvalidArgumentError(std::to_string(env->trailing.size()) + " trailing bytes after private section"));
  if (env->kdf != "none" && env->kdf != "bcrypt")
    return Fail(error, PrivateKeyError::kUnknownCipher, UnimplementedError("unsupported KDF \"" + env->kdf + "\""));
  if (env->kdf == "none" && cipher) return invalid(InvalidArgumentError("cipher without a KDF"));
  if (env->kdf == "bcrypt" && passphrase.empty())
    return Fail(error, PrivateKeyError::kWrongPassphrase, UnauthenticatedError("key is encrypted; a passphrase is needed"));
  if (env->encrypted.size() < block_size || env->encrypted.size() % block_size != 0)
    return invalid(InvalidArgumentError("private section length is not a multiple of the cipher block size"));

  SecretBytes plain(env->encrypted);
  if (cipher) {
    wire::Reader kdf(env->kdf_options);
    auto salt = kdf.ReadString("KDF salt");
    auto rounds = salt.ok() ? kdf.ReadU32("KDF rounds") : StatusOr<uint32_t>(salt.status());
    if (!rounds.ok()) return invalid(rounds.status());
    SecretBytes key_iv(cipher->key_len + cipher->iv_len);
    if (Status s = crypto::BcryptPbkdf(passphrase, *salt, *rounds, key_iv.mutable_span()); !s.ok()) return invalid(s);
    ByteSpan kv = key_iv.span();
    KW_RETURN_IF_ERROR(crypto::CipherInPlace(cipher->alg, crypto::CipherDirection::kDecrypt,
                                             kv.first(cipher->key_len), kv.subspan(cipher->key_len, cipher->iv_len),
                                             plain.mutable_span()));
  }
  wire::Reader r(plain.span());
  auto check1 = r.ReadU32("check integer");
  auto check2 = r.ReadU32("check integer");
  if (!check1.ok() || !check2.ok()) return invalid(InvalidArgumentError("truncated private section"));
  if (*check1 != *check2)
    return Fail(error, PrivateKeyError::kWrongPassphrase,
                UnauthenticatedError("incorrect passphrase supplied to decrypt private key"));
  PrivateKeyError inner = PrivateKeyError::kInvalidFormat;
  auto key = ReadPrivateFields(r, &inner);
  if (!key.ok()) return Fail(error, inner, key.status().WithContext("private key"));
  auto comment = r.ReadText("comment");
  if (!comment.ok()) return invalid(comment.status());
  for (size_t i = 1; !r.empty(); ++i) {
    if (r.ReadU8().value() != static_cast<uint8_t>(i)) return invalid(InvalidArgumentError("bad padding"));
  }
  if (!(key->public_key() == env->public_key))
    return invalid(InvalidArgumentError("public key does not match the private key"));
  return LoadedPrivateKey{std::move(*key), std::string(*comment), PrivateKeyFormat::kOpenssh, cipher.has_value()};
}

StatusOr<LoadedPrivateKey> ParsePem(std::string_view file, ByteSpan passphrase, PrivateKeyError* error) {
  auto pem = crypto::ParsePemPrivateKey(file, passphrase);
  if (!pem.ok()) {
    switch (pem.status().code()) {
      case StatusCode::kFailedPrecondition:
      case StatusCode::kUnauthenticated:
        return Fail(error, PrivateKeyError::kWrongPassphrase, pem.status());
      case StatusCode::kUnimplemented:
        return Fail(error, PrivateKeyError::kUnsupportedType, pem.status());
      default:
        return Fail(error, PrivateKeyError::kLibcrypto, pem.status());
    }
  }
  bool encrypted = file.find("ENCRYPTED") != std::string_view::npos;
  if (auto* ed = std::get_if<crypto::Ed25519PrivateParams>(&*pem)) {
    KW_ASSIGN_OR_RETURN(PrivateKey k, PrivateKey::FromEd25519Seed(ed->seed.span()));
    return LoadedPrivateKey{std::move(k), "", PrivateKeyFormat::kPem, encrypted};
  }
  if (auto* ec = std::get_if<crypto::EcPrivateParams>(&*pem)) {
    KW_ASSIGN_OR_RETURN(PublicKey pub, PublicKey::FromEcdsa(ec->curve, ec->q));
    PrivateKey k = PrivateKeyAccess::Make(std::move(pub));
    PrivateKeyAccess::Secret(k) = std::move(ec->d);
    return LoadedPrivateKey{std::move(k), "", PrivateKeyFormat::kPem, encrypted};
  }
  auto& rsa = std::get<crypto::RsaPrivateParams>(*pem);
  auto pub = PublicKey::FromRsa(rsa.e, rsa.n);
  if (!pub.ok()) return Fail(error, PrivateKeyError::kInvalidFormat, pub.status());
  PrivateKey k = PrivateKeyAccess::Make(std::move(*pub));
  PrivateKeyAccess::Rsa(k) = std::move(rsa);
  return LoadedPrivateKey{std::move(k), "", PrivateKeyFormat::kPem, encrypted};
}

}  // namespace

StatusOr<LoadedPrivateKey> ParsePrivateKey(std::string_view file, ByteSpan passphrase, PrivateKeyError* error) {
  if (error) *error = PrivateKeyError::kNone;
  // As OpenSSH: an "openssh-key-v1" file is tried first; anything that is
  // not one goes to the PEM decoders.
  if (file.substr(0, kMarkBegin.size()) == kMarkBegin) return ParseOpenssh(file, passphrase, error);
  return ParsePem(file, passphrase, error);
}

StatusOr<PublicKey> PeekOpensshPublicKey(std::string_view file) {
  KW_ASSIGN_OR_RETURN(Bytes decoded, Unarmor(file));
  KW_ASSIGN_OR_RETURN(Envelope env, ReadEnvelope(decoded));
  return std::move(env.public_key);
}

std::optional<uint32_t> OpensshKdfRounds(std::string_view file) {
  auto decoded = Unarmor(file);
  if (!decoded.ok()) return std::nullopt;
  auto env = ReadEnvelope(*decoded);
  if (!env.ok() || env->kdf != "bcrypt") return std::nullopt;
  wire::Reader kdf(env->kdf_options);
  if (!kdf.ReadString("salt").ok()) return std::nullopt;
  auto rounds = kdf.ReadU32("rounds");
  if (!rounds.ok()) return std::nullopt;
  return *rounds;
}

StatusOr<std::string> WriteOpensshPrivateKey(const PrivateKey& key, std::string_view comment, ByteSpan passphrase,
                                             const OpensshWriteOptions& options, Rng& rng) {
  if (comment.find('\0') != std::string_view::npos) return InvalidArgumentError("comment contains a NUL byte");
  std::optional<crypto::CipherInfo> cipher;
  wire::Writer kdf;
  size_t block_size = 8;
  SecretBytes key_iv;
  if (!passphrase.empty()) {
    cipher = crypto::FindCipher(options.cipher);
    if (!cipher) return InvalidArgumentError("unsupported cipher \"" + options.cipher + "\"");
    if (options.rounds == 0) return InvalidArgumentError("KDF rounds must be at least 1");
    block_size = cipher->block_size;
    uint8_t salt[kSaltLen];
    rng.Fill(salt);
    kdf.String(ByteSpan(salt, kSaltLen));
    kdf.U32(options.rounds);
    key_iv = SecretBytes(cipher->key_len + cipher->iv_len);
    KW_RETURN_IF_ERROR(crypto::BcryptPbkdf(passphrase, ByteSpan(salt, kSaltLen), options.rounds, key_iv.mutable_span()));
  }

  wire::Writer plain;
  uint32_t check = rng.NextU32();
  plain.U32(check);
  plain.U32(check);
  key.SerializePrivate(&plain.buffer());
  plain.String(comment);
  for (uint8_t i = 1; plain.size() % block_size != 0; ++i) plain.U8(i);
  Bytes& section = plain.buffer();
  if (cipher) {
    ByteSpan kv = key_iv.span();
    Status s = crypto::CipherInPlace(cipher->alg, crypto::CipherDirection::kEncrypt, kv.first(cipher->key_len),
                                     kv.subspan(cipher->key_len, cipher->iv_len), section);
    if (!s.ok()) {
      SecureWipe(section.data(), section.size());
      return s;
    }
  }

  wire::Writer out;
  out.Raw(kAuthMagic);
  out.String(cipher ? cipher->ssh_name : std::string_view("none"));
  out.String(cipher ? std::string_view("bcrypt") : std::string_view("none"));
  out.String(kdf.bytes());
  out.U32(1);
  out.String(key.public_key().blob());
  out.String(section);
  SecureWipe(section.data(), section.size());

  std::string text(kMarkBegin);
  text += wire::WrapLines(wire::Base64Encode(out.bytes()), kWrapColumns);
  text += kMarkEnd;
  SecureWipe(out.buffer().data(), out.buffer().size());
  return text;
}

}  // namespace kw::formats
