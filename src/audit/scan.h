// Scanning a host's file tree for authorized_keys files, as sshd 9.2 would
// find and read them: the accounts of a passwd file, each
// AuthorizedKeysFile pattern expanded with %h %u %U %% (relative patterns
// start at the home directory), every file read as sshd reads it, and
// StrictModes' checks (auth2-pubkeyfile.c auth_openfile, misc.c safe_path)
// on the file and the directories above it up to the home directory.
//
// The tree is a host's root: "/home/a" of the passwd file is ROOT/home/a,
// and symbolic links are followed inside ROOT (an absolute link target
// starts again at ROOT), so a copy of another host's files can be audited.
#pragma once

#include <functional>
#include <string>
#include <sys/stat.h>

#include <unordered_map>
#include <vector>

#include "audit/report.h"
#include "base/status.h"

namespace kw::audit {

struct PasswdEntry {
  std::string name;
  int64_t uid = 0;
  int64_t gid = 0;
  std::string home;
};

// Reads /etc/passwd lines ("name:pw:uid:gid:gecos:home:shell"); comments,
// blank and malformed lines (and NIS "+" lines) are skipped.
std::vector<PasswdEntry> ParsePasswd(std::string_view text);

struct GroupEntry {
  std::string name;
  int64_t gid = 0;
  std::vector<std::string> members;  // supplementary members
};

// Reads /etc/group lines ("name:pw:gid:user,user").
std::vector<GroupEntry> ParseGroup(std::string_view text);

// Who may own what, for StrictModes.
struct AccountDb {
  std::vector<PasswdEntry> passwd;
  std::vector<GroupEntry> groups;
  // Debian's sshd ("Allow harmless group-writability", a Debian patch to
  // misc.c): a group-writable file or directory is accepted when its group
  // has exactly one member, the owner (as primary group in passwd, or as
  // the only listed member). Upstream OpenSSH refuses any group write.
  bool debian_group_writable = true;
};

// AuthorizedKeysFile expansion (auth.c expand_authorized_keys): %h home,
// %u user, %U uid, %% '%'; a relative result is taken below the home
// directory. Fails on an unknown %-sequence, as sshd's percent_expand.
StatusOr<std::string> ExpandAuthorizedKeysPattern(std::string_view pattern, const PasswdEntry& pw);

struct ScanOptions {
  std::string root = "/";
  std::string passwd;                 // default ROOT/etc/passwd
  std::string group;                  // default ROOT/etc/group (missing: no group is harmless)
  bool debian_group_writable = true;  // see AccountDb
  std::vector<std::string> patterns = {".ssh/authorized_keys", ".ssh/authorized_keys2"};
  std::string host;                   // name of the host in the report (default: set by caller)
  int64_t now = 0;                    // for expiry-time
  bool strict_modes = true;           // check owners and modes as sshd's StrictModes yes
  int threads = 2;
  // Called now and then with (files done, keys so far); from one thread.
  std::function<void(uint64_t, uint64_t)> progress;
};

// Scans the tree. Errors only for what stops the whole scan (no passwd).
StatusOr<Report> Scan(const ScanOptions& options);

// Resolves `path` (absolute, as the host sees it) inside `root`, following
// symbolic links inside the root as realpath(3) would on the host. Returns
// the canonical host path ("/home/a/.ssh/authorized_keys").
// What lstat(2) said about host paths that are not symbolic links, so that
// resolving many paths below the same directories, and checking their
// modes, costs fewer system calls. One cache per root (and per thread).
using StatCache = std::unordered_map<std::string, struct stat>;

// `cache`, if given, is consulted for directories on the way and receives
// every component that is not a link (the file included).
StatusOr<std::string> ResolveInRoot(const std::string& root, const std::string& path, StatCache* cache = nullptr);

// safe_path(): the file must be a regular file owned by `uid` or root and
// not group- or world-writable (see AccountDb for Debian's exception), and
// so must every directory above it up to `home` (or up to the root). `path`
// and `home` are host paths inside `root`. Returns an empty string if all is
// well, else sshd's reason ("bad ownership or modes for directory
// /home/a/.ssh").
std::string CheckStrictModes(const std::string& root, const std::string& path, const std::string& home, int64_t uid,
                             const AccountDb& accounts, const StatCache* cache = nullptr);

}  // namespace kw::audit
