// keyward totp against the real tools: oathtool computes the codes;
// google-authenticator (Debian libpam-google-authenticator 1.08) makes
// secret files keyward must verify; the real pam_google_authenticator.so,
// driven by pamtester, must accept files keyward makes -- and must edit a
// file exactly as pam_keyward.so does, byte for byte.
#include <gtest/gtest.h>

#include <ctime>
#include <functional>
#include <random>
#include <sstream>
#include <sys/stat.h>

#include "base/file.h"
#include "interop/interop.h"
#include "interop/otp_peers.h"
#include "otp/base32.h"

KW_INTEROP_ENVIRONMENT(true);

namespace kw::interop {
namespace {

class TotpInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    Status peers = RequirePeers({"oathtool", "google-authenticator", "pamtester"}, {kGoogleAuthenticatorModule});
    ASSERT_TRUE(peers.ok()) << peers.message();
    auto dir = TempDir::Create("kw-totp");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_.emplace(std::move(dir).value());
  }
  std::string Path(const std::string& name) const { return dir_->Path(name); }
  std::string Read(const std::string& path) {
    auto t = ReadFile(path);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *t : "";
  }
  SubprocessResult Keyward(std::vector<std::string> args) {
    args.insert(args.begin(), "keyward");
    Invocation inv;
    inv.argv = args;
    return RunTool(inv);
  }
  std::optional<TempDir> dir_;
};

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

std::vector<std::string> ScratchLines(const std::string& text) {
  std::vector<std::string> codes;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    if (line.size() == 8 && line.find_first_not_of("0123456789") == std::string::npos) codes.push_back(line);
  }
  return codes;
}

// ---------------------------------------------------------------------------
// keyward totp code == oathtool

