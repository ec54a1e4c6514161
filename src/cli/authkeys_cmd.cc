// keyward authkeys lint | check: authorized_keys files as sshd 9.2 reads
// them, and the decision sshd makes for a key, a client address and a time.
#include <arpa/inet.h>
#include <netdb.h>

#include <memory>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/file.h"
#include "cli/commands.h"
#include "cli/known_hosts_ops.h"
#include "cli/output.h"
#include "formats/authorized_keys.h"
#include "formats/fingerprint.h"

namespace kw::cli {
namespace {

struct AkArgs {
  std::string file, key, from, host, at;
  bool json = false;
};

Io Native() { return Io{Style::kNative}; }

// --at: "now", "@EPOCH", or a date as expiry-time takes it, also with the
// ISO separators ("2026-01-31T12:00:00Z", "2026-01-31 12:00", "20260131").
StatusOr<int64_t> ParseWhen(const std::string& at, const formats::LocalTimeFn& local) {
  if (at.empty() || at == "now") return SystemClock::Get().NowUnix();
  if (at[0] == '@') {
    char* end = nullptr;
    long long v = std::strtoll(at.c_str() + 1, &end, 10);
    if (at.size() < 2 || *end != '\0') return InvalidArgumentError("bad time \"" + at + "\"");
    return static_cast<int64_t>(v);
  }
  std::string compact;
  for (char c : at)
    if (c != '-' && c != ':' && c != 'T' && c != ' ') compact += c;
  StatusOr<formats::ExpiryTime> t = formats::ParseExpiryTime(compact, local);
  if (!t.ok()) return InvalidArgumentError("bad time \"" + at + "\": " + t.status().message());
  return t->unix_time;
}

formats::AuthParseOptions SystemParse() {
  formats::AuthParseOptions p;
  p.local_time = formats::SystemLocalTime();
  p.service_port = [](std::string_view name) -> std::optional<int> {
    std::string n(name);
    const struct servent* se = ::getservbyname(n.c_str(), "tcp");
    if (se == nullptr) return std::nullopt;
    return static_cast<int>(ntohs(static_cast<uint16_t>(se->s_port)));
  };
  return p;
}

std::vector<std::string> Restrictions(const formats::KeyRights& r) {
  std::vector<std::string> out;
  if (!r.pty) out.push_back("no-pty");
  if (!r.port_forwarding) out.push_back("no-port-forwarding");
  if (!r.agent_forwarding) out.push_back("no-agent-forwarding");
  if (!r.x11_forwarding) out.push_back("no-x11-forwarding");
  if (!r.user_rc) out.push_back("no-user-rc");
  if (r.verify_required) out.push_back("verify-required");
  if (r.no_touch_required) out.push_back("no-touch-required");
  return out;
}

nlohmann::json RightsJson(const formats::KeyRights& r) {
  nlohmann::json j;
  j["restrict"] = r.restricted;
  j["pty"] = r.pty;
  j["port_forwarding"] = r.port_forwarding;
  j["agent_forwarding"] = r.agent_forwarding;
  j["x11_forwarding"] = r.x11_forwarding;
  j["user_rc"] = r.user_rc;
  j["no_touch_required"] = r.no_touch_required;
  j["verify_required"] = r.verify_required;
  if (r.command) j["command"] = *r.command;
  if (r.from) j["from"] = *r.from;
  if (r.valid_before) j["expires"] = formats::FormatUtcTime(*r.valid_before);
  if (r.tunnel) j["tunnel"] = *r.tunnel == formats::kTunnelAny ? nlohmann::json("any") : nlohmann::json(*r.tunnel);
  if (!r.environment.empty()) j["environment"] = r.environment;
  if (!r.permitopen.empty()) j["permitopen"] = r.permitopen;
  if (!r.permitlisten.empty()) j["permitlisten"] = r.permitlisten;
  return j;
}

std::string RightsText(const formats::KeyRights& r) {
  std::string out;
  if (r.command) out += "  forced command: " + *r.command + "\n";
  std::vector<std::string> res = Restrictions(r);
  if (!res.empty()) {
    out += "  restrictions:";
    for (const auto& s : res) out += " " + s;
    out += "\n";
  }
  if (r.from) out += "  from: " + *r.from + "\n";
  if (r.valid_before) out += "  expires: " + formats::FormatUtcTime(*r.valid_before) + "\n";
  if (r.tunnel) {
    out += "  tunnel: " + (*r.tunnel == formats::kTunnelAny ? std::string("any") : std::to_string(*r.tunnel)) + "\n";
  }
  for (const auto& e : r.environment) out += "  environment: " + e + " (with PermitUserEnvironment)\n";
  for (const auto& p : r.permitopen) out += "  permitopen: " + p + "\n";
  for (const auto& p : r.permitlisten) out += "  permitlisten: " + p + "\n";
  return out;
}

int RunCheck(const AkArgs& a) {
  Io io = Native();
  formats::AuthParseOptions parse = SystemParse();
  StatusOr<int64_t> now = ParseWhen(a.at, parse.local_time);
  if (!now.ok()) return io.Fatal(now.status().message());
  StatusOr<std::string> text = ReadFile(a.file);
  if (!text.ok()) return io.Fatal(text.status().message());
  StatusOr<LoadedKeyFile> key = ReadKeyFile(a.key);
  if (!key.ok()) return io.Fatal(key.status().message());
  if (key->key.is_cert()) {
    return io.Fatal(a.key + " holds a certificate: authorized_keys decides plain keys (certificates go through "
                            "cert-authority lines; see keyward cert verify)");
  }
  formats::ClientInfo client{a.from, a.host};
  formats::AuthDecision d = formats::EvaluateAuthorizedKeys(*text, key->key.plain(), client, *now, parse);
  std::string fp = formats::Fingerprint(key->key.plain());
  if (a.json) {
    nlohmann::json j;
    j["file"] = a.file;
    j["key"] = {{"type", std::string(key->key.short_name())}, {"fingerprint", fp}};
    j["client"] = a.from;
    j["time"] = formats::FormatUtcTime(*now);
    j["allowed"] = d.allowed;
    if (d.allowed) {
      j["line"] = d.line;
      j["options"] = RightsJson(d.rights);
    }
    nlohmann::json rej = nlohmann::json::array();
    for (const auto& r : d.rejections) rej.push_back({{"line", r.line}, {"reason", r.reason}});
    j["rejected_lines"] = rej;
    if (!d.key_type_note.empty()) j["note"] = d.key_type_note;
    Out(j.dump(2) + "\n");
  } else {
    std::string out;
    if (d.allowed) {
      out += "allowed: " + fp + " by " + a.file + ":" + std::to_string(d.line) + "\n";
      out += RightsText(d.rights);
    } else {
      out += "denied: no line of " + a.file + " lets " + fp + " in\n";
    }
    for (const auto& r : d.rejections) out += "  " + a.file + ":" + std::to_string(r.line) + ": " + r.reason + "\n";
    if (!d.key_type_note.empty()) out += "  note: " + d.key_type_note + "\n";
    Out(SafeText(out));
  }
  return d.allowed ? 0 : 2;
}

int RunLint(const AkArgs& a) {
  Io io = Native();
  formats::AuthParseOptions parse = SystemParse();
  StatusOr<int64_t> now = ParseWhen(a.at, parse.local_time);
  if (!now.ok()) return io.Fatal(now.status().message());
  StatusOr<std::string> text = ReadFile(a.file);
  if (!text.ok()) return io.Fatal(text.status().message());
  std::vector<formats::AuthLineProblem> problems = formats::LintAuthorizedKeys(*text, *now, parse);
  bool refused = false;
  std::string out;
  if (a.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& p : problems) {
      j.push_back({{"line", p.line}, {"severity", p.refused ? "error" : "warning"}, {"reason", p.reason}});
      refused |= p.refused;
    }
    Out(j.dump(2) + "\n");
  } else {
    for (const auto& p : problems) {
      out += a.file + ":" + std::to_string(p.line) + ": " + (p.refused ? "" : "warning: ") + p.reason + "\n";
      refused |= p.refused;
    }
    Out(SafeText(out));
  }
  return refused ? 1 : 0;
}

}  // namespace

