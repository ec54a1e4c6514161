// authorized_keys options and decisions. The cases follow sshd(8) and
// auth-options.c of OpenSSH 9.2 (reasons are sshd's own strings); the
// decisions are checked end to end against a real sshd in
// tests/interop/authkeys_sshd_test.cc.
#include "formats/authorized_keys.h"

#include <gtest/gtest.h>

#include "formats/test_util.h"

namespace kw::formats {
namespace {

using testing::FirstLine;
using testing::TestData;

AuthParseOptions Utc() {
  AuthParseOptions p;
  p.local_time = UtcAsLocalTime();
  return p;
}

std::string Why(std::string_view options) {
  StatusOr<KeyRights> r = ParseKeyOptions(options, Utc());
  return r.ok() ? "ok" : r.status().message();
}

TEST(KeyOptions, Flags) {
  KeyRights r = ParseKeyOptions("no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc", Utc())
                    .value();
  EXPECT_FALSE(r.pty);
  EXPECT_FALSE(r.port_forwarding);
  EXPECT_FALSE(r.agent_forwarding);
  EXPECT_FALSE(r.x11_forwarding);
  EXPECT_FALSE(r.user_rc);
  r = ParseKeyOptions("restrict,pty,port-forwarding", Utc()).value();
  EXPECT_TRUE(r.restricted);
  EXPECT_TRUE(r.pty);
  EXPECT_TRUE(r.port_forwarding);
  EXPECT_FALSE(r.agent_forwarding);
  EXPECT_FALSE(r.x11_forwarding);
  EXPECT_FALSE(r.user_rc);
  r = ParseKeyOptions("RESTRICT,Agent-Forwarding,x11-forwarding,user-rc", Utc()).value();
  EXPECT_TRUE(r.agent_forwarding && r.x11_forwarding && r.user_rc);
  r = ParseKeyOptions("no-touch-required,verify-required,cert-authority", Utc()).value();
  EXPECT_TRUE(r.no_touch_required && r.verify_required && r.cert_authority);
  // Flags match by prefix, so the rest must be a comma or the end.
  EXPECT_EQ(Why("ptyx"), "unknown key option");
  EXPECT_EQ(Why("no-restrict"), "unknown key option");
  EXPECT_EQ(Why("bogus"), "unknown key option");
  EXPECT_EQ(Why("no-pty,"), "unexpected end-of-options");
  EXPECT_EQ(Why("no-pty, trailing"), "ok");  // the options end at the blank
  EXPECT_EQ(Why("command"), "unknown key option");
}

TEST(KeyOptions, Values) {
  KeyRights r = ParseKeyOptions(R"(command="echo \"hi\" \x",from="10.0.0.0/8,!10.1.*",environment="A=1",)"
                                R"(environment="A=2",environment="B_2=x y",permitopen="host:22",permitopen="[::1]:*",)"
                                R"(permitlisten="8080",permitlisten="localhost:1234",tunnel="7",principals="a,b")",
                                Utc())
                    .value();
  EXPECT_EQ(*r.command, R"(echo "hi" \x)");
  EXPECT_EQ(*r.from, "10.0.0.0/8,!10.1.*");
  EXPECT_EQ(r.environment, (std::vector<std::string>{"A=1", "B_2=x y"}));  // the first A wins
  EXPECT_EQ(r.permitopen, (std::vector<std::string>{"host:22", "[::1]:*"}));
  EXPECT_EQ(r.permitlisten, (std::vector<std::string>{"*:8080", "localhost:1234"}));
  EXPECT_EQ(*r.tunnel, 7);
  EXPECT_EQ(*r.principals, "a,b");
  EXPECT_EQ(*ParseKeyOptions(R"(tunnel="ANY")", Utc()).value().tunnel, kTunnelAny);
}

TEST(KeyOptions, Errors) {
  EXPECT_EQ(Why("command=ls"), "missing start quote");
  EXPECT_EQ(Why("command=\"ls"), "missing end quote");
  EXPECT_EQ(Why(R"(command="a",command="b")"), "multiple \"command\" clauses");
  EXPECT_EQ(Why(R"(from="a",from="b")"), "multiple \"from\" clauses");
  EXPECT_EQ(Why(R"(principals="a",principals="b")"), "multiple \"principals\" clauses");
  EXPECT_EQ(Why(R"(environment="NOEQUALS")"), "invalid environment string");
  EXPECT_EQ(Why(R"(environment="BAD-NAME=1")"), "invalid environment string");
  EXPECT_EQ(Why(R"(environment="=1")"), "invalid environment string");
  EXPECT_EQ(Why(R"(permitopen="host")"), "invalid permission port");
  EXPECT_EQ(Why(R"(permitopen="host:0")"), "invalid permission port");
  EXPECT_EQ(Why(R"(permitopen="host:65536")"), "invalid permission port");
  EXPECT_EQ(Why(R"(permitopen="host:ssh")"), "invalid permission port");  // no service resolver here
  EXPECT_EQ(Why(R"(permitopen="[::1:22")"), "invalid permission hostname");
  EXPECT_EQ(Why(R"(permitopen="[::1]x:22")"), "invalid permission hostname");
  EXPECT_EQ(Why(R"(tunnel="x")"), "invalid tun device");
  EXPECT_EQ(Why(R"(tunnel="-1")"), "invalid tun device");
  EXPECT_EQ(Why(R"(expiry-time="2030")"), "invalid expires time");
  EXPECT_EQ(Why(R"(expiry-time="20301301")"), "invalid expires time");
  EXPECT_EQ(Why(R"(expiry-time="19700101Z")"), "invalid expires time");  // the epoch itself
  AuthParseOptions with_services = Utc();
  with_services.service_port = [](std::string_view n) -> std::optional<int> {
    if (n == "ssh") return 22;
    return std::nullopt;
  };
  EXPECT_TRUE(ParseKeyOptions(R"(permitopen="host:ssh")", with_services).ok());
}

TEST(KeyOptions, ExpiryTimes) {
  auto t = [](std::string_view s) { return ParseExpiryTime(s, UtcAsLocalTime()); };
  EXPECT_EQ(t("20300101").value().unix_time, 1893456000);
  EXPECT_EQ(t("20300101Z").value().unix_time, 1893456000);
  EXPECT_EQ(t("20300101utc").value().unix_time, 1893456000);
  EXPECT_EQ(t("203001010102").value().unix_time, 1893456000 + 3720);
  EXPECT_EQ(t("20300101010203Z").value().unix_time, 1893456000 + 3723);
  EXPECT_EQ(t("20300231").value().unix_time, t("20300303").value().unix_time);  // rolls over, as mktime
  EXPECT_EQ(t("2030 1 1").value().unix_time, 1893456000);  // strptime skips blanks before numbers
  EXPECT_FALSE(t("2030010").ok());
  EXPECT_FALSE(t("20300132").ok());
  EXPECT_FALSE(t("20301301").ok());
  EXPECT_FALSE(t("203001012400").ok());
  EXPECT_FALSE(t("2030-1-1").ok());
  EXPECT_FALSE(t("Z").ok());
  // Several expiry-time options: the earliest counts.
  KeyRights r = ParseKeyOptions(R"(expiry-time="20300101",expiry-time="20290101",expiry-time="20310101")", Utc())
                    .value();
  EXPECT_EQ(*r.valid_before, t("20290101").value().unix_time);
  // Local time goes through the time zone function.
  AuthParseOptions plus_hour;
  plus_hour.local_time = [](const std::tm& tm) -> std::optional<int64_t> {
    return *UtcAsLocalTime()(tm) - 3600;
  };
  EXPECT_EQ(*ParseKeyOptions(R"(expiry-time="20300101")", plus_hour).value().valid_before, 1893456000 - 3600);
  EXPECT_EQ(*ParseKeyOptions(R"(expiry-time="20300101Z")", plus_hour).value().valid_before, 1893456000);
}

PublicKey Key(const char* name) { return ParseKeyText(FirstLine(TestData(name))).value().key; }

TEST(AuthorizedKeyLine, RoundTrip) {
  std::string ed = FormatPublicKey(Key("ed25519.key.pub"));
  for (std::string line : {
           ed,
           ed + " user@host",
           "restrict " + ed + " c",
           R"(command="echo \"quoted\" and \\ back",no-pty,from="*.example.com,!bad.example.com" )" + ed + " c c",
           R"(environment="A=b c",permitopen="h:1",permitlisten="2",tunnel="any",expiry-time="20300101Z" )" + ed,
           "cert-authority,principals=\"a,b\" " + ed,
       }) {
    SCOPED_TRACE(line);
    AuthorizedKeyLine m = ParseAuthorizedKeyLine(line, Utc()).value();
    std::string rendered = RenderAuthorizedKeyLine(m, Utc()).value();
    AuthorizedKeyLine back = ParseAuthorizedKeyLine(rendered, Utc()).value();
    EXPECT_EQ(back.options, m.options);
    EXPECT_EQ(back.key, m.key);
    EXPECT_EQ(back.comment, m.comment);
  }
  // Values the quoting cannot carry are refused, not mangled.
  AuthorizedKeyLine m{{{"command", std::string("ends with \\")}}, Key("ed25519.key.pub"), ""};
  EXPECT_FALSE(RenderAuthorizedKeyLine(m, Utc()).ok());
  m.options = {{"command", std::string("a\nb")}};
  EXPECT_FALSE(RenderAuthorizedKeyLine(m, Utc()).ok());
  m.options = {{"nonsense", std::nullopt}};
  EXPECT_FALSE(RenderAuthorizedKeyLine(m, Utc()).ok());
  m.options = {{"command", std::string("say \"x\"")}, {"no-pty", std::nullopt}};
  EXPECT_EQ(RenderAuthorizedKeyLine(m, Utc()).value(),
            R"(command="say \"x\"",no-pty )" + FormatPublicKey(m.key));
}

TEST(AuthorizedKeysLine, Kinds) {
  std::string ed = FormatPublicKey(Key("ed25519.key.pub"));
  auto kind = [](std::string_view l) { return ParseAuthorizedKeysLine(l, 1, Utc()).kind; };
  EXPECT_EQ(kind(""), AuthLineKind::kComment);
  EXPECT_EQ(kind("  # x"), AuthLineKind::kComment);
  EXPECT_EQ(kind(ed), AuthLineKind::kKey);
  EXPECT_EQ(kind("  " + ed + "\r"), AuthLineKind::kKey);
  EXPECT_EQ(kind("no-pty " + ed), AuthLineKind::kKey);
  EXPECT_EQ(kind("no-pty,bogus " + ed), AuthLineKind::kBadOptions);
  EXPECT_EQ(kind("command=\"x " + ed), AuthLineKind::kBadOptions);  // quote never closed
  EXPECT_EQ(kind("ssh-ed25519 AAAAgarbage"), AuthLineKind::kNoKey);
  EXPECT_EQ(kind("just words here"), AuthLineKind::kNoKey);
  ParsedAuthLine p = ParseAuthorizedKeysLine("no-pty,bogus " + ed, 4, Utc());
  EXPECT_EQ(p.reason, "bad key options: unknown key option");
  EXPECT_EQ(p.number, 4u);
}

constexpr int64_t kNow = 1900000000;  // 2030-03-17

TEST(Evaluate, Decisions) {
  PublicKey ed = Key("ed25519.key.pub"), ec = Key("ecdsa256.key.pub"), rsa = Key("rsa2048.key.pub");
  std::string e = FormatPublicKey(ed), c = FormatPublicKey(ec);
  ClientInfo client{"10.1.2.3", ""};
  auto eval = [&](const std::string& text, const PublicKey& k) { return EvaluateAuthorizedKeys(text, k, client, kNow, Utc()); };

  AuthDecision d = eval(e + "\n", ed);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.line, 1u);
  EXPECT_FALSE(eval(e + "\n", ec).allowed);
  EXPECT_FALSE(eval(e + "\n", rsa).allowed);

