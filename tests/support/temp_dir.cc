#include "support/temp_dir.h"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

#include "base/file.h"

namespace kw::test {

StatusOr<TempDir> TempDir::Create(std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string base = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  std::string tmpl = base + "/" + std::string(prefix) + ".XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) return ErrnoStatus("mkdtemp " + tmpl, errno);
  std::string path(buf.data());
  // Callers compare paths printed by tools; make this one canonical.
  char* real = ::realpath(path.c_str(), nullptr);
  if (real != nullptr) {
    path = real;
    std::free(real);
  }
  return TempDir(std::move(path));
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, std::string())) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::exchange(other.path_, std::string());
  }
  return *this;
}

TempDir::~TempDir() { Remove(); }

void TempDir::Remove() {
  if (path_.empty()) return;
  const char* keep = std::getenv("KW_KEEP_TEMP");
  if (keep == nullptr || std::string_view(keep) != "1") {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  path_.clear();
}

std::string TempDir::Path(std::string_view name) const { return path_ + "/" + std::string(name); }

StatusOr<std::string> TempDir::WriteFile(std::string_view name, std::string_view data, mode_t mode) const {
  std::string p = Path(name);
  KW_RETURN_IF_ERROR(WriteFileWithMode(p, data, mode));
  return p;
}

StatusOr<std::string> TempDir::MakeDir(std::string_view name) const {
  std::string p = Path(name);
  if (::mkdir(p.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoStatus("mkdir " + p, errno);
  return p;
}

Status WriteFileWithMode(const std::string& path, std::string_view data, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(path, errno);
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return ErrnoStatus(path, e);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  if (::fchmod(fd, mode) != 0) {
    int e = errno;
    ::close(fd);
    return ErrnoStatus(path, e);
  }
  if (::close(fd) != 0) return ErrnoStatus(path, errno);
  return OkStatus();
}

Status CopyFile(const std::string& from, const std::string& to) {
  KW_ASSIGN_OR_RETURN(std::string data, ReadFile(from));
  struct stat st;
  if (::stat(from.c_str(), &st) != 0) return ErrnoStatus(from, errno);
  return WriteFileWithMode(to, data, st.st_mode & 07777);
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace kw::test
