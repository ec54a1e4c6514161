#include "agent/agent_env.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "base/file.h"

namespace kw::test {

using nlohmann::json;
using std::chrono::milliseconds;

std::string BuiltBinary(const std::string& name) {
  const char* b = std::getenv("KW_BUILD_DIR");
  return std::string(b ? b : "build") + "/bin/" + name;
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t MsSince(SteadyClock::time_point t0) {
  return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - t0).count();
}

std::optional<std::string> ReadIfExists(const std::string& path) {
  auto r = ReadFile(path);
  if (!r.ok()) return std::nullopt;
  return *r;
}

std::optional<FileInfo> Stat(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileInfo{static_cast<mode_t>(st.st_mode & 07777), st.st_uid};
}

std::string UserKey::RenderedTail() const {
  return "ssh-ed25519 " + base64 + " keyward:" + user + ":key-" + std::to_string(id) + "\n";
}

StatusOr<std::unique_ptr<AgentEnv>> AgentEnv::Create() {
  std::unique_ptr<AgentEnv> e(new AgentEnv());
  KW_ASSIGN_OR_RETURN(TempDir w, TempDir::Create("kw-agent"));
  e->work_.emplace(std::move(w));
  KW_ASSIGN_OR_RETURN(e->center_dir_, e->work_->MakeDir("center"));
  CenterOptions o;
  o.dir = e->center_dir_;
  KW_ASSIGN_OR_RETURN(e->center_, CenterProcess::Start(o));
  e->center_url_ = e->center_->url();
  e->center_port_ = std::atoi(e->center_url_.substr(e->center_url_.rfind(':') + 1).c_str());
  // A host key for the agent to report (host_key_dir).
  KW_ASSIGN_OR_RETURN(std::string hk, e->work_->MakeDir("hostkeys"));
  KW_ASSIGN_OR_RETURN(SubprocessResult r, RunSubprocess({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                                                         "kw-agent-test-host", "-f", hk + "/ssh_host_ed25519_key"}));
  if (!r.ExitedWith(0)) return InternalError("ssh-keygen (host key): " + r.Describe());
  KW_ASSIGN_OR_RETURN(std::string pub, ReadFile(hk + "/ssh_host_ed25519_key.pub"));
  size_t a = pub.find(' ');
  size_t b = pub.find(' ', a + 1);
  e->host_pub_base64_ = pub.substr(a + 1, b - a - 1);
  return e;
}

AgentEnv::~AgentEnv() {
  if (daemon_) daemon_->Stop();
  sshd_.reset();
  if (center_) center_->process().Stop();
  center_.reset();
}

void AgentEnv::KillCenter() {
  if (!center_) return;
  if (center_->process().Running()) ::kill(center_->process().pid(), SIGKILL);
  center_->process().Stop();
  center_.reset();
}

Status AgentEnv::RestartCenter() {
  center_.reset();
  CenterOptions o;
  o.dir = center_dir_;
  o.init = false;
  o.extra_config = "listen = 127.0.0.1:" + std::to_string(center_port_) + "\n";
  KW_ASSIGN_OR_RETURN(center_, CenterProcess::Start(o));
  if (center_->url() != center_url_) {
    return InternalError("keywardd came back on " + center_->url() + ", not " + center_url_);
  }
  return OkStatus();
}

Reply AgentEnv::Admin(const std::string& method, const std::string& path, const std::optional<json>& body, int want) {
  if (!center_) {
    ADD_FAILURE() << method << " " << path << ": the center is stopped";
    return Reply{};
  }
  Reply r = center_->Admin(method, path, body);
  EXPECT_EQ(r.status, want) << method << " " << path << " " << (body ? body->dump() : "") << "\n" << r.body;
  return r;
}

void AgentEnv::AddGroup(const std::string& name) { Admin("POST", "/api/v1/groups", json{{"name", name}}, 201); }

std::string AgentEnv::AddHost(const std::string& name, const std::string& group) {
  Reply r = Admin("POST", "/api/v1/hosts", json{{"name", name}, {"groups", {group}}}, 201);
  return r.json.is_object() ? r.json.value("token", "") : "";
}

void AgentEnv::AddUser(const std::string& name) {
  Admin("POST", "/api/v1/users", json{{"name", name}, {"email", name + "@example.com"}}, 201);
}

UserKey AgentEnv::AddKey(const std::string& user, const std::string& file_name) {
  UserKey k;
  k.user = user;
  k.path = work_->Path(file_name);
  auto r = RunSubprocess({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", user + "@test", "-f", k.path});
  EXPECT_TRUE(r.ok() && r->ExitedWith(0)) << (r.ok() ? r->Describe() : r.status().message());
  std::string pub = ReadIfExists(k.path + ".pub").value_or("");
  while (!pub.empty() && pub.back() == '\n') pub.pop_back();
  k.pub = pub;
  size_t a = pub.find(' ');
  size_t b = pub.find(' ', a + 1);
  if (a != std::string::npos) k.base64 = pub.substr(a + 1, b - a - 1);
  Reply reply = Admin("POST", "/api/v1/keys", json{{"user", user}, {"public_key", pub}}, 201);
  if (reply.json.is_object()) k.id = reply.json.value("id", int64_t{0});
  return k;
}

int64_t AgentEnv::AddGrant(const std::string& user, const std::string& group, const std::string& account,
                           int64_t ends_at) {
  json g = {{"user", user}, {"group", group}, {"account", account}};
  if (ends_at) g["ends_at"] = ends_at;
  Reply r = Admin("POST", "/api/v1/grants", g, 201);
  return r.json.is_object() ? r.json.value("id", int64_t{0}) : 0;
}

json AgentEnv::CenterBundle(const std::string& host) {
  Reply r = Admin("GET", "/api/v1/hosts/" + host + "/bundle", std::nullopt, 200);
  return r.json;
}

int64_t AgentEnv::CenterRevision(const std::string& host) {
  json b = CenterBundle(host);
  return b.is_object() ? b.value("revision", int64_t{-1}) : -1;
}

std::map<std::string, std::string> AgentEnv::BundleFiles(const json& answer) {
  std::map<std::string, std::string> files;
  if (!answer.is_object() || !answer.contains("bundle")) return files;
  json inner = json::parse(answer["bundle"].get<std::string>(), nullptr, false);
  if (inner.is_discarded() || !inner.contains("authorized_keys")) return files;
  for (const auto& [account, text] : inner["authorized_keys"].items()) files[account] = text.get<std::string>();
  return files;
}

Status AgentEnv::WriteConfig(const std::string& server) {
  std::string text = "# written by tests/agent\nserver = " + server + "\nstate_dir = " + state_dir() +
                     "\ninstall_dir = " + install_dir() + "\nhost_key_dir = " + work_->Path("hostkeys") +
                     "\nwait = 20\nbackoff_min = 1\nbackoff_max = 2\ntimeout = 5\n";
  return WriteFileWithMode(conf(), text, 0644);
}

SubprocessResult AgentEnv::Agent(const std::vector<std::string>& args, milliseconds timeout) {
  std::vector<std::string> argv = {BuiltBinary("keyward-agent")};
  argv.insert(argv.end(), args.begin(), args.end());
  SubprocessOptions o;
  o.timeout = timeout;
  auto r = RunSubprocess(argv, o);
  EXPECT_TRUE(r.ok()) << ShellQuote(argv) << ": " << r.status().message();
  if (!r.ok()) return SubprocessResult{};
  return *r;
}

SubprocessResult AgentEnv::Enroll(const std::string& token, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"enroll", "--config", conf(), "--token", token};
  args.insert(args.end(), extra.begin(), extra.end());
  return Agent(args);
}

Status AgentEnv::StartDaemon() {
  if (DaemonRunning()) return FailedPreconditionError("the agent is already running");
  BackgroundOptions bo;
  bo.stderr_path = work_->Path("agent.log");
  bo.stdout_path = work_->Path("agent.log");
  KW_ASSIGN_OR_RETURN(BackgroundProcess p,
                      BackgroundProcess::Start({BuiltBinary("keyward-agent"), "run", "--config", conf()}, bo));
  daemon_.emplace(std::move(p));
  return OkStatus();
}

std::string AgentEnv::StopDaemon() {
  if (!daemon_) return "";
  std::string how = daemon_->Stop(milliseconds(5000));
  daemon_.reset();
  return how;
}

void AgentEnv::KillDaemon() {
  if (!daemon_) return;
  if (daemon_->Running()) ::kill(daemon_->pid(), SIGKILL);
  daemon_->Stop();
  daemon_.reset();
}

std::string AgentEnv::DaemonLog() const { return ReadIfExists(work_->Path("agent.log")).value_or(""); }

json AgentEnv::StatusJson() const {
  auto t = ReadIfExists(state_dir() + "/status.json");
  if (!t) return nullptr;
  json j = json::parse(*t, nullptr, false);
  if (j.is_discarded()) return nullptr;
  return j;
}

int64_t AgentEnv::InstalledRevision() const {
  json s = StatusJson();
  if (!s.is_object() || !s.contains("revision") || !s["revision"].is_number_integer()) return -1;
  return s["revision"].get<int64_t>();
}

bool AgentEnv::WaitForRevision(int64_t revision, milliseconds timeout) {
  auto t0 = SteadyClock::now();
  while (SteadyClock::now() - t0 < timeout) {
    if (InstalledRevision() >= revision) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return InstalledRevision() >= revision;
}

std::optional<std::string> AgentEnv::WaitConverged(milliseconds timeout) {
  auto t0 = SteadyClock::now();
  std::string diff;
  for (;;) {
    json b = CenterBundle();
    int64_t want = b.is_object() ? b.value("revision", int64_t{-1}) : -1;
    int64_t have = InstalledRevision();
    diff.clear();
    if (have != want) diff = "status.json revision " + std::to_string(have) + ", center " + std::to_string(want);
    if (diff.empty()) {
      for (const auto& [account, text] : BundleFiles(b)) {
        auto got = Installed(account);
        if (got != text) {
          diff = "authorized_keys/" + account + " is " + (got ? "\n" + Visible(*got) : "missing") +
                 "\nthe bundle says\n" + Visible(text);
          break;
        }
      }
    }
    if (diff.empty()) return std::nullopt;
    if (SteadyClock::now() - t0 > timeout) return diff;
    std::this_thread::sleep_for(milliseconds(20));
  }
}

Status AgentEnv::StartSshd() {
  SshdOptions o;
  o.authorized_keys_file = install_dir() + "/authorized_keys/%u";
  KW_ASSIGN_OR_RETURN(sshd_, SshdServer::Start(o));
  return OkStatus();
}

std::optional<LoginResult> AgentEnv::Login(const UserKey& key, std::string* why) {
  LoginOptions lo;
  lo.timeout = milliseconds(20000);
  auto r = sshd_->TryLogin(key.path, lo);
  if (why) *why = r.ok() ? r->Describe() : r.status().message();
  if (!r.ok()) return std::nullopt;
  return std::move(*r);
}

bool AgentEnv::LoginOk(const UserKey& key, std::string* why) {
  auto r = Login(key, why);
  return r && r->ok;
}

bool AgentEnv::LoginRefused(const UserKey& key, std::string* why) {
  auto r = Login(key, why);
  return r && !r->ok && r->ssh.ExitedWith(255) &&
         r->ssh.err.find("Permission denied (publickey") != std::string::npos;
}

}  // namespace kw::test
