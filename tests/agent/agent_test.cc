// Black-box tests of keyward-agent (docs/agent.md): the built agent, a built
// keywardd on loopback, and a real sshd and ssh judging the installed files.
// Run as root (sshd logs in as root only then; `make test` runs as root).
//
// Timings that the issue promises (revocation to refused login under 2 s)
// are asserted and printed; everything else waits with generous deadlines.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "agent/agent_env.h"
#include "agent/fake_center.h"
#include "base/file.h"

namespace kw::test {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Deadline for things the agent does "within a second" when nothing is being
// measured (slow, shared CI machines).
constexpr milliseconds kSettle{15000};
// The figure the issue asks for: a revoked key refused by sshd within this.
constexpr int64_t kMaxRefusalMs = 2000;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ContainsAny(const std::string& text, const std::vector<std::string>& words) {
  std::string l = Lower(text);
  for (const std::string& w : words)
    if (l.find(Lower(w)) != std::string::npos) return true;
  return false;
}

int CountLinesWith(const std::string& text, const std::string& word) {
  int n = 0;
  size_t pos = 0;
  std::string l = Lower(text), w = Lower(word);
  while (pos < l.size()) {
    size_t e = l.find('\n', pos);
    if (e == std::string::npos) e = l.size();
    if (l.substr(pos, e - pos).find(w) != std::string::npos) ++n;
    pos = e + 1;
  }
  return n;
}

// Every file in install_dir/authorized_keys: name -> bytes.
std::map<std::string, std::string> Snapshot(const AgentEnv& env) {
  std::map<std::string, std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(env.install_dir() + "/authorized_keys", ec)) {
    files[entry.path().filename().string()] = ReadIfExists(entry.path().string()).value_or("<unreadable>");
  }
  return files;
}

// SHA256:... of a public key file, by ssh-keygen -lf.
std::string Fingerprint(const std::string& pub_path) {
  auto r = RunSubprocess({"ssh-keygen", "-l", "-E", "sha256", "-f", pub_path});
  EXPECT_TRUE(r.ok() && r->ExitedWith(0)) << (r.ok() ? r->Describe() : r.status().message());
  if (!r.ok()) return "";
  size_t a = r->out.find(' ');
  size_t b = r->out.find(' ', a + 1);
  return r->out.substr(a + 1, b - a - 1);
}

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "the agent tests run as root (sshd logs in as root; make test runs as root)";
    ASSERT_TRUE(PathExists(BuiltBinary("keyward-agent"))) << BuiltBinary("keyward-agent") << " is not built";
    auto e = AgentEnv::Create();
    ASSERT_TRUE(e.ok()) << e.status().message();
    env_ = std::move(*e);
  }
  void TearDown() override {
    if (HasFailure() && env_) {
      std::printf("--- agent log ---\n%s\n--- end of agent log ---\n", Visible(env_->DaemonLog(), 8000).c_str());
    }
  }

  // Group prod with host web1 (its token kept in token_).
  void SeedHost() {
    env_->AddGroup("prod");
    token_ = env_->AddHost("web1", "prod");
    ASSERT_FALSE(token_.empty());
  }

  // A user with a fresh key granted `account` on prod.
  UserKey AddGrantedUser(const std::string& name, const std::string& account = "root", int64_t ends_at = 0) {
    env_->AddUser(name);
    UserKey k = env_->AddKey(name, name + "_key");
    env_->AddGrant(name, "prod", account, ends_at);
    return k;
  }

  void EnrollAgainstCenter() {
    ASSERT_TRUE(env_->WriteConfig(env_->center_url()).ok());
    SubprocessResult r = env_->Enroll(token_);
    ASSERT_TRUE(r.ExitedWith(0)) << r.Describe();
  }

  void StartDaemonAndConverge() {
    ASSERT_TRUE(env_->StartDaemon().ok());
    auto diff = env_->WaitConverged(kSettle);
    ASSERT_FALSE(diff.has_value()) << *diff << "\n" << env_->DaemonLog();
  }

  // Logs in with `key` until sshd refuses it; the time from t0 to the end of
  // the first refused attempt, or -1 after `limit`.
  int64_t MsUntilRefused(const UserKey& key, SteadyClock::time_point t0, milliseconds limit = milliseconds(15000)) {
    while (SteadyClock::now() - t0 < limit) {
      if (env_->LoginRefused(key)) return MsSince(t0);
    }
    return -1;
  }

  // Polls the installed file until `gone` is no longer in it (ms since t0, or -1).
  static int64_t MsUntilGone(const AgentEnv& env, const std::string& account, const std::string& gone,
                             SteadyClock::time_point t0, milliseconds limit = milliseconds(15000)) {
    while (SteadyClock::now() - t0 < limit) {
      auto text = env.Installed(account);
      if (text && text->find(gone) == std::string::npos) return MsSince(t0);
      std::this_thread::sleep_for(milliseconds(1));
    }
    return -1;
  }

  std::unique_ptr<AgentEnv> env_;
  std::string token_;
};

// ---------------------------------------------------------------------------
// 1. End to end: enroll, run, log in; revocation, offboarding and the end of
// a temporary grant each refuse the login within 2 s.

