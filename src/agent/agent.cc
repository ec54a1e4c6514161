#include "agent/agent.h"

#include <glob.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "agent/install.h"
#include "agent/verify.h"
#include "base/file.h"
#include "base/settings.h"
#include "crypto/random.h"
#include "formats/fingerprint.h"

namespace kw::agent {
namespace {

using nlohmann::json;

std::string BaseUrl(const AgentConfig& config, const Enrollment* e) {
  if (!config.server.empty()) return config.server;
  return e != nullptr ? e->server : "";
}

net::ClientOptions ClientOptionsFor(const AgentConfig& config, int wait, const net::CancelSignal* stop,
                                    std::shared_ptr<net::ConnectionPool> pool = nullptr) {
  net::ClientOptions o;
  o.ca_file = config.ca_file;
  o.timeout = std::chrono::seconds(config.timeout + wait);
  o.cancel = stop;
  o.pool = std::move(pool);
  return o;
}

// "HTTP 500: <the center's message>" for an answer that is not a success.
Status HttpError(const std::string& what, const net::ClientResponse& r) {
  std::string message = net::ServerErrorMessage(r.body);
  std::string text = what + ": HTTP " + std::to_string(r.status) + (message.empty() ? "" : ": " + message);
  if (r.status == 401) return UnauthenticatedError(text + " (the host credential was refused: enroll again)");
  if (r.status == 403) return PermissionDeniedError(text);
  return UnavailableError(text);
}

StatusOr<formats::PublicKey> ParsePinned(std::string_view line, std::string_view what) {
  line = TrimLineBreaks(line);
  auto k = formats::ParseKeyText(line);
  if (!k.ok()) return InvalidArgumentError(std::string(what) + ": " + k.status().message());
  return std::move(k->key);
}

// The host's public host keys, one line each, sorted.
std::string ReadHostKeys(const std::string& dir) {
  glob_t g{};
  std::string pattern = dir + "/ssh_host_*_key.pub";
  std::vector<std::string> lines;
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      auto text = ReadFile(g.gl_pathv[i], 64 << 10);
      if (!text.ok()) continue;
      std::string_view t = *text;
      t = TrimLineBreaks(t);
      if (!t.empty() && t.find('\n') == std::string_view::npos) lines.emplace_back(t);
    }
  }
  ::globfree(&g);
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace

LogFn StderrLog() {
  return [](std::string_view line) { std::cerr << "keyward-agent: " << line << std::endl; };
}

int64_t BackoffMillis(int failures, int min_seconds, int max_seconds, Rng& rng) {
  int64_t lo = int64_t{min_seconds} * 1000;
  int64_t hi = lo;
  for (int i = 1; i < failures && hi < int64_t{max_seconds} * 1000; ++i) hi *= 2;
  hi = std::min(hi, int64_t{max_seconds} * 1000);
  if (hi <= lo) return lo;
  return lo + static_cast<int64_t>(rng.NextU32() % static_cast<uint32_t>(hi - lo + 1));
}

StatusOr<Enrollment> Enroll(const AgentConfig& config, const EnrollOptions& options) {
  StateDir state(config.state_dir);
  if (!options.force) {
    auto existing = state.LoadEnrollment();
    if (existing.ok()) {
      return AlreadyExistsError(state.dir() + "/enrollment.json: already enrolled as host \"" + existing->host +
                                "\" (--force replaces it)");
    }
    if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  }
  std::string server = !options.server.empty() ? options.server : config.server;
  while (server.ends_with('/')) server.pop_back();
  if (server.empty()) return InvalidArgumentError("no server: give --server URL or set server in the config");
  if (options.token.empty()) return InvalidArgumentError("no enrollment token: give --token");

  net::HttpClient client(ClientOptionsFor(config, 0, nullptr));
  // The key first, checked before the token is spent.
  KW_ASSIGN_OR_RETURN(auto served, client.Send("GET", server + "/api/v1/signing-key", {}));
  if (served.status != 200) return HttpError("GET " + server + "/api/v1/signing-key", served);
  KW_ASSIGN_OR_RETURN(formats::PublicKey key, ParsePinned(served.body, "the center's signing key"));
  if (!options.signing_key_fingerprint.empty()) {
    std::string fp = formats::Fingerprint(key);
    if (fp != options.signing_key_fingerprint) {
      return UnauthenticatedError("the center's signing key is " + fp + ", not " + options.signing_key_fingerprint +
                                  ": not enrolling");
    }
  }

  KW_ASSIGN_OR_RETURN(auto r, client.Send("POST", server + "/api/v1/enroll",
                                          {{"Authorization", "Bearer " + options.token}}, ""));
  if (r.status != 200) return HttpError("POST " + server + "/api/v1/enroll", r);
  json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.value("host", json()).is_string() || !j.value("token", json()).is_string() ||
      !j.value("signing_key", json()).is_string()) {
    return DataLossError("POST " + server + "/api/v1/enroll: the answer lacks host, token or signing_key");
  }
  Enrollment e{server, j["host"].get<std::string>(), j["token"].get<std::string>(),
               j["signing_key"].get<std::string>()};
  KW_ASSIGN_OR_RETURN(formats::PublicKey given, ParsePinned(e.signing_key, "the enrollment's signing key"));
  if (!(given == key)) {
    return UnauthenticatedError("the center gave a signing key at enrollment other than the one it serves");
  }
  KW_RETURN_IF_ERROR(state.Create());
  KW_RETURN_IF_ERROR(state.SaveEnrollment(e));
  return e;
}

