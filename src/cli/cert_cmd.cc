// keyward cert sign | show | verify, and the certificate operations behind
// `keyward ssh-keygen -s` and `-L`.
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>

#include "base/clock.h"
#include "base/file.h"
#include "base/settings.h"
#include "cli/commands.h"
#include "cli/key_load.h"
#include "cli/output.h"
#include "cli/pki_ops.h"
#include "crypto/random.h"
#include "formats/certificate.h"
#include "formats/fingerprint.h"
#include "formats/key_scan.h"
#include "formats/signer.h"
#include "wire/base64.h"

namespace kw::cli {

using formats::CertFields;
using formats::Certificate;
using formats::CertType;
using formats::CivilTime;
using formats::KeyOrCert;
using formats::PublicKey;

namespace {

class SystemZone final : public formats::TimeZone {
 public:
  std::optional<CivilTime> ToCivil(int64_t t) const override {
    time_t tt = static_cast<time_t>(t);
    struct tm tm;
    if (::localtime_r(&tt, &tm) == nullptr) return std::nullopt;
    CivilTime c;
    c.year = int64_t{tm.tm_year} + 1900;
    c.month = tm.tm_mon + 1;
    c.day = tm.tm_mday;
    c.hour = tm.tm_hour;
    c.minute = tm.tm_min;
    c.second = tm.tm_sec;
    return c;
  }
  std::optional<int64_t> FromCivil(const CivilTime& c) const override {
    struct tm tm;
    std::memset(&tm, 0, sizeof tm);
    tm.tm_year = static_cast<int>(c.year - 1900);
    tm.tm_mon = static_cast<int>(c.month - 1);
    tm.tm_mday = static_cast<int>(c.day);
    tm.tm_hour = static_cast<int>(c.hour);
    tm.tm_min = static_cast<int>(c.minute);
    tm.tm_sec = static_cast<int>(c.second);
    tm.tm_isdst = 0;  // as OpenSSH's parse_absolute_time (memset)
    time_t t = ::mktime(&tm);
    if (t == static_cast<time_t>(-1)) return std::nullopt;
    return static_cast<int64_t>(t);
  }
};

std::string ErrnoText(int err) { return std::strerror(err); }

// sshkey_type_from_name() for ssh-keygen -t: exact names (plain, signature
// aliases, certificates) and short names in any case.
std::optional<formats::KeyType> KeyTypeFromAnyName(const std::string& name) {
  if (auto t = formats::KeyTypeFromBlobName(name)) return t;
  if (auto t = formats::KeyTypeFromCertName(name)) return t;
  if (strcasecmp(name.c_str(), "ECDSA") == 0) return formats::KeyType::kEcdsaP256;
  return std::nullopt;
}

bool SameFamily(formats::KeyType a, formats::KeyType b) {
  return a == b || (formats::IsEcdsa(a) && formats::IsEcdsa(b) &&
                    (a == formats::KeyType::kSkEcdsaP256) == (b == formats::KeyType::kSkEcdsaP256));
}

}  // namespace

void OutBeforeFatal(const Io& io, const std::string& text) {
  if (io.style == Style::kSshKeygen && !::isatty(1)) return;
  Out(text);
}

const formats::TimeZone& LocalZone() {
  static const SystemZone zone;
  return zone;
}

int CertSign(const Io& io, const CertSignOptions& o) {
  if (!o.key_id) return io.Fatal("Must specify key id (-I) when certifying");
  CertFields fields;
  fields.type = o.host ? CertType::kHost : CertType::kUser;
  formats::CertOptionsBuilder options(fields.type);
  for (const std::string& opt : o.options) {
    std::vector<std::string> notes;
    Status s = options.Add(opt, &notes);
    for (const std::string& n : notes) io.Error(n);
    if (!s.ok()) return io.Fatal(s.message());
  }
  options.Finish(&fields);
  fields.key_id = *o.key_id;
  fields.valid_after = o.validity.valid_after;
  fields.valid_before = o.validity.valid_before;

  int rc = 0;
  std::optional<formats::LoadedPrivateKey> ca = LoadIdentity(io, o.ca_path, o.passphrase, &rc);
  if (!ca) return rc;
  const PublicKey& ca_pub = ca->key.public_key();
  std::string algorithm;
  if (o.algorithm) {
    std::optional<formats::KeyType> t = KeyTypeFromAnyName(*o.algorithm);
    if (!t || !SameFamily(*t, ca_pub.type()))
      return io.Fatal("CA key type " + std::string(ca_pub.ssh_name()) + " doesn't match specified " + *o.algorithm);
    algorithm = *o.algorithm;
  } else if (ca_pub.type() == formats::KeyType::kRsa) {
    algorithm = "rsa-sha2-512";
  }

  uint64_t serial = o.serial;
  for (const std::string& path : o.keys) {
    fields.principals.clear();
    if (o.principals) {
      size_t pos = 0;
      while (true) {
        size_t comma = o.principals->find(',', pos);
        std::string p = o.principals->substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        if (p.empty()) return io.Fatal("Empty principal name");
        fields.principals.push_back(std::move(p));
        if (comma == std::string::npos) break;
        pos = comma + 1;
      }
    }
    if (fields.principals.size() > formats::kMaxCertPrincipals)
      return io.Fatal("Too many certificate principals specified");

    auto loaded = LoadPublic(path);
    if (!loaded.ok()) return io.Fatal("load pubkey \"" + path + "\": " + loaded.status().message());
    if (loaded->key.is_cert()) {
      return io.Fatal(std::string(io.style == Style::kSshKeygen ? "do_ca_sign: " : "") + "key \"" + path +
                      "\" type " + std::string(loaded->key.short_name()) + " cannot be certified");
    }
    // The signature algorithm must be the key's own (ssh-keygen checks the
    // signature it got against what -t asked for).
    auto signer = formats::KeySigner::Create(ca->key, algorithm);
    if (!signer.ok()) {
      const char* why = ca_pub.type() == formats::KeyType::kRsa ? "invalid argument"
                                                                 : "signature algorithm not supported";
      if (signer.status().code() == StatusCode::kUnimplemented) why = "unknown or unsupported key type";
      return io.Fatal("Couldn't certify key " + path + ": " + why);
    }
    fields.serial = serial;
    auto cert = formats::SignCertificate(loaded->key.plain(), fields, *signer, crypto::SystemRng::Get());
    if (!cert.ok()) return io.Fatal("Couldn't certify key " + path + ": " + cert.status().message());

    std::string out = path;
    if (out.size() >= 4 && out.compare(out.size() - 4, 4, ".pub") == 0) out.resize(out.size() - 4);
    out += "-cert.pub";
    std::string line = formats::FormatKeyOrCert(KeyOrCert(*cert)) + " " + loaded->comment + "\n";
    // Like sshkey_save_public: a new file is 0644 less the umask; an
    // existing one keeps its mode.
    mode_t mode;
    struct stat st;
    if (::stat(out.c_str(), &st) == 0) {
      mode = st.st_mode & 07777;
    } else {
      mode_t mask = ::umask(0);
      ::umask(mask);
      mode = 0644 & ~mask;
    }
    if (Status s = WriteFileAtomic(out, line, {.mode = mode}); !s.ok())
      return io.Fatal("Unable to save public key to " + out + ": " + s.message());
    if (!o.quiet) {
      io.Error("Signed " + std::string(formats::CertTypeName(fields.type)) + " key " + out + ": id \"" +
               fields.key_id + "\" serial " + std::to_string(fields.serial) +
               (o.principals ? " for " + *o.principals : std::string()) + " valid " +
               formats::FormatValidity(fields.valid_after, fields.valid_before, LocalZone()));
    }
    if (o.serial_autoinc) ++serial;
  }
  return 0;
}

int ShowCert(const Io& io, const std::string& path, crypto::HashAlg hash) {
  bool from_stdin = path == "-";
  std::string text;
  if (from_stdin) {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(0, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  } else {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      std::string why = ErrnoText(errno);
      if (io.style == Style::kSshKeygen) return io.Fatal("ssh-keygen: " + path + ": " + why);
      return io.Fatal(path + ": " + why);
    }
    auto r = ReadFile(path);
    if (!r.ok()) return io.Fatal("fopen " + r.status().message());
    text = std::move(*r);
  }
  const std::string shown = from_stdin ? "(stdin)" : path;
  bool ok = false;
  std::string out;
  size_t lnum = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string::npos ? text.size() : nl + 1;
    std::string_view line(text.data() + pos, end - pos);
    pos = end;
    ++lnum;
    line = line.substr(0, line.find('\0'));
    size_t cp = line.find_first_not_of(" \t");
    if (cp == std::string_view::npos) cp = line.size();
    if (cp == line.size() || line[cp] == '#') continue;
    // sshkey_read sees "\n" (and "\r") at the end of the blob as blank space.
    std::string_view trimmed = line.substr(cp);
    trimmed = TrimLineBreaks(trimmed);
    formats::SshErr err = formats::SshErr::kNone;
    auto parsed = formats::ParseKeyOrCertText(trimmed, &err);
    std::string where = shown + ":" + std::to_string(lnum);
    if (!parsed.ok()) {
      Out(out);
      out.clear();
      if (io.style == Style::kSshKeygen) {
        io.Error(where + ": invalid key: " + std::string(formats::SshErrText(err)));
      } else {
        io.Error(where + ": " + parsed.status().message());
      }
      continue;
    }
    if (!parsed->key.is_cert()) {
      Out(out);
      out.clear();
      io.Error(where + " is not a certificate");
      continue;
    }
    ok = true;
    out += (!from_stdin && lnum == 1) ? shown + ":\n" : where + ":\n";
    std::string fatal;
    out += formats::DescribeCertificate(parsed->key.cert(), hash, LocalZone(), &fatal);
    if (!fatal.empty()) {
      OutBeforeFatal(io, out);
      return io.Fatal(fatal);
    }
  }
  Out(out);
  return ok ? 0 : 1;
}

