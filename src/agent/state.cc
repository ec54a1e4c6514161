#include "agent/state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "formats/bundle.h"

namespace kw::agent {
namespace {

using nlohmann::json;

// Reads `path` as a JSON object; kNotFound when it does not exist.
StatusOr<json> ReadJson(const std::string& path) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 128 << 20));
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return DataLossError(path + ": not a JSON object");
  return j;
}

Status WriteJson(const std::string& path, const json& j, mode_t mode, bool durable = true) {
  return WriteFileAtomic(path, j.dump() + "\n", {.mode = mode, .durable = durable});
}

// A string member, or an error naming the file and field.
StatusOr<std::string> Str(const json& j, const char* field, const std::string& path) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_string()) return DataLossError(path + ": \"" + field + "\" must be a string");
  return it->get<std::string>();
}

StatusOr<int64_t> Int(const json& j, const char* field, const std::string& path) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_number_integer()) return DataLossError(path + ": \"" + field + "\" must be an integer");
  return it->get<int64_t>();
}

}  // namespace

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

StateLock::~StateLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

StatusOr<StateLock> StateDir::Lock() const {
  std::string path = Path("lock");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(path, errno);
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      int err = errno;
      ::close(fd);
      return ErrnoStatus(path, err);
    }
  }
  return StateLock(fd);
}

Status StateDir::Create() const {
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoStatus(dir_, errno);
  struct stat st;
  if (::stat(dir_.c_str(), &st) != 0) return ErrnoStatus(dir_, errno);
  if (!S_ISDIR(st.st_mode)) return FailedPreconditionError(dir_ + ": not a directory");
  if ((st.st_mode & 077) != 0 && ::chmod(dir_.c_str(), 0700) != 0) return ErrnoStatus(dir_, errno);
  return OkStatus();
}

StatusOr<Enrollment> StateDir::LoadEnrollment() const {
  std::string path = Path("enrollment.json");
  auto j = ReadJson(path);
  if (!j.ok() && j.status().code() == StatusCode::kNotFound) {
    return NotFoundError(path + ": not enrolled (run keyward-agent enroll)");
  }
  if (!j.ok()) return j.status();
  Enrollment e;
  KW_ASSIGN_OR_RETURN(e.server, Str(*j, "server", path));
  KW_ASSIGN_OR_RETURN(e.host, Str(*j, "host", path));
  KW_ASSIGN_OR_RETURN(e.token, Str(*j, "token", path));
  KW_ASSIGN_OR_RETURN(e.signing_key, Str(*j, "signing_key", path));
  return e;
}

Status StateDir::SaveEnrollment(const Enrollment& e) const {
  return WriteJson(Path("enrollment.json"),
                   {{"server", e.server}, {"host", e.host}, {"token", e.token}, {"signing_key", e.signing_key}},
                   0600);
}

StatusOr<std::optional<SignedBundle>> StateDir::LoadBundle() const {
  std::string path = Path("bundle.json");
  auto text = ReadFile(path, 128 << 20);
  if (!text.ok() && text.status().code() == StatusCode::kNotFound) return std::optional<SignedBundle>();
  if (!text.ok()) return text.status();
  auto b = ParseBundleResponse(*text);
  if (!b.ok()) return DataLossError(path + ": " + b.status().message());
  return std::optional<SignedBundle>(std::move(*b));
}

Status StateDir::SaveBundle(const SignedBundle& b) const {
  return WriteFileAtomic(Path("bundle.json"), EncodeBundleResponse(b), {.mode = 0600});
}

StatusOr<AgentStatus> StateDir::LoadStatus() const {
  std::string path = Path("status.json");
  auto j = ReadJson(path);
  if (!j.ok() && j.status().code() == StatusCode::kNotFound) return AgentStatus{};
  if (!j.ok()) return j.status();
  AgentStatus s;
  KW_ASSIGN_OR_RETURN(s.host, Str(*j, "host", path));
  KW_ASSIGN_OR_RETURN(s.revision, Int(*j, "revision", path));
  KW_ASSIGN_OR_RETURN(s.installed_at_us, Int(*j, "installed_at_us", path));
  KW_ASSIGN_OR_RETURN(s.last_contact_us, Int(*j, "last_contact_us", path));
  KW_ASSIGN_OR_RETURN(s.last_error, Str(*j, "last_error", path));
  KW_ASSIGN_OR_RETURN(s.last_error_at_us, Int(*j, "last_error_at_us", path));
  return s;
}

json ToJson(const AgentStatus& s) {
  return {{"host", s.host},
          {"revision", s.revision},
          {"installed_at_us", s.installed_at_us},
          {"last_contact_us", s.last_contact_us},
          {"last_error", s.last_error},
          {"last_error_at_us", s.last_error_at_us}};
}

Status StateDir::SaveStatus(const AgentStatus& s) const {
  return WriteJson(Path("status.json"), ToJson(s), 0644, /*durable=*/false);
}

StatusOr<SignedBundle> ParseBundleResponse(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgumentError("bundle response: not JSON (truncated or garbled)");
  if (!j.is_object()) return InvalidArgumentError("bundle response: not a JSON object");
  SignedBundle b;
  auto rev = j.find("revision");
  if (rev == j.end() || !rev->is_number_integer() || rev->get<int64_t>() <= 0) {
    return InvalidArgumentError("bundle response: \"revision\" must be a positive integer");
  }
  b.revision = rev->get<int64_t>();
  for (auto [field, out] : {std::pair{"bundle", &b.bundle}, std::pair{"signature", &b.signature}}) {
    auto it = j.find(field);
    if (it == j.end() || !it->is_string()) {
      return InvalidArgumentError(std::string("bundle response: \"") + field + "\" must be a string");
    }
    *out = it->get<std::string>();
  }
  return b;
}

std::string EncodeBundleResponse(const SignedBundle& b) {
  return formats::EncodeSignedBundleJson(b.revision, b.bundle, b.signature);
}

}  // namespace kw::agent
