#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/file.h"
#include "base/rng.h"
#include "base/secret_bytes.h"
#include "base/status.h"

namespace kw {
namespace {

StatusOr<int> Half(int v) {
  if (v % 2) return InvalidArgumentError("odd");
  return v / 2;
}

Status UseHalf(int v, int* out) {
  KW_ASSIGN_OR_RETURN(*out, Half(v));
  KW_RETURN_IF_ERROR(OkStatus());
  return OkStatus();
}

TEST(Status, ValueAndErrorPaths) {
  int out = 0;
  EXPECT_TRUE(UseHalf(4, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = UseHalf(3, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.WithContext("keys.pub:3").message(), "keys.pub:3: odd");
  EXPECT_EQ(s.ToString(), "INVALID_ARGUMENT: odd");
}

TEST(Bytes, HexAndBitLength) {
  Bytes b;
  ASSERT_TRUE(HexDecode("00ff10", &b));
  EXPECT_EQ(HexEncode(b), "00ff10");
  EXPECT_FALSE(HexDecode("0g", &b));
  EXPECT_EQ(BitLength(Bytes{}), 0);
  EXPECT_EQ(BitLength(Bytes{0, 0}), 0);
  EXPECT_EQ(BitLength(Bytes{0, 1}), 1);
  EXPECT_EQ(BitLength(Bytes{0x80, 0}), 16);
  EXPECT_EQ(BitLength(Bytes{0, 0x7f, 0xff}), 15);
}

TEST(SecretBytes, MoveCompareClone) {
  SecretBytes a(std::string_view("secret"));
  SecretBytes b = a.Clone();
  EXPECT_TRUE(a == b);
  SecretBytes c(std::string_view("secreT"));
  EXPECT_FALSE(a == c);
  SecretBytes d = std::move(a);
  EXPECT_EQ(d.view(), "secret");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  EXPECT_FALSE(ConstantTimeEquals(AsBytes("ab"), AsBytes("abc")));
}

TEST(Rng, DeterministicIsRepeatable) {
  DeterministicRng a(7), b(7), c(8);
  uint8_t x[20], y[20], z[20];
  a.Fill(x);
  b.Fill(y);
  c.Fill(z);
  EXPECT_EQ(0, memcmp(x, y, sizeof x));
  EXPECT_NE(0, memcmp(x, z, sizeof x));
}

TEST(Clock, Fake) {
  FakeClock c(100);
  c.Advance(5);
  EXPECT_EQ(c.NowUnix(), 105);
  EXPECT_GT(SystemClock::Get().NowUnix(), 1700000000);
}

class TempDir {
 public:
  TempDir() {
    std::string t = "/tmp/kwbaseXXXXXX";
    path_ = mkdtemp(t.data());
  }
  ~TempDir() { std::system(("rm -rf " + path_).c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(File, AtomicWriteModeReplaceAndNoReplace) {
  TempDir dir;
  std::string p = dir.path() + "/f";
  ASSERT_TRUE(WriteFileAtomic(p, "one", {.mode = 0600}).ok());
  struct stat st;
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(ReadFile(p).value(), "one");
  ASSERT_TRUE(WriteFileAtomic(p, "two", {.mode = 0644}).ok());
  EXPECT_EQ(ReadFile(p).value(), "two");
  Status s = WriteFileAtomic(p, "three", {.mode = 0644, .no_replace = true});
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadFile(p).value(), "two");
  // No temporary files are left behind, on success or failure.
  EXPECT_NE(system(("ls " + dir.path() + " | grep -q kwtmp").c_str()), 0);
}

TEST(File, ErrorsNameThePath) {
  auto r = ReadFile("/nonexistent/keyward");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "/nonexistent/keyward: No such file or directory");
  Status s = WriteFileAtomic("/nonexistent/dir/f", "x", {});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent/dir/f"), std::string::npos);
}

// Collects what ReadFileLines passes on, at most `stop_after` lines.
std::vector<std::string> Lines(const std::string& path, size_t stop_after = SIZE_MAX) {
  std::vector<std::string> lines;
  Status s = ReadFileLines(path, [&](std::string_view line) {
    lines.emplace_back(line);
    return lines.size() < stop_after;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return lines;
}

TEST(File, ReadLinesSplitsAtNewlinesAcrossPieces) {
  TempDir dir;
  std::string p = dir.path() + "/f";
  // Lines that straddle the 64 KiB pieces, one longer than a piece, an
  // empty one, and a last line without a newline.
  std::vector<std::string> want;
  std::string text;
  for (size_t i = 0; i < 3000; ++i) want.push_back(std::string(i % 97, 'a' + i % 26) + "\n");
  want.push_back(std::string(200000, 'x') + "\n");
  want.push_back("\n");
  want.push_back("last");
  for (const std::string& l : want) text += l;
  ASSERT_TRUE(WriteFileAtomic(p, text, {}).ok());
  EXPECT_EQ(Lines(p), want);
  // Stopping early reads no further.
  EXPECT_EQ(Lines(p, 2), std::vector<std::string>(want.begin(), want.begin() + 2));
  ASSERT_TRUE(WriteFileAtomic(p, "", {}).ok());
  EXPECT_TRUE(Lines(p).empty());
  Status s = ReadFileLines("/nonexistent/keyward", [](std::string_view) { return true; });
  EXPECT_EQ(s.message(), "/nonexistent/keyward: No such file or directory");
}

}  // namespace
}  // namespace kw
