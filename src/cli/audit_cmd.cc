// keyward audit scan | merge: a key map of every authorized_keys file of a
// host's tree, with what is wrong, and the map of a fleet
// (docs/hosts-and-authorized-keys.md). keyward audit log: the key center's
// audit log (admin_audit.cc).
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "audit/report.h"
#include "audit/scan.h"
#include "base/clock.h"
#include "base/file.h"
#include "cli/admin_cmd.h"
#include "cli/commands.h"
#include "cli/key_ops.h"
#include "cli/output.h"

namespace kw::cli {
namespace {

struct AuditArgs {
  std::string root = "/", passwd, group, host, out;
  std::vector<std::string> patterns;
  std::vector<std::string> reports;
  std::string tree;
  bool json = false, no_strict = false, progress = false, quiet = false, upstream = false;
  int threads = 2;
};

Io Native() { return Io{Style::kNative}; }

std::string DefaultHost(const std::string& root) {
  if (root == "/" || root.empty()) {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) == 0 && buf[0] != '\0') return buf;
    return "localhost";
  }
  std::string r = root;
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return r.substr(r.rfind('/') + 1);
}

std::function<void(uint64_t, uint64_t)> ProgressLine(bool force) {
  if (!force && !::isatty(2)) return nullptr;
  auto last = std::make_shared<int64_t>(0);
  return [last](uint64_t files, uint64_t keys) {
    // Only for large trees: nothing until 1000 files.
    if (files < 1000) return;
    Err("\rscanned " + std::to_string(files) + " files, " + std::to_string(keys) + " keys");
    *last = static_cast<int64_t>(files);
  };
}

StatusOr<audit::Report> ScanOne(const AuditArgs& a, const std::string& root, const std::string& host) {
  audit::ScanOptions o;
  o.root = root;
  o.passwd = a.passwd;
  o.group = a.group;
  o.debian_group_writable = !a.upstream;
  if (!a.patterns.empty()) o.patterns = a.patterns;
  o.host = host.empty() ? DefaultHost(root) : host;
  o.now = SystemClock::Get().NowUnix();
  o.strict_modes = !a.no_strict;
  o.threads = std::max(1, a.threads);
  o.progress = ProgressLine(a.progress);
  StatusOr<audit::Report> r = audit::Scan(o);
  if (o.progress) Err("\n");
  if (!r.ok()) return r.status().WithContext(root);
  return r;
}

int Emit(const AuditArgs& a, const audit::Report& r) {
  std::string text = a.json ? audit::ToJson(r) : SafeText(audit::ToTable(r));
  if (!a.out.empty()) {
    Status st = WriteFileAtomic(a.out, text, {0600, false});
    if (!st.ok()) return Native().Fatal(st.message());
  } else {
    Out(text);
  }
  return 0;
}

int RunScan(const AuditArgs& a) {
  StatusOr<audit::Report> r = ScanOne(a, a.root, a.host);
  if (!r.ok()) return Native().Fatal(r.status().message());
  // The process ends right after: a fleet's map is not freed piece by piece.
  auto* report = new audit::Report(std::move(*r));
  return Emit(a, *report);
}

int RunMerge(const AuditArgs& a) {
  std::vector<audit::Report> reports;
  for (const std::string& path : a.reports) {
    StatusOr<std::string> text = ReadFile(path);
    if (!text.ok()) return Native().Fatal(text.status().message());
    StatusOr<audit::Report> r = audit::FromJson(*text);
    if (!r.ok()) return Native().Fatal(path + ": " + r.status().message());
    reports.push_back(std::move(*r));
  }
  if (!a.tree.empty()) {
    // One directory per host, each a host's root.
    DIR* d = ::opendir(a.tree.c_str());
    if (d == nullptr) return Native().Fatal(a.tree + ": " + std::strerror(errno));
    std::vector<std::string> hosts;
    while (struct dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      struct stat st;
      if (::stat((a.tree + "/" + n).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) hosts.push_back(n);
    }
    ::closedir(d);
    std::sort(hosts.begin(), hosts.end());
    AuditArgs per = a;
    per.passwd.clear();  // each host has its own /etc/passwd and /etc/group
    per.group.clear();
    for (const std::string& h : hosts) {
      StatusOr<audit::Report> r = ScanOne(per, a.tree + "/" + h, h);
      if (!r.ok()) return Native().Fatal(r.status().message());
      reports.push_back(std::move(*r));
    }
  }
  if (reports.empty()) return Native().Fatal("nothing to merge: give scan reports (JSON) or --tree DIR");
  auto* merged = new audit::Report(audit::Merge(reports));  // not freed: see RunScan
  return Emit(a, *merged);
}

}  // namespace