// ---------------------------------------------------------------------------
// keyward cert ...

namespace {

struct CertArgs {
  // sign
  std::string ca;
  bool host = false;
  std::string key_id;
  std::string principals;
  std::string validity;
  std::vector<std::string> options;
  std::string serial;
  std::string algorithm;
  std::optional<std::string> passphrase;
  bool quiet = false;
  std::vector<std::string> keys;
  // show
  std::string file;
  std::string hash = "sha256";
  // verify
  std::vector<std::string> cas;
  std::optional<std::string> principal, from, at;
  bool json = false;
};

// "--at": YYYYMMDD[HHMM[SS]][Z] (local time unless Z), or "@SECONDS".
std::optional<uint64_t> ParseAt(const std::string& s) {
  if (!s.empty() && s[0] == '@') {
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(s.c_str() + 1, &end, 10);
    if (s.size() == 1 || *end != '\0' || errno != 0) return std::nullopt;
    return v;
  }
  return formats::ParseAbsoluteTime(s, LocalZone());
}

// Every key line of each file (TrustedUserCAKeys style).
bool LoadTrustedKeys(const Io& io, const std::vector<std::string>& paths, std::vector<PublicKey>* out, int* rc) {
  for (const std::string& p : paths) {
    auto text = ReadFile(p);
    if (!text.ok()) {
      *rc = io.Fatal(text.status().message());
      return false;
    }
    formats::ScanOptions so;
    so.detect_private_key = false;
    formats::ScanKeyLines(*text, so, [&](size_t, const PublicKey& k, const char*) { out->push_back(k); });
  }
  if (out->empty()) {
    *rc = io.Fatal("no CA keys found in " + paths.front());
    return false;
  }
  return true;
}

std::string JsonEscape(std::string_view s) {
  std::string o = "\"";
  for (char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          o += b;
        } else {
          o += c;
        }
    }
  }
  return o + "\"";
}

