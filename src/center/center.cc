#include "center/center.h"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "center/change.h"
#include "center/render.h"
#include "crypto/hash.h"
#include "formats/audit_chain.h"
#include "formats/authorized_keys.h"
#include "formats/bundle.h"
#include "formats/certificate.h"
#include "formats/fingerprint.h"
#include "formats/public_key.h"
#include "formats/sshsig.h"
#include "wire/base64.h"

namespace kw::center {

using store::Txn;

// Names of users, teams, groups and hosts: 1 to 64 of [A-Za-z0-9_.@-],
// starting with a letter or digit. They end up in file comments and URLs.
Status CheckName(std::string_view field, std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && std::isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == '@')) ok = false;
  }
  if (!ok) {
    return InvalidArgumentError(std::string(field) +
                                ": must be 1 to 64 letters, digits, '_', '.', '-' or '@', starting with a "
                                "letter or digit");
  }
  return OkStatus();
}

namespace {

Status CheckNoControl(std::string_view field, std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return InvalidArgumentError(std::string(field) + ": must not contain control characters");
    }
  }
  return OkStatus();
}

// Grant options must be options sshd accepts, one blank-free list, and not
// ones that change what the line means (the center sets expiry-time itself).
Status CheckGrantOptions(std::string_view options) {
  KW_RETURN_IF_ERROR(CheckNoControl("options", options));
  if (options.empty()) return OkStatus();
  bool quoted = false;
  for (size_t i = 0; i < options.size(); ++i) {
    char c = options[i];
    if (c == '\\' && quoted && i + 1 < options.size()) {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if ((c == ' ' || c == '\t') && !quoted) {
      return InvalidArgumentError("options: blanks are only allowed inside quotes");
    }
  }
  std::vector<formats::AuthorizedKeyOption> model;
  formats::AuthParseOptions parse;
  parse.local_time = formats::UtcAsLocalTime();
  auto rights = formats::ParseKeyOptions(options, parse, &model);
  if (!rights.ok()) return InvalidArgumentError("options: " + rights.status().message());
  for (const auto& o : model) {
    if (o.name == "expiry-time" || o.name == "cert-authority" || o.name == "principals") {
      return InvalidArgumentError("options: \"" + o.name +
                                  "\" is not allowed in a grant (use ends_at for temporary access)");
    }
  }
  return OkStatus();
}

std::string Target(std::string_view kind, std::string_view name) { return std::string(kind) + ":" + std::string(name); }

template <class T>
int64_t NextCursor(const std::vector<T>& items, const store::PageRequest& page, int64_t last_id) {
  return static_cast<int>(items.size()) >= page.limit && page.limit > 0 ? last_id : 0;
}

// A page of records as a page of views (names resolved by `view`).
template <class V, class R, class F>
StatusOr<Listing<V>> Views(std::vector<R> records, const store::PageRequest& page, F view) {
  Listing<V> out;
  out.next = NextCursor(records, page, records.empty() ? 0 : records.back().id);
  for (R& r : records) {
    KW_ASSIGN_OR_RETURN(V v, view(std::move(r)));
    out.items.push_back(std::move(v));
  }
  return out;
}

Status CheckPage(const store::PageRequest& page) {
  if (page.limit < 1 || page.limit > 1000) return InvalidArgumentError("limit: must be between 1 and 1000");
  if (page.after < 0) return InvalidArgumentError("after: must not be negative");
  return OkStatus();
}

}  // namespace

Actor Principal::AsActor(std::string remote) const {
  return Actor{(kind == PrincipalKind::kAdmin ? "admin:" : "host:") + name, std::move(remote)};
}

Center::Center(store::Store* store, Policy policy, const Clock& clock, Rng& rng, formats::KeySigner signer)
    : store_(store), policy_(std::move(policy)), clock_(clock), rng_(rng), signer_(std::move(signer)) {}

const formats::PublicKey& Center::signing_key() const { return signer_.public_key(); }

Status Center::RefreshRevision() {
  KW_ASSIGN_OR_RETURN(auto txn, Read());
  KW_ASSIGN_OR_RETURN(int64_t rev, txn->Revision());
  NoteRevision(rev);
  return OkStatus();
}

void Center::OnRevision(std::function<void(int64_t)> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  listeners_.push_back(std::move(fn));
}

void Center::NoteRevision(int64_t revision) {
  int64_t cur = revision_.load();
  while (revision > cur && !revision_.compare_exchange_weak(cur, revision)) {
  }
  if (revision > cur) Publish(revision);
}

void Center::Publish(int64_t revision) {
  std::vector<std::function<void(int64_t)>> listeners;
  {
    std::lock_guard<std::mutex> lock(mu_);
    listeners = listeners_;
  }
  for (auto& fn : listeners) fn(revision);
}

StatusOr<std::unique_ptr<Txn>> Center::Read() { return store_->Begin(store::TxnMode::kRead); }

Status Center::Write(const Actor& actor, const std::function<Status(Txn&, Change&)>& fn) {
  KW_ASSIGN_OR_RETURN(auto txn, store_->Begin(store::TxnMode::kWrite));
  Change change;
  KW_RETURN_IF_ERROR(fn(*txn, change));
  int64_t rev = 0;
  if (change.bump) {
    KW_ASSIGN_OR_RETURN(rev, txn->BumpRevision());
  }
  if (!change.notes.empty()) KW_RETURN_IF_ERROR(AppendAudit(*txn, actor, rev, change));
  KW_RETURN_IF_ERROR(txn->Commit());
  if (rev != 0) NoteRevision(rev);
  return OkStatus();
}

Status Center::AppendAudit(Txn& txn, const Actor& actor, int64_t rev, Change& change) {
  KW_ASSIGN_OR_RETURN(auto last, txn.LastAudit());
  Bytes prev = last ? last->hash : Bytes(formats::kAuditHashBytes, 0);
  int64_t seq = last ? last->seq : 0;
  int64_t now = clock_.NowUnix();
  std::vector<store::AuditEntry> entries;
  entries.reserve(change.notes.size());
  for (auto& note : change.notes) {
    store::AuditEntry e;
    e.seq = ++seq;
    e.time = now;
    const Actor& who = note.actor ? *note.actor : actor;
    e.actor = who.name;
    e.remote = who.remote;
    e.action = note.action;
    e.target = note.target;
    if (rev != 0) note.detail["revision"] = rev;
    e.detail = note.detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    e.prev_hash = prev;
    e.hash = formats::AuditEntryHash(prev, {e.seq, e.time, e.actor, e.remote, e.action, e.target, e.detail});
    prev = e.hash;
    entries.push_back(std::move(e));
  }
  return txn.AppendAudits(entries);
}

