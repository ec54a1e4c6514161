// How the admin commands (`keyward user|team|group|host|key|grant|render`,
// `keyward audit log`) talk to the key center: its HTTP/JSON API
// (src/center/api.cc lists every route), the token from the environment, and
// the two output shapes (tables for people, tab-separated lines for scripts).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/status.h"
#include "net/http_client.h"

namespace kw::cli {

using nlohmann::json;

// The key center used when neither --server nor $KEYWARD_SERVER says.
inline constexpr const char* kDefaultServer = "http://127.0.0.1:8180";

// Flags every admin command takes.
struct CenterFlags {
  std::string server;  // --server; empty: $KEYWARD_SERVER, else kDefaultServer
  bool json = false;   // --json: the server's JSON instead of a table
};

// Adds --server (and --json when `with_json`) to a command.
void AddCenterFlags(CLI::App* cmd, CenterFlags* flags, bool with_json = true);

// A query string's parameters, in order; empty values are left out.
using Query = std::vector<std::pair<std::string, std::string>>;

// A client of one key center with one admin token.
//
// Errors (all end the command with exit 1): the server's own message with
// the HTTP status ("user alice already exists (HTTP 409)"); the method and
// URL with the client's reason when the server cannot be reached.
class CenterClient {
 public:
  // The server from `flags` or $KEYWARD_SERVER or kDefaultServer, the token
  // from $KEYWARD_TOKEN only (a token on the command line would show in ps
  // and in shell history). kFailedPrecondition when the token is not set.
  static StatusOr<CenterClient> FromEnvironment(const CenterFlags& flags);

  const std::string& server() const { return server_; }

  // One JSON request (`body` sent as JSON when given). The parsed response,
  // or null for 204 No Content.
  StatusOr<json> Call(std::string_view method, const std::string& path, const std::optional<json>& body = {},
                      const Query& query = {}) const;
  // A GET whose answer is text (the rendered authorized_keys).
  StatusOr<std::string> GetText(const std::string& path, const Query& query = {}) const;
  // Every page of a list route, following "next": {"items": [...]}.
  StatusOr<json> ListAll(const std::string& path, Query query = {}) const;

 private:
  CenterClient(std::string server, std::string token)
      : server_(std::move(server)), token_(std::move(token)), http_(net::ClientOptions{}) {}
  StatusOr<net::ClientResponse> Send(std::string_view method, const std::string& path, const Query& query,
                                     const std::string& body) const;

  std::string server_;
  std::string token_;
  net::HttpClient http_;
};

// "/api/v1/users/" + the name, percent-encoded as one path segment.
std::string PathOf(std::string_view collection, std::string_view name, std::string_view suffix = {});

// --- times

// Unix seconds from "+90d" (now plus an OpenSSH time span) or an absolute
// date as `ssh-keygen -V` reads it (YYYYMMDD[HHMM[SS]], local time, or UTC
// with a Z suffix). The error names the flag.
StatusOr<int64_t> ParseTimeArg(std::string_view flag, std::string_view text, int64_t now);
// Seconds from an OpenSSH time span ("14d", "1h30m"; a leading + is allowed).
StatusOr<int64_t> ParseSpanArg(std::string_view flag, std::string_view text);
// Local time as "2024-05-01T12:00:00"; `zero` for 0 (no time, never).
std::string FormatTime(int64_t t, std::string_view zero = "-");

// --- output

// A JSON document on stdout (indented, one trailing newline).
void PrintJson(const json& doc);

// Rows under a header. On a terminal: aligned columns with the header; else
// one tab-separated line per row and no header (for cut and awk). Cells are
// made printable: tabs and line breaks become spaces, control bytes \ooo.
void PrintTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

// One record as "field value" lines: aligned on a terminal, tab-separated
// otherwise.
void PrintRecord(const std::vector<std::pair<std::string, std::string>>& fields);

// Field helpers for JSON the server sent: a missing or null field is "".
std::string Text(const json& j, const char* field);
int64_t Int(const json& j, const char* field);
// An array of strings joined with ","; "-" when empty; `null_text` for null.
std::string List(const json& j, const char* field, std::string_view null_text = "-");

// Prints a failed Status the native way ("keyward: message") and returns 1.
int Fail(const Status& status);

}  // namespace kw::cli
