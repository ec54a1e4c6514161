// What one write transaction of the Center records for the audit log
// (center.cc, center_totp.cc). Internal to src/center.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "center/center.h"

namespace kw::center {

struct Center::Change {
  struct Note {
    std::string action, target;
    nlohmann::json detail;
    std::optional<Actor> actor;  // set: this note's actor, not the transaction's
  };
  std::vector<Note> notes;
  bool bump = true;  // false: a pure security event, no revision change
  void Add(std::string action, std::string target, nlohmann::json detail = nlohmann::json::object()) {
    notes.push_back({std::move(action), std::move(target), std::move(detail), std::nullopt});
  }
};

// Names of users, teams, groups and hosts (center.cc): InvalidArgument
// naming `field` unless 1 to 64 of [A-Za-z0-9_.@-], starting with a letter
// or digit.
Status CheckName(std::string_view field, std::string_view name);

}  // namespace kw::center