Status Center::AuditEvent(const Actor& actor, const std::string& action, const std::string& target,
                          const std::string& detail_json) {
  return Write(actor, [&](Txn&, Change& c) {
    c.bump = false;
    nlohmann::json d = nlohmann::json::parse(detail_json, nullptr, false);
    c.Add(action, target, d.is_object() ? d : nlohmann::json::object());
    return OkStatus();
  });
}

// --- tokens

StatusOr<std::string> Center::NewToken(Bytes* hash) {
  Bytes secret(32);
  {
    std::lock_guard<std::mutex> lock(rng_mu_);
    rng_.Fill(secret);
  }
  std::string token = std::string(kTokenPrefix) + wire::Base64EncodeUnpadded(secret);
  for (char& c : token) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  SecureWipe(secret.data(), secret.size());
  *hash = crypto::Digest(crypto::HashAlg::kSha256, AsBytes(token));
  return token;
}

StatusOr<Principal> Center::Authenticate(std::string_view bearer, std::string_view remote) {
  if (bearer.empty()) return UnauthenticatedError("a bearer token is required");
  // Looked up by its SHA-256, so the database index does the matching and
  // the secret itself is never compared or stored; the hash is then
  // compared again in constant time as a belt.
  Bytes hash = crypto::Digest(crypto::HashAlg::kSha256, AsBytes(bearer));
  int64_t seen = revision_.load();
  std::string cache_key(AsChars(hash));
  if (caching_) {
    if (auto hit = tokens_.Get(cache_key, seen, clock_.NowUnix())) return *hit;
  }
  KW_ASSIGN_OR_RETURN(auto txn, Read());
  auto token = txn->FindTokenByHash(hash);
  if (!token.ok() || !ConstantTimeEquals(token->hash, hash) ||
      (token->expires != 0 && token->expires <= clock_.NowUnix())) {
    if (token.ok() || token.status().code() == StatusCode::kNotFound) {
      (void)remote;
      return UnauthenticatedError("invalid or expired token");
    }
    return token.status();
  }
  Principal p;
  p.name = token->name;
  if (token->kind == store::TokenKind::kAdmin) {
    p.kind = PrincipalKind::kAdmin;
  } else if (token->kind == store::TokenKind::kHost) {
    p.kind = PrincipalKind::kHost;
    p.host_id = token->host_id;
    KW_ASSIGN_OR_RETURN(store::Host h, txn->GetHost(token->host_id));
    p.name = h.name;
  } else {
    return UnauthenticatedError("this token is for enrolment only");
  }
  if (caching_) tokens_.Put(cache_key, seen, p, token->expires);
  return p;
}

StatusOr<std::string> Center::IssueAdminToken(const Actor& actor, const std::string& name) {
  KW_RETURN_IF_ERROR(CheckName("name", name));
  Bytes hash;
  KW_ASSIGN_OR_RETURN(std::string token, NewToken(&hash));
  KW_RETURN_IF_ERROR(Write(actor, [&](Txn& t, Change& c) -> Status {
    store::Token tok;
    tok.kind = store::TokenKind::kAdmin;
    tok.name = name;
    tok.hash = hash;
    tok.created = clock_.NowUnix();
    KW_ASSIGN_OR_RETURN(int64_t id, t.InsertToken(tok));
    c.Add("token.issue", Target("token", std::to_string(id)), {{"kind", "admin"}, {"name", name}});
    return OkStatus();
  }));
  return token;
}

// --- users

StatusOr<store::User> Center::CreateUser(const Actor& actor, const NewUser& u) {
  KW_RETURN_IF_ERROR(CheckName("name", u.name));
  KW_RETURN_IF_ERROR(CheckNoControl("email", u.email));
  if (u.email.size() > 254) return InvalidArgumentError("email: longer than 254 characters");
  store::User user;
  KW_RETURN_IF_ERROR(Write(actor, [&](Txn& t, Change& c) -> Status {
    user = store::User{0, u.name, u.email, store::UserState::kActive, clock_.NowUnix(), clock_.NowUnix()};
    KW_ASSIGN_OR_RETURN(user.id, t.InsertUser(user));
    c.Add("user.create", Target("user", u.name), {{"email", u.email}});
    return OkStatus();
  }));
  return user;
}

StatusOr<store::User> Center::GetUser(std::string_view name) {
  KW_ASSIGN_OR_RETURN(auto txn, Read());
  return txn->FindUser(name);
}

StatusOr<Listing<store::User>> Center::ListUsers(store::PageRequest page) {
  KW_RETURN_IF_ERROR(CheckPage(page));
  KW_ASSIGN_OR_RETURN(auto txn, Read());
  Listing<store::User> out;
  KW_ASSIGN_OR_RETURN(out.items, txn->ListUsers(page));
  out.next = NextCursor(out.items, page, out.items.empty() ? 0 : out.items.back().id);
  return out;
}

StatusOr<store::User> Center::UpdateUser(const Actor& actor, std::string_view name, const UserPatch& patch) {
  if (patch.email) {
    KW_RETURN_IF_ERROR(CheckNoControl("email", *patch.email));
  }
  if (patch.state == store::UserState::kOffboarded) {
    return InvalidArgumentError("state: use the offboard action to offboard a user");
  }
  store::User user;
  KW_RETURN_IF_ERROR(Write(actor, [&](Txn& t, Change& c) -> Status {
    KW_ASSIGN_OR_RETURN(user, t.FindUser(name));
    if (user.state == store::UserState::kOffboarded && patch.state) {
      return FailedPreconditionError("user \"" + user.name + "\" is offboarded");
    }
    nlohmann::json d = nlohmann::json::object();
    if (patch.email) user.email = *patch.email, d["email"] = *patch.email;
    if (patch.state) user.state = *patch.state, d["state"] = std::string(store::ToString(*patch.state));
    user.updated = clock_.NowUnix();
    KW_RETURN_IF_ERROR(t.UpdateUser(user));
    c.Add("user.update", Target("user", user.name), d);
    return OkStatus();
  }));
  return user;
}

Status Center::DeleteUser(const Actor& actor, std::string_view name) {
  return Write(actor, [&](Txn& t, Change& c) -> Status {
    KW_ASSIGN_OR_RETURN(store::User user, t.FindUser(name));
    KW_RETURN_IF_ERROR(t.DeleteUser(user.id));
    c.Add("user.delete", Target("user", user.name));
    return OkStatus();
  });
}

