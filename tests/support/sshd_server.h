// SshdServer: a throwaway OpenSSH server on 127.0.0.1 for interop tests.
//
// Each server lives in its own TempDir with its own host key(s), config,
// pid file, authorized_keys and log, listens on a free loopback port, and is
// stopped when the object is destroyed. It never reads /etc/ssh/sshd_config.
// Tests that log in run as root: sshd can only switch to another user, and
// our tests log in as root (PermitRootLogin prohibit-password), so Start()
// fails with a clear message when not run as root.
//
// Reuse: later suites pass `config` lines to switch features on
// (TrustedUserCAKeys, AuthorizedKeysCommand, UsePAM yes, RevokedKeys, ...),
// and `ssh_options` / `env` to TryLogin for client-side settings
// (UserKnownHostsFile, CertificateFile, IdentityAgent via SSH_AUTH_SOCK).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace kw::test {

struct SshdOptions {
  // Initial contents of <dir>/authorized_keys.
  std::string authorized_keys;
  // Value of AuthorizedKeysFile; empty means <dir>/authorized_keys.
  // "none" disables the file (e.g. with AuthorizedKeysCommand).
  std::string authorized_keys_file;
  // Config lines written BEFORE the defaults. sshd uses the first value it
  // reads for a keyword, so these override the defaults below (e.g.
  // "UsePAM yes", "LogLevel DEBUG3", "PubkeyAcceptedAlgorithms +ssh-rsa").
  std::vector<std::string> config;
  // Config lines written at the very end, after the defaults: the place for
  // `Match` blocks, which must come last.
  std::vector<std::string> trailing_config;
  // Host key types to generate (ssh-keygen -t), each becomes a HostKey.
  std::vector<std::string> host_key_types = {"ed25519"};
  // How long to wait for the port to accept connections.
  std::chrono::milliseconds start_timeout{15000};
  std::string sshd_path = "/usr/sbin/sshd";
  std::string ssh_keygen_path = "ssh-keygen";
};

struct LoginOptions {
  std::string user = "root";
  // Passed as "-o OPTION" BEFORE the defaults, so (ssh using the first value
  // of an option) they can override them, e.g.
  // "StrictHostKeyChecking=yes", "UserKnownHostsFile=/path".
  std::vector<std::string> ssh_options;
  // Environment changes for ssh. SSH_AUTH_SOCK is removed unless set here.
  std::vector<std::pair<std::string, std::optional<std::string>>> env;
  std::string remote_command = "echo kw-login-ok";
  std::string expected_output = "kw-login-ok";
  std::chrono::milliseconds timeout{30000};
};

struct LoginResult {
  bool ok = false;          // ssh exited 0 and printed expected_output
  std::string command;      // the ssh command line, shell-quoted
  SubprocessResult ssh;     // ssh's exit status, stdout, stderr
  std::string Describe() const;
};

class SshdServer {
 public:
  // Creates the directory, host keys and config, checks the config with
  // `sshd -t`, starts `sshd -D -e -f CONFIG` and waits until the port
  // accepts connections. Errors include sshd's own messages.
  static StatusOr<std::unique_ptr<SshdServer>> Start(SshdOptions options = {});
  ~SshdServer();
  SshdServer(const SshdServer&) = delete;
  SshdServer& operator=(const SshdServer&) = delete;

  int port() const { return port_; }
  // The server's private directory (config, keys, log live here).
  const std::string& dir() const { return dir_.path(); }
  std::string config_path() const { return dir_.Path("sshd_config"); }
  std::string authorized_keys_path() const { return dir_.Path("authorized_keys"); }
  std::string log_path() const { return dir_.Path("sshd.log"); }
  // Private host key file of the given type ("ed25519"); ".pub" beside it.
  std::string host_key_path(std::string_view type = "ed25519") const;
  // The host public key line ("ssh-ed25519 AAAA... comment") of that type.
  StatusOr<std::string> host_public_key(std::string_view type = "ed25519") const;

  // Replaces <dir>/authorized_keys; sshd reads it at each login.
  Status SetAuthorizedKeys(std::string_view contents) const;
  // sshd's log (stderr) so far.
  std::string Log() const;
  // False once sshd has exited.
  bool Running();

  // Runs
  //   ssh -F /dev/null [-i KEY -o IdentitiesOnly=yes] -o BatchMode=yes
  //       -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  //       -o PubkeyAcceptedAlgorithms=+ssh-rsa -p PORT USER@127.0.0.1 echo kw-login-ok
  // (with options.ssh_options first). An empty `identity_file` leaves out -i
  // and IdentitiesOnly (e.g. for keys from an agent). Only failing to start
  // ssh at all is an error; a refused login is a result with ok == false.
  StatusOr<LoginResult> TryLogin(const std::string& identity_file, const LoginOptions& options = {}) const;

 private:
  SshdServer(TempDir dir, SshdOptions options) : dir_(std::move(dir)), options_(std::move(options)) {}
  Status WriteConfig();
  Status Launch();
  TempDir dir_;
  SshdOptions options_;
  int port_ = 0;
  std::optional<BackgroundProcess> process_;
};

// Finds a TCP port on 127.0.0.1 that is free right now (bind to port 0).
StatusOr<int> PickFreeLoopbackPort();
// True if something accepts TCP connections on 127.0.0.1:port.
bool LoopbackPortAccepts(int port);

}  // namespace kw::test