  // Refused lines do not stop the search.
  d = eval("expiry-time=\"20200101\" " + e + "\nfrom=\"10.0.0.0/8\",command=\"true\" " + e + "\n", ed);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.line, 2u);
  EXPECT_EQ(*d.rights.command, "true");
  ASSERT_EQ(d.rejections.size(), 1u);
  EXPECT_EQ(d.rejections[0].reason, "entry expired at 2020-01-01T00:00:00Z");

  d = eval("from=\"192.168.0.0/16\" " + e + "\n", ed);
  EXPECT_FALSE(d.allowed);
  ASSERT_EQ(d.rejections.size(), 1u);
  EXPECT_NE(d.rejections[0].reason.find("not permitted"), std::string::npos);
  EXPECT_FALSE(eval("from=\"10.0.0.0/8,!10.1.2.3\" " + e + "\n", ed).allowed);
  EXPECT_FALSE(eval("from=\"10.1.2.3/8\" " + e + "\n", ed).allowed);  // malformed: always refused
  EXPECT_TRUE(eval("from=\"10.1.*\" " + e + "\n", ed).allowed);
  EXPECT_TRUE(eval("expiry-time=\"20310101\" " + e + "\n", ed).allowed);
  EXPECT_FALSE(eval("principals=\"x\" " + e + "\n", ed).allowed);
  EXPECT_FALSE(eval("cert-authority " + e + "\n", ed).allowed);  // a CA line is no plain key
  // Bad options refuse the line even with the right key.
  d = eval("no-pty,bogus " + e + "\n" + e + "\n", ed);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.line, 2u);
  ASSERT_EQ(d.rejections.size(), 1u);
  EXPECT_EQ(d.rejections[0].verdict, LineVerdict::kBadOptions);
  // ECDSA curves share one sshd key type; options of another curve's line
  // are read (and refused) when an ECDSA key is offered.
  PublicKey ec384 = Key("ecdsa384.key.pub");
  EXPECT_TRUE(eval("bogus " + FormatPublicKey(ec384) + "\n" + c + "\n", ec).allowed);
  // DSA keys: decided like any other, with a note on sshd's default.
  PublicKey dsa = Key("dsa.key.pub");
  d = eval(FormatPublicKey(dsa) + "\n", dsa);
  EXPECT_TRUE(d.allowed);
  EXPECT_FALSE(d.key_type_note.empty());
}

