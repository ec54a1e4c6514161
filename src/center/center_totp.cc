// The Center's TOTP second factor (issue 8, central mode): enrolment, and
// verification committed in groups by one worker thread.
//
// Why groups: every verification changes state that must be durable before
// the answer goes out (the accepted step, a failure count, a used scratch
// code, the audit entry), and the store serialises writers and syncs each
// commit. One transaction per code would cap the center at the disk's sync
// rate; one transaction for every code that arrived while the previous
// group was committing costs the same sync for all of them. Within a group
// the jobs run in arrival order, so two codes for one user in one group
// see each other's effect exactly as in two transactions.
#include <algorithm>
#include <array>
#include <future>
#include <map>
#include <set>

#include "center/center.h"
#include "center/change.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "otp/base32.h"
#include "otp/otp.h"
#include "otp/otpauth_uri.h"
#include "otp/secret_file.h"
#include "otp/verifier.h"

namespace kw::center {

using store::Txn;

namespace {

// A verification answers at most this many jobs per transaction.
constexpr size_t kMaxTotpBatch = 1024;
// The longest answer looked at: a code, or a scratch code.
constexpr size_t kMaxCodeLength = 64;

// The associated data that binds a sealed secret to its user.
Bytes SealContext(int64_t user_id) {
  std::string s = "keyward-totp-secret-v1:" + std::to_string(user_id);
  return Bytes(s.begin(), s.end());
}

TotpVerdict Verdict(bool ok, std::string reason, int64_t retry_after = 0) {
  return TotpVerdict{ok, std::move(reason), retry_after};
}

}  // namespace

Center::~Center() {
  {
    std::lock_guard<std::mutex> lock(totp_mu_);
    totp_stop_ = true;
  }
  totp_cv_.notify_all();
  if (totp_thread_.joinable()) totp_thread_.join();
}

void Center::ConfigureTotp(SecretBytes key, TotpSettings settings) {
  totp_key_ = std::move(key);
  totp_ = std::move(settings);
}

Bytes Center::ScratchHash(int64_t user_id, std::string_view code) const {
  // Keyed: 10^8 possible codes are no secret without the key.
  std::string data = "keyward-totp-scratch-v1:" + std::to_string(user_id) + ":" + std::string(code);
  Bytes h = crypto::Hmac(crypto::HashAlg::kSha256, totp_key_.span(), AsBytes(data));
  SecureWipe(data.data(), data.size());
  return h;
}

StatusOr<TotpEnrollment> Center::EnrollTotp(const Actor& actor, const TotpEnrollRequest& req) {
  if (totp_key_.empty()) return FailedPreconditionError("TOTP is not configured on this key center (totp_key_file)");
  KW_RETURN_IF_ERROR(CheckName("user", req.user));
  otp::Algorithm alg;
  if (!otp::ParseAlgorithm(req.algorithm, &alg)) {
    return InvalidArgumentError("algorithm: must be sha1, sha256 or sha512");
  }
  if (req.digits < otp::kMinDigits || req.digits > otp::kMaxDigits) {
    return InvalidArgumentError("digits: must be 6, 7 or 8");
  }
  if (req.period < 1 || req.period > otp::kMaxStepSize) return InvalidArgumentError("period: must be 1 to 86400");

  // RFC 4226 §4: at least 128 bits, 160 recommended; as long as the hash.
  const size_t secret_size = otp::SecretSize(alg);
  TotpEnrollment out;
  out.user = req.user;
  out.secret = SecretBytes(secret_size);
  std::vector<uint32_t> codes;
  {
    std::lock_guard<std::mutex> lock(rng_mu_);
    rng_.Fill(out.secret.mutable_span());
    codes = otp::NewScratchCodes(rng_, totp_.scratch_codes);
  }
  out.algorithm = std::string(otp::AlgorithmName(alg));
  out.digits = req.digits;
  out.period = req.period;
  for (uint32_t c : codes) out.scratch_codes.push_back(otp::FormatCode(c, 8));

  KW_RETURN_IF_ERROR(Write(actor, [&](Txn& t, Change& c) -> Status {
    c.bump = false;
    KW_ASSIGN_OR_RETURN(store::User u, t.FindUser(req.user));
    auto existing = t.GetTotp(u.id);
    if (existing.ok() && !req.force) {
      return AlreadyExistsError("user \"" + req.user + "\" already has a TOTP secret (enroll with force to replace it)");
    }
    if (!existing.ok() && existing.status().code() != StatusCode::kNotFound) return existing.status();
    out.replaced = existing.ok();
    store::TotpSecret rec;
    rec.user_id = u.id;
    {
      std::lock_guard<std::mutex> lock(rng_mu_);
      KW_ASSIGN_OR_RETURN(rec.sealed_secret, crypto::AeadSeal(totp_key_, SealContext(u.id), out.secret.span(), rng_));
    }
    rec.algorithm = out.algorithm;
    rec.digits = out.digits;
    rec.period = out.period;
    rec.last_step = -1;
    rec.created = clock_.NowUnix();
    for (const std::string& code : out.scratch_codes) rec.scratch_hashes.push_back(ScratchHash(u.id, code));
    KW_RETURN_IF_ERROR(t.PutTotp(rec));
    c.Add("totp.enroll", "user:" + req.user,
          {{"algorithm", out.algorithm}, {"digits", out.digits}, {"period", out.period},
           {"scratch_codes", out.scratch_codes.size()}, {"replaced", out.replaced}});
    return OkStatus();
  }));

  otp::OtpAuthUri uri;
  uri.type = otp::OtpType::kTotp;
  uri.issuer = totp_.issuer;
  uri.account = req.user;
  uri.secret = out.secret.Clone();
  uri.algorithm = alg;
  uri.digits = out.digits;
  uri.period = out.period;
  out.uri = otp::BuildOtpAuthUri(uri);
  return out;
}

Status Center::RemoveTotp(const Actor& actor, std::string_view user) {
  KW_RETURN_IF_ERROR(CheckName("user", user));
  return Write(actor, [&](Txn& t, Change& c) -> Status {
    c.bump = false;
    KW_ASSIGN_OR_RETURN(store::User u, t.FindUser(user));
    Status s = t.DeleteTotp(u.id);
    if (s.code() == StatusCode::kNotFound) return NotFoundError("user \"" + std::string(user) + "\" has no TOTP secret");
    KW_RETURN_IF_ERROR(s);
    c.Add("totp.remove", "user:" + std::string(user));
    return OkStatus();
  });
}

void Center::VerifyTotpAsync(const Actor& actor, std::string user, SecretBytes code,
                             std::function<void(StatusOr<TotpVerdict>)> done) {
  if (totp_key_.empty()) {
    return done(FailedPreconditionError("TOTP is not configured on this key center (totp_key_file)"));
  }
  if (Status s = CheckName("user", user); !s.ok()) return done(s);
  if (code.empty() || code.size() > kMaxCodeLength) {
    return done(InvalidArgumentError("code: must be 1 to " + std::to_string(kMaxCodeLength) + " characters"));
  }
  auto job = std::make_unique<TotpJob>();
  job->actor = actor;
  job->user = std::move(user);
  job->code = std::move(code);
  job->done = std::move(done);
  {
    std::lock_guard<std::mutex> lock(totp_mu_);
    if (totp_stop_) {
      job->done(UnavailableError("the key center is stopping"));
      return;
    }
    totp_queue_.push_back(std::move(job));
    if (!totp_thread_.joinable()) totp_thread_ = std::thread([this] { TotpWorker(); });
  }
  totp_cv_.notify_one();
}

StatusOr<TotpVerdict> Center::VerifyTotp(const Actor& actor, std::string user, SecretBytes code) {
  auto promise = std::make_shared<std::promise<StatusOr<TotpVerdict>>>();
  auto future = promise->get_future();
  VerifyTotpAsync(actor, std::move(user), std::move(code),
                  [promise](StatusOr<TotpVerdict> v) { promise->set_value(std::move(v)); });
  return future.get();
}

void Center::TotpWorker() {
  for (;;) {
    std::vector<std::unique_ptr<TotpJob>> batch;
    {
      std::unique_lock<std::mutex> lock(totp_mu_);
      totp_cv_.wait(lock, [this] { return totp_stop_ || !totp_queue_.empty(); });
      if (totp_queue_.empty()) return;  // stopping, nothing left
      const size_t n = std::min(totp_queue_.size(), kMaxTotpBatch);
      batch.assign(std::make_move_iterator(totp_queue_.begin()), std::make_move_iterator(totp_queue_.begin() + n));
      totp_queue_.erase(totp_queue_.begin(), totp_queue_.begin() + n);
    }
    RunTotpBatch(batch);
  }
}

namespace {

// One enrolled user's state while a group is decided in memory: read once,
// changed by each of the user's codes in arrival order, written once.
struct LiveAccount {
  store::TotpAccount* account = nullptr;
  std::optional<StatusOr<SecretBytes>> secret;  // opened on first use
  int64_t last_step = -1;
  int64_t fail_count = 0, fail_since = 0;
  std::vector<size_t> accepted;  // jobs accepted with a time step
  bool touched = false;  // failure state or steps changed
};

}  // namespace

// Decides every job of the group in memory from one read of the accounts,
// then writes the outcome in a few statements: the accepted steps (the
// conditional UPDATE, the replay guard), the failure counts, the audit
// entries. A scratch code (rare) is used with a statement of its own.
// Should the guard disagree with the in-memory decision (it cannot while
// writers are serialised, but it is the rule), the store wins: the code is
// refused as reused.
void Center::RunTotpBatch(std::vector<std::unique_ptr<TotpJob>>& batch) {
  std::vector<StatusOr<TotpVerdict>> results(batch.size(), StatusOr<TotpVerdict>(InternalError("not run")));
  const int64_t now = clock_.NowUnix();
  Status s = Write(Actor{"system", ""}, [&](Txn& t, Change& c) -> Status {
    c.bump = false;
    std::vector<std::string> names;
    for (const auto& job : batch) names.push_back(job->user);
    KW_ASSIGN_OR_RETURN(std::vector<store::TotpAccount> accounts, t.FindTotpAccounts(names));
    std::map<std::string, LiveAccount> live;
    for (store::TotpAccount& a : accounts) {
      LiveAccount& l = live[a.user.name];
      l.account = &a;
      if (a.totp) {
        l.last_step = a.totp->last_step;
        l.fail_count = a.totp->fail_count;
        l.fail_since = a.totp->fail_since;
      }
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      TotpJob& job = *batch[i];
      auto it = live.find(job.user);
      if (it == live.end() || !it->second.account->totp) {
        results[i] = Verdict(false, "not_enrolled");
        continue;
      }
      LiveAccount& l = it->second;
      const store::User& user = l.account->user;
      const store::TotpSecret& rec = *l.account->totp;
      if (user.state != store::UserState::kActive) {
        results[i] = Verdict(false, "user_inactive");
        continue;
      }
      const int64_t limit_end = l.fail_since + totp_.rate_limit_interval;
      if (l.fail_count >= totp_.rate_limit_attempts && now < limit_end) {
        results[i] = Verdict(false, "rate_limited", limit_end - now);
        continue;
      }
      if (!l.secret) l.secret = crypto::AeadOpen(totp_key_, SealContext(user.id), rec.sealed_secret);
      otp::TotpWindow w;
      if (!l.secret->ok() || !otp::ParseAlgorithm(rec.algorithm, &w.algorithm)) {
        results[i] = DataLossError("the TOTP secret of user \"" + job.user + "\" cannot be opened with this totp_key");
        continue;
      }
      w.digits = rec.digits;
      w.step = rec.period;
      w.window = totp_.window;
      otp::ParsedAnswer answer = otp::ParseAnswer(job.code.view(), w.digits, /*forward_pass=*/false);
      if (answer.scratch) {
        std::string text = otp::FormatCode(answer.scratch->value, 8);
        Bytes hash = ScratchHash(user.id, text);
        SecureWipe(text.data(), text.size());
        // Rare: checked (and used) at once, one statement.
        KW_ASSIGN_OR_RETURN(bool used, t.UseTotpScratch(user.id, hash));
        if (used) {
          l.fail_count = 0;
          l.touched = true;
          results[i] = Verdict(true, "accepted_scratch");
          continue;
        }
      }
      TotpVerdict v;
      if (!answer.otp && !answer.scratch) {
        v = Verdict(false, "malformed");
      } else if (!answer.otp) {
        v = Verdict(false, "invalid_code");
      } else if (std::optional<int64_t> step = otp::MatchTotpStep((*l.secret)->span(), answer.otp->value, w, now)) {
        if (*step > l.last_step) {
          l.last_step = *step;
          l.fail_count = 0;
          l.touched = true;
          l.accepted.push_back(i);
          results[i] = Verdict(true, "accepted");
          continue;
        }
        v = Verdict(false, "reused");
      } else {
        v = Verdict(false, "invalid_code");
      }
      // A failure: counted in the current interval, or starting a new one.
      if (now >= limit_end) {
        l.fail_count = 1;
        l.fail_since = now;
      } else {
        ++l.fail_count;
      }
      l.touched = true;
      results[i] = v;
    }

    // The writes, a few statements for the whole group.
    std::vector<std::pair<int64_t, int64_t>> steps;
    std::vector<std::array<int64_t, 3>> failures;
    for (auto& [name, l] : live) {
      if (!l.touched) continue;
      const int64_t uid = l.account->user.id;
      if (l.last_step > l.account->totp->last_step) steps.emplace_back(uid, l.last_step);
      failures.push_back({uid, l.fail_count, l.fail_since});
    }
    if (!steps.empty()) {
      KW_ASSIGN_OR_RETURN(std::vector<int64_t> won, t.AcceptTotpSteps(steps));
      for (auto& [name, l] : live) {
        if (l.accepted.empty() || std::binary_search(won.begin(), won.end(), l.account->user.id)) continue;
        for (size_t job : l.accepted) results[job] = Verdict(false, "reused");
      }
    }
    if (!failures.empty()) KW_RETURN_IF_ERROR(t.SetTotpFailuresMany(failures));
    // Every outcome is audited, in arrival order; never the code.
    for (size_t i = 0; i < batch.size(); ++i) {
      std::string outcome = results[i].ok() ? results[i]->reason : "secret_unreadable";
      c.notes.push_back({"totp.verify", "user:" + batch[i]->user, {{"outcome", outcome}}, batch[i]->actor});
    }
    return OkStatus();
  });
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i]->done(s.ok() ? std::move(results[i]) : StatusOr<TotpVerdict>(s));
  }
}

}  // namespace kw::center
