// The key center's domain services: the rules of issue 6 over a Store.
//
// Every change is one write transaction that checks its rules, applies the
// change, bumps the global revision and appends an audit entry (chained by
// hash, formats/audit_chain.h); nothing is half-applied. Reads see one
// snapshot. The HTTP layer (api.h) is a thin adapter: it authenticates,
// decodes JSON into these structs and encodes the results.
//
// Errors: InvalidArgument naming the field ("key: ...", "account: ..."),
// NotFound ("user \"bob\" not found"), AlreadyExists (409), PermissionDenied,
// Unauthenticated, Unavailable (store down).
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/rng.h"
#include "base/secret_bytes.h"
#include "base/status.h"
#include "center/policy.h"
#include "center/render.h"
#include "center/revision_cache.h"
#include "formats/signer.h"
#include "store/store.h"

namespace kw::center {

// Who does something, for the audit log: "admin:ops", "host:web1", "system".
struct Actor {
  std::string name;
  std::string remote;
};

enum class PrincipalKind { kAdmin, kHost };
struct Principal {
  PrincipalKind kind = PrincipalKind::kAdmin;
  std::string name;     // the token's name (admin) or the host's name
  int64_t host_id = 0;  // kHost
  Actor AsActor(std::string remote) const;
};

template <class T>
struct Listing {
  std::vector<T> items;
  int64_t next = 0;  // pass as PageRequest::after for the next page; 0: no more
};

struct TeamView {
  store::Team team;
  std::vector<std::string> members;  // user names, in id order
};
struct HostView {
  store::Host host;
  std::vector<std::string> groups;
};
struct KeyView {
  store::Key key;
  std::string user;
  std::vector<std::string> scope;  // group names; empty with key.scope_all
  int64_t effective_expiry = 0;
};
struct GrantView {
  store::Grant grant;
  std::string user, team, group;  // one of user/team set
};

struct NewUser {
  std::string name, email;
};
struct UserPatch {
  std::optional<std::string> email;
  std::optional<store::UserState> state;  // offboarded only through Offboard
};
struct NewKey {
  std::string user;
  std::string public_key;  // "type base64 [comment]"
  std::optional<std::string> comment;  // overrides the line's comment
  int64_t expires = 0;
  std::optional<std::vector<std::string>> scope;  // nullopt: all groups
};
struct KeyPatch {
  std::optional<int64_t> expires;
  std::optional<std::optional<std::vector<std::string>>> scope;
  std::optional<std::string> comment;
};
struct NewGrant {
  std::string user, team;  // exactly one
  std::string group;
  std::string account;
  std::string options;
  int64_t ends_at = 0;
};
struct GrantPatch {
  std::optional<std::string> options;
  std::optional<int64_t> ends_at;
};
struct NewHost {
  std::string name;
  std::vector<std::string> groups;
};
struct CreatedHost {
  HostView host;
  std::string token;  // the host's bearer token, shown once
};
struct OffboardResult {
  int keys_revoked = 0;
  int grants_removed = 0;
  int teams_left = 0;
};
struct HostReport {
  int64_t applied_revision = 0;
  std::string host_keys;  // public key lines
};

// A host's bundle: its exact bytes and their SSHSIG signature (armoured).
struct SignedBundle {
  int64_t revision = 0;
  std::string bundle;
  std::string signature;
};

// --- TOTP (issue 8, central mode)

struct TotpSettings {
  int window = 3;                // codes accepted around now, in steps (WINDOW_SIZE)
  int rate_limit_attempts = 3;   // failed attempts per user ...
  int rate_limit_interval = 30;  // ... per this many seconds; then refused unasked
  int scratch_codes = 5;         // issued at enrolment
  std::string issuer = "keyward";  // otpauth:// issuer
};
struct TotpEnrollRequest {
  std::string user;
  std::string algorithm = "sha1";  // sha1 | sha256 | sha512
  int digits = 6;                  // 6..8
  int64_t period = 30;             // seconds, 1..86400
  bool force = false;              // replace an existing enrolment
};
// Shown once, at enrolment; the center keeps the secret sealed and the
// scratch codes hashed.
struct TotpEnrollment {
  std::string user;
  SecretBytes secret;
  std::string uri;  // otpauth://totp/...
  std::string algorithm;
  int digits = 6;
  int64_t period = 30;
  std::vector<std::string> scratch_codes;
  bool replaced = false;
};
// What a verification answers. reason: "accepted", "accepted_scratch",
// "invalid_code", "reused", "rate_limited", "malformed", "not_enrolled",
// "user_inactive".
struct TotpVerdict {
  bool ok = false;
  std::string reason;
  int64_t retry_after = 0;  // rate_limited: seconds until attempts are taken again
};

inline constexpr std::string_view kTokenPrefix = "kw_";

class Center {
 public:
  // `store`, `clock` and `rng` must outlive the Center. `signer` signs
  // bundles (namespace formats::kBundleNamespace).
  Center(store::Store* store, Policy policy, const Clock& clock, Rng& rng, formats::KeySigner signer);
  ~Center();

