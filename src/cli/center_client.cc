#include "cli/center_client.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "cli/key_ops.h"
#include "cli/output.h"
#include "cli/pki_ops.h"
#include "formats/cert_time.h"

namespace kw::cli {
namespace {

// Lists are fetched in the largest pages the server allows.
constexpr int kPageLimit = 1000;
// A list longer than this many pages is a server that does not end it.
constexpr int kMaxPages = 100000;

std::string EnvOr(const char* name, std::string_view fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : std::string(fallback);
}

std::string WithQuery(const std::string& url, const Query& query) {
  std::string out = url;
  char sep = '?';
  for (const auto& [k, v] : query) {
    if (v.empty()) continue;
    out += sep;
    out += net::UrlEncode(k);
    out += '=';
    out += net::UrlEncode(v);
    sep = '&';
  }
  return out;
}

// The error a non-2xx response stands for: the server's {"error":{"message"}}
// or, from something that is not the key center, the start of its body.
Status HttpError(const net::ClientResponse& r) {
  std::string message = net::ServerErrorMessage(r.body);
  if (message.empty()) {
    std::string_view body = r.body;
    body = body.substr(0, std::min(body.find('\n'), size_t{200}));
    message = body.empty() ? "the server refused the request" : std::string(body);
  }
  message += " (HTTP " + std::to_string(r.status) + ")";
  switch (r.status) {
    case 400: return InvalidArgumentError(message);
    case 401: return UnauthenticatedError(message);
    case 403: return PermissionDeniedError(message);
    case 404: return NotFoundError(message);
    case 409: return AlreadyExistsError(message);
    case 503: return UnavailableError(message);
    default: return InternalError(message);
  }
}

bool IsSuccess(int status) { return status >= 200 && status < 300; }

std::string Printable(std::string_view cell) {
  std::string s(cell);
  std::replace_if(s.begin(), s.end(), [](char c) { return c == '\t' || c == '\n' || c == '\r'; }, ' ');
  return SafeText(s);
}

}  // namespace

void AddCenterFlags(CLI::App* cmd, CenterFlags* flags, bool with_json) {
  cmd->add_option("--server", flags->server,
                  std::string("Key center URL (default: $KEYWARD_SERVER, else ") + kDefaultServer +
                      "); the admin token comes from $KEYWARD_TOKEN");
  if (with_json) cmd->add_flag("--json", flags->json, "Print the server's JSON (lists: every page, one document)");
}

StatusOr<CenterClient> CenterClient::FromEnvironment(const CenterFlags& flags) {
  std::string token = EnvOr("KEYWARD_TOKEN", "");
  if (token.empty()) {
    return FailedPreconditionError(
        "KEYWARD_TOKEN is not set: export the key center's admin token in it (tokens are not taken from the "
        "command line)");
  }
  std::string server = flags.server.empty() ? EnvOr("KEYWARD_SERVER", kDefaultServer) : flags.server;
  while (server.size() > 1 && server.back() == '/') server.pop_back();
  if (!server.starts_with("http://") && !server.starts_with("https://")) {
    return InvalidArgumentError("server \"" + server + "\": must be an http:// or https:// URL");
  }
  return CenterClient(std::move(server), std::move(token));
}

StatusOr<net::ClientResponse> CenterClient::Send(std::string_view method, const std::string& path,
                                                 const Query& query, const std::string& body) const {
  std::vector<std::pair<std::string, std::string>> headers = {{"Authorization", "Bearer " + token_}};
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  StatusOr<net::ClientResponse> r = http_.Send(method, WithQuery(server_ + path, query), headers, body);
  if (!r.ok()) {
    // The client's message already names the method and the URL.
    if (r.status().code() == StatusCode::kUnavailable) return r.status().WithContext("cannot reach the key center");
    return r.status();
  }
  if (!IsSuccess(r->status)) return HttpError(*r);
  return r;
}

StatusOr<json> CenterClient::Call(std::string_view method, const std::string& path, const std::optional<json>& body,
                                  const Query& query) const {
  std::string text;
  if (body) {
    try {
      text = body->dump();
    } catch (const json::type_error&) {  // a command-line value that is not UTF-8
      return InvalidArgumentError(std::string(method) + " " + path + ": an argument is not valid UTF-8");
    }
  }
  KW_ASSIGN_OR_RETURN(net::ClientResponse r, Send(method, path, query, text));
  if (r.status == 204) return json(nullptr);
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) {
    return InternalError(std::string(method) + " " + server_ + path + ": the response is not JSON (HTTP " +
                         std::to_string(r.status) + ")");
  }
  return j;
}

StatusOr<std::string> CenterClient::GetText(const std::string& path, const Query& query) const {
  KW_ASSIGN_OR_RETURN(net::ClientResponse r, Send("GET", path, query, ""));
  return std::move(r.body);
}