TEST_F(TotpInterop, CodeMatchesOathtoolForRandomInputs) {
  uint64_t seed = 20240613;
  if (const char* s = std::getenv("KW_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::mt19937_64 rng(seed);
  const char* algs[] = {"sha1", "sha256", "sha512"};
  MismatchBudget budget;
  for (int i = 0; i < 120; ++i) {
    std::string key(static_cast<size_t>(5 + rng() % 60), '\0');
    for (char& c : key) c = static_cast<char>(rng());
    const std::string b32 = otp::Base32Encode(AsBytes(key));
    const std::string alg = algs[rng() % 3];
    const int digits = 6 + static_cast<int>(rng() % 3);
    const int64_t step = (i % 3 == 0) ? 30 : 1 + static_cast<int64_t>(rng() % 300);
    const int64_t t = static_cast<int64_t>(rng() % 40000000000ULL);
    std::string want = Oathtool({"-b", "--totp=" + alg, "-d", std::to_string(digits), "-s",
                                 std::to_string(step) + "s", "-N", "@" + std::to_string(t), b32});
    SubprocessResult got = Keyward({"totp", "code", "--secret", b32, "--algorithm", alg, "--digits",
                                    std::to_string(digits), "--step", std::to_string(step), "--time",
                                    std::to_string(t)});
    KW_CHECK(budget, ::testing::AssertionResult(got.ExitedWith(0) && got.out == want + "\n")
                         << "seed " << seed << " case " << i << ": secret " << b32 << " " << alg << " digits "
                         << digits << " step " << step << " time " << t << ": oathtool " << want << ", keyward "
                         << got.Describe());
  }
  for (int i = 0; i < 30; ++i) {
    std::string key(static_cast<size_t>(10 + rng() % 30), '\0');
    for (char& c : key) c = static_cast<char>(rng());
    const std::string b32 = otp::Base32Encode(AsBytes(key));
    const std::string alg = algs[rng() % 3];
    const int digits = 6 + static_cast<int>(rng() % 3);
    const uint64_t counter = rng() % 100000000000ULL;
    // oathtool's --hotp is SHA1 only; for the others, HOTP(K, C) is TOTP
    // with a one-second step at time C (RFC 6238 §4), which oathtool does.
    std::string want = alg == "sha1" ? Oathtool({"-b", "--hotp", "-d", std::to_string(digits), "-c",
                                                 std::to_string(counter), b32})
                                     : Oathtool({"-b", "--totp=" + alg, "-d", std::to_string(digits), "-s", "1s",
                                                 "-N", "@" + std::to_string(counter), b32});
    SubprocessResult got = Keyward({"totp", "code", "--secret", b32, "--algorithm", alg, "--digits",
                                    std::to_string(digits), "--counter", std::to_string(counter)});
    KW_CHECK(budget, ::testing::AssertionResult(got.ExitedWith(0) && got.out == want + "\n")
                         << "HOTP secret " << b32 << " " << alg << " counter " << counter << ": oathtool " << want
                         << ", keyward " << got.Describe());
  }
}

TEST_F(TotpInterop, CodeForNowMatchesOathtool) {
  // Lower case and spaces in the secret, read as both tools read them.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const int64_t before = std::time(nullptr);
    std::string want = Oathtool({"-b", "--totp", "gezd gnbv gy3t qojq"});
    SubprocessResult got = Keyward({"totp", "code", "--secret", "gezd gnbv gy3t qojq"});
    if (before / 30 != std::time(nullptr) / 30) continue;  // crossed a step: try again
    EXPECT_TRUE(got.ExitedWith(0)) << got.Describe();
    EXPECT_EQ(got.out, want + "\n");
    return;
  }
  FAIL() << "could not stay within one 30 s step";
}

// ---------------------------------------------------------------------------
// keyward totp init: the QR code drawn in the terminal scans (zbarimg, the
// ZBar barcode reader, reads it back from the picture) to the URI printed.

// Rebuilds the picture from the terminal text: utf8 mode draws two modules
// per cell with half blocks; ansi mode two spaces per module on a black or
// white background. Returns a PBM image, 4 pixels per module.
std::string TerminalQrToPbm(const std::string& out, bool ansi) {
  std::vector<std::vector<bool>> rows;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("\x1b[", 0) != 0) continue;
    std::vector<bool> top, bottom;
    if (ansi) {
      for (size_t p = 0; (p = line.find("\x1b[4", p)) != std::string::npos; p += 5) {
        // ESC [ 4 0|7 m, then two spaces.
        if (line.compare(p + 4, 3, "m  ") != 0) continue;
        top.push_back(line[p + 3] == '0');
      }
      rows.push_back(top);
      continue;
    }
    const std::string body = line.substr(line.find('m') + 1, line.rfind("\x1b[0m") - line.find('m') - 1);
    for (size_t i = 0; i < body.size();) {
      if (body[i] == ' ') {
        top.push_back(false), bottom.push_back(false), ++i;
      } else if (body.compare(i, 3, "\u2588") == 0) {
        top.push_back(true), bottom.push_back(true), i += 3;
      } else if (body.compare(i, 3, "\u2580") == 0) {
        top.push_back(true), bottom.push_back(false), i += 3;
      } else if (body.compare(i, 3, "\u2584") == 0) {
        top.push_back(false), bottom.push_back(true), i += 3;
      } else {
        return "";
      }
    }
    rows.push_back(top);
    rows.push_back(bottom);
  }
  if (rows.empty()) return "";
  const int s = 4;
  std::string pbm = "P1\n" + std::to_string(rows[0].size() * s) + " " + std::to_string(rows.size() * s) + "\n";
  for (const auto& row : rows) {
    std::string l;
    for (bool b : row) {
      for (int i = 0; i < s; ++i) l += b ? "1 " : "0 ";
    }
    for (int i = 0; i < s; ++i) pbm += l + "\n";
  }
  return pbm;
}

