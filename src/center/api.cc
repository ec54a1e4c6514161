#include "center/api.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/settings.h"
#include "formats/bundle.h"
#include "net/json_error.h"
#include "otp/base32.h"
#include "wire/base64.h"

namespace kw::center {

using nlohmann::json;

struct Api::Waiter {
  int64_t host_id = 0;
  int64_t after = 0;
  net::Responder respond;
  std::shared_ptr<net::TimerHandle> timer;
  bool done = false;
};

namespace {

// kAnyHost: any host's token, acting on that host (the route names no host).
// kAnyHostOrAdmin: an admin, or any host's token (the route names no host).
enum class Access { kPublic, kAdmin, kOwnHostOrAdmin, kOwnHost, kAnyHost, kAnyHostOrAdmin };

struct Ctx {
  Api* api;
  Center* center;
  const net::Request& req;
  std::vector<std::string> params;  // the {…} segments of the path, in order
  Principal principal;
  Actor actor;
  net::Metrics* metrics;
};

using Result = StatusOr<net::Response>;

net::Response Json(int status, const json& body) {
  net::Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  r.body += '\n';
  return r;
}

using net::ErrorResponse;

std::string ETagOf(const SignedBundle& b) { return "\"" + std::to_string(b.revision) + "\""; }

// A bundle answer: the signed bundle (200), or 304 when the client has it;
// both carry the revision as the ETag.
net::Response BundleReply(const SignedBundle& b, bool not_modified) {
  net::Response r;
  if (not_modified) {
    r.status = 304;
    r.content_type.clear();
  } else {
    r.status = 200;
    r.body = formats::EncodeSignedBundleJson(b.revision, b.bundle, b.signature);
  }
  r.headers.push_back({"ETag", ETagOf(b)});
  return r;
}

// --- request bodies: strict, naming the field at fault

class Body {
 public:
  static StatusOr<Body> Parse(const std::string& text) {
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return InvalidArgumentError("body: not valid JSON");
    if (!j.is_object()) return InvalidArgumentError("body: must be a JSON object");
    return Body(std::move(j));
  }

  bool Has(const char* name) const { return j_.contains(name) && !j_[name].is_null(); }

  StatusOr<std::optional<std::string>> Str(const char* name, bool required = false) {
    seen_.insert(name);
    if (!Has(name)) {
      if (required) return InvalidArgumentError(std::string(name) + ": is required");
      return std::optional<std::string>();
    }
    if (!j_[name].is_string()) return InvalidArgumentError(std::string(name) + ": must be a string");
    return std::optional<std::string>(j_[name].get<std::string>());
  }
  StatusOr<std::optional<bool>> Bool(const char* name) {
    seen_.insert(name);
    if (!Has(name)) return std::optional<bool>();
    if (!j_[name].is_boolean()) return InvalidArgumentError(std::string(name) + ": must be true or false");
    return std::optional<bool>(j_[name].get<bool>());
  }
  StatusOr<std::optional<int64_t>> Int(const char* name) {
    seen_.insert(name);
    if (!Has(name)) return std::optional<int64_t>();
    if (!j_[name].is_number_integer()) return InvalidArgumentError(std::string(name) + ": must be an integer");
    return std::optional<int64_t>(j_[name].get<int64_t>());
  }
  // Present and null is "explicitly none" (a key's scope); *present tells.
  StatusOr<std::optional<std::vector<std::string>>> StrList(const char* name, bool* present = nullptr) {
    seen_.insert(name);
    if (present) *present = j_.contains(name);
    if (!Has(name)) return std::optional<std::vector<std::string>>();
    const json& v = j_[name];
    if (!v.is_array()) return InvalidArgumentError(std::string(name) + ": must be an array of strings");
    std::vector<std::string> out;
    for (const json& e : v) {
      if (!e.is_string()) return InvalidArgumentError(std::string(name) + ": must be an array of strings");
      out.push_back(e.get<std::string>());
    }
    return std::optional<std::vector<std::string>>(std::move(out));
  }
  Status NoUnknown() const {
    for (const auto& [k, v] : j_.items()) {
      (void)v;
      if (!seen_.count(k)) return InvalidArgumentError(k + ": unknown field");
    }
    return OkStatus();
  }

