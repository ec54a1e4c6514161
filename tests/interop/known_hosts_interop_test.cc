// known_hosts: the real ssh-keygen and ssh judge keyward.
//
// Files are generated here with keys from the real ssh-keygen and hold
// every kind of line: plain, hashed (hashed by ssh-keygen -H), wildcard,
// negated, bracketed ports, @cert-authority and @revoked, comments, blank
// and invalid lines. Then:
//  - find: `keyward ssh-keygen -F NAME [-l] [-v] [-q]` prints byte for byte
//    what ssh-keygen prints, for many names present and absent, and
//    `keyward knownhosts find` gives the same stdout and exit status;
//  - remove: `keyward ssh-keygen -R` and `keyward knownhosts remove` leave
//    the same file, FILE.old, mode and messages as ssh-keygen -R;
//  - hash: every name of a file hashed by keyward is found by ssh-keygen -F
//    and the reverse, and the messages and refusals are ssh-keygen's;
//  - check: `keyward knownhosts check` reaches the verdict a real ssh client
//    reaches against a throwaway sshd on 127.0.0.1 (trusted, changed,
//    revoked, unknown; hashed, wildcard and negated lines; ports; host
//    certificates under @cert-authority).

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "base/file.h"
#include "base/rng.h"
#include "interop/interop.h"
#include "support/sshd_server.h"

KW_INTEROP_ENVIRONMENT(true);

