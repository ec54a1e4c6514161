#include "cli/key_ops.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <pwd.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "cli/output.h"
#include "crypto/random.h"
#include "formats/certificate.h"
#include "formats/fingerprint.h"
#include "formats/key_scan.h"

namespace kw::cli {

using formats::KeyType;
using formats::LoadedPrivateKey;
using formats::PrivateKeyError;
using formats::PublicKey;

int Io::Fatal(const std::string& message) const {
  if (style == Style::kSshKeygen) {
    Err(message + "\r\n");
    return 255;
  }
  Err("keyward: " + message + "\n");
  return 1;
}

void Io::Debug(const std::string& message) const {
  if (verbose && style == Style::kSshKeygen) Err("debug1: " + message + "\r\n");
}

void Io::Error(const std::string& message) const {
  if (style == Style::kSshKeygen) {
    Err(message + "\r\n");
  } else {
    Err("keyward: " + message + "\n");
  }
}

namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

// The reason of a file error without the "path: " that ReadFile and
// WriteFileAtomic put in front (callers word the message themselves).
std::string Reason(const Status& s, const std::string& path) {
  const std::string& m = s.message();
  if (m.compare(0, path.size() + 2, path + ": ") == 0) return m.substr(path.size() + 2);
  return m;
}

// OpenSSH's ssh_err() text for a private key load failure.
std::string LoadErrorText(PrivateKeyError e, const Status& status) {
  switch (e) {
    case PrivateKeyError::kWrongPassphrase: return "incorrect passphrase supplied to decrypt private key";
    case PrivateKeyError::kInvalidFormat: return "invalid format";
    case PrivateKeyError::kUnknownCipher: return "key encrypted using unsupported cipher";
    case PrivateKeyError::kUnsupportedType: return "unknown or unsupported key type";
    case PrivateKeyError::kLibcrypto: return "error in libcrypto";
    case PrivateKeyError::kNone: break;
  }
  return status.message();
}

struct PrivateLoad {
  std::optional<LoadedPrivateKey> key;
  PrivateKeyError error = PrivateKeyError::kNone;
  std::string error_text;  // ssh_err() text
};

// sshkey_load_private(): the permission check (with its banner on stderr),
// then the parse.
PrivateLoad LoadPrivate(const Io& io, const std::string& path, const std::string& passphrase) {
  PrivateLoad out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    out.error = PrivateKeyError::kInvalidFormat;
    out.error_text = ErrnoText(errno);
    return out;
  }
  struct stat st;
  if (::fstat(fd, &st) == 0 && st.st_uid == ::getuid() && (st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "0%3.3o", static_cast<unsigned>(st.st_mode & 0777));
    io.Error("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
    io.Error("@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @");
    io.Error("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
    io.Error(std::string("Permissions ") + mode + " for '" + path + "' are too open.");
    io.Error("It is required that your private key files are NOT accessible by others.");
    io.Error("This private key will be ignored.");
    out.error = PrivateKeyError::kInvalidFormat;
    out.error_text = "bad permissions";
    return out;
  }
  ::close(fd);
  auto text = ReadFile(path);
  if (!text.ok()) {
    out.error = PrivateKeyError::kInvalidFormat;
    out.error_text = Reason(text.status(), path);
    return out;
  }
  SecretBytes pass(passphrase);
  auto key = formats::ParsePrivateKey(*text, pass.span(), &out.error);
  SecureWipe(text->data(), text->size());
  if (key.ok()) {
    out.key.emplace(std::move(*key));
  } else {
    out.error_text = LoadErrorText(out.error, key.status());
  }
  return out;
}

// sshkey_try_load_public(): the first key line of a file, with its comment
// (the file name when the line has none).
bool TryLoadPublic(const std::string& path, std::optional<PublicKey>* key, std::string* comment) {
  auto text = ReadFile(path);
  if (!text.ok()) return false;
  std::string_view rest = *text;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl == std::string_view::npos ? rest.size() : nl + 1);
    rest.remove_prefix(line.size());
    line = line.substr(0, line.find('\0'));
    if (line.empty() || line[0] == '#' || line[0] == '\n') continue;
    if (line.substr(0, 10) == "-----BEGIN" || line == "SSH PRIVATE KEY FILE") break;
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) continue;
    std::string_view body = line.substr(start);
    if (!body.empty() && body.back() == '\n') body.remove_suffix(1);  // sshkey_read sees it as a blank
    auto parsed = formats::ParseKeyText(body);
    if (!parsed.ok()) continue;
    std::string_view c = parsed->rest.substr(0, parsed->rest.find_first_of("\r\n"));
    *comment = c.empty() ? path : std::string(c);
    key->emplace(std::move(parsed->key));
    return true;
  }
  return false;
}