 private:
  explicit Body(json j) : j_(std::move(j)) {}
  json j_;
  std::set<std::string> seen_;
};

StatusOr<int64_t> QueryInt(const net::Request& req, const char* name, int64_t def, int64_t lo, int64_t hi) {
  auto v = req.Query(name);
  if (!v) return def;
  int64_t n = 0;
  if (!ParseSettingInt(*v, lo, hi, &n)) {
    return InvalidArgumentError(std::string(name) + ": must be an integer from " + std::to_string(lo) + " to " +
                                std::to_string(hi));
  }
  return n;
}

StatusOr<store::PageRequest> Page(const net::Request& req) {
  store::PageRequest p;
  KW_ASSIGN_OR_RETURN(p.after, QueryInt(req, "after", 0, 0, INT64_MAX));
  KW_ASSIGN_OR_RETURN(int64_t limit, QueryInt(req, "limit", 100, 1, 1000));
  p.limit = static_cast<int>(limit);
  return p;
}

StatusOr<int64_t> IdParam(const std::string& s) {
  int64_t n = 0;
  if (!ParseSettingInt(s, 1, INT64_MAX, &n)) return InvalidArgumentError("id: must be a positive integer");
  return n;
}

// --- encoding

json ToJson(const store::User& u) {
  return {{"id", u.id}, {"name", u.name}, {"email", u.email}, {"state", store::ToString(u.state)},
          {"created", u.created}, {"updated", u.updated}};
}
json ToJson(const TeamView& t) {
  return {{"id", t.team.id}, {"name", t.team.name}, {"members", t.members}, {"created", t.team.created}};
}
json ToJson(const store::HostGroup& g) { return {{"id", g.id}, {"name", g.name}, {"created", g.created}}; }
json ToJson(const HostView& h) {
  return {{"id", h.host.id},           {"name", h.host.name},
          {"groups", h.groups},        {"host_keys", h.host.host_keys},
          {"last_contact", h.host.last_contact}, {"applied_revision", h.host.applied_revision},
          {"created", h.host.created}};
}
json ToJson(const KeyView& k) {
  std::string line = k.key.type + " " + wire::Base64Encode(k.key.blob);
  if (!k.key.comment.empty()) line += " " + k.key.comment;
  json j = {{"id", k.key.id},
            {"user", k.user},
            {"type", k.key.type},
            {"fingerprint", k.key.fingerprint},
            {"comment", k.key.comment},
            {"public_key", line},
            {"created", k.key.created},
            {"expires", k.key.expires},
            {"effective_expiry", k.effective_expiry},
            {"state", store::ToString(k.key.state)},
            {"state_changed", k.key.state_changed},
            {"state_reason", k.key.state_reason}};
  j["scope"] = k.key.scope_all ? json(nullptr) : json(k.scope);
  return j;
}
json ToJson(const GrantView& g) {
  json j = {{"id", g.grant.id},          {"group", g.group},       {"account", g.grant.account},
            {"options", g.grant.options}, {"ends_at", g.grant.ends_at}, {"created", g.grant.created}};
  j["user"] = g.user.empty() ? json(nullptr) : json(g.user);
  j["team"] = g.team.empty() ? json(nullptr) : json(g.team);
  return j;
}
json ToJson(const store::AuditEntry& e) {
  json detail = json::parse(e.detail, nullptr, false);
  return {{"seq", e.seq},       {"time", e.time},     {"actor", e.actor},
          {"remote", e.remote}, {"action", e.action}, {"target", e.target},
          {"detail", detail.is_discarded() ? json(e.detail) : detail},
          {"prev_hash", HexEncode(e.prev_hash)}, {"hash", HexEncode(e.hash)}};
}

template <class T>
net::Response ListJson(const Listing<T>& l) {
  json items = json::array();
  for (const auto& i : l.items) items.push_back(ToJson(i));
  return Json(200, {{"items", items}, {"next", l.next == 0 ? json(nullptr) : json(l.next)}});
}

template <class T>
Result Ok(int status, const StatusOr<T>& v) {
  if (!v.ok()) return v.status();
  return Json(status, ToJson(*v));
}

Result NoContent(const Status& s) {
  if (!s.ok()) return s;
  net::Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

// --- handlers

Result Healthz(Ctx& c) {
  return Json(200, {{"status", "ok"}, {"revision", c.center->revision()}});
}

Result Metrics(Ctx& c) {
  if (c.metrics == nullptr) return NotFoundError("metrics are off");
  c.metrics->Set("keyward_revision", "", static_cast<double>(c.center->revision()));
  c.metrics->Set("keyward_long_polls", "", static_cast<double>(c.api->waiting()));
  net::Response r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = c.metrics->Render();
  return r;
}

Result CreateUser(Ctx& c) {
  KW_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req.body));
  NewUser u;
  KW_ASSIGN_OR_RETURN(auto name, b.Str("name", true));
  KW_ASSIGN_OR_RETURN(auto email, b.Str("email"));
  KW_RETURN_IF_ERROR(b.NoUnknown());
  u.name = *name;
  u.email = email.value_or("");
  return Ok(201, c.center->CreateUser(c.actor, u));
}
Result ListUsers(Ctx& c) {
  KW_ASSIGN_OR_RETURN(auto page, Page(c.req));
  KW_ASSIGN_OR_RETURN(auto l, c.center->ListUsers(page));
  return ListJson(l);
}
Result GetUser(Ctx& c) { return Ok(200, c.center->GetUser(c.params[0])); }
Result UpdateUser(Ctx& c) {
  KW_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req.body));
  UserPatch p;
  KW_ASSIGN_OR_RETURN(p.email, b.Str("email"));
  KW_ASSIGN_OR_RETURN(auto state, b.Str("state"));
  KW_RETURN_IF_ERROR(b.NoUnknown());
  if (state) {
    p.state = store::ParseUserState(*state);
    if (!p.state) return InvalidArgumentError("state: must be \"active\" or \"suspended\"");
  }
  return Ok(200, c.center->UpdateUser(c.actor, c.params[0], p));
}
Result DeleteUser(Ctx& c) { return NoContent(c.center->DeleteUser(c.actor, c.params[0])); }
Result Offboard(Ctx& c) {
  KW_ASSIGN_OR_RETURN(auto r, c.center->Offboard(c.actor, c.params[0]));
  return Json(200, {{"user", c.params[0]},
                    {"keys_revoked", r.keys_revoked},
                    {"grants_removed", r.grants_removed},
                    {"teams_left", r.teams_left}});
}