  const formats::PublicKey& signing_key() const;
  int64_t revision() const { return revision_.load(); }
  // Renders, bundles, token and host lookups are cached per revision (see
  // revision_cache.h); off, every request reads the store (for measuring).
  // With several instances on PostgreSQL a cache lags a change made
  // elsewhere by the time its notification takes.
  void set_caching(bool on) { caching_ = on; }
  // Reads the revision from the store (at start, and to catch up).
  Status RefreshRevision();

  // Called after every revision change this process makes or hears of
  // (store WatchRevisions); from the thread that made the change.
  void OnRevision(std::function<void(int64_t)> fn);
  // Feeds a revision heard from another instance.
  void NoteRevision(int64_t revision);

  // --- tokens
  StatusOr<Principal> Authenticate(std::string_view bearer, std::string_view remote);
  // A new admin token; the secret is returned once and stored hashed.
  StatusOr<std::string> IssueAdminToken(const Actor& actor, const std::string& name);

  // --- users
  StatusOr<store::User> CreateUser(const Actor& actor, const NewUser& u);
  StatusOr<store::User> GetUser(std::string_view name);
  StatusOr<Listing<store::User>> ListUsers(store::PageRequest page);
  StatusOr<store::User> UpdateUser(const Actor& actor, std::string_view name, const UserPatch& patch);
  Status DeleteUser(const Actor& actor, std::string_view name);
  // Revokes every key, removes every grant and team membership, marks the
  // user offboarded: one transaction.
  StatusOr<OffboardResult> Offboard(const Actor& actor, std::string_view name);

  // --- teams
  StatusOr<TeamView> CreateTeam(const Actor& actor, const std::string& name, const std::vector<std::string>& members);
  StatusOr<TeamView> GetTeam(std::string_view name);
  StatusOr<Listing<TeamView>> ListTeams(store::PageRequest page);
  StatusOr<TeamView> SetTeamMembers(const Actor& actor, std::string_view name, const std::vector<std::string>& members);
  Status DeleteTeam(const Actor& actor, std::string_view name);

  // --- host groups
  StatusOr<store::HostGroup> CreateGroup(const Actor& actor, const std::string& name);
  StatusOr<store::HostGroup> GetGroup(std::string_view name);
  StatusOr<Listing<store::HostGroup>> ListGroups(store::PageRequest page);
  Status DeleteGroup(const Actor& actor, std::string_view name);

  // --- hosts
  StatusOr<CreatedHost> CreateHost(const Actor& actor, const NewHost& h);
  StatusOr<HostView> GetHost(std::string_view name);
  StatusOr<Listing<HostView>> ListHosts(store::PageRequest page);
  StatusOr<HostView> SetHostGroups(const Actor& actor, std::string_view name, const std::vector<std::string>& groups);
  Status DeleteHost(const Actor& actor, std::string_view name);
  // A new token for the host; the old ones stop working.
  StatusOr<std::string> RotateHostToken(const Actor& actor, std::string_view name);
  // A report whose host keys are the ones the center already has (the
  // usual case: an agent saying which revision it applied) is only noted,
  // and written with all others noted in one transaction by FlushReports():
  // a fleet reporting after one change costs one store write, not one per
  // host. Changed host keys are written (and audited) at once.
  Status Report(const Actor& actor, int64_t host_id, const HostReport& report);
  // Notes that a host applied `revision` (a long poll's after=, sent by the
  // host itself), written as a report with unchanged host keys is.
  void NoteApplied(int64_t host_id, int64_t revision);
  // Writes the noted reports (keywardd calls it every sweep interval and at
  // shutdown; until then host reads show them, see OverlayReport).
  Status FlushReports();

  // --- keys
  StatusOr<KeyView> AddKey(const Actor& actor, const NewKey& k);
  StatusOr<KeyView> GetKey(int64_t id);
  // user "" for all; expiring_within > 0: active keys whose effective
  // expiry falls within that many seconds from now.
  StatusOr<Listing<KeyView>> ListKeys(std::string_view user, std::optional<store::KeyState> state,
                                      int64_t expiring_within, store::PageRequest page);
  StatusOr<KeyView> UpdateKey(const Actor& actor, int64_t id, const KeyPatch& patch);
  StatusOr<KeyView> RevokeKey(const Actor& actor, int64_t id, const std::string& reason);
  Status DeleteKey(const Actor& actor, int64_t id);

  // --- grants
  StatusOr<GrantView> CreateGrant(const Actor& actor, const NewGrant& g);
  StatusOr<GrantView> GetGrant(int64_t id);
  StatusOr<Listing<GrantView>> ListGrants(std::string_view user, std::string_view team, std::string_view group,
                                          store::PageRequest page);
  StatusOr<GrantView> UpdateGrant(const Actor& actor, int64_t id, const GrantPatch& patch);
  Status DeleteGrant(const Actor& actor, int64_t id);