TEST_F(TotpInterop, QrCodeInTheTerminalScansToTheUri) {
  Status zbar = RequirePeers({"zbarimg"});
  ASSERT_TRUE(zbar.ok()) << zbar.message() << " (Debian: zbar-tools)";
  for (const char* mode : {"utf8", "ansi"}) {
    const std::string file = Path(std::string("qr_") + mode);
    SubprocessResult init = Keyward({"totp", "init", "--file", file, "--qr", mode, "--label", "alice@bastion",
                                     "--issuer", "Example Co", "--algorithm", "sha256", "--digits", "8"});
    ASSERT_TRUE(init.ExitedWith(0)) << init.Describe();
    const std::string uri = FirstLine(init.out);
    ASSERT_EQ(uri.rfind("otpauth://totp/Example%20Co:alice@bastion?secret=", 0), 0u) << uri;
    EXPECT_NE(uri.find("&algorithm=SHA256&digits=8"), std::string::npos) << uri;
    const std::string pbm = TerminalQrToPbm(init.out, std::string(mode) == "ansi");
    ASSERT_FALSE(pbm.empty()) << mode << ": no QR code in\n" << Visible(init.out);
    auto picture = dir_->WriteFile(std::string("qr_") + mode + ".pbm", pbm);
    ASSERT_TRUE(picture.ok());
    auto scan = test::RunSubprocess({"zbarimg", "--raw", "-q", *picture});
    ASSERT_TRUE(scan.ok());
    EXPECT_TRUE(scan->ExitedWith(0)) << mode << ": " << scan->Describe();
    EXPECT_EQ(scan->out, uri + "\n") << mode;
    // And the URI's secret is the file's.
    EXPECT_NE(uri.find("secret=" + FirstLine(Read(file)) + "&"), std::string::npos);
  }
}

// ---------------------------------------------------------------------------
// Files made by google-authenticator, verified by keyward

TEST_F(TotpInterop, VerifiesTotpFileMadeByGoogleAuthenticator) {
  const std::string file = Path("ga_totp");
  auto made = test::RunSubprocess({"google-authenticator", "-t", "-d", "-f", "-u", "-w", "3", "-C", "-q", "-Q",
                                   "NONE", "-s", file});
  ASSERT_TRUE(made.ok() && made->ExitedWith(0)) << (made.ok() ? made->Describe() : made.status().ToString());
  const std::string text = Read(file);
  const std::string secret = FirstLine(text);
  const auto scratch = ScratchLines(text);
  ASSERT_EQ(scratch.size(), 5u) << text;

  const std::string code = Oathtool({"-b", "--totp", secret});
  SubprocessResult ok = Keyward({"totp", "verify", "--file", file, code});
  EXPECT_TRUE(ok.ExitedWith(0)) << ok.Describe();
  SubprocessResult again = Keyward({"totp", "verify", "--file", file, code});
  EXPECT_TRUE(again.ExitedWith(1)) << again.Describe();
  EXPECT_NE(again.err.find("reused"), std::string::npos) << again.Describe();
  SubprocessResult wrong = Keyward({"totp", "verify", "--no-skew-adjust", "--file", file,
                                    code == "000000" ? "000001" : "000000"});
  EXPECT_TRUE(wrong.ExitedWith(1)) << wrong.Describe();

  SubprocessResult s1 = Keyward({"totp", "verify", "--file", file, scratch[2]});
  EXPECT_TRUE(s1.ExitedWith(0)) << s1.Describe();
  SubprocessResult s2 = Keyward({"totp", "verify", "--file", file, scratch[2]});
  EXPECT_TRUE(s2.ExitedWith(1)) << s2.Describe();
  const std::string after = Read(file);
  EXPECT_EQ(after.find(scratch[2]), std::string::npos) << after;
  EXPECT_NE(after.find(scratch[1]), std::string::npos) << after;
  struct stat st;
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0400u);
}