Result CreateTeam(Ctx& c) {
  KW_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req.body));
  KW_ASSIGN_OR_RETURN(auto name, b.Str("name", true));
  KW_ASSIGN_OR_RETURN(auto members, b.StrList("members"));
  KW_RETURN_IF_ERROR(b.NoUnknown());
  return Ok(201, c.center->CreateTeam(c.actor, *name, members.value_or(std::vector<std::string>{})));
}
Result ListTeams(Ctx& c) {
  KW_ASSIGN_OR_RETURN(auto page, Page(c.req));
  KW_ASSIGN_OR_RETURN(auto l, c.center->ListTeams(page));
  return ListJson(l);
}
Result GetTeam(Ctx& c) { return Ok(200, c.center->GetTeam(c.params[0])); }
Result UpdateTeam(Ctx& c) {
  KW_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req.body));
  KW_ASSIGN_OR_RETURN(auto members, b.StrList("members"));
  KW_RETURN_IF_ERROR(b.NoUnknown());
  if (!members) return InvalidArgumentError("members: is required");
  return Ok(200, c.center->SetTeamMembers(c.actor, c.params[0], *members));
}
Result DeleteTeam(Ctx& c) { return NoContent(c.center->DeleteTeam(c.actor, c.params[0])); }

Result CreateGroup(Ctx& c) {
  KW_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req.body));
  KW_ASSIGN_OR_RETURN(auto name, b.Str("name", true));
  KW_RETURN_IF_ERROR(b.NoUnknown());
  return Ok(201, c.center->CreateGroup(c.actor, *name));
}
Result ListGroups(Ctx& c) {
  KW_ASSIGN_OR_RETURN(auto page, Page(c.req));
  KW_ASSIGN_OR_RETURN(auto l, c.center->ListGroups(page));
  return ListJson(l);
}
Result GetGroup(Ctx& c) { return Ok(200, c.center->GetGroup(c.params[0])); }
Result DeleteGroup(Ctx& c) { return NoContent(c.center->DeleteGroup(c.actor, c.params[0])); }

Result CreateHost(Ctx& c) {
  KW_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req.body));
  NewHost h;
  KW_ASSIGN_OR_RETURN(auto name, b.Str("name", true));
  KW_ASSIGN_OR_RETURN(auto groups, b.StrList("groups"));
  KW_RETURN_IF_ERROR(b.NoUnknown());
  h.name = *name;
  h.groups = groups.value_or(std::vector<std::string>{});
  KW_ASSIGN_OR_RETURN(CreatedHost created, c.center->CreateHost(c.actor, h));
  json j = ToJson(created.host);
  j["token"] = created.token;
  return Json(201, j);
}
Result ListHosts(Ctx& c) {
  KW_ASSIGN_OR_RETURN(auto page, Page(c.req));
  KW_ASSIGN_OR_RETURN(auto l, c.center->ListHosts(page));
  return ListJson(l);
}
Result GetHost(Ctx& c) { return Ok(200, c.center->GetHost(c.params[0])); }
Result UpdateHost(Ctx& c) {
  KW_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req.body));
  KW_ASSIGN_OR_RETURN(auto groups, b.StrList("groups"));
  KW_RETURN_IF_ERROR(b.NoUnknown());
  if (!groups) return InvalidArgumentError("groups: is required");
  return Ok(200, c.center->SetHostGroups(c.actor, c.params[0], *groups));
}
Result DeleteHost(Ctx& c) { return NoContent(c.center->DeleteHost(c.actor, c.params[0])); }
Result RotateHostToken(Ctx& c) {
  KW_ASSIGN_OR_RETURN(std::string token, c.center->RotateHostToken(c.actor, c.params[0]));
  return Json(200, {{"host", c.params[0]}, {"token", token}});
}
// The agent's enrollment: the host token an admin was shown is exchanged for
// a new one only the host holds (the old one stops working at once), with
// what the agent pins: the host's name and the bundle signing key.
Result Enroll(Ctx& c) {
  if (!c.req.body.empty()) {
    KW_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req.body));
    KW_RETURN_IF_ERROR(b.NoUnknown());
  }
  KW_ASSIGN_OR_RETURN(std::string token, c.center->RotateHostToken(c.actor, c.principal.name));
  return Json(200, {{"host", c.principal.name},
                    {"token", token},
                    {"signing_key", formats::FormatPublicKey(c.center->signing_key(), "keyward-center")}});
}

