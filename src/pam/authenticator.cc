#include "pam/authenticator.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/fsuid.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/file.h"
#include "net/http_client.h"
#include "otp/secret_file_io.h"
#include "otp/verifier.h"
#include "pam/options.h"

namespace kw::pam {
namespace {

struct Account {
  std::string name, home;
  uid_t uid = 0;
  gid_t gid = static_cast<gid_t>(-1);
};

std::optional<Account> FromPasswd(const struct passwd* pw) {
  if (pw == nullptr) return std::nullopt;
  return Account{pw->pw_name, pw->pw_dir ? pw->pw_dir : "", pw->pw_uid, pw->pw_gid};
}

std::optional<Account> LookUpName(const std::string& name) {
  struct passwd pw, *res = nullptr;
  std::string buf(16384, '\0');
  if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &res) != 0) return std::nullopt;
  return FromPasswd(res);
}

std::optional<Account> LookUpUid(uid_t uid) {
  struct passwd pw, *res = nullptr;
  std::string buf(16384, '\0');
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &res) != 0) return std::nullopt;
  return FromPasswd(res);
}

// user=NAME or user=UID (a number; it need not have a passwd entry).
std::optional<Account> LookUpFixedOwner(const std::string& spec) {
  bool numeric = !spec.empty() && spec.find_first_not_of("0123456789") == std::string::npos && spec.size() < 10;
  if (!numeric) return LookUpName(spec);
  uid_t uid = static_cast<uid_t>(std::stoul(spec));
  if (auto a = LookUpUid(uid)) return a;
  Account a;
  a.name = spec;
  a.uid = uid;
  return a;
}

// Runs file access as the owner of the secret file: Linux's filesystem uid
// and gid are switched (when we are root) and restored on destruction, as
// pam_google_authenticator does. A root-run module therefore cannot be made
// to read or write files the user could not.
class FsIdentity {
 public:
  FsIdentity(uid_t uid, gid_t gid) {
    if (::geteuid() != 0 || uid == 0) return;
    if (gid != static_cast<gid_t>(-1)) {
      old_gid_ = static_cast<gid_t>(::setfsgid(gid));
      gid_changed_ = true;
    }
    old_uid_ = static_cast<uid_t>(::setfsuid(uid));
    uid_changed_ = true;
    // setfsuid() reports failure only by not changing: check.
    ok_ = static_cast<uid_t>(::setfsuid(uid)) == uid;
  }
  ~FsIdentity() {
    if (uid_changed_) ::setfsuid(old_uid_);
    if (gid_changed_) ::setfsgid(old_gid_);
  }
  FsIdentity(const FsIdentity&) = delete;
  FsIdentity& operator=(const FsIdentity&) = delete;
  bool ok() const { return ok_; }

 private:
  uid_t old_uid_ = 0;
  gid_t old_gid_ = 0;
  bool uid_changed_ = false, gid_changed_ = false, ok_ = true;
};

// Wipes a string that held an answer.
struct Wiped {
  std::string s;
  ~Wiped() { SecureWipe(s.data(), s.size()); }
};

// grace_period bookkeeping: `" LASTn HOST TIME` lines, n = 0..9, as
// google-authenticator keeps them.
constexpr int kGraceSlots = 10;
std::string GraceSlot(int n) { return "LAST" + std::to_string(n); }

struct GraceEntry {
  std::string host;
  int64_t time = 0;
};
std::optional<GraceEntry> ReadGrace(const otp::SecretFile& f, int n) {
  std::optional<std::string> v = f.Get(GraceSlot(n));
  if (!v) return std::nullopt;
  size_t sp = v->find(' ');
  if (sp == std::string::npos || sp == 0) return std::nullopt;
  GraceEntry e;
  e.host = v->substr(0, sp);
  char* end = nullptr;
  std::string t = v->substr(sp + 1);
  e.time = std::strtoll(t.c_str(), &end, 10);
  if (end == t.c_str()) return std::nullopt;
  return e;
}

// Whether `host` logged in with a code within `grace` seconds before now.
bool WithinGrace(const otp::SecretFile& f, const std::string& host, int64_t grace, int64_t now) {
  for (int n = 0; n < kGraceSlots; ++n) {
    std::optional<GraceEntry> e = ReadGrace(f, n);
    if (e && e->host == host && e->time <= now && now - e->time < grace) return true;
  }
  return false;
}