StatusOr<OffboardResult> Center::Offboard(const Actor& actor, std::string_view name) {
  OffboardResult r;
  KW_RETURN_IF_ERROR(Write(actor, [&](Txn& t, Change& c) -> Status {
    r = {};
    KW_ASSIGN_OR_RETURN(store::User user, t.FindUser(name));
    int64_t now = clock_.NowUnix();
    store::PageRequest page{0, 1000};
    for (;;) {
      KW_ASSIGN_OR_RETURN(auto keys, t.ListKeys({user.id, store::KeyState::kActive, 0}, page));
      for (store::Key& k : keys) {
        k.state = store::KeyState::kRevoked;
        k.state_changed = now;
        k.state_reason = "offboarded";
        KW_RETURN_IF_ERROR(t.UpdateKey(k));
        ++r.keys_revoked;
      }
      if (static_cast<int>(keys.size()) < page.limit) break;
      page.after = keys.back().id;
    }
    for (;;) {
      KW_ASSIGN_OR_RETURN(auto grants, t.ListGrants({user.id, 0, 0}, {0, 1000}));
      for (const store::Grant& g : grants) {
        KW_RETURN_IF_ERROR(t.DeleteGrant(g.id));
        ++r.grants_removed;
      }
      if (grants.size() < 1000) break;
    }
    KW_ASSIGN_OR_RETURN(auto teams, t.TeamsOfUser(user.id));
    for (store::Team& team : teams) {
      team.members.erase(std::remove(team.members.begin(), team.members.end(), user.id), team.members.end());
      KW_RETURN_IF_ERROR(t.UpdateTeam(team));
      ++r.teams_left;
    }
    user.state = store::UserState::kOffboarded;
    user.updated = now;
    KW_RETURN_IF_ERROR(t.UpdateUser(user));
    c.Add("user.offboard", Target("user", user.name),
          {{"keys_revoked", r.keys_revoked}, {"grants_removed", r.grants_removed}, {"teams_left", r.teams_left}});
    return OkStatus();
  }));
  return r;
}

// --- teams

namespace {

StatusOr<std::vector<int64_t>> UserIds(Txn& t, const std::vector<std::string>& names) {
  std::set<int64_t> ids;
  for (const std::string& n : names) {
    auto u = t.FindUser(n);
    if (!u.ok()) {
      if (u.status().code() == StatusCode::kNotFound) {
        return InvalidArgumentError("members: user \"" + n + "\" not found");
      }
      return u.status();
    }
    if (u->state == store::UserState::kOffboarded) {
      return InvalidArgumentError("members: user \"" + n + "\" is offboarded");
    }
    ids.insert(u->id);
  }
  return std::vector<int64_t>(ids.begin(), ids.end());
}

StatusOr<std::vector<int64_t>> GroupIds(Txn& t, std::string_view field, const std::vector<std::string>& names) {
  std::set<int64_t> ids;
  for (const std::string& n : names) {
    auto g = t.FindGroup(n);
    if (!g.ok()) {
      if (g.status().code() == StatusCode::kNotFound) {
        return InvalidArgumentError(std::string(field) + ": host group \"" + n + "\" not found");
      }
      return g.status();
    }
    ids.insert(g->id);
  }
  return std::vector<int64_t>(ids.begin(), ids.end());
}

StatusOr<TeamView> ViewTeam(Txn& t, store::Team team) {
  TeamView v;
  for (int64_t id : team.members) {
    KW_ASSIGN_OR_RETURN(store::User u, t.GetUser(id));
    v.members.push_back(u.name);
  }
  v.team = std::move(team);
  return v;
}

StatusOr<HostView> ViewHost(Txn& t, store::Host host) {
  HostView v;
  for (int64_t id : host.groups) {
    KW_ASSIGN_OR_RETURN(store::HostGroup g, t.GetGroup(id));
    v.groups.push_back(g.name);
  }
  v.host = std::move(host);
  return v;
}

StatusOr<GrantView> ViewGrant(Txn& t, store::Grant g) {
  GrantView v;
  if (g.user_id != 0) {
    KW_ASSIGN_OR_RETURN(store::User u, t.GetUser(g.user_id));
    v.user = u.name;
  } else {
    KW_ASSIGN_OR_RETURN(store::Team team, t.GetTeam(g.team_id));
    v.team = team.name;
  }
  KW_ASSIGN_OR_RETURN(store::HostGroup group, t.GetGroup(g.group_id));
  v.group = group.name;
  v.grant = std::move(g);
  return v;
}

}  // namespace

StatusOr<TeamView> Center::CreateTeam(const Actor& actor, const std::string& name,
                                      const std::vector<std::string>& members) {
  KW_RETURN_IF_ERROR(CheckName("name", name));
  TeamView view;
  KW_RETURN_IF_ERROR(Write(actor, [&](Txn& t, Change& c) -> Status {
    store::Team team;
    team.name = name;
    team.created = clock_.NowUnix();
    KW_ASSIGN_OR_RETURN(team.members, UserIds(t, members));
    KW_ASSIGN_OR_RETURN(team.id, t.InsertTeam(team));
    KW_ASSIGN_OR_RETURN(view, ViewTeam(t, team));
    c.Add("team.create", Target("team", name), {{"members", view.members}});
    return OkStatus();
  }));
  return view;
}

StatusOr<TeamView> Center::GetTeam(std::string_view name) {
  KW_ASSIGN_OR_RETURN(auto txn, Read());
  KW_ASSIGN_OR_RETURN(store::Team team, txn->FindTeam(name));
  return ViewTeam(*txn, std::move(team));
}

StatusOr<Listing<TeamView>> Center::ListTeams(store::PageRequest page) {
  KW_RETURN_IF_ERROR(CheckPage(page));
  KW_ASSIGN_OR_RETURN(auto txn, Read());
  KW_ASSIGN_OR_RETURN(auto teams, txn->ListTeams(page));
  return Views<TeamView>(std::move(teams), page, [&](store::Team t) { return ViewTeam(*txn, std::move(t)); });
}

StatusOr<TeamView> Center::SetTeamMembers(const Actor& actor, std::string_view name,
                                          const std::vector<std::string>& members) {
  TeamView view;
  KW_RETURN_IF_ERROR(Write(actor, [&](Txn& t, Change& c) -> Status {
    KW_ASSIGN_OR_RETURN(store::Team team, t.FindTeam(name));
    KW_ASSIGN_OR_RETURN(team.members, UserIds(t, members));
    KW_RETURN_IF_ERROR(t.UpdateTeam(team));
    KW_ASSIGN_OR_RETURN(view, ViewTeam(t, team));
    c.Add("team.update", Target("team", team.name), {{"members", view.members}});
    return OkStatus();
  }));
  return view;
}

