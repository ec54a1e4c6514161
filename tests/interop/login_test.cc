// Keys made by `keyward keygen` log in to a real sshd: for each key type the
// server's authorized_keys holds the key's .pub line as keyward wrote it, ssh
// authenticates with keyward's private key file, and another key of the same
// type is refused (so the test can fail).

#include <gtest/gtest.h>

#include "base/file.h"
#include "interop/interop.h"
#include "support/sshd_server.h"

KW_INTEROP_ENVIRONMENT(true);

namespace kw::interop {
namespace {

class KeywardLogin : public ::testing::TestWithParam<std::string> {};

TEST_P(KeywardLogin, KeyLogsInAndAnotherKeyIsRefused) {
  const KeySpec& spec = SpecByLabel(GetParam());
  StatusOr<TempDir> dir = TempDir::Create("kw-interop-login");
  ASSERT_TRUE(dir.ok());
  for (const char* name : {"good", "other"}) {
    std::vector<std::string> args = {"keyward", "keygen", "-t", spec.type};
    if (spec.bits != 0) args.insert(args.end(), {"-b", std::to_string(spec.bits)});
    args.insert(args.end(), {"-N", "", "-C", std::string(name) + "@kw-login-test", "-f", name});
    SubprocessResult r = RunTool({args, "", dir->path()});
    ASSERT_TRUE(r.ExitedWith(0)) << test::ShellQuote(args) << "\n" << r.Describe();
  }
  StatusOr<std::string> pub = ReadFile(dir->Path("good.pub"));
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();

  test::SshdOptions options;
  options.authorized_keys = *pub;
  StatusOr<std::unique_ptr<test::SshdServer>> sshd = test::SshdServer::Start(options);
  ASSERT_TRUE(sshd.ok()) << sshd.status().ToString();

  StatusOr<test::LoginResult> good = (*sshd)->TryLogin(dir->Path("good"));
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_TRUE(good->ok) << "keyward's " << spec.label << " key was not accepted\n"
                        << good->Describe() << "--- sshd log ---\n" << (*sshd)->Log();

  StatusOr<test::LoginResult> other = (*sshd)->TryLogin(dir->Path("other"));
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_FALSE(other->ok) << "a key that is not in authorized_keys logged in\n" << other->Describe();
  EXPECT_NE(other->ssh.err.find("Permission denied"), std::string::npos) << other->Describe();
}

INSTANTIATE_TEST_SUITE_P(Types, KeywardLogin,
                         ::testing::Values("ed25519", "ecdsa256", "ecdsa384", "ecdsa521", "rsa2048", "rsa3072"));

}  // namespace
}  // namespace kw::interop
