#include "support/subprocess.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <tuple>
#include <unistd.h>

#include "base/file.h"

extern char** environ;

namespace kw::test {
namespace {

using Clock = std::chrono::steady_clock;
using EnvChanges = std::vector<std::pair<std::string, std::optional<std::string>>>;

// The parent must survive writing to a child that has closed its stdin; the
// child gets SIGPIPE back at its default (see SpawnAttr).
void IgnoreSigpipeOnce() {
  static const bool done = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)done;
}

std::vector<std::string> BuildEnv(const EnvChanges& changes) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  for (const auto& [name, value] : changes) {
    std::string prefix = name + "=";
    std::erase_if(env, [&](const std::string& s) { return s.compare(0, prefix.size(), prefix) == 0; });
    if (value) env.push_back(prefix + *value);
  }
  return env;
}

std::string EnvValue(const std::vector<std::string>& env, const std::string& name) {
  std::string prefix = name + "=";
  for (const auto& s : env)
    if (s.compare(0, prefix.size(), prefix) == 0) return s.substr(prefix.size());
  return "";
}

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

StatusOr<std::string> FindProgramIn(const std::string& name, const std::string& path_var) {
  if (name.empty()) return InvalidArgumentError("empty program name");
  if (name.find('/') != std::string::npos) {
    if (IsExecutableFile(name)) return name;
    return NotFoundError(name + ": not an executable file");
  }
  std::string path = path_var.empty() ? "/usr/local/bin:/usr/bin:/bin" : path_var;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    // (Built with append: GCC 12 gives a false -Wrestrict for a + "/" + b.)
    std::string_view dir = std::string_view(path).substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate;
    candidate.reserve(dir.size() + 1 + name.size());
    candidate.append(dir);
    candidate.push_back('/');
    candidate.append(name);
    if (IsExecutableFile(candidate)) return candidate;
    start = end + 1;
  }
  return NotFoundError(name + ": not found in PATH (" + path + ")");
}

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// posix_spawn attributes shared by both kinds of child: a new session (no
// controlling terminal, own process group), default signal dispositions for
// signals a test runner may ignore, and an empty signal mask.
class SpawnAttr {
 public:
  SpawnAttr() {
    posix_spawnattr_init(&attr_);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int sig : {SIGPIPE, SIGINT, SIGQUIT, SIGHUP, SIGTERM, SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2})
      sigaddset(&defaults, sig);
    posix_spawnattr_setsigdefault(&attr_, &defaults);
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigmask(&attr_, &empty);
    posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr_); }
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
  posix_spawnattr_t* get() { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&fa_); }
  ~FileActions() { posix_spawn_file_actions_destroy(&fa_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &fa_; }

 private:
  posix_spawn_file_actions_t fa_;
};

// Starts the child. `fa` already holds the stdio redirections.
StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const EnvChanges& env_changes,
                      const std::string& cwd, FileActions& fa) {
  if (argv.empty()) return InvalidArgumentError("RunSubprocess: empty argv");
  std::vector<std::string> env = BuildEnv(env_changes);
  KW_ASSIGN_OR_RETURN(std::string program, FindProgramIn(argv[0], EnvValue(env, "PATH")));
  if (!cwd.empty()) {
    struct stat st;
    if (::stat(cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return NotFoundError("working directory " + cwd + " does not exist");
    posix_spawn_file_actions_addchdir_np(fa.get(), cwd.c_str());
  }
  std::vector<std::string> args = argv;
  std::vector<char*> cargv = CStrings(args);
  std::vector<char*> cenv = CStrings(env);
  SpawnAttr attr;
  pid_t pid = -1;
  int rc = posix_spawn(&pid, program.c_str(), fa.get(), attr.get(), cargv.data(), cenv.data());
  if (rc != 0) return ErrnoStatus("posix_spawn " + program, rc);
  return pid;
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}


}  // namespace

std::string Visible(std::string_view s, size_t max) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      out += "$\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max) out += "...[" + std::to_string(s.size() - max) + " more bytes]";
  if (!out.empty() && out.back() != '\n') out += "[no newline at end]";
  return out;
}

std::string SubprocessResult::DescribeStatus() const {
  if (timed_out) return "timed out (killed)";
  if (term_signal != 0) return "killed by signal " + std::to_string(term_signal);
  return "exit " + std::to_string(exit_code);
}

std::string SubprocessResult::Describe() const {
  return DescribeStatus() + "\n--- stdout ---\n" + Visible(out, 4000) + "\n--- stderr ---\n" +
         Visible(err, 4000) + "\n";
}

std::string ShellQuote(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty();
    for (char c : a)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || std::strchr("@%+=:,./_-", c) != nullptr))
        plain = false;
    if (plain) {
      out += a;
    } else {
      out += '\'';
      for (char c : a) {
        if (c == '\'')
          out += "'\\''";
        else
          out += c;
      }
      out += '\'';
    }
  }
  return out;
}

StatusOr<std::string> FindProgram(const std::string& name) {
  const char* path = std::getenv("PATH");
  return FindProgramIn(name, path ? path : "");
}

