#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/file.h"

namespace kw::test {
namespace {

TEST(TempDir, CreatesAndRemovesRecursively) {
  std::string path;
  {
    auto dir = TempDir::Create("kw-tempdir-test");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    path = dir->path();
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    auto sub = dir->MakeDir("sub");
    ASSERT_TRUE(sub.ok());
    auto f = dir->WriteFile("sub/file", "data", 0600);
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(*ReadFile(*f), "data");
    ASSERT_EQ(::stat(f->c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    TempDir moved = std::move(*dir);
    EXPECT_EQ(moved.path(), path);
  }
  EXPECT_FALSE(PathExists(path));
}

TEST(TempDir, HonoursTmpdir) {
  auto outer = TempDir::Create();
  ASSERT_TRUE(outer.ok());
  const char* old = std::getenv("TMPDIR");
  std::string saved = old ? old : "";
  ::setenv("TMPDIR", outer->path().c_str(), 1);
  auto inner = TempDir::Create("x");
  if (old) ::setenv("TMPDIR", saved.c_str(), 1); else ::unsetenv("TMPDIR");
  ASSERT_TRUE(inner.ok());
  EXPECT_EQ(inner->path().rfind(outer->path() + "/x.", 0), 0u) << inner->path();
}

TEST(TempDir, CopyFileKeepsBytesAndMode) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  auto a = dir->WriteFile("a", std::string("\0\1\2", 3), 0640);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(CopyFile(*a, dir->Path("b")).ok());
  EXPECT_EQ(*ReadFile(dir->Path("b")), std::string("\0\1\2", 3));
  struct stat st;
  ASSERT_EQ(::stat(dir->Path("b").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

}  // namespace
}  // namespace kw::test
