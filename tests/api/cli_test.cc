// The admin commands of the built `keyward` against the built keywardd
// (SQLite): every call goes through the real command line, with the server
// and the token in the environment as a user would set them.
#include <chrono>
#include <cstdlib>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "api/center_process.h"
#include "base/file.h"

namespace kw::test {
namespace {

using nlohmann::json;

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string KeywardBin() {
  const char* b = std::getenv("KW_BUILD_DIR");
  return std::string(b ? b : "build") + "/bin/keyward";
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<std::string> Fields(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) return out;
    start = tab + 1;
  }
}

// A record printed off a terminal: "field\tvalue" lines.
std::map<std::string, std::string> Record(const std::string& text) {
  std::map<std::string, std::string> out;
  for (const std::string& line : Lines(text)) {
    size_t tab = line.find('\t');
    if (tab != std::string::npos) out[line.substr(0, tab)] = line.substr(tab + 1);
  }
  return out;
}

class CliAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = CenterProcess::Start({});
    ASSERT_TRUE(c.ok()) << c.status().message();
    center_ = std::move(*c);
    auto t = TempDir::Create("kw-cli-admin");
    ASSERT_TRUE(t.ok());
    dir_.emplace(std::move(*t));
  }

  // `keyward ARGS...` with KEYWARD_SERVER and KEYWARD_TOKEN set (unless
  // `env` overrides them).
  SubprocessResult Kw(std::vector<std::string> args,
                      std::vector<std::pair<std::string, std::optional<std::string>>> env = {}) {
    args.insert(args.begin(), KeywardBin());
    SubprocessOptions o;
    o.env = {{"KEYWARD_SERVER", center_->url()}, {"KEYWARD_TOKEN", center_->admin_token()}};
    o.env.insert(o.env.end(), env.begin(), env.end());
    auto r = RunSubprocess(args, o);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : SubprocessResult{};
  }
  // Kw() that must succeed.
  std::string Ok(const std::vector<std::string>& args) {
    SubprocessResult r = Kw(args);
    EXPECT_TRUE(r.ExitedWith(0)) << ShellQuote(args) << "\n" << r.Describe();
    return r.out;
  }
  json OkJson(std::vector<std::string> args) {
    args.push_back("--json");
    std::string out = Ok(args);
    json j = json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << ShellQuote(args) << " printed no JSON:\n" << out;
    return j.is_discarded() ? json() : j;
  }

  // A fresh Ed25519 key pair made by the real ssh-keygen; the path of the
  // public key.
  std::string MakeKey(const std::string& name) {
    std::string path = dir_->Path(name);
    auto r = RunSubprocess({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path});
    EXPECT_TRUE(r.ok() && r->ExitedWith(0));
    return path + ".pub";
  }
  std::string PubLine(const std::string& pub_path) {
    auto t = ReadFile(pub_path);
    EXPECT_TRUE(t.ok());
    std::string s = t.ok() ? *t : "";
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }

  std::unique_ptr<CenterProcess> center_;
  std::optional<TempDir> dir_;
};

