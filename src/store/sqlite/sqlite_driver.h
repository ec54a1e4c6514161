// The SQLite dialect: a Driver over libsqlite3 (the only code that
// includes sqlite3.h).
//
// Every connection runs with journal_mode=WAL (readers never block the
// writer), synchronous=FULL (a committed transaction survives power loss),
// foreign_keys=ON (the cascades of the schema), a busy timeout of
// kBusyTimeout, a page cache of up to 64 MiB and reads through mmap. Read transactions are BEGIN (a snapshot from the first
// read), write transactions BEGIN IMMEDIATE (the database's write lock at
// once, so writers are serialised across processes too).
#pragma once

#include <memory>
#include <string>

#include "store/driver.h"

namespace kw::store::sqlite {

// A driver for the database file at `path`. The file is created (mode
// 0600; WAL and shm files take the same mode) when missing; its directory
// must exist.
StatusOr<std::unique_ptr<Driver>> NewDriver(const std::string& path);

}  // namespace kw::store::sqlite
