// The key center's storage: one interface, two implementations (SQLite, the
// default, and PostgreSQL), one shared test suite (tests/store).
//
// Everything happens in a transaction. A write transaction sees a consistent
// snapshot and is serialised with every other write transaction on the same
// database (SQLite: BEGIN IMMEDIATE; PostgreSQL: the revision row is locked
// at BEGIN), so the center can check a rule and act on it without races.
// A Txn that is destroyed without Commit() rolls back: nothing half-applied.
//
// Errors: NotFound for a missing record (message names it: "user 7 not
// found"), AlreadyExists for a unique name/fingerprint/hash taken (message
// names the field), Unavailable when the database cannot be reached or is
// busy past its timeout, Internal for anything else. Messages never contain
// token hashes or other secrets.
//
// Thread safety: a Store may be used from many threads at once; each Txn
// belongs to one thread at a time, and must not outlive its Store.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/model.h"

namespace kw::store {

enum class TxnMode { kRead, kWrite };

struct KeyFilter {
  int64_t user_id = 0;              // 0: any user
  std::optional<KeyState> state;    // nullopt: any state
  int64_t expires_before = 0;       // >0: only keys with 0 < expires < this
};

struct GrantFilter {
  int64_t user_id = 0;   // 0: any
  int64_t team_id = 0;   // 0: any
  int64_t group_id = 0;  // 0: any
};

class Txn {
 public:
  virtual ~Txn() = default;
  virtual Status Commit() = 0;

  // The global revision: 0 in a new store. BumpRevision (write only) adds
  // one and returns the new value; every write transaction of the center
  // calls it once.
  virtual StatusOr<int64_t> Revision() = 0;
  virtual StatusOr<int64_t> BumpRevision() = 0;

  // Users. Deleting a user deletes their keys, grants and team memberships.
  virtual StatusOr<int64_t> InsertUser(const User& u) = 0;
  virtual StatusOr<User> GetUser(int64_t id) = 0;
  virtual StatusOr<User> FindUser(std::string_view name) = 0;
  virtual Status UpdateUser(const User& u) = 0;  // by u.id
  virtual Status DeleteUser(int64_t id) = 0;
  virtual StatusOr<std::vector<User>> ListUsers(PageRequest page) = 0;

  // Teams (members saved and loaded with the team). Deleting a team deletes
  // its grants.
  virtual StatusOr<int64_t> InsertTeam(const Team& t) = 0;
  virtual StatusOr<Team> GetTeam(int64_t id) = 0;
  virtual StatusOr<Team> FindTeam(std::string_view name) = 0;
  virtual Status UpdateTeam(const Team& t) = 0;
  virtual Status DeleteTeam(int64_t id) = 0;
  virtual StatusOr<std::vector<Team>> ListTeams(PageRequest page) = 0;
  virtual StatusOr<std::vector<Team>> TeamsOfUser(int64_t user_id) = 0;

  // Host groups. Deleting a group deletes its grants and removes it from
  // hosts' group lists and keys' scopes.
  virtual StatusOr<int64_t> InsertGroup(const HostGroup& g) = 0;
  virtual StatusOr<HostGroup> GetGroup(int64_t id) = 0;
  virtual StatusOr<HostGroup> FindGroup(std::string_view name) = 0;
  virtual Status UpdateGroup(const HostGroup& g) = 0;
  virtual Status DeleteGroup(int64_t id) = 0;
  virtual StatusOr<std::vector<HostGroup>> ListGroups(PageRequest page) = 0;

  // Hosts (groups saved with the host). Deleting a host deletes its tokens
  // and bundle state.
  virtual StatusOr<int64_t> InsertHost(const Host& h) = 0;
  virtual StatusOr<Host> GetHost(int64_t id) = 0;
  virtual StatusOr<Host> FindHost(std::string_view name) = 0;
  virtual Status UpdateHost(const Host& h) = 0;
  virtual Status DeleteHost(int64_t id) = 0;
  virtual StatusOr<std::vector<Host>> ListHosts(PageRequest page) = 0;
  // What a host's agent reported: one UPDATE of two columns, for a fleet's
  // reports written together. A host deleted meanwhile is skipped (OK).
  virtual Status NoteContact(int64_t host_id, int64_t applied_revision, int64_t last_contact) = 0;

  // Keys (scope saved with the key). The fingerprint is unique.
  virtual StatusOr<int64_t> InsertKey(const Key& k) = 0;
  virtual StatusOr<Key> GetKey(int64_t id) = 0;
  virtual StatusOr<Key> FindKeyByFingerprint(std::string_view fingerprint) = 0;
  virtual Status UpdateKey(const Key& k) = 0;
  virtual Status DeleteKey(int64_t id) = 0;
  virtual StatusOr<std::vector<Key>> ListKeys(const KeyFilter& filter, PageRequest page) = 0;
  // Active keys whose own expiry (expires > 0) or creation time plus
  // `max_age` (max_age > 0) is at or before `now`: the ones a sweep must
  // mark expired. At most `limit`.
  virtual StatusOr<std::vector<Key>> KeysDueToExpire(int64_t now, int64_t max_age, int limit) = 0;

