#include "audit/scan.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "base/file.h"
#include "formats/addr_match.h"
#include "formats/authorized_keys.h"
#include "formats/fingerprint.h"

namespace kw::audit {
namespace {

std::vector<std::string_view> SplitFields(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t p = line.find(sep, start);
    if (p == std::string_view::npos) {
      out.push_back(line.substr(start));
      return out;
    }
    out.push_back(line.substr(start, p - start));
    start = p + 1;
  }
}

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

std::vector<std::string> SplitPath(std::string_view p) {
  std::vector<std::string> out;
  for (std::string_view c : SplitFields(p, '/'))
    if (!c.empty() && c != ".") out.emplace_back(c);
  return out;
}

std::string JoinPath(const std::vector<std::string>& parts, size_t n) {
  if (n == 0) return "/";
  std::string out;
  for (size_t i = 0; i < n; ++i) out += "/" + parts[i];
  return out;
}

std::string RealPath(const std::string& root, const std::string& host_path) {
  if (root == "/" || root.empty()) return host_path;
  return host_path == "/" ? root : root + host_path;
}

std::optional<int> ServicePort(std::string_view name) {
  std::string n(name);
  struct servent se;
  struct servent* result = nullptr;
  char buf[1024];
  if (::getservbyname_r(n.c_str(), "tcp", &se, buf, sizeof buf, &result) != 0 || result == nullptr) return std::nullopt;
  return static_cast<int>(ntohs(static_cast<uint16_t>(result->s_port)));
}

// What one file contributed; merged in the order of the work list.
struct FileResult {
  bool read = false;
  std::vector<std::pair<std::string, KeyRecord>> keys;  // fingerprint -> record with one occurrence
  std::vector<Problem> problems;
  uint64_t lines = 0;
};

struct WorkItem {
  const PasswdEntry* pw;
  std::string host_path;  // canonical once resolved
  std::string home;       // canonical home (for StrictModes), may be empty
};

// Per-thread memory of what the file system looked like.
struct WorkerCache {
  StatCache dirs;
  const PasswdEntry* home_of = nullptr;
  std::string home;
};

FileResult ScanFile(const ScanOptions& o, const AccountDb* db, WorkItem w, const formats::AuthParseOptions& parse,
                    WorkerCache* cache) {
  FileResult r;
  // realpath() of the file and the home directory, inside the root.
  StatusOr<std::string> resolved = ResolveInRoot(o.root, w.host_path, &cache->dirs);
  if (!resolved.ok()) return r;  // no such file: nothing for sshd to read
  w.host_path = *resolved;
  if (cache->home_of != w.pw) {
    StatusOr<std::string> home = ResolveInRoot(o.root, w.pw->home.empty() ? "/" : w.pw->home, &cache->dirs);
    cache->home_of = w.pw;
    cache->home = home.ok() ? *home : std::string();
  }
  w.home = cache->home;
  auto problem = [&](size_t line, const char* flag, std::string reason) {
    r.problems.push_back({o.host, w.pw->name, w.host_path, line, {flag, std::move(reason)}});
  };
  std::string real = RealPath(o.root, w.host_path);
  struct stat st;
  auto seen = cache->dirs.find(w.host_path);
  if (seen != cache->dirs.end()) {
    st = seen->second;
  } else if (::stat(real.c_str(), &st) != 0) {
    return r;  // vanished: sshd would not see it either
  }
  if (!S_ISREG(st.st_mode)) {
    problem(0, kFlagUnreadable, "not a regular file: sshd ignores it");
    return r;
  }
  std::string strict;
  if (o.strict_modes) strict = CheckStrictModes(o.root, w.host_path, w.home, w.pw->uid, *db, &cache->dirs);
  if (!strict.empty()) problem(0, kFlagStrictModes, "sshd (StrictModes yes) refuses this file: " + strict);
  StatusOr<std::string> text = ReadFile(real, size_t{64} << 20);
  if (!text.ok()) {
    problem(0, kFlagUnreadable, text.status().message());
    return r;
  }
  r.read = true;
  bool is_root = w.pw->uid == 0;
  for (const formats::ParsedAuthLine& p : formats::ParseAuthorizedKeys(*text, parse)) {
    if (p.kind == formats::AuthLineKind::kComment) continue;
    ++r.lines;
    if (!p.line) {
      problem(p.number, kFlagRejected, p.reason);
      continue;
    }
    const formats::PublicKey& key = p.line->key;
    Occurrence occ;
    occ.host = o.host;
    occ.account = w.pw->name;
    occ.uid = w.pw->uid;
    occ.file = w.host_path;
    occ.line = p.number;
    occ.options = std::string(p.options);
    occ.comment = p.line->comment;
    // A '\r' of a CRLF file is not part of the comment people wrote.
    while (!occ.comment.empty() && (occ.comment.back() == '\r' || occ.comment.back() == ' ')) occ.comment.pop_back();
    if (!strict.empty()) occ.flags.push_back({kFlagStrictModes, "the file is refused by StrictModes"});
    if (p.kind == formats::AuthLineKind::kBadOptions) {
      occ.flags.push_back({kFlagRejected, p.reason});
    } else {
      const formats::KeyRights& rights = *p.rights;
      if (rights.valid_before && *rights.valid_before < o.now) {
        occ.flags.push_back({kFlagExpired, "expiry-time passed at " + formats::FormatUtcTime(*rights.valid_before)});
      }
      if (rights.principals && !rights.cert_authority) {
        occ.flags.push_back({kFlagRejected, "principals= without cert-authority: sshd refuses the key"});
      }
      if (rights.from && formats::AddrMatchList(std::nullopt, *rights.from) == -2) {
        occ.flags.push_back({kFlagRejected, "from= list is malformed: sshd refuses every login"});
      }
      if (is_root && !rights.restricted && !rights.command && !rights.from) {
        occ.flags.push_back({kFlagUnrestrictedRoot, "a key for uid 0 without restrict, command= or from="});
      }
    }
    KeyRecord rec;
    rec.fingerprint = formats::Fingerprint(key);
    rec.type = std::string(key.info().short_name);
    rec.bits = key.bits();
    rec.occurrences.push_back(std::move(occ));
    r.keys.emplace_back(rec.fingerprint, std::move(rec));
  }
  return r;
}

}  // namespace

