// PostgresServer: a throwaway PostgreSQL server on 127.0.0.1 for store and
// API tests.
//
// Start() finds initdb, postgres and pg_ctl under /usr/lib/postgresql/*/bin
// (the newest version), creates a cluster in its own TempDir (trust
// authentication, superuser "postgres", no fsync: nothing here must
// survive a crash), and runs the server listening only on 127.0.0.1 on a
// free port, with its unix socket in the same directory. PostgreSQL
// refuses to run as root, so when the tests run as root the cluster belongs
// to "nobody" and every server program runs as that user (setpriv). The
// destructor stops the server (pg_ctl stop -m immediate) and removes the
// directory; should the test process die first, the server gets SIGQUIT
// (an immediate shutdown) from the kernel, so no server outlives its test.
// That signal comes when the *thread* that called Start() ends: start the
// server from a thread that lives as long as the server (e.g. the main
// thread, in a fixture or on first use).
//
// Missing binaries are an error that says how to install them (the
// "postgresql" package, see scripts/install-deps.sh): tests fail, never skip.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace kw::test {

struct PostgresOptions {
  // Where to look for the server programs; empty: the newest
  // /usr/lib/postgresql/*/bin.
  std::string bin_dir;
  // How long to wait for the server to accept connections.
  std::chrono::milliseconds start_timeout{30000};
};

class PostgresServer {
 public:
  static StatusOr<std::unique_ptr<PostgresServer>> Start(PostgresOptions options = {});
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  const std::string& dir() const { return dir_.path(); }
  // "postgres://postgres@127.0.0.1:PORT/DATABASE".
  std::string Url(std::string_view database = "postgres") const;

  // Creates a database with this name (letters, digits, '_') and returns
  // its URL.
  StatusOr<std::string> CreateDatabase(std::string_view name) const;
  // Runs SQL with psql on a database; returns what psql printed (-At).
  StatusOr<std::string> Psql(std::string_view database, std::string_view sql) const;
  // The server's log so far.
  std::string Log() const;

 private:
  explicit PostgresServer(TempDir dir) : dir_(std::move(dir)) {}
  // argv prefixed (setpriv) so it runs as the cluster's owner, and if asked
  // gets SIGQUIT when the thread that started it ends.
  std::vector<std::string> AsOwner(std::vector<std::string> argv, bool die_with_parent = false) const;
  Status Init();
  Status Launch(std::chrono::milliseconds timeout);

  TempDir dir_;
  std::string bin_;
  std::optional<std::pair<uint32_t, uint32_t>> owner_;  // uid, gid when run as root
  int port_ = 0;
  std::optional<BackgroundProcess> process_;
};

}  // namespace kw::test
