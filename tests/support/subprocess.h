// Running other programs from tests: the real OpenSSH tools and our own
// binaries. No shell is involved: argv is passed as is.
//
// Every child runs in a new session (setsid), so it has no controlling
// terminal: a tool that would prompt on /dev/tty falls back to stdin or fails,
// the same way on a developer's terminal and in CI. A timeout kills the whole
// session's process group.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

#include "base/status.h"

namespace kw::test {

struct SubprocessOptions {
  // Written to the child's stdin, which is then closed (empty: EOF at once).
  std::string stdin_data;
  // Environment changes on top of the parent's environment: a value sets the
  // variable, std::nullopt removes it.
  std::vector<std::pair<std::string, std::optional<std::string>>> env;
  // Working directory of the child; empty keeps the parent's.
  std::string cwd;
  // After this the child's process group gets SIGKILL and the result says
  // timed_out.
  std::chrono::milliseconds timeout{60000};
};

struct SubprocessResult {
  int exit_code = -1;      // the exit status when the child exited, else -1
  int term_signal = 0;     // the signal that ended the child, else 0
  bool timed_out = false;  // killed because the timeout expired
  std::string out;         // everything the child wrote to stdout
  std::string err;         // everything the child wrote to stderr

  // True when the child exited normally with `code` (not killed, not timed out).
  bool ExitedWith(int code) const { return !timed_out && term_signal == 0 && exit_code == code; }
  // "exit 0", "killed by signal 9", "timed out after ...": for messages.
  std::string DescribeStatus() const;
  // The status plus stdout and stderr, for test failure messages.
  std::string Describe() const;
};

// Makes tabs, CRs, control bytes and the end of each line visible, for
// failure messages (at most `max` bytes of `s`).
std::string Visible(std::string_view s, size_t max = 6000);

// Runs argv[0] (searched in PATH when it has no '/') with the given
// arguments, feeds stdin, collects stdout and stderr (without deadlock, via
// poll) and waits for the child. An error Status means the child could not
// be started at all (no such program, bad cwd); anything the child itself
// does (non-zero exit, crash, timeout) is reported in the result.
StatusOr<SubprocessResult> RunSubprocess(const std::vector<std::string>& argv,
                                         const SubprocessOptions& options = {});

// argv joined with spaces, each argument shell-quoted when needed, so a
// failing command can be pasted into a terminal.
std::string ShellQuote(const std::vector<std::string>& argv);

// Looks `name` up in PATH (as execvp would); names with a '/' are returned
// unchanged if they are executable. kNotFound otherwise.
StatusOr<std::string> FindProgram(const std::string& name);

// A long-running child (a server), started with stdout and stderr sent to
// files. Stopping is explicit or happens in the destructor: SIGTERM to the
// process group, then SIGKILL if it has not exited after a grace period.
struct BackgroundOptions {
  std::vector<std::pair<std::string, std::optional<std::string>>> env;
  std::string cwd;
  // Files that receive the child's output (appended); empty: /dev/null.
  std::string stdout_path;
  std::string stderr_path;
};

class BackgroundProcess {
 public:
  static StatusOr<BackgroundProcess> Start(const std::vector<std::string>& argv,
                                           const BackgroundOptions& options = {});
  BackgroundProcess(BackgroundProcess&& other) noexcept;
  BackgroundProcess& operator=(BackgroundProcess&& other) noexcept;
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  ~BackgroundProcess();

  pid_t pid() const { return pid_; }
  // True while the child has not been reaped. Reaps it (and records how it
  // ended) if it has exited.
  bool Running();
  // Terminates (SIGTERM, then SIGKILL after `grace`) and reaps the child.
  // Returns how it ended, e.g. "exit 0" or "killed by signal 15".
  std::string Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));
  // How the child ended, once it has been reaped ("" before that).
  const std::string& ended() const { return ended_; }

 private:
  explicit BackgroundProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  std::string ended_;
};

}  // namespace kw::test