TEST_F(CliAdminTest, LifecycleGroupHostUserKeyGrantRenderRevokeOffboard) {
  Ok({"group", "add", "web"});
  auto host = Record(Ok({"host", "add", "web1", "--group", "web"}));
  EXPECT_EQ(host["name"], "web1");
  EXPECT_EQ(host["groups"], "web");
  std::string host_token = host["token"];
  ASSERT_FALSE(host_token.empty());

  auto user = Record(Ok({"user", "add", "alice", "--email", "alice@example.com"}));
  EXPECT_EQ(user["email"], "alice@example.com");
  EXPECT_EQ(user["state"], "active");

  std::string pub = MakeKey("alice_key");
  auto key = Record(Ok({"key", "add", "--user", "alice", "--file", pub}));
  std::string key_id = key["id"];
  ASSERT_FALSE(key_id.empty());
  EXPECT_EQ(key["state"], "active");
  EXPECT_EQ(key["type"], "ssh-ed25519");
  EXPECT_EQ(key["scope"], "all");

  auto grant = Record(Ok({"grant", "add", "--user", "alice", "--group", "web", "--account", "deploy", "--options",
                          "no-port-forwarding"}));
  EXPECT_EQ(grant["account"], "deploy");
  EXPECT_EQ(grant["until"], "forever");

  // What the host's agent gets, with the host's own token, is what render prints.
  std::string rendered = Ok({"render", "--host", "web1", "--account", "deploy"});
  std::string line = PubLine(pub);
  std::string blob = line.substr(0, line.rfind(' '));  // "ssh-ed25519 AAAA...", without the comment
  EXPECT_NE(rendered.find(blob), std::string::npos) << rendered;
  EXPECT_NE(rendered.find(" keyward:alice:key-" + key_id + "\n"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("no-port-forwarding"), std::string::npos) << rendered;
  auto as_host = center_->Call("GET", "/api/v1/keys?host=web1&account=deploy", host_token);
  EXPECT_EQ(as_host.status, 200);
  EXPECT_EQ(as_host.body, rendered);

  auto revoked = Record(Ok({"key", "revoke", key_id, "--reason", "lost laptop"}));
  EXPECT_EQ(revoked["state"], "revoked");
  EXPECT_EQ(revoked["state_reason"], "lost laptop");
  EXPECT_EQ(Ok({"render", "--host", "web1", "--account", "deploy"}), "");

  // A second key, given as a line; then offboarding takes everything away.
  std::string pub2 = MakeKey("alice_key2");
  auto key2 = Record(Ok({"key", "add", "--user", "alice", "--key", PubLine(pub2)}));
  EXPECT_NE(Ok({"render", "--host", "web1", "--account", "deploy"}).find("key-" + key2["id"]), std::string::npos);
  auto off = Record(Ok({"user", "offboard", "alice"}));
  EXPECT_EQ(off["keys_revoked"], "1");
  EXPECT_EQ(off["grants_removed"], "1");
  EXPECT_EQ(Ok({"render", "--host", "web1", "--account", "deploy"}), "");
  EXPECT_EQ(Record(Ok({"user", "show", "alice"}))["state"], "offboarded");

  // Suspend and activate, rm.
  Ok({"user", "add", "bob"});
  EXPECT_EQ(Record(Ok({"user", "suspend", "bob"}))["state"], "suspended");
  EXPECT_EQ(Record(Ok({"user", "activate", "bob"}))["state"], "active");
  EXPECT_EQ(Ok({"user", "rm", "bob"}), "");
  EXPECT_EQ(Kw({"user", "show", "bob"}).exit_code, 1);
}

TEST_F(CliAdminTest, TeamsHostsAndTokens) {
  Ok({"group", "add", "web"});
  Ok({"group", "add", "db"});
  Ok({"user", "add", "alice"});
  Ok({"user", "add", "bob"});
  auto team = Record(Ok({"team", "add", "ops", "--member", "alice", "--member", "bob"}));
  EXPECT_EQ(team["members"], "alice,bob");
  EXPECT_EQ(Record(Ok({"team", "set-members", "ops", "bob"}))["members"], "bob");
  EXPECT_EQ(Record(Ok({"team", "show", "ops"}))["members"], "bob");

  auto host = Record(Ok({"host", "add", "db1"}));
  std::string groups = Record(Ok({"host", "set-groups", "db1", "db", "web"}))["groups"];
  EXPECT_TRUE(groups == "db,web" || groups == "web,db") << groups;
  std::string token = Ok({"host", "token", "db1"});
  ASSERT_FALSE(token.empty());
  token.pop_back();  // the newline
  EXPECT_NE(token, host["token"]);
  EXPECT_EQ(center_->Call("GET", "/api/v1/hosts/db1", token).status, 200);
  EXPECT_EQ(center_->Call("GET", "/api/v1/hosts/db1", host["token"]).status, 401);

  // A team grant, listed with filters.
  Ok({"grant", "add", "--team", "ops", "--group", "db", "--account", "postgres"});
  Ok({"grant", "add", "--user", "alice", "--group", "web", "--account", "deploy"});
  EXPECT_EQ(Lines(Ok({"grant", "list", "--team", "ops"})).size(), 1u);
  EXPECT_EQ(Lines(Ok({"grant", "list", "--group", "web"})).size(), 1u);
  EXPECT_EQ(Lines(Ok({"grant", "list"})).size(), 2u);

  EXPECT_EQ(Ok({"team", "rm", "ops"}), "");
  EXPECT_EQ(Ok({"host", "rm", "db1"}), "");
  EXPECT_EQ(Lines(Ok({"host", "list"})).size(), 0u);
}

TEST_F(CliAdminTest, JsonOutputIsTheServersJson) {
  json u = OkJson({"user", "add", "carol", "--email", "c@example.com"});
  EXPECT_EQ(u["name"], "carol");
  EXPECT_EQ(u["email"], "c@example.com");
  EXPECT_EQ(u["state"], "active");
  EXPECT_TRUE(u["id"].is_number_integer());

  json h = OkJson({"host", "add", "web1"});
  EXPECT_TRUE(h["token"].is_string());
  EXPECT_TRUE(h["groups"].is_array());

  json k = OkJson({"key", "add", "--user", "carol", "--file", MakeKey("carol_key"), "--expires", "+90d"});
  EXPECT_EQ(k["user"], "carol");
  EXPECT_TRUE(k["fingerprint"].get<std::string>().starts_with("SHA256:"));
  int64_t expires = k["expires"].get<int64_t>();
  EXPECT_NEAR(static_cast<double>(expires), static_cast<double>(Now() + 90 * 86400), 120.0);

  json list = OkJson({"key", "list", "--user", "carol"});
  ASSERT_TRUE(list["items"].is_array());
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["id"], k["id"]);
  EXPECT_FALSE(list.contains("next"));
  EXPECT_EQ(OkJson({"key", "list", "--state", "revoked"})["items"].size(), 0u);
  EXPECT_EQ(OkJson({"key", "list", "--expiring-within", "100d"})["items"].size(), 1u);
  EXPECT_EQ(OkJson({"key", "list", "--expiring-within", "30d"})["items"].size(), 0u);

  // An absolute time as ssh-keygen -V reads it (UTC with Z).
  Ok({"group", "add", "web"});
  json g = OkJson({"grant", "add", "--user", "carol", "--group", "web", "--account", "deploy", "--until", "20300101Z"});
  EXPECT_EQ(g["ends_at"], 1893456000);
  EXPECT_EQ(g["user"], "carol");
  EXPECT_TRUE(g["team"].is_null());
  EXPECT_EQ(OkJson({"grant", "show", std::to_string(g["id"].get<int64_t>())})["account"], "deploy");
}