const PublicKey& PlainKey(const PublicKey& key) { return key; }
const PublicKey& PlainKey(const formats::KeyOrCert& key) { return key.plain(); }
std::string_view TypeLabel(const PublicKey& key) { return key.info().short_name; }
std::string_view TypeLabel(const formats::KeyOrCert& key) { return key.short_name(); }

// `Key` is a PublicKey or a KeyOrCert (a certificate is shown as its
// certified key, labelled "ED25519-CERT").
template <typename Key>
void AppendFingerprintLine(const Key& any, const char* comment, const FingerprintOptions& o, std::string* out) {
  const PublicKey& key = PlainKey(any);
  char bits[16];
  auto [bits_end, ec] = std::to_chars(bits, bits + sizeof bits, key.bits());
  (void)ec;  // an int always fits
  out->append(bits, bits_end);
  *out += ' ';
  if (o.bubblebabble) {
    *out += formats::BubbleBabble(key);
  } else {
    formats::AppendFingerprint(key, o.hash, out);
  }
  *out += ' ';
  // Only the comment can hold unprintable text; the rest is ASCII.
  if (comment) {
    AppendSafeText(comment, out);
  } else {
    *out += "no comment";
  }
  *out += " (";
  *out += TypeLabel(any);
  *out += ")\n";
  if (o.randomart) {
    *out += formats::Randomart(crypto::Digest(o.hash, key.blob()), o.hash, TypeLabel(any), key.bits());
    *out += '\n';
  }
}

template <typename Key>
nlohmann::json JsonKey(const Key& any, const char* comment, const FingerprintOptions& o, size_t line) {
  const PublicKey& key = PlainKey(any);
  nlohmann::json j;
  if (line) j["line"] = line;
  j["type"] = std::string(any.ssh_name());
  j["bits"] = key.bits();
  j["fingerprint"] = o.bubblebabble ? formats::BubbleBabble(key) : formats::Fingerprint(key, o.hash);
  j["comment"] = comment ? nlohmann::json(std::string(comment)) : nlohmann::json(nullptr);
  if (o.randomart) j["randomart"] = formats::Randomart(crypto::Digest(o.hash, key.blob()), o.hash, TypeLabel(any), key.bits());
  return j;
}