namespace kw::interop {
namespace {

std::string Slurp(const std::string& path) {
  StatusOr<std::string> r = ReadFile(path);
  return r.ok() ? *r : std::string();
}

std::vector<std::string> SplitNl(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

std::string KeyText(const std::string& pub_line) { return KeyPart(pub_line); }

struct World {
  TempDir dir;
  std::map<std::string, std::string> key;  // label -> "type base64"
  std::map<std::string, std::string> file;  // name -> contents
  std::vector<std::string> names;           // names to look up
  bool ok = false;
};

bool MakeKey(const TempDir& dir, const std::string& label, const std::vector<std::string>& type_args,
             std::string* text) {
  std::vector<std::string> argv = {"ssh-keygen", "-q", "-N", "", "-C", label + "@kw-test", "-f", dir.Path(label)};
  argv.insert(argv.end(), type_args.begin(), type_args.end());
  SubprocessResult r = RunTool(Inv(argv));
  if (!r.ExitedWith(0)) {
    ADD_FAILURE() << r.Describe();
    return false;
  }
  StatusOr<std::string> pub = ReadFile(dir.Path(label + ".pub"));
  if (!pub.ok()) return false;
  *text = KeyText(*pub);
  return true;
}

// Hashes `plain` with the real ssh-keygen -H and returns the hashed text.
std::string HashWithSshKeygen(const TempDir& dir, const std::string& plain) {
  std::string path = dir.Path("to-hash");
  (void)test::WriteFileWithMode(path, plain, 0600);
  SubprocessResult r = RunTool(Inv({"ssh-keygen", "-H", "-f", path}));
  EXPECT_TRUE(r.ExitedWith(0)) << r.Describe();
  return Slurp(path);
}

// A random but reproducible file: `lines` lines over a pool of names,
// patterns, ports and markers; `invalid` adds lines ssh-keygen refuses.
std::string RandomFile(World& w, uint64_t seed, size_t lines, bool invalid) {
  DeterministicRng rng(seed);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng.NextU32() % n); };
  std::vector<std::string> keys;
  for (const auto& [label, k] : w.key) keys.push_back(k);
  std::string plain_for_hash, out;
  for (size_t i = 0; i < lines; ++i) {
    std::string host = "h" + std::to_string(pick(30)) + ".example.com";
    std::string k = keys[pick(keys.size())];
    switch (pick(invalid ? 16 : 14)) {
      case 0: out += "# comment " + std::to_string(i) + "\n"; break;
      case 1: out += "\n"; break;
      case 2: out += "*.example.com " + k + "\n"; break;
      case 3: out += "h" + std::to_string(pick(3)) + "?.example.com " + k + " wild\n"; break;
      case 4: out += "!" + host + ",*.example.com " + k + "\n"; break;
      case 5: out += "[" + host + "]:" + std::to_string(2200 + pick(3)) + " " + k + "\n"; break;
      case 6: out += "[*.example.com]:2201 " + k + "\n"; break;
      case 7: out += "@cert-authority *.example.com " + k + "\n"; break;
      case 8: out += "@revoked " + host + " " + k + "\n"; break;
      case 9: out += host + ",10.0.0." + std::to_string(pick(5)) + " " + k + " c" + std::to_string(i) + "\n"; break;
      case 10:
      case 11: plain_for_hash += host + " " + k + "\n"; break;
      case 14: out += "@bogus " + host + " " + k + "\n"; break;
      case 15: out += host + " ssh-unknown AAAA\n"; break;
      default: out += (pick(2) ? host : std::string("H") + host.substr(1)) + " " + k + "\n"; break;
    }
    // Splice the hashed lines in now and then.
    if (!plain_for_hash.empty() && pick(8) == 0) {
      out += HashWithSshKeygen(w.dir, plain_for_hash);
      plain_for_hash.clear();
    }
  }
  if (!plain_for_hash.empty()) out += HashWithSshKeygen(w.dir, plain_for_hash);
  return out;
}

World& GetWorld() {
  static World* world = [] {
    StatusOr<TempDir> dir = TempDir::Create("kw-interop-kh");
    if (!dir.ok()) std::abort();
    auto* w = new World{std::move(*dir), {}, {}, {}, false};
    std::string k;
    struct Spec {
      const char* label;
      std::vector<std::string> args;
    };
    for (const Spec& s : std::vector<Spec>{{"ed1", {"-t", "ed25519"}},
                                           {"ed2", {"-t", "ed25519"}},
                                           {"ec256", {"-t", "ecdsa", "-b", "256"}},
                                           {"ec384", {"-t", "ecdsa", "-b", "384"}},
                                           {"rsa", {"-t", "rsa", "-b", "2048"}},
                                           {"dsa", {"-t", "dsa"}}}) {
      if (!MakeKey(w->dir, s.label, s.args, &k)) return w;
      w->key[s.label] = k;
    }
    const std::string& e = w->key["ed1"];
    const std::string& r = w->key["rsa"];
    const std::string& c = w->key["ec256"];
    std::string hashed = HashWithSshKeygen(
        w->dir, "hashed1.example.com " + e + "\nhashed2.example.com,192.0.2.7 " + c + "\n[hashed3.example.com]:2200 " +
                    r + "\n");
    std::string mixed;
    mixed += "# every kind of line\n";
    mixed += "host1.example.com " + e + "\n";
    mixed += "Host2.Example.COM,10.0.0.2 " + r + " trailing comment\n\n  \n";
    mixed += "*.wild.example.com " + c + "\n";
    mixed += "!bad.wild.example.com,*.wild.example.com " + e + "\n";
    mixed += "[host3.example.com]:2222 " + e + "\n";
    mixed += "[*.ports.example.com]:* " + w->key["ec384"] + "\n";
    mixed += "host?.q.example.com " + c + "\n";
    mixed += "@cert-authority *.example.com " + c + "\n";
    mixed += "@revoked host1.example.com " + r + "\n";
    mixed += "@revoked\thost1.example.com " + c + "\n";
    mixed += "@bogus host1.example.com " + e + "\n";
    mixed += "host1.example.com ssh-foo AAAA\n";
    mixed += "host1.example.com\n";
    mixed += "host1.example.com ssh-ed25519\n";
    mixed += "host1.example.com ED25519 " + e.substr(e.find(' ') + 1) + "\n";
    mixed += "host1.example.com ssh-ed25519 AAAAgarbage==\n";
    mixed += "host1.example.com 1024 35 12345\n";
    mixed += "\t  host1.example.com,x " + w->key["dsa"] + " spaced \n";
    mixed += hashed;
    mixed += "|1|garbage|x " + e + "\n";
    mixed += "host4,HOST5,,host6 " + e + "\n";
    mixed += ",lead.example.com " + e + "\n";
    mixed += "crlf.example.com " + e + "\r\n";
    mixed += std::string("nul.example.com ") + e + std::string("\0junk\n", 6);
    mixed += "nonl.example.com " + e;
    w->file["mixed"] = mixed;

    std::string valid;
    valid += "# valid lines only\nhost1.example.com " + e + "\nHost2.Example.COM,10.0.0.2 " + r + " c\n\n";
    valid += "*.wild.example.com " + c + "\n[host3.example.com]:2222 " + e + "\n@cert-authority *.example.com " + c +
             "\n@revoked host1.example.com " + r + "\n" + hashed + "host4,HOST5,,host6 " + e + "\n";
    valid += ",lead.example.com " + e + "\ncrlf.example.com " + e + "\r\n";
    valid += std::string("nul.example.com ") + e + std::string("\0junk\n", 6) + "nonl.example.com " + e;
    w->file["valid"] = valid;
    w->file["random"] = RandomFile(*w, 11, 400, false);
    w->file["random-invalid"] = RandomFile(*w, 12, 300, true);

    w->names = {"host1.example.com", "HOST1.EXAMPLE.COM", "Host2.Example.COM", "host2.example.com", "10.0.0.2",
                "a.wild.example.com", "bad.wild.example.com", "wild.example.com", "host3.example.com",
                "[host3.example.com]:2222", "[a.ports.example.com]:9", "hostx.q.example.com", "hashed1.example.com",
                "Hashed1.example.com", "hashed2.example.com", "192.0.2.7", "[hashed3.example.com]:2200",
                "hashed3.example.com", "host4", "host5", "HOST5", "host6", "lead.example.com", "crlf.example.com",
                "nul.example.com", "x", "nonl.example.com", "nothere.example.com", "10.0.0.3"};
    for (int i = 0; i < 30; i += 3) {
      std::string h = "h" + std::to_string(i) + ".example.com";
      w->names.push_back(h);
      w->names.push_back("[" + h + "]:2201");
      w->names.push_back("H" + h.substr(1));
    }
    w->ok = true;
    return w;
  }();
  return *world;
}

class KnownHostsInterop : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(GetWorld().ok); }
  World& w() { return GetWorld(); }
  // Writes `contents` as DIR/kh (mode `mode`) in a fresh directory DIR.
  std::string Fresh(const std::string& tag, const std::string& contents, mode_t mode = 0640) {
    std::string d = w().dir.Path(tag + std::to_string(counter_++));
    EXPECT_EQ(::mkdir(d.c_str(), 0700), 0);
    EXPECT_TRUE(test::WriteFileWithMode(d + "/kh", contents, mode).ok());
    return d;
  }
  int counter_ = 0;
};

