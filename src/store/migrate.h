// Versioned schema migrations, applied when a store is opened.
//
// The table schema_version(version, applied) lists the migrations applied.
// Each pending migration runs in its own transaction together with the row
// that records it, so a failure leaves the database at the previous
// version. Migrators are serialised (Conn::BeginMigration), so two
// processes opening a new database at once apply each migration once.
#pragma once

#include <span>

#include "store/driver.h"

namespace kw::store {

// Brings the database up to the last of `migrations` (versions 1, 2, ...).
// A database whose version is newer than the code knows is refused with
// FailedPrecondition, and left untouched.
Status Migrate(Conn& conn, std::span<const Migration> migrations);

}  // namespace kw::store
