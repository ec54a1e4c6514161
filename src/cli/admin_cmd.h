// Shared by the files of the key center's admin commands (admin_cmd.cc:
// users, teams, groups, hosts; admin_keys_cmd.cc: keys, grants, render;
// admin_audit.cc: audit log). Not used outside src/cli.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/center_client.h"

namespace kw::cli {

// Runs `body` with a client made from `flags` and the environment, and
// turns its Status into the exit code (a failure printed "keyward: ...").
int RunWithCenter(const CenterFlags& flags, const std::function<Status(const CenterClient&)>& body);

// How one kind of object is shown: the columns of its list and the fields
// of its record.
struct View {
  std::vector<std::string> header;
  std::function<std::vector<std::string>(const json&)> row;
  std::function<std::vector<std::pair<std::string, std::string>>(const json&)> record;
};

// One object (`doc`) as JSON or a record.
void ShowOne(const View& view, const json& doc, const CenterFlags& flags);
// A listing ({"items": [...]}) as JSON or a table.
void ShowList(const View& view, const json& doc, const CenterFlags& flags);

// The callback of a command whose answer is one object of `view`: runs
// `request`, then shows what it returned. `Args` holds a CenterFlags `flags`.
template <class Args>
std::function<void()> Shows(std::shared_ptr<Args> a, int* rc, const View& view,
                            std::function<StatusOr<json>(const CenterClient&)> request) {
  const View* v = &view;  // views are constants that outlive every command
  return [a, rc, v, request] {
    *rc = RunWithCenter(a->flags, [&](const CenterClient& c) -> Status {
      KW_ASSIGN_OR_RETURN(json doc, request(c));
      ShowOne(*v, doc, a->flags);
      return OkStatus();
    });
  };
}

// A CLI11 option that may repeat and takes one value each time
// (`--group a --group b`), so it never swallows a positional argument.
CLI::Option* AddRepeated(CLI::App* cmd, const std::string& name, std::vector<std::string>* out,
                         const std::string& help);

// Registers `key`, `grant` and `render`.
void AddKeyAdminCommands(CLI::App& app, int* rc);

// `keyward audit log [--verify]`.
struct AuditLogArgs {
  CenterFlags flags;
  bool verify = false;
  std::string from_file;  // hidden: verify a saved `audit log --json` instead of asking the server
};
int AuditLog(const AuditLogArgs& args);

}  // namespace kw::cli
