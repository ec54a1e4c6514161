// KRLs, judged by the real ssh-keygen and sshd (OpenSSH 9.2):
//
// - for random sets of revoked serials, ranges, key ids, keys, digests and
//   certificates, `keyward ssh-keygen -k` and `keyward krl build` write the
//   bytes ssh-keygen -k writes for the same spec (the generation date
//   masked), and print the same;
// - ssh-keygen -Q and keyward (-Q and `krl query`) agree on every test key
//   and certificate, each reading the other's KRL; -Q -l prints the same;
// - -u updates, and ssh-keygen's error messages;
// - a real sshd with RevokedKeys pointing at a keyward KRL refuses revoked
//   keys and certificates and admits the rest.

#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "base/file.h"
#include "interop/interop.h"
#include "support/sshd_server.h"

KW_INTEROP_ENVIRONMENT(true);

namespace kw::interop {
namespace {

// Keys, CAs and certificates made once by ssh-keygen.
class Pool {
 public:
  static const Pool& Get() {
    static const Pool pool;  // removed at exit
    return pool;
  }
  bool ok() const { return ok_; }
  const TempDir& dir() const { return *dir_; }
  std::string Read(const std::string& f) const {
    StatusOr<std::string> s = ReadFile(dir_->Path(f));
    return s.ok() ? *s : "";
  }
  // Files to query: plain keys and certificates.
  std::vector<std::string> queries;
  // Key ids and serials of the certificates (to revoke some of them).
  std::vector<std::string> ids;
  std::vector<uint64_t> serials;
  std::vector<std::string> plain_keys;  // .pub files

