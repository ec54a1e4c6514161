// keyward sign | verify (SSHSIG), and the operations behind
// `keyward ssh-keygen -Y sign|verify|check-novalidate|find-principals|match-principals`.
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "base/clock.h"
#include "base/file.h"
#include "base/settings.h"
#include "cli/commands.h"
#include "cli/key_load.h"
#include "cli/output.h"
#include "cli/pki_ops.h"
#include "formats/allowed_signers.h"
#include "formats/fingerprint.h"
#include "formats/krl.h"
#include "formats/signer.h"
#include "formats/sshsig.h"

namespace kw::cli {

using formats::KeyOrCert;

namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

// The -O options of -Y (sig_process_opts). `hash`, `verify_time` and
// `print_pubkey` are null where the operation takes no such option.
bool ProcessSigOpts(const Io& io, const std::vector<std::string>& opts, std::string* hash, uint64_t* verify_time,
                    bool* print_pubkey) {
  if (verify_time) *verify_time = 0;
  for (const std::string& o : opts) {
    if (hash && strncasecmp(o.c_str(), "hashalg=", 8) == 0) {
      *hash = o.substr(8);
    } else if (verify_time && strncasecmp(o.c_str(), "verify-time=", 12) == 0) {
      std::optional<uint64_t> t = formats::ParseAbsoluteTime(std::string_view(o).substr(12), LocalZone());
      if (!t || *t == 0) {
        io.Error("Invalid \"verify-time\" option");
        return false;
      }
      *verify_time = *t;
    } else if (print_pubkey && strcasecmp(o.c_str(), "print-pubkey") == 0) {
      *print_pubkey = true;
    } else {
      io.Error("Invalid option \"" + o + "\"");
      return false;
    }
  }
  if (verify_time && *verify_time == 0) *verify_time = static_cast<uint64_t>(SystemClock::Get().NowUnix());
  return true;
}

// Hashes everything readable from `fd`.
StatusOr<Bytes> HashFd(int fd, crypto::HashAlg alg) {
  crypto::Hasher h(alg);
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return ErrnoStatus("read", errno);
    }
    if (n == 0) break;
    h.Update(ByteSpan(reinterpret_cast<const uint8_t*>(buf), static_cast<size_t>(n)));
  }
  return h.Finish();
}

// ssh-keygen's confirm_overwrite().
bool ConfirmOverwrite(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return true;
  Out(path + " already exists.\nOverwrite (y/n)? ");
  std::string answer;
  if (!ReadStdinLine(&answer, 2)) return false;
  return !answer.empty() && (answer[0] == 'y' || answer[0] == 'Y');
}

struct SignKey {
  formats::KeySigner signer;
  KeyOrCert public_key;  // the key or certificate that goes into the signature
};

// load_sign_key(): the private key beside a public key or certificate path.
std::optional<SignKey> LoadSignKey(const Io& io, const std::string& keypath, const KeyOrCert& pub,
                                   const std::optional<std::string>& passphrase, int* rc) {
  std::string privpath = keypath;
  bool waspub = false;
  for (std::string_view suffix : {"-cert.pub", ".pub"}) {
    if (privpath.size() > suffix.size() && privpath.compare(privpath.size() - suffix.size(), suffix.size(), suffix) == 0) {
      privpath.resize(privpath.size() - suffix.size());
      waspub = true;
    }
  }
  struct stat st;
  if (waspub && ::stat(privpath.c_str(), &st) != 0 && errno == ENOENT) {
    *rc = io.Fatal("No private key found for public key \"" + keypath + "\"");
    return std::nullopt;
  }
  std::optional<formats::LoadedPrivateKey> priv =
      LoadIdentity(io, privpath, passphrase, rc, "No private key found for \"" + privpath + "\"");
  if (!priv) return std::nullopt;
  if (!(priv->key.public_key() == pub.plain())) {
    io.Error("Public key " + keypath + " doesn't match private " + privpath);
    *rc = 255;
    return std::nullopt;
  }
  auto signer = formats::KeySigner::Create(priv->key);
  if (!signer.ok()) {
    *rc = io.Fatal("Couldn't sign with " + privpath + ": " + signer.status().message());
    return std::nullopt;
  }
  return SignKey{std::move(*signer), pub};
}