int CertVerifyCommand(const Io& io, const CertArgs& a) {
  int rc = 1;
  std::vector<PublicKey> cas;
  if (!LoadTrustedKeys(io, a.cas, &cas, &rc)) return rc;
  uint64_t now = static_cast<uint64_t>(SystemClock::Get().NowUnix());
  if (a.at) {
    std::optional<uint64_t> t = ParseAt(*a.at);
    if (!t) return io.Fatal("invalid --at time \"" + *a.at + "\" (YYYYMMDD[HHMM[SS]][Z] or @SECONDS)");
    now = *t;
  }
  auto text = ReadFile(a.file);
  if (!text.ok()) return io.Fatal(text.status().message());
  // The first non-comment line; the certificate is parsed without checking
  // its signature so that a bad one is reported as such.
  std::string_view rest = *text;
  std::optional<Certificate> cert;
  std::string why = "no certificate found";
  while (!rest.empty() && !cert) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    size_t s = line.find_first_not_of(" \t");
    if (s == std::string_view::npos || line[s] == '#') continue;
    line = line.substr(s);
    while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t sp = line.find_first_of(" \t");
    std::string_view type = line.substr(0, sp);
    if (!formats::KeyTypeFromCertName(type)) {
      why = "not a certificate";
      break;
    }
    std::string_view b64 = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    b64 = b64.substr(b64.find_first_not_of(" \t") == std::string_view::npos ? b64.size()
                                                                            : b64.find_first_not_of(" \t"));
    b64 = b64.substr(0, b64.find_first_of(" \t"));
    Bytes blob;
    if (!wire::Base64DecodeTo(b64, &blob)) {
      why = "base64 does not decode";
      break;
    }
    auto c = Certificate::ParseUnverified(blob);
    if (!c.ok()) {
      why = c.status().message();
      break;
    }
    cert.emplace(std::move(*c));
  }
  if (!cert) return io.Fatal(a.file + ": " + why);
  formats::CertVerifyRequest req;
  req.trusted_cas = cas;
  req.host = cert->type() == CertType::kHost;
  req.principal = a.principal;
  req.client_address = a.from;
  req.now = now;
  formats::CertVerdict v = formats::VerifyCertificate(*cert, req);
  if (a.json) {
    std::string j = "{\"ok\": " + std::string(v.ok() ? "true" : "false") +
                    ", \"result\": " + JsonEscape(formats::CertFailureName(v.failure)) +
                    ", \"reason\": " + JsonEscape(v.reason) + ", \"key_id\": " + JsonEscape(cert->key_id()) +
                    ", \"serial\": " + std::to_string(cert->serial()) + "}\n";
    Out(j);
  } else if (v.ok()) {
    Out(a.file + ": ok: " + std::string(formats::CertTypeName(cert->type())) + " certificate \"" +
        SafeText(cert->key_id()) + "\" serial " + std::to_string(cert->serial()) +
        (v.force_command ? ", force-command " + SafeText(*v.force_command) : std::string()) + "\n");
  } else {
    Out(a.file + ": " + std::string(formats::CertFailureName(v.failure)) + ": " + SafeText(v.reason) + "\n");
  }
  return v.ok() ? 0 : 1;
}

}  // namespace