Result Report(Ctx& c) {
  KW_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req.body));
  HostReport r;
  KW_ASSIGN_OR_RETURN(auto rev, b.Int("applied_revision"));
  KW_ASSIGN_OR_RETURN(auto keys, b.Str("host_keys"));
  KW_RETURN_IF_ERROR(b.NoUnknown());
  if (!rev) return InvalidArgumentError("applied_revision: is required");
  r.applied_revision = *rev;
  r.host_keys = keys.value_or("");
  return NoContent(c.center->Report(c.actor, c.principal.host_id, r));
}

Result CreateKey(Ctx& c) {
  KW_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req.body));
  NewKey k;
  KW_ASSIGN_OR_RETURN(auto user, b.Str("user", true));
  KW_ASSIGN_OR_RETURN(auto key, b.Str("public_key", true));
  KW_ASSIGN_OR_RETURN(k.comment, b.Str("comment"));
  KW_ASSIGN_OR_RETURN(auto expires, b.Int("expires"));
  KW_ASSIGN_OR_RETURN(k.scope, b.StrList("scope"));
  KW_RETURN_IF_ERROR(b.NoUnknown());
  k.user = *user;
  k.public_key = *key;
  k.expires = expires.value_or(0);
  return Ok(201, c.center->AddKey(c.actor, k));
}
// GET /api/v1/keys: with ?host= it is the agent's authorized_keys text;
// without, the admin listing.
Result ListKeys(Ctx& c) {
  if (auto host = c.req.Query("host")) {
    if (c.principal.kind == PrincipalKind::kHost && c.principal.name != *host) {
      return PermissionDeniedError("this token may read only its own host");
    }
    std::string account = c.req.Query("account").value_or("");
    KW_ASSIGN_OR_RETURN(std::string text, c.center->RenderKeys(*host, account));
    net::Response r;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(text);
    return r;
  }
  if (c.principal.kind != PrincipalKind::kAdmin) return PermissionDeniedError("an admin token is required");
  KW_ASSIGN_OR_RETURN(auto page, Page(c.req));
  std::optional<store::KeyState> state;
  if (auto s = c.req.Query("state")) {
    state = store::ParseKeyState(*s);
    if (!state) return InvalidArgumentError("state: must be active, expired or revoked");
  }
  KW_ASSIGN_OR_RETURN(int64_t within, QueryInt(c.req, "expiring_within", 0, 0, INT64_MAX / 4));
  KW_ASSIGN_OR_RETURN(auto l, c.center->ListKeys(c.req.Query("user").value_or(""), state, within, page));
  return ListJson(l);
}
Result ExpiringKeys(Ctx& c) {
  KW_ASSIGN_OR_RETURN(auto page, Page(c.req));
  KW_ASSIGN_OR_RETURN(int64_t within, QueryInt(c.req, "within", 14 * 86400, 1, INT64_MAX / 4));
  KW_ASSIGN_OR_RETURN(auto l, c.center->ListKeys("", store::KeyState::kActive, within, page));
  return ListJson(l);
}
Result GetKey(Ctx& c) {
  KW_ASSIGN_OR_RETURN(int64_t id, IdParam(c.params[0]));
  return Ok(200, c.center->GetKey(id));
}
Result UpdateKey(Ctx& c) {
  KW_ASSIGN_OR_RETURN(int64_t id, IdParam(c.params[0]));
  KW_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req.body));
  KeyPatch p;
  KW_ASSIGN_OR_RETURN(p.expires, b.Int("expires"));
  KW_ASSIGN_OR_RETURN(p.comment, b.Str("comment"));
  bool scope_present = false;
  KW_ASSIGN_OR_RETURN(auto scope, b.StrList("scope", &scope_present));
  KW_RETURN_IF_ERROR(b.NoUnknown());
  if (scope_present) p.scope = scope;
  return Ok(200, c.center->UpdateKey(c.actor, id, p));
}
Result RevokeKey(Ctx& c) {
  KW_ASSIGN_OR_RETURN(int64_t id, IdParam(c.params[0]));
  std::string reason;
  if (!c.req.body.empty()) {
    KW_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req.body));
    KW_ASSIGN_OR_RETURN(auto r, b.Str("reason"));
    KW_RETURN_IF_ERROR(b.NoUnknown());
    reason = r.value_or("");
  }
  return Ok(200, c.center->RevokeKey(c.actor, id, reason));
}
Result DeleteKey(Ctx& c) {
  KW_ASSIGN_OR_RETURN(int64_t id, IdParam(c.params[0]));
  return NoContent(c.center->DeleteKey(c.actor, id));
}