TEST_F(KnownHostsInterop, FindPrintsWhatSshKeygenPrints) {
  MismatchBudget budget;
  size_t checks = 0;
  for (const char* f : {"mixed", "valid", "random", "random-invalid"}) {
    std::string dir = Fresh(std::string("find-") + f, w().file[f]);
    std::vector<std::vector<std::string>> flag_sets = {{"-F"}, {"-l", "-F"}, {"-q", "-F"}};
    // Every name in the hand-made files; every other one in the random ones.
    size_t stride = std::string(f).rfind("random", 0) == 0 ? 2 : 1;
    for (size_t ni = 0; ni < w().names.size(); ni += stride) {
      const std::string& name = w().names[ni];
      for (const auto& flags : flag_sets) {
        if (flags[0] == "-q" && ni % 3 != 0) continue;
        std::vector<std::string> args = flags;
        args.insert(args.end(), {name, "-f", "kh"});
        Invocation oracle = Inv({"ssh-keygen"}, dir);
        Invocation kw = Inv({"keyward", "ssh-keygen"}, dir);
        oracle.argv.insert(oracle.argv.end(), args.begin(), args.end());
        kw.argv.insert(kw.argv.end(), args.begin(), args.end());
        KW_CHECK(budget, SameAsOracle(oracle, kw, StderrMatch::kExact));
        ++checks;
      }
    }
  }
  EXPECT_GT(checks, 250u);
}

TEST_F(KnownHostsInterop, FindFlagVariants) {
  MismatchBudget budget;
  std::string dir = Fresh("findv", w().file["mixed"]);
  for (std::string name : {"host1.example.com", "hashed2.example.com", "a.wild.example.com", "nothere"}) {
    for (const std::vector<std::string>& flags :
         std::vector<std::vector<std::string>>{{"-lvF"}, {"-l", "-E", "md5", "-F"}, {"-l", "-B", "-F"},
                                               {"-v", "-F"}, {"-lqF"}}) {
      Invocation oracle = Inv({"ssh-keygen"}, dir);
        Invocation kw = Inv({"keyward", "ssh-keygen"}, dir);
      for (Invocation* inv : {&oracle, &kw}) {
        inv->argv.insert(inv->argv.end(), flags.begin(), flags.end());
        inv->argv.insert(inv->argv.end(), {name, "-f", "kh"});
      }
      KW_CHECK(budget, SameAsOracle(oracle, kw, StderrMatch::kExact));
    }
  }
  // Errors: no such file, -l with -R.
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"-F", "x", "-f", "missing"}, {"-R", "x", "-l", "-f", "kh"}, {"-H", "-l", "-f", "kh"}}) {
    Invocation oracle = Inv({"ssh-keygen"}, dir);
        Invocation kw = Inv({"keyward", "ssh-keygen"}, dir);
    oracle.argv.insert(oracle.argv.end(), args.begin(), args.end());
    kw.argv.insert(kw.argv.end(), args.begin(), args.end());
    SubprocessResult a = RunTool(oracle), b = RunTool(kw);
    EXPECT_EQ(a.exit_code, b.exit_code) << test::ShellQuote(args) << "\n" << a.Describe() << b.Describe();
    EXPECT_EQ(a.out, b.out);
    if (args[0] == "-F") {
      EXPECT_EQ(a.err, b.err);
    }
  }
}

TEST_F(KnownHostsInterop, NativeFindGivesTheSameOutput) {
  MismatchBudget budget;
  std::string dir = Fresh("native-find", w().file["random"]);
  for (size_t ni = 0; ni < w().names.size(); ni += 2) {
    const std::string& name = w().names[ni];
    for (bool l : {false, true}) {
      Invocation oracle = Inv({"ssh-keygen", "-F", name, "-f", "kh"}, dir);
      Invocation kw = Inv({"keyward", "knownhosts", "find", name, "-f", "kh"}, dir);
      if (l) {
        oracle.argv.push_back("-l");
        kw.argv.push_back("-l");
      }
      KW_CHECK(budget, SameAsOracle(oracle, kw, StderrMatch::kEmptyIffEmpty));
    }
  }
}

// The state of a directory after a rewrite: every file's bytes and mode.
std::map<std::string, std::pair<std::string, mode_t>> Snapshot(const std::string& dir) {
  std::map<std::string, std::pair<std::string, mode_t>> out;
  for (const char* n : {"kh", "kh.old"}) {
    struct stat st;
    std::string p = dir + "/" + n;
    if (::stat(p.c_str(), &st) == 0) out[n] = std::make_pair(Slurp(p), static_cast<mode_t>(st.st_mode & 07777));
  }
  // Nothing else may be left behind (temporary files).
  SubprocessResult ls = RunTool(Inv({"ls", "-A", dir}));
  for (const std::string& f : SplitNl(ls.out))
    if (f != "kh" && f != "kh.old") out["stray:" + f] = std::make_pair(std::string(), mode_t{0});
  return out;
}

