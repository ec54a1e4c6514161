// Whole-file reads and atomic writes. The only filesystem code below the
// apps; formats never touch files, they take and return bytes.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "base/status.h"

namespace kw {

// Reads a whole file. Errors name the path: "keys.pub: No such file or directory".
// `max_size` guards against reading something unexpectedly huge.
StatusOr<std::string> ReadFile(const std::string& path, size_t max_size = size_t{1} << 30);

// Reads `fd` to its end in pieces and calls `on_line` with each line, its
// '\n' included (the last line of the input may have none). Only one piece
// and the longest line are held in memory, never the whole input. Returns
// OK, reading no further, once `on_line` returns false. Errors name `what`.
Status ReadLines(int fd, std::string_view what, const std::function<bool(std::string_view)>& on_line);
// ReadLines over the file at `path`; errors name the path as ReadFile's do.
Status ReadFileLines(const std::string& path, const std::function<bool(std::string_view)>& on_line);

struct AtomicWriteOptions {
  mode_t mode = 0644;
  // Fail with kAlreadyExists instead of replacing an existing file. The new
  // file appears with link(2), so two writers cannot both win.
  bool no_replace = false;
  // false: no fsync of the file and its directory. The swap stays atomic for
  // readers, but after a power failure the file may be old, empty or
  // missing: only for files that can be rebuilt (a status file).
  bool durable = true;
};

// Writes `data` to `path` so that a reader sees either the old file or the
// whole new one, never a part: a temporary file in the same directory is
// written, given its mode, fsynced, renamed over `path`, and the directory is
// fsynced. On error nothing is left behind.
Status WriteFileAtomic(const std::string& path, std::string_view data, const AtomicWriteOptions& options);

// The directory of a path: "." for "agent.conf", "/" for "/x" (the base of
// relative paths in a configuration file).
std::string DirectoryOf(std::string_view path);

// The errno text prefixed by `what`: "keys.pub: Permission denied".
Status ErrnoStatus(std::string_view what, int err);

}  // namespace kw
