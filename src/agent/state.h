// What keyward-agent keeps in its state directory (mode 0700):
//   enrollment.json (0600)  server, host name, host credential, pinned signing key
//   bundle.json     (0600)  the last installed bundle, as the center sent it
//   status.json     (0644)  revision installed and when, last contact, last error
// Every file is written atomically (base/file.h WriteFileAtomic).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "formats/public_key.h"

namespace kw::agent {

struct Enrollment {
  std::string server;
  std::string host;
  std::string token;        // the host credential: a secret
  std::string signing_key;  // "ssh-ed25519 AAAA... comment", pinned at enrollment
};

// A bundle as the center serves it: the exact bytes that were signed, and
// the armoured SSHSIG signature over them.
struct SignedBundle {
  int64_t revision = 0;
  std::string bundle;
  std::string signature;
};

struct AgentStatus {
  std::string host;
  int64_t revision = 0;          // installed; 0: none yet
  int64_t installed_at_us = 0;   // when it finished installing (Unix microseconds)
  int64_t last_contact_us = 0;   // last answer from the center that was not an error
  std::string last_error;        // "" when the last exchange went well
  int64_t last_error_at_us = 0;
};

// status.json's content.
nlohmann::json ToJson(const AgentStatus& s);

// Microseconds since the Unix epoch, from the system clock.
int64_t NowMicros();

// An exclusive lock on the state directory (flock on STATE_DIR/lock),
// released at destruction. Every install happens under it, so a daemon and a
// `sync --once` never interleave: each re-reads the installed revision under
// the lock, and the rollback check holds across processes.
class StateLock {
 public:
  explicit StateLock(int fd) : fd_(fd) {}
  StateLock(StateLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  StateLock& operator=(StateLock&&) = delete;
  ~StateLock();

 private:
  int fd_;
};

class StateDir {
 public:
  explicit StateDir(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }

  // Creates the directory (0700) when missing.
  Status Create() const;

  // Waits for the lock.
  StatusOr<StateLock> Lock() const;

  // kNotFound when the host is not enrolled yet (names the file).
  StatusOr<Enrollment> LoadEnrollment() const;
  Status SaveEnrollment(const Enrollment& e) const;

  // nullopt when nothing was installed yet.
  StatusOr<std::optional<SignedBundle>> LoadBundle() const;
  Status SaveBundle(const SignedBundle& b) const;

  // A default AgentStatus when there is no file yet. The file is written
  // without fsync (it is rebuilt as the agent runs): after a power failure it
  // may be empty, which is kDataLoss here.
  StatusOr<AgentStatus> LoadStatus() const;
  Status SaveStatus(const AgentStatus& s) const;

 private:
  std::string Path(const char* name) const { return dir_ + "/" + name; }
  std::string dir_;
};

// The center's answer to GET /api/v1/hosts/H/bundle: {"revision", "bundle",
// "signature"}. Errors name the field.
StatusOr<SignedBundle> ParseBundleResponse(std::string_view body);
std::string EncodeBundleResponse(const SignedBundle& b);

}  // namespace kw::agent