TEST_F(CliAdminTest, ListsAreTabSeparatedAndFollowEveryPage) {
  // More than one page of 1000.
  for (int i = 0; i < 1003; ++i) {
    auto r = center_->Admin("POST", "/api/v1/groups", json{{"name", "g" + std::to_string(i)}});
    ASSERT_EQ(r.status, 201) << r.body;
  }
  std::vector<std::string> lines = Lines(Ok({"group", "list"}));
  ASSERT_EQ(lines.size(), 1003u);
  for (const std::string& line : lines) {
    std::vector<std::string> f = Fields(line);
    ASSERT_EQ(f.size(), 2u) << line;  // NAME, CREATED; no header
    EXPECT_TRUE(f[0].starts_with("g")) << line;
  }
  EXPECT_EQ(Fields(lines.back())[0], "g1002");
  EXPECT_EQ(OkJson({"group", "list"})["items"].size(), 1003u);

  Ok({"user", "add", "dave", "--email", "d@example.com"});
  std::vector<std::string> users = Lines(Ok({"user", "list"}));
  ASSERT_EQ(users.size(), 1u);
  std::vector<std::string> f = Fields(users[0]);
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0], "dave");
  EXPECT_EQ(f[1], "d@example.com");
  EXPECT_EQ(f[2], "active");
}

