#include "support/sshd_server.h"

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "base/file.h"

namespace kw::test {
namespace {

using Clock = std::chrono::steady_clock;

// sshd refuses to start without its privilege-separation directory.
Status EnsurePrivsepDir() {
  struct stat st;
  if (::stat("/run/sshd", &st) == 0) {
    if (S_ISDIR(st.st_mode)) return OkStatus();
    return FailedPreconditionError("/run/sshd exists but is not a directory");
  }
  if (::mkdir("/run", 0755) != 0 && errno != EEXIST) return ErrnoStatus("mkdir /run", errno);
  if (::mkdir("/run/sshd", 0755) != 0 && errno != EEXIST) return ErrnoStatus("mkdir /run/sshd", errno);
  ::chmod("/run/sshd", 0755);
  return OkStatus();
}

std::string Tail(const std::string& s, size_t max) {
  return s.size() <= max ? s : "..." + s.substr(s.size() - max);
}

}  // namespace

std::string LoginResult::Describe() const { return "$ " + command + "\n" + ssh.Describe(); }

StatusOr<int> PickFreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus("socket", errno);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    ::close(fd);
    return ErrnoStatus("bind 127.0.0.1:0", e);
  }
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int e = errno;
    ::close(fd);
    return ErrnoStatus("getsockname", e);
  }
  ::close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

bool LoopbackPortAccepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

StatusOr<std::unique_ptr<SshdServer>> SshdServer::Start(SshdOptions options) {
  if (::geteuid() != 0) {
    return FailedPreconditionError(
        "SshdServer needs root: sshd only logs in other users when it runs as root, and the interop "
        "tests log in as root (run them as root, e.g. in the project's container); euid is " +
        std::to_string(::geteuid()));
  }
  KW_RETURN_IF_ERROR(EnsurePrivsepDir());
  KW_ASSIGN_OR_RETURN(TempDir dir, TempDir::Create("kw-sshd"));
  std::unique_ptr<SshdServer> server(new SshdServer(std::move(dir), std::move(options)));
  const SshdOptions& opt = server->options_;

  for (const std::string& type : opt.host_key_types) {
    std::string key = server->host_key_path(type);
    KW_ASSIGN_OR_RETURN(SubprocessResult r,
                        RunSubprocess({opt.ssh_keygen_path, "-q", "-t", type, "-N", "", "-C",
                                       "kw-test-host-" + type, "-f", key}));
    if (!r.ExitedWith(0)) return InternalError("generating sshd host key " + type + " failed: " + r.Describe());
  }
  KW_RETURN_IF_ERROR(server->SetAuthorizedKeys(opt.authorized_keys));
  KW_RETURN_IF_ERROR(server->Launch());
  return server;
}

SshdServer::~SshdServer() {
  if (process_) process_->Stop();
}

std::string SshdServer::host_key_path(std::string_view type) const {
  return dir_.Path("ssh_host_" + std::string(type) + "_key");
}

