// Fingerprints, bubblebabble and randomart against what the real
// ssh-keygen printed for the same keys (testdata/*.expected).
#include <gtest/gtest.h>

#include "formats/fingerprint.h"
#include "formats/test_util.h"

namespace kw::formats {
namespace {

using testing::FirstLine;
using testing::TestData;

// "bits fingerprint comment (TYPE)" as ssh-keygen -l prints for a .pub file.
std::string Line(const ParsedKeyText& k, const std::string& fp) {
  return std::to_string(k.key.bits()) + " " + fp + " " + std::string(k.rest) + " (" +
         std::string(k.key.info().short_name) + ")";
}

class FingerprintVectors : public ::testing::TestWithParam<const char*> {};

TEST_P(FingerprintVectors, MatchSshKeygen) {
  std::string name = GetParam();
  std::string line = FirstLine(TestData(name + ".key.pub"));
  auto k = ParseKeyText(line);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  ASSERT_FALSE(k->rest.empty()) << "vectors here need a comment (an empty one prints the file name)";
  EXPECT_EQ(Line(*k, Fingerprint(k->key)), FirstLine(TestData(name + ".l.expected")));
  EXPECT_EQ(Line(*k, Fingerprint(k->key, crypto::HashAlg::kMd5)), FirstLine(TestData(name + ".md5.expected")));
  EXPECT_EQ(Line(*k, Fingerprint(k->key, crypto::HashAlg::kSha1)), FirstLine(TestData(name + ".sha1.expected")));
  EXPECT_EQ(Line(*k, Fingerprint(k->key, crypto::HashAlg::kSha512)),
            FirstLine(TestData(name + ".sha512.expected")));
  EXPECT_EQ(Line(*k, BubbleBabble(k->key)), FirstLine(TestData(name + ".B.expected")));
  EXPECT_EQ(Line(*k, Fingerprint(k->key)) + "\n" + Randomart(k->key) + "\n", TestData(name + ".lv.expected"));
  EXPECT_EQ(Line(*k, Fingerprint(k->key, crypto::HashAlg::kMd5)) + "\n" +
                Randomart(k->key, crypto::HashAlg::kMd5) + "\n",
            TestData(name + ".lvmd5.expected"));
}

INSTANTIATE_TEST_SUITE_P(AllTypes, FingerprintVectors,
                         ::testing::Values("ed25519", "ecdsa256", "ecdsa521", "rsa2048", "rsa1024", "dsa",
                                           "ed25519_pw", "ecdsa_pw", "rsa_pw"));

TEST(Randomart, TitleTruncationRules) {
  // formats.md §2, checked against ssh-keygen 9.2 on OpenSSH's own test
  // certificates: "[ED25519-SK-CERT]" is 17 characters and is cut to 16.
  Bytes digest(32, 0);
  EXPECT_EQ(FirstLine(Randomart(digest, crypto::HashAlg::kSha256, "ED25519-SK-CERT", 256)), "+[ED25519-SK-CERT-+");
  EXPECT_EQ(FirstLine(Randomart(digest, crypto::HashAlg::kSha256, "ECDSA-SK-CERT", 256)), "+-[ECDSA-SK-CERT]-+");
  EXPECT_EQ(FirstLine(Randomart(digest, crypto::HashAlg::kSha256, "ED25519-SK", 256)), "+[ED25519-SK 256]-+");
  EXPECT_EQ(FirstLine(Randomart(digest, crypto::HashAlg::kSha256, "ED25519-CERT", 256)), "+-[ED25519-CERT]--+");
  EXPECT_EQ(FirstLine(Randomart(digest, crypto::HashAlg::kSha256, "ECDSA-CERT", 384)), "+[ECDSA-CERT 384]-+");
}

TEST(BubbleBabble, EmptyAndKnownVectors) {
  // The examples of the Bubble Babble specification (Huima, 2000).
  EXPECT_EQ(BubbleBabble(Bytes{}), "xexax");
  EXPECT_EQ(BubbleBabble(AsBytes("1234567890")), "xesef-disof-gytuf-katof-movif-baxux");
  EXPECT_EQ(BubbleBabble(AsBytes("Pineapple")), "xigak-nyryk-humil-bosek-sonax");
}

}  // namespace
}  // namespace kw::formats
