// keyward-agent: keeps this host's sshd files equal to what the key center
// signs for it. Thin: parse, dispatch, exit. See docs/agent.md.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "agent/agent.h"
#include "agent/install.h"
#include "formats/authorized_keys.h"

namespace {

using kw::agent::AgentConfig;

int Fail(const kw::Status& s) {
  std::cerr << "keyward-agent: " << s.message() << "\n";
  return 1;
}

// "2026-11-25T06:40:01Z (12 s ago)", or "never".
std::string When(int64_t us) {
  if (us <= 0) return "never";
  int64_t ago = (kw::agent::NowMicros() - us) / 1000000;
  return kw::formats::FormatUtcTime(us / 1000000) + " (" + std::to_string(ago) + " s ago)";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"keyward-agent: installs the signed bundles of the keyward key center on this host.", "keyward-agent"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "keyward-agent 0.1.0");
  std::string config_path = "/etc/keyward/agent.conf";
  auto add_config = [&](CLI::App* c) {
    c->add_option("--config", config_path, "configuration file")->capture_default_str();
  };
  int rc = 0;
  auto load = [&]() -> kw::StatusOr<AgentConfig> { return kw::agent::LoadAgentConfig(config_path); };

  kw::agent::EnrollOptions enroll;
  auto* enroll_cmd = app.add_subcommand("enroll", "register this host with the key center and pin its signing key");
  add_config(enroll_cmd);
  enroll_cmd->add_option("--server", enroll.server, "the key center's URL (default: the config's server)");
  enroll_cmd->add_option("--token", enroll.token, "the host's enrollment token (keyward host add prints it)")
      ->required();
  enroll_cmd->add_option("--signing-key-fingerprint", enroll.signing_key_fingerprint,
                         "SHA256:... of the center's signing key, checked before enrolling");
  enroll_cmd->add_flag("--force", enroll.force, "replace an existing enrollment");
  enroll_cmd->callback([&] {
    auto c = load();
    if (!c.ok()) return void(rc = Fail(c.status()));
    auto e = kw::agent::Enroll(*c, enroll);
    if (!e.ok()) return void(rc = Fail(e.status()));
    std::cout << "enrolled as host " << e->host << " with " << e->server << "; pinned signing key "
              << e->signing_key << "\n";
  });

  auto* run_cmd = app.add_subcommand("run", "long-poll the key center and install each new revision (the daemon)");
  add_config(run_cmd);
  run_cmd->callback([&] {
    auto c = load();
    if (!c.ok()) return void(rc = Fail(c.status()));
    static kw::net::CancelSignal stop;
    kw::net::CancelOnTerminationSignals(&stop);
    auto agent = kw::agent::Agent::Open(*c, &stop);
    if (!agent.ok()) return void(rc = Fail(agent.status()));
    (*agent)->Run();
  });

  bool once = false;
  auto* sync_cmd = app.add_subcommand(
      "sync", "fetch and install the current revision once; exit 0: unchanged, 2: installed, 1: failed");
  add_config(sync_cmd);
  sync_cmd->add_flag("--once", once, "one exchange without waiting (the only mode)")->required();
  sync_cmd->callback([&] {
    auto c = load();
    if (!c.ok()) return void(rc = Fail(c.status()));
    auto agent = kw::agent::Agent::Open(*c, nullptr);
    if (!agent.ok()) return void(rc = Fail(agent.status()));
    auto r = (*agent)->SyncOnce(0);
    if (!r.ok()) return void(rc = Fail(r.status()));
    rc = *r == kw::agent::Agent::Outcome::kInstalled ? 2 : 0;
    if (rc == 0) std::cerr << "keyward-agent: revision " << (*agent)->status().revision << " is current\n";
  });

  std::string user;
  auto* keys_cmd = app.add_subcommand(
      "authorized-keys", "print USER's installed authorized_keys from local disk (sshd's AuthorizedKeysCommand)");
  add_config(keys_cmd);
  keys_cmd->add_option("user", user, "the account sshd asks about (%u)")->required();
  keys_cmd->allow_extras();  // sshd may pass more tokens (%f %t %k); they are not needed
  keys_cmd->callback([&] {
    auto c = load();
    if (!c.ok()) return void(rc = Fail(c.status()));
    auto text = kw::agent::InstalledAuthorizedKeys(c->install_dir, user);
    if (!text.ok()) return void(rc = Fail(text.status()));
    std::fwrite(text->data(), 1, text->size(), stdout);
  });

  bool as_json = false;
  auto* status_cmd = app.add_subcommand("status", "the installed revision, its age, last contact and last error");
  add_config(status_cmd);
  status_cmd->add_flag("--json", as_json, "status.json as stored");
  status_cmd->callback([&] {
    auto c = load();
    if (!c.ok()) return void(rc = Fail(c.status()));
    kw::agent::StateDir state(c->state_dir);
    auto s = state.LoadStatus();
    if (!s.ok()) return void(rc = Fail(s.status()));
    auto e = state.LoadEnrollment();
    if (as_json) {
      nlohmann::json j = kw::agent::ToJson(*s);
      j["enrolled"] = e.ok();
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::cout << "host:         " << (e.ok() ? e->host : "(not enrolled)") << "\n"
              << "server:       " << (!c->server.empty() ? c->server : e.ok() ? e->server : "") << "\n"
              << "revision:     " << s->revision << ", installed " << When(s->installed_at_us) << "\n"
              << "last contact: " << When(s->last_contact_us) << "\n"
              << "last error:   " << (s->last_error.empty() ? "none" : s->last_error + " at " + When(s->last_error_at_us))
              << "\n";
    if (!e.ok()) rc = 1;
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 1;
  }
  return rc;
}