StatusOr<std::string> SshdServer::host_public_key(std::string_view type) const {
  KW_ASSIGN_OR_RETURN(std::string line, ReadFile(host_key_path(type) + ".pub"));
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

Status SshdServer::SetAuthorizedKeys(std::string_view contents) const {
  return WriteFileWithMode(authorized_keys_path(), contents, 0600);
}

std::string SshdServer::Log() const {
  StatusOr<std::string> log = ReadFile(log_path());
  return log.ok() ? *log : "(no sshd log: " + log.status().message() + ")";
}

bool SshdServer::Running() { return process_ && process_->Running(); }

Status SshdServer::WriteConfig() {
  const SshdOptions& opt = options_;
  std::string c = "# Written by kw::test::SshdServer\n";
  for (const auto& line : opt.config) c += line + "\n";
  c += "ListenAddress 127.0.0.1\n";
  c += "Port " + std::to_string(port_) + "\n";
  for (const std::string& type : opt.host_key_types) c += "HostKey " + host_key_path(type) + "\n";
  c += "PidFile " + dir_.Path("sshd.pid") + "\n";
  c += "AuthorizedKeysFile " +
       (opt.authorized_keys_file.empty() ? authorized_keys_path() : opt.authorized_keys_file) + "\n";
  c += "StrictModes no\n";
  c += "PubkeyAuthentication yes\n";
  c += "PasswordAuthentication no\n";
  c += "KbdInteractiveAuthentication no\n";
  c += "UsePAM no\n";
  c += "PermitRootLogin prohibit-password\n";
  c += "LogLevel VERBOSE\n";
  c += "PrintMotd no\n";
  c += "PrintLastLog no\n";
  c += "UseDNS no\n";
  c += "LoginGraceTime 30\n";
  for (const auto& line : opt.trailing_config) c += line + "\n";
  return WriteFileWithMode(config_path(), c, 0600);
}

Status SshdServer::Launch() {
  std::string last_error;
  for (int attempt = 0; attempt < 4; ++attempt) {
    KW_ASSIGN_OR_RETURN(port_, PickFreeLoopbackPort());
    KW_RETURN_IF_ERROR(WriteConfig());
    KW_ASSIGN_OR_RETURN(SubprocessResult check,
                        RunSubprocess({options_.sshd_path, "-t", "-f", config_path()}));
    if (!check.ExitedWith(0)) {
      return InvalidArgumentError("sshd -t rejected the config " + config_path() + ": " + check.Describe());
    }
    BackgroundOptions bg;
    bg.stderr_path = log_path();
    bg.stdout_path = log_path();
    bg.cwd = dir_.path();
    KW_ASSIGN_OR_RETURN(BackgroundProcess proc,
                        BackgroundProcess::Start({options_.sshd_path, "-D", "-e", "-f", config_path()}, bg));
    process_.emplace(std::move(proc));
    const Clock::time_point deadline = Clock::now() + options_.start_timeout;
    bool exited = false;
    while (Clock::now() < deadline) {
      if (!process_->Running()) {
        exited = true;
        break;
      }
      if (LoopbackPortAccepts(port_)) return OkStatus();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::string log = Log();
    if (exited) {
      last_error = "sshd exited (" + process_->ended() + ") before accepting connections on port " +
                   std::to_string(port_) + "; its log:\n" + Tail(log, 4000);
      process_.reset();
      // Someone took the port between picking and binding: try another.
      if (log.find("Address already in use") != std::string::npos ||
          log.find("Bind to port") != std::string::npos)
        continue;
      return InternalError(last_error);
    }
    process_->Stop();
    process_.reset();
    return InternalError("sshd did not accept connections on 127.0.0.1:" + std::to_string(port_) +
                         " within " + std::to_string(options_.start_timeout.count()) + " ms; its log:\n" +
                         Tail(log, 4000));
  }
  return InternalError(last_error);
}

StatusOr<LoginResult> SshdServer::TryLogin(const std::string& identity_file, const LoginOptions& options) const {
  std::vector<std::string> argv = {"ssh", "-F", "/dev/null"};
  for (const auto& o : options.ssh_options) argv.insert(argv.end(), {"-o", o});
  if (!identity_file.empty()) argv.insert(argv.end(), {"-i", identity_file, "-o", "IdentitiesOnly=yes"});
  argv.insert(argv.end(), {"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o",
                           "UserKnownHostsFile=/dev/null", "-o", "PubkeyAcceptedAlgorithms=+ssh-rsa", "-o",
                           "ConnectTimeout=10", "-p", std::to_string(port_), options.user + "@127.0.0.1",
                           options.remote_command});
  SubprocessOptions sp;
  sp.timeout = options.timeout;
  bool agent_set = false;
  for (const auto& e : options.env)
    if (e.first == "SSH_AUTH_SOCK") agent_set = true;
  if (!agent_set) sp.env.emplace_back("SSH_AUTH_SOCK", std::nullopt);
  for (const auto& e : options.env) sp.env.push_back(e);
  LoginResult result;
  result.command = ShellQuote(argv);
  KW_ASSIGN_OR_RETURN(result.ssh, RunSubprocess(argv, sp));
  std::string want = options.expected_output + "\n";
  result.ok = result.ssh.ExitedWith(0) && result.ssh.out.find(want) != std::string::npos;
  return result;
}

}  // namespace kw::test