// Records a login from `host`: its own slot, else a free one, else the
// oldest.
void RecordGrace(otp::SecretFile& f, const std::string& host, int64_t now) {
  int slot = -1, free_slot = -1, oldest = 0;
  int64_t oldest_time = INT64_MAX;
  for (int n = 0; n < kGraceSlots; ++n) {
    std::optional<GraceEntry> e = ReadGrace(f, n);
    if (!e) {
      if (free_slot < 0) free_slot = n;
      continue;
    }
    if (e->host == host) slot = n;
    if (e->time < oldest_time) {
      oldest_time = e->time;
      oldest = n;
    }
  }
  if (slot < 0) slot = free_slot >= 0 ? free_slot : oldest;
  f.Set(GraceSlot(slot), host + " " + std::to_string(now));
}

// A host name fit for one option line (no blanks or line breaks).
bool UsableHost(const std::string& h) {
  if (h.empty() || h.size() > 255) return false;
  for (char c : h) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

class Flow {
 public:
  Flow(PamEnv& env, const PamOptions& o, std::string user) : env_(env), o_(o), user_(std::move(user)) {}

  PamResult Run();

 private:
  std::string Prompt() const {
    if (o_.prompt) return *o_.prompt;
    return o_.forward_pass ? kForwardPassPrompt : kDefaultPrompt;
  }
  // Asks (or takes PAM_AUTHTOK); false when there is no answer.
  bool GetAnswer(bool first_pass, std::string* answer) {
    if (first_pass) {
      std::optional<std::string> tok = env_.AuthTok();
      if (!tok) return false;
      *answer = std::move(*tok);
      return true;
    }
    auto a = env_.Ask(Prompt(), o_.echo_verification_code);
    if (!a.ok()) {
      env_.Log(LogLevel::kErr, "conversation failed for " + user_ + ": " + a.status().message());
      return false;
    }
    *answer = std::move(a).value();
    return true;
  }
  // No usable secret: still ask (unless taking the previous module's
  // token), so that the prompt does not reveal it, then deny.
  PamResult AskAnywayAndDeny() {
    if (!o_.use_first_pass) {
      Wiped answer;
      (void)GetAnswer(false, &answer.s);
    }
    return PamResult::kAuthErr;
  }
  void Debug(const std::string& m) {
    if (o_.debug) env_.Log(LogLevel::kDebug, m);
  }

  PamEnv& env_;
  const PamOptions& o_;
  std::string user_;
};

PamResult Flow::Run() {
  std::optional<Account> target = LookUpName(user_);
  if (!target) {
    env_.Log(LogLevel::kErr, "unknown user " + user_ + "; asking for a code anyway");
    return AskAnywayAndDeny();
  }
  std::optional<Account> owner = target;
  if (o_.user) {
    owner = LookUpFixedOwner(*o_.user);
    if (!owner) {
      env_.Log(LogLevel::kErr, "user=" + *o_.user + " does not exist; denying " + user_);
      return AskAnywayAndDeny();
    }
  }
  auto path = ExpandSecretPath(o_.secret, user_, target->home, o_.user.has_value());
  if (!path.ok()) {
    env_.Log(LogLevel::kErr, "no secret file path for " + user_ + ": " + path.status().message());
    return AskAnywayAndDeny();
  }
  Debug("secret file of " + user_ + ": " + *path + " (owner uid " + std::to_string(owner->uid) + ")");

  FsIdentity identity(owner->uid, owner->gid);
  if (!identity.ok()) {
    env_.Log(LogLevel::kErr, "cannot switch to uid " + std::to_string(owner->uid) + " to read the secret of " + user_);
    return AskAnywayAndDeny();
  }
  otp::SecretFileAccess access;
  if (!o_.no_strict_owner) access.owner = owner->uid;
  access.allowed_perm = o_.allowed_perm;
  auto loaded = otp::LoadSecretFile(*path, access);
  if (!loaded.ok()) {
    if (loaded.status().code() == StatusCode::kNotFound) {
      if (o_.nullok) {
        env_.Log(LogLevel::kInfo, "no secret file for " + user_ + " (" + *path + "); nullok: ignored");
        return PamResult::kIgnore;
      }
      env_.Log(LogLevel::kErr, "no secret configured for " + user_ + " (" + *path + "); asking for a code anyway");
    } else {
      env_.Log(LogLevel::kErr, "cannot use the secret file of " + user_ + ": " + loaded.status().message());
    }
    return AskAnywayAndDeny();
  }

  const int64_t now = env_.Now();
  std::optional<std::string> rhost;
  if (o_.grace_period > 0) {
    rhost = env_.RemoteHost();
    if (rhost && !UsableHost(*rhost)) rhost.reset();
    if (rhost && WithinGrace(loaded->file, *rhost, o_.grace_period, now)) {
      env_.Log(LogLevel::kInfo, "Accepted " + user_ + " from " + *rhost + " without a code (grace_period=" +
                                    std::to_string(o_.grace_period) + ")");
      return PamResult::kSuccess;
    }
  }
  otp::VerifyResult limit = otp::CheckRateLimit(loaded->file, now);
  bool changed = limit.changed;
  auto write_back = [&]() -> bool {
    if (!changed) return true;
    Status s = otp::RewriteSecretFile(*loaded);
    if (s.ok()) return true;
    env_.Log(LogLevel::kErr, "cannot update the secret file of " + user_ + ": " + s.message() +
                                 (o_.allow_readonly ? " (allow_readonly: ignored)" : ""));
    return o_.allow_readonly;
  };
  if (!limit.accepted()) {
    write_back();
    env_.Log(LogLevel::kErr, "denied " + user_ + " without asking: " + limit.detail);
    return PamResult::kAuthErr;
  }

  otp::VerifyOptions vo;
  vo.skew_adjust = !o_.noskewadj;
  vo.increment_hotp = !o_.no_increment_hotp;
  vo.forward_pass = o_.forward_pass;
  Wiped answer;
  otp::VerifyResult r;
  bool answered = false;
  if (o_.use_first_pass || o_.try_first_pass) {
    answered = GetAnswer(true, &answer.s);
    if (answered) r = otp::VerifyAnswer(loaded->file, answer.s, now, vo);
    // try_first_pass: a token that is not a code at all means "ask".
    if (o_.try_first_pass && (!answered || r.outcome == otp::Outcome::kMalformed)) answered = false;
  }
  if (!answered && !o_.use_first_pass) {
    answered = GetAnswer(false, &answer.s);
    if (answered) r = otp::VerifyAnswer(loaded->file, answer.s, now, vo);
  }
  if (!answered) {
    write_back();
    env_.Log(LogLevel::kErr, "no verification code from " + user_);
    return PamResult::kAuthErr;
  }
  if (o_.forward_pass) {
    std::string password(r.password.view());
    env_.SetAuthTok(password);
    SecureWipe(password.data(), password.size());
  }
  changed = changed || r.changed;
  if (r.accepted() && rhost) {
    RecordGrace(loaded->file, *rhost, now);
    changed = true;
  }
  const bool stored = write_back();

  if (r.accepted() && stored) {
    std::string what = r.outcome == otp::Outcome::kAcceptedScratch ? "emergency scratch code"
                       : r.outcome == otp::Outcome::kAcceptedSkew  ? "verification code (clock skew learned)"
                                                                   : "verification code";
    env_.Log(LogLevel::kInfo, "Accepted " + what + " for " + user_);
    return PamResult::kSuccess;
  }
  if (r.accepted()) {
    env_.Log(LogLevel::kErr, "denied " + user_ + ": the code was right but its use could not be recorded");
    return PamResult::kAuthErr;
  }
  std::string why = std::string(otp::OutcomeName(r.outcome)) + ": " + r.detail;
  if (r.outcome == otp::Outcome::kReused) why += "; a new code comes in " + std::to_string(r.retry_after) + " s";
  env_.Log(LogLevel::kErr, "Invalid verification code for " + user_ + " (" + why + ")");
  return PamResult::kAuthErr;
}

class HttpTransport final : public CenterTransport {
 public:
  StatusOr<CenterReply> Post(const CenterRequest& r) override {
    net::ClientOptions o;
    o.ca_file = r.ca_file;
    o.timeout = std::chrono::milliseconds(1000LL * r.timeout_seconds);
    net::HttpClient client(o);
    KW_ASSIGN_OR_RETURN(net::ClientResponse resp,
                        client.Send("POST", r.url,
                                    {{"Authorization", "Bearer " + r.token}, {"Content-Type", "application/json"}},
                                    r.body));
    return CenterReply{resp.status, std::move(resp.body)};
  }
};

// The host token: the first line of token_file, which must belong to root
// (or to whoever runs the module) and be readable by its owner only.
StatusOr<std::string> ReadToken(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return NotFoundError("token_file=" + path + ": " + std::strerror(errno));
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    return PermissionDeniedError("token_file=" + path + ": not owned by root");
  }
  if ((st.st_mode & 077) != 0) return PermissionDeniedError("token_file=" + path + ": readable by others (chmod 600)");
  KW_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 4096));
  size_t end = text.find_first_of("\r\n");
  std::string token = text.substr(0, end);
  SecureWipe(text.data(), text.size());
  if (token.empty()) return InvalidArgumentError("token_file=" + path + ": empty");
  return token;
}

