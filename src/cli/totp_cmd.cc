// keyward totp init | code | verify: TOTP/HOTP secrets in google-authenticator
// files, codes as oathtool prints them, and verification as the PAM module
// does it (state written back). keyward totp enroll | remove: secrets kept
// by the key center (pam_keyward.so center=URL), through its API.
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <optional>
#include <pwd.h>
#include <qrencode.h>
#include <string>
#include <unistd.h>

#include "base/clock.h"
#include "cli/admin_cmd.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "crypto/random.h"
#include "otp/base32.h"
#include "otp/otp.h"
#include "otp/otpauth_uri.h"
#include "otp/secret_file.h"
#include "otp/secret_file_io.h"
#include "otp/verifier.h"

namespace kw::cli {
namespace {

int Fail(const std::string& message) {
  Err("keyward: " + message + "\n");
  return 1;
}

struct TotpArgs {
  // init
  std::string user, file, issuer, label, qr = "utf8";
  std::string algorithm = "sha1";
  int digits = 6;
  int64_t step = otp::kDefaultStep;
  int window = otp::kDefaultWindowSize;
  int rate_limit = 3, rate_time = 30;
  int scratch = 5;
  bool hotp = false, allow_reuse = false, no_rate_limit = false, force = false;
  // code
  std::string secret;
  std::optional<int64_t> time;
  std::optional<uint64_t> counter;
  // verify
  std::string code;
  bool no_skew_adjust = false, no_increment_hotp = false;
  std::string allowed_perm = "0600";
  // enroll, remove
  CenterFlags flags;
  int64_t period = otp::kDefaultStep;
};

struct Account {
  std::string name, home;
  uid_t uid = 0;
  gid_t gid = 0;
};

std::optional<Account> LookUp(const std::string& name) {
  struct passwd pw, *res = nullptr;
  std::string buf(16384, '\0');
  int rc = name.empty() ? ::getpwuid_r(::geteuid(), &pw, buf.data(), buf.size(), &res)
                        : ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &res);
  if (rc != 0 || res == nullptr) return std::nullopt;
  return Account{pw.pw_name, pw.pw_dir, pw.pw_uid, pw.pw_gid};
}

std::string HostName() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) return "localhost";
  return host;
}

// The QR code of `text` for a terminal. utf8: two modules per character
// cell (half blocks), black on white whatever the terminal's colours; ansi:
// two spaces per module with black and white backgrounds. A quiet zone of
// four modules surrounds it (ISO/IEC 18004).
std::string RenderQr(const std::string& text, const std::string& mode) {
  QRcode* qr = QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_L, QR_MODE_8, 1);
  if (qr == nullptr) return {};
  const int quiet = 4, n = qr->width, total = n + 2 * quiet;
  auto dark = [&](int x, int y) {
    x -= quiet;
    y -= quiet;
    if (x < 0 || y < 0 || x >= n || y >= n) return false;
    return (qr->data[y * n + x] & 1) != 0;
  };
  std::string out;
  if (mode == "ansi") {
    for (int y = 0; y < total; ++y) {
      for (int x = 0; x < total; ++x) out += dark(x, y) ? "\x1b[40m  " : "\x1b[47m  ";
      out += "\x1b[0m\n";
    }
  } else {
    for (int y = 0; y < total; y += 2) {
      out += "\x1b[30;47m";
      for (int x = 0; x < total; ++x) {
        bool top = dark(x, y), bottom = y + 1 < total && dark(x, y + 1);
        out += top ? (bottom ? "\u2588" : "\u2580") : (bottom ? "\u2584" : " ");
      }
      out += "\x1b[0m\n";
    }
  }
  QRcode_free(qr);
  return out;
}

