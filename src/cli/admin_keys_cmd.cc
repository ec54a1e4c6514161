// keyward key | grant | render: users' public keys, who may log in where,
// and the authorized_keys text a host gets, through the key center's API.
#include <memory>
#include <optional>

#include "base/clock.h"
#include "base/file.h"
#include "base/settings.h"
#include "cli/admin_cmd.h"
#include "cli/output.h"

namespace kw::cli {
namespace {

struct KeyArgs {
  CenterFlags flags;
  std::string id, user, team, group, account, file, key, comment, expires, state, within, reason, options, until,
      host;
  std::vector<std::string> scope;
};

std::string Scope(const json& k) { return List(k, "scope", "all"); }

const View kKeyView{
    {"ID", "USER", "TYPE", "FINGERPRINT", "STATE", "EXPIRES", "COMMENT"},
    [](const json& k) {
      return std::vector<std::string>{Text(k, "id"),
                                      Text(k, "user"),
                                      Text(k, "type"),
                                      Text(k, "fingerprint"),
                                      Text(k, "state"),
                                      FormatTime(Int(k, "effective_expiry"), "never"),
                                      Text(k, "comment")};
    },
    [](const json& k) {
      return std::vector<std::pair<std::string, std::string>>{
          {"id", Text(k, "id")},
          {"user", Text(k, "user")},
          {"type", Text(k, "type")},
          {"fingerprint", Text(k, "fingerprint")},
          {"comment", Text(k, "comment")},
          {"state", Text(k, "state")},
          {"state_changed", FormatTime(Int(k, "state_changed"))},
          {"state_reason", Text(k, "state_reason")},
          {"created", FormatTime(Int(k, "created"))},
          {"expires", FormatTime(Int(k, "expires"), "never")},
          {"effective_expiry", FormatTime(Int(k, "effective_expiry"), "never")},
          {"scope", Scope(k)},
          {"public_key", Text(k, "public_key")}};
    }};

const View kGrantView{
    {"ID", "USER", "TEAM", "GROUP", "ACCOUNT", "OPTIONS", "UNTIL"},
    [](const json& g) {
      return std::vector<std::string>{Text(g, "id"),      Text(g, "user"),    Text(g, "team"),
                                      Text(g, "group"),   Text(g, "account"), Text(g, "options"),
                                      FormatTime(Int(g, "ends_at"), "forever")};
    },
    [](const json& g) {
      return std::vector<std::pair<std::string, std::string>>{
          {"id", Text(g, "id")},
          {"user", Text(g, "user")},
          {"team", Text(g, "team")},
          {"group", Text(g, "group")},
          {"account", Text(g, "account")},
          {"options", Text(g, "options")},
          {"until", FormatTime(Int(g, "ends_at"), "forever")},
          {"created", FormatTime(Int(g, "created"))}};
    }};

// The first key line of a public key file (blank lines and # comments are
// skipped, as in authorized_keys).
StatusOr<std::string> KeyLineFromFile(const std::string& path) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 1 << 20));
  if (text.starts_with("-----BEGIN")) {
    return InvalidArgumentError(path + ": this is a private key; give the public key (" + path + ".pub)");
  }
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line = TrimBlanks(std::string_view(text).substr(start, end - start));
    start = end + 1;
    if (line.empty() || line.front() == '#') continue;
    return std::string(line);
  }
  return InvalidArgumentError(path + ": no public key in the file");
}

StatusOr<json> AddKey(const KeyArgs& a, const CenterClient& c) {
  if (a.file.empty() == a.key.empty()) return InvalidArgumentError("give the key with either --file or --key");
  std::string line = a.key;
  if (!a.file.empty()) {
    KW_ASSIGN_OR_RETURN(line, KeyLineFromFile(a.file));
  }
  json body = {{"user", a.user}, {"public_key", line}};
  if (!a.comment.empty()) body["comment"] = a.comment;
  if (!a.expires.empty()) {
    KW_ASSIGN_OR_RETURN(body["expires"], ParseTimeArg("--expires", a.expires, SystemClock::Get().NowUnix()));
  }
  if (!a.scope.empty()) body["scope"] = a.scope;
  return c.Call("POST", "/api/v1/keys", body);
}