void AddAuditCommands(CLI::App& app, int* rc) {
  auto a = std::make_shared<AuditArgs>();
  CLI::App* au = app.add_subcommand(
      "audit", "Audit authorized_keys across a host or a fleet (docs/hosts-and-authorized-keys.md); the key "
               "center's audit log");
  au->require_subcommand(1);

  CLI::App* scan = au->add_subcommand(
      "scan",
      "Key map of every account's authorized_keys: each key by fingerprint with type, size, comment and every "
      "account, file and line it is on; flags weak, shared, uncommented, expired and unrestricted-root keys, lines "
      "sshd rejects, and files StrictModes refuses");
  scan->add_option("--root", a->root, "The host's root directory (default /)")->capture_default_str();
  scan->add_option("--passwd", a->passwd, "passwd file (default ROOT/etc/passwd)");
  scan->add_option("--group", a->group, "group file (default ROOT/etc/group), for group-writable files");
  scan->add_flag("--upstream-strict-modes", a->upstream,
                 "Refuse every group-writable file, as upstream OpenSSH (default: Debian's sshd, which accepts a "
                 "group whose only member is the owner)");
  scan->add_option("--authorized-keys-file", a->patterns,
                   "AuthorizedKeysFile patterns (%h %u %U %%; default .ssh/authorized_keys .ssh/authorized_keys2)");
  scan->add_option("--host", a->host, "Host name in the report (default: the root's name, or this host)");
  scan->add_flag("--json", a->json, "JSON output (fields: docs/hosts-and-authorized-keys.md)");
  scan->add_flag("--no-strict-modes", a->no_strict, "Do not check owners and modes (sshd StrictModes no)");
  scan->add_flag("--progress", a->progress, "Progress on stderr even when it is not a terminal");
  scan->add_option("-o,--output", a->out, "Write the report to a file (0600) instead of stdout");
  scan->add_option("--threads", a->threads, "Threads")->capture_default_str();
  scan->callback([a, rc] { *rc = RunScan(*a); });

  CLI::App* merge = au->add_subcommand(
      "merge", "Merge scans of several hosts (JSON reports, and/or a tree with one root directory per host) into one "
               "key map; keys on several hosts are flagged shared");
  merge->add_option("REPORTS", a->reports, "Reports written by `keyward audit scan --json`");
  merge->add_option("--tree", a->tree, "A directory holding one root directory per host, each scanned");
  merge->add_option("--authorized-keys-file", a->patterns, "AuthorizedKeysFile patterns for --tree scans");
  merge->add_flag("--json", a->json, "JSON output (fields: docs/hosts-and-authorized-keys.md)");
  merge->add_flag("--no-strict-modes", a->no_strict, "Do not check owners and modes in --tree scans");
  merge->add_flag("--upstream-strict-modes", a->upstream, "Upstream OpenSSH's StrictModes in --tree scans");
  merge->add_flag("--progress", a->progress, "Progress on stderr even when it is not a terminal");
  merge->add_option("-o,--output", a->out, "Write the report to a file (0600) instead of stdout");
  merge->callback([a, rc] { *rc = RunMerge(*a); });

  // The key center's own audit log (admin_audit.cc).
  auto l = std::make_shared<AuditLogArgs>();
  CLI::App* log = au->add_subcommand(
      "log", "The key center's audit log (time, actor, remote, action, target, detail); --verify checks its hash "
             "chain here and asks the server for its verdict");
  log->add_flag("--verify", l->verify, "Recompute the hash chain locally (exit 1 naming the first bad entry)");
  log->add_option("--from-file", l->from_file, "Read a saved `audit log --json` instead of asking the server")
      ->group("");  // hidden: for checking a saved copy
  AddCenterFlags(log, &l->flags);
  log->callback([l, rc] { *rc = AuditLog(*l); });
}

}  // namespace kw::cli