Status Center::DeleteTeam(const Actor& actor, std::string_view name) {
  return Write(actor, [&](Txn& t, Change& c) -> Status {
    KW_ASSIGN_OR_RETURN(store::Team team, t.FindTeam(name));
    KW_RETURN_IF_ERROR(t.DeleteTeam(team.id));
    c.Add("team.delete", Target("team", team.name));
    return OkStatus();
  });
}

// --- host groups

StatusOr<store::HostGroup> Center::CreateGroup(const Actor& actor, const std::string& name) {
  KW_RETURN_IF_ERROR(CheckName("name", name));
  store::HostGroup g;
  KW_RETURN_IF_ERROR(Write(actor, [&](Txn& t, Change& c) -> Status {
    g = store::HostGroup{0, name, clock_.NowUnix()};
    KW_ASSIGN_OR_RETURN(g.id, t.InsertGroup(g));
    c.Add("group.create", Target("group", name));
    return OkStatus();
  }));
  return g;
}

StatusOr<store::HostGroup> Center::GetGroup(std::string_view name) {
  KW_ASSIGN_OR_RETURN(auto txn, Read());
  return txn->FindGroup(name);
}

StatusOr<Listing<store::HostGroup>> Center::ListGroups(store::PageRequest page) {
  KW_RETURN_IF_ERROR(CheckPage(page));
  KW_ASSIGN_OR_RETURN(auto txn, Read());
  Listing<store::HostGroup> out;
  KW_ASSIGN_OR_RETURN(out.items, txn->ListGroups(page));
  out.next = NextCursor(out.items, page, out.items.empty() ? 0 : out.items.back().id);
  return out;
}

Status Center::DeleteGroup(const Actor& actor, std::string_view name) {
  return Write(actor, [&](Txn& t, Change& c) -> Status {
    KW_ASSIGN_OR_RETURN(store::HostGroup g, t.FindGroup(name));
    KW_RETURN_IF_ERROR(t.DeleteGroup(g.id));
    c.Add("group.delete", Target("group", g.name));
    return OkStatus();
  });
}

// --- hosts

StatusOr<CreatedHost> Center::CreateHost(const Actor& actor, const NewHost& h) {
  KW_RETURN_IF_ERROR(CheckName("name", h.name));
  CreatedHost out;
  Bytes hash;
  KW_ASSIGN_OR_RETURN(out.token, NewToken(&hash));
  KW_RETURN_IF_ERROR(Write(actor, [&](Txn& t, Change& c) -> Status {
    store::Host host;
    host.name = h.name;
    host.created = clock_.NowUnix();
    KW_ASSIGN_OR_RETURN(host.groups, GroupIds(t, "groups", h.groups));
    KW_ASSIGN_OR_RETURN(host.id, t.InsertHost(host));
    store::Token tok;
    tok.kind = store::TokenKind::kHost;
    tok.name = h.name;
    tok.host_id = host.id;
    tok.hash = hash;
    tok.created = host.created;
    KW_RETURN_IF_ERROR(t.InsertToken(tok));
    KW_ASSIGN_OR_RETURN(out.host, ViewHost(t, host));
    c.Add("host.create", Target("host", h.name), {{"groups", out.host.groups}});
    return OkStatus();
  }));
  return out;
}

StatusOr<HostView> Center::GetHost(std::string_view name) {
  KW_ASSIGN_OR_RETURN(auto txn, Read());
  KW_ASSIGN_OR_RETURN(store::Host host, txn->FindHost(name));
  OverlayReport(&host);  // what a host reported reads back at once
  return ViewHost(*txn, std::move(host));
}

StatusOr<int64_t> Center::HostId(std::string_view name) {
  int64_t seen = revision_.load();
  if (caching_) {
    if (auto hit = host_ids_.Get(std::string(name), seen, 0)) return *hit;
  }
  KW_ASSIGN_OR_RETURN(auto txn, Read());
  KW_ASSIGN_OR_RETURN(store::Host host, txn->FindHost(name));
  if (caching_) host_ids_.Put(std::string(name), seen, host.id);
  return host.id;
}

StatusOr<Listing<HostView>> Center::ListHosts(store::PageRequest page) {
  KW_RETURN_IF_ERROR(CheckPage(page));
  KW_ASSIGN_OR_RETURN(auto txn, Read());
  KW_ASSIGN_OR_RETURN(auto hosts, txn->ListHosts(page));
  return Views<HostView>(std::move(hosts), page, [&](store::Host h) {
    OverlayReport(&h);
    return ViewHost(*txn, std::move(h));
  });
}

StatusOr<HostView> Center::SetHostGroups(const Actor& actor, std::string_view name,
                                         const std::vector<std::string>& groups) {
  HostView view;
  KW_RETURN_IF_ERROR(Write(actor, [&](Txn& t, Change& c) -> Status {
    KW_ASSIGN_OR_RETURN(store::Host host, t.FindHost(name));
    KW_ASSIGN_OR_RETURN(host.groups, GroupIds(t, "groups", groups));
    KW_RETURN_IF_ERROR(t.UpdateHost(host));
    KW_ASSIGN_OR_RETURN(view, ViewHost(t, host));
    c.Add("host.update", Target("host", host.name), {{"groups", view.groups}});
    return OkStatus();
  }));
  return view;
}

Status Center::DeleteHost(const Actor& actor, std::string_view name) {
  return Write(actor, [&](Txn& t, Change& c) -> Status {
    KW_ASSIGN_OR_RETURN(store::Host host, t.FindHost(name));
    KW_RETURN_IF_ERROR(t.DeleteHost(host.id));
    c.Add("host.delete", Target("host", host.name));
    return OkStatus();
  });
}

StatusOr<std::string> Center::RotateHostToken(const Actor& actor, std::string_view name) {
  Bytes hash;
  KW_ASSIGN_OR_RETURN(std::string token, NewToken(&hash));
  KW_RETURN_IF_ERROR(Write(actor, [&](Txn& t, Change& c) -> Status {
    KW_ASSIGN_OR_RETURN(store::Host host, t.FindHost(name));
    KW_RETURN_IF_ERROR(t.DeleteTokensOfHost(host.id));
    store::Token tok;
    tok.kind = store::TokenKind::kHost;
    tok.name = host.name;
    tok.host_id = host.id;
    tok.hash = hash;
    tok.created = clock_.NowUnix();
    KW_RETURN_IF_ERROR(t.InsertToken(tok));
    // A revision of its own, so every instance drops the old token from
    // its caches.
    c.Add("host.token", Target("host", host.name));
    return OkStatus();
  }));
  return token;
}