void AddKeyCommands(CLI::App& app, int* rc) {
  auto a = std::make_shared<KeyArgs>();
  CLI::App* g = app.add_subcommand("key", "Users' public keys: add, list, show, rm, revoke");
  g->require_subcommand(1);

  CLI::App* add = g->add_subcommand("add", "Register a user's public key");
  add->add_option("--user", a->user, "The key's owner")->required();
  CLI::Option* file = add->add_option("--file", a->file, "A public key file (e.g. ~/.ssh/id_ed25519.pub)");
  add->add_option("--key", a->key, "The public key line itself")->excludes(file);
  add->add_option("--comment", a->comment, "Comment (default: the key line's own)");
  add->add_option("--expires", a->expires, "Expiry: +SPAN (+90d) or YYYYMMDD[HHMM[SS]][Z] (default: the policy's)");
  AddRepeated(add, "--scope", &a->scope, "Only valid on this host group; repeat for more (default: every group)");
  AddCenterFlags(add, &a->flags);
  add->callback(Shows(a, rc, kKeyView, [a](const CenterClient& c) { return AddKey(*a, c); }));

  CLI::App* list = g->add_subcommand("list", "List keys");
  list->add_option("--user", a->user, "Only this user's keys");
  list->add_option("--state", a->state, "Only keys in this state: active, expired or revoked");
  list->add_option("--expiring-within", a->within, "Only keys that expire within this span (14d, 12h)");
  AddCenterFlags(list, &a->flags);
  list->callback([a, rc] {
    *rc = RunWithCenter(a->flags, [&](const CenterClient& c) -> Status {
      Query q = {{"user", a->user}, {"state", a->state}};
      if (!a->within.empty()) {
        KW_ASSIGN_OR_RETURN(int64_t span, ParseSpanArg("--expiring-within", a->within));
        q.emplace_back("expiring_within", std::to_string(span));
      }
      KW_ASSIGN_OR_RETURN(json doc, c.ListAll("/api/v1/keys", q));
      ShowList(kKeyView, doc, a->flags);
      return OkStatus();
    });
  });

  CLI::App* show = g->add_subcommand("show", "Show one key");
  show->add_option("ID", a->id, "Key id")->required();
  AddCenterFlags(show, &a->flags);
  show->callback(Shows(a, rc, kKeyView, [a](const CenterClient& c) { return c.Call("GET", PathOf("keys", a->id)); }));

  CLI::App* rm = g->add_subcommand("rm", "Delete a key (revoke it instead to keep its record)");
  rm->add_option("ID", a->id, "Key id")->required();
  AddCenterFlags(rm, &a->flags, /*with_json=*/false);
  rm->callback([a, rc] {
    *rc = RunWithCenter(a->flags,
                        [&](const CenterClient& c) { return c.Call("DELETE", PathOf("keys", a->id)).status(); });
  });

  CLI::App* revoke = g->add_subcommand("revoke", "Revoke a key: it leaves every host");
  revoke->add_option("ID", a->id, "Key id")->required();
  revoke->add_option("--reason", a->reason, "Why (kept in the key's record and the audit log)");
  AddCenterFlags(revoke, &a->flags);
  revoke->callback(Shows(a, rc, kKeyView, [a](const CenterClient& c) {
    std::optional<json> body;
    if (!a->reason.empty()) body = json{{"reason", a->reason}};
    return c.Call("POST", PathOf("keys", a->id, "/revoke"), body);
  }));
}

