// Finding the public keys in a text file the way `ssh-keygen -l` does
// (OpenSSH 9.2 do_fingerprint): plain key lines, authorized_keys lines with
// options, known_hosts lines with host lists, each with the comment
// ssh-keygen shows for it.
#pragma once

#include <functional>
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

}  // namespace kw::formats