Status Center::Report(const Actor& actor, int64_t host_id, const HostReport& report) {
  if (report.applied_revision < 0) return InvalidArgumentError("revision: must not be negative");
  if (report.host_keys.size() > 64 * 1024) return InvalidArgumentError("host_keys: longer than 64 KiB");
  // Only key lines we can read are kept.
  std::string keys;
  size_t lineno = 0;
  for (size_t pos = 0; pos < report.host_keys.size();) {
    size_t end = report.host_keys.find('\n', pos);
    if (end == std::string::npos) end = report.host_keys.size();
    std::string_view line(report.host_keys.data() + pos, end - pos);
    ++lineno;
    pos = end + 1;
    if (line.empty()) continue;
    auto parsed = formats::ParseKeyText(line);
    if (!parsed.ok()) {
      return InvalidArgumentError("host_keys: line " + std::to_string(lineno) + ": " + parsed.status().message());
    }
    keys += formats::FormatPublicKey(parsed->key) + "\n";
  }
  {
    std::lock_guard<std::mutex> lock(reports_mu_);
    auto known = known_host_keys_.find(host_id);
    if (known != known_host_keys_.end() && known->second == keys) {
      pending_reports_[host_id] = {report.applied_revision, clock_.NowUnix()};
      return OkStatus();
    }
  }
  Status s = Write(actor, [&](Txn& t, Change& c) -> Status {
    KW_ASSIGN_OR_RETURN(store::Host host, t.GetHost(host_id));
    bool keys_changed = host.host_keys != keys;
    host.applied_revision = report.applied_revision;
    host.last_contact = clock_.NowUnix();
    host.host_keys = keys;
    KW_RETURN_IF_ERROR(t.UpdateHost(host));
    // A report is not a change of what anyone may do; it is logged only
    // when the host keys change.
    c.bump = false;
    if (keys_changed) c.Add("host.keys", Target("host", host.name), {{"host_keys", keys}});
    return OkStatus();
  });
  if (s.ok()) {
    std::lock_guard<std::mutex> lock(reports_mu_);
    known_host_keys_[host_id] = keys;
    pending_reports_.erase(host_id);
  }
  return s;
}

void Center::NoteApplied(int64_t host_id, int64_t revision) {
  if (revision <= 0) return;
  std::lock_guard<std::mutex> lock(reports_mu_);
  pending_reports_[host_id] = {revision, clock_.NowUnix()};
}

Status Center::FlushReports() {
  std::map<int64_t, std::pair<int64_t, int64_t>> pending;
  {
    std::lock_guard<std::mutex> lock(reports_mu_);
    pending = pending_reports_;
  }
  if (pending.empty()) return OkStatus();
  KW_RETURN_IF_ERROR(Write(Actor{"system", ""}, [&](Txn& t, Change& c) -> Status {
    c.bump = false;
    for (const auto& [host_id, noted] : pending) {
      KW_RETURN_IF_ERROR(t.NoteContact(host_id, noted.first, noted.second));
    }
    return OkStatus();
  }));
  // Noted until written, so a host read (OverlayReport) sees a report at
  // every moment; a newer report that came meanwhile stays.
  std::lock_guard<std::mutex> lock(reports_mu_);
  for (const auto& [host_id, noted] : pending) {
    auto it = pending_reports_.find(host_id);
    if (it != pending_reports_.end() && it->second == noted) pending_reports_.erase(it);
  }
  return OkStatus();
}

void Center::OverlayReport(store::Host* host) {
  std::lock_guard<std::mutex> lock(reports_mu_);
  auto it = pending_reports_.find(host->id);
  if (it == pending_reports_.end()) return;
  host->applied_revision = it->second.first;
  host->last_contact = it->second.second;
}

// --- keys

namespace {

StatusOr<KeyView> ViewKey(Txn& t, const Policy& policy, store::Key key) {
  KeyView v;
  KW_ASSIGN_OR_RETURN(store::User u, t.GetUser(key.user_id));
  v.user = u.name;
  for (int64_t id : key.scope_groups) {
    KW_ASSIGN_OR_RETURN(store::HostGroup g, t.GetGroup(id));
    v.scope.push_back(g.name);
  }
  v.effective_expiry = EffectiveExpiry(policy, key);
  v.key = std::move(key);
  return v;
}

}  // namespace

StatusOr<KeyView> Center::AddKey(const Actor& actor, const NewKey& k) {
  if (k.public_key.find_first_of("\r\n") != std::string::npos) {
    return InvalidArgumentError("public_key: must be a single line");
  }
  auto parsed = formats::ParseKeyText(k.public_key);
  if (!parsed.ok()) return InvalidArgumentError("public_key: " + parsed.status().message());
  std::string comment = k.comment ? *k.comment : std::string(parsed->rest);
  while (!comment.empty() && (comment.back() == ' ' || comment.back() == '\t')) comment.pop_back();
  KW_RETURN_IF_ERROR(CheckNoControl("comment", comment));
  int64_t now = clock_.NowUnix();
  Status policy = CheckKeyPolicy(policy_, parsed->key, !k.scope.has_value(), k.expires, now);
  if (!policy.ok()) return InvalidArgumentError("public_key: " + policy.message());
  KeyView view;
  KW_RETURN_IF_ERROR(Write(actor, [&](Txn& t, Change& c) -> Status {
    KW_ASSIGN_OR_RETURN(store::User user, t.FindUser(k.user));
    if (user.state == store::UserState::kOffboarded) {
      return FailedPreconditionError("user \"" + user.name + "\" is offboarded");
    }
    store::Key key;
    key.user_id = user.id;
    key.type = std::string(parsed->key.ssh_name());
    key.blob = parsed->key.blob();
    key.fingerprint = formats::Fingerprint(parsed->key);
    key.comment = comment;
    key.created = now;
    key.expires = k.expires;
    key.state_changed = now;
    key.scope_all = !k.scope.has_value();
    if (k.scope) {
      KW_ASSIGN_OR_RETURN(key.scope_groups, GroupIds(t, "scope", *k.scope));
    }
    auto existing = t.FindKeyByFingerprint(key.fingerprint);
    if (existing.ok()) return AlreadyExistsError("public_key: key " + key.fingerprint + " is already registered");
    KW_ASSIGN_OR_RETURN(key.id, t.InsertKey(key));
    KW_ASSIGN_OR_RETURN(view, ViewKey(t, policy_, key));
    c.Add("key.add", Target("key", std::to_string(key.id)),
          {{"user", user.name}, {"fingerprint", key.fingerprint}, {"expires", key.expires}, {"scope", view.scope}});
    return OkStatus();
  }));
  return view;
}

