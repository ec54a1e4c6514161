// The key center's records, as the store keeps them. Plain values: the store
// reads and writes them, the center (src/center) gives them meaning.
//
// Times are Unix seconds; 0 means "none" (no expiry, never contacted).
// Ids are assigned by the store, positive, never reused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"

namespace kw::store {

enum class UserState { kActive, kSuspended, kOffboarded };
enum class KeyState { kActive, kExpired, kRevoked };
enum class TokenKind { kAdmin, kHost, kEnroll };

// "active", "suspended", ... and back; nullopt for an unknown name.
std::string_view ToString(UserState s);
std::string_view ToString(KeyState s);
std::string_view ToString(TokenKind k);
std::optional<UserState> ParseUserState(std::string_view s);
std::optional<KeyState> ParseKeyState(std::string_view s);
std::optional<TokenKind> ParseTokenKind(std::string_view s);

struct User {
  int64_t id = 0;
  std::string name;  // unique
  std::string email;
  UserState state = UserState::kActive;
  int64_t created = 0;
  int64_t updated = 0;
};

struct Team {
  int64_t id = 0;
  std::string name;              // unique
  std::vector<int64_t> members;  // user ids, ascending; saved with the team
  int64_t created = 0;
};

struct HostGroup {
  int64_t id = 0;
  std::string name;  // unique
  int64_t created = 0;
};

struct Key {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string type;         // "ssh-ed25519", ...
  Bytes blob;               // the public key's wire blob
  std::string fingerprint;  // "SHA256:..." (unique across all keys)
  std::string comment;
  int64_t created = 0;
  int64_t expires = 0;  // 0: none of its own (policy's maximum age still applies)
  KeyState state = KeyState::kActive;
  int64_t state_changed = 0;  // when it was revoked or expired
  std::string state_reason;   // why ("offboarded", "revoked by alice", "maximum age")
  // Scope: every host group, or only these (ascending; saved with the key).
  bool scope_all = true;
  std::vector<int64_t> scope_groups;
};

struct Host {
  int64_t id = 0;
  std::string name;             // unique
  std::vector<int64_t> groups;  // host group ids, ascending; saved with the host
  std::string host_keys;        // public host key lines, as the agent last reported them
  int64_t last_contact = 0;
  int64_t applied_revision = 0;  // what the agent last said it installed
  int64_t created = 0;
};

// A user or a team (exactly one of the two ids is set) may log in as
// `account` on every host of `group_id`, with these authorized_keys options.
struct Grant {
  int64_t id = 0;
  int64_t user_id = 0;
  int64_t team_id = 0;
  int64_t group_id = 0;
  std::string account;
  std::string options;  // authorized_keys options text, "" for none
  int64_t ends_at = 0;  // 0: until deleted
  int64_t created = 0;
};

// Bearer tokens are random; only their SHA-256 is kept.
struct Token {
  int64_t id = 0;
  TokenKind kind = TokenKind::kAdmin;
  std::string name;     // who or what it was issued to
  int64_t host_id = 0;  // kHost only
  Bytes hash;           // SHA-256 of the secret (unique)
  int64_t created = 0;
  int64_t expires = 0;  // 0: none
};

// One record of the tamper-evident log. hash = SHA-256 over prev_hash and
// the canonical encoding of the other fields (src/center/audit_chain.h);
// the store only keeps and returns them, in seq order.
struct AuditEntry {
  int64_t seq = 0;  // 1, 2, ... without gaps
  int64_t time = 0;
  std::string actor;   // "admin:alice", "host:web1", "system"
  std::string remote;  // client address, "" for internal events
  std::string action;  // "user.create", "key.revoke", ...
  std::string target;  // "user:bob", "key:17"
  std::string detail;  // JSON object text
  Bytes prev_hash;     // 32 bytes; zeros for seq 1
  Bytes hash;          // 32 bytes
};

// The last bundle rendered for a host: its content hash and the global
// revision at which that content first appeared. Lets the center keep a
// host's bundle revision still while other hosts change.
struct BundleState {
  int64_t host_id = 0;
  int64_t revision = 0;
  Bytes content_hash;
};

// A user's TOTP enrolment with the key center (issue 8, central mode). The
// secret is kept sealed (AES-256-GCM, crypto/aead.h, by the center's
// totp_key); the store never sees it in clear. Scratch codes are kept as
// keyed hashes only (the center computes them), each usable once.
struct TotpSecret {
  int64_t user_id = 0;
  Bytes sealed_secret;
  std::string algorithm;  // "SHA1", "SHA256", "SHA512"
  int digits = 6;
  int64_t period = 30;
  // The highest time step accepted so far; a code of this step or an
  // earlier one is refused (replay across every bastion). -1: none yet.
  int64_t last_step = -1;
  // Failed attempts counted since fail_since (rate limiting).
  int64_t fail_count = 0;
  int64_t fail_since = 0;
  int64_t created = 0;
  std::vector<Bytes> scratch_hashes;  // ascending bytewise
};

// A user with their TOTP enrolment (none: not enrolled), as a group of
// verifications reads them.
struct TotpAccount {
  User user;
  std::optional<TotpSecret> totp;
};

// One candidate authorized_keys line for a host: a grant on a group the
// host is in, crossed with a key of the user the grant names (directly or
// through a team). The store returns every such pair; the center applies
// state, scope, expiry and policy.
struct RenderRow {
  int64_t grant_id = 0;
  std::string account;
  std::string options;
  int64_t grant_ends_at = 0;
  int64_t group_id = 0;  // the granted group (one the host is in)
  User user;
  Key key;  // with scope_groups filled
};

// Keyset pagination: items with id (or seq) > after, at most `limit`.
struct PageRequest {
  int64_t after = 0;
  int limit = 100;
};

}  // namespace kw::store