Result CreateGrant(Ctx& c) {
  KW_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req.body));
  NewGrant g;
  KW_ASSIGN_OR_RETURN(auto user, b.Str("user"));
  KW_ASSIGN_OR_RETURN(auto team, b.Str("team"));
  KW_ASSIGN_OR_RETURN(auto group, b.Str("group", true));
  KW_ASSIGN_OR_RETURN(auto account, b.Str("account", true));
  KW_ASSIGN_OR_RETURN(auto options, b.Str("options"));
  KW_ASSIGN_OR_RETURN(auto ends_at, b.Int("ends_at"));
  KW_RETURN_IF_ERROR(b.NoUnknown());
  g.user = user.value_or("");
  g.team = team.value_or("");
  g.group = *group;
  g.account = *account;
  g.options = options.value_or("");
  g.ends_at = ends_at.value_or(0);
  return Ok(201, c.center->CreateGrant(c.actor, g));
}
Result ListGrants(Ctx& c) {
  KW_ASSIGN_OR_RETURN(auto page, Page(c.req));
  KW_ASSIGN_OR_RETURN(auto l, c.center->ListGrants(c.req.Query("user").value_or(""), c.req.Query("team").value_or(""),
                                                   c.req.Query("group").value_or(""), page));
  return ListJson(l);
}
Result GetGrant(Ctx& c) {
  KW_ASSIGN_OR_RETURN(int64_t id, IdParam(c.params[0]));
  return Ok(200, c.center->GetGrant(id));
}
Result UpdateGrant(Ctx& c) {
  KW_ASSIGN_OR_RETURN(int64_t id, IdParam(c.params[0]));
  KW_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req.body));
  GrantPatch p;
  KW_ASSIGN_OR_RETURN(p.options, b.Str("options"));
  KW_ASSIGN_OR_RETURN(p.ends_at, b.Int("ends_at"));
  KW_RETURN_IF_ERROR(b.NoUnknown());
  return Ok(200, c.center->UpdateGrant(c.actor, id, p));
}
Result DeleteGrant(Ctx& c) {
  KW_ASSIGN_OR_RETURN(int64_t id, IdParam(c.params[0]));
  return NoContent(c.center->DeleteGrant(c.actor, id));
}

Result ListAudit(Ctx& c) {
  KW_ASSIGN_OR_RETURN(auto page, Page(c.req));
  KW_ASSIGN_OR_RETURN(auto l, c.center->ListAudit(page));
  return ListJson(l);
}
Result VerifyAudit(Ctx& c) {
  Status s = c.center->VerifyAudit();
  return Json(200, {{"ok", s.ok()}, {"message", s.ok() ? "audit chain verifies" : s.message()}});
}
Result IssueToken(Ctx& c) {
  KW_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req.body));
  KW_ASSIGN_OR_RETURN(auto name, b.Str("name", true));
  KW_RETURN_IF_ERROR(b.NoUnknown());
  KW_ASSIGN_OR_RETURN(std::string token, c.center->IssueAdminToken(c.actor, *name));
  return Json(201, {{"name", *name}, {"token", token}});
}
Result SigningKey(Ctx& c) {
  net::Response r;
  r.content_type = "text/plain; charset=utf-8";
  r.body = formats::FormatPublicKey(c.center->signing_key(), "keyward-center") + "\n";
  return r;
}

// POST /api/v1/users/NAME/totp: the secret, URI and scratch codes, once.
Result EnrollTotp(Ctx& c) {
  TotpEnrollRequest r;
  r.user = c.params[0];
  if (!c.req.body.empty()) {
    KW_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req.body));
    KW_ASSIGN_OR_RETURN(auto alg, b.Str("algorithm"));
    KW_ASSIGN_OR_RETURN(auto digits, b.Int("digits"));
    KW_ASSIGN_OR_RETURN(auto period, b.Int("period"));
    KW_ASSIGN_OR_RETURN(auto force, b.Bool("force"));
    KW_RETURN_IF_ERROR(b.NoUnknown());
    if (alg) r.algorithm = *alg;
    if (digits) {
      if (*digits < 6 || *digits > 8) return InvalidArgumentError("digits: must be 6, 7 or 8");
      r.digits = static_cast<int>(*digits);
    }
    if (period) r.period = *period;
    r.force = force.value_or(false);
  }
  KW_ASSIGN_OR_RETURN(TotpEnrollment e, c.center->EnrollTotp(c.actor, r));
  json j = {{"user", e.user},         {"secret", otp::Base32Encode(e.secret.span())},
            {"uri", e.uri},           {"algorithm", e.algorithm},
            {"digits", e.digits},     {"period", e.period},
            {"scratch_codes", e.scratch_codes}, {"replaced", e.replaced}};
  net::Response resp = Json(201, j);
  // The body holds the secret: not to be kept by caches.
  resp.headers.push_back({"Cache-Control", "no-store"});
  return resp;
}
Result RemoveTotp(Ctx& c) { return NoContent(c.center->RemoveTotp(c.actor, c.params[0])); }

