// kw_bench_otp: TOTP codes verified per second in process, against the raw
// HMAC rate measured in the same run (the floor: a verification of a right
// code needs one HMAC). Prints a table of medians and ratios; not a test.
//
//   raw HMAC           crypto::HmacInto over the 8-byte counter
//   HOTP value         + dynamic truncation
//   verify right code  VerifyAnswer(): answer parsing, options, 1 HMAC
//   login path         Parse the file + RATE_LIMIT + VerifyAnswer with
//                      DISALLOW_REUSE (what pam_keyward does between read
//                      and write)
//   verify wrong code  window 3 => 3 HMACs (noskewadj)
//   wrong, skew search 3 + 3000 HMACs (the module's default)
//
// Knobs: KW_BENCH_SECONDS per measurement round (default 0.3), 5 rounds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "crypto/hash.h"
#include "otp/base32.h"
#include "otp/otp.h"
#include "otp/secret_file.h"
#include "otp/verifier.h"

namespace {

using Clock = std::chrono::steady_clock;
volatile uint64_t g_sink = 0;

// Operations per second: the median of 5 rounds of `seconds` each.
double Rate(const std::function<void()>& op, double seconds) {
  std::vector<double> rates;
  for (int round = 0; round < 5; ++round) {
    uint64_t n = 0;
    auto start = Clock::now();
    auto end = start + std::chrono::duration<double>(seconds);
    auto now = start;
    while (now < end) {
      for (int i = 0; i < 64; ++i) op();
      n += 64;
      now = Clock::now();
    }
    rates.push_back(static_cast<double>(n) / std::chrono::duration<double>(now - start).count());
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

struct Row {
  std::string name;
  double rate;
  int macs;  // HMACs per operation
};

}  // namespace

int main() {
  using namespace kw;
  double seconds = 0.3;
  if (const char* s = std::getenv("KW_BENCH_SECONDS")) seconds = std::atof(s);

  struct AlgCase {
    otp::Algorithm alg;
    crypto::HashAlg hash;
    size_t key_size;
  } cases[] = {{otp::Algorithm::kSha1, crypto::HashAlg::kSha1, 20},
               {otp::Algorithm::kSha256, crypto::HashAlg::kSha256, 32},
               {otp::Algorithm::kSha512, crypto::HashAlg::kSha512, 64}};

  std::printf("%-8s %-22s %14s %8s %14s\n", "hash", "operation", "ops/s", "HMACs", "raw HMAC/op");
  bool all_within = true;
  for (const AlgCase& c : cases) {
    std::string key(c.key_size, '\0');
    for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<char>('1' + i % 10);
    const std::string b32 = otp::Base32Encode(AsBytes(key));
    const int64_t now = 1700000000 + 7;
    const std::string alg_line = c.alg == otp::Algorithm::kSha1
                                     ? ""
                                     : "\" KW_ALGORITHM " + std::string(otp::AlgorithmName(c.alg)) + "\n";
    const std::string plain = b32 + "\n\" WINDOW_SIZE 3\n" + alg_line + "\" TOTP_AUTH\n";
    const std::string login = b32 + "\n\" RATE_LIMIT 100 1\n\" WINDOW_SIZE 3\n\" DISALLOW_REUSE\n" + alg_line +
                              "\" TOTP_AUTH\n11111111\n22222222\n33333333\n44444444\n55555555\n";
    const std::string right = otp::TotpCode(AsBytes(key), now, c.alg, 6);
    const std::string wrong = right == "000000" ? "000001" : "000000";
    auto plain_file = otp::SecretFile::Parse(plain);
    if (!plain_file.ok()) return 1;
    otp::VerifyOptions no_skew;
    no_skew.skew_adjust = false;

    std::vector<Row> rows;
    uint8_t counter[8] = {0, 0, 0, 0, 0, 0x03, 0x2a, 0x9f};
    uint8_t mac[crypto::kMaxDigestSize];
    rows.push_back({"raw HMAC", Rate([&] {
                      crypto::HmacInto(c.hash, AsBytes(key), counter, mac);
                      g_sink = g_sink + mac[0];
                    }, seconds), 1});
    uint64_t ctr = 0;
    rows.push_back({"HOTP value", Rate([&] { g_sink = g_sink + otp::HotpValue(AsBytes(key), ++ctr, c.alg, 6); }, seconds), 1});
    rows.push_back({"verify right code", Rate([&] {
                      auto r = otp::VerifyAnswer(*plain_file, right, now, no_skew);
                      g_sink = g_sink + static_cast<uint64_t>(r.outcome);
                    }, seconds), 1});
    rows.push_back({"login path (parse+RL+reuse)", Rate([&] {
                      auto f = otp::SecretFile::Parse(login);
                      auto r = otp::Authenticate(*f, right, now, no_skew);
                      g_sink = g_sink + static_cast<uint64_t>(r.outcome);
                    }, seconds), 1});
    rows.push_back({"verify wrong code", Rate([&] {
                      auto r = otp::VerifyAnswer(*plain_file, wrong, now, no_skew);
                      g_sink = g_sink + static_cast<uint64_t>(r.outcome);
                    }, seconds), 3});
    otp::VerifyOptions skew;
    rows.push_back({"wrong, skew search", Rate([&] {
                      auto f = otp::SecretFile::Parse(plain);
                      auto r = otp::VerifyAnswer(*f, wrong, now, skew);
                      g_sink = g_sink + static_cast<uint64_t>(r.outcome);
                    }, seconds / 4), 3 + 2 * otp::kSkewSearchSteps});

    const double raw = rows[0].rate;
    for (const Row& r : rows) {
      std::printf("%-8s %-28s %12.0f %6d %10.2fx\n", std::string(otp::AlgorithmName(c.alg)).c_str(), r.name.c_str(),
                  r.rate, r.macs, raw / r.rate);
    }
    // The target: a right code verifies within 2x of one raw HMAC.
    double ratio = raw / rows[2].rate, login_ratio = raw / rows[3].rate;
    std::printf("%-8s verify right code: %.2fx the raw HMAC time (target <= 2x): %s; login path %.2fx\n\n",
                std::string(otp::AlgorithmName(c.alg)).c_str(), ratio, ratio <= 2.0 ? "met" : "NOT met", login_ratio);
    all_within = all_within && ratio <= 2.0;
  }
  std::printf("target (verify within 2x of raw HMAC): %s\n", all_within ? "met for all hashes" : "NOT met");
  return 0;
}