StatusOr<KeyView> Center::GetKey(int64_t id) {
  KW_ASSIGN_OR_RETURN(auto txn, Read());
  KW_ASSIGN_OR_RETURN(store::Key key, txn->GetKey(id));
  return ViewKey(*txn, policy_, std::move(key));
}

StatusOr<Listing<KeyView>> Center::ListKeys(std::string_view user, std::optional<store::KeyState> state,
                                            int64_t expiring_within, store::PageRequest page) {
  KW_RETURN_IF_ERROR(CheckPage(page));
  KW_ASSIGN_OR_RETURN(auto txn, Read());
  store::KeyFilter filter;
  filter.state = state;
  if (!user.empty()) {
    KW_ASSIGN_OR_RETURN(store::User u, txn->FindUser(user));
    filter.user_id = u.id;
  }
  if (expiring_within > 0) filter.state = store::KeyState::kActive;
  int64_t horizon = clock_.NowUnix() + expiring_within;
  Listing<KeyView> out;
  store::PageRequest p = page;
  // Filtering by effective expiry happens here (it depends on the policy);
  // pages of the store are read until this page is full.
  for (;;) {
    KW_ASSIGN_OR_RETURN(auto keys, txn->ListKeys(filter, p));
    for (auto& k : keys) {
      p.after = k.id;
      if (expiring_within > 0) {
        int64_t e = EffectiveExpiry(policy_, k);
        if (e == 0 || e > horizon) continue;
      }
      KW_ASSIGN_OR_RETURN(KeyView v, ViewKey(*txn, policy_, std::move(k)));
      out.items.push_back(std::move(v));
      if (static_cast<int>(out.items.size()) == page.limit) {
        out.next = out.items.back().key.id;
        return out;
      }
    }
    if (static_cast<int>(keys.size()) < p.limit) break;
  }
  return out;
}

StatusOr<KeyView> Center::UpdateKey(const Actor& actor, int64_t id, const KeyPatch& patch) {
  if (patch.comment) {
    KW_RETURN_IF_ERROR(CheckNoControl("comment", *patch.comment));
  }
  KeyView view;
  KW_RETURN_IF_ERROR(Write(actor, [&](Txn& t, Change& c) -> Status {
    KW_ASSIGN_OR_RETURN(store::Key key, t.GetKey(id));
    nlohmann::json d = nlohmann::json::object();
    if (patch.expires) {
      if (*patch.expires != 0 && *patch.expires <= clock_.NowUnix()) {
        return InvalidArgumentError("expires: is not in the future");
      }
      key.expires = *patch.expires;
      d["expires"] = key.expires;
    }
    if (patch.scope) {
      if (!patch.scope->has_value() && policy_.require_scope) {
        return InvalidArgumentError("scope: policy requires every key to have a scope");
      }
      key.scope_all = !patch.scope->has_value();
      key.scope_groups.clear();
      if (patch.scope->has_value()) {
        KW_ASSIGN_OR_RETURN(key.scope_groups, GroupIds(t, "scope", **patch.scope));
      }
    }
    if (patch.comment) key.comment = *patch.comment, d["comment"] = key.comment;
    KW_RETURN_IF_ERROR(t.UpdateKey(key));
    KW_ASSIGN_OR_RETURN(view, ViewKey(t, policy_, key));
    if (patch.scope) d["scope"] = view.scope;
    c.Add("key.update", Target("key", std::to_string(id)), d);
    return OkStatus();
  }));
  return view;
}

StatusOr<KeyView> Center::RevokeKey(const Actor& actor, int64_t id, const std::string& reason) {
  KW_RETURN_IF_ERROR(CheckNoControl("reason", reason));
  KeyView view;
  KW_RETURN_IF_ERROR(Write(actor, [&](Txn& t, Change& c) -> Status {
    KW_ASSIGN_OR_RETURN(store::Key key, t.GetKey(id));
    if (key.state == store::KeyState::kRevoked) return FailedPreconditionError("key " + std::to_string(id) + " is already revoked");
    key.state = store::KeyState::kRevoked;
    key.state_changed = clock_.NowUnix();
    key.state_reason = reason.empty() ? "revoked by " + actor.name : reason;
    KW_RETURN_IF_ERROR(t.UpdateKey(key));
    KW_ASSIGN_OR_RETURN(view, ViewKey(t, policy_, key));
    c.Add("key.revoke", Target("key", std::to_string(id)),
          {{"fingerprint", key.fingerprint}, {"user", view.user}, {"reason", key.state_reason}});
    return OkStatus();
  }));
  return view;
}

Status Center::DeleteKey(const Actor& actor, int64_t id) {
  return Write(actor, [&](Txn& t, Change& c) -> Status {
    KW_ASSIGN_OR_RETURN(store::Key key, t.GetKey(id));
    KW_RETURN_IF_ERROR(t.DeleteKey(id));
    c.Add("key.delete", Target("key", std::to_string(id)), {{"fingerprint", key.fingerprint}});
    return OkStatus();
  });
}

// --- grants

StatusOr<GrantView> Center::CreateGrant(const Actor& actor, const NewGrant& g) {
  if (g.user.empty() == g.team.empty()) return InvalidArgumentError("user, team: exactly one must be given");
  if (!formats::IsValidAccountName(g.account)) {
    return InvalidArgumentError("account: must be 1 to 32 of letters, digits, '_', '.', '-', not starting with '-' or '.'");
  }
  KW_RETURN_IF_ERROR(CheckGrantOptions(g.options));
  if (g.ends_at != 0 && g.ends_at <= clock_.NowUnix()) return InvalidArgumentError("ends_at: is not in the future");
  GrantView view;
  KW_RETURN_IF_ERROR(Write(actor, [&](Txn& t, Change& c) -> Status {
    store::Grant grant;
    if (!g.user.empty()) {
      KW_ASSIGN_OR_RETURN(store::User u, t.FindUser(g.user));
      if (u.state == store::UserState::kOffboarded) {
        return FailedPreconditionError("user \"" + u.name + "\" is offboarded");
      }
      grant.user_id = u.id;
    } else {
      KW_ASSIGN_OR_RETURN(store::Team team, t.FindTeam(g.team));
      grant.team_id = team.id;
    }
    KW_ASSIGN_OR_RETURN(store::HostGroup group, t.FindGroup(g.group));
    grant.group_id = group.id;
    grant.account = g.account;
    grant.options = g.options;
    grant.ends_at = g.ends_at;
    grant.created = clock_.NowUnix();
    KW_ASSIGN_OR_RETURN(grant.id, t.InsertGrant(grant));
    KW_ASSIGN_OR_RETURN(view, ViewGrant(t, grant));
    c.Add("grant.create", Target("grant", std::to_string(grant.id)),
          {{"user", view.user}, {"team", view.team}, {"group", view.group}, {"account", g.account},
           {"options", g.options}, {"ends_at", g.ends_at}});
    return OkStatus();
  }));
  return view;
}

