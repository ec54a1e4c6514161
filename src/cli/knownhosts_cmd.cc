// keyward knownhosts find | hash | remove | add | check | lint
//
// find, hash and remove are ssh-keygen -F, -H and -R (the same output,
// messages and exit codes; writes keep the file's mode and owner). add and
// check give the verdict ssh would reach for a host and a key.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/file.h"
#include "cli/commands.h"
#include "cli/known_hosts_ops.h"
#include "cli/output.h"
#include "crypto/random.h"
#include "formats/fingerprint.h"
#include "formats/host_pattern.h"
#include "formats/known_hosts.h"

namespace kw::cli {
namespace {

struct KhArgs {
  std::string host, keyfile, file, hash = "sha256";
  std::vector<std::string> files;
  bool fingerprint = false, quiet = false, verbose = false, hash_names = false, alias = false, json = false;
  int port = 22;
};

Io Native() { return Io{Style::kNative}; }

std::string Describe(const formats::PublicKey& key) {
  return std::string(key.info().short_name) + " " + formats::Fingerprint(key);
}

std::string DescribeKey(const formats::KeyOrCert& key) {
  return std::string(key.short_name()) + " " + formats::Fingerprint(key.plain());
}

// Exit codes of `check` (and of `add` when it refuses).
constexpr int kExitUnknown = 2;
constexpr int kExitChanged = 3;
constexpr int kExitRevoked = 4;

int VerdictExit(formats::HostKeyVerdict v) {
  switch (v) {
    case formats::HostKeyVerdict::kTrusted: return 0;
    case formats::HostKeyVerdict::kUnknown: return kExitUnknown;
    case formats::HostKeyVerdict::kChanged: return kExitChanged;
    case formats::HostKeyVerdict::kRevoked: return kExitRevoked;
  }
  return 1;
}

struct Query {
  formats::HostKeyQuery q;
  std::optional<formats::KeyOrCert> presented;
  std::string cert_note;
};

// The key a host presents, from KEYFILE: a plain key, or a host certificate
// (then checked as ssh does: its CA against @cert-authority lines).
StatusOr<Query> LoadQuery(const std::string& keyfile, const std::string& host, bool alias, int64_t now) {
  KW_ASSIGN_OR_RETURN(LoadedKeyFile loaded, ReadKeyFile(keyfile));
  Query out{formats::HostKeyQuery{loaded.key.plain(), std::nullopt, false}, loaded.key, ""};
  if (loaded.key.is_cert()) {
    const formats::Certificate& cert = loaded.key.cert();
    if (cert.signature_key()) {
      out.q.ca_key = *cert.signature_key();
      formats::CertVerifyRequest req;
      std::vector<formats::PublicKey> cas = {*cert.signature_key()};
      req.trusted_cas = cas;
      req.host = true;
      req.principal = alias ? host : formats::AsciiLower(host);
      req.now = static_cast<uint64_t>(now);
      formats::CertVerdict v = formats::VerifyCertificate(cert, req);
      out.q.certificate_valid_for_host = v.ok();
      if (!v.ok()) out.cert_note = "certificate not valid for " + host + ": " + v.reason;
    }
  }
  return out;
}

std::string VerdictText(const formats::HostKeyCheck& c, const Query& q, const std::string& host) {
  std::string presented = DescribeKey(*q.presented);
  std::string where = c.path + ":" + std::to_string(c.line);
  switch (c.verdict) {
    case formats::HostKeyVerdict::kTrusted:
      return "trusted: " + host + " presents " + presented + "; " +
             (c.via_certificate ? "its CA is trusted by @cert-authority at " : "known at ") + where +
             (c.via_port_fallback ? " (as " + c.lookup_name + ", without the port)" : "");
    case formats::HostKeyVerdict::kChanged:
      return "changed: " + host + " presents " + presented + ", but " + where + " holds " +
             DescribeKey(*c.offending_key) + " (REMOTE HOST IDENTIFICATION HAS CHANGED)";
    case formats::HostKeyVerdict::kRevoked:
      return "revoked: " + host + " presents " + presented + ", marked @revoked at " + where;
    case formats::HostKeyVerdict::kUnknown:
      return "unknown: no key is known for " + c.lookup_name;
  }
  return "";
}

nlohmann::json VerdictJson(const formats::HostKeyCheck& c, const Query& q, const std::string& host) {
  nlohmann::json j;
  j["host"] = host;
  j["lookup_name"] = c.lookup_name;
  j["verdict"] = std::string(formats::HostKeyVerdictName(c.verdict));
  j["key"] = {{"type", std::string(q.presented->short_name())}, {"fingerprint", formats::Fingerprint(q.q.key)}};
  if (c.line != 0) {
    j["file"] = c.path;
    j["line"] = c.line;
  }
  if (c.offending_key) {
    j["known_key"] = {{"type", std::string(c.offending_key->short_name())},
                      {"fingerprint", formats::Fingerprint(c.offending_key->plain())}};
  }
  j["via_certificate"] = c.via_certificate;
  j["via_port_fallback"] = c.via_port_fallback;
  if (!q.cert_note.empty()) j["certificate_note"] = q.cert_note;
  return j;
}

int RunCheck(const KhArgs& a) {
  Io io = Native();
  std::vector<std::string> paths = a.files;
  if (paths.empty()) paths.push_back(DefaultKnownHostsPath());
  std::vector<std::string> texts;
  for (const std::string& p : paths) {
    StatusOr<std::string> t = ReadFile(p);
    if (!t.ok()) {
      if (t.status().code() == StatusCode::kNotFound) {
        texts.emplace_back();  // ssh treats a missing file as empty
        continue;
      }
      return io.Fatal(t.status().message());
    }
    texts.push_back(std::move(*t));
  }
  std::vector<formats::KnownHostsSource> sources;
  for (size_t i = 0; i < paths.size(); ++i) sources.push_back({paths[i], texts[i]});
  StatusOr<Query> q = LoadQuery(a.keyfile, a.host, a.alias, SystemClock::Get().NowUnix());
  if (!q.ok()) return io.Fatal(q.status().message());
  crypto::HmacSha1 hmac;
  formats::HostKeyCheckOptions opt{a.port, a.alias};
  formats::HostKeyCheck c = formats::CheckHostKey(sources, a.host, q->q, opt, hmac);
  if (a.json) {
    Out(VerdictJson(c, *q, a.host).dump(2) + "\n");
  } else {
    Out(VerdictText(c, *q, a.host) + "\n");
    if (!q->cert_note.empty()) Out("note: " + q->cert_note + "\n");
  }
  return VerdictExit(c.verdict);
}

int RunAdd(const KhArgs& a) {
  Io io = Native();
  std::string path = a.file.empty() ? DefaultKnownHostsPath() : a.file;
  StatusOr<LoadedKeyFile> loaded = ReadKeyFile(a.keyfile);
  if (!loaded.ok()) return io.Fatal(loaded.status().message());
  if (loaded->key.is_cert()) {
    return io.Fatal(a.keyfile + " holds a certificate: trust its CA with a @cert-authority line instead");
  }
  const formats::PublicKey& key = loaded->key.plain();
  std::string text;
  struct stat sb {};
  bool exists = ::stat(path.c_str(), &sb) == 0;
  if (exists) {
    StatusOr<std::string> t = ReadFile(path);
    if (!t.ok()) return io.Fatal(t.status().message());
    text = std::move(*t);
  } else if (errno != ENOENT) {
    return io.Fatal(path + ": " + std::strerror(errno));
  } else if (a.file.empty()) {
    // ssh creates ~/.ssh when it first records a host.
    std::string dir = path.substr(0, path.rfind('/'));
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return io.Fatal(dir + ": " + std::strerror(errno));
  }
  crypto::HmacSha1 hmac;
  std::vector<formats::KnownHostsSource> sources = {{path, text}};
  formats::HostKeyQuery q{key, std::nullopt, false};
  formats::HostKeyCheck c = formats::CheckHostKey(sources, a.host, q, {a.port, false}, hmac);
  Query shown{q, loaded->key, ""};
  switch (c.verdict) {
    case formats::HostKeyVerdict::kTrusted:
      Out("already " + VerdictText(c, shown, a.host) + "\n");
      return 0;
    case formats::HostKeyVerdict::kChanged:
    case formats::HostKeyVerdict::kRevoked:
      io.Error("not adding: " + VerdictText(c, shown, a.host));
      return VerdictExit(c.verdict);
    case formats::HostKeyVerdict::kUnknown: break;
  }
  StatusOr<std::string> line =
      formats::KnownHostsEntryLine(a.host, a.port, key, a.hash_names, crypto::SystemRng::Get(), hmac);
  if (!line.ok()) return io.Fatal(line.status().message());
  formats::KnownHostsFile doc(std::move(text));
  formats::KnownHostsFile::Edits edits;
  edits.append.push_back(*line);
  AtomicWriteOptions wo;
  wo.mode = exists ? (sb.st_mode & 07777) : 0644;
  Status st = WriteFileAtomic(path, doc.Render(edits), wo);
  if (!st.ok()) return io.Fatal(st.message());
  if (exists && (sb.st_uid != ::geteuid() || sb.st_gid != ::getegid())) (void)::chown(path.c_str(), sb.st_uid, sb.st_gid);
  Out("Added " + c.lookup_name + " (" + Describe(key) + ") to " + path + " as line " +
      std::to_string(doc.line_count() + 1) + "\n");
  return 0;
}

int RunLint(const std::string& path) {
  Io io = Native();
  StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return io.Fatal(text.status().message());
  crypto::HmacSha1 hmac;
  std::vector<formats::HostLineProblem> problems = formats::LintKnownHosts(*text, hmac);
  std::string out;
  for (const auto& p : problems) out += SafeText(path + ":" + std::to_string(p.line) + ": " + p.reason) + "\n";
  Out(out);
  return problems.empty() ? 0 : 1;
}

}  // namespace

void AddKnownHostsCommands(CLI::App& app, int* rc) {
  auto a = std::make_shared<KhArgs>();
  CLI::App* kh = app.add_subcommand("knownhosts", "known_hosts files as OpenSSH 9.2 reads them");
  kh->require_subcommand(1);

  CLI::App* find = kh->add_subcommand("find", "Lines for HOST, as ssh-keygen -F prints them (exit 1: none)");
  find->add_option("HOST", a->host, "Host name, or [host]:port")->required();
  find->add_option("-f,--file", a->file, "known_hosts file (default ~/.ssh/known_hosts)");
  find->add_flag("-l,--fingerprint", a->fingerprint, "Print fingerprints instead of lines");
  find->add_option("-E,--hash", a->hash, "Fingerprint hash with -l")->capture_default_str();
  find->add_flag("-v,--randomart", a->verbose, "Randomart with -l");
  find->add_flag("-q,--quiet", a->quiet, "No \"# Host ... found\" lines");
  find->callback([a, rc] {
    KnownHostsOptions o;
    o.name = a->host;
    o.find = true;
    o.print_fingerprint = a->fingerprint;
    o.verbose = a->verbose;
    o.quiet = a->quiet;
    if (!crypto::ParseHashName(a->hash, &o.fingerprint_hash)) {
      *rc = Native().Fatal("unknown hash \"" + a->hash + "\"");
      return;
    }
    if (!a->file.empty()) o.file = a->file;
    o.keep_mode = true;
    *rc = RunKnownHosts(Native(), o);
  });

  CLI::App* hash = kh->add_subcommand(
      "hash", "Hash every host name in place, as ssh-keygen -H (backup FILE.old; refuses files with invalid lines)");
  hash->add_option("-f,--file", a->file, "known_hosts file (default ~/.ssh/known_hosts)");
  hash->callback([a, rc] {
    KnownHostsOptions o;
    o.hash = true;
    if (!a->file.empty()) o.file = a->file;
    o.keep_mode = true;
    *rc = RunKnownHosts(Native(), o);
  });

  CLI::App* remove = kh->add_subcommand(
      "remove", "Remove HOST's lines in place, as ssh-keygen -R (markers kept; backup FILE.old)");
  remove->add_option("HOST", a->host, "Host name, or [host]:port")->required();
  remove->add_option("-f,--file", a->file, "known_hosts file (default ~/.ssh/known_hosts)");
  remove->add_flag("-q,--quiet", a->quiet, "No \"# Host ... found\" lines");
  remove->callback([a, rc] {
    KnownHostsOptions o;
    o.name = a->host;
    o.remove = true;
    o.quiet = a->quiet;
    if (!a->file.empty()) o.file = a->file;
    o.keep_mode = true;
    *rc = RunKnownHosts(Native(), o);
  });

  CLI::App* add = kh->add_subcommand(
      "add", "Record HOST's key as ssh would on first contact (only if ssh finds no key for HOST; "
             "exit 3 changed, 4 revoked)");
  add->add_option("HOST", a->host, "Host name")->required();
  add->add_option("KEYFILE", a->keyfile, "The host's public key (a .pub file, ssh-keyscan line, or -)")->required();
  add->add_option("-f,--file", a->file, "known_hosts file (default ~/.ssh/known_hosts)");
  add->add_option("-p,--port", a->port, "Port (recorded as [host]:port unless 22)")->capture_default_str();
  add->add_flag("--hash", a->hash_names, "Record the name hashed (HashKnownHosts yes)");
  add->callback([a, rc] { *rc = RunAdd(*a); });

  CLI::App* check = kh->add_subcommand(
      "check", "The verdict ssh reaches for HOST presenting KEYFILE: exit 0 trusted, 2 unknown, 3 changed, 4 revoked");
  check->add_option("HOST", a->host, "Host name (or HostKeyAlias with --alias)")->required();
  check->add_option("KEYFILE", a->keyfile, "The key the host presents: .pub, -cert.pub, or -")->required();
  check->add_option("-f,--file", a->files, "known_hosts files, searched in order (default ~/.ssh/known_hosts)");
  check->add_option("-p,--port", a->port, "Port (looked up as [host]:port unless 22)")->capture_default_str();
  check->add_flag("--alias", a->alias, "HOST is a HostKeyAlias: looked up as given");
  check->add_flag("--json", a->json, "JSON: {host, lookup_name, verdict, key, file, line, known_key, ...}");
  check->callback([a, rc] { *rc = RunCheck(*a); });

  CLI::App* lint = kh->add_subcommand("lint", "Every line ssh ignores as invalid, with its number and why");
  lint->add_option("FILE", a->file, "known_hosts file")->required();
  lint->callback([a, rc] { *rc = RunLint(a->file); });
}

}  // namespace kw::cli