int Init(const TotpArgs& a) {
  otp::Algorithm alg;
  if (!otp::ParseAlgorithm(a.algorithm, &alg)) return Fail("unknown algorithm \"" + a.algorithm + "\" (sha1, sha256, sha512)");
  if (a.digits < otp::kMinDigits || a.digits > otp::kMaxDigits) return Fail("--digits must be 6, 7 or 8");
  if (a.step < 1 || a.step > otp::kMaxStepSize) return Fail("--step must be 1..86400 seconds");
  if (a.window < 1 || a.window > otp::kMaxWindowSize) return Fail("--window must be 1..100");
  if (!a.no_rate_limit && (a.rate_limit < 1 || a.rate_limit > otp::kMaxRateLimitAttempts || a.rate_time < 1 ||
                           a.rate_time > otp::kMaxRateLimitInterval))
    return Fail("--rate-limit must be 1..100 attempts per 1..3600 seconds (--rate-time)");
  if (a.scratch < 0 || a.scratch > otp::kMaxScratchCodes) return Fail("--scratch-codes must be 0..10");
  if (a.qr != "utf8" && a.qr != "ansi" && a.qr != "none") return Fail("--qr must be utf8, ansi or none");

  std::optional<Account> who = LookUp(a.user);
  if (!who) return Fail(a.user.empty() ? "cannot look up the current user" : "no such user \"" + a.user + "\"");
  const bool other = who->uid != ::geteuid();
  if (other && ::geteuid() != 0) return Fail("only root can create a secret file for another user");
  std::string path = a.file.empty() ? who->home + "/.google_authenticator" : a.file;

  // RFC 4226 §4 asks for at least 128 bits and recommends 160; RFC 6238's
  // test seeds are as long as the hash.
  const size_t secret_size = otp::SecretSize(alg);
  SecretBytes secret(secret_size);
  crypto::SystemRng::Get().Fill(secret.mutable_span());
  std::vector<uint32_t> codes = otp::NewScratchCodes(crypto::SystemRng::Get(), a.scratch);

  otp::NewSecretFileOptions o;
  o.type = a.hotp ? otp::OtpType::kHotp : otp::OtpType::kTotp;
  o.algorithm = alg;
  o.digits = a.digits;
  o.step = a.step;
  o.window_size = a.window;
  o.disallow_reuse = !a.allow_reuse && !a.hotp;
  if (!a.no_rate_limit) o.rate_limit = std::make_pair(a.rate_limit, a.rate_time);
  otp::SecretFile file = otp::SecretFile::Create(secret, o, codes);

  otp::NewSecretFileTarget target;
  target.replace = a.force;
  if (other) {
    target.uid = who->uid;
    target.gid = who->gid;
  }
  if (Status s = otp::WriteNewSecretFile(path, file, target); !s.ok()) {
    if (s.code() == StatusCode::kAlreadyExists) return Fail(path + " already exists (use --force to replace it)");
    return Fail(s.message());
  }

  otp::OtpAuthUri uri;
  uri.type = o.type;
  const std::string host = HostName();
  uri.issuer = a.issuer.empty() ? host : a.issuer;
  uri.account = a.label.empty() ? who->name + "@" + host : a.label;
  uri.secret = secret.Clone();
  uri.algorithm = alg;
  uri.digits = a.digits;
  uri.period = a.step;
  uri.counter = 1;
  const std::string text = otp::BuildOtpAuthUri(uri);

  std::string out = text + "\n";
  if (a.qr != "none") out += RenderQr(text, a.qr);
  out += "Your new secret key is: " + otp::Base32Encode(secret.span()) + "\n";
  if (a.hotp) {
    out += "Your verification code for code 1 is " + otp::HotpCode(secret.span(), 1, alg, a.digits) + "\n";
  }
  if (!codes.empty()) {
    out += "Your emergency scratch codes are:\n";
    for (uint32_t c : codes) out += "  " + otp::FormatCode(c, 8) + "\n";
  }
  out += "Wrote " + path + " (mode 0400" + (other ? ", owner " + who->name : std::string()) + ")\n";
  Out(out);
  SecureWipe(out.data(), out.size());
  return 0;
}

int Code(const TotpArgs& a) {
  otp::Algorithm alg;
  if (!otp::ParseAlgorithm(a.algorithm, &alg)) return Fail("unknown algorithm \"" + a.algorithm + "\" (sha1, sha256, sha512)");
  if (a.digits < otp::kMinDigits || a.digits > otp::kMaxDigits) return Fail("--digits must be 6, 7 or 8");
  if (a.step < 1) return Fail("--step must be at least 1 second");
  // Padding is allowed here (oathtool takes it too); the rest as the module reads base32.
  auto secret = otp::Base32DecodePadded(a.secret);
  if (!secret.ok()) return Fail("--secret: " + secret.status().message());
  std::string code;
  if (a.counter) {
    code = otp::HotpCode(secret->span(), *a.counter, alg, a.digits);
  } else {
    int64_t now = a.time ? *a.time : SystemClock::Get().NowUnix();
    code = otp::TotpCode(secret->span(), now, alg, a.digits, a.step);
  }
  Out(code + "\n");
  return 0;
}