void AddCertCommands(CLI::App& app, int* rc) {
  auto a = std::make_shared<CertArgs>();
  CLI::App* cert = app.add_subcommand("cert", "OpenSSH certificates: sign, show, verify");
  cert->require_subcommand(1);

  CLI::App* sign = cert->add_subcommand("sign", "Certify public keys with a CA key; writes KEY-cert.pub");
  sign->set_help_flag("--help", "Print this help message and exit");  // -h means a host certificate here
  sign->add_option("-s,--ca", a->ca, "CA private key")->required();
  sign->add_flag("-h,--host", a->host, "Host certificate (default: user)");
  sign->add_option("-I,--id", a->key_id, "Key identity")->required();
  sign->add_option("-n,--principals", a->principals, "Principals, comma-separated");
  sign->add_option("-V,--validity", a->validity,
                   "Validity as ssh-keygen -V: +1h, -5m:+1d, 20240101:20250101, always:forever (Z = UTC)");
  sign->add_option("-O,--option", a->options,
                   "Certificate option as ssh-keygen -O (clear, no-pty, force-command=CMD, "
                   "source-address=CIDR, extension:NAME[=VALUE], critical:NAME[=VALUE], ...)");
  sign->add_option("-z,--serial", a->serial, "Serial number (+N: increment per key)");
  sign->add_option("-t,--algorithm", a->algorithm, "Signature algorithm for RSA CAs (rsa-sha2-512, rsa-sha2-256)");
  sign->add_option("-P,--passphrase", a->passphrase, "Passphrase of the CA key");
  sign->add_flag("-q,--quiet", a->quiet, "No \"Signed ...\" message");
  sign->add_option("KEY", a->keys, "Public keys to certify")->required();
  sign->callback([a, rc] {
    Io io{Style::kNative};
    CertSignOptions o;
    o.ca_path = a->ca;
    o.host = a->host;
    o.key_id = a->key_id;
    if (!a->principals.empty()) o.principals = a->principals;
    if (!a->validity.empty()) {
      auto v = formats::ParseValiditySpec(a->validity, SystemClock::Get().NowUnix(), LocalZone());
      if (!v.ok()) {
        *rc = io.Fatal(v.status().message());
        return;
      }
      o.validity = *v;
    }
    o.options = a->options;
    if (!a->serial.empty()) {
      std::string s = a->serial;
      if (s[0] == '+') {
        o.serial_autoinc = true;
        s.erase(0, 1);
      }
      char* end = nullptr;
      errno = 0;
      o.serial = std::strtoull(s.c_str(), &end, 10);
      if (s.empty() || s[0] < '0' || s[0] > '9' || *end != '\0' || errno == ERANGE) {
        *rc = io.Fatal("Invalid serial number \"" + a->serial + "\"");
        return;
      }
    }
    if (!a->algorithm.empty()) o.algorithm = a->algorithm;
    o.passphrase = a->passphrase;
    o.quiet = a->quiet;
    o.keys = a->keys;
    *rc = CertSign(io, o);
  });

  CLI::App* show = cert->add_subcommand("show", "Print a certificate exactly as ssh-keygen -L does");
  show->add_option("FILE", a->file, "Certificate file, or - for standard input")->required();
  show->add_option("-E,--hash", a->hash, "Fingerprint hash: md5 | sha1 | sha256 | sha384 | sha512");
  show->callback([a, rc] {
    Io io{Style::kNative};
    crypto::HashAlg hash;
    if (!crypto::ParseHashName(a->hash, &hash)) {
      *rc = io.Fatal("Invalid hash algorithm \"" + a->hash + "\"");
      return;
    }
    *rc = ShowCert(io, a->file, hash);
  });

  CLI::App* verify = cert->add_subcommand(
      "verify", "Check a certificate as sshd (user) or ssh (host) would: signature, CA, validity, principal, "
                "source-address; exit 0 if good, 1 with the reason if not");
  verify->add_option("--ca", a->cas, "Trusted CA public keys (files; every key line counts)")->required();
  verify->add_option("--principal", a->principal, "User (user certificates) or host name that must be listed");
  verify->add_option("--from", a->from, "Client address, checked against source-address");
  verify->add_option("--at", a->at, "Time to check at: YYYYMMDD[HHMM[SS]][Z] or @UNIXSECONDS (default: now)");
  verify->add_flag("--json", a->json, "JSON: {ok, result, reason, key_id, serial}");
  verify->add_option("CERT", a->file, "Certificate file")->required();
  verify->callback([a, rc] { *rc = CertVerifyCommand(Io{Style::kNative}, *a); });
}

}  // namespace kw::cli
