// The known_hosts operations behind `keyward knownhosts ...` and the
// `keyward ssh-keygen -F/-H/-R` spellings. RunKnownHosts follows OpenSSH
// 9.2's do_known_hosts() step by step: the same lines found, hashed and
// removed, the same stdout, the same messages, the same FILE.old backup and
// exit codes. `Io::style` only changes how messages are worded.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "cli/key_ops.h"
#include "crypto/hash.h"
#include "formats/certificate.h"

namespace kw::cli {

struct KnownHostsOptions {
  // -F NAME / -R NAME both set the one name ssh-keygen keeps (the last wins).
  std::string name;
  bool find = false;    // -F
  bool remove = false;  // -R
  bool hash = false;    // -H
  bool quiet = false;   // -q
  bool print_fingerprint = false;  // -l (with -F)
  bool bubblebabble = false;       // -B (with -lF)
  // -v: randomart with -lF, and OpenSSH's verbose note for each line with
  // an invalid marker.
  bool verbose = false;
  crypto::HashAlg fingerprint_hash = crypto::HashAlg::kSha256;  // -E
  std::optional<std::string> file;  // -f; default ~/.ssh/known_hosts of the user
  // Files written by -H/-R get this mode: ssh-keygen uses the old mode &
  // 0644; keyward's own commands keep the mode (and owner) unchanged.
  bool keep_mode = false;
  // Use up to two threads for large files (same output).
  bool parallel = true;
};

// Returns the exit code.
int RunKnownHosts(const Io& io, const KnownHostsOptions& options);

// ~/.ssh/known_hosts of the current user (from the password database, as
// ssh-keygen's tilde expansion).
std::string DefaultKnownHostsPath();

struct LoadedKeyFile {
  formats::KeyOrCert key;
  std::string comment;
};

// The first key in a file ("-": standard input): a public key or
// certificate line, also one behind an options or host field
// (authorized_keys, known_hosts and ssh-keyscan lines).
StatusOr<LoadedKeyFile> ReadKeyFile(const std::string& path);

// OpenSSH's log line encoding on stderr (strnvis VIS_SAFE|VIS_OCTAL):
// backslashes doubled, other unsafe bytes as \ooo.
std::string LogVis(std::string_view message);

}  // namespace kw::cli
