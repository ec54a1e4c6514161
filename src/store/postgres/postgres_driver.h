// The PostgreSQL dialect: a Driver over libpq (the only code that includes
// libpq-fe.h).
//
// Connections come from SqlStore's pool; each sets lock_timeout to
// kBusyTimeout. Read transactions are REPEATABLE READ, READ ONLY (one
// snapshot). Write transactions are READ COMMITTED and begin by locking the
// row of `meta` (SELECT ... FOR UPDATE): writers on every instance sharing
// the database queue there, and each then sees everything committed before
// it. BumpRevision also sends NOTIFY keyward_revision, '<revision>'
// (delivered at commit).
//
// WatchRevisions connects once, synchronously, and LISTENs; from its return
// on, every revision committed by another process is reported (own
// connections' notifications are left out). A thread owned by the driver
// reads the notifications; if its connection drops it reconnects with
// backoff (0.1 s doubling to 5 s) and then reports the current revision if
// it moved meanwhile, since notifications sent while it was away are lost.
#pragma once

#include <memory>
#include <string>

#include "store/driver.h"

namespace kw::store::postgres {

// A driver for the libpq connection URI `url` (postgres://...). Connects
// only when asked to.
StatusOr<std::unique_ptr<Driver>> NewDriver(const std::string& url);

}  // namespace kw::store::postgres
