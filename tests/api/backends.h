// The storage backends the API suite runs against. "sqlite": a file in the
// center's own directory; "postgres": a new database on a throwaway server
// (initdb in a temporary directory, loopback only) shared by the tests of
// one binary and stopped at exit.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "base/status.h"
#include "support/postgres_server.h"

namespace kw::test {

class Backends {
 public:
  // The store URL for a new, empty store of `backend` ("" for SQLite: the
  // center process picks a file in its directory).
  static StatusOr<std::string> FreshStore(const std::string& backend) {
    if (backend == "sqlite") return std::string();
    if (backend != "postgres") return InvalidArgumentError("unknown backend " + backend);
    static std::unique_ptr<PostgresServer> server;
    static std::atomic<int> n{0};
    if (!server) {
      auto pg = PostgresServer::Start();
      if (!pg.ok()) return pg.status();
      server = std::move(*pg);
    }
    return server->CreateDatabase("center" + std::to_string(++n));
  }
};

}  // namespace kw::test
