#include "agent/install.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <set>

#include "base/file.h"

namespace kw::agent {
namespace {

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoStatus(path, errno);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(path, errno);
  if (!S_ISDIR(st.st_mode)) return FailedPreconditionError(path + ": not a directory");
  return OkStatus();
}

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

// The names in `dir`; temporary files of an interrupted write are removed.
StatusOr<std::set<std::string>> ListAndTidy(const std::string& dir) {
  std::unique_ptr<DIR, DirCloser> d(::opendir(dir.c_str()));
  if (!d) return ErrnoStatus(dir, errno);
  std::set<std::string> names;
  while (dirent* e = ::readdir(d.get())) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (name.find(".kwtmp.") != std::string::npos) {
      (void)::unlink((dir + "/" + name).c_str());
      continue;
    }
    names.insert(std::move(name));
  }
  return names;
}

// Writes `text` to `path` unless it already holds exactly that.
StatusOr<bool> Put(const std::string& path, const std::string& text) {
  auto old = ReadFile(path, formats::kMaxBundleBytes);
  if (old.ok() && *old == text) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 07777) == 0644) return false;
  }
  KW_RETURN_IF_ERROR(WriteFileAtomic(path, text, {.mode = 0644}));
  return true;
}

}  // namespace

StatusOr<InstallResult> InstallBundle(const formats::Bundle& b, const std::string& install_dir) {
  for (const auto& [account, text] : b.authorized_keys) {
    if (!formats::IsValidAccountName(account)) {
      return InvalidArgumentError("bundle: \"" + account + "\" is not an account name");
    }
  }
  KW_RETURN_IF_ERROR(MakeDir(install_dir));
  const std::string dir = install_dir + "/authorized_keys";
  KW_RETURN_IF_ERROR(MakeDir(dir));
  KW_ASSIGN_OR_RETURN(std::set<std::string> present, ListAndTidy(dir));
  InstallResult r;
  auto count = [&r](bool written) { ++(written ? r.written : r.unchanged); };
  for (const auto& [account, text] : b.authorized_keys) {
    KW_ASSIGN_OR_RETURN(bool written, Put(dir + "/" + account, text));
    count(written);
  }
  for (const std::string& name : present) {
    if (b.authorized_keys.contains(name) || !formats::IsValidAccountName(name)) continue;
    KW_ASSIGN_OR_RETURN(bool written, Put(dir + "/" + name, ""));
    count(written);
  }
  return r;
}

StatusOr<std::string> InstalledAuthorizedKeys(const std::string& install_dir, std::string_view account) {
  if (!formats::IsValidAccountName(account)) return std::string();
  auto text = ReadFile(install_dir + "/authorized_keys/" + std::string(account), formats::kMaxBundleBytes);
  if (!text.ok() && text.status().code() == StatusCode::kNotFound) return std::string();
  return text;
}

}  // namespace kw::agent