::testing::AssertionResult SameDirs(const std::string& what, const std::string& a, const std::string& b) {
  auto sa = Snapshot(a), sb = Snapshot(b);
  if (sa == sb) return ::testing::AssertionSuccess();
  auto r = ::testing::AssertionFailure() << what << ": files differ\n";
  for (const auto& [n, v] : sa) {
    auto it = sb.find(n);
    if (it == sb.end()) {
      r << "  only in ssh-keygen's: " << n << "\n";
    } else if (it->second != v) {
      r << "  " << n << ": mode " << std::oct << v.second << " vs " << it->second.second << std::dec << "\n"
        << LineDiff(v.first, it->second.first);
    }
  }
  for (const auto& [n, v] : sb)
    if (!sa.count(n)) r << "  only in keyward's: " << n << "\n";
  return r;
}

TEST_F(KnownHostsInterop, RemoveLeavesWhatSshKeygenLeaves) {
  MismatchBudget budget;
  size_t checks = 0;
  for (const char* f : {"valid", "mixed", "random", "random-invalid"}) {
    for (size_t i = 0; i < w().names.size(); i += (std::string(f) == "random" ? 2 : 3)) {
      const std::string& name = w().names[i];
      for (bool quiet : {false, true}) {
        if (quiet && i % 4 != 0) continue;
        std::string a = Fresh("rm-a", w().file[f], 0664), b = Fresh("rm-b", w().file[f], 0664);
        Invocation oracle = Inv({"ssh-keygen", "-R", name, "-f", "kh"}, a);
        Invocation kw = Inv({"keyward", "ssh-keygen", "-R", name, "-f", "kh"}, b);
        if (quiet) {
          oracle.argv.push_back("-q");
          kw.argv.push_back("-q");
        }
        std::string what = std::string(f) + " -R " + name;
        KW_CHECK(budget, SameAsOracle(oracle, kw, StderrMatch::kExact));
        KW_CHECK(budget, SameDirs(what, a, b));
        ++checks;
      }
    }
  }
  EXPECT_GT(checks, 60u);
}

// keyward's own command: the same lines removed, the same messages, the
// file's mode kept. Lines are kept byte for byte, so compare on files
// without NUL bytes or a missing final newline (where ssh-keygen rewrites
// the kept lines too).
TEST_F(KnownHostsInterop, NativeRemoveAgrees) {
  MismatchBudget budget;
  for (const char* f : {"random", "random-invalid"}) {
    for (size_t i = 0; i < w().names.size(); i += 3) {
      const std::string& name = w().names[i];
      std::string a = Fresh("nrm-a", w().file[f], 0600), b = Fresh("nrm-b", w().file[f], 0600);
      Invocation oracle = Inv({"ssh-keygen", "-R", name, "-f", "kh"}, a);
      Invocation kw = Inv({"keyward", "knownhosts", "remove", name, "-f", "kh"}, b);
      KW_CHECK(budget, SameAsOracle(oracle, kw, StderrMatch::kContains));
      KW_CHECK(budget, SameDirs(std::string(f) + " remove " + name, a, b));
    }
  }
  // Verbatim: a CRLF line, a NUL byte and no final newline survive.
  std::string nul_line = "nul.example.com " + w().key["ed1"] + std::string("\0x\n", 3);
  std::string text = "keep.example.com " + w().key["ed1"] + "\r\n" + nul_line + "gone " + w().key["ed2"] + "\nlast " +
                     w().key["ec256"];
  std::string d = Fresh("nrm-verbatim", text, 0644);
  SubprocessResult r = RunTool(Inv({"keyward", "knownhosts", "remove", "gone", "-f", "kh"}, d));
  ASSERT_TRUE(r.ExitedWith(0)) << r.Describe();
  EXPECT_EQ(Slurp(d + "/kh"), "keep.example.com " + w().key["ed1"] + "\r\n" + nul_line + "last " + w().key["ec256"]);
  EXPECT_EQ(Slurp(d + "/kh.old"), text);
}

// Lines of two -F outputs, with the host field of hashed lines blanked.
std::string WithoutSalts(const std::string& out) {
  std::string r;
  for (const std::string& l : SplitNl(out)) {
    if (l.rfind("|1|", 0) == 0) {
      r += "<hashed>" + l.substr(l.find(' ')) + "\n";
    } else {
      r += l + "\n";
    }
  }
  return r;
}

