// The audit over a generated tree with planted problems: the report must
// find exactly those. Keys are the ssh-keygen-made vectors of
// src/formats/testdata; what is wrong with each is planted here.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <set>

#include "audit/report.h"
#include "audit/scan.h"
#include "base/file.h"

namespace kw::audit {
namespace {

std::string KeyLine(const std::string& name, bool with_comment = true) {
  const char* src = std::getenv("KW_SOURCE_DIR");
  std::string t = ReadFile(std::string(src ? src : ".") + "/src/formats/testdata/" + name + ".key.pub").value();
  t = t.substr(0, t.find('\n'));
  if (!with_comment) t = t.substr(0, t.find(' ', t.find(' ') + 1));
  return t;
}

std::string Fp(const std::string& name) {
  const char* src = std::getenv("KW_SOURCE_DIR");
  // "256 SHA256:... comment (ED25519)" as ssh-keygen -l printed it.
  std::string l = ReadFile(std::string(src ? src : ".") + "/src/formats/testdata/" + name + ".l.expected").value();
  size_t a = l.find(' ') + 1;
  return l.substr(a, l.find(' ', a) - a);
}

class Tree {
 public:
  Tree() {
    char tmpl[] = "/tmp/kw-audit-test.XXXXXX";
    root_ = ::mkdtemp(tmpl);
  }
  ~Tree() { (void)std::system(("rm -rf '" + root_ + "'").c_str()); }
  const std::string& root() const { return root_; }
  void Dir(const std::string& p, mode_t mode, uid_t uid) {
    std::string r = root_ + p;
    ::mkdir(r.c_str(), mode);
    ::chmod(r.c_str(), mode);
    if (::geteuid() == 0) (void)::chown(r.c_str(), uid, uid);
  }
  void File(const std::string& p, const std::string& text, mode_t mode, uid_t uid) {
    std::string r = root_ + p;
    ASSERT_TRUE(WriteFileAtomic(r, text, {mode, false}).ok());
    ::chmod(r.c_str(), mode);
    if (::geteuid() == 0) (void)::chown(r.c_str(), uid, uid);
  }
  void Link(const std::string& target, const std::string& p) { ASSERT_EQ(::symlink(target.c_str(), (root_ + p).c_str()), 0); }