int Verify(const TotpArgs& a) {
  char* end = nullptr;
  errno = 0;
  unsigned long perm = std::strtoul(a.allowed_perm.c_str(), &end, 8);
  if (errno || a.allowed_perm.empty() || *end != '\0' || perm > 07777) return Fail("--allowed-perm must be octal, e.g. 0600");
  otp::SecretFileAccess access;
  access.allowed_perm = static_cast<mode_t>(perm);
  auto loaded = otp::LoadSecretFile(a.file, access);
  if (!loaded.ok()) return Fail(loaded.status().message());
  std::string answer = a.code;
  if (answer == "-" && !ReadStdinLine(&answer)) return Fail("no code on standard input");
  otp::VerifyOptions o;
  o.skew_adjust = !a.no_skew_adjust;
  o.increment_hotp = !a.no_increment_hotp;
  const int64_t now = a.time ? *a.time : SystemClock::Get().NowUnix();
  otp::VerifyResult r = otp::Authenticate(loaded->file, answer, now, o);
  SecureWipe(answer.data(), answer.size());
  if (r.changed) {
    if (Status s = otp::RewriteSecretFile(*loaded); !s.ok()) return Fail("cannot update the secret file: " + s.message());
  }
  if (r.accepted()) {
    Out(std::string(otp::OutcomeName(r.outcome)) + "\n");
    return 0;
  }
  std::string why = std::string(otp::OutcomeName(r.outcome)) + ": " + r.detail;
  if (r.outcome == otp::Outcome::kReused) why += "; retry in " + std::to_string(r.retry_after) + " s";
  Err("keyward: rejected (" + why + ")\n");
  return 1;
}

// keyward totp enroll: the center makes the secret; shown here once.
int Enroll(const TotpArgs& a) {
  if (a.qr != "utf8" && a.qr != "ansi" && a.qr != "none") return Fail("--qr must be utf8, ansi or none");
  return RunWithCenter(a.flags, [&](const CenterClient& c) -> Status {
    json body = {{"algorithm", a.algorithm}, {"digits", a.digits}, {"period", a.period}, {"force", a.force}};
    KW_ASSIGN_OR_RETURN(json doc, c.Call("POST", PathOf("users", a.user, "/totp"), body));
    if (a.flags.json) {
      PrintJson(doc);
      return OkStatus();
    }
    const std::string uri = Text(doc, "uri");
    std::string out = uri + "\n";
    if (a.qr != "none") out += RenderQr(uri, a.qr);
    out += "Secret key of " + Text(doc, "user") + ": " + Text(doc, "secret") + " (" + Text(doc, "algorithm") + ", " +
           Text(doc, "digits") + " digits, " + Text(doc, "period") + " s)\n";
    if (doc.contains("scratch_codes") && !doc["scratch_codes"].empty()) {
      out += "Emergency scratch codes (each works once):\n";
      for (const json& code : doc["scratch_codes"]) out += "  " + code.get<std::string>() + "\n";
    }
    if (doc.value("replaced", false)) out += "The previous secret of " + Text(doc, "user") + " no longer works.\n";
    out += "Shown only now: the key center keeps the secret sealed and the scratch codes hashed.\n";
    Out(out);
    SecureWipe(out.data(), out.size());
    return OkStatus();
  });
}

int Remove(const TotpArgs& a) {
  return RunWithCenter(a.flags, [&](const CenterClient& c) -> Status {
    KW_ASSIGN_OR_RETURN(json ignored, c.Call("DELETE", PathOf("users", a.user, "/totp")));
    (void)ignored;
    Out("Removed the TOTP secret of " + a.user + "\n");
    return OkStatus();
  });
}

}  // namespace