// ssh-keygen's fingerprint_private(): .pub beside the file first, then the
// clear envelope, with the comment from the private section when needed.
int FingerprintPrivate(const Io& io, const std::string& path, const FingerprintOptions& o) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return io.Fatal(path + ": " + ErrnoText(errno));
  std::optional<PublicKey> pub;
  std::string comment;
  bool have_comment = false;
  if (TryLoadPublic(path, &pub, &comment) || TryLoadPublic(path + ".pub", &pub, &comment)) {
    have_comment = true;
  } else if (auto text = ReadFile(path); text.ok()) {
    if (auto peek = formats::PeekOpensshPublicKey(*text); peek.ok()) pub.emplace(std::move(*peek));
  }
  if (!pub) io.Debug("load public \"" + path + "\": No such file or directory");
  std::optional<PublicKey> priv_pub;
  if (!pub || !have_comment || comment.empty()) {
    have_comment = false;
    PrivateLoad loaded = LoadPrivate(io, path, "");
    if (loaded.key) {
      priv_pub.emplace(loaded.key->key.public_key());
      comment = loaded.key->comment;
      have_comment = loaded.key->format == formats::PrivateKeyFormat::kOpenssh;
    } else {
      io.Debug("load private \"" + path + "\": " + loaded.error_text);
    }
  }
  if (!pub && !priv_pub) return io.Fatal(path + " is not a key file.");
  const PublicKey& key = pub ? *pub : *priv_pub;
  const char* c = have_comment ? comment.c_str() : nullptr;
  if (o.json) {
    nlohmann::json arr = nlohmann::json::array();
    arr.push_back(JsonKey(key, c, o, 0));
    Out(arr.dump(2) + "\n");
    return 0;
  }
  std::string out;
  AppendFingerprintLine(key, c, o, &out);
  Out(out);
  return 0;
}

}  // namespace

int Fingerprint(const Io& io, const std::string& path, const FingerprintOptions& o) {
  bool from_stdin = path == "-";
  std::string shown = from_stdin ? "(stdin)" : path;
  // The input is read a piece at a time and the output written every
  // kFlushAt bytes, as ssh-keygen's stdio does: holding a large file and
  // its output whole costs more in page faults than the keys themselves.
  constexpr size_t kFlushAt = 64 << 10;
  std::string out;
  out.reserve(kFlushAt + 1024);
  nlohmann::json arr = nlohmann::json::array();
  formats::ScanOptions scan_opts;
  scan_opts.detect_private_key = !from_stdin;
  std::vector<std::string> bad_lines;
  formats::KeyOrCertLineScanner scanner(
      scan_opts,
      [&](size_t line, const formats::KeyOrCert& key, const char* comment) {
        if (o.json) {
          arr.push_back(JsonKey(key, comment, o, line));
          return;
        }
        AppendFingerprintLine(key, comment, o, &out);
        if (out.size() >= kFlushAt) {
          Out(out);
          out.clear();
        }
      },
      [&](size_t line, const Status& why) {
        if (io.style == Style::kSshKeygen) {
          // ssh-keygen's debug line goes out in order with nothing else on
          // stderr, so it can be written at once.
          io.Debug(shown + ":" + std::to_string(line) + ": not a public key");
        } else if (bad_lines.size() < 10) {
          bad_lines.push_back(shown + ":" + std::to_string(line) + ": " + why.message());
        }
      });
  auto add_line = [&](std::string_view line) { return scanner.AddLine(line); };
  if (from_stdin) {
    // A read error ends standard input, as its end would.
    (void)ReadLines(0, shown, add_line);
  } else {
    // fopen(3) opens a directory and the first read fails: ssh-keygen then
    // finds no key in it.
    struct stat st;
    bool is_dir = ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    Status read = is_dir ? OkStatus() : ReadFileLines(path, add_line);
    if (!read.ok()) {
      Out(out);
      std::string why = Reason(read, path);
      if (io.style == Style::kSshKeygen) return io.Fatal("ssh-keygen: " + path + ": " + why);
      return io.Fatal(path + ": " + why);
    }
  }
  const formats::ScanResult& result = scanner.result();
  if (result.is_private_key) return FingerprintPrivate(io, path, o);
  if (o.json) out = arr.dump(2) + "\n";
  Out(out);
  if (result.keys == 0) {
    for (const std::string& b : bad_lines) io.Error(b);
    return io.Fatal(shown + " is not a public key file.");
  }
  return 0;
}