TEST_F(TotpInterop, GoogleAuthenticatorFilesAcceptedByPamKeyward) {
  auto module = PamKeywardPath();
  ASSERT_TRUE(module.ok()) << module.status().message();
  auto service = PamService::Create("auth required " + *module + " secret=" + dir_->path() + "/${USER}.ga user=root\n");
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  // TOTP, as `google-authenticator -t -d -f -r 3 -R 30 -w 3` makes it.
  const std::string file = Path("root.ga");
  auto made = test::RunSubprocess({"google-authenticator", "-t", "-d", "-f", "-r", "3", "-R", "30", "-w", "3", "-C",
                                   "-q", "-Q", "NONE", "-s", file});
  ASSERT_TRUE(made.ok() && made->ExitedWith(0)) << (made.ok() ? made->Describe() : made.status().ToString());
  const std::string text = Read(file);
  const auto scratch = ScratchLines(text);
  ASSERT_FALSE(scratch.empty()) << text;
  const std::string code = Oathtool({"-b", "--totp", FirstLine(text)});
  PamtesterResult ok = RunPamtester((*service)->name(), "root", code);
  EXPECT_TRUE(ok.authenticated) << ok.Describe();
  PamtesterResult reused = RunPamtester((*service)->name(), "root", code);
  EXPECT_FALSE(reused.authenticated) << reused.Describe();
  PamtesterResult s1 = RunPamtester((*service)->name(), "root", scratch.back());
  EXPECT_TRUE(s1.authenticated) << s1.Describe();
  // The fourth attempt in 30 s: RATE_LIMIT 3 30 refuses it before asking.
  PamtesterResult limited = RunPamtester((*service)->name(), "root", scratch.front());
  EXPECT_FALSE(limited.authenticated) << limited.Describe();
  EXPECT_FALSE(limited.prompted) << limited.Describe();

  // HOTP, as `google-authenticator -c` makes it.
  ::unlink(file.c_str());
  auto hmade = test::RunSubprocess({"google-authenticator", "-c", "-f", "-u", "-w", "3", "-C", "-q", "-Q", "NONE", "-s", file});
  ASSERT_TRUE(hmade.ok() && hmade->ExitedWith(0));
  const std::string hsecret = FirstLine(Read(file));
  PamtesterResult h1 = RunPamtester((*service)->name(), "root", Oathtool({"-b", "--hotp", "-c", "1", hsecret}));
  EXPECT_TRUE(h1.authenticated) << h1.Describe();
  EXPECT_NE(Read(file).find("\" HOTP_COUNTER 2\n"), std::string::npos) << Read(file);
}

TEST_F(TotpInterop, VerifiesHotpFileMadeByGoogleAuthenticator) {
  const std::string file = Path("ga_hotp");
  auto made = test::RunSubprocess({"google-authenticator", "-c", "-f", "-u", "-w", "3", "-C", "-Q", "NONE", "-s", file});
  ASSERT_TRUE(made.ok() && made->ExitedWith(0)) << (made.ok() ? made->Describe() : made.status().ToString());
  // The tool prints the code for counter 1; oathtool agrees; so must keyward.
  const std::string secret = FirstLine(Read(file));
  const std::string code1 = Oathtool({"-b", "--hotp", "-c", "1", secret});
  EXPECT_NE(made->out.find("Your verification code for code 1 is " + code1), std::string::npos) << made->out;
  SubprocessResult printed = Keyward({"totp", "code", "--secret", secret, "--counter", "1"});
  EXPECT_EQ(printed.out, code1 + "\n");

  EXPECT_TRUE(Keyward({"totp", "verify", "--file", file, code1}).ExitedWith(0));
  EXPECT_NE(Read(file).find("\" HOTP_COUNTER 2\n"), std::string::npos) << Read(file);
  EXPECT_TRUE(Keyward({"totp", "verify", "--file", file, code1}).ExitedWith(1));  // counter moved on
  // Counter 4 is inside the window 3..5 after the failure advanced it to 3.
  const std::string code4 = Oathtool({"-b", "--hotp", "-c", "4", secret});
  EXPECT_TRUE(Keyward({"totp", "verify", "--file", file, code4}).ExitedWith(0));
  EXPECT_NE(Read(file).find("\" HOTP_COUNTER 5\n"), std::string::npos) << Read(file);
}

TEST_F(TotpInterop, RateLimitOfGoogleAuthenticatorFileEngages) {
  const std::string file = Path("ga_rate");
  auto made = test::RunSubprocess({"google-authenticator", "-t", "-D", "-f", "-r", "2", "-R", "30", "-w", "3", "-C",
                                   "-q", "-Q", "NONE", "-s", file});
  ASSERT_TRUE(made.ok() && made->ExitedWith(0));
  const std::string secret = FirstLine(Read(file));
  EXPECT_TRUE(Keyward({"totp", "verify", "--no-skew-adjust", "--file", file, "000000"}).ExitedWith(1));
  EXPECT_TRUE(Keyward({"totp", "verify", "--no-skew-adjust", "--file", file, "000000"}).ExitedWith(1));
  SubprocessResult limited = Keyward({"totp", "verify", "--file", file, Oathtool({"-b", "--totp", secret})});
  EXPECT_TRUE(limited.ExitedWith(1)) << limited.Describe();
  EXPECT_NE(limited.err.find("rate limit"), std::string::npos) << limited.Describe();
}

