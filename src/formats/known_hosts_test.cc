// known_hosts against what the real ssh-keygen 9.2 made of the same files
// (testdata/hosts/, see make_testdata.sh there): the lines -F and -lF find
// for every name, the files -R writes, the lines -H refuses, and the
// verdict of every host pattern.
#include "formats/known_hosts.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "base/rng.h"
#include "formats/fingerprint.h"
#include "formats/host_pattern.h"
#include "formats/test_util.h"

namespace kw::formats {
namespace {

using testing::FirstLine;
using testing::TestData;

std::string Hosts(const std::string& name) { return TestData("hosts/" + name); }

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

// One "### FLAGS NAME" section of find.mixed.expected.
struct FindCase {
  std::string flags, name;
  std::vector<size_t> lines;          // from "# Host NAME found: line N ..."
  std::vector<std::string> printed;   // the line printed after each comment
  std::vector<std::string> markers;   // "", "CA", "REVOKED"
  int rc = -1;
};

std::vector<FindCase> LoadFindCases() {
  std::vector<FindCase> cases;
  std::string text = Hosts("find.mixed.expected");
  size_t pos = 0;
  FindCase* cur = nullptr;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string l = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (l.rfind("### rc=", 0) == 0) {
      cur->rc = std::stoi(l.substr(7));
      continue;
    }
    if (l.rfind("### ", 0) == 0) {
      size_t sp = l.find(' ', 4);
      cases.push_back({l.substr(4, sp - 4), l.substr(sp + 1), {}, {}, {}, -1});
      cur = &cases.back();
      continue;
    }
    std::string prefix = "# Host " + cur->name + " found: line ";
    if (l.rfind(prefix, 0) == 0) {
      std::string rest = l.substr(prefix.size());
      size_t sp = rest.find(' ');
      cur->lines.push_back(std::stoul(rest.substr(0, sp)));
      cur->markers.push_back(rest.substr(sp + 1));
      continue;
    }
    cur->printed.push_back(l);
  }
  return cases;
}

TEST(KnownHosts, FindMatchesSshKeygen) {
  std::string text = Hosts("known_hosts.mixed");
  std::vector<FindCase> cases = LoadFindCases();
  ASSERT_GT(cases.size(), 40u);
  crypto::HmacSha1 hmac;
  for (const FindCase& c : cases) {
    SCOPED_TRACE(c.flags + " " + c.name);
    bool parse = c.flags == "-lF";
    std::vector<FoundHostLine> found = FindHost(text, c.name, parse, hmac);
    ASSERT_EQ(found.size(), c.lines.size());
    EXPECT_EQ(c.rc, found.empty() ? 1 : 0);
    for (size_t i = 0; i < found.size(); ++i) {
      EXPECT_EQ(found[i].line.number, c.lines[i]);
      std::string mark = found[i].line.marker == HostMarker::kCertAuthority ? "CA"
                         : found[i].line.marker == HostMarker::kRevoked     ? "REVOKED"
                                                                             : "";
      EXPECT_EQ(mark, c.markers[i]);
      if (!parse) {
        EXPECT_EQ(std::string(found[i].line.c_text), c.printed[i]);
      } else {
        ASSERT_TRUE(found[i].key.has_value());
        // "NAME TYPE SHA256:... [comment]"
        std::string expect_prefix = c.name + " " + std::string(found[i].key->key.short_name()) + " " +
                                    Fingerprint(found[i].key->key.plain());
        EXPECT_EQ(c.printed[i].substr(0, expect_prefix.size()), expect_prefix);
      }
    }
  }
}

// The same searches over pieces of the file give the same lines (what the
// command line does with two threads).
TEST(KnownHosts, FindInPiecesAgrees) {
  std::string text = Hosts("known_hosts.mixed");
  crypto::HmacSha1 hmac;
  size_t cut = text.find('\n', text.size() / 2) + 1;
  size_t first_lines = static_cast<size_t>(std::count(text.begin(), text.begin() + cut, '\n'));
  for (const std::string& name : Lines(Hosts("names.txt"))) {
    std::vector<FoundHostLine> whole = FindHost(text, name, false, hmac);
    std::vector<FoundHostLine> a = FindHost(std::string_view(text).substr(0, cut), name, false, hmac);
    std::vector<FoundHostLine> b = FindHost(std::string_view(text).substr(cut), name, false, hmac, first_lines + 1);
    ASSERT_EQ(whole.size(), a.size() + b.size()) << name;
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(whole[i].line.number, a[i].line.number);
    for (size_t i = 0; i < b.size(); ++i) EXPECT_EQ(whole[a.size() + i].line.number, b[i].line.number);
  }
}

struct RemoveCase {
  std::string name;
  int rc = 0;
  bool changed = false;
  std::string file;
  std::vector<size_t> removed;
  std::vector<size_t> invalid;
};

std::vector<RemoveCase> LoadRemoveCases(const std::string& file) {
  std::vector<RemoveCase> out;
  std::string text = Hosts(file);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string head = text.substr(pos, nl - pos);
    pos = nl + 1;
    EXPECT_EQ(head.rfind("### -R ", 0), 0u) << head;
    RemoveCase c;
    size_t rcpos = head.rfind(" rc=");
    c.name = head.substr(7, rcpos - 7);
    int changed = 0;
    size_t bytes = 0;
    std::sscanf(head.c_str() + rcpos, " rc=%d changed=%d bytes=%zu", &c.rc, &changed, &bytes);
    c.changed = changed != 0;
    c.file = text.substr(pos, bytes);
    pos += bytes + 1;
    size_t end = text.find("### end\n", pos);
    std::string tail = text.substr(pos, end - pos);
    pos = end + 8;
    for (const std::string& l : Lines(tail)) {
      unsigned long n;
      std::string prefix = "# Host " + c.name + " found: line ";
      if (l.rfind(prefix, 0) == 0) c.removed.push_back(std::stoul(l.substr(prefix.size())));
      size_t colon = l.find(':');
      if (l.size() > 14 && l.substr(l.size() - 14) == ": invalid line" && colon != std::string::npos &&
          std::sscanf(l.c_str() + colon + 1, "%lu", &n) == 1) {
        c.invalid.push_back(n);
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

void CheckRemove(const std::string& input_name, const std::string& expected_name) {
  std::string text = Hosts(input_name);
  std::vector<RemoveCase> cases = LoadRemoveCases(expected_name);
  ASSERT_GT(cases.size(), 20u);
  crypto::HmacSha1 hmac;
  for (const RemoveCase& c : cases) {
    SCOPED_TRACE("-R " + c.name + " on " + input_name);
    RemoveOutcome r = RemoveHost(text, c.name, hmac, KeepStyle::kOpenSsh);
    EXPECT_EQ(r.invalid_lines, c.invalid);
    if (!c.invalid.empty()) {
      EXPECT_EQ(c.rc, 1);
      continue;
    }
    EXPECT_EQ(r.removed_lines, c.removed);
    if (c.changed) {
      EXPECT_EQ(r.output, c.file);
    } else {
      EXPECT_TRUE(r.removed_lines.empty());
      EXPECT_EQ(c.file, text);  // ssh-keygen left the file alone
    }
  }
}

TEST(KnownHosts, RemoveMatchesSshKeygenOnValidFile) { CheckRemove("known_hosts.valid", "remove.valid.expected"); }
TEST(KnownHosts, RemoveRefusesLikeSshKeygen) { CheckRemove("known_hosts.mixed", "remove.mixed.expected"); }

// "FILE:N: invalid line" and "FILE:N: ignoring host name with wildcard: H".
void ParseHashStderr(const std::string& text, std::vector<size_t>* invalid,
                     std::vector<std::pair<size_t, std::string>>* wild) {
  for (const std::string& l : Lines(text)) {
    size_t c1 = l.find(':');
    if (c1 == std::string::npos) continue;
    size_t c2 = l.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    std::string what = l.substr(c2 + 2);
    size_t n = std::stoul(l.substr(c1 + 1, c2 - c1 - 1));
    if (what == "invalid line") invalid->push_back(n);
    std::string w = "ignoring host name with wildcard: ";
    if (what.rfind(w, 0) == 0) wild->emplace_back(n, what.substr(w.size()));
  }
}

TEST(KnownHosts, HashRefusesTheLinesSshKeygenRefuses) {
  std::string text = Hosts("known_hosts.mixed");
  std::vector<size_t> invalid;
  std::vector<std::pair<size_t, std::string>> wild;
  ParseHashStderr(Hosts("hash.mixed.stderr"), &invalid, &wild);
  ASSERT_FALSE(invalid.empty());
  crypto::HmacSha1 hmac;
  DeterministicRng rng(1);
  HashOutcome h = HashKnownHosts(text, rng, hmac, KeepStyle::kOpenSsh);
  EXPECT_EQ(h.invalid_lines, invalid);
  ASSERT_EQ(h.wildcard_lines.size(), wild.size());
  for (size_t i = 0; i < wild.size(); ++i) {
    EXPECT_EQ(h.wildcard_lines[i].first, wild[i].first);
    EXPECT_EQ(h.wildcard_lines[i].second.substr(0, 64), wild[i].second);
  }
}

// ssh-keygen -H's output and ours differ only in the random salts: line for
// line, the same text, and hashed fields that hash the same names.
TEST(KnownHosts, HashAgreesWithSshKeygenUpToSalts) {
  std::string text = Hosts("known_hosts.valid");
  std::string theirs = Hosts("hash.valid.hashed");
  std::vector<size_t> invalid;
  std::vector<std::pair<size_t, std::string>> wild;
  ParseHashStderr(Hosts("hash.valid.stderr"), &invalid, &wild);
  crypto::HmacSha1 hmac;
  DeterministicRng rng(7);
  HashOutcome h = HashKnownHosts(text, rng, hmac, KeepStyle::kOpenSsh);
  EXPECT_TRUE(h.invalid_lines.empty());
  EXPECT_TRUE(h.hashed_any);
  EXPECT_EQ(h.wildcard_lines.size(), wild.size());
  std::vector<std::string> names = Lines(Hosts("names.txt"));
  for (auto& n : names) n = AsciiLower(n);
  names.push_back("10.0.0.2");
  // Split on '\n' only, keeping a '\r' (Lines() would too: getline).
  std::vector<std::string> ours = Lines(h.output), want = Lines(theirs);
  ASSERT_EQ(ours.size(), want.size());
  size_t hashed_lines = 0;
  for (size_t i = 0; i < ours.size(); ++i) {
    SCOPED_TRACE(want[i]);
    HostLine a = ParseHostLine(ours[i], i + 1), b = ParseHostLine(want[i], i + 1);
    if (!b.hashed() || a.text == b.text) {
      EXPECT_EQ(a.text, b.text);
      continue;
    }
    ASSERT_TRUE(a.hashed());
    EXPECT_EQ(a.rawkey, b.rawkey);
    EXPECT_NE(a.hosts, b.hosts);  // fresh salts
    std::set<std::string> ma, mb;
    for (const std::string& n : names) {
      if (MatchHashedHost(a.hosts, n, hmac) == HashedMatch::kMatch) ma.insert(n);
      if (MatchHashedHost(b.hosts, n, hmac) == HashedMatch::kMatch) mb.insert(n);
    }
    EXPECT_EQ(ma, mb);
    EXPECT_EQ(ma.size(), 1u);
    ++hashed_lines;
  }
  EXPECT_GT(hashed_lines, 5u);
}

TEST(KnownHosts, PatternsMatchLikeSshKeygen) {
  crypto::HmacSha1 hmac;
  size_t n = 0;
  for (const std::string& l : Lines(Hosts("patterns.expected"))) {
    size_t t1 = l.find('\t'), t2 = l.rfind('\t');
    std::string pattern = l.substr(0, t1), name = l.substr(t1 + 1, t2 - t1 - 1);
    bool expect = l.substr(t2 + 1) == "1";
    EXPECT_EQ(MatchHostField(pattern, name, hmac) == HostFieldMatch::kMatch, expect)
        << "pattern \"" << pattern << "\" name \"" << name << "\"";
    ++n;
  }
  EXPECT_GT(n, 400u);
}

// Lint reports exactly the lines ssh ignores: those -H or -R refuse
// (structure, hashed fields) and those -F finds but -lF does not (keys).
TEST(KnownHosts, LintFindsExactlyTheLinesSshIgnores) {
  std::string text = Hosts("known_hosts.mixed");
  std::set<size_t> expect;
  std::vector<size_t> invalid;
  std::vector<std::pair<size_t, std::string>> wild;
  ParseHashStderr(Hosts("hash.mixed.stderr"), &invalid, &wild);
  expect.insert(invalid.begin(), invalid.end());
  for (const RemoveCase& c : LoadRemoveCases("remove.mixed.expected")) expect.insert(c.invalid.begin(), c.invalid.end());
  std::map<std::string, std::set<size_t>> by_f, by_lf;
  for (const FindCase& c : LoadFindCases()) {
    (c.flags == "-F" ? by_f : by_lf)[c.name].insert(c.lines.begin(), c.lines.end());
  }
  for (const auto& [name, lines] : by_f) {
    for (size_t l : lines)
      if (!by_lf[name].count(l)) expect.insert(l);
  }
  crypto::HmacSha1 hmac;
  std::set<size_t> got;
  for (const HostLineProblem& p : LintKnownHosts(text, hmac)) {
    got.insert(p.line);
    EXPECT_FALSE(p.reason.empty());
  }
  EXPECT_EQ(got, expect);
}

TEST(KnownHosts, LintReasonsNameTheProblem) {
  crypto::HmacSha1 hmac;
  auto reason = [&](const std::string& line) {
    std::vector<HostLineProblem> p = LintKnownHosts(line + "\n", hmac);
    return p.empty() ? std::string("ok") : p[0].reason;
  };
  std::string key = FirstLine(TestData("ed25519.key.pub"));
  key = key.substr(0, key.rfind(' '));
  EXPECT_EQ(reason("h ssh-foo AAAA"), "unknown key type \"ssh-foo\"");
  EXPECT_EQ(reason("h"), "no key after the host field");
  EXPECT_EQ(reason("@bogus h " + key), "unknown marker \"@bogus\" (only @cert-authority and @revoked exist)");
  EXPECT_EQ(reason("@revoked @revoked h " + key), "more than one marker");
  EXPECT_EQ(reason("h 1024 35 99"), "SSH-1 RSA key (no longer supported by OpenSSH)");
  EXPECT_EQ(reason("h ssh-ed25519"), "no key after key type \"ssh-ed25519\"");
  EXPECT_EQ(reason("|1|AAAA|x " + key), "malformed hashed host name \"|1|AAAA|x\"");
  EXPECT_EQ(reason("h " + key), "ok");
  EXPECT_EQ(reason("h " + key + "\r"), "ok");  // b64_pton skips the '\r'
  EXPECT_NE(reason("h ssh-ed25519 AAAAgarbage==").find("bad key"), std::string::npos);
}

// --- the document --------------------------------------------------------

TEST(KnownHostsFile, KeepsEveryByte) {
  for (const char* f : {"known_hosts.mixed", "known_hosts.valid", "hash.valid.hashed"}) {
    std::string text = Hosts(f);
    KnownHostsFile doc(text);
    EXPECT_EQ(doc.Render({}), text) << f;
  }
  for (std::string t : {std::string(""), std::string("\n"), std::string("a"), std::string("a\n\n"),
                        std::string("\r\n\0x\n", 5), std::string("no newline")}) {
    EXPECT_EQ(KnownHostsFile(t).Render({}), t);
  }
}

TEST(KnownHostsFile, EditsTouchOnlyTheirLines) {
  using namespace std::string_literals;
  std::string text = "# c\nhost1 k1\r\n\n  bad line\0x\nhost2 k2"s;
  KnownHostsFile doc(text);
  ASSERT_EQ(doc.line_count(), 5u);
  EXPECT_FALSE(doc.line(5).has_newline);
  KnownHostsFile::Edits e;
  e.remove = {2};
  EXPECT_EQ(doc.Render(e), "# c\n\n  bad line\0x\nhost2 k2"s);
  KnownHostsFile::Edits r;
  r.replace = {{4, {"new1", "new2"}}};
  EXPECT_EQ(doc.Render(r), std::string("# c\nhost1 k1\r\n\nnew1\nnew2\nhost2 k2"));
  KnownHostsFile::Edits a;
  a.append = {"host3 k3"};
  EXPECT_EQ(doc.Render(a), text + "\nhost3 k3\n");
  EXPECT_EQ(KnownHostsFile("x\n").Render(a), "x\nhost3 k3\n");
  EXPECT_EQ(KnownHostsFile("").Render(a), "host3 k3\n");
}

TEST(KnownHostsLine, MarkerNeedsASpaceSomewhereAfterIt) {
  // check_markers() looks for the first space anywhere after the marker and
  // takes a tab only when the line holds no space: "@revoked\thost key"
  // then reads as one long marker.
  EXPECT_EQ(ParseHostLine("@revoked\thost ssh-ed25519 AAAA", 1).error, HostLineError::kBadMarker);
  EXPECT_EQ(ParseHostLine("@revoked\thost\tssh-ed25519\tAAAA", 1).error, HostLineError::kNone);
  EXPECT_EQ(ParseHostLine("@revoked host ssh-ed25519 AAAA", 1).marker, HostMarker::kRevoked);
  EXPECT_EQ(ParseHostLine("@cert-authority   h ssh-ed25519 AAAA", 1).marker, HostMarker::kCertAuthority);
  EXPECT_EQ(ParseHostLine("@ h ssh-ed25519 AAAA", 1).error, HostLineError::kBadMarker);
  EXPECT_TRUE(ParseHostLine("   # x", 1).is_comment);
  EXPECT_TRUE(ParseHostLine("\t", 1).is_comment);
  EXPECT_FALSE(ParseHostLine("\r", 1).is_comment);  // '\r' is not a blank here
}

// --- verdicts --------------------------------------------------------------

struct Keys {
  PublicKey ed = ParseKeyText(FirstLine(TestData("ed25519.key.pub"))).value().key;
  PublicKey ec = ParseKeyText(FirstLine(TestData("ecdsa256.key.pub"))).value().key;
  PublicKey rsa = ParseKeyText(FirstLine(TestData("rsa2048.key.pub"))).value().key;
};

HostKeyCheck Check(const std::string& text, const std::string& host, const PublicKey& key, int port = 22) {
  crypto::HmacSha1 hmac;
  std::vector<KnownHostsSource> src = {{"kh", text}};
  return CheckHostKey(src, host, HostKeyQuery{key, std::nullopt, false}, HostKeyCheckOptions{port, false}, hmac);
}

TEST(KnownHostsCheck, Verdicts) {
  Keys k;
  std::string ed = FormatPublicKey(k.ed), ec = FormatPublicKey(k.ec), rsa = FormatPublicKey(k.rsa);
  std::string text = "h1 " + ed + "\n" + "h2 " + rsa + "\nh2 " + ec + "\n@revoked h3 " + ed + "\nh3 " + ed + "\n" +
                     "[h4]:2222 " + ec + "\nh5 " + ed + "\n";
  HostKeyCheck c = Check(text, "h1", k.ed);
  EXPECT_EQ(c.verdict, HostKeyVerdict::kTrusted);
  EXPECT_EQ(c.line, 1u);
  EXPECT_EQ(Check(text, "H1", k.ed).verdict, HostKeyVerdict::kTrusted);  // ssh lower-cases
  c = Check(text, "h2", k.ed);
  EXPECT_EQ(c.verdict, HostKeyVerdict::kChanged);
  EXPECT_EQ(c.line, 3u);  // the last other key is the one reported
  EXPECT_EQ(Check(text, "h3", k.ed).verdict, HostKeyVerdict::kRevoked);
  EXPECT_EQ(Check(text, "h4", k.ec).verdict, HostKeyVerdict::kUnknown);
  EXPECT_EQ(Check(text, "h4", k.ec, 2222).verdict, HostKeyVerdict::kTrusted);
  EXPECT_EQ(Check(text, "h4", k.ed, 2222).verdict, HostKeyVerdict::kChanged);
  // "[h5]:2200" is unknown; ssh retries "h5" and trusts only the same key.
  c = Check(text, "h5", k.ed, 2200);
  EXPECT_EQ(c.verdict, HostKeyVerdict::kTrusted);
  EXPECT_TRUE(c.via_port_fallback);
  EXPECT_EQ(Check(text, "h5", k.rsa, 2200).verdict, HostKeyVerdict::kUnknown);
  EXPECT_EQ(Check(text, "nohost", k.ed).verdict, HostKeyVerdict::kUnknown);
}

TEST(KnownHostsCheck, EntryLine) {
  Keys k;
  crypto::HmacSha1 hmac;
  DeterministicRng rng(3);
  EXPECT_EQ(KnownHostsEntryLine("Host.Example", 22, k.ed, false, rng, hmac).value(),
            "host.example " + FormatPublicKey(k.ed));
  EXPECT_EQ(KnownHostsEntryLine("h", 2222, k.ed, false, rng, hmac).value(), "[h]:2222 " + FormatPublicKey(k.ed));
  std::string hashed = KnownHostsEntryLine("H", 2222, k.ed, true, rng, hmac).value();
  HostLine l = ParseHostLine(hashed, 1);
  EXPECT_EQ(MatchHostField(l.hosts, "[h]:2222", hmac), HostFieldMatch::kMatch);
  EXPECT_FALSE(KnownHostsEntryLine("a*b", 22, k.ed, false, rng, hmac).ok());
  EXPECT_FALSE(KnownHostsEntryLine("a,b", 22, k.ed, false, rng, hmac).ok());
}

}  // namespace
}  // namespace kw::formats

namespace kw::formats {
namespace {

// Corruption: every byte of a valid line flipped, and every prefix of it.
// Each result is either still a valid line (the change hit a comment or
// left the key decodable) or an invalid one with a reason; nothing else.
TEST(KnownHostsCorruption, FlippedAndTruncatedLinesFailCleanly) {
  crypto::HmacSha1 hmac;
  std::string hashed = testing::FirstLine(TestData("hosts/hash.valid.hashed").substr(
      TestData("hosts/hash.valid.hashed").find("|1|")));
  std::string plain = "@cert-authority host1.example.com,[h]:22 " + testing::FirstLine(TestData("ecdsa256.key.pub"));
  for (const std::string& line : {hashed, plain}) {
    ASSERT_TRUE(LintKnownHosts(line + "\n", hmac).empty()) << line;
    size_t invalid = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      for (uint8_t mask : {0x01, 0x20, 0x80}) {
        std::string bad = line;
        bad[i] = static_cast<char>(bad[i] ^ mask);
        std::vector<HostLineProblem> p = LintKnownHosts(bad + "\n", hmac);
        HostLine l = ParseHostLine(bad, 1);
        if (p.empty()) {
          // Still valid: it must then parse to key depth.
          ASSERT_TRUE(l.is_comment || ParseHostLineKey(l).ok()) << bad;
        } else {
          ASSERT_EQ(p.size(), 1u);
          EXPECT_EQ(p[0].line, 1u);
          EXPECT_FALSE(p[0].reason.empty());
          ++invalid;
        }
      }
    }
    EXPECT_GT(invalid, line.size());  // most flips break something
    for (size_t n = 0; n < line.size(); ++n) {
      std::string cut = line.substr(0, n);
      std::vector<HostLineProblem> p = LintKnownHosts(cut, hmac);
      for (const auto& x : p) EXPECT_FALSE(x.reason.empty()) << cut;
      KnownHostsFile doc(cut);
      EXPECT_EQ(doc.Render({}), cut);
    }
  }
}

}  // namespace
}  // namespace kw::formats
