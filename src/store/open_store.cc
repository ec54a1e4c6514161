// OpenStore: picks the dialect from the URL (store.h).
#include "store/postgres/postgres_driver.h"
#include "store/sql_store.h"
#include "store/sqlite/sqlite_driver.h"
#include "store/store.h"

namespace kw::store {

StatusOr<std::unique_ptr<Store>> OpenStore(std::string_view url) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (url.substr(0, kSqlite.size()) == kSqlite) {
    KW_ASSIGN_OR_RETURN(std::unique_ptr<Driver> driver, sqlite::NewDriver(std::string(url.substr(kSqlite.size()))));
    return SqlStore::Open(std::move(driver));
  }
  if (url.substr(0, 11) == "postgres://" || url.substr(0, 13) == "postgresql://") {
    KW_ASSIGN_OR_RETURN(std::unique_ptr<Driver> driver, postgres::NewDriver(std::string(url)));
    return SqlStore::Open(std::move(driver));
  }
  // Only the scheme: the rest of a URL may hold a password.
  return InvalidArgumentError("unknown store URL scheme \"" + std::string(url.substr(0, url.find(':'))) +
                              "\" (want sqlite:PATH, postgres://... or postgresql://...)");
}

}  // namespace kw::store
