// TempDir: a private directory for one test (or one test suite), removed
// with everything in it when the object is destroyed.
#pragma once

#include <string>
#include <string_view>
#include <sys/types.h>

#include "base/status.h"

namespace kw::test {

class TempDir {
 public:
  // Creates a fresh directory (mode 0700) under $TMPDIR, or /tmp when TMPDIR
  // is unset or empty, named "<prefix>.XXXXXX".
  static StatusOr<TempDir> Create(std::string_view prefix = "kw-test");

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // Removes the directory recursively; errors are ignored. Set
  // KW_KEEP_TEMP=1 in the environment to keep it for debugging.
  ~TempDir();

  // Absolute path, without a trailing slash.
  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string Path(std::string_view name) const;

  // Writes `data` to path()/name (created or replaced) with `mode`. Returns
  // the full path.
  StatusOr<std::string> WriteFile(std::string_view name, std::string_view data, mode_t mode = 0644) const;
  // Creates path()/name as a directory (mode 0700). Returns the full path.
  StatusOr<std::string> MakeDir(std::string_view name) const;

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  void Remove();
  std::string path_;
};

// Writes a whole file (created or truncated) and sets its mode exactly
// (independent of the umask).
Status WriteFileWithMode(const std::string& path, std::string_view data, mode_t mode);

// Copies a file's bytes and mode bits.
Status CopyFile(const std::string& from, const std::string& to);

// True if the path exists (any type).
bool PathExists(const std::string& path);

}  // namespace kw::test