std::vector<PasswdEntry> ParsePasswd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for (std::string_view line : SplitFields(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#' || line[0] == '+' || line[0] == '-') continue;
    std::vector<std::string_view> f = SplitFields(line, ':');
    if (f.size() < 7 || f[0].empty()) continue;
    PasswdEntry e;
    e.name = std::string(f[0]);
    if (!ParseInt(f[2], &e.uid) || !ParseInt(f[3], &e.gid)) continue;
    e.home = std::string(f[5]);
    out.push_back(std::move(e));
  }
  return out;
}

StatusOr<std::string> ExpandAuthorizedKeysPattern(std::string_view pattern, const PasswdEntry& pw) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') {
      out += pattern[i];
      continue;
    }
    if (i + 1 >= pattern.size()) return InvalidArgumentError("invalid format (ends with %): " + std::string(pattern));
    char c = pattern[++i];
    switch (c) {
      case '%': out += '%'; break;
      case 'h': out += pw.home; break;
      case 'u': out += pw.name; break;
      case 'U': out += std::to_string(pw.uid); break;
      default:
        return InvalidArgumentError("unknown key %" + std::string(1, c) + " in AuthorizedKeysFile " +
                                    std::string(pattern));
    }
  }
  if (!out.empty() && out[0] == '/') return out;
  return pw.home + "/" + out;
}