// ---------------------------------------------------------------------------
// Files made by keyward, accepted by pam_google_authenticator.so

TEST_F(TotpInterop, KeywardFilesAcceptedByTheRealModule) {
  const std::string file = Path("root.kw");
  SubprocessResult init = Keyward({"totp", "init", "--file", file, "--qr", "none", "--no-rate-limit"});
  ASSERT_TRUE(init.ExitedWith(0)) << init.Describe();
  const std::string text = Read(file);
  const std::string secret = FirstLine(text);
  EXPECT_NE(init.out.find("secret=" + secret), std::string::npos) << init.out;
  const auto scratch = ScratchLines(text);
  ASSERT_EQ(scratch.size(), 5u);
  for (const auto& c : scratch) EXPECT_NE(init.out.find("  " + c + "\n"), std::string::npos) << c;

  auto service = PamService::Create("auth required " + std::string(kGoogleAuthenticatorModule) + " secret=" +
                                    dir_->path() + "/${USER}.kw user=root\n");
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  const std::string code = Oathtool({"-b", "--totp", secret});
  PamtesterResult ok = RunPamtester((*service)->name(), "root", code);
  EXPECT_TRUE(ok.authenticated) << ok.Describe();
  PamtesterResult reused = RunPamtester((*service)->name(), "root", code);
  EXPECT_FALSE(reused.authenticated) << reused.Describe();
  PamtesterResult s1 = RunPamtester((*service)->name(), "root", scratch[0]);
  EXPECT_TRUE(s1.authenticated) << s1.Describe();
  PamtesterResult s2 = RunPamtester((*service)->name(), "root", scratch[0]);
  EXPECT_FALSE(s2.authenticated) << s2.Describe();

  // And back: keyward reads what the module wrote (its DISALLOW_REUSE list).
  EXPECT_NE(Read(file).find("\" DISALLOW_REUSE "), std::string::npos) << Read(file);
  SubprocessResult again = Keyward({"totp", "verify", "--file", file, code});
  EXPECT_TRUE(again.ExitedWith(1)) << again.Describe();
  SubprocessResult s3 = Keyward({"totp", "verify", "--file", file, scratch[1]});
  EXPECT_TRUE(s3.ExitedWith(0)) << s3.Describe();

  // HOTP files too.
  const std::string hfile = Path("root.kw");
  ::unlink(hfile.c_str());
  SubprocessResult hinit = Keyward({"totp", "init", "--hotp", "--file", hfile, "--qr", "none"});
  ASSERT_TRUE(hinit.ExitedWith(0)) << hinit.Describe();
  const std::string hsecret = FirstLine(Read(hfile));
  const std::string h1 = Oathtool({"-b", "--hotp", "-c", "1", hsecret});
  EXPECT_NE(hinit.out.find("Your verification code for code 1 is " + h1), std::string::npos) << hinit.out;
  PamtesterResult hok = RunPamtester((*service)->name(), "root", h1);
  EXPECT_TRUE(hok.authenticated) << hok.Describe();
  EXPECT_NE(Read(hfile).find("\" HOTP_COUNTER 2\n"), std::string::npos) << Read(hfile);
}

// ---------------------------------------------------------------------------
// The same file, the same answer, the same second: pam_google_authenticator.so
// and pam_keyward.so must leave the same bytes and give the same answer.

struct Scenario {
  std::string name;
  std::string args;  // extra module arguments for both
  // Given now, the file body after the secret line and the answer.
  std::function<std::pair<std::string, std::string>(int64_t now)> make;
};

std::string CodeAt(const std::string& secret, int64_t counter) {
  return Oathtool({"-b", "--hotp", "-c", std::to_string(counter), secret});
}