StatusOr<GrantView> Center::GetGrant(int64_t id) {
  KW_ASSIGN_OR_RETURN(auto txn, Read());
  KW_ASSIGN_OR_RETURN(store::Grant g, txn->GetGrant(id));
  return ViewGrant(*txn, std::move(g));
}

StatusOr<Listing<GrantView>> Center::ListGrants(std::string_view user, std::string_view team, std::string_view group,
                                                store::PageRequest page) {
  KW_RETURN_IF_ERROR(CheckPage(page));
  KW_ASSIGN_OR_RETURN(auto txn, Read());
  store::GrantFilter f;
  if (!user.empty()) {
    KW_ASSIGN_OR_RETURN(store::User u, txn->FindUser(user));
    f.user_id = u.id;
  }
  if (!team.empty()) {
    KW_ASSIGN_OR_RETURN(store::Team t, txn->FindTeam(team));
    f.team_id = t.id;
  }
  if (!group.empty()) {
    KW_ASSIGN_OR_RETURN(store::HostGroup g, txn->FindGroup(group));
    f.group_id = g.id;
  }
  KW_ASSIGN_OR_RETURN(auto grants, txn->ListGrants(f, page));
  return Views<GrantView>(std::move(grants), page, [&](store::Grant g) { return ViewGrant(*txn, std::move(g)); });
}

StatusOr<GrantView> Center::UpdateGrant(const Actor& actor, int64_t id, const GrantPatch& patch) {
  if (patch.options) KW_RETURN_IF_ERROR(CheckGrantOptions(*patch.options));
  if (patch.ends_at && *patch.ends_at != 0 && *patch.ends_at <= clock_.NowUnix()) {
    return InvalidArgumentError("ends_at: is not in the future");
  }
  GrantView view;
  KW_RETURN_IF_ERROR(Write(actor, [&](Txn& t, Change& c) -> Status {
    KW_ASSIGN_OR_RETURN(store::Grant g, t.GetGrant(id));
    nlohmann::json d = nlohmann::json::object();
    if (patch.options) g.options = *patch.options, d["options"] = g.options;
    if (patch.ends_at) g.ends_at = *patch.ends_at, d["ends_at"] = g.ends_at;
    KW_RETURN_IF_ERROR(t.UpdateGrant(g));
    KW_ASSIGN_OR_RETURN(view, ViewGrant(t, g));
    c.Add("grant.update", Target("grant", std::to_string(id)), d);
    return OkStatus();
  }));
  return view;
}

Status Center::DeleteGrant(const Actor& actor, int64_t id) {
  return Write(actor, [&](Txn& t, Change& c) -> Status {
    KW_ASSIGN_OR_RETURN(store::Grant g, t.GetGrant(id));
    KW_RETURN_IF_ERROR(t.DeleteGrant(id));
    c.Add("grant.delete", Target("grant", std::to_string(id)), {{"account", g.account}});
    return OkStatus();
  });
}

// --- rendering

StatusOr<std::string> Center::RenderKeys(std::string_view host, std::string_view account) {
  if (!account.empty() && !formats::IsValidAccountName(account)) {
    return InvalidArgumentError("account: not a valid account name");
  }
  int64_t now = clock_.NowUnix();
  int64_t seen = revision_.load();
  std::string key = std::string(host) + '\n' + std::string(account);
  if (caching_) {
    if (auto hit = renders_.Get(key, seen, now)) return std::move(*hit);
  }
  KW_ASSIGN_OR_RETURN(auto txn, Read());
  KW_ASSIGN_OR_RETURN(store::Host h, txn->FindHost(host));
  KW_ASSIGN_OR_RETURN(auto rows, txn->RenderRows(h.id, account));
  Rendered r = RenderAuthorizedKeys(rows, policy_, now);
  std::string out;
  if (!account.empty()) {
    auto it = r.accounts.find(std::string(account));
    if (it != r.accounts.end()) out = std::move(it->second);
  } else {
    for (const auto& [acct, text] : r.accounts) out += "# account " + acct + "\n" + text;
  }
  if (caching_) renders_.Put(key, seen, out, r.valid_until);
  return out;
}

StatusOr<SignedBundle> Center::Bundle(int64_t host_id) { return std::move(Bundles({host_id})[0]); }