StatusOr<std::unique_ptr<Agent>> Agent::Open(const AgentConfig& config, const net::CancelSignal* stop, LogFn log) {
  StateDir state(config.state_dir);
  KW_ASSIGN_OR_RETURN(Enrollment e, state.LoadEnrollment());
  KW_ASSIGN_OR_RETURN(formats::PublicKey pinned,
                      ParsePinned(e.signing_key, state.dir() + "/enrollment.json: signing_key"));
  std::unique_ptr<Agent> a(new Agent(config, std::move(e), std::move(pinned), stop, std::move(log)));
  auto status = a->state_.LoadStatus();
  if (status.ok()) {
    a->status_ = std::move(*status);
  } else {
    a->log_("starting with an empty status: " + status.status().message());
  }
  KW_ASSIGN_OR_RETURN(std::optional<SignedBundle> installed, a->state_.LoadBundle());
  // bundle.json is written after the files: it is the revision installed.
  a->status_.host = a->enrollment_.host;
  a->status_.revision = installed ? installed->revision : 0;
  return a;
}

Agent::Agent(AgentConfig config, Enrollment enrollment, formats::PublicKey pinned, const net::CancelSignal* stop,
             LogFn log)
    : config_(std::move(config)),
      enrollment_(std::move(enrollment)),
      pinned_(std::move(pinned)),
      stop_(stop),
      log_(std::move(log)),
      state_(config_.state_dir) {}

std::string Agent::Url(std::string_view suffix) const {
  return BaseUrl(config_, &enrollment_) + "/api/v1/hosts/" + net::UrlEncode(enrollment_.host) + std::string(suffix);
}

// One connection kept from poll to poll (and TLS handshake, with https):
// a revision costs the center and the host one request, not a new TCP
// connection each.
net::HttpClient Agent::Client(int wait) const {
  return net::HttpClient(ClientOptionsFor(config_, wait, stop_, pool_));
}

StatusOr<Agent::Outcome> Agent::SyncOnce(int wait) {
  auto r = Exchange(wait);
  if (!r.ok()) {
    RecordError(r.status());
    return r.status();
  }
  status_.last_contact_us = NowMicros();
  status_.last_error.clear();
  if (Status s = state_.SaveStatus(status_); !s.ok()) log_("cannot write the status: " + s.message());
  // The next long poll's after= tells the center the revision applied; a
  // report is sent when the host keys are new to the center: at start, or
  // changed on disk, looked at once a minute at most (not at every install:
  // a fleet-wide change would have every host read its key files at once).
  auto now = std::chrono::steady_clock::now();
  if (!reported_keys_ || now - keys_looked_at_ >= kHostKeysInterval) {
    keys_looked_at_ = now;
    std::string keys = ReadHostKeys(config_.host_key_dir);
    if (keys != reported_keys_) {
      if (Status s = Report(keys); !s.ok()) {
        log_("report of revision " + std::to_string(status_.revision) + ": " + s.message());
      }
    }
  }
  return r;
}

StatusOr<Agent::Outcome> Agent::Exchange(int wait) {
  std::string url = Url("/bundle?wait=" + std::to_string(wait));
  if (status_.revision > 0) url += "&after=" + std::to_string(status_.revision);
  KW_ASSIGN_OR_RETURN(auto r, Client(wait).Send("GET", url, {{"Authorization", "Bearer " + enrollment_.token}}));
  if (r.status == 304) return Repair();
  if (r.status != 200) return HttpError("GET " + url, r);
  auto sb = ParseBundleResponse(r.body);
  if (!sb.ok()) return InvalidArgumentError("GET " + url + ": " + sb.status().message());
  return Apply(std::move(*sb), url);
}