TEST_F(CliAdminTest, RefusesToRunWithoutAToken) {
  for (std::optional<std::string> token : {std::optional<std::string>(), std::optional<std::string>("")}) {
    SubprocessResult r = Kw({"user", "list"}, {{"KEYWARD_TOKEN", token}});
    EXPECT_TRUE(r.ExitedWith(1)) << r.Describe();
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(r.err.starts_with("keyward: KEYWARD_TOKEN is not set")) << r.err;
  }
  // A wrong token is the server's refusal.
  SubprocessResult bad = Kw({"user", "list"}, {{"KEYWARD_TOKEN", "kw_not_a_token"}});
  EXPECT_TRUE(bad.ExitedWith(1)) << bad.Describe();
  EXPECT_NE(bad.err.find("(HTTP 401)"), std::string::npos) << bad.err;
}

TEST_F(CliAdminTest, ServerErrorsPrintTheServersMessage) {
  Ok({"user", "add", "erin"});
  SubprocessResult r = Kw({"user", "add", "erin"});
  EXPECT_TRUE(r.ExitedWith(1)) << r.Describe();
  EXPECT_EQ(r.out, "");
  auto direct = center_->Admin("POST", "/api/v1/users", json{{"name", "erin"}});
  ASSERT_GE(direct.status, 400);
  std::string message = direct.json["error"]["message"].get<std::string>();
  EXPECT_EQ(r.err, "keyward: " + message + " (HTTP " + std::to_string(direct.status) + ")\n");

  SubprocessResult missing = Kw({"grant", "show", "999"});
  EXPECT_TRUE(missing.ExitedWith(1));
  EXPECT_NE(missing.err.find("(HTTP 404)"), std::string::npos) << missing.err;

  // Mistakes caught before asking the server.
  SubprocessResult no_key = Kw({"key", "add", "--user", "erin"});
  EXPECT_TRUE(no_key.ExitedWith(1));
  EXPECT_NE(no_key.err.find("--file or --key"), std::string::npos) << no_key.err;
  SubprocessResult bad_time = Kw({"key", "add", "--user", "erin", "--key", "x", "--expires", "soon"});
  EXPECT_TRUE(bad_time.ExitedWith(1));
  EXPECT_NE(bad_time.err.find("--expires \"soon\""), std::string::npos) << bad_time.err;
  SubprocessResult both = Kw({"grant", "add", "--group", "g", "--account", "a"});
  EXPECT_TRUE(both.ExitedWith(1));
  EXPECT_NE(both.err.find("--user or --team"), std::string::npos) << both.err;
  SubprocessResult latin1 = Kw({"user", "add", "zo\xeb"});
  EXPECT_TRUE(latin1.ExitedWith(1)) << latin1.Describe();
  EXPECT_NE(latin1.err.find("not valid UTF-8"), std::string::npos) << latin1.err;

  // No server there: the message names the URL.
  SubprocessResult down = Kw({"user", "list", "--server", "http://127.0.0.1:1"});
  EXPECT_TRUE(down.ExitedWith(1));
  EXPECT_NE(down.err.find("http://127.0.0.1:1/api/v1/users"), std::string::npos) << down.err;
}

