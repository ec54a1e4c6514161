// keyward user | team | group | host: the key center's people and machines,
// through its HTTP/JSON API (src/center/api.cc). The token comes from
// $KEYWARD_TOKEN, the server from --server or $KEYWARD_SERVER.
#include "cli/admin_cmd.h"

#include <memory>
#include <tuple>

#include "cli/commands.h"
#include "cli/output.h"

namespace kw::cli {

int RunWithCenter(const CenterFlags& flags, const std::function<Status(const CenterClient&)>& body) {
  StatusOr<CenterClient> client = CenterClient::FromEnvironment(flags);
  if (!client.ok()) return Fail(client.status());
  Status st;
  try {
    st = body(*client);
  } catch (const json::exception& e) {
    // Only a response of the wrong shape can get here.
    st = InternalError(std::string("unexpected response from ") + client->server() + ": " + e.what());
  }
  return st.ok() ? 0 : Fail(st);
}

void ShowOne(const View& view, const json& doc, const CenterFlags& flags) {
  if (flags.json) {
    PrintJson(doc);
  } else {
    PrintRecord(view.record(doc));
  }
}

void ShowList(const View& view, const json& doc, const CenterFlags& flags) {
  if (flags.json) {
    PrintJson(doc);
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const json& item : doc["items"]) rows.push_back(view.row(item));
  PrintTable(view.header, rows);
}

CLI::Option* AddRepeated(CLI::App* cmd, const std::string& name, std::vector<std::string>* out,
                         const std::string& help) {
  return cmd->add_option(name, *out, help)->allow_extra_args(false);
}

namespace {

struct Args {
  CenterFlags flags;
  std::string name, email;
  std::vector<std::string> names;  // --member, --group, or the positional list
};

const View kUserView{
    {"NAME", "EMAIL", "STATE", "CREATED"},
    [](const json& u) {
      return std::vector<std::string>{Text(u, "name"), Text(u, "email"), Text(u, "state"),
                                      FormatTime(Int(u, "created"))};
    },
    [](const json& u) {
      return std::vector<std::pair<std::string, std::string>>{
          {"name", Text(u, "name")},       {"email", Text(u, "email")},
          {"state", Text(u, "state")},     {"created", FormatTime(Int(u, "created"))},
          {"updated", FormatTime(Int(u, "updated"))}, {"id", Text(u, "id")}};
    }};

const View kTeamView{
    {"NAME", "MEMBERS", "CREATED"},
    [](const json& t) {
      return std::vector<std::string>{Text(t, "name"), List(t, "members"), FormatTime(Int(t, "created"))};
    },
    [](const json& t) {
      return std::vector<std::pair<std::string, std::string>>{{"name", Text(t, "name")},
                                                              {"members", List(t, "members")},
                                                              {"created", FormatTime(Int(t, "created"))},
                                                              {"id", Text(t, "id")}};
    }};

const View kGroupView{
    {"NAME", "CREATED"},
    [](const json& g) { return std::vector<std::string>{Text(g, "name"), FormatTime(Int(g, "created"))}; },
    [](const json& g) {
      return std::vector<std::pair<std::string, std::string>>{
          {"name", Text(g, "name")}, {"created", FormatTime(Int(g, "created"))}, {"id", Text(g, "id")}};
    }};

// The host keys a host reported: one field per line.
void AddHostKeys(const json& h, std::vector<std::pair<std::string, std::string>>* fields) {
  std::string keys = Text(h, "host_keys");
  size_t start = 0;
  while (start < keys.size()) {
    size_t end = keys.find('\n', start);
    if (end == std::string::npos) end = keys.size();
    if (end > start) fields->emplace_back("host_key", keys.substr(start, end - start));
    start = end + 1;
  }
}

const View kHostView{
    {"NAME", "GROUPS", "LAST_CONTACT", "REVISION"},
    [](const json& h) {
      return std::vector<std::string>{Text(h, "name"), List(h, "groups"), FormatTime(Int(h, "last_contact"), "never"),
                                      Text(h, "applied_revision")};
    },
    [](const json& h) {
      std::vector<std::pair<std::string, std::string>> f = {
          {"name", Text(h, "name")},
          {"groups", List(h, "groups")},
          {"last_contact", FormatTime(Int(h, "last_contact"), "never")},
          {"applied_revision", Text(h, "applied_revision")},
          {"created", FormatTime(Int(h, "created"))},
          {"id", Text(h, "id")}};
      AddHostKeys(h, &f);
      if (h.contains("token")) f.emplace_back("token", Text(h, "token"));
      return f;
    }};

// list, show NAME and rm NAME of one collection.
void AddReadAndRemove(CLI::App* group, const std::string& collection, const std::string& what, const View& view,
                      std::shared_ptr<Args> a, int* rc) {
  CLI::App* list = group->add_subcommand("list", "List every " + what);
  AddCenterFlags(list, &a->flags);
  const View* v = &view;
  list->callback([a, rc, collection, v] {
    *rc = RunWithCenter(a->flags, [&](const CenterClient& c) -> Status {
      KW_ASSIGN_OR_RETURN(json doc, c.ListAll("/api/v1/" + collection));
      ShowList(*v, doc, a->flags);
      return OkStatus();
    });
  });

  CLI::App* show = group->add_subcommand("show", "Show one " + what);
  show->add_option("NAME", a->name, "Its name")->required();
  AddCenterFlags(show, &a->flags);
  show->callback([a, rc, collection, v] {
    *rc = RunWithCenter(a->flags, [&](const CenterClient& c) -> Status {
      KW_ASSIGN_OR_RETURN(json doc, c.Call("GET", PathOf(collection, a->name)));
      ShowOne(*v, doc, a->flags);
      return OkStatus();
    });
  });

  CLI::App* rm = group->add_subcommand("rm", "Delete one " + what);
  rm->add_option("NAME", a->name, "Its name")->required();
  AddCenterFlags(rm, &a->flags, /*with_json=*/false);
  rm->callback([a, rc, collection] {
    *rc = RunWithCenter(a->flags, [&](const CenterClient& c) -> Status {
      return c.Call("DELETE", PathOf(collection, a->name)).status();
    });
  });
}

void AddUserCommands(CLI::App& app, int* rc) {
  auto a = std::make_shared<Args>();
  CLI::App* g = app.add_subcommand("user", "Key center users: add, list, show, rm, offboard, suspend, activate");
  g->require_subcommand(1);

  CLI::App* add = g->add_subcommand("add", "Add a user");
  add->add_option("NAME", a->name, "User name")->required();
  add->add_option("--email", a->email, "E-mail address");
  AddCenterFlags(add, &a->flags);
  add->callback(Shows(a, rc, kUserView, [a](const CenterClient& c) {
    json body = {{"name", a->name}};
    if (!a->email.empty()) body["email"] = a->email;
    return c.Call("POST", "/api/v1/users", body);
  }));

  AddReadAndRemove(g, "users", "user", kUserView, a, rc);

  CLI::App* off = g->add_subcommand(
      "offboard", "Offboard a user: revoke every key, remove every grant and team membership (kept for the audit)");
  off->add_option("NAME", a->name, "User name")->required();
  AddCenterFlags(off, &a->flags);
  off->callback([a, rc] {
    *rc = RunWithCenter(a->flags, [&](const CenterClient& c) -> Status {
      KW_ASSIGN_OR_RETURN(json r, c.Call("POST", PathOf("users", a->name, "/offboard")));
      if (a->flags.json) {
        PrintJson(r);
      } else {
        PrintRecord({{"user", Text(r, "user")},
                     {"keys_revoked", Text(r, "keys_revoked")},
                     {"grants_removed", Text(r, "grants_removed")},
                     {"teams_left", Text(r, "teams_left")}});
      }
      return OkStatus();
    });
  });

  for (const auto& [verb, state, help] :
       {std::tuple{"suspend", "suspended", "Suspend a user: their keys leave every host until activated"},
        std::tuple{"activate", "active", "Activate a suspended user"}}) {
    CLI::App* cmd = g->add_subcommand(verb, help);
    cmd->add_option("NAME", a->name, "User name")->required();
    AddCenterFlags(cmd, &a->flags);
    std::string s = state;
    cmd->callback(Shows(a, rc, kUserView, [a, s](const CenterClient& c) {
      return c.Call("PATCH", PathOf("users", a->name), json{{"state", s}});
    }));
  }
}

void AddTeamCommands(CLI::App& app, int* rc) {
  auto a = std::make_shared<Args>();
  CLI::App* g = app.add_subcommand("team", "Teams of users: add, list, show, rm, set-members");
  g->require_subcommand(1);

  CLI::App* add = g->add_subcommand("add", "Add a team");
  add->add_option("NAME", a->name, "Team name")->required();
  AddRepeated(add, "--member", &a->names, "A member (user name); repeat for more");
  AddCenterFlags(add, &a->flags);
  add->callback(Shows(a, rc, kTeamView, [a](const CenterClient& c) {
    return c.Call("POST", "/api/v1/teams", json{{"name", a->name}, {"members", a->names}});
  }));

  AddReadAndRemove(g, "teams", "team", kTeamView, a, rc);

  CLI::App* set = g->add_subcommand("set-members", "Replace a team's members (none: empty the team)");
  set->add_option("NAME", a->name, "Team name")->required();
  set->add_option("USERS", a->names, "The new members");
  AddCenterFlags(set, &a->flags);
  set->callback(Shows(a, rc, kTeamView, [a](const CenterClient& c) {
    return c.Call("PATCH", PathOf("teams", a->name), json{{"members", a->names}});
  }));
}

void AddGroupCommands(CLI::App& app, int* rc) {
  auto a = std::make_shared<Args>();
  CLI::App* g = app.add_subcommand("group", "Host groups: add, list, show, rm");
  g->require_subcommand(1);

  CLI::App* add = g->add_subcommand("add", "Add a host group");
  add->add_option("NAME", a->name, "Group name")->required();
  AddCenterFlags(add, &a->flags);
  add->callback(Shows(a, rc, kGroupView, [a](const CenterClient& c) {
    return c.Call("POST", "/api/v1/groups", json{{"name", a->name}});
  }));

  AddReadAndRemove(g, "groups", "host group", kGroupView, a, rc);
}

void AddHostCommands(CLI::App& app, int* rc) {
  auto a = std::make_shared<Args>();
  CLI::App* g = app.add_subcommand("host", "Hosts: add, list, show, rm, set-groups, token");
  g->require_subcommand(1);

  CLI::App* add = g->add_subcommand("add", "Add a host; prints its token, which is shown only this once");
  add->add_option("NAME", a->name, "Host name")->required();
  AddRepeated(add, "--group", &a->names, "A host group it belongs to; repeat for more");
  AddCenterFlags(add, &a->flags);
  add->callback([a, rc] {
    *rc = RunWithCenter(a->flags, [&](const CenterClient& c) -> Status {
      KW_ASSIGN_OR_RETURN(json doc, c.Call("POST", "/api/v1/hosts", json{{"name", a->name}, {"groups", a->names}}));
      ShowOne(kHostView, doc, a->flags);
      Err("The host token is shown only once: install it on " + a->name +
          " now (a new one: keyward host token " + a->name + ").\n");
      return OkStatus();
    });
  });

  AddReadAndRemove(g, "hosts", "host", kHostView, a, rc);

  CLI::App* set = g->add_subcommand("set-groups", "Replace a host's groups (none: no group)");
  set->add_option("NAME", a->name, "Host name")->required();
  set->add_option("GROUPS", a->names, "The new groups");
  AddCenterFlags(set, &a->flags);
  set->callback(Shows(a, rc, kHostView, [a](const CenterClient& c) {
    return c.Call("PATCH", PathOf("hosts", a->name), json{{"groups", a->names}});
  }));

  CLI::App* token = g->add_subcommand("token", "Give a host a new token (the old one stops working); prints it");
  token->add_option("NAME", a->name, "Host name")->required();
  AddCenterFlags(token, &a->flags);
  token->callback([a, rc] {
    *rc = RunWithCenter(a->flags, [&](const CenterClient& c) -> Status {
      KW_ASSIGN_OR_RETURN(json r, c.Call("POST", PathOf("hosts", a->name, "/token")));
      if (a->flags.json) {
        PrintJson(r);
      } else {
        Out(Text(r, "token") + "\n");
      }
      return OkStatus();
    });
  });
}

}  // namespace

void AddAdminCommands(CLI::App& app, int* rc) {
  AddUserCommands(app, rc);
  AddTeamCommands(app, rc);
  AddGroupCommands(app, rc);
  AddHostCommands(app, rc);
  AddKeyAdminCommands(app, rc);
}

}  // namespace kw::cli