StatusOr<Agent::Outcome> Agent::Apply(SignedBundle sb, const std::string& url) {
  KW_ASSIGN_OR_RETURN(StateLock lock, state_.Lock());
  // Another process (a `sync --once` beside the daemon) may have installed
  // since this one last looked.
  KW_ASSIGN_OR_RETURN(std::optional<SignedBundle> installed, state_.LoadBundle());
  status_.revision = installed ? installed->revision : 0;
  if (sb.revision < status_.revision) {
    return FailedPreconditionError("GET " + url + ": refusing revision " + std::to_string(sb.revision) +
                                   ", lower than the installed " + std::to_string(status_.revision) +
                                   " (a rollback)");
  }
  if (sb.revision == status_.revision) return RepairLocked(*installed);
  KW_ASSIGN_OR_RETURN(formats::Bundle b, VerifyBundle(sb, pinned_, enrollment_.host));
  KW_ASSIGN_OR_RETURN(InstallResult done, InstallBundle(b, config_.install_dir));
  KW_RETURN_IF_ERROR(state_.SaveBundle(sb));
  status_.revision = sb.revision;
  status_.installed_at_us = NowMicros();
  log_("installed revision " + std::to_string(sb.revision) + " (" + std::to_string(done.written) + " file" +
       (done.written == 1 ? "" : "s") + " changed)");
  return Outcome::kInstalled;
}

StatusOr<Agent::Outcome> Agent::Repair() {
  KW_ASSIGN_OR_RETURN(StateLock lock, state_.Lock());
  KW_ASSIGN_OR_RETURN(std::optional<SignedBundle> installed, state_.LoadBundle());
  if (!installed) return Outcome::kUnchanged;
  return RepairLocked(*installed);
}

StatusOr<Agent::Outcome> Agent::RepairLocked(const SignedBundle& installed) {
  status_.revision = installed.revision;
  // Checked again: bundle.json is only root's, but a file is not trusted
  // because of where it lies.
  auto b = VerifyBundle(installed, pinned_, enrollment_.host);
  if (!b.ok()) return DataLossError(state_.dir() + "/bundle.json: " + b.status().message());
  KW_ASSIGN_OR_RETURN(InstallResult done, InstallBundle(*b, config_.install_dir));
  if (done.written == 0) return Outcome::kUnchanged;
  log_("put back " + std::to_string(done.written) + " installed file" + (done.written == 1 ? "" : "s") +
       " that differed from revision " + std::to_string(installed.revision) + " (edited or removed by hand)");
  return Outcome::kInstalled;
}

Status Agent::Report(const std::string& host_keys) {
  json body{{"applied_revision", status_.revision}, {"host_keys", host_keys}};
  std::string url = Url("/report");
  KW_ASSIGN_OR_RETURN(auto r, Client(0).Send("POST", url,
                                             {{"Authorization", "Bearer " + enrollment_.token},
                                              {"Content-Type", "application/json"}},
                                             body.dump()));
  if (r.status != 204 && r.status != 200) return HttpError("POST " + url, r);
  reported_keys_ = host_keys;
  return OkStatus();
}

void Agent::RecordError(const Status& s) {
  status_.last_error = s.message();
  status_.last_error_at_us = NowMicros();
  if (Status w = state_.SaveStatus(status_); !w.ok()) log_("cannot write the status: " + w.message());
}

void Agent::Run() {
  crypto::SystemRng rng;
  int failures = 0;
  std::string last_logged;
  log_("host " + enrollment_.host + ", revision " + std::to_string(status_.revision) + " installed, polling " +
       BaseUrl(config_, &enrollment_));
  while (stop_ == nullptr || !stop_->cancelled()) {
    auto r = SyncOnce(config_.wait);
    if (stop_ != nullptr && stop_->cancelled()) break;
    if (r.ok()) {
      if (failures > 0) log_("the center answers again after " + std::to_string(failures) + " failed attempts");
      failures = 0;
      last_logged.clear();
      continue;
    }
    ++failures;
    const std::string& why = r.status().message();
    if (why == last_logged) {
      // Said already; the status file has the latest time.
    } else if (r.status().code() == StatusCode::kUnauthenticated && why.starts_with("bundle signature")) {
      log_("SECURITY: a bundle failed verification and was not installed (files kept at revision " +
           std::to_string(status_.revision) + "): " + why);
    } else {
      log_("sync failed (files kept at revision " + std::to_string(status_.revision) + "): " + why);
    }
    last_logged = why;
    std::chrono::milliseconds pause(BackoffMillis(failures, config_.backoff_min, config_.backoff_max, rng));
    if (stop_ != nullptr) {
      stop_->WaitFor(pause);
    } else {
      std::this_thread::sleep_for(pause);
    }
  }
  log_("stopped");
}

}  // namespace kw::agent
