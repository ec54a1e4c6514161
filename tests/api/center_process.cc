#include "api/center_process.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/file.h"

namespace kw::test {
namespace {

std::string BuildDir() {
  const char* b = std::getenv("KW_BUILD_DIR");
  return b ? b : "build";
}

}  // namespace

StatusOr<std::unique_ptr<CenterProcess>> CenterProcess::Start(const CenterOptions& o) {
  std::unique_ptr<CenterProcess> c(new CenterProcess());
  if (o.dir.empty()) {
    KW_ASSIGN_OR_RETURN(TempDir d, TempDir::Create("kw-api"));
    c->owned_dir_.emplace(std::move(d));
    c->dir_ = c->owned_dir_->path();
  } else {
    c->dir_ = o.dir;
  }
  std::string bin = BuildDir() + "/bin/keywardd";
  std::string conf = c->dir_ + "/keywardd-" + o.log_name + ".conf";
  std::string store = o.store.empty() ? "sqlite:" + c->dir_ + "/center.db" : o.store;
  std::string text = "listen = 127.0.0.1:0\nstore = " + store + "\nsigning_key = " + c->dir_ +
                     "/signing_key\nsweep_interval_ms = 100\n" + o.extra_config;
  AtomicWriteOptions w;
  w.mode = 0600;
  KW_RETURN_IF_ERROR(WriteFileAtomic(conf, text, w));
  if (o.init) {
    KW_ASSIGN_OR_RETURN(SubprocessResult r, RunSubprocess({bin, "init", "--config", conf}));
    if (r.exit_code != 0) return InternalError("keywardd init failed: " + r.err);
    size_t at = r.out.find("admin token:");
    if (at == std::string::npos) return InternalError("keywardd init printed no token: " + r.out);
    std::string rest = r.out.substr(at + 12);
    size_t b = rest.find_first_not_of(' ');
    size_t e = rest.find('\n', b);
    c->admin_token_ = rest.substr(b, e - b);
    KW_RETURN_IF_ERROR(WriteFileAtomic(c->dir_ + "/admin.token", c->admin_token_, w));
  } else {
    KW_ASSIGN_OR_RETURN(c->admin_token_, ReadFile(c->dir_ + "/admin.token"));
  }
  KW_ASSIGN_OR_RETURN(c->signing_pub_, ReadFile(c->dir_ + "/signing_key.pub"));
  std::string log = c->dir_ + "/" + o.log_name;
  c->log_path_ = log;
  (void)unlink(log.c_str());
  BackgroundOptions bo;
  bo.stderr_path = log;
  KW_ASSIGN_OR_RETURN(BackgroundProcess p, BackgroundProcess::Start({bin, "--config", conf}, bo));
  c->process_.emplace(std::move(p));
  // keywardd says where it listens: "serving http://127.0.0.1:PORT ..."
  for (int i = 0; i < 300; ++i) {
    auto l = ReadFile(log);
    if (l.ok()) {
      size_t at = l->find("serving http://");
      if (at != std::string::npos) {
        size_t end = l->find(' ', at + 8);
        c->url_ = l->substr(at + 8, end - at - 8);
        return c;
      }
    }
    if (!c->process_->Running()) return InternalError("keywardd exited: " + (l.ok() ? *l : std::string()));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return InternalError("keywardd did not start in 6 s");
}

CenterProcess::~CenterProcess() {
  if (process_) process_->Stop();
}

std::string CenterProcess::log() const {
  auto l = ReadFile(log_path_);
  return l.ok() ? *l : "";
}

Reply CenterProcess::CallRaw(const std::string& method, const std::string& path, const std::string& token,
                             const std::string& body) const {
  return Send(method, path, token, body, {});
}

Reply CenterProcess::Call(const std::string& method, const std::string& path, const std::string& token,
                          const std::optional<nlohmann::json>& body,
                          const std::vector<std::pair<std::string, std::string>>& headers) const {
  return Send(method, path, token, body ? body->dump() : std::string(), headers);
}

Reply CenterProcess::Send(const std::string& method, const std::string& path, const std::string& token,
                          const std::string& body,
                          std::vector<std::pair<std::string, std::string>> headers) const {
  if (!token.empty()) headers.push_back({"Authorization", "Bearer " + token});
  if (!body.empty()) headers.push_back({"Content-Type", "application/json"});
  Reply r;
  auto resp = client_.Send(method, url_ + path, headers, body);
  if (!resp.ok()) {
    r.status = -1;
    r.body = resp.status().message();
    return r;
  }
  r.status = resp->status;
  r.body = resp->body;
  r.etag = resp->Header("ETag");
  r.json = nlohmann::json::parse(r.body, nullptr, false);
  if (r.json.is_discarded()) r.json = nullptr;
  return r;
}

}  // namespace kw::test