// The bundle route is answered in Api::Handle (it may wait); so is the
// TOTP verification (answered when its group commits).
Result Unused(Ctx&) { return InternalError("unreachable"); }
Result VerifyTotpDeferred(Ctx&) { return InternalError("unreachable"); }

struct Route {
  const char* method;
  const char* pattern;  // "{}" matches one path segment
  Access access;
  Result (*fn)(Ctx&);
};

// Every route of the key center.
constexpr Route kRoutes[] = {
    {"GET", "/healthz", Access::kPublic, Healthz},
    {"GET", "/metrics", Access::kAdmin, Metrics},
    {"GET", "/api/v1/signing-key", Access::kPublic, SigningKey},
    {"POST", "/api/v1/users", Access::kAdmin, CreateUser},
    {"GET", "/api/v1/users", Access::kAdmin, ListUsers},
    {"GET", "/api/v1/users/{}", Access::kAdmin, GetUser},
    {"PATCH", "/api/v1/users/{}", Access::kAdmin, UpdateUser},
    {"DELETE", "/api/v1/users/{}", Access::kAdmin, DeleteUser},
    {"POST", "/api/v1/users/{}/offboard", Access::kAdmin, Offboard},
    {"POST", "/api/v1/users/{}/totp", Access::kAdmin, EnrollTotp},
    {"DELETE", "/api/v1/users/{}/totp", Access::kAdmin, RemoveTotp},
    {"POST", "/api/v1/totp/verify", Access::kAnyHostOrAdmin, VerifyTotpDeferred},
    {"POST", "/api/v1/teams", Access::kAdmin, CreateTeam},
    {"GET", "/api/v1/teams", Access::kAdmin, ListTeams},
    {"GET", "/api/v1/teams/{}", Access::kAdmin, GetTeam},
    {"PATCH", "/api/v1/teams/{}", Access::kAdmin, UpdateTeam},
    {"DELETE", "/api/v1/teams/{}", Access::kAdmin, DeleteTeam},
    {"POST", "/api/v1/groups", Access::kAdmin, CreateGroup},
    {"GET", "/api/v1/groups", Access::kAdmin, ListGroups},
    {"GET", "/api/v1/groups/{}", Access::kAdmin, GetGroup},
    {"DELETE", "/api/v1/groups/{}", Access::kAdmin, DeleteGroup},
    {"POST", "/api/v1/hosts", Access::kAdmin, CreateHost},
    {"GET", "/api/v1/hosts", Access::kAdmin, ListHosts},
    {"GET", "/api/v1/hosts/{}", Access::kOwnHostOrAdmin, GetHost},
    {"PATCH", "/api/v1/hosts/{}", Access::kAdmin, UpdateHost},
    {"DELETE", "/api/v1/hosts/{}", Access::kAdmin, DeleteHost},
    {"POST", "/api/v1/hosts/{}/token", Access::kAdmin, RotateHostToken},
    {"GET", "/api/v1/hosts/{}/bundle", Access::kOwnHostOrAdmin, Unused},
    {"POST", "/api/v1/hosts/{}/report", Access::kOwnHost, Report},
    {"POST", "/api/v1/enroll", Access::kAnyHost, Enroll},
    {"POST", "/api/v1/keys", Access::kAdmin, CreateKey},
    {"GET", "/api/v1/keys", Access::kOwnHostOrAdmin, ListKeys},  // host=: own host only (checked inside)
    {"GET", "/api/v1/keys/expiring", Access::kAdmin, ExpiringKeys},
    {"GET", "/api/v1/keys/{}", Access::kAdmin, GetKey},
    {"PATCH", "/api/v1/keys/{}", Access::kAdmin, UpdateKey},
    {"DELETE", "/api/v1/keys/{}", Access::kAdmin, DeleteKey},
    {"POST", "/api/v1/keys/{}/revoke", Access::kAdmin, RevokeKey},
    {"POST", "/api/v1/grants", Access::kAdmin, CreateGrant},
    {"GET", "/api/v1/grants", Access::kAdmin, ListGrants},
    {"GET", "/api/v1/grants/{}", Access::kAdmin, GetGrant},
    {"PATCH", "/api/v1/grants/{}", Access::kAdmin, UpdateGrant},
    {"DELETE", "/api/v1/grants/{}", Access::kAdmin, DeleteGrant},
    {"GET", "/api/v1/audit", Access::kAdmin, ListAudit},
    {"GET", "/api/v1/audit/verify", Access::kAdmin, VerifyAudit},
    {"POST", "/api/v1/tokens", Access::kAdmin, IssueToken},
};

