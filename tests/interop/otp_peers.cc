#include "interop/otp_peers.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <poll.h>
#include <random>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/file.h"

namespace kw::interop {

StatusOr<std::string> PamKeywardPath() {
  const char* build = std::getenv("KW_BUILD_DIR");
  if (build == nullptr || *build == '\0') return NotFoundError("KW_BUILD_DIR is not set (run through ctest)");
  std::string path = std::string(build) + "/lib/pam_keyward.so";
  if (::access(path.c_str(), R_OK) != 0) return NotFoundError(path + " not found (build the pam_keyward target)");
  return path;
}

Status RequirePeers(const std::vector<std::string>& programs, const std::vector<std::string>& files) {
  std::string missing;
  for (const auto& p : programs) {
    if (!test::FindProgram(p).ok()) missing += " " + p;
  }
  for (const auto& f : files) {
    if (::access(f.c_str(), R_OK) != 0) missing += " " + f;
  }
  if (missing.empty()) return OkStatus();
  return NotFoundError("missing peers:" + missing +
                       " (Debian: oathtool pamtester libpam-google-authenticator openssh-server; "
                       "scripts/install-deps.sh installs them)");
}

StatusOr<std::unique_ptr<PamService>> PamService::Create(const std::string& body, const std::string& prefix) {
  // Linux-PAM lower-cases service names, so the name is lower case too.
  std::random_device rd;
  std::string path;
  int fd = -1;
  for (int attempt = 0; attempt < 20 && fd < 0; ++attempt) {
    std::string suffix;
    for (int i = 0; i < 8; ++i) suffix += "abcdefghijklmnopqrstuvwxyz0123456789"[rd() % 36];
    path = "/etc/pam.d/" + prefix + suffix;
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) return ErrnoStatus("creating a PAM service in /etc/pam.d (needs root)", errno);
  ::fchmod(fd, 0644);
  bool ok = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
  ::close(fd);
  std::string name = path.substr(path.rfind('/') + 1);
  auto service = std::unique_ptr<PamService>(new PamService(name, path));
  if (!ok) return InternalError("writing " + path);
  return service;
}

PamService::~PamService() {
  if (std::getenv("KW_KEEP_TEMP") == nullptr) ::unlink(path_.c_str());
}

PamtesterResult RunPamtester(const std::string& service, const std::string& user, const std::string& answer,
                             const std::string& prompt, const std::string& rhost) {
  PamtesterResult r;
  test::SubprocessOptions o;
  o.stdin_data = answer + "\n";
  o.timeout = std::chrono::seconds(30);
  std::vector<std::string> argv = {"pamtester"};
  if (!rhost.empty()) argv.insert(argv.end(), {"-I", "rhost=" + rhost});
  argv.insert(argv.end(), {service, user, "authenticate"});
  auto run = test::RunSubprocess(argv, o);
  if (!run.ok()) {
    ADD_FAILURE() << "cannot run pamtester: " << run.status().ToString();
    return r;
  }
  r.run = std::move(run).value();
  r.authenticated = r.run.ExitedWith(0) && r.run.out.find("successfully authenticated") != std::string::npos;
  r.prompted = (r.run.out + r.run.err).find(prompt) != std::string::npos;
  return r;
}

std::string Oathtool(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"oathtool"};
  argv.insert(argv.end(), args.begin(), args.end());
  test::SubprocessOptions o;
  o.env = {{"TZ", "UTC"}, {"LC_ALL", "C"}};
  auto run = test::RunSubprocess(argv, o);
  if (!run.ok() || !run->ExitedWith(0)) {
    ADD_FAILURE() << test::ShellQuote(argv) << ": " << (run.ok() ? run->Describe() : run.status().ToString());
    return "";
  }
  std::string out = run->out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

StatusOr<std::unique_ptr<SyslogCatcher>> SyslogCatcher::Start() {
  const char* kPath = "/dev/log";
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus("socket", errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", kPath);
  struct stat st;
  if (::lstat(kPath, &st) == 0) {
    // Someone's socket: in use (a running logger) or stale?
    int probe = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bool live = probe >= 0 && ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (probe >= 0) ::close(probe);
    if (live || !S_ISSOCK(st.st_mode)) {
      ::close(fd);
      return FailedPreconditionError("/dev/log is owned by a running system logger; cannot catch syslog");
    }
    ::unlink(kPath);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    ::close(fd);
    return ErrnoStatus("bind /dev/log", e);
  }
  ::chmod(kPath, 0666);
  return std::unique_ptr<SyslogCatcher>(new SyslogCatcher(fd));
}

SyslogCatcher::~SyslogCatcher() {
  ::close(fd_);
  ::unlink("/dev/log");
}

std::vector<std::string> SyslogCatcher::Drain() {
  std::vector<std::string> out;
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, out.empty() ? 300 : 50) <= 0) break;
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.emplace_back(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace kw::interop