int PrintPublic(const Io& io, const std::string& path, const std::optional<std::string>& passphrase) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return io.Fatal(path + ": " + ErrnoText(errno));
  PrivateLoad loaded = LoadPrivate(io, path, "");
  if (!loaded.key) {
    if (loaded.error != PrivateKeyError::kWrongPassphrase)
      return io.Fatal("Load key \"" + path + "\": " + loaded.error_text);
    std::string pass = passphrase ? *passphrase : ReadPassphrase("Enter passphrase: ");
    loaded = LoadPrivate(io, path, pass);
    SecureWipe(pass.data(), pass.size());
    if (!loaded.key) return io.Fatal("Load key \"" + path + "\": " + loaded.error_text);
  }
  Out(formats::FormatPublicKey(loaded.key->key.public_key(), loaded.key->comment) + "\n");
  return 0;
}

int ChangePassphrase(const Io& io, const std::string& path, const ChangePassphraseOptions& o) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return io.Fatal(path + ": " + ErrnoText(errno));
  PrivateLoad loaded = LoadPrivate(io, path, "");
  if (!loaded.key && loaded.error == PrivateKeyError::kWrongPassphrase) {
    std::string old = o.old_passphrase ? *o.old_passphrase : ReadPassphrase("Enter old passphrase: ");
    loaded = LoadPrivate(io, path, old);
    SecureWipe(old.data(), old.size());
  }
  if (!loaded.key) return io.Fatal("Failed to load key " + path + ": " + loaded.error_text);
  if (loaded.key->format == formats::PrivateKeyFormat::kOpenssh)
    Out(SafeText("Key has comment '" + loaded.key->comment + "'\n"));

  std::string pass1;
  if (o.new_passphrase) {
    pass1 = *o.new_passphrase;
  } else {
    pass1 = ReadPassphrase("Enter new passphrase (empty for no passphrase): ");
    std::string pass2 = ReadPassphrase("Enter same passphrase again: ");
    bool same = pass1 == pass2;
    SecureWipe(pass2.data(), pass2.size());
    if (!same) {
      SecureWipe(pass1.data(), pass1.size());
      Out("Pass phrases do not match.  Try again.\n");
      return 1;
    }
  }
  SecretBytes secret(pass1);
  SecureWipe(pass1.data(), pass1.size());
  auto text = formats::WriteOpensshPrivateKey(loaded.key->key, loaded.key->comment, secret.span(), o.write,
                                              crypto::SystemRng::Get());
  Status s = text.ok() ? WriteFileAtomic(path, *text, {.mode = 0600}) : text.status();
  if (text.ok()) SecureWipe(text->data(), text->size());
  if (!s.ok()) {
    io.Error("Saving key \"" + path + "\" failed: " + Reason(s, path));
    return 1;
  }
  Out("Your identification has been saved with the new passphrase.\n");
  return 0;
}

std::optional<KeyType> KeyTypeFromToolName(const std::string& name, int* bits) {
  // sshkey_type_from_name(): full names, or plain short names in any case.
  if (strcasecmp(name.c_str(), "ecdsa") == 0) return KeyType::kEcdsaP256;  // the curve follows -b
  if (strcasecmp(name.c_str(), "ecdsa-sk") == 0) return KeyType::kSkEcdsaP256;
  std::optional<KeyType> t = formats::KeyTypeFromBlobName(name);
  // type_bits_valid(): a full ECDSA name implies its curve when -b is unset.
  if (t && formats::IsEcdsa(*t) && *t != KeyType::kSkEcdsaP256 && bits && *bits == 0)
    *bits = crypto::EcBits(formats::CurveOf(*t));
  return t;
}

