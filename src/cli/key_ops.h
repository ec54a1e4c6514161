// The key operations behind `keyward keygen|fingerprint|pubkey|passphrase`
// and their `keyward ssh-keygen` spellings. Each follows OpenSSH 9.2's
// ssh-keygen step by step (the order of its file probes, its messages and
// exit codes); `Style` only changes how a fatal error is worded.
#pragma once

#include <optional>
#include <string>

#include "crypto/hash.h"
#include "formats/key_type.h"
#include "formats/private_key.h"

namespace kw::cli {

enum class Style {
  kNative,     // "keyward: <message>\n", exit 1
  kSshKeygen,  // "<message>\r\n" (OpenSSH's log format), exit 255
};

// Where a command's output goes; flushed by the caller (or as it goes).
struct Io {
  Style style = Style::kNative;
  // ssh-keygen -v: its debug1 lines on stderr.
  bool verbose = false;
  void Debug(const std::string& message) const;
  // A fatal error in the current style; returns the exit code to use.
  int Fatal(const std::string& message) const;
  // A non-fatal message on stderr in the current style.
  void Error(const std::string& message) const;
};

struct FingerprintOptions {
  crypto::HashAlg hash = crypto::HashAlg::kSha256;
  bool randomart = false;     // -v
  bool bubblebabble = false;  // -B
  bool json = false;          // native only
};

// ssh-keygen -l [-E hash] [-v] [-B] -f PATH ("-" is stdin). Returns the exit code.
int Fingerprint(const Io& io, const std::string& path, const FingerprintOptions& options);

// ssh-keygen -y [-P pass] -f PATH.
int PrintPublic(const Io& io, const std::string& path, const std::optional<std::string>& passphrase);

// ssh-keygen -p [-P old] [-N new] [-a rounds] [-Z cipher] -f PATH.
struct ChangePassphraseOptions {
  std::optional<std::string> old_passphrase;
  std::optional<std::string> new_passphrase;
  formats::OpensshWriteOptions write;
};
int ChangePassphrase(const Io& io, const std::string& path, const ChangePassphraseOptions& options);

struct KeygenOptions {
  std::string type_name = "rsa";  // as given to -t (9.2's default is rsa)
  int bits = 0;
  std::optional<std::string> comment;
  std::optional<std::string> passphrase;
  std::optional<std::string> path;
  bool quiet = false;
  bool force = false;  // native: replace existing files
  formats::OpensshWriteOptions write;
};
int Keygen(const Io& io, const KeygenOptions& options);

// ssh-keygen's load_identity(): the private key at `path`, first without a
// passphrase, then with `passphrase` (or one asked for) if it is encrypted.
// On failure the fatal error is printed, *exit_code set and nullopt returned.
// A first failure other than a wrong passphrase is reported as
// `not_found_message` when that is given (ssh-keygen -Y sign's wording).
std::optional<formats::LoadedPrivateKey> LoadIdentity(const Io& io, const std::string& path,
                                                      const std::optional<std::string>& passphrase, int* exit_code,
                                                      const std::string& not_found_message = "");

// Resolves a key type name as ssh-keygen -t does: full names ("ssh-ed25519",
// "ecdsa-sha2-nistp384") or short ones in any case ("ed25519", "ecdsa").
// For ECDSA, *bits gets the curve size a full name implies (else stays).
std::optional<formats::KeyType> KeyTypeFromToolName(const std::string& name, int* bits);

}  // namespace kw::cli
