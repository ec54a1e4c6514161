// The certificate, KRL and signature operations behind `keyward cert`,
// `keyward krl`, `keyward sign|verify` and their `keyward ssh-keygen`
// spellings (-s -L, -k -Q, -Y). Each follows OpenSSH 9.2's ssh-keygen
// (do_ca_sign, do_show_cert, do_gen_krl, do_check_krl, sig_*): the same
// file probes, messages and exit codes; `Io::style` only changes how fatal
// errors are worded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/key_ops.h"
#include "crypto/hash.h"
#include "formats/cert_time.h"

namespace kw::cli {

// Output that ssh-keygen printed with printf() and that is still in its
// stdio buffer when it hits a fatal error: fatal() leaves with _exit(), so
// the text only appears when standard output is a terminal (line
// buffered). Native mode always prints it.
void OutBeforeFatal(const Io& io, const std::string& text);

// The local time zone of the process (localtime_r / mktime), which is what
// ssh-keygen uses for -V and -L.
const formats::TimeZone& LocalZone();

// ---------------------------------------------------------------------------
// Certificates.

struct CertSignOptions {
  std::string ca_path;                    // -s
  bool host = false;                      // -h
  std::optional<std::string> key_id;      // -I (required)
  std::optional<std::string> principals;  // -n "p1,p2"
  formats::Validity validity;             // -V, already parsed
  std::vector<std::string> options;       // -O, in order
  uint64_t serial = 0;                    // -z
  bool serial_autoinc = false;            // -z +N
  std::optional<std::string> algorithm;   // -t (e.g. rsa-sha2-256)
  std::optional<std::string> passphrase;  // -P, for an encrypted CA key
  bool quiet = false;                     // -q
  std::vector<std::string> keys;          // public keys to certify
};

// ssh-keygen -s: writes KEY-cert.pub beside each KEY.pub and reports
// "Signed user key ..." on stderr. Returns the exit code.
int CertSign(const Io& io, const CertSignOptions& options);

// ssh-keygen -L -f PATH ("-" is standard input).
int ShowCert(const Io& io, const std::string& path, crypto::HashAlg hash);

// ---------------------------------------------------------------------------
// KRL.

struct KrlBuildOptions {
  std::string krl_path;                  // -f
  bool update = false;                   // -u
  std::optional<std::string> ca_path;    // -s (or "none": any CA)
  uint64_t version = 0;                  // -z (0: unset)
  std::optional<std::string> comment;    // -C
  bool quiet = false;                    // -q
  std::vector<std::string> specs;        // spec files ("-": stdin)
};
// ssh-keygen -k.
int KrlBuild(const Io& io, const KrlBuildOptions& options);

// ssh-keygen -Q [-l] -f KRL [FILE...].
int KrlQuery(const Io& io, const std::string& krl_path, bool print, const std::vector<std::string>& keys);

// ---------------------------------------------------------------------------
// SSHSIG.

struct SigOptions {
  std::vector<std::string> opts;          // -O (hashalg=, verify-time=, print-pubkey)
  bool quiet = false;                     // -q
  crypto::HashAlg fingerprint_hash = crypto::HashAlg::kSha256;  // -E
  std::optional<std::string> passphrase;  // -P
  // An existing FILE.sig: ask as ssh-keygen does, refuse, or replace.
  enum class Overwrite { kAsk, kNo, kYes };
  Overwrite overwrite = Overwrite::kAsk;
};

// ssh-keygen -Y sign -f KEY -n NAMESPACE [FILE...] (no files: stdin to stdout).
int SigSign(const Io& io, const std::string& key_path, const std::string& sig_namespace,
            const std::vector<std::string>& files, const SigOptions& options);
// ssh-keygen -Y verify / check-novalidate (allowed_signers and principal
// absent for check-novalidate). The message is read from standard input.
int SigVerify(const Io& io, const std::string& signature_path, const std::string& sig_namespace,
              const std::optional<std::string>& principal, const std::optional<std::string>& allowed_signers,
              const std::optional<std::string>& revoked_keys, const SigOptions& options);
// ssh-keygen -Y find-principals -s SIG -f ALLOWED_SIGNERS.
int SigFindPrincipals(const Io& io, const std::string& signature_path, const std::string& allowed_signers,
                      const SigOptions& options);
// ssh-keygen -Y match-principals -I PRINCIPAL -f ALLOWED_SIGNERS.
int SigMatchPrincipals(const Io& io, const std::string& allowed_signers, const std::string& principal,
                       const SigOptions& options);

}  // namespace kw::cli
