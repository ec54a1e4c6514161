// keyward audit log [--verify]: the key center's audit log, and a check of
// its hash chain done here, independently of the server
// (formats/audit_chain.h), next to the server's own verdict.
#include "base/file.h"
#include "cli/admin_cmd.h"
#include "cli/output.h"
#include "formats/audit_chain.h"

namespace kw::cli {
namespace {

const View kAuditView{
    {"SEQ", "TIME", "ACTOR", "REMOTE", "ACTION", "TARGET", "DETAIL"},
    [](const json& e) {
      return std::vector<std::string>{Text(e, "seq"),    FormatTime(Int(e, "time")), Text(e, "actor"),
                                      Text(e, "remote"), Text(e, "action"),          Text(e, "target"),
                                      Text(e, "detail")};
    },
    nullptr};

// The detail exactly as it was hashed. The server stores it as the compact
// dump of a JSON object and sends it parsed; dumping it again the same way
// gives the same bytes. A detail that was not JSON arrives as a string.
std::string HashedDetail(const json& d) {
  if (d.is_string()) return d.get<std::string>();
  return d.dump(-1, ' ', false, json::error_handler_t::replace);
}

StatusOr<Bytes> HexField(const json& e, const char* field, int64_t seq) {
  Bytes out;
  if (!e.contains(field) || !e[field].is_string() || !HexDecode(e[field].get<std::string>(), &out) ||
      out.size() != formats::kAuditHashBytes) {
    return DataLossError("audit entry " + std::to_string(seq) + ": " + field + " is not " +
                         std::to_string(formats::kAuditHashBytes) + " bytes of hex");
  }
  return out;
}

// Recomputes the chain over the entries as listed (oldest first).
Status VerifyLocally(const json& items) {
  // ChainLink holds views into these strings.
  std::vector<std::string> details;
  details.reserve(items.size());
  std::vector<formats::ChainLink> links;
  links.reserve(items.size());
  for (const json& e : items) {
    if (!e.is_object() || !e.contains("seq") || !e["seq"].is_number_integer()) {
      return DataLossError("audit entry " + std::to_string(links.size() + 1) + ": no seq");
    }
    int64_t seq = Int(e, "seq");
    for (const char* f : {"actor", "remote", "action", "target"}) {
      if (!e.contains(f) || !e[f].is_string()) {
        return DataLossError("audit entry " + std::to_string(seq) + ": " + f + " is not a string");
      }
    }
    if (!e.contains("time") || !e["time"].is_number_integer() || !e.contains("detail")) {
      return DataLossError("audit entry " + std::to_string(seq) + ": no time or detail");
    }
    details.push_back(HashedDetail(e["detail"]));
    formats::ChainLink l;
    l.fields.seq = seq;
    l.fields.time = Int(e, "time");
    l.fields.actor = e["actor"].get_ref<const std::string&>();
    l.fields.remote = e["remote"].get_ref<const std::string&>();
    l.fields.action = e["action"].get_ref<const std::string&>();
    l.fields.target = e["target"].get_ref<const std::string&>();
    l.fields.detail = details.back();
    KW_ASSIGN_OR_RETURN(l.prev_hash, HexField(e, "prev_hash", seq));
    KW_ASSIGN_OR_RETURN(l.hash, HexField(e, "hash", seq));
    links.push_back(std::move(l));
  }
  return formats::VerifyAuditChain(links);
}

StatusOr<json> ReadSaved(const std::string& path) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  json doc = json::parse(text, nullptr, false);
  if (doc.is_array()) doc = json{{"items", std::move(doc)}};
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("items") || !doc["items"].is_array()) {
    return InvalidArgumentError(path + ": not an audit log (want {\"items\": [...]} as `audit log --json` prints)");
  }
  return doc;
}

Status Run(const AuditLogArgs& a, const CenterClient* client) {
  json doc;
  if (client != nullptr) {
    KW_ASSIGN_OR_RETURN(doc, client->ListAll("/api/v1/audit"));
  } else {
    KW_ASSIGN_OR_RETURN(doc, ReadSaved(a.from_file));
  }
  ShowList(kAuditView, doc, a.flags);
  if (!a.verify) return OkStatus();

  // The verdicts go with the table, or to stderr when stdout is one JSON document.
  auto say = [&a](const std::string& line) { a.flags.json ? Err(line + "\n") : Out(line + "\n"); };
  Status local = VerifyLocally(doc["items"]);
  if (!local.ok()) return local.WithContext("the audit log does not verify");
  say("local: the hash chain of " + std::to_string(doc["items"].size()) + " entries verifies");
  if (client == nullptr) return OkStatus();

  KW_ASSIGN_OR_RETURN(json server, client->Call("GET", "/api/v1/audit/verify"));
  bool ok = server.is_object() && server.contains("ok") && server["ok"].is_boolean() && server["ok"].get<bool>();
  std::string message = Text(server, "message");
  if (!ok) return DataLossError("the server's audit check fails: " + message);
  say("server: " + message);
  return OkStatus();
}

}  // namespace

int AuditLog(const AuditLogArgs& a) {
  if (!a.from_file.empty()) {
    Status st = Run(a, nullptr);
    return st.ok() ? 0 : Fail(st);
  }
  return RunWithCenter(a.flags, [&a](const CenterClient& c) { return Run(a, &c); });
}

}  // namespace kw::cli