StatusOr<json> CenterClient::ListAll(const std::string& path, Query query) const {
  json items = json::array();
  query.emplace_back("limit", std::to_string(kPageLimit));
  query.emplace_back("after", "");
  for (int page = 0; page < kMaxPages; ++page) {
    KW_ASSIGN_OR_RETURN(json j, Call("GET", path, std::nullopt, query));
    if (!j.is_object() || !j.contains("items") || !j["items"].is_array()) {
      return InternalError("GET " + server_ + path + ": the response is not a list");
    }
    for (json& item : j["items"]) items.push_back(std::move(item));
    if (!j.contains("next") || j["next"].is_null()) return json{{"items", std::move(items)}};
    if (!j["next"].is_number_integer()) return InternalError("GET " + server_ + path + ": \"next\" is not a number");
    query.back().second = std::to_string(j["next"].get<int64_t>());
  }
  return InternalError("GET " + server_ + path + ": the list does not end");
}

std::string PathOf(std::string_view collection, std::string_view name, std::string_view suffix) {
  std::string p = "/api/v1/";
  p += collection;
  p += '/';
  p += net::UrlEncode(name);
  p += suffix;
  return p;
}

StatusOr<int64_t> ParseTimeArg(std::string_view flag, std::string_view text, int64_t now) {
  if (text.starts_with("+")) {
    std::optional<int64_t> span = formats::ParseTimeSpan(text.substr(1));
    if (span) return now + *span;
  } else if (std::optional<uint64_t> t = formats::ParseAbsoluteTime(text, LocalZone())) {
    if (*t <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(*t);
  }
  return InvalidArgumentError(std::string(flag) + " \"" + std::string(text) +
                              "\": want +SPAN (e.g. +90d, +12h) or YYYYMMDD[HHMM[SS]][Z]");
}

StatusOr<int64_t> ParseSpanArg(std::string_view flag, std::string_view text) {
  std::string_view s = text.starts_with("+") ? text.substr(1) : text;
  std::optional<int64_t> span = formats::ParseTimeSpan(s);
  if (!span) {
    return InvalidArgumentError(std::string(flag) + " \"" + std::string(text) +
                                "\": want a span such as 14d, 12h or 1w");
  }
  return *span;
}

std::string FormatTime(int64_t t, std::string_view zero) {
  if (t <= 0) return std::string(zero);
  return formats::FormatAbsoluteTime(static_cast<uint64_t>(t), LocalZone());
}

void PrintJson(const json& doc) { Out(doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n"); }

void PrintTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  if (!::isatty(1)) {
    for (const auto& row : rows) {
      for (size_t i = 0; i < row.size(); ++i) {
        if (i > 0) out += '\t';
        out += Printable(row[i]);
      }
      out += '\n';
    }
    Out(out);
    return;
  }
  std::vector<std::vector<std::string>> all;
  all.push_back(header);
  for (const auto& row : rows) {
    std::vector<std::string> cells;
    for (const std::string& c : row) cells.push_back(Printable(c));
    all.push_back(std::move(cells));
  }
  std::vector<size_t> width(header.size(), 0);
  for (const auto& row : all) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : all) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size() && i < width.size()) line.append(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  Out(out);
}

void PrintRecord(const std::vector<std::pair<std::string, std::string>>& fields) {
  bool tty = ::isatty(1);
  size_t width = 0;
  for (const auto& f : fields) width = std::max(width, f.first.size());
  std::string out;
  for (const auto& [name, value] : fields) {
    out += name;
    if (tty) {
      out += ':';
      if (!value.empty()) out.append(width - name.size() + 1, ' ');
    } else {
      out += '\t';
    }
    out += Printable(value);
    out += '\n';
  }
  Out(out);
}

std::string Text(const json& j, const char* field) {
  if (!j.is_object() || !j.contains(field)) return "";
  const json& v = j[field];
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

int64_t Int(const json& j, const char* field) {
  if (!j.is_object() || !j.contains(field) || !j[field].is_number_integer()) return 0;
  return j[field].get<int64_t>();
}

std::string List(const json& j, const char* field, std::string_view null_text) {
  if (!j.is_object() || !j.contains(field) || j[field].is_null()) return std::string(null_text);
  const json& v = j[field];
  if (!v.is_array()) return Text(j, field);
  std::string out;
  for (const json& e : v) {
    if (!out.empty()) out += ',';
    out += e.is_string() ? e.get<std::string>() : e.dump();
  }
  return out.empty() ? "-" : out;
}

int Fail(const Status& status) { return Io{Style::kNative}.Fatal(status.message()); }

}  // namespace kw::cli