namespace {

std::string DefaultComment() {
  std::string user = "root";
  if (passwd* pw = ::getpwuid(::getuid())) user = pw->pw_name;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return user + "@" + host;
}

std::string DefaultKeyPath(KeyType type) {
  const char* home = std::getenv("HOME");
  std::string dir;
  if (passwd* pw = ::getpwuid(::getuid())) dir = pw->pw_dir;
  else if (home) dir = home;
  const char* name = "id_rsa";
  switch (type) {
    case KeyType::kEd25519: name = "id_ed25519"; break;
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521: name = "id_ecdsa"; break;
    case KeyType::kDsa: name = "id_dsa"; break;
    case KeyType::kSkEd25519: name = "id_ed25519_sk"; break;
    case KeyType::kSkEcdsaP256: name = "id_ecdsa_sk"; break;
    default: break;
  }
  return dir + "/.ssh/" + name;
}

// hostfile_create_user_ssh_dir(): a key saved directly in a missing ~/.ssh
// gets that directory (0700).
void CreateUserSshDir(const Io& io, const std::string& path, bool notify) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return;
  passwd* pw = ::getpwuid(::getuid());
  if (pw == nullptr) return;
  std::string dot_ssh = std::string(pw->pw_dir) + "/.ssh";
  if (path.compare(0, slash, dot_ssh) != 0 || slash != dot_ssh.size()) return;
  struct stat st;
  if (::stat(dot_ssh.c_str(), &st) == 0) return;
  if (errno != ENOENT) {
    io.Error("Could not stat " + dot_ssh + ": " + ErrnoText(errno));
  } else if (::mkdir(dot_ssh.c_str(), 0700) != 0) {
    io.Error("Could not create directory '" + dot_ssh + "' (" + ErrnoText(errno) + ").");
  } else if (notify) {
    io.Error("Created directory '" + dot_ssh + "'.");
  }
}

}  // namespace