  // Grants.
  virtual StatusOr<int64_t> InsertGrant(const Grant& g) = 0;
  virtual StatusOr<Grant> GetGrant(int64_t id) = 0;
  virtual Status UpdateGrant(const Grant& g) = 0;
  virtual Status DeleteGrant(int64_t id) = 0;
  virtual StatusOr<std::vector<Grant>> ListGrants(const GrantFilter& filter, PageRequest page) = 0;
  // Grants with 0 < ends_at <= now, at most `limit`.
  virtual StatusOr<std::vector<Grant>> GrantsEnded(int64_t now, int limit) = 0;

  // Every (grant, key) pair that could give a line in host_id's
  // authorized_keys: grants on any group the host is in, to a user or to a
  // team the user is in, crossed with all that user's keys whatever their
  // state. `account` empty: every account. Ordered by account, then key
  // id, then grant id.
  virtual StatusOr<std::vector<RenderRow>> RenderRows(int64_t host_id, std::string_view account) = 0;
  // Host ids in any of these groups (ascending).
  virtual StatusOr<std::vector<int64_t>> HostsInGroups(const std::vector<int64_t>& group_ids) = 0;

  // Tokens. The hash is unique.
  virtual StatusOr<int64_t> InsertToken(const Token& t) = 0;
  virtual StatusOr<Token> FindTokenByHash(ByteSpan hash) = 0;
  virtual Status DeleteToken(int64_t id) = 0;
  virtual Status DeleteTokensOfHost(int64_t host_id) = 0;
  virtual StatusOr<std::vector<Token>> ListTokens(PageRequest page) = 0;

  // Audit log: append-only. AppendAudits stores consecutive entries as
  // given (the caller has set seq = last seq + 1, +2, ... and the hashes),
  // in a few statements; AlreadyExists if any seq from the first on is
  // present.
  virtual StatusOr<std::optional<AuditEntry>> LastAudit() = 0;
  virtual Status AppendAudits(const std::vector<AuditEntry>& entries) = 0;
  virtual StatusOr<std::vector<AuditEntry>> ListAudit(PageRequest page) = 0;  // by seq

  // TOTP enrolments (one per user; deleting the user deletes it).
  // PutTotp inserts or replaces the whole record, scratch hashes included
  // (NotFound for a missing user). GetTotp: NotFound "TOTP of user N not
  // found" when the user has none.
  virtual Status PutTotp(const TotpSecret& t) = 0;
  virtual StatusOr<TotpSecret> GetTotp(int64_t user_id) = 0;
  virtual Status DeleteTotp(int64_t user_id) = 0;  // NotFound when none
  // Removes one scratch code by its hash and clears the failure count;
  // false when there is no such code (used already, or never issued).
  virtual StatusOr<bool> UseTotpScratch(int64_t user_id, ByteSpan hash) = 0;

  // The same for a group of verifications (the center checks every code
  // that arrived meanwhile in one transaction): a few statements for the
  // whole group instead of a few per code.
  // Users by name with their enrolments (scratch hashes not loaded: a
  // group rarely holds a scratch code, UseTotpScratch checks one); names
  // without a user are left out, duplicates answered once.
  virtual StatusOr<std::vector<TotpAccount>> FindTotpAccounts(const std::vector<std::string>& names) = 0;
  // Records accepted time steps, (user id, step) pairs, at most one per
  // user: sets last_step = step and clears the failure count, only where
  // last_step < step, in one conditional UPDATE for all. Returns the users
  // whose step was recorded: not those whose step (or a later one) was
  // accepted already -- by this or any other process on the database --
  // nor those without TOTP.
  virtual StatusOr<std::vector<int64_t>> AcceptTotpSteps(const std::vector<std::pair<int64_t, int64_t>>& steps) = 0;
  // Sets the failure counters (rate limiting) of (user id, count, since)
  // triples; users without an enrolment are skipped.
  virtual Status SetTotpFailuresMany(const std::vector<std::array<int64_t, 3>>& failures) = 0;

  // Bundle state per host (nullopt: never rendered).
  virtual StatusOr<std::optional<BundleState>> GetBundleState(int64_t host_id) = 0;
  virtual Status PutBundleState(const BundleState& s) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual StatusOr<std::unique_ptr<Txn>> Begin(TxnMode mode) = 0;

  // Calls on_change(revision) when a write transaction committed by another
  // process sharing this database has moved the revision (PostgreSQL
  // LISTEN/NOTIFY). Called from a thread the store owns; must be quick.
  // SQLite, a single-process store, accepts and never calls it.
  virtual Status WatchRevisions(std::function<void(int64_t)> on_change) = 0;

  // "sqlite" or "postgres".
  virtual std::string_view Backend() const = 0;
};

// Opens a store from a URL and applies pending schema migrations:
//   sqlite:PATH            (a file; created when missing; WAL, synchronous=FULL)
//   postgres://...  or  postgresql://...   (a libpq connection URI)
StatusOr<std::unique_ptr<Store>> OpenStore(std::string_view url);

}  // namespace kw::store