StatusOr<SubprocessResult> RunSubprocess(const std::vector<std::string>& argv,
                                         const SubprocessOptions& options) {
  IgnoreSigpipeOnce();
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return ErrnoStatus("pipe", errno);
  if (::pipe2(out, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(in[0]), ::close(in[1]);
    return ErrnoStatus("pipe", e);
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(in[0]), ::close(in[1]), ::close(out[0]), ::close(out[1]);
    return ErrnoStatus("pipe", e);
  }
  FileActions fa;
  posix_spawn_file_actions_adddup2(fa.get(), in[0], 0);
  posix_spawn_file_actions_adddup2(fa.get(), out[1], 1);
  posix_spawn_file_actions_adddup2(fa.get(), err[1], 2);
  StatusOr<pid_t> spawned = Spawn(argv, options.env, options.cwd, fa);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  int in_fd = in[1], out_fd = out[0], err_fd = err[0];
  if (!spawned.ok()) {
    CloseFd(in_fd), CloseFd(out_fd), CloseFd(err_fd);
    return spawned.status();
  }
  pid_t pid = *spawned;

  SubprocessResult result;
  const Clock::time_point deadline = Clock::now() + options.timeout;
  size_t written = 0;
  if (options.stdin_data.empty()) {
    CloseFd(in_fd);
  } else {
    ::fcntl(in_fd, F_SETFL, ::fcntl(in_fd, F_GETFL) | O_NONBLOCK);
  }

  auto pump = [&](Clock::time_point until) {
    char buf[65536];
    while (in_fd >= 0 || out_fd >= 0 || err_fd >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
      if (left <= 0) return false;
      pollfd fds[3];
      int n = 0;
      int idx_in = -1, idx_out = -1, idx_err = -1;
      if (in_fd >= 0) idx_in = n, fds[n++] = {in_fd, POLLOUT, 0};
      if (out_fd >= 0) idx_out = n, fds[n++] = {out_fd, POLLIN, 0};
      if (err_fd >= 0) idx_err = n, fds[n++] = {err_fd, POLLIN, 0};
      int rc = ::poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::min<long long>(left, 1000)));
      if (rc < 0 && errno != EINTR) return false;
      if (rc <= 0) continue;
      if (idx_in >= 0 && fds[idx_in].revents != 0) {
        if (fds[idx_in].revents & (POLLERR | POLLHUP)) {
          CloseFd(in_fd);  // the child closed its stdin; the rest is dropped
        } else {
          ssize_t w = ::write(in_fd, options.stdin_data.data() + written, options.stdin_data.size() - written);
          if (w > 0) written += static_cast<size_t>(w);
          if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == options.stdin_data.size())
            CloseFd(in_fd);
        }
      }
      for (auto [idx, fd, sink] : {std::tuple{idx_out, &out_fd, &result.out}, std::tuple{idx_err, &err_fd, &result.err}}) {
        if (idx < 0 || fds[idx].revents == 0) continue;
        ssize_t r = ::read(*fd, buf, sizeof buf);
        if (r > 0)
          sink->append(buf, static_cast<size_t>(r));
        else if (r == 0 || (errno != EINTR && errno != EAGAIN))
          CloseFd(*fd);
      }
    }
    return true;
  };

  bool finished = pump(deadline);
  int status = 0;
  bool reaped = false;
  if (finished) {
    // Output is closed; the child may still be running (e.g. it closed its
    // stdout). Wait for it until the deadline.
    while (true) {
      pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        reaped = true;
        break;
      }
      if (w < 0 && errno != EINTR) break;
      if (Clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  if (!reaped) {
    result.timed_out = true;
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    // Collect what the killed group had written, for the failure message.
    pump(Clock::now() + std::chrono::milliseconds(500));
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  CloseFd(in_fd), CloseFd(out_fd), CloseFd(err_fd);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
  return result;
}

StatusOr<BackgroundProcess> BackgroundProcess::Start(const std::vector<std::string>& argv,
                                                     const BackgroundOptions& options) {
  FileActions fa;
  posix_spawn_file_actions_addopen(fa.get(), 0, "/dev/null", O_RDONLY, 0);
  const int flags = O_WRONLY | O_CREAT | O_APPEND;
  posix_spawn_file_actions_addopen(fa.get(), 1, options.stdout_path.empty() ? "/dev/null" : options.stdout_path.c_str(),
                                   flags, 0644);
  posix_spawn_file_actions_addopen(fa.get(), 2, options.stderr_path.empty() ? "/dev/null" : options.stderr_path.c_str(),
                                   flags, 0644);
  KW_ASSIGN_OR_RETURN(pid_t pid, Spawn(argv, options.env, options.cwd, fa));
  return BackgroundProcess(pid);
}

BackgroundProcess::BackgroundProcess(BackgroundProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), ended_(std::move(other.ended_)) {}

BackgroundProcess& BackgroundProcess::operator=(BackgroundProcess&& other) noexcept {
  if (this != &other) {
    Stop();
    pid_ = std::exchange(other.pid_, -1);
    ended_ = std::move(other.ended_);
  }
  return *this;
}

BackgroundProcess::~BackgroundProcess() { Stop(); }

bool BackgroundProcess::Running() {
  if (pid_ < 0) return false;
  int status = 0;
  pid_t w = ::waitpid(pid_, &status, WNOHANG);
  if (w == pid_) {
    ended_ = DescribeWaitStatus(status);
    pid_ = -1;
    return false;
  }
  return true;
}

std::string BackgroundProcess::Stop(std::chrono::milliseconds grace) {
  if (!Running()) return ended_;
  ::kill(-pid_, SIGTERM);
  ::kill(pid_, SIGTERM);
  const Clock::time_point deadline = Clock::now() + grace;
  while (Clock::now() < deadline) {
    if (!Running()) return ended_;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  ended_ = DescribeWaitStatus(status) + " (after SIGTERM was ignored)";
  pid_ = -1;
  return ended_;
}

}  // namespace kw::test
