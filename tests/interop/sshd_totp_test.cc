// pam_keyward.so as the second factor of a real sshd on 127.0.0.1:
// AuthenticationMethods publickey,keyboard-interactive, UsePAM yes. The
// OpenSSH client is driven through a pseudo-terminal (it reads the
// keyboard-interactive answer from its terminal), as a person would.
//
// sshd names its PAM service after the name it was started as, so the
// server runs as a symlink "kw-sshd-XXXXXX" -> /usr/sbin/sshd and reads
// /etc/pam.d/kw-sshd-XXXXXX, a throwaway service; /etc/pam.d/sshd is never
// touched. Needs root (sshd, /etc/pam.d).
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/file.h"
#include "interop/interop.h"
#include "interop/otp_peers.h"
#include "support/sshd_server.h"

KW_INTEROP_ENVIRONMENT(false);

namespace kw::interop {
namespace {

constexpr const char* kSecret = "2SH3V3GDW7ZNMGYE";
constexpr const char* kPrompt = "Verification code:";

struct PtyRun {
  int exit_code = -1;
  bool timed_out = false;
  int prompts = 0;          // times the prompt was seen (and answered)
  std::string transcript;   // everything the program wrote to its terminal
  std::string Describe() const {
    return "exit " + std::to_string(exit_code) + (timed_out ? " (timed out)" : "") + ", prompts " +
           std::to_string(prompts) + ", terminal:\n" + Visible(transcript);
  }
};

// Runs argv on a new pseudo-terminal; each time `prompt` appears, types
// `answer` and Enter.
PtyRun RunOnPty(const std::vector<std::string>& argv, const std::string& prompt, const std::string& answer,
                std::chrono::seconds timeout = std::chrono::seconds(30)) {
  PtyRun r;
  int master = -1;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) {
    r.transcript = "forkpty failed: " + std::string(std::strerror(errno));
    return r;
  }
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::setenv("LC_ALL", "C", 1);
    ::unsetenv("SSH_AUTH_SOCK");
    ::unsetenv("SSH_ASKPASS");
    ::unsetenv("DISPLAY");
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t scanned = 0;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd p{master, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 500)));
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) continue;
    char buf[4096];
    ssize_t got = ::read(master, buf, sizeof buf);
    if (got <= 0) break;  // EIO: the program closed its terminal
    r.transcript.append(buf, static_cast<size_t>(got));
    size_t at = r.transcript.find(prompt, scanned);
    if (at != std::string::npos) {
      ++r.prompts;
      scanned = at + prompt.size();
      std::string line = answer + "\n";
      (void)!::write(master, line.data(), line.size());
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

class SshdTotp : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "needs root (sshd, /etc/pam.d)";
    Status peers = RequirePeers({"ssh", "ssh-keygen", "oathtool"}, {"/usr/sbin/sshd"});
    ASSERT_TRUE(peers.ok()) << peers.message();
    auto module = PamKeywardPath();
    ASSERT_TRUE(module.ok()) << module.status().message();
    auto dir = TempDir::Create("kw-sshd-totp");
    ASSERT_TRUE(dir.ok());
    dir_.emplace(std::move(dir).value());
    ::chmod(dir_->path().c_str(), 0755);

    // The user's key (authorized) and a stranger's (not).
    for (const char* name : {"user_key", "stranger_key"}) {
      auto k = test::RunSubprocess({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", dir_->Path(name)});
      ASSERT_TRUE(k.ok() && k->ExitedWith(0));
    }
    auto pub = ReadFile(dir_->Path("user_key.pub"));
    ASSERT_TRUE(pub.ok());

    ASSERT_TRUE(test::WriteFileWithMode(dir_->Path("root.otp"), std::string(kSecret) +
                                        "\n\" DISALLOW_REUSE\n\" TOTP_AUTH\n", 0600).ok());
    auto svc = PamService::Create("auth required " + *module + " secret=" + dir_->path() + "/${USER}.otp user=root\n"
                                  "account required pam_permit.so\n"
                                  "session required pam_permit.so\n",
                                  "kw-sshd-");
    ASSERT_TRUE(svc.ok()) << svc.status().ToString();
    service_ = std::move(svc).value();
    const std::string sshd = dir_->Path(service_->name());
    ASSERT_EQ(::symlink("/usr/sbin/sshd", sshd.c_str()), 0);

    test::SshdOptions o;
    o.sshd_path = sshd;
    o.authorized_keys = *pub;
    o.config = {"UsePAM yes", "KbdInteractiveAuthentication yes",
                "AuthenticationMethods publickey,keyboard-interactive", "PermitRootLogin yes"};
    auto server = test::SshdServer::Start(o);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }

  PtyRun Login(const std::string& key, const std::string& answer) {
    return RunOnPty({"ssh", "-F", "/dev/null", "-i", dir_->Path(key), "-o", "IdentitiesOnly=yes", "-o",
                     "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o",
                     "PreferredAuthentications=publickey,keyboard-interactive", "-o", "NumberOfPasswordPrompts=1",
                     "-o", "ConnectTimeout=10", "-p", std::to_string(server_->port()), "root@127.0.0.1",
                     "echo kw-login-ok"},
                    kPrompt, answer);
  }

  std::optional<TempDir> dir_;
  std::unique_ptr<PamService> service_;
  std::unique_ptr<test::SshdServer> server_;
};

TEST_F(SshdTotp, KeyAndRightCodeLogIn) {
  PtyRun r = Login("user_key", Oathtool({"-b", "--totp", kSecret}));
  EXPECT_EQ(r.exit_code, 0) << r.Describe() << "\nsshd:\n" << server_->Log();
  EXPECT_EQ(r.prompts, 1) << r.Describe();
  EXPECT_NE(r.transcript.find("kw-login-ok"), std::string::npos) << r.Describe();
  const std::string log = server_->Log();
  // The key is the first of two methods ("Partial"), the code the second.
  EXPECT_NE(log.find("Partial publickey for root"), std::string::npos) << log;
  EXPECT_NE(log.find("Accepted keyboard-interactive/pam for root"), std::string::npos) << log;
}

TEST_F(SshdTotp, KeyAndWrongCodeDoNot) {
  const std::string right = Oathtool({"-b", "--totp", kSecret});
  PtyRun r = Login("user_key", right == "000000" ? "000001" : "000000");
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_GE(r.prompts, 1) << r.Describe();
  EXPECT_EQ(r.transcript.find("kw-login-ok"), std::string::npos) << r.Describe();
  EXPECT_NE(r.transcript.find("Permission denied"), std::string::npos) << r.Describe();
}

TEST_F(SshdTotp, ReusedCodeDoesNot) {
  const std::string code = Oathtool({"-b", "--totp", kSecret});
  PtyRun first = Login("user_key", code);
  ASSERT_EQ(first.exit_code, 0) << first.Describe() << "\nsshd:\n" << server_->Log();
  PtyRun again = Login("user_key", code);
  EXPECT_NE(again.exit_code, 0) << again.Describe();
  EXPECT_EQ(again.transcript.find("kw-login-ok"), std::string::npos) << again.Describe();
}

TEST_F(SshdTotp, NoKeyNeverReachesTheCodePrompt) {
  const auto before = ReadFile(dir_->Path("root.otp"));
  PtyRun r = Login("stranger_key", Oathtool({"-b", "--totp", kSecret}));
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.prompts, 0) << r.Describe();
  EXPECT_EQ(r.transcript.find("kw-login-ok"), std::string::npos) << r.Describe();
  EXPECT_NE(r.transcript.find("Permission denied (publickey)"), std::string::npos) << r.Describe();
  // The module never ran: the secret file is as it was.
  const auto after = ReadFile(dir_->Path("root.otp"));
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_EQ(*before, *after);
}

}  // namespace
}  // namespace kw::interop
