// keyward-agent's work: enrollment, and keeping the host's files equal to
// the bundle the key center signs for it.
//
// Each exchange (SyncOnce): GET /api/v1/hosts/H/bundle?wait=W&after=REV with
// the host credential; a new revision is verified (agent/verify.h), refused
// when lower than the installed one (no rollback), installed
// (agent/install.h) and recorded in the state directory (bundle.json last).
// The next long poll's after=REV tells the center what was applied; the
// host's public host keys are reported (POST /api/v1/hosts/H/report) at
// start and when they change (looked at once a minute at most).
// When nothing is new, installed files that were edited or removed by hand
// are put back from the installed bundle. Anything wrong leaves the
// installed files as they are. Installs hold the state directory's lock.
//
// Thread safety: an Agent is used by one thread; `stop` may be fired from
// another (or a signal handler) to end Run() and a request in progress.
#pragma once

#include <cstdint>
#include <functional>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agent/config.h"
#include "agent/state.h"
#include "base/rng.h"
#include "base/status.h"
#include "formats/public_key.h"
#include "net/http_client.h"

namespace kw::agent {

// Where the agent's log lines go (one line, no newline). The default
// writes "keyward-agent: LINE" to stderr (the journal, under systemd).
using LogFn = std::function<void(std::string_view line)>;
LogFn StderrLog();

struct EnrollOptions {
  std::string server;                   // overrides the config's
  std::string token;                    // the host token an admin was given
  std::string signing_key_fingerprint;  // "SHA256:..." to check the center's key against; "" trusts the connection
  bool force = false;                   // replace an existing enrollment
};

// Exchanges the token for a host credential (POST /api/v1/enroll) and
// stores it with the pinned signing key in the state directory. The center's
// key is fetched and checked against the fingerprint (when given) before
// the token is spent, so a wrong fingerprint leaves both the token and the
// state directory as they were. Returns the enrollment (with the secret).
StatusOr<Enrollment> Enroll(const AgentConfig& config, const EnrollOptions& options);

// The pause before retry number `failures` (1, 2, ...): a uniform random
// time between min and min(max, min * 2^(failures-1)) seconds, so agents
// that failed together do not all come back together. Milliseconds.
int64_t BackoffMillis(int failures, int min_seconds, int max_seconds, Rng& rng);

class Agent {
 public:
  enum class Outcome { kUnchanged, kInstalled };

  // Loads the enrollment and the installed state. `stop` may be null.
  static StatusOr<std::unique_ptr<Agent>> Open(const AgentConfig& config, const net::CancelSignal* stop,
                                               LogFn log = StderrLog());

  // One exchange; `wait` seconds of long poll (0: answer at once).
  StatusOr<Outcome> SyncOnce(int wait);

  // Long polls until *stop, backing off after failures. Each distinct
  // failure is logged once (a bad signature with a SECURITY: prefix), and
  // the recovery.
  void Run();

  const AgentStatus& status() const { return status_; }

 private:
  Agent(AgentConfig config, Enrollment enrollment, formats::PublicKey pinned, const net::CancelSignal* stop,
        LogFn log);
  StatusOr<Outcome> Exchange(int wait);
  // Under the state lock: re-reads the installed revision, refuses a lower
  // one, verifies, installs, records.
  StatusOr<Outcome> Apply(SignedBundle sb, const std::string& url);
  // Puts back installed files that differ from the installed bundle (edited
  // or removed by hand). kInstalled when it had to. Repair() takes the state
  // lock; RepairLocked() is for a caller that holds it (a second flock on
  // another descriptor would wait for ever, even in the same process).
  StatusOr<Outcome> Repair();
  StatusOr<Outcome> RepairLocked(const SignedBundle& installed);
  Status Report(const std::string& host_keys);
  void RecordError(const Status& s);
  std::string Url(std::string_view suffix) const;
  // A client whose time limit is the config's timeout plus `wait` seconds.
  net::HttpClient Client(int wait) const;

  AgentConfig config_;
  Enrollment enrollment_;
  formats::PublicKey pinned_;
  const net::CancelSignal* stop_;
  LogFn log_;
  StateDir state_;
  AgentStatus status_;
  std::optional<std::string> reported_keys_;  // host keys the center acknowledged
  static constexpr std::chrono::seconds kHostKeysInterval{60};
  std::chrono::steady_clock::time_point keys_looked_at_{};
  // The polls' connection, kept open between them.
  std::shared_ptr<net::ConnectionPool> pool_ = std::make_shared<net::ConnectionPool>();
};

}  // namespace kw::agent