TEST_F(KnownHostsInterop, HashedByEitherIsFoundByBoth) {
  MismatchBudget budget;
  for (const char* f : {"valid", "random"}) {
    std::string a = Fresh("hash-a", w().file[f], 0640), b = Fresh("hash-b", w().file[f], 0640);
    Invocation oracle = Inv({"ssh-keygen", "-H", "-f", "kh"}, a);
    Invocation kw = Inv({"keyward", "ssh-keygen", "-H", "-f", "kh"}, b);
    ASSERT_TRUE(SameAsOracle(oracle, kw, StderrMatch::kExact));
    // The backups are the input; the modes agree.
    auto sa = Snapshot(a), sb = Snapshot(b);
    EXPECT_EQ(sa["kh.old"], sb["kh.old"]);
    EXPECT_EQ(sa["kh"].second, sb["kh"].second);
    EXPECT_EQ(sa.size(), sb.size());
    // Same line count, hashed at the same places.
    EXPECT_EQ(WithoutSalts(sa["kh"].first), WithoutSalts(sb["kh"].first));
    EXPECT_NE(sa["kh"].first, sb["kh"].first);  // fresh salts
    for (size_t ni = 0; ni < w().names.size(); ni += (std::string(f) == "random" ? 2 : 1)) {
      const std::string& name = w().names[ni];
      // ssh-keygen finds in keyward's file what it finds in its own.
      SubprocessResult in_theirs = RunTool(Inv({"ssh-keygen", "-F", name, "-f", "kh"}, a));
      SubprocessResult in_ours = RunTool(Inv({"ssh-keygen", "-F", name, "-f", "kh"}, b));
      EXPECT_EQ(in_theirs.exit_code, in_ours.exit_code) << name;
      EXPECT_EQ(WithoutSalts(in_theirs.out), WithoutSalts(in_ours.out)) << f << " " << name;
      // keyward reads both files as ssh-keygen does.
      for (const std::string& d : {a, b}) {
        Invocation o = Inv({"ssh-keygen", "-F", name, "-f", "kh"}, d);
        Invocation k = Inv({"keyward", "ssh-keygen", "-F", name, "-f", "kh"}, d);
        KW_CHECK(budget, SameAsOracle(o, k, StderrMatch::kExact));
      }
    }
  }
}

TEST_F(KnownHostsInterop, HashRefusesInvalidFilesLikeSshKeygen) {
  for (const char* f : {"mixed", "random-invalid"}) {
    for (bool native : {false, true}) {
      std::string a = Fresh("hashbad-a", w().file[f]), b = Fresh("hashbad-b", w().file[f]);
      Invocation oracle = Inv({"ssh-keygen", "-H", "-f", "kh"}, a);
      Invocation kw = Inv(native ? std::vector<std::string>{"keyward", "knownhosts", "hash", "-f", "kh"}
                                 : std::vector<std::string>{"keyward", "ssh-keygen", "-H", "-f", "kh"},
                          b);
      EXPECT_TRUE(SameAsOracle(oracle, kw, native ? StderrMatch::kContains : StderrMatch::kExact));
      EXPECT_TRUE(SameDirs(std::string(f) + " -H", a, b));
      EXPECT_EQ(Slurp(b + "/kh"), w().file[f]);  // untouched
    }
  }
  // -F with -H prints the found lines hashed; -R with -H hashes nothing.
  std::string a = Fresh("fh-a", w().file["valid"]), b = Fresh("fh-b", w().file["valid"]);
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"-F", "host1.example.com", "-H"}, {"-R", "host1.example.com", "-H"}, {"-R", "nothere", "-H"},
           {"-F", "host4", "-R", "host1.example.com"}}) {
    Invocation oracle = Inv({"ssh-keygen"}, a);
        Invocation kw = Inv({"keyward", "ssh-keygen"}, b);
    for (Invocation* inv : {&oracle, &kw}) {
      inv->argv.insert(inv->argv.end(), args.begin(), args.end());
      inv->argv.insert(inv->argv.end(), {"-f", "kh"});
    }
    SubprocessResult ro = RunTool(oracle), rk = RunTool(kw);
    EXPECT_EQ(ro.exit_code, rk.exit_code) << test::ShellQuote(args);
    EXPECT_EQ(WithoutSalts(ro.out), WithoutSalts(rk.out)) << test::ShellQuote(args);
    EXPECT_EQ(ro.err, rk.err) << test::ShellQuote(args);
    EXPECT_TRUE(SameDirs(test::ShellQuote(args), a, b));
  }
}

// ---------------------------------------------------------------------------
// Verdicts against a real ssh client and a throwaway sshd.

struct SshVerdict {
  std::string verdict;  // trusted, changed, revoked, unknown, error
  size_t line = 0;      // trusted: "Found key in F:N"; changed: "Offending ... key in F:N"
  std::string raw;
};

size_t LineAfter(const std::string& err, const std::string& marker, const std::string& file) {
  size_t p = err.find(marker);
  if (p == std::string::npos) return 0;
  p = err.find(file + ":", p);
  if (p == std::string::npos) return 0;
  return static_cast<size_t>(std::strtoul(err.c_str() + p + file.size() + 1, nullptr, 10));
}