StatusOr<std::string> ResolveInRoot(const std::string& root, const std::string& path, StatCache* cache) {
  std::deque<std::string> todo;
  for (std::string& c : SplitPath(path)) todo.push_back(std::move(c));
  std::vector<std::string> done;
  int hops = 0;
  while (!todo.empty()) {
    std::string c = std::move(todo.front());
    todo.pop_front();
    if (c == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(c);
    std::string host = JoinPath(done, done.size());
    if (cache != nullptr && !todo.empty()) {
      auto it = cache->find(host);
      if (it != cache->end() && S_ISDIR(it->second.st_mode)) continue;
    }
    std::string real = RealPath(root, host);
    struct stat st;
    if (::lstat(real.c_str(), &st) != 0) return ErrnoStatus(host, errno);
    if (!S_ISLNK(st.st_mode)) {
      if (cache != nullptr) (*cache)[host] = st;
      continue;
    }
    if (++hops > 40) return InvalidArgumentError(host + ": too many levels of symbolic links");
    char buf[4096];
    ssize_t n = ::readlink(real.c_str(), buf, sizeof buf);
    if (n < 0) return ErrnoStatus(host, errno);
    std::string target(buf, static_cast<size_t>(n));
    done.pop_back();
    if (!target.empty() && target[0] == '/') done.clear();
    std::vector<std::string> parts = SplitPath(target);
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.push_front(*it);
  }
  return JoinPath(done, done.size());
}

namespace {

// secure_permissions() (Debian) / the mode test of safe_path() (upstream).
bool SecurePermissions(const struct stat& st, int64_t uid, const AccountDb& db) {
  if (st.st_uid != 0 && static_cast<int64_t>(st.st_uid) != uid) return false;
  if ((st.st_mode & 002) != 0) return false;
  if ((st.st_mode & 020) == 0) return true;
  if (!db.debian_group_writable) return false;
  // The group must exist and have exactly one member: the owner.
  const GroupEntry* gr = nullptr;
  for (const GroupEntry& g : db.groups)
    if (g.gid == static_cast<int64_t>(st.st_gid)) {
      gr = &g;
      break;
    }
  if (gr == nullptr) return false;
  int members = 0;
  for (const PasswdEntry& pw : db.passwd) {
    if (pw.gid != gr->gid) continue;
    ++members;
    if (pw.uid != static_cast<int64_t>(st.st_uid)) return false;
  }
  const PasswdEntry* owner = nullptr;
  for (const PasswdEntry& pw : db.passwd)
    if (pw.uid == static_cast<int64_t>(st.st_uid)) {
      owner = &pw;
      break;
    }
  if (owner == nullptr) return false;
  if (!gr->members.empty()) {
    ++members;
    if (gr->members[0] != owner->name || gr->members.size() > 1) return false;
  }
  return members > 0;
}

}  // namespace

std::vector<GroupEntry> ParseGroup(std::string_view text) {
  std::vector<GroupEntry> out;
  for (std::string_view line : SplitFields(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#' || line[0] == '+' || line[0] == '-') continue;
    std::vector<std::string_view> f = SplitFields(line, ':');
    if (f.size() < 4 || f[0].empty()) continue;
    GroupEntry g;
    g.name = std::string(f[0]);
    if (!ParseInt(f[2], &g.gid)) continue;
    if (!f[3].empty())
      for (std::string_view m : SplitFields(f[3], ',')) g.members.emplace_back(m);
    out.push_back(std::move(g));
  }
  return out;
}

std::string CheckStrictModes(const std::string& root, const std::string& path, const std::string& home, int64_t uid,
                             const AccountDb& accounts, const StatCache* cache) {
  auto bad_owner = [&](const struct stat& st) { return !SecurePermissions(st, uid, accounts); };
  // stat(2), or what the cache saw of a canonical path (no links in it).
  auto stat_of = [&](const std::string& host, struct stat* st) {
    if (cache != nullptr) {
      auto it = cache->find(host);
      if (it != cache->end()) {
        *st = it->second;
        return true;
      }
    }
    return ::stat(RealPath(root, host).c_str(), st) == 0;
  };
  struct stat st;
  if (!stat_of(path, &st)) return "cannot stat " + path;
  if (!S_ISREG(st.st_mode)) return path + " is not a regular file";
  if (bad_owner(st)) return "bad ownership or modes for file " + path;
  std::vector<std::string> parts = SplitPath(path);
  for (size_t n = parts.size(); n-- > 0;) {
    std::string dir = JoinPath(parts, n);
    if (!stat_of(dir, &st) || bad_owner(st)) {
      return "bad ownership or modes for directory " + dir;
    }
    if (!home.empty() && dir == home) break;
  }
  return "";
}

StatusOr<Report> Scan(const ScanOptions& o) {
  std::string passwd_path = o.passwd.empty() ? RealPath(o.root, "/etc/passwd") : o.passwd;
  KW_ASSIGN_OR_RETURN(std::string passwd_text, ReadFile(passwd_path));
  AccountDb db;
  db.passwd = ParsePasswd(passwd_text);
  db.debian_group_writable = o.debian_group_writable;
  StatusOr<std::string> group_text = ReadFile(o.group.empty() ? RealPath(o.root, "/etc/group") : o.group);
  if (group_text.ok()) db.groups = ParseGroup(*group_text);
  const std::vector<PasswdEntry>& accounts = db.passwd;

  Report report;
  report.hosts = {o.host};
  report.accounts = accounts.size();
  std::vector<WorkItem> work;
  for (const PasswdEntry& pw : accounts) {
    for (const std::string& pattern : o.patterns) {
      if (pattern == "none") continue;
      StatusOr<std::string> expanded = ExpandAuthorizedKeysPattern(pattern, pw);
      if (!expanded.ok()) return expanded.status();
      work.push_back({&pw, *expanded, ""});
    }
  }

  formats::AuthParseOptions parse;
  parse.local_time = formats::SystemLocalTime();
  parse.service_port = ServicePort;
  std::vector<FileResult> results(work.size());
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> done{0}, keys{0};
  auto worker = [&] {
    WorkerCache cache;
    for (size_t i; (i = next.fetch_add(1)) < work.size();) {
      results[i] = ScanFile(o, &db, work[i], parse, &cache);
      keys += results[i].keys.size();
      ++done;
    }
  };
  int threads = std::max(1, o.threads);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  if (o.progress) {
    std::thread last(worker);
    while (done.load() < work.size()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      o.progress(done.load(), keys.load());
    }
    last.join();
  } else {
    worker();
  }
  for (std::thread& t : pool) t.join();
  if (o.progress) o.progress(done.load(), keys.load());

  for (FileResult& r : results) {
    report.files += r.read ? 1 : 0;
    report.lines += r.lines;
    for (auto& [fp, rec] : r.keys) {
      auto [it, inserted] = report.keys.try_emplace(fp);
      if (inserted) {
        it->second = std::move(rec);
      } else {
        for (Occurrence& occ : rec.occurrences) it->second.occurrences.push_back(std::move(occ));
      }
    }
    for (Problem& p : r.problems) report.problems.push_back(std::move(p));
  }
  Finish(&report);
  return report;
}

}  // namespace kw::audit