// Matches `path` against `pattern`, collecting the {} segments.
bool Match(std::string_view pattern, std::string_view path, std::vector<std::string>* params) {
  params->clear();
  size_t i = 0, j = 0;
  while (i < pattern.size() && j <= path.size()) {
    if (pattern.compare(i, 2, "{}") == 0) {
      size_t end = path.find('/', j);
      if (end == std::string_view::npos) end = path.size();
      if (end == j) return false;
      params->emplace_back(path.substr(j, end - j));
      i += 2;
      j = end;
    } else {
      if (j >= path.size() || pattern[i] != path[j]) return false;
      ++i;
      ++j;
    }
  }
  return i == pattern.size() && j == path.size();
}

}  // namespace

Api::Api(Center* center, net::Metrics* metrics, ApiOptions options)
    : center_(center), metrics_(metrics), options_(options) {
  if (metrics_) {
    metrics_->Describe("keyward_revision", "gauge", "The key center's global revision.");
    metrics_->Describe("keyward_long_polls", "gauge", "Bundle long polls waiting now.");
  }
  waker_ = std::thread([this] { WakeLoop(); });
  center_->OnRevision([this](int64_t rev) { Wake(rev); });
}

Api::~Api() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_cv_.notify_all();
  waker_.join();
}

int64_t Api::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(waiters_.size());
}

void Api::Wake(int64_t) {
  std::lock_guard<std::mutex> lock(mu_);
  if (waiters_.empty()) return;
  std::vector<int64_t> hosts;
  hosts.reserve(waiters_.size());
  for (const auto& [id, w] : waiters_) hosts.push_back(w->host_id);
  std::sort(hosts.begin(), hosts.end());
  hosts.erase(std::unique(hosts.begin(), hosts.end()), hosts.end());
  // Small batches: one store transaction each (and at most one write, for
  // the bundles whose content is new), answered before the next starts.
  constexpr size_t kBatch = 25;
  wake_batches_.clear();
  for (size_t start = 0; start < hosts.size(); start += kBatch) {
    wake_batches_.emplace_back(hosts.begin() + start, hosts.begin() + std::min(hosts.size(), start + kBatch));
  }
  std::reverse(wake_batches_.begin(), wake_batches_.end());  // taken from the back
  wake_cv_.notify_one();
}

void Api::WakeLoop() {
  for (;;) {
    std::vector<int64_t> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_cv_.wait(lock, [this] { return stopping_ || !wake_batches_.empty(); });
      if (stopping_) return;
      batch = std::move(wake_batches_.back());
      wake_batches_.pop_back();
    }
    auto bundles = center_->Bundles(batch);
    std::map<int64_t, size_t> rendered;  // host -> its index in batch and bundles
    for (size_t i = 0; i < batch.size(); ++i) rendered[batch[i]] = i;
    std::vector<std::pair<int64_t, size_t>> ready;  // waiter, bundle
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [id, w] : waiters_) {
        auto it = rendered.find(w->host_id);
        if (it == rendered.end()) continue;
        const auto& b = bundles[it->second];
        if (!b.ok() || b->revision > w->after) ready.emplace_back(id, it->second);
      }
    }
    for (const auto& [id, i] : ready) Finish(id, false, &bundles[i]);
  }
}

void Api::Finish(int64_t id, bool timed_out, const StatusOr<SignedBundle>* bundle) {
  std::shared_ptr<Waiter> w;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = waiters_.find(id);
    if (it == waiters_.end()) return;
    w = it->second;
    waiters_.erase(it);
  }
  if (w->timer) w->timer->Cancel();
  auto answer = [&](const StatusOr<SignedBundle>& b) {
    if (!b.ok()) return w->respond(ErrorResponse(b.status()));
    w->respond(BundleReply(*b, /*not_modified=*/timed_out && b->revision <= w->after));
  };
  if (bundle != nullptr) return answer(*bundle);
  answer(center_->Bundle(w->host_id));
}