TEST_F(TotpInterop, EditsFilesExactlyAsTheRealModule) {
  auto kw_module = PamKeywardPath();
  ASSERT_TRUE(kw_module.ok()) << kw_module.status().message();
  const std::string secret = "2SH3V3GDW7ZNMGYE";
  auto S = [&](int64_t c) { return CodeAt(secret, c); };
  auto n = [](int64_t v) { return std::to_string(v); };
  std::vector<Scenario> scenarios = {
      {"right code, reuse list pruned", "",
       [&](int64_t now) {
         int64_t tm = now / 30;
         return std::pair{"\" WINDOW_SIZE 3\n\" DISALLOW_REUSE " + n(tm - 4) + " " + n(tm - 3) + " " + n(tm - 2) + " " +
                              n(tm + 1) + " " + n(tm + 3) + "\n\" TOTP_AUTH\n",
                          S(tm - 1)};
       }},
      {"empty reuse list", "", [&](int64_t now) { return std::pair{std::string("\" DISALLOW_REUSE   \n\" TOTP_AUTH\n"), S(now / 30)}; }},
      {"reused code", "",
       [&](int64_t now) { return std::pair{"\" DISALLOW_REUSE " + n(now / 30) + "\n\" TOTP_AUTH\n", S(now / 30)}; }},
      {"window 6 edge", "",
       [&](int64_t now) { return std::pair{std::string("\" WINDOW_SIZE 6\n\" TOTP_AUTH\n"), S(now / 30 + 3)}; }},
      {"step 60", "", [&](int64_t now) { return std::pair{std::string("\" STEP_SIZE 60\n\" TOTP_AUTH\n"), S(now / 60 - 1)}; }},
      {"rate limit list", "noskewadj",
       [&](int64_t now) {
         return std::pair{"\" RATE_LIMIT 3 30 " + n(now - 40) + " " + n(now + 100) + " " + n(now - 5) + "\n\" TOTP_AUTH\n",
                          S(now / 30 + 5)};
       }},
      {"rate limited", "",
       [&](int64_t now) {
         return std::pair{"\" RATE_LIMIT 2 30 " + n(now - 1) + " " + n(now - 3) + " " + n(now - 5) + "\n\" TOTP_AUTH\n",
                          S(now / 30)};
       }},
      {"duplicate options", "",
       [&](int64_t now) {
         return std::pair{std::string("\" RATE_LIMIT 3 30\n\" RATE_LIMIT 5 30\n\" TOTP_AUTH\n\" TOTP_AUTH\n"), S(now / 30)};
       }},
      {"skew observed", "", [&](int64_t now) { return std::pair{std::string("\" TOTP_AUTH\n"), S(now / 30 + 100)}; }},
      {"skew repeated", "",
       [&](int64_t now) {
         int64_t tm = now / 30;
         return std::pair{"\" RESETTING_TIME_SKEW " + n(tm - 2) + "+100 " + n(tm - 1) + "+101\n\" TOTP_AUTH\n", S(tm + 100)};
       }},
      {"skew learned", "",
       [&](int64_t now) {
         int64_t tm = now / 30;
         return std::pair{"\" RESETTING_TIME_SKEW " + n(tm - 2) + "+100 " + n(tm - 1) + "+101\n\" TOTP_AUTH\n", S(tm + 101)};
       }},
      {"skew gap too big", "",
       [&](int64_t now) {
         int64_t tm = now / 30;
         return std::pair{"\" RESETTING_TIME_SKEW " + n(tm - 2) + "-5 " + n(tm - 1) + "+101\n\" TOTP_AUTH\n", S(tm - 7)};
       }},
      {"time skew applied", "noskewadj",
       [&](int64_t now) { return std::pair{std::string("\" TIME_SKEW -50\n\" TOTP_AUTH\n"), S(now / 30 - 50)}; }},
      {"noskewadj far code", "noskewadj",
       [&](int64_t now) { return std::pair{std::string("\" TOTP_AUTH\n"), S(now / 30 + 100)}; }},
      {"scratch code with blank lines", "",
       [&](int64_t) { return std::pair{std::string("\" TOTP_AUTH\n11111111\n\n\n22222222\r\n33333333\n"), std::string("11111111")}; }},
      {"scratch code CRLF", "",
       [&](int64_t) { return std::pair{std::string("\" TOTP_AUTH\n11111111\n\n\n22222222\r\n33333333\n"), std::string("22222222")}; }},
      {"scratch code after a non-code line", "",
       [&](int64_t) { return std::pair{std::string("\" TOTP_AUTH\n11111111\nfoo\n22222222\n"), std::string("22222222")}; }},
      {"only scratch codes", "",
       [&](int64_t now) { return std::pair{std::string("44444444\n"), S(now / 30)}; }},
      {"hotp CRLF duplicates", "",
       [&](int64_t) { return std::pair{std::string("\r\n\" HOTP_COUNTER 1\r\n\" HOTP_COUNTER 7\r\n"), S(1)}; }},
      {"hotp wrong code", "", [&](int64_t) { return std::pair{std::string("\" HOTP_COUNTER 3\n\" WINDOW_SIZE 3\n"), S(1)}; }},
      {"hotp no_increment_hotp", "no_increment_hotp",
       [&](int64_t) { return std::pair{std::string("\" HOTP_COUNTER 3\n"), S(1)}; }},
      {"hotp window", "", [&](int64_t) { return std::pair{std::string("\" HOTP_COUNTER 3\n\" WINDOW_SIZE 5\n"), S(7)}; }},
      {"bad step size", "", [&](int64_t now) { return std::pair{std::string("\" STEP_SIZE 0\n\" TOTP_AUTH\n"), S(now / 30)}; }},
      {"bad rate limit list", "",
       [&](int64_t now) { return std::pair{std::string("\" RATE_LIMIT 3 30 12 \n\" TOTP_AUTH\n"), S(now / 30)}; }},
      {"malformed answer", "", [&](int64_t) { return std::pair{std::string("\" TOTP_AUTH\n"), std::string("12 456")}; }},
  };

  const std::string body_kw = "auth required " + *kw_module + " secret=" + dir_->path() + "/${USER}.kw user=root";
  const std::string body_ga =
      "auth required " + std::string(kGoogleAuthenticatorModule) + " secret=" + dir_->path() + "/${USER}.ga user=root";
  MismatchBudget budget;
  for (const Scenario& sc : scenarios) {
    bool compared = false;
    for (int attempt = 0; attempt < 4 && !compared; ++attempt) {
      auto svc_kw = PamService::Create(body_kw + " " + sc.args + "\n");
      auto svc_ga = PamService::Create(body_ga + " " + sc.args + "\n");
      ASSERT_TRUE(svc_kw.ok() && svc_ga.ok());
      const int64_t now = std::time(nullptr);
      auto [body, answer] = sc.make(now);
      // Bodies start on line 2, unless they bring their own line break.
      const std::string text = secret + (body.rfind("\r", 0) == 0 ? "" : "\n") + body;
      ASSERT_TRUE(test::WriteFileWithMode(Path("root.ga"), text, 0600).ok());
      ASSERT_TRUE(test::WriteFileWithMode(Path("root.kw"), text, 0600).ok());
      PamtesterResult ga = RunPamtester((*svc_ga)->name(), "root", answer);
      PamtesterResult kw = RunPamtester((*svc_kw)->name(), "root", answer);
      // Both within the same second (rate-limit stamps, steps): else again.
      if (std::time(nullptr) != now) continue;
      compared = true;
      const std::string ga_text = Read(Path("root.ga")), kw_text = Read(Path("root.kw"));
      struct stat ga_st, kw_st;
      ::stat(Path("root.ga").c_str(), &ga_st);
      ::stat(Path("root.kw").c_str(), &kw_st);
      KW_CHECK(budget, ::testing::AssertionResult(ga.authenticated == kw.authenticated && ga.prompted == kw.prompted &&
                                                  ga_text == kw_text &&
                                                  (ga_st.st_mode & 07777) == (kw_st.st_mode & 07777))
                           << "scenario \"" << sc.name << "\" (answer " << answer << ")\n"
                           << "input:\n" << Visible(text) << "\npam_google_authenticator: "
                           << (ga.authenticated ? "success" : "failure") << (ga.prompted ? ", asked" : ", not asked")
                           << ", mode " << std::oct << (ga_st.st_mode & 07777) << std::dec << "\n" << Visible(ga_text)
                           << "\npam_keyward: " << (kw.authenticated ? "success" : "failure")
                           << (kw.prompted ? ", asked" : ", not asked") << ", mode " << std::oct
                           << (kw_st.st_mode & 07777) << std::dec << "\n" << Visible(kw_text) << "\ndiff:\n"
                           << LineDiff(ga_text, kw_text));
    }
    EXPECT_TRUE(compared) << sc.name << ": could not run both modules within one second";
  }
}

}  // namespace
}  // namespace kw::interop