class CenterFlow {
 public:
  CenterFlow(PamEnv& env, const PamOptions& o, std::string user, CenterTransport& transport)
      : env_(env), o_(o), user_(std::move(user)), transport_(transport) {}

  PamResult Run() {
    auto token = ReadToken(o_.token_file);
    if (!token.ok()) {
      env_.Log(LogLevel::kErr, "cannot use the key center for " + user_ + ": " + token.status().message() + "; denying");
      return PamResult::kAuthErr;
    }
    Wiped answer;
    bool answered = false;
    if (o_.use_first_pass || o_.try_first_pass) {
      if (std::optional<std::string> tok = env_.AuthTok()) {
        answer.s = std::move(*tok);
        answered = true;
      }
    }
    if (!answered && !o_.use_first_pass) {
      auto a = env_.Ask(o_.prompt ? *o_.prompt : kDefaultPrompt, o_.echo_verification_code);
      if (a.ok()) {
        answer.s = std::move(a).value();
        answered = true;
      } else {
        env_.Log(LogLevel::kErr, "conversation failed for " + user_ + ": " + a.status().message());
      }
    }
    if (!answered) {
      env_.Log(LogLevel::kErr, "no verification code from " + user_);
      return PamResult::kAuthErr;
    }
    CenterRequest req;
    req.url = *o_.center + "/api/v1/totp/verify";
    req.token = std::move(*token);
    req.body = nlohmann::json{{"user", user_}, {"code", answer.s}}.dump(-1, ' ', false,
                                                                      nlohmann::json::error_handler_t::replace);
    req.ca_file = o_.ca_file;
    req.timeout_seconds = o_.center_timeout;
    StatusOr<CenterReply> reply = transport_.Post(req);
    SecureWipe(req.body.data(), req.body.size());
    SecureWipe(req.token.data(), req.token.size());
    if (!reply.ok()) return CenterDown(reply.status().message());
    if (reply->status >= 500) return CenterDown("HTTP " + std::to_string(reply->status) + ServerMessage(*reply));
    if (reply->status != 200) {
      env_.Log(LogLevel::kErr, "the key center refused to verify for " + user_ + ": HTTP " +
                                   std::to_string(reply->status) + ServerMessage(*reply) + "; denying");
      return PamResult::kAuthErr;
    }
    nlohmann::json j = nlohmann::json::parse(reply->body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("ok") || !j["ok"].is_boolean()) {
      env_.Log(LogLevel::kErr, "unexpected answer from the key center for " + user_ + "; denying");
      return PamResult::kAuthErr;
    }
    std::string reason = j.contains("reason") && j["reason"].is_string() ? j["reason"].get<std::string>() : "?";
    if (j["ok"].get<bool>()) {
      env_.Log(LogLevel::kInfo, std::string("Accepted ") +
                                    (reason == "accepted_scratch" ? "emergency scratch code" : "verification code") +
                                    " for " + user_ + " (key center)");
      return PamResult::kSuccess;
    }
    if (reason == "not_enrolled" && o_.nullok) {
      env_.Log(LogLevel::kInfo, "no TOTP enrolment for " + user_ + " at the key center; nullok: ignored");
      return PamResult::kIgnore;
    }
    env_.Log(LogLevel::kErr, "Invalid verification code for " + user_ + " (key center: " + Printable(reason) + ")");
    return PamResult::kAuthErr;
  }