SshVerdict Classify(const SubprocessResult& r, const std::string& kh) {
  SshVerdict v;
  v.raw = r.Describe();
  const std::string& e = r.err;
  if (e.find("REVOKED HOST KEY DETECTED") != std::string::npos) {
    v.verdict = "revoked";
  } else if (e.find("REMOTE HOST IDENTIFICATION HAS CHANGED") != std::string::npos) {
    v.verdict = "changed";
    v.line = LineAfter(e, "Offending", kh);
  } else if (e.find("host key is known for") != std::string::npos) {
    v.verdict = "unknown";
  } else if (r.ExitedWith(0) || e.find("Permission denied") != std::string::npos) {
    v.verdict = "trusted";
    size_t a = LineAfter(e, "Found key in", kh), b = LineAfter(e, "Found CA key in", kh);
    v.line = a ? a : b;
  } else {
    v.verdict = "error";
  }
  return v;
}

struct Server {
  std::unique_ptr<test::SshdServer> sshd;
  std::string host_pub;   // the plain host key line
  std::string cert_path;  // host certificate (cert server only)
};

class VerdictInterop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    StatusOr<TempDir> d = TempDir::Create("kw-interop-verdict");
    ASSERT_TRUE(d.ok());
    dir_ = new TempDir(std::move(*d));
    // A client key that the servers accept, so a trusted host ends in a login.
    SubprocessResult r = RunTool(Inv({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir_->Path("id")}));
    ASSERT_TRUE(r.ExitedWith(0)) << r.Describe();
    std::string id_pub = ReadFile(dir_->Path("id.pub")).value();
    for (const char* k : {"other", "other_ec", "ca", "other_ca"}) {
      std::vector<std::string> argv = {"ssh-keygen", "-q", "-N", "", "-f", dir_->Path(k), "-t",
                                       std::string(k) == "other_ec" ? "ecdsa" : "ed25519"};
      ASSERT_TRUE(RunTool(Inv(argv)).ExitedWith(0));
    }
    test::SshdOptions o;
    o.authorized_keys = id_pub;
    auto s = test::SshdServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    plain_ = new Server{std::move(*s), "", ""};
    plain_->host_pub = plain_->sshd->host_public_key().value();

    // A second server presenting a host certificate for "kwcert" (and
    // "kwcert2"), signed by "ca".
    StatusOr<TempDir> hk = TempDir::Create("kw-interop-hostcert");
    ASSERT_TRUE(hk.ok());
    hostcert_dir_ = new TempDir(std::move(*hk));
    std::string key = hostcert_dir_->Path("host_ed25519");
    ASSERT_TRUE(RunTool(Inv({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key})).ExitedWith(0));
    r = RunTool(Inv({"ssh-keygen", "-q", "-s", dir_->Path("ca"), "-h", "-I", "kwhost", "-n", "kwcert,kwcert2", key + ".pub"}));
    ASSERT_TRUE(r.ExitedWith(0)) << r.Describe();
    test::SshdOptions co;
    co.authorized_keys = id_pub;
    co.config = {"HostKey " + key, "HostCertificate " + key + "-cert.pub"};
    co.host_key_types = {};
    auto cs = test::SshdServer::Start(co);
    ASSERT_TRUE(cs.ok()) << cs.status().ToString();
    cert_ = new Server{std::move(*cs), KeyPart(ReadFile(key + ".pub").value()), key + "-cert.pub"};
  }
  static void TearDownTestSuite() {
    delete plain_;
    delete cert_;
    delete hostcert_dir_;
    delete dir_;
  }

  static std::string Pub(const char* name) { return KeyPart(ReadFile(dir_->Path(std::string(name) + ".pub")).value()); }

  // ssh with StrictHostKeyChecking=yes against `server`, known_hosts `kh`.
  SshVerdict RunSsh(const Server& server, const std::string& kh_text, const std::string& name, bool alias) {
    std::string kh = dir_->Path("kh" + std::to_string(counter_++));
    EXPECT_TRUE(test::WriteFileWithMode(kh, kh_text, 0600).ok());
    last_kh_ = kh;
    std::vector<std::string> argv = {"ssh", "-F", "/dev/null", "-o", "UserKnownHostsFile=" + kh, "-o",
                                     "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-o",
                                     "BatchMode=yes", "-o", "UpdateHostKeys=no", "-o", "LogLevel=DEBUG1", "-o",
                                     "AddressFamily=inet", "-o", "ConnectTimeout=10", "-o", "IdentitiesOnly=yes",
                                     "-i", dir_->Path("id"), "-p", std::to_string(server.sshd->port())};
    if (alias) argv.insert(argv.end(), {"-o", "HostKeyAlias=" + name});
    argv.insert(argv.end(), {"root@" + (alias ? std::string("127.0.0.1") : name), "true"});
    test::SubprocessOptions so;
    so.env.emplace_back("SSH_AUTH_SOCK", std::nullopt);
    so.timeout = std::chrono::seconds(30);
    StatusOr<SubprocessResult> r = test::RunSubprocess(argv, so);
    EXPECT_TRUE(r.ok());
    return Classify(*r, kh);
  }

  SshVerdict RunKeyward(const Server& server, const std::string& keyfile, const std::string& name, bool alias) {
    std::vector<std::string> argv = {"keyward", "knownhosts", "check", name, keyfile, "-f", last_kh_};
    if (alias) {
      argv.push_back("--alias");
    } else {
      argv.insert(argv.end(), {"-p", std::to_string(server.sshd->port())});
    }
    SubprocessResult r = RunTool(Inv(argv));
    SshVerdict v;
    v.raw = r.Describe();
    std::string first = r.out.substr(0, r.out.find(':'));
    v.verdict = first;
    size_t p = r.out.find(last_kh_ + ":");
    if (p != std::string::npos) v.line = std::strtoul(r.out.c_str() + p + last_kh_.size() + 1, nullptr, 10);
    int want = v.verdict == "trusted" ? 0 : v.verdict == "unknown" ? 2 : v.verdict == "changed" ? 3 : 4;
    EXPECT_EQ(r.exit_code, want) << r.Describe();
    return v;
  }

  void Expect(const Server& server, const std::string& what, const std::string& kh, const std::string& name,
              bool alias, const std::string& keyfile, const std::string& expect_verdict) {
    SshVerdict ssh = RunSsh(server, kh, name, alias);
    SshVerdict kw = RunKeyward(server, keyfile, name, alias);
    // The scenario must mean what it says: ssh's own verdict is checked too.
    EXPECT_EQ(ssh.verdict, expect_verdict) << what << "\n" << ssh.raw;
    EXPECT_EQ(kw.verdict, ssh.verdict) << what << "\nssh: " << ssh.raw << "\nkeyward: " << kw.raw << "\nknown_hosts:\n"
                                       << kh;
    if (ssh.line != 0) {
      EXPECT_EQ(kw.line, ssh.line) << what << "\nssh: " << ssh.raw << "\nkeyward: " << kw.raw;
    }
  }

  std::string HostPubFile(const Server& s) {
    std::string p = dir_->Path("hostkey" + std::to_string(counter_++) + ".pub");
    EXPECT_TRUE(test::WriteFileWithMode(p, s.host_pub + "\n", 0644).ok());
    return p;
  }

  static TempDir* dir_;
  static TempDir* hostcert_dir_;
  static Server* plain_;
  static Server* cert_;
  std::string last_kh_;
  int counter_ = 0;
};
TempDir* VerdictInterop::dir_ = nullptr;
TempDir* VerdictInterop::hostcert_dir_ = nullptr;
Server* VerdictInterop::plain_ = nullptr;
Server* VerdictInterop::cert_ = nullptr;

