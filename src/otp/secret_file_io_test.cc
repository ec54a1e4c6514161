// Secret files on disk: the module's checks and the atomic 0400 rewrite.
#include "otp/secret_file_io.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"

namespace kw::otp {
namespace {

SecretFileAccess Access(std::optional<uid_t> owner, mode_t allowed = 0600) {
  SecretFileAccess a;
  a.owner = owner;
  a.allowed_perm = allowed;
  return a;
}

class SecretFileIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/kw-otp-io.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (DIR* d = ::opendir(dir_.c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") ::unlink((dir_ + "/" + n).c_str());
      }
      ::closedir(d);
    }
    ::rmdir(dir_.c_str());
  }
  std::string Write(const std::string& name, std::string_view text, mode_t mode) {
    std::string p = dir_ + "/" + name;
    ::unlink(p.c_str());
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::fchmod(fd, mode);
    ::close(fd);
    return p;
  }
  int Entries() {
    int n = 0;
    if (DIR* d = ::opendir(dir_.c_str())) {
      while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
      ::closedir(d);
    }
    return n;
  }
  std::string dir_;
};

TEST_F(SecretFileIoTest, LoadChecksLikeTheModule) {
  std::string p = Write("ok", "JBSWY3DP\n\" TOTP_AUTH\n", 0600);
  auto ok = LoadSecretFile(p, Access(::geteuid()));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->file.text(), "JBSWY3DP\n\" TOTP_AUTH\n");

  // Too open.
  std::string open = Write("open", "JBSWY3DP\n", 0640);
  auto r1 = LoadSecretFile(open, {});
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r1.status().message().find("0640"), std::string::npos) << r1.status().ToString();
  EXPECT_TRUE(LoadSecretFile(open, Access(std::nullopt, 0640)).ok());
  // Wrong owner.
  auto r2 = LoadSecretFile(p, Access(::geteuid() + 1));
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().code(), StatusCode::kPermissionDenied);
  // Missing: kNotFound (what nullok looks for).
  auto r3 = LoadSecretFile(dir_ + "/none", {});
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.status().code(), StatusCode::kNotFound);
  // Symlink: not followed.
  ASSERT_EQ(::symlink(p.c_str(), (dir_ + "/link").c_str()), 0);
  auto r4 = LoadSecretFile(dir_ + "/link", {});
  ASSERT_FALSE(r4.ok());
  EXPECT_EQ(r4.status().code(), StatusCode::kPermissionDenied);
  // Directory, FIFO: not regular files.
  ASSERT_EQ(::mkfifo((dir_ + "/fifo").c_str(), 0600), 0);
  EXPECT_FALSE(LoadSecretFile(dir_ + "/fifo", {}).ok());
  // Empty, too large, malformed: the path is named.
  auto r5 = LoadSecretFile(Write("empty", "", 0600), {});
  ASSERT_FALSE(r5.ok());
  EXPECT_NE(r5.status().message().find("empty"), std::string::npos);
  EXPECT_FALSE(LoadSecretFile(Write("big", std::string(kMaxSecretFileSize + 1, 'A'), 0600), {}).ok());
  auto r6 = LoadSecretFile(Write("bad", "!!\n", 0600), {});
  ASSERT_FALSE(r6.ok());
  EXPECT_NE(r6.status().message().find(dir_ + "/bad"), std::string::npos) << r6.status().ToString();
}

TEST_F(SecretFileIoTest, RewriteIsAtomicAndLeaves0400) {
  std::string p = Write("f", "JBSWY3DP\n\" TOTP_AUTH\n12345678\n", 0600);
  auto loaded = LoadSecretFile(p, {});
  ASSERT_TRUE(loaded.ok());
  ASSERT_TRUE(loaded->file.RemoveScratchCode(12345678));
  ASSERT_TRUE(RewriteSecretFile(*loaded).ok());
  auto text = ReadFile(p);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "JBSWY3DP\n\" TOTP_AUTH\n");
  struct stat st;
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0400u);
  EXPECT_EQ(st.st_uid, loaded->st.st_uid);
  EXPECT_EQ(Entries(), 1);  // no temporary left
  // 0400 is still within the default allowed 0600.
  EXPECT_TRUE(LoadSecretFile(p, {}).ok());
}

TEST_F(SecretFileIoTest, RewriteRefusesAFileChangedMeanwhile) {
  std::string p = Write("f", "JBSWY3DP\n12345678\n", 0600);
  auto loaded = LoadSecretFile(p, {});
  ASSERT_TRUE(loaded.ok());
  // Another login replaced it (a new inode).
  Write("f", "JBSWY3DP\n", 0600);
  ASSERT_TRUE(loaded->file.RemoveScratchCode(12345678));
  Status s = RewriteSecretFile(*loaded);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  auto text = ReadFile(p);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "JBSWY3DP\n");
  EXPECT_EQ(Entries(), 1);
}

TEST_F(SecretFileIoTest, WriteNewNeverReplacesUnlessAsked) {
  auto f = SecretFile::Parse("JBSWY3DP\n\" TOTP_AUTH\n");
  ASSERT_TRUE(f.ok());
  std::string p = dir_ + "/new";
  ASSERT_TRUE(WriteNewSecretFile(p, *f, {}).ok());
  struct stat st;
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0400u);
  Status again = WriteNewSecretFile(p, *f, {});
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  NewSecretFileTarget replace;
  replace.replace = true;
  EXPECT_TRUE(WriteNewSecretFile(p, *f, replace).ok());
  EXPECT_EQ(Entries(), 1);
}

}  // namespace
}  // namespace kw::otp