// sshkey_check_revoked(): a KRL, or else a file of public keys.
Status CheckRevoked(const KeyOrCert& key, const std::string& path) {
  auto data = ReadFile(path);
  if (!data.ok()) return data.status();
  formats::SshErr err = formats::SshErr::kNone;
  auto krl = formats::Krl::Parse(AsBytes(*data), &err);
  if (krl.ok()) {
    if (krl->Check(key).revoked()) return PermissionDeniedError("Key is revoked");
    return OkStatus();
  }
  if (err != formats::SshErr::kKrlBadMagic) return krl.status();
  // sshkey_in_file(): every line must hold a key (a line that does not, other
  // than one refused for its RSA size, makes the whole check fail closed).
  bool revoked = false;
  std::string_view rest = *data;
  while (!rest.empty() && !revoked) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl == std::string_view::npos ? rest.size() : nl + 1);
    rest.remove_prefix(line.size());
    line = line.substr(0, line.find('\0'));
    size_t s = line.find_first_not_of(" \t");
    if (s == std::string_view::npos || line[s] == '#' || line[s] == '\n') continue;
    line = line.substr(s);
    line = TrimLineBreaks(line);
    formats::SshErr code = formats::SshErr::kNone;
    auto parsed = formats::ParseKeyOrCertText(line, &code);
    if (!parsed.ok()) {
      if (code == formats::SshErr::kKeyLength) continue;
      return parsed.status();
    }
    const formats::PublicKey& listed = parsed->key.plain();
    if (listed == key.plain()) revoked = true;
    if (key.is_cert() && key.cert().signature_key() && listed == *key.cert().signature_key()) revoked = true;
  }
  return revoked ? PermissionDeniedError("Key is revoked") : OkStatus();
}

}  // namespace

int SigSign(const Io& io, const std::string& keypath, const std::string& sig_namespace,
            const std::vector<std::string>& files, const SigOptions& o) {
  for (size_t i = 0; i < files.size(); ++i) {
    if (files[i] == "-" && (i > 0 || files.size() > 1)) return io.Fatal("Cannot sign mix of paths and standard input");
  }
  std::string hash(formats::kSshsigDefaultHash);
  if (!ProcessSigOpts(io, o.opts, &hash, nullptr, nullptr)) return 255;
  auto pub = LoadPublic(keypath);
  if (!pub.ok()) {
    io.Error("Couldn't load public key " + keypath + ": " + pub.status().message());
    return 255;
  }
  int rc = 255;
  std::optional<SignKey> key = LoadSignKey(io, keypath, pub->key, o.passphrase, &rc);
  if (!key) return rc;

  auto sign_one = [&](const std::string& name, int fd) -> bool {
    if (!o.quiet) Err(fd == 0 ? "Signing data on standard input\n" : "Signing file " + name + "\n");
    std::optional<crypto::HashAlg> alg = formats::SshsigHashAlg(hash);
    if (!alg) {
      io.Error("sshsig_check_hashalg: unsupported hash algorithm \"" + hash.substr(0, 100) + "\"");
      io.Error("sshsig_sign_fd: hash_file: signature algorithm not supported");
      io.Error("Signing " + name + " failed: signature algorithm not supported");
      return false;
    }
    auto digest = HashFd(fd, *alg);
    if (!digest.ok()) {
      io.Error("Signing " + name + " failed: " + digest.status().message());
      return false;
    }
    auto blob = formats::SignSshsig(key->signer, key->public_key, sig_namespace, hash, *digest);
    if (!blob.ok()) {
      io.Error("Signing " + name + " failed: " + blob.status().message());
      return false;
    }
    std::string armored = formats::ArmorSshsig(*blob);
    if (fd == 0) {
      Out(armored);
      return true;
    }
    std::string wfile = name + ".sig";
    struct stat st;
    if (o.overwrite == SigOptions::Overwrite::kNo && ::stat(wfile.c_str(), &st) == 0) {
      io.Error(wfile + " already exists (use --force to replace it)");
      return false;
    }
    if (o.overwrite == SigOptions::Overwrite::kAsk && !ConfirmOverwrite(wfile)) return true;
    int wfd = ::open(wfile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (wfd < 0) {
      io.Error("Cannot open " + wfile + ": " + ErrnoText(errno));
      return false;
    }
    size_t off = 0;
    while (off < armored.size()) {
      ssize_t n = ::write(wfd, armored.data() + off, armored.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        io.Error("Cannot write to " + wfile + ": " + ErrnoText(errno));
        ::close(wfd);
        return false;
      }
      off += static_cast<size_t>(n);
    }
    ::close(wfd);
    if (!o.quiet) Err("Write signature to " + wfile + "\n");
    return true;
  };

  if (files.empty()) return sign_one("(stdin)", 0) ? 0 : 255;
  for (const std::string& f : files) {
    int fd = 0;
    if (f != "-") {
      fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        io.Error("Cannot open " + f + " for signing: " + ErrnoText(errno));
        return 255;
      }
    }
    bool ok = sign_one(f, fd);
    if (fd != 0) ::close(fd);
    if (!ok) return 255;
  }
  return 0;
}