void AddTotpCommands(CLI::App& app, int* rc) {
  auto a = std::make_shared<TotpArgs>();
  CLI::App* totp = app.add_subcommand("totp", "TOTP/HOTP second factor: google-authenticator secret files");
  totp->require_subcommand(1);

  CLI::App* init = totp->add_subcommand(
      "init", "Create a secret file (default ~USER/.google_authenticator, mode 0400); print the otpauth:// URI, "
              "its QR code and the scratch codes");
  init->add_option("--user", a->user, "Account the file is for (root only for others; default: you)");
  init->add_option("--file", a->file, "Secret file path");
  init->add_option("--algorithm", a->algorithm, "sha1 | sha256 | sha512 (others than sha1: keyward only)")
      ->capture_default_str();
  init->add_option("--digits", a->digits, "6 | 7 | 8 (others than 6: keyward only)")->capture_default_str();
  init->add_option("--step", a->step, "TOTP time step in seconds")->capture_default_str();
  init->add_option("--window", a->window, "Codes accepted around now (WINDOW_SIZE)")->capture_default_str();
  init->add_option("--rate-limit", a->rate_limit, "Attempts allowed per --rate-time seconds")->capture_default_str();
  init->add_option("--rate-time", a->rate_time, "Rate-limit interval in seconds")->capture_default_str();
  init->add_flag("--no-rate-limit", a->no_rate_limit, "No RATE_LIMIT line");
  init->add_flag("--allow-reuse", a->allow_reuse, "No DISALLOW_REUSE line");
  init->add_flag("--hotp", a->hotp, "Counter-based (HOTP) instead of time-based");
  init->add_option("--scratch-codes", a->scratch, "Emergency scratch codes (0-10)")->capture_default_str();
  init->add_option("--issuer", a->issuer, "Issuer in the URI (default: host name)");
  init->add_option("--label", a->label, "Account name in the URI (default: USER@HOST)");
  init->add_option("--qr", a->qr, "utf8 | ansi | none")->capture_default_str();
  init->add_flag("--force", a->force, "Replace an existing file");
  init->callback([a, rc] { *rc = Init(*a); });

  CLI::App* code = totp->add_subcommand("code", "Print the code for a secret (what oathtool --totp/--hotp prints)");
  code->add_option("--secret", a->secret, "Base32 secret")->required();
  code->add_option("--time", a->time, "Unix time in seconds (default: now)");
  code->add_option("--counter", a->counter, "HOTP: this counter instead of a time");
  code->add_option("--algorithm", a->algorithm, "sha1 | sha256 | sha512")->capture_default_str();
  code->add_option("--digits", a->digits, "6 | 7 | 8")->capture_default_str();
  code->add_option("--step", a->step, "Time step in seconds")->capture_default_str();
  code->callback([a, rc] { *rc = Code(*a); });

  CLI::App* verify = totp->add_subcommand(
      "verify", "Check a code against a secret file as pam_keyward does (rate limit, reuse, scratch codes), "
                "updating the file; exit 0 if accepted, 1 if not");
  verify->add_option("--file", a->file, "Secret file")->required();
  verify->add_option("CODE", a->code, "The code, or - to read a line from standard input")->required();
  verify->add_option("--time", a->time, "Unix time in seconds (default: now)");
  verify->add_flag("--no-skew-adjust", a->no_skew_adjust, "Do not learn clock skew (noskewadj)");
  verify->add_flag("--no-increment-hotp", a->no_increment_hotp, "Do not advance HOTP counters on failure");
  verify->add_option("--allowed-perm", a->allowed_perm, "Largest permissions the file may have")->capture_default_str();
  verify->callback([a, rc] { *rc = Verify(*a); });

  CLI::App* enroll = totp->add_subcommand(
      "enroll", "Give a user a TOTP secret kept by the key center (admin; $KEYWARD_TOKEN): print the otpauth:// URI, "
                "its QR code and the scratch codes, once");
  enroll->add_option("--user", a->user, "The key center's user")->required();
  enroll->add_option("--algorithm", a->algorithm, "sha1 | sha256 | sha512")->capture_default_str();
  enroll->add_option("--digits", a->digits, "6 | 7 | 8")->capture_default_str();
  enroll->add_option("--period", a->period, "Time step in seconds")->capture_default_str();
  enroll->add_option("--qr", a->qr, "utf8 | ansi | none")->capture_default_str();
  enroll->add_flag("--force", a->force, "Replace the user's existing secret");
  AddCenterFlags(enroll, &a->flags);
  enroll->callback([a, rc] { *rc = Enroll(*a); });

  CLI::App* remove = totp->add_subcommand("remove", "Remove a user's TOTP secret from the key center (admin)");
  remove->add_option("--user", a->user, "The key center's user")->required();
  AddCenterFlags(remove, &a->flags, /*with_json=*/false);
  remove->callback([a, rc] { *rc = Remove(*a); });
}

}  // namespace kw::cli