void Api::Handle(net::Request req, net::Responder respond, net::ServerContext& ctx) {
  std::vector<std::string> params;
  const Route* route = nullptr;
  bool path_known = false;
  for (const Route& r : kRoutes) {
    if (!Match(r.pattern, req.path, &params)) continue;
    path_known = true;
    if (req.method == r.method) {
      route = &r;
      break;
    }
  }
  if (route == nullptr) {
    respond(path_known ? net::JsonError(405, "method_not_allowed", req.method + " is not allowed on " + req.path)
                       : net::JsonError(404, "not_found", "no route " + req.path));
    return;
  }
  Ctx c{this, center_, req, params, {}, {"anonymous", req.remote}, metrics_};
  if (route->access != Access::kPublic) {
    std::string auth = req.Header("Authorization");
    std::string_view bearer;
    if (auth.size() > 7 && (auth.compare(0, 7, "Bearer ") == 0 || auth.compare(0, 7, "bearer ") == 0)) {
      bearer = std::string_view(auth).substr(7);
    }
    auto p = center_->Authenticate(bearer, req.remote);
    if (!p.ok()) {
      if (p.status().code() == StatusCode::kUnauthenticated && !bearer.empty()) {
        (void)center_->AuditEvent({"anonymous", req.remote}, "auth.fail", req.method + " " + req.path, "{}");
      }
      respond(ErrorResponse(p.status()));
      return;
    }
    c.principal = *p;
    c.actor = p->AsActor(req.remote);
    bool admin = p->kind == PrincipalKind::kAdmin;
    bool own_host = p->kind == PrincipalKind::kHost && !params.empty() && params[0] == p->name;
    bool allowed = false;
    switch (route->access) {
      case Access::kAdmin: allowed = admin; break;
      case Access::kOwnHostOrAdmin:
        allowed = admin || own_host || (p->kind == PrincipalKind::kHost && params.empty());
        break;
      case Access::kOwnHost: allowed = own_host; break;
      case Access::kAnyHost: allowed = p->kind == PrincipalKind::kHost; break;
      case Access::kAnyHostOrAdmin: allowed = true; break;
      case Access::kPublic: allowed = true; break;
    }
    if (!allowed) {
      respond(net::JsonError(403, "permission_denied",
                             admin ? "this route is for a host's own token"
                                   : route->access == Access::kAdmin ? "an admin token is required"
                                                                     : "a host token may use only its own host's routes"));
      return;
    }
  }

  if (route->fn == Unused) {  // the bundle, maybe a long poll
    // A host token reaches this route only for its own host, whose id
    // Authenticate has read already.
    auto host_id = c.principal.kind == PrincipalKind::kHost ? StatusOr<int64_t>(c.principal.host_id)
                                                            : center_->HostId(params[0]);
    if (!host_id.ok()) return respond(ErrorResponse(host_id.status()));
    auto wait = QueryInt(req, "wait", 0, 0, options_.max_wait_seconds);
    auto after = QueryInt(req, "after", -1, 0, INT64_MAX);
    if (!wait.ok()) return respond(ErrorResponse(wait.status()));
    if (!after.ok()) return respond(ErrorResponse(after.status()));
    // The host's own poll says what it applied (no report call needed).
    if (c.principal.kind == PrincipalKind::kHost) center_->NoteApplied(*host_id, *after);
    auto b = center_->Bundle(*host_id);
    if (!b.ok()) return respond(ErrorResponse(b.status()));
    int64_t known = *after;
    if (known < 0 && req.Header("If-None-Match") == ETagOf(*b)) known = b->revision;
    if (b->revision > known || (*wait == 0 && known < 0)) return respond(BundleReply(*b, false));
    if (*wait == 0) return respond(BundleReply(*b, true));
    auto w = std::make_shared<Waiter>();
    w->host_id = *host_id;
    w->after = known;
    w->respond = std::move(respond);
    int64_t id;
    {
      std::lock_guard<std::mutex> lock(mu_);
      id = next_waiter_++;
      waiters_[id] = w;
    }
    w->timer = ctx.RunAfter(std::chrono::seconds(*wait), [this, id] { Finish(id, true); });
    // A change may have landed between the render above and the
    // registration: look once more.
    auto again = center_->Bundle(*host_id);
    if (!again.ok() || again->revision > known) Finish(id, false, &again);
    return;
  }

  if (route->fn == VerifyTotpDeferred) {
    auto b = Body::Parse(req.body);
    if (!b.ok()) return respond(ErrorResponse(b.status()));
    auto user = b->Str("user", true);
    if (!user.ok()) return respond(ErrorResponse(user.status()));
    auto code = b->Str("code", true);
    if (!code.ok()) return respond(ErrorResponse(code.status()));
    if (Status s = b->NoUnknown(); !s.ok()) return respond(ErrorResponse(s));
    SecretBytes secret_code(**code);
    SecureWipe((*code)->data(), (*code)->size());
    center_->VerifyTotpAsync(c.actor, std::move(**user), std::move(secret_code),
                             [respond](StatusOr<TotpVerdict> v) {
                               if (!v.ok()) return respond(ErrorResponse(v.status()));
                               json j = {{"ok", v->ok}, {"reason", v->reason}};
                               if (v->retry_after > 0) j["retry_after"] = v->retry_after;
                               respond(Json(200, j));
                             });
    return;
  }

  Result r = route->fn(c);
  respond(r.ok() ? std::move(*r) : ErrorResponse(r.status()));
}

}  // namespace kw::center