 private:
  PamResult CenterDown(const std::string& why) {
    if (o_.center_down_ignore) {
      env_.Log(LogLevel::kWarning, "key center " + *o_.center + " unavailable (" + why +
                                       "); center_down=ignore: no second factor checked for " + user_ +
                                       ", the rest of the stack decides");
      return PamResult::kIgnore;
    }
    env_.Log(LogLevel::kErr, "key center " + *o_.center + " unavailable (" + why + "); denying " + user_);
    return PamResult::kAuthErr;
  }
  static std::string ServerMessage(const CenterReply& r) {
    std::string m = net::ServerErrorMessage(r.body);
    return m.empty() ? "" : ": " + Printable(m);
  }
  // Text from the network, made safe for one syslog line.
  static std::string Printable(std::string s) {
    if (s.size() > 200) s.resize(200);
    for (char& c : s) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    return s;
  }

  PamEnv& env_;
  const PamOptions& o_;
  std::string user_;
  CenterTransport& transport_;
};

}  // namespace

PamResult Authenticate(PamEnv& env, std::span<const char* const> args, CenterTransport* transport) {
  auto o = ParseOptions(args);
  if (!o.ok()) {
    auto who = env.User();
    env.Log(LogLevel::kErr, "bad module arguments: " + o.status().message() + "; denying" +
                                (who.ok() && !who->empty() ? " " + *who : std::string()));
    return PamResult::kAuthErr;
  }
  auto user = env.User();
  if (!user.ok() || user->empty()) {
    env.Log(LogLevel::kErr, "cannot determine the user" + (user.ok() ? std::string() : ": " + user.status().message()));
    return PamResult::kAuthErr;
  }
  if (o->center) {
    HttpTransport http;
    return CenterFlow(env, *o, *user, transport ? *transport : http).Run();
  }
  return Flow(env, *o, *user).Run();
}

}  // namespace kw::pam