int Keygen(const Io& io, const KeygenOptions& o) {
  bool compat = io.style == Style::kSshKeygen;
  int bits = o.bits;
  std::optional<KeyType> type = KeyTypeFromToolName(o.type_name, &bits);
  if (!type) return io.Fatal("unknown key type " + o.type_name);
  if (bits == 0) {
    if (*type == KeyType::kRsa) bits = formats::kDefaultRsaBits;
    if (*type == KeyType::kDsa) bits = 1024;
    if (formats::IsEcdsa(*type)) bits = 256;
  }
  switch (*type) {
    case KeyType::kRsa:
      if (bits < crypto::kRsaMinBits)
        return io.Fatal("Invalid RSA key length: minimum is " + std::to_string(crypto::kRsaMinBits) + " bits");
      if (bits > crypto::kRsaMaxBits)
        return io.Fatal("Invalid RSA key length: maximum is " + std::to_string(crypto::kRsaMaxBits) + " bits");
      break;
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521:
      if (bits != 256 && bits != 384 && bits != 521)
        return io.Fatal("Invalid ECDSA key length: valid lengths are 256, 384 or 521 bits");
      type = formats::EcdsaKeyType(bits == 256 ? crypto::EcCurve::kP256
                                   : bits == 384 ? crypto::EcCurve::kP384
                                                 : crypto::EcCurve::kP521);
      break;
    case KeyType::kDsa:
      if (bits != 1024) return io.Fatal("Invalid DSA key length: must be 1024 bits");
      break;
    default:
      break;
  }
  if (!formats::GetKeyTypeInfo(*type).full_support)
    return io.Fatal("keyward cannot generate " + std::string(formats::GetKeyTypeInfo(*type).ssh_name) + " keys");

  if (!o.quiet && compat) Out("Generating public/private " + o.type_name + " key pair.\n");
  auto key = formats::PrivateKey::Generate(*type, *type == KeyType::kRsa ? bits : 0, crypto::SystemRng::Get());
  if (!key.ok()) return io.Fatal("key generation failed: " + key.status().message());

  std::string path;
  if (o.path) {
    path = *o.path;
  } else {
    if (!compat) return io.Fatal("no output file given (-f PATH)");
    path = DefaultKeyPath(*type);
    Out("Enter file in which to save the key (" + path + "): ");
    std::string answer;
    if (!ReadStdinLine(&answer)) return 1;
    if (!answer.empty()) path = answer;
  }
  std::string pub_path = path + ".pub";
  CreateUserSshDir(io, path, !o.quiet && compat);

  struct stat st;
  bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists) {
    if (!compat && !o.force) return io.Fatal(path + " already exists (use --force to replace it)");
    if (compat) {
      Out(path + " already exists.\nOverwrite (y/n)? ");
      std::string answer;
      if (!ReadStdinLine(&answer, 2) || (answer[0] != 'y' && answer[0] != 'Y')) return 1;
    }
  }
  if (!compat && !o.force && ::stat(pub_path.c_str(), &st) == 0)
    return io.Fatal(pub_path + " already exists (use --force to replace it)");

  std::string passphrase;
  if (o.passphrase) {
    passphrase = *o.passphrase;
  } else {
    for (;;) {
      passphrase = ReadPassphrase("Enter passphrase (empty for no passphrase): ");
      std::string again = ReadPassphrase("Enter same passphrase again: ");
      bool same = passphrase == again;
      SecureWipe(again.data(), again.size());
      if (same) break;
      Out("Passphrases do not match.  Try again.\n");
    }
  }
  std::string comment = o.comment ? *o.comment : DefaultComment();
  if (comment.size() > 1023) comment.resize(1023);  // ssh-keygen's comment buffer

  SecretBytes secret(passphrase);
  SecureWipe(passphrase.data(), passphrase.size());
  auto text = formats::WriteOpensshPrivateKey(*key, comment, secret.span(), o.write, crypto::SystemRng::Get());
  if (!text.ok()) return io.Fatal("Saving key \"" + path + "\" failed: " + text.status().message());
  // Native mode never replaces a file it was not told to (link(2) fails if
  // one appeared meanwhile); both write atomically, private key first.
  bool no_replace = !compat && !o.force;
  Status s = WriteFileAtomic(path, *text, {.mode = 0600, .no_replace = no_replace});
  SecureWipe(text->data(), text->size());
  if (!s.ok()) {
    io.Error("Saving key \"" + path + "\" failed: " + Reason(s, path));
    return 1;
  }
  if (!o.quiet && compat) Out("Your identification has been saved in " + path + "\n");
  const PublicKey& pub = key->public_key();
  // As sshkey_save_public(): " comment" follows the key even when empty.
  s = WriteFileAtomic(pub_path, formats::FormatPublicKey(pub) + " " + comment + "\n",
                      {.mode = 0644, .no_replace = no_replace});
  if (!s.ok()) {
    ::unlink(path.c_str());  // no private key without its public half
    return io.Fatal("Unable to save public key to " + pub_path + ": " + s.message());
  }
  if (!o.quiet) {
    std::string out;
    if (compat) {
      out += "Your public key has been saved in " + pub_path + "\n";
    } else {
      out += "Wrote " + path + " (private, 0600) and " + pub_path + " (public, 0644)\n";
    }
    out += "The key fingerprint is:\n";
    out += formats::Fingerprint(pub) + " " + comment + "\n";
    out += "The key's randomart image is:\n";
    out += formats::Randomart(pub) + "\n";
    Out(out);
  }
  return 0;
}

std::optional<formats::LoadedPrivateKey> LoadIdentity(const Io& io, const std::string& path,
                                                      const std::optional<std::string>& passphrase, int* exit_code,
                                                      const std::string& not_found_message) {
  PrivateLoad loaded = LoadPrivate(io, path, "");
  if (!loaded.key && loaded.error != PrivateKeyError::kWrongPassphrase && !not_found_message.empty()) {
    *exit_code = io.Fatal(not_found_message);
    return std::nullopt;
  }
  if (!loaded.key && loaded.error == PrivateKeyError::kWrongPassphrase) {
    std::string pass = passphrase ? *passphrase : ReadPassphrase("Enter passphrase: ");
    loaded = LoadPrivate(io, path, pass);
    SecureWipe(pass.data(), pass.size());
  }
  if (!loaded.key) {
    *exit_code = io.Fatal("Load key \"" + path + "\": " + loaded.error_text);
    return std::nullopt;
  }
  return std::move(loaded.key);
}

}  // namespace kw::cli