void AddAuthKeysCommands(CLI::App& app, int* rc) {
  auto a = std::make_shared<AkArgs>();
  CLI::App* ak = app.add_subcommand("authkeys", "authorized_keys files as sshd 9.2 reads them");
  ak->require_subcommand(1);

  CLI::App* lint = ak->add_subcommand(
      "lint", "Every line sshd would skip or refuse, with its number and why (exit 1 if any)");
  lint->add_option("FILE", a->file, "authorized_keys file")->required();
  lint->add_option("--at", a->at, "Time for expiry-time checks (default now; @EPOCH or YYYY-MM-DD[THH:MM[:SS]][Z])");
  lint->add_flag("--json", a->json, "JSON: [{line, severity, reason}]");
  lint->callback([a, rc] { *rc = RunLint(*a); });

  CLI::App* check = ak->add_subcommand(
      "check", "Would sshd let KEY in? The accepting line and the options that apply (exit 0 yes, 2 no)");
  check->add_option("FILE", a->file, "authorized_keys file")->required();
  check->add_option("--key", a->key, "The public key offered (.pub, or -)")->required();
  check->add_option("--from", a->from, "Client address (for from= options)");
  check->add_option("--host", a->host, "Client host name for from= host patterns (sshd: only with UseDNS yes)");
  check->add_option("--at", a->at, "Time (default now; @EPOCH or YYYY-MM-DD[THH:MM[:SS]][Z])");
  check->add_flag("--json", a->json, "JSON: {allowed, line, options, rejected_lines, ...}");
  check->callback([a, rc] { *rc = RunCheck(*a); });
}

}  // namespace kw::cli
