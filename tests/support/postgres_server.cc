#include "support/postgres_server.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "base/file.h"
#include "support/sshd_server.h"  // PickFreeLoopbackPort

namespace kw::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kPrograms[] = {"initdb", "postgres", "pg_ctl", "pg_isready", "psql"};

bool Executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

// The newest /usr/lib/postgresql/<version>/bin that has every program.
StatusOr<std::string> FindBinDir() {
  std::vector<std::pair<int, std::string>> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string version = entry.path().filename().string();
    const std::string bin = entry.path().string() + "/bin";
    if (std::all_of(std::begin(kPrograms), std::end(kPrograms),
                    [&](std::string_view p) { return Executable(bin + "/" + std::string(p)); })) {
      found.emplace_back(std::atoi(version.c_str()), bin);
    }
  }
  if (found.empty()) {
    return FailedPreconditionError(
        "PostgreSQL server programs (initdb, postgres, pg_ctl, pg_isready, psql) not found under "
        "/usr/lib/postgresql/*/bin; install the Debian package \"postgresql\" (scripts/install-deps.sh does)");
  }
  std::sort(found.begin(), found.end());
  return found.back().second;
}

std::string Tail(const std::string& s, size_t max) { return s.size() <= max ? s : "..." + s.substr(s.size() - max); }

}  // namespace

StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start(PostgresOptions options) {
  std::string bin = options.bin_dir;
  if (bin.empty()) {
    KW_ASSIGN_OR_RETURN(bin, FindBinDir());
  }
  KW_ASSIGN_OR_RETURN(TempDir dir, TempDir::Create("kw-pg"));
  std::unique_ptr<PostgresServer> server(new PostgresServer(std::move(dir)));
  server->bin_ = bin;
  if (::geteuid() == 0) {
    const passwd* pw = ::getpwnam("nobody");
    if (pw == nullptr) return FailedPreconditionError("running as root, PostgreSQL needs the user \"nobody\"");
    server->owner_.emplace(pw->pw_uid, pw->pw_gid);
    if (::chown(server->dir().c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return ErrnoStatus("chown " + server->dir() + " to nobody", errno);
    }
  }
  KW_RETURN_IF_ERROR(server->Init());
  KW_RETURN_IF_ERROR(server->Launch(options.start_timeout));
  return server;
}

PostgresServer::~PostgresServer() {
  if (!process_) return;
  SubprocessOptions opt;
  opt.cwd = dir();
  opt.timeout = std::chrono::milliseconds(20000);
  (void)RunSubprocess(AsOwner({bin_ + "/pg_ctl", "stop", "-D", dir_.Path("data"), "-m", "immediate", "-w"}), opt);
  process_->Stop();
}

std::vector<std::string> PostgresServer::AsOwner(std::vector<std::string> argv, bool die_with_parent) const {
  if (!owner_ && !die_with_parent) return argv;
  std::vector<std::string> out = {"setpriv"};
  if (owner_) {
    out.insert(out.end(), {"--reuid=" + std::to_string(owner_->first), "--regid=" + std::to_string(owner_->second),
                           "--clear-groups"});
  }
  // SIGQUIT: the postmaster's immediate shutdown.
  if (die_with_parent) out.insert(out.end(), {"--pdeathsig", "SIGQUIT"});
  out.push_back("--");
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

std::string PostgresServer::Url(std::string_view database) const {
  return "postgres://postgres@127.0.0.1:" + std::to_string(port_) + "/" + std::string(database);
}

std::string PostgresServer::Log() const {
  StatusOr<std::string> log = ReadFile(dir_.Path("postgres.log"));
  return log.ok() ? *log : "(no log: " + log.status().message() + ")";
}

Status PostgresServer::Init() {
  SubprocessOptions opt;
  opt.cwd = dir();
  opt.timeout = std::chrono::milliseconds(120000);
  const std::vector<std::string> argv = AsOwner({bin_ + "/initdb", "-D", dir_.Path("data"), "-U", "postgres", "-A",
                                                 "trust", "-E", "UTF8", "--no-locale", "--no-sync"});
  KW_ASSIGN_OR_RETURN(SubprocessResult r, RunSubprocess(argv, opt));
  if (!r.ExitedWith(0)) return InternalError("initdb failed: $ " + ShellQuote(argv) + "\n" + r.Describe());
  return OkStatus();
}

Status PostgresServer::Launch(std::chrono::milliseconds timeout) {
  std::string last_error;
  for (int attempt = 0; attempt < 4; ++attempt) {
    KW_ASSIGN_OR_RETURN(port_, PickFreeLoopbackPort());
    BackgroundOptions bg;
    bg.cwd = dir();
    bg.stdout_path = bg.stderr_path = dir_.Path("postgres.log");
    const std::vector<std::string> argv = AsOwner(
        {bin_ + "/postgres", "-D", dir_.Path("data"), "-p", std::to_string(port_), "-k", dir(), "-c",
         "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c",
         "full_page_writes=off", "-c", "max_connections=200", "-c", "shared_buffers=32MB"},
        /*die_with_parent=*/true);
    KW_ASSIGN_OR_RETURN(BackgroundProcess proc, BackgroundProcess::Start(argv, bg));
    process_.emplace(std::move(proc));
    const Clock::time_point deadline = Clock::now() + timeout;
    bool exited = false;
    while (Clock::now() < deadline) {
      if (!process_->Running()) {
        exited = true;
        break;
      }
      StatusOr<SubprocessResult> ready =
          RunSubprocess({bin_ + "/pg_isready", "-q", "-h", "127.0.0.1", "-p", std::to_string(port_)});
      if (ready.ok() && ready->ExitedWith(0)) return OkStatus();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const std::string log = Log();
    if (!exited) {
      process_->Stop();
      process_.reset();
      return InternalError("postgres did not accept connections on 127.0.0.1:" + std::to_string(port_) + " within " +
                           std::to_string(timeout.count()) + " ms; its log:\n" + Tail(log, 4000));
    }
    last_error = "postgres exited (" + process_->ended() + "): $ " + ShellQuote(argv) + "\nits log:\n" + Tail(log, 4000);
    process_.reset();
    // Someone took the port between picking and binding: try another.
    if (log.find("could not bind") == std::string::npos) return InternalError(last_error);
  }
  return InternalError(last_error);
}

StatusOr<std::string> PostgresServer::Psql(std::string_view database, std::string_view sql) const {
  const std::vector<std::string> argv = {bin_ + "/psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                                         "-h", "127.0.0.1", "-p", std::to_string(port_), "-U", "postgres",
                                         "-d", std::string(database), "-c", std::string(sql)};
  KW_ASSIGN_OR_RETURN(SubprocessResult r, RunSubprocess(argv));
  if (!r.ExitedWith(0)) return InternalError("psql failed: $ " + ShellQuote(argv) + "\n" + r.Describe());
  return r.out;
}

StatusOr<std::string> PostgresServer::CreateDatabase(std::string_view name) const {
  auto plain = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; };
  if (name.empty() || !std::all_of(name.begin(), name.end(), plain)) {
    return InvalidArgumentError("database name \"" + std::string(name) + "\": use letters, digits and '_'");
  }
  KW_RETURN_IF_ERROR(Psql("postgres", "CREATE DATABASE " + std::string(name)));
  return Url(name);
}

}  // namespace kw::test