 private:
  Pool() {
    auto d = TempDir::Create("kw-krl-pool");
    if (!d.ok()) return;
    dir_.emplace(std::move(*d));
    ok_ = true;
    auto run = [&](std::vector<std::string> argv) {
      SubprocessResult r = RunTool({argv, "", dir_->path()});
      if (!r.ExitedWith(0)) {
        ok_ = false;
        ADD_FAILURE() << test::ShellQuote(argv) << "\n" << r.Describe();
      }
    };
    run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ca", "-f", "ca"});
    run({"ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-C", "ca2", "-f", "ca2"});
    const char* types[] = {"ed25519", "ecdsa", "rsa", "ed25519", "ecdsa", "ed25519", "ed25519", "ecdsa"};
    for (int i = 0; i < 8; ++i) {
      std::string name = "k" + std::to_string(i);
      std::vector<std::string> argv = {"ssh-keygen", "-q", "-t", types[i], "-N", "", "-C", name, "-f", name};
      if (std::string(types[i]) == "rsa") argv.insert(argv.begin() + 4, {"-b", "1024"});
      run(argv);
      plain_keys.push_back(name + ".pub");
      queries.push_back(name + ".pub");
    }
    // Certificates of k0..k7 with serials in the ranges the random specs use.
    const uint64_t cert_serials[] = {1, 7, 100, 1000, 4096, 65536, 0, 1ULL << 40};
    for (int i = 0; i < 8; ++i) {
      std::string key = "k" + std::to_string(i);
      std::string id = "user-" + std::to_string(i) + (i % 3 == 0 ? " with space" : "");
      std::string copy = "c" + std::to_string(i) + ".pub";
      Status s = test::CopyFile(dir_->Path(key + ".pub"), dir_->Path(copy));
      if (!s.ok()) ok_ = false;
      run({"ssh-keygen", "-q", "-s", i % 4 == 3 ? "ca2" : "ca", "-I", id, "-z", std::to_string(cert_serials[i]), "-n",
           "root", copy});
      queries.push_back("c" + std::to_string(i) + "-cert.pub");
      ids.push_back(id);
      serials.push_back(cert_serials[i]);
    }
  }
  std::optional<TempDir> dir_;
  bool ok_ = false;
};

std::string KeyPartOf(const std::string& line) {
  size_t sp = line.find(' ');
  size_t sp2 = line.find(' ', sp + 1);
  return line.substr(0, sp2 == std::string::npos ? line.find('\n') : sp2);
}

// A random spec over the pool (seeded: reproducible).
std::string RandomSpec(std::mt19937_64& rng, const Pool& pool, bool with_ca) {
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  std::string spec = "# random spec\n";
  if (with_ca) {
    int singles = static_cast<int>(pick(200));
    for (int i = 0; i < singles; ++i) {
      uint64_t s;
      switch (pick(5)) {
        case 0: s = 1 + pick(100); break;                     // dense: bitmaps
        case 1: s = 1 + pick(5000); break;                    // sparse: lists
        case 2: s = pool.serials[pick(pool.serials.size())]; break;
        case 3: s = 1 + (rng() >> 1); break;                  // huge
        default: s = 60000 + pick(10000); break;
      }
      if (s == 0) s = 1;
      spec += pick(4) == 0 ? "serial: 0x" + [&] {
        char b[32];
        std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(s));
        return std::string(b);
      }() + "\n"
                           : "serial:" + std::string(pick(2) ? " " : "\t") + std::to_string(s) + "\n";
    }
    int ranges = static_cast<int>(pick(6));
    for (int i = 0; i < ranges; ++i) {
      uint64_t lo = 1 + pick(100000);
      spec += "serial: " + std::to_string(lo) + "-" + std::to_string(lo + 1 + pick(pick(2) ? 50 : 5000)) + "\n";
    }
    int ids = static_cast<int>(pick(8));
    for (int i = 0; i < ids; ++i) {
      spec += pick(2) ? "id: " + pool.ids[pick(pool.ids.size())] + "\n"
                      : "ID:   random-" + std::to_string(pick(1000)) + "  # comment\n";
    }
  }
  int keys = static_cast<int>(pick(6));
  for (int i = 0; i < keys; ++i) {
    std::string line = pool.Read(pool.plain_keys[pick(pool.plain_keys.size())]);
    line = line.substr(0, line.find('\n'));
    switch (pick(5)) {
      case 0: spec += "key: " + line + "\n"; break;
      case 1: spec += "sha1: " + line + "\n"; break;
      case 2: spec += "sha256: " + KeyPartOf(line) + "\n"; break;
      case 3: spec += "  " + line + "\n"; break;
      default: {
        // A certificate line: revoked by serial (or id) under its own CA.
        std::string cert = pool.Read("c" + std::to_string(pick(8)) + "-cert.pub");
        spec += cert.substr(0, cert.find('\n')) + "\n";
      }
    }
  }
  if (pick(3) == 0) spec += "\n   \n# the end\n";
  return spec;
}

// The KRL with its generation date (bytes 20..27) zeroed.
std::string MaskDate(std::string krl) {
  if (krl.size() >= 28) std::fill(krl.begin() + 20, krl.begin() + 28, '\0');
  return krl;
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(KrlInterop, RandomSpecsGiveSshKeygensBytesAndVerdicts) {
  const Pool& pool = Pool::Get();
  ASSERT_TRUE(pool.ok());
  const std::string d = pool.dir().path();
  std::mt19937_64 rng(20240601);
  MismatchBudget budget;
  for (int trial = 0; trial < 24; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    bool with_ca = trial % 4 != 3;
    bool wildcard = trial % 5 == 1;
    std::string spec = RandomSpec(rng, pool, with_ca);
    ASSERT_TRUE(pool.dir().WriteFile("spec", spec).ok());
    std::vector<std::string> args = {"-k", "-f", "OUT"};
    if (with_ca) args.insert(args.end(), {"-s", wildcard ? "none" : "ca.pub"});
    if (trial % 3 == 0) args.insert(args.end(), {"-z", std::to_string(trial * 1000 + 1)});
    if (trial % 6 == 2) args.push_back("-q");
    args.push_back("spec");
    auto with_out = [&](std::vector<std::string> a, const std::string& out) {
      for (auto& s : a)
        if (s == "OUT") s = out;
      return a;
    };
    Invocation o{Concat({"ssh-keygen"}, with_out(args, "o.krl")), "", d};
    Invocation k{Concat({"keyward", "ssh-keygen"}, with_out(args, "k.krl")), "", d};
    SubprocessResult want = RunTool(o), got = RunTool(k);
    if (!KW_CHECK(budget, SameResult(test::ShellQuote(k.argv), o, want, k, got, StderrMatch::kExact))) {
      ADD_FAILURE() << "spec:\n" << spec;
      continue;
    }
    std::string okrl = pool.Read("o.krl"), kkrl = pool.Read("k.krl");
    EXPECT_EQ(HexEncode(AsBytes(MaskDate(kkrl))), HexEncode(AsBytes(MaskDate(okrl)))) << "spec:\n" << spec;
    // The native command writes the same bytes (these KRLs have no bitmap
    // OpenSSH could not read back).
    std::vector<std::string> native = {"keyward", "krl", "build", "-q", "-f", "n.krl"};
    if (with_ca) native.insert(native.end(), {"-s", wildcard ? "none" : "ca.pub"});
    if (trial % 3 == 0) native.insert(native.end(), {"-z", std::to_string(trial * 1000 + 1)});
    native.push_back("spec");
    SubprocessResult n = RunTool({native, "", d});
    EXPECT_TRUE(n.ExitedWith(0)) << n.Describe();
    EXPECT_EQ(MaskDate(pool.Read("n.krl")), MaskDate(okrl));

    // Verdicts on every test key, across: each tool on each KRL.
    Invocation oq{Concat({"ssh-keygen", "-Q", "-f", "o.krl"}, pool.queries), "", d};
    SubprocessResult truth = RunTool(oq);
    ASSERT_TRUE(truth.ExitedWith(0) || truth.ExitedWith(1)) << truth.Describe();
    for (const Invocation& inv :
         {Invocation{Concat({"ssh-keygen", "-Q", "-f", "k.krl"}, pool.queries), "", d},
          Invocation{Concat({"keyward", "ssh-keygen", "-Q", "-f", "o.krl"}, pool.queries), "", d},
          Invocation{Concat({"keyward", "krl", "query", "-f", "o.krl"}, pool.queries), "", d}}) {
      KW_CHECK(budget, SameResult(test::ShellQuote(inv.argv), oq, truth, inv, RunTool(inv), StderrMatch::kExact));
    }
    KW_CHECK(budget, SameAsOracle({{"ssh-keygen", "-Q", "-l", "-f", "o.krl"}, "", d},
                                  {{"keyward", "ssh-keygen", "-Q", "-l", "-f", "o.krl"}, "", d}, StderrMatch::kExact));
    KW_CHECK(budget, SameAsOracle({{"ssh-keygen", "-Q", "-l", "-f", "o.krl"}, "", d},
                                  {{"keyward", "krl", "show", "-f", "o.krl"}, "", d}, StderrMatch::kExact));
  }
}

TEST(KrlInterop, UpdatesAndErrors) {
  const Pool& pool = Pool::Get();
  ASSERT_TRUE(pool.ok());
  const std::string d = pool.dir().path();
  ASSERT_TRUE(pool.dir().WriteFile("s1", "serial: 1-10\nid: first\n").ok());
  ASSERT_TRUE(pool.dir().WriteFile("s2", "serial: 20\nid: second\n" + pool.Read("k0.pub")).ok());
  MismatchBudget budget;
  // Build with ssh-keygen, update the same file with each tool.
  ASSERT_TRUE(RunTool({{"ssh-keygen", "-q", "-k", "-f", "base.krl", "-s", "ca.pub", "-z", "5", "s1"}, "", d})
                  .ExitedWith(0));
  for (const std::string out : {"uo.krl", "uk.krl"}) ASSERT_TRUE(test::CopyFile(d + "/base.krl", d + "/" + out).ok());
  KW_CHECK(budget, SameResult("-u", {}, RunTool({{"ssh-keygen", "-k", "-u", "-f", "uo.krl", "-s", "ca2.pub", "s2"}, "", d}),
                              {}, RunTool({{"keyward", "ssh-keygen", "-k", "-u", "-f", "uk.krl", "-s", "ca2.pub", "s2"},
                                           "", d}),
                              StderrMatch::kExact));
  EXPECT_EQ(pool.Read("uk.krl"), pool.Read("uo.krl"));  // the date is kept by both

  struct Case {
    std::string spec;
    std::vector<std::string> args;
  } cases[] = {
      {"serial: 5\n", {}},                                // no CA
      {"id: x\n", {}},
      {"serial: x5\n", {"-s", "ca.pub"}},
      {"serial: 9-3\n", {"-s", "ca.pub"}},
      {"serial: 0\n", {"-s", "ca.pub"}},
      {"serial: 99999999999999999999\n", {"-s", "ca.pub"}},
      {"hash: MD5:aa\n", {}},
      {"hash: SHA256:AAAA\n", {}},
      {"ssh-ed25519 AAAAbroken\n", {}},
      {"serial: 5\n", {"-s", "missing.pub"}},
      {"serial: 5\n", {"-u", "-s", "ca.pub"}},              // -u of a missing KRL
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.spec);
    ASSERT_TRUE(pool.dir().WriteFile("bad.spec", c.spec).ok());
    std::vector<std::string> args = Concat({"-k", "-f", "nonexistent.krl"}, c.args);
    args.push_back("bad.spec");
    KW_CHECK(budget, SameAsOracle({Concat({"ssh-keygen"}, args), "", d},
                                  {Concat({"keyward", "ssh-keygen"}, args), "", d}, StderrMatch::kExact));
  }
  // Querying something that is not a KRL.
  KW_CHECK(budget, SameAsOracle({{"ssh-keygen", "-Q", "-f", "k0.pub", "k1.pub"}, "", d},
                                {{"keyward", "ssh-keygen", "-Q", "-f", "k0.pub", "k1.pub"}, "", d}, StderrMatch::kExact));
  KW_CHECK(budget, SameAsOracle({{"ssh-keygen", "-Q", "-f", "base.krl", "missing.pub"}, "", d},
                                {{"keyward", "ssh-keygen", "-Q", "-f", "base.krl", "missing.pub"}, "", d},
                                StderrMatch::kExact));
}

TEST(KrlInterop, BitmapsOpenSshCannotReadBack) {
  // Every other serial up to 40000 under one CA: ssh-keygen -k writes one
  // bitmap of 2500 bytes and then cannot read its own KRL. keyward
  // ssh-keygen -k writes the same bytes; `keyward krl build` splits the
  // bitmap, and ssh-keygen -Q reads that and revokes the right serials.
  const Pool& pool = Pool::Get();
  ASSERT_TRUE(pool.ok());
  const std::string d = pool.dir().path();
  std::string spec;
  for (int s = 1; s < 40000; s += 2) spec += "serial: " + std::to_string(s) + "\n";
  ASSERT_TRUE(pool.dir().WriteFile("dense.spec", spec).ok());
  ASSERT_TRUE(RunTool({{"ssh-keygen", "-q", "-k", "-f", "do.krl", "-s", "ca.pub", "dense.spec"}, "", d}).ExitedWith(0));
  ASSERT_TRUE(RunTool({{"keyward", "ssh-keygen", "-q", "-k", "-f", "dk.krl", "-s", "ca.pub", "dense.spec"}, "", d})
                  .ExitedWith(0));
  EXPECT_EQ(MaskDate(pool.Read("dk.krl")), MaskDate(pool.Read("do.krl")));
  SubprocessResult unreadable = RunTool({{"ssh-keygen", "-Q", "-f", "do.krl", "k0.pub"}, "", d});
  EXPECT_TRUE(unreadable.ExitedWith(255)) << unreadable.Describe();
  EXPECT_TRUE(SameAsOracle({{"ssh-keygen", "-Q", "-f", "do.krl", "k0.pub"}, "", d},
                           {{"keyward", "ssh-keygen", "-Q", "-f", "do.krl", "k0.pub"}, "", d}, StderrMatch::kExact));
  ASSERT_TRUE(RunTool({{"keyward", "krl", "build", "-q", "-f", "dn.krl", "-s", "ca.pub", "dense.spec"}, "", d})
                  .ExitedWith(0));
  // c0 (serial 1) and c1 (serial 7) are revoked, c2 (100) and c3 (other CA) not.
  SubprocessResult q = RunTool({{"ssh-keygen", "-Q", "-f", "dn.krl", "c0-cert.pub", "c1-cert.pub", "c2-cert.pub",
                                 "c3-cert.pub"},
                                "", d});
  EXPECT_TRUE(q.ExitedWith(1)) << q.Describe();
  EXPECT_EQ(q.out,
            "c0-cert.pub (k0): REVOKED\nc1-cert.pub (k1): REVOKED\nc2-cert.pub (k2): ok\nc3-cert.pub (k3): ok\n");
}

TEST(KrlInterop, SshdRevokedKeysHonoursKeywardKrl) {
  const Pool& pool = Pool::Get();
  ASSERT_TRUE(pool.ok());
  auto dir = TempDir::Create("kw-krl-sshd");
  ASSERT_TRUE(dir.ok());
  const std::string d = dir->path();
  for (const std::string f : {"ca", "ca.pub", "k0", "k0.pub", "k1", "k1.pub", "k2", "k2.pub", "k4", "k4.pub", "k5",
                              "k5.pub", "k6", "k6.pub"})
    ASSERT_TRUE(test::CopyFile(pool.dir().Path(f), dir->Path(f)).ok());
  // User certificates from keyward: k0 serial 10 (revoked by range), k1
  // serial 11 (not revoked), k2 serial 0 id "gone" (revoked by id), k4
  // serial 12 but its key is revoked by SHA256.
  auto sign = [&](const std::string& key, const std::string& serial, const std::string& id) {
    SubprocessResult r = RunTool({{"keyward", "cert", "sign", "-q", "-s", "ca", "-I", id, "-n", "root", "-z", serial,
                                   key + ".pub"},
                                  "", d});
    ASSERT_TRUE(r.ExitedWith(0)) << r.Describe();
  };
  sign("k0", "10", "zero");
  sign("k1", "11", "one");
  sign("k2", "0", "gone");
  sign("k4", "12", "four");
  std::string spec = "serial: 5-10\nid: gone\nsha256: " + pool.Read("k4.pub") + "key: " + pool.Read("k5.pub");
  ASSERT_TRUE(dir->WriteFile("revoked.spec", spec).ok());
  SubprocessResult b = RunTool({{"keyward", "krl", "build", "-f", "revoked.krl", "-s", "ca.pub", "revoked.spec"}, "", d});
  ASSERT_TRUE(b.ExitedWith(0)) << b.Describe();

  test::SshdOptions so;
  so.config = {"TrustedUserCAKeys " + dir->Path("ca.pub"), "RevokedKeys " + dir->Path("revoked.krl")};
  // Plain keys k5 (revoked explicitly) and k6 (fine) in authorized_keys.
  so.authorized_keys = pool.Read("k5.pub") + pool.Read("k6.pub");
  auto sshd = test::SshdServer::Start(so);
  ASSERT_TRUE(sshd.ok()) << sshd.status().ToString();
  struct Case {
    const char* key;
    bool accepted;
  } cases[] = {{"k0", false}, {"k1", true}, {"k2", false}, {"k4", false}, {"k5", false}, {"k6", true}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.key);
    StatusOr<test::LoginResult> r = (*sshd)->TryLogin(dir->Path(c.key));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->ok, c.accepted) << r->Describe() << "--- sshd log ---\n" << (*sshd)->Log();
  }
  EXPECT_NE((*sshd)->Log().find("revoked by file"), std::string::npos) << (*sshd)->Log();
}

}  // namespace
}  // namespace kw::interop