  // --- rendering
  // authorized_keys text for one account (account "" : every account, each
  // block preceded by "# account NAME" line).
  StatusOr<std::string> RenderKeys(std::string_view host, std::string_view account);
  // The host's signed bundle. Its revision is the global revision at which
  // its content last changed, so it stays still while other hosts change.
  StatusOr<SignedBundle> Bundle(int64_t host_id);
  // Bundle() for many hosts at once: one read and at most one write
  // transaction for the whole batch (long polls woken together).
  std::vector<StatusOr<SignedBundle>> Bundles(const std::vector<int64_t>& host_ids);
  StatusOr<int64_t> HostId(std::string_view name);

  // --- time
  // Marks keys past their effective expiry as expired and deletes ended
  // grants (each an audit entry), in one transaction that bumps the revision
  // only when something changed. Returns how many records changed.
  StatusOr<int> Sweep();

  // --- TOTP
  // The key sealing TOTP secrets at rest (32 bytes, keywardd's
  // totp_key_file) and the verification settings; without a key the TOTP
  // calls fail with FailedPrecondition. Call once, before serving.
  void ConfigureTotp(SecretBytes key, TotpSettings settings);
  // Creates the user's secret and scratch codes (returned once).
  // AlreadyExists when enrolled, unless request.force. Audited
  // ("totp.enroll"); no revision change (bundles do not carry TOTP).
  StatusOr<TotpEnrollment> EnrollTotp(const Actor& actor, const TotpEnrollRequest& request);
  Status RemoveTotp(const Actor& actor, std::string_view user);
  // Checks a code for a user: the window around now, a step already
  // accepted for the user (by any bastion, any keywardd on the store) is
  // refused, failures are rate-limited per user, a scratch code works once.
  // Every outcome is audited ("totp.verify": user, actor, outcome; never
  // the code). Verifications are committed in groups: one write
  // transaction (and one fsync) for all that arrived meanwhile; `done` is
  // called from the committing thread once the outcome is durable. Errors
  // (not verdicts): InvalidArgument for a bad user name or code field,
  // FailedPrecondition when TOTP is not configured, Unavailable when the
  // store is.
  void VerifyTotpAsync(const Actor& actor, std::string user, SecretBytes code,
                       std::function<void(StatusOr<TotpVerdict>)> done);
  // VerifyTotpAsync, waiting for the answer.
  StatusOr<TotpVerdict> VerifyTotp(const Actor& actor, std::string user, SecretBytes code);

  // --- audit
  StatusOr<Listing<store::AuditEntry>> ListAudit(store::PageRequest page);
  // Verifies the whole chain; the error names the first bad entry.
  Status VerifyAudit();
  // A security event with no change (failed authentication...).
  Status AuditEvent(const Actor& actor, const std::string& action, const std::string& target,
                    const std::string& detail_json);

 private:
  struct Change;

  // Runs fn in a write transaction, then bumps the revision and appends the
  // audit entries fn recorded, commits, and tells the listeners.
  Status Write(const Actor& actor, const std::function<Status(store::Txn&, Change&)>& fn);
  // A host as read from the store, with a report noted but not yet written.
  void OverlayReport(store::Host* host);
  // The change's notes as audit entries chained to the last one (Write()
  // calls it only when there are notes: most reports have none).
  Status AppendAudit(store::Txn& txn, const Actor& actor, int64_t revision, Change& change);
  StatusOr<std::unique_ptr<store::Txn>> Read();
  StatusOr<std::string> NewToken(Bytes* hash);
  void Publish(int64_t revision);

  struct TotpJob {
    Actor actor;
    std::string user;
    SecretBytes code;
    std::function<void(StatusOr<TotpVerdict>)> done;
  };
  // The TOTP verification worker: takes every queued job, runs them in one
  // write transaction, commits, answers (center_totp.cc).
  void TotpWorker();
  void RunTotpBatch(std::vector<std::unique_ptr<TotpJob>>& batch);
  Bytes ScratchHash(int64_t user_id, std::string_view code) const;

  store::Store* store_;
  Policy policy_;
  const Clock& clock_;
  Rng& rng_;
  std::mutex rng_mu_;
  formats::KeySigner signer_;
  std::atomic<int64_t> revision_{0};
  std::mutex reports_mu_;  // guards the two maps below
  std::map<int64_t, std::pair<int64_t, int64_t>> pending_reports_;  // host -> (revision, time)
  std::map<int64_t, std::string> known_host_keys_;                  // host -> keys last written
  std::mutex mu_;  // listeners_
  std::vector<std::function<void(int64_t)>> listeners_;
  bool caching_ = true;
  RevisionCache<int64_t, SignedBundle> bundles_;
  RevisionCache<std::string, std::string> renders_;
  RevisionCache<std::string, Rendered> group_renders_;  // "g1,g2," -> files (Bundles)
  RevisionCache<std::string, int64_t> host_ids_;
  RevisionCache<std::string, Principal> tokens_;

  SecretBytes totp_key_;  // set once by ConfigureTotp, before serving
  TotpSettings totp_;
  std::mutex totp_mu_;  // guards the queue, the flag and the thread below
  std::condition_variable totp_cv_;
  std::vector<std::unique_ptr<TotpJob>> totp_queue_;
  bool totp_stop_ = false;
  std::thread totp_thread_;
};

}  // namespace kw::center
