// The SshdServer harness itself, with keys from the real ssh-keygen only (so
// it runs before keyward exists): a listed key logs in, an unlisted one is
// refused, authorized_keys can be swapped between logins, and extra config
// lines take effect.

#include <gtest/gtest.h>
#include <unistd.h>

#include "base/file.h"
#include "interop/interop.h"
#include "support/sshd_server.h"

KW_INTEROP_ENVIRONMENT(false);

namespace kw::interop {
namespace {

class SshdServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "the sshd interop tests log in as root and must run as root "
                                  "(sshd cannot switch users otherwise)";
    StatusOr<TempDir> d = TempDir::Create("kw-sshd-test");
    ASSERT_TRUE(d.ok());
    dir_.emplace(std::move(*d));
    for (const char* name : {"a", "b"}) {
      SubprocessResult r =
          RunTool({{"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", name}, "", dir_->path()});
      ASSERT_TRUE(r.ExitedWith(0)) << r.Describe();
    }
  }
  std::string Pub(const char* name) {
    StatusOr<std::string> s = ReadFile(dir_->Path(std::string(name) + ".pub"));
    return s.ok() ? *s : "";
  }
  std::optional<TempDir> dir_;
};

TEST_F(SshdServerTest, ListedKeyLogsInOtherKeyIsRefused) {
  test::SshdOptions o;
  o.authorized_keys = Pub("a");
  auto sshd = test::SshdServer::Start(o);
  ASSERT_TRUE(sshd.ok()) << sshd.status().ToString();
  EXPECT_GT((*sshd)->port(), 0);
  auto a = (*sshd)->TryLogin(dir_->Path("a"));
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->ok) << a->Describe() << (*sshd)->Log();
  EXPECT_EQ(a->ssh.out, "kw-login-ok\n");
  auto b = (*sshd)->TryLogin(dir_->Path("b"));
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->ok) << b->Describe();

  // authorized_keys is read at each login.
  ASSERT_TRUE((*sshd)->SetAuthorizedKeys(Pub("b")).ok());
  EXPECT_TRUE((*sshd)->TryLogin(dir_->Path("b"))->ok);
  EXPECT_FALSE((*sshd)->TryLogin(dir_->Path("a"))->ok);

  // The host key is ours, and the log shows the accepted key.
  auto host = (*sshd)->host_public_key();
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(host->rfind("ssh-ed25519 ", 0), 0u);
  EXPECT_NE((*sshd)->Log().find("Accepted publickey for root"), std::string::npos) << (*sshd)->Log();
}

TEST_F(SshdServerTest, ExtraConfigOverridesDefaults) {
  test::SshdOptions o;
  o.authorized_keys = "from=\"127.0.0.1\" " + Pub("a");
  o.config = {"PermitRootLogin no"};  // sshd takes the first value: this wins
  auto sshd = test::SshdServer::Start(o);
  ASSERT_TRUE(sshd.ok()) << sshd.status().ToString();
  auto a = (*sshd)->TryLogin(dir_->Path("a"));
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->ok) << "PermitRootLogin no should have refused root\n" << a->Describe();
}

TEST_F(SshdServerTest, ClientOptionsAndKnownHosts) {
  test::SshdOptions o;
  o.authorized_keys = Pub("a");
  o.host_key_types = {"ed25519", "ecdsa"};
  auto sshd = test::SshdServer::Start(o);
  ASSERT_TRUE(sshd.ok()) << sshd.status().ToString();
  // Strict host key checking against a known_hosts file with the real key.
  auto host = (*sshd)->host_public_key("ed25519");
  ASSERT_TRUE(host.ok());
  std::string kh = "[127.0.0.1]:" + std::to_string((*sshd)->port()) + " " + *host + "\n";
  ASSERT_TRUE(dir_->WriteFile("known_hosts", kh).ok());
  test::LoginOptions lo;
  lo.ssh_options = {"StrictHostKeyChecking=yes", "UserKnownHostsFile=" + dir_->Path("known_hosts"),
                    "HostKeyAlgorithms=ssh-ed25519"};
  auto ok = (*sshd)->TryLogin(dir_->Path("a"), lo);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->ok) << ok->Describe();
  // A known_hosts entry with the wrong key makes ssh refuse the host.
  ASSERT_TRUE(dir_->WriteFile("known_hosts", "[127.0.0.1]:" + std::to_string((*sshd)->port()) + " " +
                                                 KeyPart(Pub("b")) + "\n").ok());
  auto changed = (*sshd)->TryLogin(dir_->Path("a"), lo);
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(changed->ok) << changed->Describe();
  EXPECT_NE(changed->ssh.err.find("HOST IDENTIFICATION HAS CHANGED"), std::string::npos) << changed->Describe();
}

TEST(SshdServerStartup, BadConfigIsReportedWithSshdsMessage) {
  if (::geteuid() != 0) GTEST_FAIL() << "must run as root";
  test::SshdOptions o;
  o.config = {"NoSuchKeyword yes"};
  auto sshd = test::SshdServer::Start(o);
  ASSERT_FALSE(sshd.ok());
  EXPECT_NE(sshd.status().message().find("NoSuchKeyword"), std::string::npos) << sshd.status().ToString();
}

}  // namespace
}  // namespace kw::interop
