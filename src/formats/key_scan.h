// Finding the public keys in a text file the way `ssh-keygen -l` does
// (OpenSSH 9.2 do_fingerprint): plain key lines, authorized_keys lines with
// options, known_hosts lines with host lists, each with the comment
// ssh-keygen shows for it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "formats/public_key.h"

namespace kw::formats {
class KeyOrCert;
}

namespace kw::formats {

struct ScanOptions {
  // Stop at a first non-blank, non-comment line containing "PRIVATE KEY"
  // (ssh-keygen does this for files, not for standard input).
  bool detect_private_key = true;
};

struct ScanResult {
  size_t keys = 0;                  // keys reported
  bool is_private_key = false;      // stopped at a private key's first line
};

// Calls `on_key(line_number, key, comment)` for every line that holds a key,
// in order. `comment` is nullptr where ssh-keygen prints "no comment".
//
// Comment rules (9.2): the text after the key unless empty or starting with
// '#'; otherwise the options/host field that preceded the key. Like 9.2, a
// line that sets no comment reuses the previous line's (ssh-keygen keeps a
// pointer into its reused line buffer, so what it shows is the text now at
// that offset; we reproduce that buffer exactly).
// `on_bad_line(line_number, why)`, if given, is called for each line where
// ssh-keygen -v logs "not a public key": every non-blank, non-comment line
// where no key was found, except single-token lines, which 9.2 skips silently.
ScanResult ScanKeyLines(std::string_view text, const ScanOptions& options,
                        const std::function<void(size_t, const PublicKey&, const char*)>& on_key,
                        const std::function<void(size_t, const Status&)>& on_bad_line = nullptr);

// ScanKeyLines for files that may hold certificates too (ssh-keygen -l on
// a -cert.pub): certificate lines are reported as KeyOrCert values. The
// plain ScanKeyLines does not parse certificates (a certificate line is a
// bad line there), so callers that only want keys never see one.
ScanResult ScanKeyOrCertLines(std::string_view text, const ScanOptions& options,
                              const std::function<void(size_t, const KeyOrCert&, const char*)>& on_key,
                              const std::function<void(size_t, const Status&)>& on_bad_line = nullptr);

namespace internal {
// What a scan carries from one line to the next.
struct KeyScanState {
  ScanOptions options;
  ScanResult result;
  // getline's buffer: reused for every line and never shrunk.
  std::string buf;
  std::optional<size_t> comment;  // offset into buf; nullopt = NULL
  size_t lnum = 0;
  bool stopped = false;  // at a private key's first line
};
}  // namespace internal

// ScanKeyOrCertLines over input given a line at a time (a file read in
// pieces, standard input), so that a large file need not be held whole:
// the calls and the result are those of ScanKeyOrCertLines over the lines
// put end to end. Not thread-safe; the callbacks run inside AddLine().
class KeyOrCertLineScanner {
 public:
  using OnKey = std::function<void(size_t, const KeyOrCert&, const char*)>;
  using OnBadLine = std::function<void(size_t, const Status&)>;

  KeyOrCertLineScanner(const ScanOptions& options, OnKey on_key, OnBadLine on_bad_line = nullptr);

  // Scans one line: its bytes and the '\n' that ends it (the last line of
  // the input may have none). Returns false once the scan has stopped at a
  // private key's first line; later lines are then ignored.
  bool AddLine(std::string_view line);
  const ScanResult& result() const { return state_.result; }

 private:
  internal::KeyScanState state_;
  OnKey on_key_;
  OnBadLine on_bad_line_;
};

}  // namespace kw::formats