TEST_F(CliAdminTest, AuditLogListsAndVerifies) {
  Ok({"group", "add", "web"});
  Ok({"user", "add", "frank"});
  Ok({"user", "suspend", "frank"});

  std::vector<std::string> lines = Lines(Ok({"audit", "log"}));
  ASSERT_GE(lines.size(), 3u);
  for (const std::string& line : lines) EXPECT_EQ(Fields(line).size(), 7u) << line;
  EXPECT_EQ(Fields(lines[0])[0], "1");

  SubprocessResult v = Kw({"audit", "log", "--verify"});
  EXPECT_TRUE(v.ExitedWith(0)) << v.Describe();
  EXPECT_NE(v.out.find("local: the hash chain of"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("server: audit chain verifies"), std::string::npos) << v.out;

  // The local verifier on a saved copy: intact, then edited.
  json log = OkJson({"audit", "log"});
  ASSERT_GE(log["items"].size(), 3u);
  auto saved = dir_->WriteFile("audit.json", log.dump());
  ASSERT_TRUE(saved.ok());
  SubprocessResult intact = Kw({"audit", "log", "--verify", "--from-file", *saved}, {{"KEYWARD_TOKEN", std::nullopt}});
  EXPECT_TRUE(intact.ExitedWith(0)) << intact.Describe();

  json edited = log;
  edited["items"][1]["target"] = "someone-else";
  auto tampered = dir_->WriteFile("tampered.json", edited.dump());
  ASSERT_TRUE(tampered.ok());
  SubprocessResult bad = Kw({"audit", "log", "--verify", "--from-file", *tampered});
  EXPECT_TRUE(bad.ExitedWith(1)) << bad.Describe();
  std::string seq = std::to_string(log["items"][1]["seq"].get<int64_t>());
  EXPECT_NE(bad.err.find("audit entry " + seq + ": hash does not match"), std::string::npos) << bad.err;

  json dropped = log;
  dropped["items"].erase(1);
  auto gap = dir_->WriteFile("gap.json", dropped.dump());
  ASSERT_TRUE(gap.ok());
  SubprocessResult g = Kw({"audit", "log", "--verify", "--from-file", *gap});
  EXPECT_TRUE(g.ExitedWith(1)) << g.Describe();
  EXPECT_NE(g.err.find("sequence gap"), std::string::npos) << g.err;
}

// keyward totp enroll | remove against the center; the printed secret gives
// oathtool codes the center accepts.
TEST_F(CliAdminTest, TotpEnrollPrintsUriQrAndScratchCodesOnce) {
  Ok({"user", "add", "alice"});
  std::string out = Ok({"totp", "enroll", "--user", "alice", "--algorithm", "sha256", "--digits", "8"});
  EXPECT_EQ(out.rfind("otpauth://totp/keyward:alice?", 0), 0u) << out;
  EXPECT_NE(out.find("\u2580"), std::string::npos) << "no QR code drawn:\n" << out;  // half blocks
  size_t at = out.find("Secret key of alice: ");
  ASSERT_NE(at, std::string::npos) << out;
  std::string secret = out.substr(at + 21, out.find(' ', at + 21) - at - 21);
  EXPECT_EQ(secret.size(), 52u) << secret;
  EXPECT_NE(out.find("(SHA256, 8 digits, 30 s)"), std::string::npos) << out;
  EXPECT_NE(out.find("Emergency scratch codes"), std::string::npos) << out;
  // Again without --force: refused, naming the flag's meaning.
  SubprocessResult again = Kw({"totp", "enroll", "--user", "alice", "--qr", "none"});
  EXPECT_TRUE(again.ExitedWith(1)) << again.Describe();
  EXPECT_NE(again.err.find("already has a TOTP secret"), std::string::npos) << again.err;
  // The secret works: a code from oathtool is accepted by the center.
  auto code = RunSubprocess({"oathtool", "-b", "--totp=sha256", "-d", "8", secret});
  ASSERT_TRUE(code.ok() && code->ExitedWith(0));
  std::string c = code->out.substr(0, 8);
  auto r = center_->Admin("POST", "/api/v1/totp/verify", json{{"user", "alice"}, {"code", c}});
  EXPECT_EQ(r.json["reason"], "accepted") << r.body;
  json forced = OkJson({"totp", "enroll", "--user", "alice", "--force"});
  EXPECT_EQ(forced["replaced"], true);
  EXPECT_NE(forced["secret"], secret);
  EXPECT_EQ(Ok({"totp", "remove", "--user", "alice"}), "Removed the TOTP secret of alice\n");
  SubprocessResult gone = Kw({"totp", "remove", "--user", "alice"});
  EXPECT_TRUE(gone.ExitedWith(1)) << gone.Describe();
  EXPECT_NE(gone.err.find("has no TOTP secret"), std::string::npos) << gone.err;
  SubprocessResult no_token = Kw({"totp", "enroll", "--user", "alice"}, {{"KEYWARD_TOKEN", std::nullopt}});
  EXPECT_TRUE(no_token.ExitedWith(1)) << no_token.Describe();
}

}  // namespace
}  // namespace kw::test
