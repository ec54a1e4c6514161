// libpq connections and statements for the PostgreSQL driver (internal to
// store/postgres).
//
// Statements are prepared on first run with parameter types taken from the
// values bound (int8, text, bytea; NULL leaves the type to the server), and
// results come back in binary format: integers of any width, text and bytea
// are read without parsing.
#pragma once

#include <libpq-fe.h>

#include <functional>
#include <memory>
#include <string>

#include "store/driver.h"

namespace kw::store::postgres {

// The store's Status for a failed result (or, with res == nullptr, for the
// connection's last error): the SQLSTATE decides the code (driver.h), the
// message is the server's primary message only, never a value.
Status PgError(PGconn* conn, const PGresult* res);

// Opens a connection and prepares its session (UTF-8, lock_timeout,
// notices off). Unavailable when the server cannot be reached.
StatusOr<PGconn*> PgConnect(const std::string& url);

// Called with the backend pid when a pooled connection opens (true) and
// closes (false), so the watcher can tell its own notifications apart.
using PidTracker = std::function<void(int pid, bool open)>;

std::unique_ptr<Conn> NewPgConn(PGconn* conn, PidTracker tracker);

}  // namespace kw::store::postgres