StatusOr<json> AddGrant(const KeyArgs& a, const CenterClient& c) {
  if (a.user.empty() == a.team.empty()) return InvalidArgumentError("give either --user or --team");
  json body = {{"group", a.group}, {"account", a.account}};
  if (!a.user.empty()) body["user"] = a.user;
  if (!a.team.empty()) body["team"] = a.team;
  if (!a.options.empty()) body["options"] = a.options;
  if (!a.until.empty()) {
    KW_ASSIGN_OR_RETURN(body["ends_at"], ParseTimeArg("--until", a.until, SystemClock::Get().NowUnix()));
  }
  return c.Call("POST", "/api/v1/grants", body);
}

void AddGrantCommands(CLI::App& app, int* rc) {
  auto a = std::make_shared<KeyArgs>();
  CLI::App* g = app.add_subcommand("grant", "Who may log in to which account on which host group: add, list, show, rm");
  g->require_subcommand(1);

  CLI::App* add = g->add_subcommand("add", "Let a user or a team log in to an account on a host group");
  CLI::Option* user = add->add_option("--user", a->user, "The user");
  add->add_option("--team", a->team, "The team")->excludes(user);
  add->add_option("--group", a->group, "The host group")->required();
  add->add_option("--account", a->account, "The account on those hosts (e.g. deploy)")->required();
  add->add_option("--options", a->options, "authorized_keys options (e.g. no-port-forwarding,from=\"10.0.0.0/8\")");
  add->add_option("--until", a->until, "The grant ends: +SPAN (+8h) or YYYYMMDD[HHMM[SS]][Z] (default: never)");
  AddCenterFlags(add, &a->flags);
  add->callback(Shows(a, rc, kGrantView, [a](const CenterClient& c) { return AddGrant(*a, c); }));

  CLI::App* list = g->add_subcommand("list", "List grants");
  list->add_option("--user", a->user, "Only this user's grants");
  list->add_option("--team", a->team, "Only this team's grants");
  list->add_option("--group", a->group, "Only grants on this host group");
  AddCenterFlags(list, &a->flags);
  list->callback([a, rc] {
    *rc = RunWithCenter(a->flags, [&](const CenterClient& c) -> Status {
      Query q = {{"user", a->user}, {"team", a->team}, {"group", a->group}};
      KW_ASSIGN_OR_RETURN(json doc, c.ListAll("/api/v1/grants", q));
      ShowList(kGrantView, doc, a->flags);
      return OkStatus();
    });
  });

  CLI::App* show = g->add_subcommand("show", "Show one grant");
  show->add_option("ID", a->id, "Grant id")->required();
  AddCenterFlags(show, &a->flags);
  show->callback(
      Shows(a, rc, kGrantView, [a](const CenterClient& c) { return c.Call("GET", PathOf("grants", a->id)); }));

  CLI::App* rm = g->add_subcommand("rm", "Delete a grant");
  rm->add_option("ID", a->id, "Grant id")->required();
  AddCenterFlags(rm, &a->flags, /*with_json=*/false);
  rm->callback([a, rc] {
    *rc = RunWithCenter(a->flags,
                        [&](const CenterClient& c) { return c.Call("DELETE", PathOf("grants", a->id)).status(); });
  });
}

void AddRenderCommand(CLI::App& app, int* rc) {
  auto a = std::make_shared<KeyArgs>();
  CLI::App* render = app.add_subcommand(
      "render", "Print the authorized_keys text the key center gives a host (what its agent installs)");
  render->add_option("--host", a->host, "The host")->required();
  render->add_option("--account", a->account, "Only this account's keys");
  AddCenterFlags(render, &a->flags, /*with_json=*/false);
  render->callback([a, rc] {
    *rc = RunWithCenter(a->flags, [&](const CenterClient& c) -> Status {
      KW_ASSIGN_OR_RETURN(std::string text, c.GetText("/api/v1/keys", {{"host", a->host}, {"account", a->account}}));
      Out(text);
      return OkStatus();
    });
  });
}

}  // namespace

void AddKeyAdminCommands(CLI::App& app, int* rc) {
  AddKeyCommands(app, rc);
  AddGrantCommands(app, rc);
  AddRenderCommand(app, rc);
}

}  // namespace kw::cli
