// The world of one agent test: a real keywardd in a directory the test owns
// (so it can be stopped and restarted on the same port and store), the built
// keyward-agent with its own config, state and install directories, a host
// key for it to report, and a throwaway sshd reading the installed files.
//
// Not thread-safe, except where a method says so: the readers that tests run
// in threads (Installed, StatusJson) only read files.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/center_process.h"
#include "support/sshd_server.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace kw::test {

using SteadyClock = std::chrono::steady_clock;

// KW_BUILD_DIR (set by kw_test) + "/bin/" + name.
std::string BuiltBinary(const std::string& name);
int64_t NowSeconds();
int64_t NowMicros();
int64_t MsSince(SteadyClock::time_point t0);
// The file's bytes, or nullopt when it cannot be read (missing).
std::optional<std::string> ReadIfExists(const std::string& path);
// Mode bits (07777) and owner, or nullopt when missing.
struct FileInfo {
  mode_t mode = 0;
  uid_t uid = 0;
};
std::optional<FileInfo> Stat(const std::string& path);

// A user's Ed25519 key pair made by the real ssh-keygen and registered.
struct UserKey {
  std::string user;
  std::string path;    // private key; path + ".pub" is the public key
  std::string pub;     // "ssh-ed25519 AAAA... comment"
  std::string base64;  // the key blob in base64
  int64_t id = 0;
  // The tail the center renders for it: "ssh-ed25519 BASE64 keyward:USER:key-ID\n".
  std::string RenderedTail() const;
};

class AgentEnv {
 public:
  // A new temp dir, a keywardd started in it (SQLite), a host key.
  static StatusOr<std::unique_ptr<AgentEnv>> Create();
  ~AgentEnv();

  // --- the center ---
  CenterProcess& center() { return *center_; }
  bool center_up() const { return center_ != nullptr; }
  std::string center_url() const { return center_url_; }
  // SIGKILL (a crash); files in its directory stay.
  void KillCenter();
  // Starts keywardd again on the same directory, store and port.
  Status RestartCenter();
  // Admin request; fails the current test (EXPECT) unless it answers `want`.
  Reply Admin(const std::string& method, const std::string& path, const std::optional<nlohmann::json>& body,
              int want);
  void AddGroup(const std::string& name);
  // Returns the host token the center answers once.
  std::string AddHost(const std::string& name, const std::string& group);
  void AddUser(const std::string& name);
  UserKey AddKey(const std::string& user, const std::string& file_name);
  int64_t AddGrant(const std::string& user, const std::string& group, const std::string& account,
                   int64_t ends_at = 0);
  // GET /api/v1/hosts/HOST/bundle with the admin token (the full JSON answer).
  nlohmann::json CenterBundle(const std::string& host = "web1");
  int64_t CenterRevision(const std::string& host = "web1");
  // The bundle's authorized_keys object (account -> text) of a bundle answer.
  static std::map<std::string, std::string> BundleFiles(const nlohmann::json& answer);

  // --- the agent ---
  const TempDir& work() const { return *work_; }
  std::string conf() const { return work_->Path("agent.conf"); }
  std::string state_dir() const { return work_->Path("state"); }
  std::string install_dir() const { return work_->Path("install"); }
  std::string InstalledPath(const std::string& account) const {
    return install_dir() + "/authorized_keys/" + account;
  }
  std::string host_pub_base64() const { return host_pub_base64_; }
  // Writes agent.conf pointing at `server` (short waits and backoffs).
  Status WriteConfig(const std::string& server);
  // keyward-agent ARGS...; a failure to start at all fails the test.
  SubprocessResult Agent(const std::vector<std::string>& args,
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(60000));
  SubprocessResult Enroll(const std::string& token, const std::vector<std::string>& extra = {});
  SubprocessResult SyncOnce() { return Agent({"sync", "--once", "--config", conf()}); }
  // `keyward-agent run`, its stderr (and stdout) appended to agent.log.
  Status StartDaemon();
  // SIGTERM; returns how it ended ("exit 0", ...; "" when not running).
  std::string StopDaemon();
  void KillDaemon();  // SIGKILL, reaped
  bool DaemonRunning() { return daemon_ && daemon_->Running(); }
  std::string DaemonLog() const;

  // Thread-safe (reads files only).
  std::optional<std::string> Installed(const std::string& account) const {
    return ReadIfExists(InstalledPath(account));
  }
  nlohmann::json StatusJson() const;  // null when missing or not JSON
  int64_t InstalledRevision() const;  // -1 when unknown

  // Waits until the agent reports (status.json) at least `revision`.
  bool WaitForRevision(int64_t revision, std::chrono::milliseconds timeout);
  // Waits until status.json names the center's current revision for web1 and
  // every file of that bundle is installed byte for byte (accounts that left
  // it: an empty file). On timeout returns a description of the difference.
  std::optional<std::string> WaitConverged(std::chrono::milliseconds timeout);

  // --- sshd ---
  // An sshd whose AuthorizedKeysFile is INSTALL_DIR/authorized_keys/%u.
  Status StartSshd();
  SshdServer& sshd() { return *sshd_; }
  bool LoginOk(const UserKey& key, std::string* why = nullptr);
  // sshd refused the key: ssh exited 255 saying "Permission denied
  // (publickey...)" (not a timeout, a dead sshd or another error).
  bool LoginRefused(const UserKey& key, std::string* why = nullptr);

 private:
  std::optional<LoginResult> Login(const UserKey& key, std::string* why);

  AgentEnv() = default;
  std::optional<TempDir> work_;
  std::string center_dir_, center_url_;
  int center_port_ = 0;
  std::unique_ptr<CenterProcess> center_;
  std::string host_pub_base64_;
  std::optional<BackgroundProcess> daemon_;
  std::unique_ptr<SshdServer> sshd_;
};

}  // namespace kw::test