 private:
  std::string root_;
};

TEST(Audit, FindsExactlyThePlantedProblems) {
  bool root_run = ::geteuid() == 0;
  // Not root: every account owns its files through our own uid.
  uid_t a_uid = root_run ? 1000 : ::geteuid();
  Tree t;
  t.Dir("/etc", 0755, 0);
  t.File("/etc/passwd",
         "root:x:0:0:root:/root:/bin/bash\n"
         "# a comment\n"
         "alice:x:" + std::to_string(a_uid) + ":100::/home/alice:/bin/bash\n"
         "bob:x:" + std::to_string(a_uid + (root_run ? 1 : 0)) + ":100::/home/bob:/bin/sh\n"
         "carol:x:" + std::to_string(a_uid + (root_run ? 2 : 0)) + ":100::/home/carol:/bin/sh\n"
         "dave:x:" + std::to_string(a_uid + (root_run ? 3 : 0)) + ":100::/home/dave:/bin/sh\n"
         "nokeys:x:" + std::to_string(a_uid + (root_run ? 4 : 0)) + ":100::/home/nokeys:/bin/sh\n"
         "+nis\nbroken line\n",
         0644, 0);
  t.Dir("/root", 0700, 0);
  t.Dir("/root/.ssh", 0700, 0);
  t.File("/root/.ssh/authorized_keys", KeyLine("ed25519") + "\nrestrict " + KeyLine("rsa2048") + "\n", 0600, 0);
  t.Dir("/home", 0755, 0);
  const std::vector<std::string> users = {"alice", "bob", "carol", "dave", "nokeys"};
  for (size_t i = 0; i < users.size(); ++i) {
    uid_t uid = a_uid + (root_run ? static_cast<uid_t>(i) : 0);
    t.Dir("/home/" + users[i], 0750, uid);
    t.Dir("/home/" + users[i] + "/.ssh", users[i] == "carol" ? 0777 : 0700, uid);
  }
  t.File("/home/alice/.ssh/authorized_keys",
         "# alice\n" + KeyLine("ed25519") + "\n" + KeyLine("rsa1024") + "\nexpiry-time=\"20200101\" " +
             KeyLine("ecdsa256") + "\n",
         0600, a_uid);
  t.File("/home/bob/.ssh/authorized_keys", "no-pty " + KeyLine("dsa") + "\n", 0664, a_uid + (root_run ? 1 : 0));
  t.File("/home/carol/.ssh/authorized_keys", KeyLine("ecdsa384", false) + "\n", 0600, a_uid + (root_run ? 2 : 0));
  t.Dir("/srv", 0755, 0);
  t.Dir("/srv/keys", 0755, 0);
  t.File("/srv/keys/dave", "bogus-option " + KeyLine("ecdsa521") + "\nthis is not a key\n", 0644, 0);
  t.Link("/srv/keys/dave", "/home/dave/.ssh/authorized_keys2");

  ScanOptions o;
  o.root = t.root();
  o.host = "h1";
  o.now = 1900000000;
  StatusOr<Report> r = Scan(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();

  // (fingerprint, flag) for keys, (account, flag) for occurrences and problems.
  std::set<std::pair<std::string, std::string>> key_flags, occ_flags, problems;
  for (const auto& [fp, k] : r->keys) {
    for (const Flag& f : k.flags) key_flags.insert({fp, f.flag});
    for (const Occurrence& oc : k.occurrences)
      for (const Flag& f : oc.flags) occ_flags.insert({oc.account + ":" + fp, f.flag});
  }
  for (const Problem& p : r->problems) problems.insert({p.account + ":" + std::to_string(p.line), p.flag.flag});

  std::set<std::pair<std::string, std::string>> want_keys = {
      {Fp("ed25519"), kFlagShared},     {Fp("rsa1024"), kFlagWeak},       {Fp("dsa"), kFlagWeak},
      {Fp("ecdsa384"), kFlagNoComment},
  };
  std::set<std::pair<std::string, std::string>> want_occ = {
      {"root:" + Fp("ed25519"), kFlagUnrestrictedRoot},
      {"alice:" + Fp("ecdsa256"), kFlagExpired},
      {"bob:" + Fp("dsa"), kFlagStrictModes},
      {"carol:" + Fp("ecdsa384"), kFlagStrictModes},
      {"dave:" + Fp("ecdsa521"), kFlagRejected},
  };
  std::set<std::pair<std::string, std::string>> want_problems = {
      {"bob:0", kFlagStrictModes},
      {"carol:0", kFlagStrictModes},
      {"dave:2", kFlagRejected},
  };
  EXPECT_EQ(key_flags, want_keys);
  EXPECT_EQ(occ_flags, want_occ);
  EXPECT_EQ(problems, want_problems);
  EXPECT_EQ(r->keys.size(), 7u);
  EXPECT_EQ(r->accounts, 6u);
  EXPECT_EQ(r->files, 5u);
  // Where each key is: the canonical path through the link.
  const KeyRecord& dave = r->keys.at(Fp("ecdsa521"));
  ASSERT_EQ(dave.occurrences.size(), 1u);
  EXPECT_EQ(dave.occurrences[0].file, "/srv/keys/dave");
  EXPECT_EQ(dave.occurrences[0].options, "bogus-option");
  EXPECT_EQ(r->keys.at(Fp("rsa1024")).bits, 1024);

  // JSON round trip, and merging two hosts makes a key shared across hosts.
  Report back = FromJson(ToJson(*r)).value();
  EXPECT_EQ(ToJson(back), ToJson(*r));
  EXPECT_FALSE(FromJson("{").ok());
  EXPECT_FALSE(FromJson("{\"version\":2}").ok());
  EXPECT_TRUE(FromJson(R"({"version":1,"keys":[{"fingerprint":"SHA256:x","bits":"wrong type"}]})").ok());
  Report other = *r;
  for (auto& [fp, k] : other.keys)
    for (Occurrence& oc : k.occurrences) oc.host = "h2";
  other.hosts = {"h2"};
  Report merged = Merge({*r, other});
  EXPECT_EQ(merged.hosts, (std::vector<std::string>{"h1", "h2"}));
  const KeyRecord& rsa = merged.keys.at(Fp("rsa2048"));
  EXPECT_EQ(rsa.occurrences.size(), 2u);
  EXPECT_TRUE(std::any_of(rsa.flags.begin(), rsa.flags.end(), [](const Flag& f) { return f.flag == kFlagShared; }));
  EXPECT_FALSE(ToTable(merged).empty());
}

TEST(Audit, PatternExpansion) {
  PasswdEntry pw{"alice", 1000, 100, "/home/alice"};
  EXPECT_EQ(ExpandAuthorizedKeysPattern(".ssh/authorized_keys", pw).value(), "/home/alice/.ssh/authorized_keys");
  EXPECT_EQ(ExpandAuthorizedKeysPattern("/etc/ssh/keys/%u", pw).value(), "/etc/ssh/keys/alice");
  EXPECT_EQ(ExpandAuthorizedKeysPattern("%h/k%%%U", pw).value(), "/home/alice/k%1000");
  EXPECT_FALSE(ExpandAuthorizedKeysPattern("%x", pw).ok());
  EXPECT_FALSE(ExpandAuthorizedKeysPattern("a%", pw).ok());
}

TEST(Audit, ResolveStaysInsideTheRoot) {
  Tree t;
  ::mkdir((t.root() + "/a").c_str(), 0755);
  ::mkdir((t.root() + "/a/b").c_str(), 0755);
  ASSERT_EQ(::symlink("/a/b", (t.root() + "/abs").c_str()), 0);
  ASSERT_EQ(::symlink("../..", (t.root() + "/a/b/up").c_str()), 0);
  ASSERT_EQ(::symlink("loop", (t.root() + "/loop").c_str()), 0);
  EXPECT_EQ(ResolveInRoot(t.root(), "/abs").value(), "/a/b");
  EXPECT_EQ(ResolveInRoot(t.root(), "/a/b/up/../../a").value(), "/a");
  EXPECT_EQ(ResolveInRoot(t.root(), "/..").value(), "/");
  EXPECT_FALSE(ResolveInRoot(t.root(), "/loop").ok());
  EXPECT_FALSE(ResolveInRoot(t.root(), "/missing").ok());
}

}  // namespace
}  // namespace kw::audit
