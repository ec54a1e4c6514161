// keyward krl build | query | show, and the KRL operations behind
// `keyward ssh-keygen -k` and `-Q`.
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "base/clock.h"
#include "base/file.h"
#include "cli/commands.h"
#include "cli/key_load.h"
#include "cli/output.h"
#include "cli/pki_ops.h"
#include "formats/krl.h"

namespace kw::cli {

using formats::Krl;

namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

std::string ReadAllStdin() {
  std::string text;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(0, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  return text;
}

// load_krl(): the whole file, parsed (signatures, if any, verified).
std::optional<Krl> LoadKrl(const Io& io, const std::string& path, int* rc) {
  auto data = ReadFile(path);
  if (!data.ok()) {
    std::string why = data.status().message();
    if (why.rfind(path + ": ", 0) == 0) why.erase(0, path.size() + 2);
    *rc = io.Fatal("Unable to load KRL " + path + ": " + why);
    return std::nullopt;
  }
  formats::SshErr err = formats::SshErr::kNone;
  auto krl = Krl::Parse(AsBytes(*data), &err);
  if (!krl.ok()) {
    *rc = io.Fatal("Invalid KRL file " + path + ": " +
                   (io.style == Style::kSshKeygen ? std::string(formats::SshErrText(err)) : krl.status().message()));
    return std::nullopt;
  }
  return std::move(*krl);
}

}  // namespace

namespace {

int KrlBuildImpl(const Io& io, const KrlBuildOptions& o, const formats::KrlWriteOptions& write) {
  struct stat st;
  bool exists = ::stat(o.krl_path.c_str(), &st) == 0;
  if (!exists) {
    if (errno != ENOENT) return io.Fatal("Cannot access KRL \"" + o.krl_path + "\": " + ErrnoText(errno));
    if (o.update) return io.Fatal("KRL \"" + o.krl_path + "\" does not exist");
  }
  std::optional<formats::PublicKey> ca;
  bool wildcard = false;
  if (o.ca_path) {
    if (strcasecmp(o.ca_path->c_str(), "none") == 0) {
      wildcard = true;
    } else {
      auto loaded = LoadPublic(*o.ca_path);
      if (!loaded.ok()) return io.Fatal("Cannot load CA public key " + *o.ca_path + ": " + loaded.status().message());
      ca = loaded->key.plain();
    }
  }
  Krl krl;
  if (o.update) {
    int rc = 0;
    std::optional<Krl> old = LoadKrl(io, o.krl_path, &rc);
    if (!old) return rc;
    krl = std::move(*old);
  }
  if (o.version != 0) krl.set_version(o.version);
  if (o.comment) krl.set_comment(*o.comment);
  std::string out;  // ssh-keygen's buffered stdout
  for (const std::string& spec : o.specs) {
    std::string shown = spec == "-" ? "(standard input)" : spec;
    std::string text;
    if (spec == "-") {
      text = ReadAllStdin();
    } else {
      auto r = ReadFile(spec);
      if (!r.ok()) {
        OutBeforeFatal(io, out);
        return io.Fatal("fopen " + r.status().message());
      }
      text = std::move(*r);
    }
    if (!o.quiet) out += "Revoking from " + shown + "\n";
    if (Status s = formats::ApplyKrlSpec(&krl, text, shown, ca ? &*ca : nullptr, wildcard); !s.ok()) {
      OutBeforeFatal(io, out);
      return io.Fatal(s.message());
    }
  }
  auto blob = krl.Serialize(SystemClock::Get().NowUnix(), write);
  if (!blob.ok()) {
    OutBeforeFatal(io, out);
    return io.Fatal("Couldn't generate KRL");
  }
  mode_t mode = 0644;
  if (exists) {
    mode = st.st_mode & 07777;
  } else {
    mode_t mask = ::umask(0);
    ::umask(mask);
    mode &= ~mask;
  }
  if (Status s = WriteFileAtomic(o.krl_path, AsChars(*blob), {.mode = mode}); !s.ok()) {
    OutBeforeFatal(io, out);
    return io.Fatal("write " + o.krl_path + ": " + s.message());
  }
  Out(out);
  return 0;
}

}  // namespace

int KrlBuild(const Io& io, const KrlBuildOptions& o) {
  // keyward ssh-keygen writes what ssh-keygen writes, even a bitmap that
  // OpenSSH cannot read back.
  return KrlBuildImpl(io, o, formats::KrlWriteOptions{});
}

namespace {

int KrlQueryImpl(const Io& io, const std::string& krl_path, bool print, const std::vector<std::string>& keys,
                 bool explain) {
  int rc = 0;
  std::optional<Krl> krl = LoadKrl(io, krl_path, &rc);
  if (!krl) return rc;
  std::string out;  // ssh-keygen's buffered stdout
  if (print) {
    std::vector<std::string> errors;
    out += krl->Dump(LocalZone(), [](std::string_view s) { return SafeText(s); }, &errors);
    for (const std::string& e : errors) io.Error(e);
  }
  int ret = 0;
  for (const std::string& path : keys) {
    auto loaded = LoadPublic(path);
    if (!loaded.ok()) {
      OutBeforeFatal(io, out);
      return io.Fatal("Cannot load public key " + path + ": " + loaded.status().message());
    }
    formats::KrlCheckResult r = krl->Check(loaded->key);
    std::string line = path;
    if (!loaded->comment.empty()) line += " (" + loaded->comment + ")";
    line += r.revoked() ? ": REVOKED" : ": ok";
    if (explain && r.revoked()) {
      line += " (" + std::string(formats::KrlHitName(r.hit)) + (r.via_ca_key ? " of the CA key" : "") +
              (r.wildcard_ca ? ", any CA" : "") + ")";
    }
    out += line + "\n";
    if (r.revoked()) ret = 1;
  }
  Out(out);
  return ret;
}

}  // namespace

int KrlQuery(const Io& io, const std::string& krl_path, bool print, const std::vector<std::string>& keys) {
  return KrlQueryImpl(io, krl_path, print, keys, false);
}

// ---------------------------------------------------------------------------
// keyward krl ...

namespace {

struct KrlArgs {
  std::string file;
  std::string ca;
  uint64_t version = 0;
  std::optional<std::string> comment;
  bool update = false, quiet = false, exact = false, explain = false;
  std::vector<std::string> inputs;
};

}  // namespace

void AddKrlCommands(CLI::App& app, int* rc) {
  auto a = std::make_shared<KrlArgs>();
  CLI::App* krl = app.add_subcommand("krl", "OpenSSH key revocation lists: build, query, show");
  krl->require_subcommand(1);

  CLI::App* build = krl->add_subcommand(
      "build", "Write a KRL from ssh-keygen -k spec files (serial:, id:, key:, sha1:, sha256:, hash:, key lines) "
               "or public key files, byte for byte as ssh-keygen -k does");
  build->add_option("-f,--file", a->file, "KRL file to write")->required();
  build->add_option("-s,--ca", a->ca, "CA public key for serial: and id: lines (\"none\": any CA)");
  build->add_option("-z,--version", a->version, "KRL version number");
  build->add_option("-C,--comment", a->comment, "KRL comment");
  build->add_flag("-u,--update", a->update, "Add to the existing KRL instead of starting afresh");
  build->add_flag("-q,--quiet", a->quiet, "Do not print \"Revoking from FILE\"");
  build->add_flag("--exact", a->exact,
                  "Never split serial bitmaps: ssh-keygen's bytes even where OpenSSH 9.2 cannot read them back "
                  "(by default bitmaps over 16384 bits are split so that sshd can load the KRL)");
  build->add_option("SPEC", a->inputs, "Spec or public key files (- for standard input)")->required();
  build->callback([a, rc] {
    KrlBuildOptions o;
    o.krl_path = a->file;
    o.update = a->update;
    if (!a->ca.empty()) o.ca_path = a->ca;
    o.version = a->version;
    o.comment = a->comment;
    o.quiet = a->quiet;
    o.specs = a->inputs;
    formats::KrlWriteOptions w;
    w.split_large_bitmaps = !a->exact;
    *rc = KrlBuildImpl(Io{Style::kNative}, o, w);
  });

  CLI::App* query = krl->add_subcommand(
      "query", "Is each key or certificate revoked? \"FILE (comment): ok|REVOKED\" as ssh-keygen -Q; "
               "exit 1 if any is revoked");
  query->add_option("-f,--file", a->file, "KRL file")->required();
  query->add_flag("-v,--why", a->explain, "Say which section revoked it");
  query->add_option("KEY", a->inputs, "Public key or certificate files")->required();
  query->callback([a, rc] { *rc = KrlQueryImpl(Io{Style::kNative}, a->file, false, a->inputs, a->explain); });

  CLI::App* show = krl->add_subcommand("show", "List a KRL's contents as ssh-keygen -Q -l does");
  show->add_option("-f,--file", a->file, "KRL file")->required();
  show->callback([a, rc] { *rc = KrlQueryImpl(Io{Style::kNative}, a->file, true, {}, false); });
}

}  // namespace kw::cli
