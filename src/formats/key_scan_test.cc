// ScanKeyLines against ssh-keygen -l on a file of every kind of line
// (testdata/mixed.txt; expected output printed by ssh-keygen 9.2).
#include <gtest/gtest.h>

#include <algorithm>

#include "formats/certificate.h"
#include "formats/fingerprint.h"
#include "formats/key_scan.h"
#include "formats/test_util.h"

namespace kw::formats {
namespace {

std::string Render(std::string_view text, crypto::HashAlg hash, bool art, std::vector<size_t>* bad = nullptr) {
  std::string out;
  ScanKeyLines(
      text, {},
      [&](size_t, const PublicKey& key, const char* comment) {
        out += std::to_string(key.bits()) + " " + Fingerprint(key, hash) + " " +
               (comment ? comment : "no comment") + " (" + std::string(key.info().short_name) + ")\n";
        if (art) out += Randomart(key, hash) + "\n";
      },
      [&](size_t line, const Status&) {
        if (bad) bad->push_back(line);
      });
  return out;
}

TEST(KeyScan, MixedFileMatchesSshKeygen) {
  std::string text = testing::TestData("mixed.txt");
  std::vector<size_t> bad;
  EXPECT_EQ(Render(text, crypto::HashAlg::kSha256, false, &bad), testing::TestData("mixed.l.expected"));
  // ssh-keygen -v logs "not a public key" for exactly these lines.
  EXPECT_EQ(bad, (std::vector<size_t>{7, 8, 11, 12, 13}));
  EXPECT_EQ(Render(text, crypto::HashAlg::kMd5, true), testing::TestData("mixed.lvmd5.expected"));
}

TEST(KeyScan, LineScannerMatchesTheWholeTextScan) {
  // The same calls, comments included (they point into the reused line
  // buffer), whether the text comes whole or a line at a time.
  std::string text = testing::TestData("mixed.txt") + "\n" + testing::TestData("certs/mixed.pub");
  auto record = [](std::string* out) {
    return [out](size_t line, const KeyOrCert& key, const char* comment) {
      *out += std::to_string(line) + " " + Fingerprint(key.plain()) + " " + (comment ? comment : "(null)") + "\n";
    };
  };
  auto record_bad = [](std::string* out) {
    return [out](size_t line, const Status& why) { *out += std::to_string(line) + " " + why.message() + "\n"; };
  };
  std::string whole, whole_bad;
  ScanResult r = ScanKeyOrCertLines(text, {}, record(&whole), record_bad(&whole_bad));
  std::string lines, lines_bad;
  KeyOrCertLineScanner scanner({}, record(&lines), record_bad(&lines_bad));
  for (size_t pos = 0; pos < text.size();) {
    size_t end = std::min(text.find('\n', pos), text.size() - 1) + 1;
    EXPECT_TRUE(scanner.AddLine(std::string_view(text).substr(pos, end - pos)));
    pos = end;
  }
  EXPECT_GT(r.keys, 0u);
  EXPECT_EQ(scanner.result().keys, r.keys);
  EXPECT_EQ(lines, whole);
  EXPECT_EQ(lines_bad, whole_bad);

  KeyOrCertLineScanner stops({}, record(&lines));
  EXPECT_FALSE(stops.AddLine("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
  EXPECT_FALSE(stops.AddLine(testing::FirstLine(testing::TestData("ed25519.key.pub"))));
  EXPECT_TRUE(stops.result().is_private_key);
  EXPECT_EQ(stops.result().keys, 0u);
}

TEST(KeyScan, CrlfLineWithoutCommentAsSshKeygen) {
  // ssh-keygen 9.2 -l accepts "type blob\r\n" (b64_pton skips the \r) and,
  // with nothing after the blob, prints "no comment".
  std::string line = testing::FirstLine(testing::TestData("ed25519.key.pub"));
  std::string text = line.substr(0, line.rfind(' ')) + "\r\n";
  std::string expected = testing::FirstLine(testing::TestData("ed25519.l.expected"));
  expected = expected.substr(0, expected.find(" alice@example")) + " no comment (ED25519)\n";
  EXPECT_EQ(Render(text, crypto::HashAlg::kSha256, false), expected);
}

TEST(KeyScan, StopsAtPrivateKeyOnlyOnFirstLine) {
  auto r = ScanKeyLines("-----BEGIN OPENSSH PRIVATE KEY-----\n", {}, [](size_t, const PublicKey&, const char*) {});
  EXPECT_TRUE(r.is_private_key);
  ScanOptions stdin_opts{.detect_private_key = false};
  r = ScanKeyLines("-----BEGIN OPENSSH PRIVATE KEY-----\n", stdin_opts, [](size_t, const PublicKey&, const char*) {});
  EXPECT_FALSE(r.is_private_key);
  EXPECT_EQ(r.keys, 0u);
}

TEST(KeyScan, BadLineReasonsNameTheProblem) {
  std::vector<std::string> why;
  ScanKeyLines(
      "ssh-ed25519 AAAA!!!!\nssh-nope AAAA\n", {}, [](size_t, const PublicKey&, const char*) {},
      [&](size_t, const Status& s) { why.push_back(s.message()); });
  ASSERT_EQ(why.size(), 2u);
  EXPECT_EQ(why[0], "base64 blob does not decode");
}

}  // namespace
}  // namespace kw::formats