namespace {

// Reads and dearmors a signature file; prints OpenSSH's errors. `caller`
// is the ssh-keygen function name used in its messages.
std::optional<Bytes> LoadSignatureFile(const Io& io, const std::string& path, const char* caller) {
  auto text = ReadFile(path);
  if (!text.ok()) {
    std::string why = text.status().message();
    if (why.rfind(path + ": ", 0) == 0) why.erase(0, path.size() + 2);
    io.Error("Couldn't read signature file: " + why);
    return std::nullopt;
  }
  formats::SshErr err = formats::SshErr::kNone;
  auto blob = formats::DearmorSshsig(*text, &err);
  if (!blob.ok()) {
    if (blob.status().message().find("invalid base64") == std::string::npos) io.Error(blob.status().message());
    io.Error(std::string(caller) + ": sshsig_armor: " + std::string(formats::SshErrText(err)));
    return std::nullopt;
  }
  return std::move(*blob);
}

// Parses a signature blob, printing OpenSSH's messages for the step that
// fails.
std::optional<formats::Sshsig> ParseSignature(const Io& io, ByteSpan blob, const char* key_step) {
  formats::SshErr err = formats::SshErr::kNone;
  bool key_error = false;
  auto sig = formats::ParseSshsig(blob, &err, &key_error);
  if (sig.ok()) return std::move(*sig);
  const std::string& m = sig.status().message();
  if (key_error) {
    io.Error(std::string(key_step) + ": parse signature object: " + std::string(formats::SshErrText(err)));
  } else if (m.rfind("parse signature object", 0) == 0) {
    io.Error("sshsig_peek_hashalg: parse signature object: " + std::string(formats::SshErrText(err)));
  } else {
    io.Error(m);
  }
  return std::nullopt;
}

}  // namespace

namespace {

// sig_verify(); with `trusted_key`, that key takes the place of an
// allowed_signers file.
int SigVerifyImpl(const Io& io, const std::string& signature_path, const std::string& sig_namespace,
                  const std::optional<std::string>& principal, const std::optional<std::string>& allowed_signers,
                  const std::optional<std::string>& revoked_keys, const SigOptions& o,
                  const formats::PublicKey* trusted_key) {
  bool print_pubkey = false;
  uint64_t verify_time = 0;
  std::optional<formats::Sshsig> sig;
  bool ok = [&]() -> bool {
    if (!ProcessSigOpts(io, o.opts, nullptr, &verify_time, &print_pubkey)) return false;
    std::optional<Bytes> blob = LoadSignatureFile(io, signature_path, "sig_verify");
    if (!blob) return false;
    sig = ParseSignature(io, *blob, "sshsig_wrap_verify");
    if (!sig) return false;
    std::optional<crypto::HashAlg> alg = formats::SshsigHashAlg(sig->hash_algorithm);
    if (!alg) {
      io.Error("sshsig_check_hashalg: unsupported hash algorithm \"" + sig->hash_algorithm.substr(0, 100) + "\"");
      io.Error("sshsig_verify_fd: hash_file: signature algorithm not supported");
      return false;
    }
    auto digest = HashFd(0, *alg);
    if (!digest.ok()) {
      io.Error("sshsig_verify_fd: hash_file: " + digest.status().message());
      return false;
    }
    if (Status s = formats::VerifySshsig(*sig, sig_namespace, *digest); !s.ok()) {
      io.Error(s.message());
      return false;
    }
    if (revoked_keys && !CheckRevoked(sig->key, *revoked_keys).ok()) return false;
    if (trusted_key && !(sig->key.plain() == *trusted_key)) {
      io.Error("signed by " + std::string(sig->key.short_name()) + " key " + formats::Fingerprint(sig->key.plain()) +
               ", not by the trusted key");
      return false;
    }
    if (allowed_signers) {
      auto text = ReadFile(*allowed_signers);
      if (!text.ok()) {
        std::string why = text.status().message();
        if (why.rfind(*allowed_signers + ": ", 0) == 0) why.erase(0, allowed_signers->size() + 2);
        io.Error("Unable to open allowed keys file \"" + *allowed_signers + "\": " + why);
        return false;
      }
      formats::AllowedSignersQuery q;
      q.sign_key = &sig->key;
      q.principal = principal;
      q.sig_namespace = sig_namespace;
      q.verify_time = verify_time;
      q.zone = &LocalZone();
      formats::AllowedSignersResult r = formats::CheckAllowedSigners(*text, *allowed_signers, q);
      for (const std::string& e : r.errors) io.Error(e);
      if (!r.found) return false;
    }
    return true;
  }();
  if (!o.quiet) {
    if (ok) {
      std::string fp = formats::Fingerprint(sig->key.plain(), o.fingerprint_hash);
      std::string type(sig->key.short_name());
      if (principal) {
        Out("Good \"" + sig_namespace + "\" signature for " + *principal + " with " + type + " key " + fp + "\n");
      } else {
        Out("Good \"" + sig_namespace + "\" signature with " + type + " key " + fp + "\n");
      }
    } else {
      Out("Could not verify signature.\n");
    }
  }
  if (ok && print_pubkey) Out(formats::FormatKeyOrCert(sig->key) + "\n");
  return ok ? 0 : 255;
}

}  // namespace

