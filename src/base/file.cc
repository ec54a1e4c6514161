#include "base/file.h"

#include <cerrno>
#include <cstring>
#include <memory>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kw {

Status ErrnoStatus(std::string_view what, int err) {
  std::string m(what);
  m += ": ";
  m += std::strerror(err);
  switch (err) {
    case ENOENT: return NotFoundError(std::move(m));
    case EACCES:
    case EPERM: return PermissionDeniedError(std::move(m));
    case EEXIST: return AlreadyExistsError(std::move(m));
    default: return InternalError(std::move(m));
  }
}

StatusOr<std::string> ReadFile(const std::string& path, size_t max_size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(path, errno);
  std::string out;
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    if (static_cast<size_t>(st.st_size) > max_size) {
      ::close(fd);
      return OutOfRangeError(path + ": file too large");
    }
    out.reserve(static_cast<size_t>(st.st_size));
  }
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ErrnoStatus(path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_size) {
      ::close(fd);
      return OutOfRangeError(path + ": file too large");
    }
  }
  ::close(fd);
  return out;
}

Status ReadLines(int fd, std::string_view what, const std::function<bool(std::string_view)>& on_line) {
  // `buf` holds the unfinished line, then what read() adds; it grows only
  // for a line longer than itself. It is not zeroed first, so a small
  // input touches (and page-faults) only the memory it fills.
  size_t size = size_t{64} << 10;
  std::unique_ptr<char[]> buf(new char[size]);
  size_t have = 0;
  for (;;) {
    if (have == size) {
      std::unique_ptr<char[]> bigger(new char[size * 2]);
      std::memcpy(bigger.get(), buf.get(), have);
      buf = std::move(bigger);
      size *= 2;
    }
    ssize_t n = ::read(fd, buf.get() + have, size - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(what, errno);
    }
    if (n == 0) break;
    size_t end = have + static_cast<size_t>(n);
    size_t start = 0;
    // Only the new bytes can hold a '\n'.
    for (size_t from = have; from < end;) {
      const void* nl = std::memchr(buf.get() + from, '\n', end - from);
      if (nl == nullptr) break;
      size_t next = static_cast<size_t>(static_cast<const char*>(nl) - buf.get()) + 1;
      if (!on_line(std::string_view(buf.get() + start, next - start))) return OkStatus();
      start = from = next;
    }
    have = end - start;
    if (start > 0) std::memmove(buf.get(), buf.get() + start, have);
  }
  if (have > 0) on_line(std::string_view(buf.get(), have));
  return OkStatus();
}

Status ReadFileLines(const std::string& path, const std::function<bool(std::string_view)>& on_line) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(path, errno);
  Status s = ReadLines(fd, path, on_line);
  ::close(fd);
  return s;
}

std::string DirectoryOf(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  return slash == 0 ? "/" : std::string(path.substr(0, slash));
}

static Status WriteAll(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(what, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

Status WriteFileAtomic(const std::string& path, std::string_view data, const AtomicWriteOptions& options) {
  std::string tmpl = path + ".kwtmp.XXXXXX";
  int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(path, errno);
  const std::string& tmp = tmpl;
  auto fail = [&](Status s) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  };
  if (::fchmod(fd, options.mode) != 0) return fail(ErrnoStatus(path, errno));
  if (Status s = WriteAll(fd, data, path); !s.ok()) return fail(s);
  if (options.durable && ::fsync(fd) != 0) return fail(ErrnoStatus(path, errno));
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoStatus(path, err);
  }
  if (options.no_replace) {
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      if (err == EEXIST) return AlreadyExistsError(path + " already exists");
      return ErrnoStatus(path, err);
    }
    ::unlink(tmp.c_str());
  } else if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoStatus(path, err);
  }
  if (!options.durable) return OkStatus();
  int dfd = ::open(DirectoryOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return OkStatus();
}

}  // namespace kw