std::string Hash(const TempDir& dir, const std::string& name, const std::string& key) {
  return HashWithSshKeygen(dir, name + " " + key + "\n");
}

TEST_F(VerdictInterop, PlainHostKey) {
  const Server& s = *plain_;
  std::string hk = s.host_pub, other = Pub("other"), other_ec = Pub("other_ec");
  std::string kf = HostPubFile(s);
  struct Case {
    std::string what, kh, name, verdict;
  };
  std::vector<Case> cases = {
      {"plain line", "# c\nkwhost " + hk + "\n", "kwhost", "trusted"},
      {"second of several names", "a,kwhost,b " + hk + "\n", "kwhost", "trusted"},
      {"upper-case pattern", "KWHOST " + hk + "\n", "kwhost", "trusted"},
      {"hashed line", Hash(*dir_, "kwhost", hk), "kwhost", "trusted"},
      {"wildcard", "*.example.com " + hk + "\n", "a.example.com", "trusted"},
      {"question mark", "kwhos? " + hk + "\n", "kwhost", "trusted"},
      {"negated", "!a.example.com,*.example.com " + hk + "\n", "a.example.com", "unknown"},
      {"another key", "kwhost " + other + "\n", "kwhost", "changed"},
      {"another key type", "kwhost " + other_ec + "\n", "kwhost", "changed"},
      {"two other keys: the last is named", "kwhost " + other + "\nx " + hk + "\nkwhost " + other_ec + "\n", "kwhost",
       "changed"},
      {"other key first, then ours", "kwhost " + other + "\nkwhost " + hk + "\n", "kwhost", "trusted"},
      {"ours, then revoked", "kwhost " + hk + "\n@revoked kwhost " + hk + "\n", "kwhost", "revoked"},
      {"revoked by wildcard", "@revoked * " + hk + "\nkwhost " + hk + "\n", "kwhost", "revoked"},
      {"revoked only", "@revoked kwhost " + hk + "\n", "kwhost", "revoked"},
      {"revoked other key, ours known", "@revoked kwhost " + other + "\nkwhost " + hk + "\n", "kwhost", "trusted"},
      {"empty", "", "kwhost", "unknown"},
      {"bracketed port does not match the bare name", "[kwhost]:2222 " + hk + "\n", "kwhost", "unknown"},
      {"bracketed alias", "[kwhost]:2222 " + hk + "\n", "[kwhost]:2222", "trusted"},
      {"invalid lines ignored", "@bogus kwhost " + hk + "\nkwhost ssh-ed25519\nkwhost ssh-foo AAAA\n", "kwhost",
       "unknown"},
      {"bad key ignored", "kwhost ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBAD\nkwhost " + hk + "\n", "kwhost", "trusted"},
      {"CA line does not vouch for a plain key", "@cert-authority kwhost " + hk + "\n", "kwhost", "unknown"},
      {"CRLF line", "kwhost " + hk + "\r\n", "kwhost", "trusted"},
  };
  for (const Case& c : cases) Expect(s, c.what, c.kh, c.name, true, kf, c.verdict);
}