std::vector<StatusOr<SignedBundle>> Center::Bundles(const std::vector<int64_t>& host_ids) {
  int64_t now = clock_.NowUnix();
  int64_t seen = revision_.load();
  std::vector<StatusOr<SignedBundle>> out(host_ids.size(), StatusOr<SignedBundle>(InternalError("not rendered")));
  struct Pending {
    size_t index;
    formats::Bundle bundle;
    Bytes hash;
    int64_t valid_until = 0;
    bool failed = false;
  };
  std::vector<Pending> todo;
  for (size_t i = 0; i < host_ids.size(); ++i) {
    if (caching_) {
      if (auto hit = bundles_.Get(host_ids[i], seen, now)) {
        out[i] = std::move(*hit);
        continue;
      }
    }
    todo.push_back(Pending{i, {}, {}, 0, false});
  }
  if (todo.empty()) return out;
  // Renders each pending host in `t`, read at revision `at`; the hash is
  // over the bundle at revision 0, i.e. over its content alone. Hosts with
  // the same groups have the same files (the rows depend on the host only
  // through its groups): rendered once per group set and revision.
  auto render = [&](Txn& t, int64_t at, Pending& p) -> Status {
    auto h = t.GetHost(host_ids[p.index]);
    if (!h.ok() && h.status().code() == StatusCode::kNotFound) {
      out[p.index] = h.status();
      p.failed = true;
      return OkStatus();
    }
    KW_RETURN_IF_ERROR(h);
    std::string groups_key;
    for (int64_t g : h->groups) groups_key += std::to_string(g) + ",";
    std::optional<Rendered> shared;
    if (caching_) shared = group_renders_.Get(groups_key, at, now);
    if (!shared) {
      KW_ASSIGN_OR_RETURN(auto rows, t.RenderRows(h->id, ""));
      shared = RenderAuthorizedKeys(rows, policy_, now);
      if (caching_) group_renders_.Put(groups_key, at, *shared, shared->valid_until);
    }
    Rendered& r = *shared;
    p.bundle = formats::Bundle{h->name, 0, std::move(r.accounts)};
    p.valid_until = r.valid_until;
    p.hash = crypto::Digest(crypto::HashAlg::kSha256, AsBytes(formats::EncodeBundle(p.bundle)));
    return OkStatus();
  };
  auto fail_all = [&](const Status& s) {
    for (Pending& p : todo) {
      if (!p.failed) out[p.index] = s;
    }
    return out;
  };
  int64_t read_revision = 0;
  bool need_write = false;
  {
    auto txn = Read();
    if (!txn.ok()) return fail_all(txn.status());
    auto rev = (*txn)->Revision();
    if (!rev.ok()) return fail_all(rev.status());
    read_revision = *rev;
    seen = std::max(seen, read_revision);
    for (Pending& p : todo) {
      if (Status s = render(**txn, read_revision, p); !s.ok()) return fail_all(s);
      if (p.failed) continue;
      auto state = (*txn)->GetBundleState(host_ids[p.index]);
      if (!state.ok()) return fail_all(state.status());
      if (*state && (*state)->content_hash == p.hash) {
        p.bundle.revision = (*state)->revision;
      } else {
        need_write = true;
      }
    }
  }
  if (need_write) {
    // New content: record the revision it first appears at, for the whole
    // batch in one transaction. A change by the clock alone (an expiry the
    // sweep has not seen yet) gets a revision of its own, so equal
    // revisions always mean equal bytes.
    int64_t bumped = 0;
    Status s = [&]() -> Status {
      KW_ASSIGN_OR_RETURN(auto txn, store_->Begin(store::TxnMode::kWrite));
      KW_ASSIGN_OR_RETURN(int64_t rev, txn->Revision());
      for (Pending& p : todo) {
        if (p.failed || p.bundle.revision != 0) continue;
        if (rev != read_revision) KW_RETURN_IF_ERROR(render(*txn, rev, p));  // the store moved: render again
        if (p.failed) continue;
        KW_ASSIGN_OR_RETURN(auto state, txn->GetBundleState(host_ids[p.index]));
        if (state && state->content_hash == p.hash) {
          p.bundle.revision = state->revision;
          continue;
        }
        if (state && state->revision >= rev) {
          KW_ASSIGN_OR_RETURN(rev, txn->BumpRevision());
          bumped = rev;
        }
        p.bundle.revision = std::max<int64_t>(rev, 1);
        KW_RETURN_IF_ERROR(txn->PutBundleState({host_ids[p.index], p.bundle.revision, p.hash}));
      }
      KW_RETURN_IF_ERROR(txn->Commit());
      seen = std::max(seen, rev);
      return OkStatus();
    }();
    if (!s.ok()) return fail_all(s);
    if (bumped != 0) NoteRevision(bumped);
  }
  for (Pending& p : todo) {
    if (p.failed) continue;
    SignedBundle b;
    b.revision = p.bundle.revision;
    b.bundle = formats::EncodeBundle(p.bundle);
    Bytes digest = crypto::Digest(crypto::HashAlg::kSha512, AsBytes(b.bundle));
    auto sig = formats::SignSshsig(signer_, formats::KeyOrCert(signer_.public_key()), formats::kBundleNamespace,
                                   "sha512", digest);
    if (!sig.ok()) {
      out[p.index] = sig.status();
      continue;
    }
    b.signature = formats::ArmorSshsig(*sig);
    if (caching_) bundles_.Put(host_ids[p.index], seen, b, p.valid_until);
    out[p.index] = std::move(b);
  }
  return out;
}

// --- time

StatusOr<int> Center::Sweep() {
  int changed = 0;
  int64_t now = clock_.NowUnix();
  {
    // Cheap read first: most sweeps find nothing to do.
    KW_ASSIGN_OR_RETURN(auto txn, Read());
    KW_ASSIGN_OR_RETURN(auto keys, txn->KeysDueToExpire(now, policy_.max_key_age, 1));
    KW_ASSIGN_OR_RETURN(auto grants, txn->GrantsEnded(now, 1));
    if (keys.empty() && grants.empty()) return 0;
  }
  KW_RETURN_IF_ERROR(Write(Actor{"system", ""}, [&](Txn& t, Change& c) -> Status {
    changed = 0;
    KW_ASSIGN_OR_RETURN(auto keys, t.KeysDueToExpire(now, policy_.max_key_age, 1000));
    for (store::Key& k : keys) {
      bool aged = k.expires == 0 || (policy_.max_key_age > 0 && k.created + policy_.max_key_age < k.expires);
      k.state = store::KeyState::kExpired;
      k.state_changed = now;
      k.state_reason = aged ? "maximum age" : "expired";
      KW_RETURN_IF_ERROR(t.UpdateKey(k));
      c.Add("key.expire", Target("key", std::to_string(k.id)), {{"fingerprint", k.fingerprint}, {"reason", k.state_reason}});
      ++changed;
    }
    KW_ASSIGN_OR_RETURN(auto grants, t.GrantsEnded(now, 1000));
    for (const store::Grant& g : grants) {
      KW_RETURN_IF_ERROR(t.DeleteGrant(g.id));
      c.Add("grant.end", Target("grant", std::to_string(g.id)), {{"account", g.account}, {"ends_at", g.ends_at}});
      ++changed;
    }
    c.bump = changed > 0;
    return OkStatus();
  }));
  return changed;
}

// --- audit

StatusOr<Listing<store::AuditEntry>> Center::ListAudit(store::PageRequest page) {
  KW_RETURN_IF_ERROR(CheckPage(page));
  KW_ASSIGN_OR_RETURN(auto txn, Read());
  Listing<store::AuditEntry> out;
  KW_ASSIGN_OR_RETURN(out.items, txn->ListAudit(page));
  out.next = NextCursor(out.items, page, out.items.empty() ? 0 : out.items.back().seq);
  return out;
}

Status Center::VerifyAudit() {
  KW_ASSIGN_OR_RETURN(auto txn, Read());
  store::PageRequest page{0, 1000};
  std::optional<Bytes> prev;
  for (;;) {
    KW_ASSIGN_OR_RETURN(auto entries, txn->ListAudit(page));
    std::vector<formats::ChainLink> links;
    for (const auto& e : entries) {
      links.push_back({{e.seq, e.time, e.actor, e.remote, e.action, e.target, e.detail}, e.prev_hash, e.hash});
    }
    if (page.after == 0 && !entries.empty() && entries.front().seq != 1) {
      return DataLossError("audit entry " + std::to_string(entries.front().seq) + ": entries before it are missing");
    }
    KW_RETURN_IF_ERROR(formats::VerifyAuditChain(links, prev));
    if (static_cast<int>(entries.size()) < page.limit) break;
    prev = entries.back().hash;
    page.after = entries.back().seq;
  }
  return OkStatus();
}

}  // namespace kw::center
