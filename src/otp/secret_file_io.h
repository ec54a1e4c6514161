// Reading and rewriting google-authenticator secret files on disk, with the
// checks google-authenticator's module makes: a regular file (symlinks are
// not followed), no more permissions than allowed, the expected owner, at
// most kMaxSecretFileSize bytes. Rewrites are atomic and leave the file
// mode 0400 with its owner and group, as the module leaves it.
//
// This is the only code of the OTP library that does I/O (library
// kw::otp_io); the format and the verification (kw::otp) stay pure. The
// caller chooses the credentials (the PAM module drops to the user's).
#pragma once

#include <optional>
#include <string>
#include <sys/stat.h>
#include <sys/types.h>

#include "base/status.h"
#include "otp/secret_file.h"

namespace kw::otp {

struct SecretFileAccess {
  // The uid that must own the file; nullopt: any owner.
  std::optional<uid_t> owner;
  // Permission bits beyond these are refused (the module's allowed_perm).
  mode_t allowed_perm = 0600;
};

struct LoadedSecretFile {
  std::string path;
  SecretFile file;
  struct stat st {};  // of the file as read: the rewrite checks it is unchanged
};

// Errors name the path. A missing file is kNotFound (and only that: the
// module's nullok applies to ENOENT alone); bad permissions or owner are
// kPermissionDenied; a malformed file is kInvalidArgument or kOutOfRange.
StatusOr<LoadedSecretFile> LoadSecretFile(const std::string& path, const SecretFileAccess& access);

// Writes loaded.file.text() in place of the file: a temporary
// "PATH~XXXXXX" in the same directory, mode 0400, the original's owner and
// group, fsynced; then, if the file on disk is still the one that was read
// (same device, inode, size and mtime; otherwise kFailedPrecondition, e.g.
// a concurrent login used a scratch code meanwhile), renamed over it.
// On error the original is untouched and no temporary is left.
Status RewriteSecretFile(const LoadedSecretFile& loaded);

// Creates a new secret file, mode 0400, owned by `uid`:`gid` when given
// (needs root), never replacing an existing file unless `replace`.
struct NewSecretFileTarget {
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  bool replace = false;
};
Status WriteNewSecretFile(const std::string& path, const SecretFile& file, const NewSecretFileTarget& target);

}  // namespace kw::otp
