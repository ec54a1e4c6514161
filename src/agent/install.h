// Installing a verified bundle into the files sshd reads:
//   INSTALL_DIR/authorized_keys/ACCOUNT   (AuthorizedKeysFile .../authorized_keys/%u)
// Each file is replaced atomically (base/file.h WriteFileAtomic: temporary
// file in the same directory, mode 0644, fsync, rename, fsync of the
// directory), so sshd reads the old file or the new one, never a part of
// one and never none.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "formats/bundle.h"

namespace kw::agent {

struct InstallResult {
  int written = 0;    // files whose content changed
  int unchanged = 0;  // files already as the bundle says
};

// Installs `b`. An account installed before that the bundle no longer
// names gets an empty file (its keys stop working). Directories are made
// (0755) when missing; temporary files left by an earlier crash are
// removed. Stops at the first error: files written before it stay (each is
// whole and from this bundle), the rest keep their old content.
StatusOr<InstallResult> InstallBundle(const formats::Bundle& b, const std::string& install_dir);

// The installed authorized_keys text of `account`: "" when there is none,
// or when `account` is not an account name (formats::IsValidAccountName).
StatusOr<std::string> InstalledAuthorizedKeys(const std::string& install_dir, std::string_view account);

}  // namespace kw::agent
