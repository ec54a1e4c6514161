#include "otp/secret_file_io.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>

#include "base/file.h"

namespace kw::otp {
namespace {

std::string Octal(mode_t m) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m));
  return buf;
}

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status WriteAll(int fd, std::string_view data, const std::string& what) {
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

// The temporary file, written and synced, mode 0400, with the given owner.
// Returns its path; on error nothing is left behind.
StatusOr<std::string> WriteTemporary(const std::string& path, std::string_view text, std::optional<uid_t> uid,
                                     std::optional<gid_t> gid) {
  std::string tmp = path + "~XXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(path + ": cannot create a temporary file", errno);
  auto fail = [&](Status s) -> StatusOr<std::string> {
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  };
  if (::fchmod(fd, 0400) != 0) return fail(ErrnoStatus(tmp, errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) return fail(ErrnoStatus(tmp, errno));
  if (uid && *uid != st.st_uid) {
    if (::fchown(fd, *uid, gid ? *gid : static_cast<gid_t>(-1)) != 0) return fail(ErrnoStatus(tmp + ": chown", errno));
  } else if (gid && *gid != st.st_gid) {
    // Best effort: only root or a member may give the group back.
    (void)::fchown(fd, static_cast<uid_t>(-1), *gid);
  }
  if (Status s = WriteAll(fd, text, tmp); !s.ok()) return fail(s);
  if (::fsync(fd) != 0) return fail(ErrnoStatus(tmp, errno));
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoStatus(tmp, err);
  }
  return tmp;
}

void SyncDir(const std::string& path) {
  int dfd = ::open(DirOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace

StatusOr<LoadedSecretFile> LoadSecretFile(const std::string& path, const SecretFileAccess& access) {
  // O_NONBLOCK: a FIFO planted in place of the file must not hang us.
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ELOOP) return PermissionDeniedError(path + ": is a symbolic link");
    return ErrnoStatus(path, errno);
  }
  struct stat st;
  auto fail = [&](Status s) -> StatusOr<LoadedSecretFile> {
    ::close(fd);
    return s;
  };
  if (::fstat(fd, &st) != 0) return fail(ErrnoStatus(path, errno));
  if (!S_ISREG(st.st_mode)) return fail(PermissionDeniedError(path + ": not a regular file"));
  mode_t extra = st.st_mode & 03777 & ~access.allowed_perm;
  if (extra != 0) {
    return fail(PermissionDeniedError(path + ": permissions " + Octal(st.st_mode & 03777) + " allow more than " +
                                      Octal(access.allowed_perm)));
  }
  if (access.owner && st.st_uid != *access.owner) {
    return fail(PermissionDeniedError(path + ": owned by uid " + std::to_string(st.st_uid) + ", expected uid " +
                                      std::to_string(*access.owner)));
  }
  if (st.st_size < 1 || static_cast<uint64_t>(st.st_size) > kMaxSecretFileSize) {
    return fail(OutOfRangeError(path + ": size " + std::to_string(st.st_size) + " is not in 1.." +
                                std::to_string(kMaxSecretFileSize)));
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      SecureWipe(text.data(), text.size());
      return fail(ErrnoStatus(path, errno));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got != text.size()) {
    SecureWipe(text.data(), text.size());
    return FailedPreconditionError(path + ": changed while being read");
  }
  auto parsed = SecretFile::Parse(text);
  SecureWipe(text.data(), text.size());
  if (!parsed.ok()) return parsed.status().WithContext(path);
  return LoadedSecretFile{path, std::move(parsed).value(), st};
}

Status RewriteSecretFile(const LoadedSecretFile& loaded) {
  const std::string& path = loaded.path;
  KW_ASSIGN_OR_RETURN(std::string tmp,
                      WriteTemporary(path, loaded.file.text(), loaded.st.st_uid, loaded.st.st_gid));
  struct stat now;
  bool same = ::lstat(path.c_str(), &now) == 0 && now.st_dev == loaded.st.st_dev && now.st_ino == loaded.st.st_ino &&
              now.st_size == loaded.st.st_size && now.st_mtim.tv_sec == loaded.st.st_mtim.tv_sec &&
              now.st_mtim.tv_nsec == loaded.st.st_mtim.tv_nsec;
  if (!same) {
    ::unlink(tmp.c_str());
    return FailedPreconditionError(path + ": changed while it was being used; not rewritten");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoStatus(path, err);
  }
  SyncDir(path);
  return OkStatus();
}

Status WriteNewSecretFile(const std::string& path, const SecretFile& file, const NewSecretFileTarget& target) {
  KW_ASSIGN_OR_RETURN(std::string tmp, WriteTemporary(path, file.text(), target.uid, target.gid));
  if (target.replace) {
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      return ErrnoStatus(path, err);
    }
  } else {
    // link(2) fails if the name exists: two writers cannot both win.
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      if (err == EEXIST) return AlreadyExistsError(path + " already exists");
      return ErrnoStatus(path, err);
    }
    ::unlink(tmp.c_str());
  }
  SyncDir(path);
  return OkStatus();
}

}  // namespace kw::otp