// Without HostKeyAlias ssh looks up "[localhost]:PORT", and when that is
// unknown, retries "localhost" and trusts only the same key there.
TEST_F(VerdictInterop, PortsWithoutAlias) {
  const Server& s = *plain_;
  std::string hk = s.host_pub, other = Pub("other");
  std::string kf = HostPubFile(s);
  std::string port = std::to_string(s.sshd->port());
  Expect(s, "[localhost]:PORT", "[localhost]:" + port + " " + hk + "\n", "localhost", false, kf, "trusted");
  Expect(s, "wildcard port", "[localhost]:* " + hk + "\n", "localhost", false, kf, "trusted");
  Expect(s, "bare host, same key", "localhost " + hk + "\n", "localhost", false, kf, "trusted");
  Expect(s, "bare host, other key", "localhost " + other + "\n", "localhost", false, kf, "unknown");
  Expect(s, "port line wins over bare", "[localhost]:" + port + " " + other + "\nlocalhost " + hk + "\n", "localhost",
         false, kf, "changed");
  Expect(s, "hashed port line", Hash(*dir_, "[localhost]:" + port, hk), "localhost", false, kf, "trusted");
  Expect(s, "other port", "[localhost]:1 " + hk + "\n", "localhost", false, kf, "unknown");
}

// `keyward knownhosts add` records a host so that a strict ssh then trusts
// it: plain and hashed, with and without a port; and it refuses to record
// over a changed key.
TEST_F(VerdictInterop, AddThenSshTrusts) {
  const Server& s = *plain_;
  std::string kf = HostPubFile(s);
  std::string port = std::to_string(s.sshd->port());
  for (bool hash : {false, true}) {
    for (bool with_port : {false, true}) {
      std::string kh = dir_->Path("added" + std::to_string(counter_++));
      ASSERT_TRUE(test::WriteFileWithMode(kh, "# existing\nother " + Pub("other"), 0600).ok());
      std::vector<std::string> argv = {"keyward", "knownhosts", "add", with_port ? "localhost" : "kwadded", kf,
                                       "-f", kh};
      if (with_port) argv.insert(argv.end(), {"-p", port});
      if (hash) argv.push_back("--hash");
      SubprocessResult r = RunTool(Inv(argv));
      ASSERT_TRUE(r.ExitedWith(0)) << r.Describe();
      std::string text = Slurp(kh);
      EXPECT_EQ(text.rfind("# existing\nother " + Pub("other") + "\n", 0), 0u) << text;  // untouched, newline added
      EXPECT_EQ(text.find("|1|") != std::string::npos, hash) << text;
      SshVerdict v = RunSsh(s, text, with_port ? "localhost" : "kwadded", !with_port);
      EXPECT_EQ(v.verdict, "trusted") << v.raw << text;
      // A second add is a no-op; another key for the host is refused.
      SubprocessResult again = RunTool(Inv(argv));
      EXPECT_TRUE(again.ExitedWith(0)) << again.Describe();
      EXPECT_EQ(Slurp(kh), text);
      std::string other_pub = dir_->Path("other.pub");
      std::vector<std::string> argv2 = argv;
      argv2[4] = other_pub;
      SubprocessResult changed = RunTool(Inv(argv2));
      EXPECT_TRUE(changed.ExitedWith(3)) << changed.Describe();
      EXPECT_EQ(Slurp(kh), text);
    }
  }
}

TEST_F(VerdictInterop, HostCertificates) {
  const Server& s = *cert_;
  std::string ca = Pub("ca"), other_ca = Pub("other_ca"), hk = s.host_pub;
  std::string cert = s.cert_path;
  Expect(s, "CA trusted for the name", "@cert-authority kwcert " + ca + "\n", "kwcert", true, cert, "trusted");
  Expect(s, "CA trusted by wildcard", "@cert-authority kw* " + ca + "\n", "kwcert2", true, cert, "trusted");
  Expect(s, "CA trusted, hashed", "@cert-authority " + Hash(*dir_, "kwcert", ca).substr(0, 60) + " " + ca + "\n",
         "kwcert", true, cert, "trusted");
  Expect(s, "another CA, plain key known", "@cert-authority kwcert " + other_ca + "\nkwcert " + hk + "\n", "kwcert",
         true, cert, "trusted");
  Expect(s, "another CA only", "@cert-authority kwcert " + other_ca + "\n", "kwcert", true, cert, "unknown");
  Expect(s, "CA revoked", "@cert-authority kwcert " + ca + "\n@revoked * " + ca + "\n", "kwcert", true, cert,
         "revoked");
  Expect(s, "host key revoked", "@cert-authority kwcert " + ca + "\n@revoked kwcert " + hk + "\n", "kwcert", true,
         cert, "revoked");
  Expect(s, "name not a principal: falls back to the plain key", "@cert-authority * " + ca + "\n", "other", true, cert,
         "unknown");
  Expect(s, "name not a principal, plain key known", "@cert-authority * " + ca + "\nother " + hk + "\n", "other", true,
         cert, "trusted");
}

}  // namespace
}  // namespace kw::interop