TEST_F(AgentTest, EndToEndRevokeOffboardAndGrantEndRefuseWithinTwoSeconds) {
  SeedHost();
  UserKey alice = AddGrantedUser("alice");
  UserKey bob = AddGrantedUser("bob");
  EnrollAgainstCenter();
  int64_t started_us = NowMicros();
  StartDaemonAndConverge();

  // What the agent installed: root's file, mode 0644, owned by root, equal to
  // the bundle; status.json says when; the center got the report.
  auto root_info = Stat(env_->InstalledPath("root"));
  ASSERT_TRUE(root_info.has_value());
  EXPECT_EQ(root_info->mode, 0644u);
  EXPECT_EQ(root_info->uid, 0u);
  json status = env_->StatusJson();
  ASSERT_TRUE(status.is_object());
  EXPECT_EQ(status.value("host", ""), "web1") << status.dump();
  int64_t installed_at = status.value("installed_at_us", int64_t{0});
  EXPECT_GE(installed_at, started_us) << status.dump();
  EXPECT_LE(installed_at, NowMicros()) << status.dump();
  SubprocessResult st = env_->Agent({"status", "--config", env_->conf(), "--json"});
  ASSERT_TRUE(st.ExitedWith(0)) << st.Describe();
  json sj = json::parse(st.out, nullptr, false);
  ASSERT_FALSE(sj.is_discarded()) << st.out;
  EXPECT_EQ(sj.value("revision", int64_t{-1}), env_->InstalledRevision()) << st.out;
  bool reported = false;
  json host;
  for (auto t0 = SteadyClock::now(); SteadyClock::now() - t0 < kSettle;) {
    host = env_->Admin("GET", "/api/v1/hosts/web1", std::nullopt, 200).json;
    if (host.is_object() && host.value("applied_revision", int64_t{-1}) == env_->InstalledRevision()) {
      reported = true;
      break;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_TRUE(reported) << "the center never got the applied revision: " << host.dump();
  EXPECT_NE(host.dump().find(env_->host_pub_base64()), std::string::npos)
      << "the host key in host_key_dir was not reported: " << host.dump();

  ASSERT_TRUE(env_->StartSshd().ok());
  std::string why;
  ASSERT_TRUE(env_->LoginOk(alice, &why)) << why << "\n" << env_->sshd().Log();
  ASSERT_TRUE(env_->LoginOk(bob, &why)) << why;

  // Revoking alice's key.
  auto t0 = SteadyClock::now();
  env_->Admin("POST", "/api/v1/keys/" + std::to_string(alice.id) + "/revoke", json{{"reason", "lost"}}, 200);
  int64_t answered = MsSince(t0);
  int64_t revoke_ms = MsUntilRefused(alice, t0);
  std::printf("revoke -> first refused login: %lld ms (the revoke call answered after %lld ms)\n",
              static_cast<long long>(revoke_ms), static_cast<long long>(answered));
  EXPECT_GE(revoke_ms, 0) << "alice's revoked key still logs in after 15 s";
  EXPECT_LT(revoke_ms, kMaxRefusalMs);
  EXPECT_TRUE(env_->LoginOk(bob, &why)) << "bob's key was lost with alice's: " << why;

  // Offboarding bob.
  t0 = SteadyClock::now();
  env_->Admin("POST", "/api/v1/users/bob/offboard", std::nullopt, 200);
  int64_t offboard_ms = MsUntilRefused(bob, t0);
  std::printf("offboard -> first refused login: %lld ms\n", static_cast<long long>(offboard_ms));
  EXPECT_GE(offboard_ms, 0) << "offboarded bob still logs in after 15 s";
  EXPECT_LT(offboard_ms, kMaxRefusalMs);
  // root's file is now empty, not missing (sshd then finds no key).
  EXPECT_EQ(env_->Installed("root"), std::optional<std::string>("")) << "root's file after everyone left it";

  // A temporary grant for carol, ending a few seconds from now.
  int64_t ends_at = NowSeconds() + 10;
  // The steady clock's reading at the end time.
  auto end_point = SteadyClock::now() + std::chrono::microseconds(ends_at * 1000000 - NowMicros());
  UserKey carol = AddGrantedUser("carol", "root", ends_at);
  int64_t rev = env_->CenterRevision();
  ASSERT_TRUE(env_->WaitForRevision(rev, kSettle));
  ASSERT_NE(env_->Installed("root").value_or("").find(carol.base64), std::string::npos);
  ASSERT_LT(SteadyClock::now(), end_point - milliseconds(2000)) << "too slow to log in before the grant ends";
  ASSERT_TRUE(env_->LoginOk(carol, &why)) << why;
  std::atomic<int64_t> gone_ms{-2};
  std::thread watch([&] { gone_ms = MsUntilGone(*env_, "root", carol.base64, end_point, milliseconds(20000)); });
  // Logins (about 0.8 s each) until shortly before the end, then none in
  // flight at the end itself. The first refused one after the end measures
  // sshd's own expiry-time check or the agent's removal of the line,
  // whichever comes first; gone_ms below measures the agent alone.
  bool early_refusal = false;
  while (SteadyClock::now() < end_point - milliseconds(3000) && !early_refusal) {
    early_refusal = !env_->LoginOk(carol, &why);
  }
  EXPECT_FALSE(early_refusal) << "carol was refused before her grant ended: " << why;
  std::this_thread::sleep_until(end_point);
  int64_t end_ms = -1;
  while (SteadyClock::now() - end_point < seconds(15)) {
    if (env_->LoginRefused(carol)) {
      end_ms = MsSince(end_point);
      break;
    }
  }
  watch.join();
  std::printf("grant end -> first refused login: %lld ms; -> carol's line gone from the installed file: %lld ms\n",
              static_cast<long long>(end_ms), static_cast<long long>(gone_ms.load()));
  EXPECT_GE(end_ms, 0) << "carol still logs in 15 s after her grant ended";
  EXPECT_LT(end_ms, kMaxRefusalMs);
  // sshd refuses by the line's expiry-time alone; the agent must also remove
  // the line (the sweeper deletes the ended grant, a new revision).
  EXPECT_GE(gone_ms.load(), 0) << "-1: carol's line is still installed 20 s after her grant ended; "
                                   "below -1: it went before the end";
  EXPECT_LT(gone_ms.load(), kMaxRefusalMs);

  // SIGTERM stops the daemon cleanly, even in the middle of a long poll.
  auto stop_t0 = SteadyClock::now();
  std::string how = env_->StopDaemon();
  EXPECT_TRUE(how == "exit 0" || how == "killed by signal 15") << how;
  EXPECT_LT(MsSince(stop_t0), 3000) << "SIGTERM took " << MsSince(stop_t0) << " ms: " << how;
}

// ---------------------------------------------------------------------------
// 2. Enrollment: the admin's token stops working once exchanged; a wrong
// signing key fingerprint enrolls nothing.

TEST_F(AgentTest, EnrollmentExchangesTheTokenAndChecksTheSigningKey) {
  SeedHost();
  AddGrantedUser("alice");
  ASSERT_TRUE(env_->WriteConfig(env_->center_url()).ok());
  std::string enrollment = env_->state_dir() + "/enrollment.json";

  // A token nobody issued: refused, nothing written.
  SubprocessResult bogus = env_->Enroll("kw_" + std::string(43, 'A'));
  EXPECT_EQ(bogus.exit_code, 1) << bogus.Describe();
  EXPECT_FALSE(PathExists(enrollment));

  // The fingerprint of some other key: refused, nothing written.
  auto other_key =
      RunSubprocess({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", env_->work().Path("not_the_center")});
  ASSERT_TRUE(other_key.ok() && other_key->ExitedWith(0));
  std::string wrong = Fingerprint(env_->work().Path("not_the_center.pub"));
  ASSERT_EQ(wrong.rfind("SHA256:", 0), 0u) << wrong;
  SubprocessResult refused = env_->Enroll(token_, {"--signing-key-fingerprint", wrong});
  EXPECT_FALSE(refused.ExitedWith(0)) << refused.Describe();
  EXPECT_EQ(refused.term_signal, 0) << refused.Describe();
  EXPECT_TRUE(ContainsAny(refused.err, {"fingerprint", wrong})) << "the error does not name the cause:\n"
                                                                 << refused.Describe();
  EXPECT_FALSE(PathExists(enrollment)) << "a refused enrollment left " << enrollment;
  // The agent checks the key before it spends the token: the token still
  // works, so the admin need not issue a new one (and an impostor that
  // answered with its own key never saw it).
  EXPECT_EQ(env_->center().Call("GET", "/api/v1/hosts/web1/bundle", token_).status, 200)
      << "the enrollment token was used up by an enrollment that was refused";

  // The right fingerprint (the center's signing key).
  std::string right = Fingerprint(env_->work().Path("center/signing_key.pub"));
  SubprocessResult ok = env_->Enroll(token_, {"--signing-key-fingerprint", right});
  ASSERT_TRUE(ok.ExitedWith(0)) << ok.Describe();
  auto info = Stat(enrollment);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->mode, 0600u);
  EXPECT_EQ(Stat(env_->state_dir()).value_or(FileInfo{}).mode, 0700u);
  std::string enrolled = ReadIfExists(enrollment).value_or("");
  EXPECT_EQ(enrolled.find(token_), std::string::npos) << "the admin's token is stored, not a new one";

  // The token the admin saw is dead.
  EXPECT_EQ(env_->center().Call("GET", "/api/v1/hosts/web1/bundle", token_).status, 401);
  EXPECT_EQ(env_->center().Call("POST", "/api/v1/enroll", token_).status, 401);

  // The agent works with its own credential.
  SubprocessResult first = env_->SyncOnce();
  EXPECT_TRUE(first.ExitedWith(2)) << first.Describe();
  EXPECT_FALSE(env_->WaitConverged(milliseconds(0)).has_value());
  SubprocessResult again = env_->SyncOnce();
  EXPECT_TRUE(again.ExitedWith(0)) << again.Describe();
  env_->AddUser("bob");
  UserKey bob = env_->AddKey("bob", "bob_key");
  env_->AddGrant("bob", "prod", "root");
  SubprocessResult changed = env_->SyncOnce();
  EXPECT_TRUE(changed.ExitedWith(2)) << changed.Describe();
  EXPECT_NE(env_->Installed("root").value_or("").find(bob.base64), std::string::npos);
  EXPECT_EQ(Stat(env_->state_dir() + "/bundle.json").value_or(FileInfo{}).mode, 0600u);
  EXPECT_EQ(Stat(env_->state_dir() + "/status.json").value_or(FileInfo{}).mode, 0644u);

  // Enrolling over an enrollment is refused without --force and changes nothing.
  std::string rotated = env_->Admin("POST", "/api/v1/hosts/web1/token", std::nullopt, 200).json.value("token", "");
  ASSERT_FALSE(rotated.empty());
  SubprocessResult twice = env_->Enroll(rotated);
  EXPECT_FALSE(twice.ExitedWith(0)) << twice.Describe();
  EXPECT_EQ(ReadIfExists(enrollment).value_or(""), enrolled);
  EXPECT_EQ(env_->center().Call("GET", "/api/v1/hosts/web1/bundle", rotated).status, 200)
      << "a refused re-enrollment used up the token";
  SubprocessResult forced = env_->Enroll(rotated, {"--force"});
  EXPECT_TRUE(forced.ExitedWith(0)) << forced.Describe();
  EXPECT_NE(ReadIfExists(enrollment).value_or(""), enrolled);
  EXPECT_EQ(env_->center().Call("GET", "/api/v1/hosts/web1/bundle", rotated).status, 401);
}

// ---------------------------------------------------------------------------
// 3. Atomicity.

// Reads the installed files in a loop: root's file must always be there,
// complete, and hold the key granted in every revision; a file that has
// appeared never disappears; status.json always parses.
class FileWatcher {
 public:
  FileWatcher(const AgentEnv& env, std::string always) : env_(env), always_(std::move(always)) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~FileWatcher() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int reads() const { return reads_; }
  int changes() const { return changes_; }
  size_t revisions_seen() const { return revisions_.size(); }
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  void Problem(std::string p) {
    if (problems_.size() < 20) problems_.push_back(std::move(p));
  }
  void Check(const std::string& account, const std::optional<std::string>& text, bool must_exist) {
    static const std::regex line(
        R"(^(\S+ )?ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} keyward:[a-z0-9_.-]+:key-[0-9]+$)");
    if (!text) {
      if (must_exist) Problem(account + ": missing");
      return;
    }
    if (!text->empty() && text->back() != '\n') Problem(account + ": no final newline (partial?):\n" + Visible(*text));
    size_t pos = 0;
    while (pos < text->size()) {
      size_t e = text->find('\n', pos);
      if (e == std::string::npos) e = text->size();
      std::string l = text->substr(pos, e - pos);
      if (!std::regex_match(l, line)) Problem(account + ": a line that is not a rendered key: " + Visible(l));
      pos = e + 1;
    }
  }
  void Loop() {
    bool deploy_seen = false;
    std::string last;
    while (!stop_) {
      ++reads_;
      auto root = env_.Installed("root");
      Check("root", root, true);
      if (root && root->find(always_) == std::string::npos) {
        Problem("root: the always-granted key is not in:\n" + Visible(*root));
      }
      if (root && *root != last) {
        ++changes_;
        last = *root;
      }
      auto deploy = env_.Installed("deploy");
      if (deploy) deploy_seen = true;
      Check("deploy", deploy, deploy_seen);
      json s = env_.StatusJson();
      if (!s.is_object()) {
        Problem("status.json missing or not JSON");
      } else if (s.contains("revision") && s["revision"].is_number_integer()) {
        revisions_.insert(s["revision"].get<int64_t>());
      }
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
  }
  const AgentEnv& env_;
  std::string always_;
  std::atomic<bool> stop_{false};
  int reads_ = 0, changes_ = 0;
  std::set<int64_t> revisions_;
  std::vector<std::string> problems_;
  std::thread thread_;
};

// Changes web1's bundle over and over without touching the always-granted
// key: bob gets root and deploy, then loses both (deploy then leaves the
// bundle: its file must become empty, not vanish).
class Churn {
 public:
  // At most `max_revisions`, with `pause` after each change.
  Churn(CenterProcess& center, int max_revisions, milliseconds pause = milliseconds(0))
      : center_(center), max_(max_revisions), pause_(pause) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~Churn() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  int revisions() const { return revisions_; }
  bool failed() const { return failed_; }
  // Why it stopped early; read only after Join() or Stop().
  const std::string& error() const { return error_; }

 private:
  bool Do(const std::string& method, const std::string& path, const std::optional<json>& body, int want,
          int64_t* id = nullptr) {
    Reply r = center_.Admin(method, path, body);
    if (r.status != want) {
      error_ = method + " " + path + ": " + std::to_string(r.status) + " " + r.body;
      failed_ = true;
      return false;
    }
    if (id) *id = r.json.value("id", int64_t{0});
    ++revisions_;
    if (pause_.count() > 0) std::this_thread::sleep_for(pause_);
    return true;
  }
  void Loop() {
    while (!stop_ && revisions_ < max_) {
      int64_t g1 = 0, g2 = 0;
      const json root = {{"user", "bob"}, {"group", "prod"}, {"account", "root"}};
      const json deploy = {{"user", "bob"}, {"group", "prod"}, {"account", "deploy"}};
      if (!Do("POST", "/api/v1/grants", root, 201, &g1)) return;
      if (!Do("POST", "/api/v1/grants", deploy, 201, &g2)) return;
      if (!Do("DELETE", "/api/v1/grants/" + std::to_string(g1), std::nullopt, 204)) return;
      if (!Do("DELETE", "/api/v1/grants/" + std::to_string(g2), std::nullopt, 204)) return;
    }
  }
  CenterProcess& center_;
  int max_;
  milliseconds pause_;
  std::atomic<bool> stop_{false};
  std::atomic<int> revisions_{0};
  std::atomic<bool> failed_{false};
  std::string error_;
  std::thread thread_;
};

TEST_F(AgentTest, LoginsAndReadersNeverSeeAPartialFileWhileRevisionsInstall) {
  SeedHost();
  UserKey alice = AddGrantedUser("alice");
  env_->AddUser("bob");
  env_->AddKey("bob", "bob_key");
  EnrollAgainstCenter();
  StartDaemonAndConverge();
  ASSERT_TRUE(env_->StartSshd().ok());
  std::string why;
  ASSERT_TRUE(env_->LoginOk(alice, &why)) << why;
  int64_t rev0 = env_->InstalledRevision();

  FileWatcher watcher(*env_, alice.RenderedTail());
  // Paced so that the installs are spread over the logins (a login takes
  // about 0.8 s here, most of it sshd closing the session).
  Churn churn(env_->center(), 400, milliseconds(15));
  int logins = 0;
  std::vector<std::string> failed;
  auto t0 = SteadyClock::now();
  while ((churn.revisions() < 400 || logins < 10) && !churn.failed() &&
         SteadyClock::now() - t0 < seconds(120)) {
    ++logins;
    if (!env_->LoginOk(alice, &why) && failed.size() < 5) failed.push_back(why);
  }
  churn.Join();
  int64_t churn_ms = MsSince(t0);
  ASSERT_TRUE(churn.error().empty()) << churn.error();
  auto diff = env_->WaitConverged(kSettle);
  watcher.Stop();
  std::printf("%d revisions in %lld ms; the agent installed %zu distinct revisions (root's file changed %d times); "
              "%d logins, %zu failed; %d reads of the files\n",
              churn.revisions(), static_cast<long long>(churn_ms), watcher.revisions_seen(), watcher.changes(), logins,
              failed.size(), watcher.reads());
  EXPECT_FALSE(diff.has_value()) << *diff;
  EXPECT_EQ(churn.revisions(), 400);
  EXPECT_TRUE(failed.empty()) << "a login with the always-granted key failed:\n" << failed.front();
  EXPECT_GE(logins, 10);
  EXPECT_TRUE(watcher.problems().empty()) << watcher.problems().front();
  // The agent really was installing while we logged in and read.
  EXPECT_GE(watcher.changes(), 20) << "too few installs were observed to prove anything";
  EXPECT_GT(env_->InstalledRevision(), rev0);
  // deploy left the bundle at the end: an empty file, not a missing one.
  EXPECT_EQ(env_->Installed("deploy"), std::optional<std::string>(""));
}

TEST_F(AgentTest, SigkillDuringInstallsNeverLeavesAPartialFileAndARestartConverges) {
  SeedHost();
  UserKey alice = AddGrantedUser("alice");
  env_->AddUser("bob");
  env_->AddKey("bob", "bob_key");
  EnrollAgainstCenter();
  StartDaemonAndConverge();
  env_->KillDaemon();

  const unsigned seed = 20251125;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pause_ms(30, 500);
  FileWatcher watcher(*env_, alice.RenderedTail());
  Churn churn(env_->center(), 1 << 30);
  int kills = 0;
  int64_t before = env_->InstalledRevision();
  for (int i = 0; i < 15 && !churn.failed(); ++i) {
    ASSERT_TRUE(env_->StartDaemon().ok());
    std::this_thread::sleep_for(milliseconds(pause_ms(rng)));
    ASSERT_TRUE(env_->DaemonRunning()) << "the agent died by itself:\n" << env_->DaemonLog();
    env_->KillDaemon();
    ++kills;
  }
  churn.Stop();
  ASSERT_TRUE(churn.error().empty()) << churn.error();
  int64_t killed_at = env_->InstalledRevision();
  ASSERT_TRUE(env_->StartDaemon().ok());
  auto diff = env_->WaitConverged(kSettle);
  watcher.Stop();
  std::set<std::string> accounts;
  for (const auto& [account, text] : AgentEnv::BundleFiles(env_->CenterBundle())) accounts.insert(account);
  std::string strays;
  for (const auto& [name, text] : Snapshot(*env_))
    if (name != "root" && name != "deploy") strays += " " + name;
  std::printf("seed %u: %d SIGKILLs during %d revisions; installed revision %lld before, %lld after the kills; "
              "%zu distinct revisions seen; files other than root and deploy left in authorized_keys/:%s\n",
              seed, kills, churn.revisions(), static_cast<long long>(before), static_cast<long long>(killed_at),
              watcher.revisions_seen(), strays.empty() ? " none" : strays.c_str());
  EXPECT_FALSE(diff.has_value()) << "the restarted agent did not converge: " << *diff;
  EXPECT_TRUE(watcher.problems().empty()) << watcher.problems().front();
  EXPECT_GT(killed_at, before) << "no install happened between the kills; the test proved nothing";
  // The restarted agent also says so in status.json and to the center.
  EXPECT_EQ(env_->InstalledRevision(), env_->CenterRevision());
}

// ---------------------------------------------------------------------------
// 4. Failures keep the last good files.

TEST_F(AgentTest, CenterDownKeepsTheFilesAndTheAgentRecoversByItself) {
  SeedHost();
  UserKey alice = AddGrantedUser("alice");
  UserKey bob = AddGrantedUser("bob");
  EnrollAgainstCenter();
  StartDaemonAndConverge();
  ASSERT_TRUE(env_->StartSshd().ok());
  auto files = Snapshot(*env_);
  int64_t rev = env_->InstalledRevision();

  size_t log_before = env_->DaemonLog().size();
  env_->KillCenter();
  auto down = SteadyClock::now();
  int logins = 0;
  std::string why;
  while (SteadyClock::now() - down < seconds(5)) {
    ++logins;
    ASSERT_TRUE(env_->LoginOk(alice, &why)) << "a login failed with the center down: " << why;
  }
  SubprocessResult once = env_->SyncOnce();
  EXPECT_TRUE(once.ExitedWith(1)) << once.Describe();
  EXPECT_TRUE(ContainsAny(once.err, {"connect", "refused", "unreachable", "unavailable"}))
      << "sync --once does not say why:\n" << once.Describe();
  EXPECT_EQ(Snapshot(*env_), files);
  EXPECT_EQ(env_->InstalledRevision(), rev);
  std::string outage_log = env_->DaemonLog().substr(log_before);
  int lines = CountLinesWith(outage_log, "");
  std::printf("%d logins during a 5 s outage; the daemon logged %d lines:\n%s", logins, lines, outage_log.c_str());
  EXPECT_GE(lines, 1) << "the daemon logged nothing while the center was down";
  EXPECT_LE(lines, 3) << "each distinct failure is to be logged once, not at every retry";
  EXPECT_TRUE(env_->DaemonRunning()) << "the agent exited while the center was down";

  // The center comes back on the same port and store; the agent picks up a
  // change without being restarted.
  ASSERT_TRUE(env_->RestartCenter().ok());
  env_->Admin("POST", "/api/v1/keys/" + std::to_string(bob.id) + "/revoke", std::nullopt, 200);
  auto t0 = SteadyClock::now();
  auto diff = env_->WaitConverged(seconds(20));
  std::printf("the agent converged %lld ms after the change made once the center was back\n",
              static_cast<long long>(MsSince(t0)));
  EXPECT_FALSE(diff.has_value()) << *diff;
  EXPECT_TRUE(env_->LoginRefused(bob, &why)) << "bob's revoked key is not refused: " << why;
  EXPECT_TRUE(env_->LoginOk(alice, &why)) << why;
  json s = env_->StatusJson();
  EXPECT_TRUE(s.value("last_error", json()).is_null() || s.value("last_error", json()) == "")
      << "status.json keeps an error after recovering: " << s.dump();
}

// The agent talks to a FakeCenter that forwards to the real center, except
// for web1's bundle while the test has armed a bad answer. Set-up: revision
// R1 then R2 installed (sync --once), R3 made but not installed; kept are
// the real answers for R1 and R3, web2's (validly signed) bundle, and bad
// copies of R3.
class BehindFakeTest : public AgentTest {
 protected:
  void SetUp() override {
    AgentTest::SetUp();
    if (HasFatalFailure()) return;
    SeedHost();
    alice_ = AddGrantedUser("alice");
    env_->AddHost("web2", "prod");
    auto fake = FakeCenter::Start(env_->center_url());
    ASSERT_TRUE(fake.ok()) << fake.status().message();
    fake_ = std::move(*fake);
    ASSERT_TRUE(env_->WriteConfig(fake_->url()).ok());
    SubprocessResult enrolled = env_->Enroll(token_);
    ASSERT_TRUE(enrolled.ExitedWith(0)) << enrolled.Describe();
    SubprocessResult first = env_->SyncOnce();
    ASSERT_TRUE(first.ExitedWith(2)) << first.Describe();
    b1_ = env_->CenterBundle();
    bob_ = AddGrantedUser("bob");
    SubprocessResult second = env_->SyncOnce();
    ASSERT_TRUE(second.ExitedWith(2)) << second.Describe();
    ASSERT_FALSE(env_->WaitConverged(milliseconds(0)).has_value());
    carol_ = AddGrantedUser("carol");
    b3_ = env_->CenterBundle();
    web2_ = env_->CenterBundle("web2");
    ASSERT_GT(b3_.value("revision", 0), env_->InstalledRevision());
    ASSERT_GE(web2_.value("revision", 0), b3_.value("revision", 0));

    // R3 with one base64 character of the signature changed (in the last
    // line of the armour: the signature's own bytes).
    bad_sig_ = b3_;
    std::string sig = b3_["signature"];
    size_t end = sig.find("-----END");
    ASSERT_NE(end, std::string::npos) << sig;
    size_t at = sig.rfind('\n', end - 2) - 10;
    sig[at] = sig[at] == 'A' ? 'B' : 'A';
    bad_sig_["signature"] = sig;
    // R3's signature over a bundle that also lets mallory (an unregistered
    // key) in as root.
    auto mk = RunSubprocess({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", env_->work().Path("mallory")});
    ASSERT_TRUE(mk.ok() && mk->ExitedWith(0));
    mallory_pub_ = ReadIfExists(env_->work().Path("mallory.pub")).value_or("");
    tampered_ = b3_;
    json inner = json::parse(b3_["bundle"].get<std::string>());
    inner["authorized_keys"]["root"] = inner["authorized_keys"]["root"].get<std::string>() + mallory_pub_;
    tampered_["bundle"] = inner.dump() + "\n";

    files_ = Snapshot(*env_);
    bundle_json_ = ReadIfExists(env_->state_dir() + "/bundle.json").value_or("");
    ASSERT_FALSE(bundle_json_.empty());
    status_ = env_->StatusJson();
  }
  void TearDown() override {
    if (env_) env_->StopDaemon();  // before the fake goes
    fake_.reset();
    AgentTest::TearDown();
  }

  static CannedResponse BundleReply(const json& answer) {
    CannedResponse c;
    c.body = answer.dump();
    c.headers = {{"Content-Type", "application/json"},
                 {"ETag", "\"" + std::to_string(answer.value("revision", 0)) + "\""}};
    return c;
  }
  // Answers web1's bundle requests with `reply`; forwards the rest.
  void Arm(const CannedResponse& reply) {
    fake_->SetHandler([reply](const FakeRequest& r) -> std::optional<CannedResponse> {
      if (r.method == "GET" && r.target.rfind("/api/v1/hosts/web1/bundle", 0) == 0) return reply;
      return std::nullopt;
    });
  }
  // Nothing the agent installed or recorded has moved.
  void ExpectUnchanged() {
    EXPECT_EQ(Snapshot(*env_), files_);
    EXPECT_EQ(ReadIfExists(env_->state_dir() + "/bundle.json").value_or(""), bundle_json_);
    json now = env_->StatusJson();
    EXPECT_EQ(now.value("revision", int64_t{-1}), status_.value("revision", int64_t{-2}));
    EXPECT_EQ(now.value("installed_at_us", int64_t{-1}), status_.value("installed_at_us", int64_t{-2}));
  }

  std::unique_ptr<FakeCenter> fake_;
  UserKey alice_, bob_, carol_;
  json b1_, b3_, web2_, bad_sig_, tampered_, status_;
  std::string mallory_pub_, bundle_json_;
  std::map<std::string, std::string> files_;
};

TEST_F(BehindFakeTest, BadAnswersAreRefusedAndTheLastGoodFilesStay) {
  struct Case {
    std::string name;
    CannedResponse reply;
    std::vector<std::string> cause;  // sync's stderr must name one of these
  };
  std::vector<Case> cases;
  json unsigned_bundle = b3_;
  unsigned_bundle.erase("signature");
  std::string b3_text = b3_.dump();
  cases.push_back({"an older revision (validly signed)", BundleReply(b1_), {"revision"}});
  cases.push_back({"a broken signature", BundleReply(bad_sig_), {"signature"}});
  cases.push_back({"a bundle changed after signing", BundleReply(tampered_), {"signature"}});
  cases.push_back({"no signature", BundleReply(unsigned_bundle), {"signature"}});
  cases.push_back({"another host's bundle (validly signed)", BundleReply(web2_), {"web2"}});
  {
    CannedResponse c;
    c.status = 500;
    c.body = R"({"error": {"code": "internal", "message": "boom"}})";
    c.headers = {{"Content-Type", "application/json"}};
    cases.push_back({"a 500", c, {"500", "boom", "internal"}});
  }
  {
    CannedResponse c = BundleReply(b3_);
    c.send_only = b3_text.size() / 2;
    cases.push_back({"a body cut short (the connection closes early)", c,
                     {"partial", "truncat", "incomplete", "short", "closed", "transfer"}});
  }
  {
    CannedResponse c = BundleReply(b3_);
    c.body = b3_text.substr(0, b3_text.size() / 2);
    cases.push_back({"half a JSON document (well framed)", c, {"json", "parse", "syntax", "unexpected", "end of"}});
  }
  {
    CannedResponse c;
    c.body = "<html>maintenance</html>";
    c.headers = {{"Content-Type", "text/html"}};
    cases.push_back({"not JSON at all", c, {"json", "parse", "syntax", "unexpected", "invalid"}});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    int canned = fake_->canned_count();
    Arm(c.reply);
    SubprocessResult r = env_->SyncOnce();
    fake_->SetHandler(nullptr);
    EXPECT_GT(fake_->canned_count(), canned) << "the agent never asked for the bundle";
    std::printf("%s -> %s: %s", c.name.c_str(), r.DescribeStatus().c_str(), r.err.c_str());
    EXPECT_TRUE(r.ExitedWith(1)) << r.Describe();
    EXPECT_TRUE(ContainsAny(r.err, c.cause)) << "stderr does not name the cause:\n" << r.Describe();
    ExpectUnchanged();
  }
  // The honest answer is installed.
  SubprocessResult good = env_->SyncOnce();
  EXPECT_TRUE(good.ExitedWith(2)) << good.Describe();
  EXPECT_FALSE(env_->WaitConverged(milliseconds(0)).has_value());
  EXPECT_NE(env_->Installed("root").value_or("").find(carol_.base64), std::string::npos);
}

// Bundles signed by the test itself with `ssh-keygen -Y sign`: with the
// center's own signing key (so only the agent's checks of the content stand
// in the way) or with another key.
TEST_F(BehindFakeTest, SignedBundlesAreCheckedForKeyNamespaceAndContent) {
  const std::string center_key = env_->work().Path("center/signing_key");
  const std::string other_key = env_->work().Path("mallory");
  int64_t r3 = b3_.value("revision", int64_t{0});
  auto files3 = AgentEnv::BundleFiles(b3_);
  // The canonical encoding (docs/center.md): sorted keys, no blanks, one final newline.
  auto encode = [](const json& inner) { return inner.dump() + "\n"; };
  json good_inner = {{"authorized_keys", files3}, {"format", "keyward-bundle-1"}, {"host", "web1"}, {"revision", r3}};
  ASSERT_EQ(encode(good_inner), b3_["bundle"].get<std::string>()) << "the test's encoding is not the center's";
  int n = 0;
  auto sign = [&](const std::string& text, const std::string& key, const std::string& ns) {
    std::string path = env_->work().Path("crafted" + std::to_string(++n));
    EXPECT_TRUE(WriteFileWithMode(path, text, 0600).ok());
    auto r = RunSubprocess({"ssh-keygen", "-q", "-Y", "sign", "-f", key, "-n", ns, path});
    EXPECT_TRUE(r.ok() && r->ExitedWith(0)) << (r.ok() ? r->Describe() : r.status().message());
    json answer = {{"revision", r3}, {"bundle", text}, {"signature", ReadIfExists(path + ".sig").value_or("")}};
    return answer;
  };

  json escape = good_inner;
  escape["authorized_keys"]["../escape"] = mallory_pub_;
  json future_format = good_inner;
  future_format["format"] = "keyward-bundle-2";
  json extra_field = good_inner;
  extra_field["also"] = "this";
  struct Case {
    std::string name;
    json answer;
    std::vector<std::string> cause;
  };
  std::vector<Case> cases = {
      {"signed by another key", sign(encode(good_inner), other_key, "keyward-bundle"), {"signature"}},
      {"signed for another namespace", sign(encode(good_inner), center_key, "file"), {"namespace", "signature"}},
      {"an account name that leaves the directory", sign(encode(escape), center_key, "keyward-bundle"),
       {"account", "../escape"}},
      {"a format this agent does not know", sign(encode(future_format), center_key, "keyward-bundle"),
       {"format", "keyward-bundle-2"}},
      {"an unknown field", sign(encode(extra_field), center_key, "keyward-bundle"), {"also", "unknown"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Arm(BundleReply(c.answer));
    SubprocessResult r = env_->SyncOnce();
    fake_->SetHandler(nullptr);
    std::printf("%s -> %s: %s", c.name.c_str(), r.DescribeStatus().c_str(), r.err.c_str());
    EXPECT_TRUE(r.ExitedWith(1)) << r.Describe();
    EXPECT_TRUE(ContainsAny(r.err, c.cause)) << "stderr does not name the cause:\n" << r.Describe();
    ExpectUnchanged();
    EXPECT_FALSE(PathExists(env_->install_dir() + "/escape"));
    EXPECT_FALSE(PathExists(env_->work().Path("escape")));
  }
  // The control: the same bundle, signed by the center's key for the right
  // namespace, is installed (so the refusals above were about what changed).
  Arm(BundleReply(sign(encode(good_inner), center_key, "keyward-bundle")));
  SubprocessResult r = env_->SyncOnce();
  fake_->SetHandler(nullptr);
  EXPECT_TRUE(r.ExitedWith(2)) << r.Describe();
  EXPECT_EQ(env_->InstalledRevision(), r3);
  EXPECT_EQ(env_->Installed("root"), std::optional<std::string>(files3["root"]));
}

// The daemon against a bundle with a broken signature: it keeps the files,
// retries with backoff, and (docs/agent.md) logs each distinct failure once,
// not at every retry; it installs by itself once the answers are honest.
TEST_F(BehindFakeTest, DaemonKeepsTheFilesOnABadSignatureLogsItOnceAndRecovers) {
  Arm(BundleReply(bad_sig_));
  int canned = fake_->canned_count();
  ASSERT_TRUE(env_->StartDaemon().ok());
  std::this_thread::sleep_for(seconds(6));
  int attempts = fake_->canned_count() - canned;
  std::string log = env_->DaemonLog();
  ExpectUnchanged();
  EXPECT_TRUE(env_->DaemonRunning());
  EXPECT_GE(attempts, 2) << "the daemon did not retry";
  int mentions = CountLinesWith(log, "signature");
  EXPECT_GE(mentions, 1) << log;
  EXPECT_EQ(mentions, 1) << "the same failure was logged at each of " << attempts << " attempts:\n" << log;

  fake_->SetHandler(nullptr);
  auto diff = env_->WaitConverged(seconds(20));
  EXPECT_FALSE(diff.has_value()) << *diff;
  EXPECT_NE(env_->Installed("root").value_or("").find(carol_.base64), std::string::npos);
  EXPECT_EQ(env_->Installed("root").value_or("").find(mallory_pub_), std::string::npos);
}

// An admin runs `sync --once` while the daemon runs, and its answer is slow
// (here: held by the fake until the daemon has installed R4, then R3,
// validly signed). Meanwhile the center
// revokes bob (R4) and the daemon installs that. The late R3 must not be
// installed over R4: that would bring bob's revoked key back until the next
// change.
TEST_F(BehindFakeTest, ASlowConcurrentSyncNeverRollsBackWhatTheDaemonInstalled) {
  ASSERT_TRUE(env_->StartSshd().ok());
  env_->Admin("POST", "/api/v1/keys/" + std::to_string(bob_.id) + "/revoke", std::nullopt, 200);
  int64_t r4 = env_->CenterRevision();
  auto held = std::make_shared<std::atomic<bool>>(false);
  CannedResponse late = BundleReply(b3_);
  AgentEnv* env = env_.get();
  fake_->SetHandler([held, late, env, r4](const FakeRequest& r) -> std::optional<CannedResponse> {
    if (r.method != "GET" || r.target.rfind("/api/v1/hosts/web1/bundle", 0) != 0) return std::nullopt;
    if (r.target.find("wait=0") == std::string::npos || held->exchange(true)) return std::nullopt;
    // Held until the daemon has installed R4 (or the test gives up).
    for (auto t0 = SteadyClock::now(); env->InstalledRevision() < r4 && SteadyClock::now() - t0 < kSettle;) {
      std::this_thread::sleep_for(milliseconds(20));
    }
    return late;
  });
  SubprocessResult slow;
  std::thread admin([&] { slow = env_->SyncOnce(); });
  for (auto t0 = SteadyClock::now(); !held->load() && SteadyClock::now() - t0 < kSettle;) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(held->load()) << "the slow sync's request never arrived";
  bool daemon_done = env_->StartDaemon().ok() && env_->WaitForRevision(r4, kSettle);
  admin.join();
  EXPECT_TRUE(slow.ExitedWith(1)) << "the late R3 was not refused: " << slow.Describe();
  EXPECT_TRUE(daemon_done) << "the daemon never installed R4";
  auto diff = env_->WaitConverged(seconds(2));
  EXPECT_FALSE(diff.has_value()) << "after the slow sync: " << *diff;
  EXPECT_EQ(env_->Installed("root").value_or("").find(bob_.base64), std::string::npos)
      << "bob's revoked key is installed again";
  std::string why;
  EXPECT_TRUE(env_->LoginRefused(bob_, &why)) << "bob's revoked key is not refused: " << why;
}

// The daemon, stuck in backoff at R2, while an admin's `sync --once`
// installs R3: its next poll (after=R2) gets R3, equal to what is now
// installed. It must carry on (an earlier version took the state lock twice
// there and hung for ever), and install the next change.
TEST_F(BehindFakeTest, DaemonCarriesOnAfterASyncBesideItInstalledTheSameRevision) {
  auto refused = std::make_shared<std::atomic<int>>(0);
  auto passed = std::make_shared<std::atomic<int>>(0);
  auto refusing = std::make_shared<std::atomic<bool>>(true);
  CannedResponse fail;
  fail.status = 500;
  fail.body = R"({"error":{"code":"internal","message":"held back by the test"}})";
  fake_->SetHandler([=](const FakeRequest& r) -> std::optional<CannedResponse> {
    // Only the daemon's polls (the admin's sync --once asks with wait=0).
    if (r.target.find("/bundle?") == std::string::npos || r.target.find("wait=0") != std::string::npos) {
      return std::nullopt;
    }
    if (!refusing->load()) {
      ++*passed;
      return std::nullopt;
    }
    ++*refused;
    return fail;
  });
  auto wait_until = [](const std::function<bool()>& done) {
    for (auto t0 = SteadyClock::now(); !done() && SteadyClock::now() - t0 < kSettle;) {
      std::this_thread::sleep_for(milliseconds(20));
    }
    return done();
  };
  int64_t r2 = env_->InstalledRevision();
  ASSERT_TRUE(env_->StartDaemon().ok());
  ASSERT_TRUE(wait_until([&] { return refused->load() > 0; })) << "the daemon never polled";
  SubprocessResult sync = env_->SyncOnce();
  ASSERT_TRUE(sync.ExitedWith(2)) << sync.Describe();
  ASSERT_GT(env_->InstalledRevision(), r2);
  refusing->store(false);
  // Its retry (after=R2) is answered with R3 at once; a second poll means it
  // got past that answer.
  EXPECT_TRUE(wait_until([&] { return passed->load() >= 2; }))
      << "the daemon hung after an answer at the revision installed beside it:\n" << env_->DaemonLog();
  env_->Admin("POST", "/api/v1/keys/" + std::to_string(bob_.id) + "/revoke", std::nullopt, 200);
  int64_t r4 = env_->CenterRevision();
  EXPECT_TRUE(env_->WaitForRevision(r4, kSettle)) << "the daemon did not install R4:\n" << env_->DaemonLog();
  EXPECT_FALSE(env_->WaitConverged(seconds(2)).has_value());
}

// A tampered bundle (R3's signature, mallory added) served to the running
// daemon: mallory never logs in, the good keys keep working.
TEST_F(BehindFakeTest, DaemonNeverInstallsATamperedBundle) {
  ASSERT_TRUE(env_->StartSshd().ok());
  UserKey mallory;
  mallory.path = env_->work().Path("mallory");
  Arm(BundleReply(tampered_));
  ASSERT_TRUE(env_->StartDaemon().ok());
  std::this_thread::sleep_for(seconds(3));
  ExpectUnchanged();
  std::string why;
  EXPECT_TRUE(env_->LoginRefused(mallory, &why)) << "a key from a bundle with a bad signature is not refused: " << why;
  EXPECT_TRUE(env_->LoginOk(alice_, &why)) << why;
}

// ---------------------------------------------------------------------------
// 5. AuthorizedKeysCommand: sshd asks the agent, which answers from local
// disk, so logins work with the center down.

// sshd runs an AuthorizedKeysCommand only if it and every directory above it
// are owned by root and not writable by group or others. When the build
// tree's binary fails that, it is copied into a fresh 0755 directory under
// /var/lib (not /tmp or /var/tmp: those are world-writable).
class SafeBinary {
 public:
  explicit SafeBinary(const std::string& built) {
    if (IsSafe(built)) {
      path_ = built;
      return;
    }
    char tmpl[] = "/var/lib/kw-agent-test.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    ::chmod(dir_.c_str(), 0755);
    path_ = dir_ + "/keyward-agent";
    if (!CopyFile(built, path_).ok() || ::chmod(path_.c_str(), 0755) != 0) path_.clear();
  }
  ~SafeBinary() {
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  const std::string& path() const { return path_; }
  bool copied() const { return !dir_.empty(); }

 private:
  static bool IsSafe(const std::string& path) {
    char* real = ::realpath(path.c_str(), nullptr);
    if (real == nullptr) return false;
    std::string p = real;
    std::free(real);
    for (;;) {
      struct stat st;
      if (::stat(p.c_str(), &st) != 0 || st.st_uid != 0 || (st.st_mode & 022) != 0) return false;
      if (p == "/") return true;
      size_t slash = p.rfind('/');
      p = slash == 0 ? "/" : p.substr(0, slash);
    }
  }
  std::string dir_, path_;
};

// Installed files edited or removed by hand are put back from the installed
// bundle, by `sync --once` (exit 2: it changed something) and by the daemon
// at its next exchange, without a new revision.
TEST_F(AgentTest, FilesEditedOrRemovedByHandArePutBack) {
  SeedHost();
  AddGrantedUser("alice");
  EnrollAgainstCenter();
  SubprocessResult first = env_->SyncOnce();
  ASSERT_TRUE(first.ExitedWith(2)) << first.Describe();
  std::optional<std::string> good = env_->Installed("root");
  ASSERT_TRUE(good && !good->empty());
  int64_t revision = env_->InstalledRevision();

  ASSERT_EQ(::unlink(env_->InstalledPath("root").c_str()), 0);
  SubprocessResult removed = env_->SyncOnce();
  EXPECT_TRUE(removed.ExitedWith(2)) << removed.Describe();
  EXPECT_EQ(env_->Installed("root"), good);
  EXPECT_NE(removed.err.find("put back"), std::string::npos) << removed.Describe();

  {
    std::ofstream f(env_->InstalledPath("root"), std::ios::app);
    f << "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBmM0bD6b6F7zJ0Z7nGq0Zc1nq7m9y0sQ8bW0b0b0b0b intruder\n";
  }
  SubprocessResult edited = env_->SyncOnce();
  EXPECT_TRUE(edited.ExitedWith(2)) << edited.Describe();
  EXPECT_EQ(env_->Installed("root"), good);
  SubprocessResult again = env_->SyncOnce();
  EXPECT_TRUE(again.ExitedWith(0)) << again.Describe();
  EXPECT_EQ(env_->InstalledRevision(), revision);
}

TEST_F(AgentTest, AuthorizedKeysCommandAnswersFromDiskWithTheCenterDown) {
  SeedHost();
  UserKey alice = AddGrantedUser("alice");
  UserKey bob = AddGrantedUser("bob");
  EnrollAgainstCenter();
  SubprocessResult first = env_->SyncOnce();
  ASSERT_TRUE(first.ExitedWith(2)) << first.Describe();
  env_->Admin("POST", "/api/v1/keys/" + std::to_string(bob.id) + "/revoke", std::nullopt, 200);
  SubprocessResult second = env_->SyncOnce();
  ASSERT_TRUE(second.ExitedWith(2)) << second.Describe();
  env_->KillCenter();

  SafeBinary bin(BuiltBinary("keyward-agent"));
  ASSERT_FALSE(bin.path().empty()) << "could not make a copy of keyward-agent sshd accepts";
  std::printf("AuthorizedKeysCommand %s%s\n", bin.path().c_str(), bin.copied() ? " (a copy)" : "");
  SshdOptions o;
  o.authorized_keys_file = "none";
  o.config = {"AuthorizedKeysCommand " + bin.path() + " authorized-keys --config " + env_->conf() + " %u",
              "AuthorizedKeysCommandUser root"};
  auto sshd = SshdServer::Start(o);
  ASSERT_TRUE(sshd.ok()) << sshd.status().message();

  auto in = (*sshd)->TryLogin(alice.path);
  ASSERT_TRUE(in.ok());
  EXPECT_TRUE(in->ok) << in->Describe() << "\n--- sshd log ---\n" << (*sshd)->Log();
  auto out = (*sshd)->TryLogin(bob.path);
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->ok) << "bob's revoked key logs in:\n" << out->Describe();
  EXPECT_EQ((*sshd)->Log().find("bad ownership"), std::string::npos) << (*sshd)->Log();

  // The command prints exactly the installed file; nothing for an unknown
  // user; nothing for a name that walks out of the install directory.
  SubprocessResult root = env_->Agent({"authorized-keys", "--config", env_->conf(), "root"});
  EXPECT_TRUE(root.ExitedWith(0)) << root.Describe();
  EXPECT_EQ(root.out, env_->Installed("root").value_or("<missing>"));
  EXPECT_NE(root.out.find(alice.base64), std::string::npos);
  SubprocessResult nobody = env_->Agent({"authorized-keys", "--config", env_->conf(), "nosuchuser"});
  EXPECT_TRUE(nobody.ExitedWith(0)) << nobody.Describe();
  EXPECT_EQ(nobody.out, "");
  for (const std::string& evil : {std::string("../../state/enrollment.json"), std::string("../root"),
                                  env_->state_dir() + "/enrollment.json"}) {
    SubprocessResult r = env_->Agent({"authorized-keys", "--config", env_->conf(), evil});
    EXPECT_EQ(r.out, "") << evil << " printed:\n" << r.Describe();
  }
}

}  // namespace
}  // namespace kw::test