TEST(Lint, Problems) {
  std::string e = FormatPublicKey(Key("ed25519.key.pub"));
  std::string text = "# fine\n" + e + "\nbogus " + e + "\nexpiry-time=\"20200101\" " + e + "\nprincipals=\"a\" " + e +
                     "\nfrom=\"10.0.0.1/8\" " + e + "\nnot a key\n" + FormatPublicKey(Key("dsa.key.pub")) + "\n";
  std::vector<AuthLineProblem> p = LintAuthorizedKeys(text, kNow, Utc());
  ASSERT_EQ(p.size(), 6u);
  EXPECT_EQ(p[0].line, 3u);
  EXPECT_EQ(p[1].line, 4u);
  EXPECT_EQ(p[2].line, 5u);
  EXPECT_EQ(p[3].line, 6u);
  EXPECT_EQ(p[4].line, 7u);
  EXPECT_EQ(p[5].line, 8u);
  EXPECT_FALSE(p[5].refused);
}

}  // namespace
}  // namespace kw::formats

namespace kw::formats {
namespace {

// Corruption: flipped bytes and truncations of valid lines give a line
// that is either still readable (and then renders back) or one with a
// reason; never anything else.
TEST(AuthorizedKeysCorruption, FlippedAndTruncatedLinesFailCleanly) {
  std::string e = FirstLine(TestData("ed25519.key.pub"));
  for (const std::string& line : {"restrict,command=\"ls -l\",from=\"10.0.0.0/8\",expiry-time=\"20300101Z\" " + e,
                                  "environment=\"A=1\",permitopen=\"h:22\",tunnel=\"1\" " + e}) {
    ASSERT_EQ(ParseAuthorizedKeysLine(line, 1, Utc()).kind, AuthLineKind::kKey);
    size_t broken = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      for (uint8_t mask : {0x01, 0x20, 0x80}) {
        std::string bad = line;
        bad[i] = static_cast<char>(bad[i] ^ mask);
        ParsedAuthLine p = ParseAuthorizedKeysLine(bad, 1, Utc());
        if (p.kind == AuthLineKind::kKey) {
          StatusOr<std::string> r = RenderAuthorizedKeyLine(*p.line, Utc());
          if (r.ok()) {
            EXPECT_EQ(ParseAuthorizedKeyLine(*r, Utc()).value().options, p.line->options);
          }
        } else if (p.kind != AuthLineKind::kComment) {
          EXPECT_FALSE(p.reason.empty()) << bad;
          ++broken;
        }
      }
    }
    EXPECT_GT(broken, line.size());
    for (size_t n = 0; n < line.size(); ++n) {
      ParsedAuthLine p = ParseAuthorizedKeysLine(line.substr(0, n), 1, Utc());
      if (p.kind == AuthLineKind::kNoKey || p.kind == AuthLineKind::kBadOptions) {
        EXPECT_FALSE(p.reason.empty());
      }
    }
  }
}

}  // namespace
}  // namespace kw::formats