int SigVerify(const Io& io, const std::string& signature_path, const std::string& sig_namespace,
              const std::optional<std::string>& principal, const std::optional<std::string>& allowed_signers,
              const std::optional<std::string>& revoked_keys, const SigOptions& o) {
  return SigVerifyImpl(io, signature_path, sig_namespace, principal, allowed_signers, revoked_keys, o, nullptr);
}

int SigFindPrincipals(const Io& io, const std::string& signature_path, const std::string& allowed_signers,
                      const SigOptions& o) {
  uint64_t verify_time = 0;
  std::string principals;
  bool ok = [&]() -> bool {
    if (!ProcessSigOpts(io, o.opts, nullptr, &verify_time, nullptr)) return false;
    std::optional<Bytes> blob = LoadSignatureFile(io, signature_path, "sig_find_principals");
    if (!blob) return false;
    std::optional<formats::Sshsig> sig = ParseSignature(io, *blob, "sig_find_principals: sshsig_get_pubkey");
    if (!sig) return false;
    auto text = ReadFile(allowed_signers);
    if (!text.ok()) {
      std::string why = text.status().message();
      if (why.rfind(allowed_signers + ": ", 0) == 0) why.erase(0, allowed_signers.size() + 2);
      io.Error("Unable to open allowed keys file \"" + allowed_signers + "\": " + why);
      io.Error("sig_find_principals: sshsig_find_principal: " + why);
      return false;
    }
    formats::AllowedSignersQuery q;
    q.sign_key = &sig->key;
    q.verify_time = verify_time;
    q.zone = &LocalZone();
    formats::AllowedSignersResult r = formats::CheckAllowedSigners(*text, allowed_signers, q);
    for (const std::string& e : r.errors) io.Error(e);
    if (!r.found) return false;
    principals = r.principals;
    return true;
  }();
  if (!ok) {
    Err("No principal matched.\n");
    return 255;
  }
  std::string out;
  size_t pos = 0;
  while (pos <= principals.size()) {
    size_t comma = principals.find(',', pos);
    std::string p = principals.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (p.empty()) break;
    out += p + "\n";
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  Out(out);
  return 0;
}

int SigMatchPrincipals(const Io& io, const std::string& allowed_signers, const std::string& principal,
                       const SigOptions& o) {
  if (!ProcessSigOpts(io, o.opts, nullptr, nullptr, nullptr)) return 246;  // SSH_ERR_INVALID_ARGUMENT
  auto text = ReadFile(allowed_signers);
  if (!text.ok()) {
    std::string why = text.status().message();
    if (why.rfind(allowed_signers + ": ", 0) == 0) why.erase(0, allowed_signers.size() + 2);
    io.Error("Unable to open allowed keys file \"" + allowed_signers + "\": " + why);
    Err("No principal matched.\n");
    return 232;  // SSH_ERR_SYSTEM_ERROR
  }
  formats::MatchPrincipalsResult r = formats::MatchAllowedPrincipals(*text, allowed_signers, principal, LocalZone());
  for (const std::string& e : r.errors) io.Error(e);
  if (r.malformed || r.principals.empty()) {
    Err("No principal matched.\n");
    return r.malformed ? 252 : 210;  // SSH_ERR_INVALID_FORMAT, SSH_ERR_KEY_NOT_FOUND
  }
  std::string out;
  for (const std::string& p : r.principals) out += p + "\n";
  Out(out);
  return 0;
}

// ---------------------------------------------------------------------------
// keyward sign / keyward verify

namespace {

struct SignArgs {
  std::string key;
  std::string ns;
  std::string hash = "sha512";
  std::optional<std::string> passphrase;
  bool quiet = false, force = false;
  std::vector<std::string> files;
  // verify
  std::string signature;
  std::optional<std::string> allowed, principal, revoked, trusted_key, at;
  bool print_pubkey = false;
};

}  // namespace

void AddSignCommands(CLI::App& app, int* rc) {
  auto a = std::make_shared<SignArgs>();
  CLI::App* sign = app.add_subcommand(
      "sign", "Sign files with an SSH key (SSHSIG, as ssh-keygen -Y sign): writes FILE.sig, or the signature of "
              "standard input to standard output");
  sign->add_option("-f,--key", a->key, "Private key, or its .pub / -cert.pub (the private key is found beside it)")
      ->required();
  sign->add_option("-n,--namespace", a->ns, "Signature namespace, e.g. file, git, keyward-bundle")->required();
  sign->add_option("--hash", a->hash, "sha512 (default) or sha256");
  sign->add_option("-P,--passphrase", a->passphrase, "Passphrase of the private key");
  sign->add_flag("-q,--quiet", a->quiet, "No progress messages");
  sign->add_flag("--force", a->force, "Replace an existing FILE.sig");
  sign->add_option("FILE", a->files, "Files to sign (none or -: standard input)");
  sign->callback([a, rc] {
    SigOptions o;
    o.opts = {"hashalg=" + a->hash};
    o.quiet = a->quiet;
    o.passphrase = a->passphrase;
    o.overwrite = a->force ? SigOptions::Overwrite::kYes : SigOptions::Overwrite::kNo;
    *rc = SigSign(Io{Style::kNative}, a->key, a->ns, a->files, o);
  });

  CLI::App* verify = app.add_subcommand(
      "verify", "Verify an SSHSIG signature of standard input (or FILE) against an allowed_signers file "
                "(-f and -I, as ssh-keygen -Y verify) or a single trusted public key (--key)");
  verify->add_option("-s,--signature", a->signature, "Signature file (FILE.sig)")->required();
  verify->add_option("-n,--namespace", a->ns, "Expected namespace")->required();
  verify->add_option("-f,--allowed-signers", a->allowed, "allowed_signers file");
  verify->add_option("-I,--principal", a->principal, "Signer identity to require (with -f)");
  verify->add_option("--key", a->trusted_key, "Accept signatures by this public key only (instead of -f/-I)");
  verify->add_option("-r,--revoked", a->revoked, "KRL or list of revoked keys");
  verify->add_option("--at", a->at, "Verify as of this time: YYYYMMDD[HHMM[SS]][Z]");
  verify->add_flag("--print-pubkey", a->print_pubkey, "Print the signer's public key on success");
  verify->add_flag("-q,--quiet", a->quiet, "No output; the exit status says it all");
  verify->add_option("FILE", a->files, "The signed file (default: standard input)")->expected(0, 1);
  verify->callback([a, rc] {
    Io io{Style::kNative};
    if (a->allowed.has_value() == a->trusted_key.has_value()) {
      *rc = io.Fatal("give either an allowed_signers file (-f, with -I) or a trusted key (--key)");
      return;
    }
    if (a->allowed && !a->principal) {
      *rc = io.Fatal("-f needs the signer identity (-I)");
      return;
    }
    if (!a->files.empty() && a->files[0] != "-") {
      int fd = ::open(a->files[0].c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || ::dup2(fd, 0) < 0) {
        *rc = io.Fatal(a->files[0] + ": " + std::strerror(errno));
        return;
      }
      ::close(fd);
    }
    SigOptions o;
    o.quiet = a->quiet;
    if (a->at) o.opts.push_back("verify-time=" + *a->at);
    if (a->print_pubkey) o.opts.push_back("print-pubkey");
    std::optional<formats::PublicKey> trusted;
    if (a->trusted_key) {
      auto k = LoadPublic(*a->trusted_key);
      if (!k.ok()) {
        *rc = io.Fatal("cannot load " + *a->trusted_key + ": " + k.status().message());
        return;
      }
      trusted = k->key.plain();
    }
    *rc = SigVerifyImpl(io, a->signature, a->ns, a->principal, a->allowed, a->revoked, o,
                        trusted ? &*trusted : nullptr);
  });
}

}  // namespace kw::cli
