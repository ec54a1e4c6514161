// What the store tests share: assertion macros for Status values, record
// builders, and fresh empty databases on either backend.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"

// ASSERT_OK(expr): expr (a Status or StatusOr) is ok, else the test stops
// with the status.
#define ASSERT_OK(expr)                                               \
  do {                                                                \
    const ::kw::Status kw_s_ = ::kw::internal::GetStatus(expr);       \
    ASSERT_TRUE(kw_s_.ok()) << #expr << ": " << kw_s_.ToString();     \
  } while (0)
#define EXPECT_OK(expr)                                               \
  do {                                                                \
    const ::kw::Status kw_s_ = ::kw::internal::GetStatus(expr);       \
    EXPECT_TRUE(kw_s_.ok()) << #expr << ": " << kw_s_.ToString();     \
  } while (0)
// ASSERT_OK_AND_ASSIGN(lhs, expr): lhs = the value of a StatusOr.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(KW_CONCAT_(kw_or_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr)                         \
  auto tmp = (expr);                                                       \
  ASSERT_TRUE(tmp.ok()) << #expr << ": " << tmp.status().ToString();       \
  lhs = std::move(tmp).value()
// EXPECT_ERROR(expr, code, text): expr fails with this code and a message
// containing text.
#define EXPECT_ERROR(expr, want_code, text)                                                  \
  do {                                                                                       \
    const ::kw::Status kw_s_ = ::kw::internal::GetStatus(expr);                              \
    EXPECT_EQ(kw_s_.code(), ::kw::StatusCode::want_code) << #expr << ": " << kw_s_.ToString(); \
    EXPECT_NE(kw_s_.message().find(text), std::string::npos)                                 \
        << #expr << ": " << kw_s_.ToString() << " (want \"" << (text) << "\")";              \
  } while (0)

namespace kw::store::test {

// The PostgreSQL server of this test process, started on first use and
// stopped at exit; nullptr (with *error set) if it cannot start.
kw::test::PostgresServer* SharedPostgres(std::string* error);

// A fresh, empty PostgreSQL namespace on SharedPostgres(): a schema of its
// own in one shared database (much faster than CREATE DATABASE, and just as
// empty), reached with a URL that sets search_path to it.
struct PostgresNamespace {
  std::string url;       // postgres://...?options=-c search_path=<schema>
  std::string database;  // for psql
  std::string schema;
};
StatusOr<PostgresNamespace> NewPostgresNamespace();

// A fresh store URL: for "sqlite" a file in `dir`, for "postgres" a
// NewPostgresNamespace().
StatusOr<std::string> NewDatabase(std::string_view backend, const kw::test::TempDir& dir);

// Records with every field set to something distinctive.
User MakeUser(std::string_view name);
Key MakeKey(int64_t user_id, std::string_view fingerprint);
Host MakeHost(std::string_view name, std::vector<int64_t> groups = {});
Grant UserGrant(int64_t user_id, int64_t group_id, std::string_view account);
Grant TeamGrant(int64_t team_id, int64_t group_id, std::string_view account);

// The fixture of the suites run on every backend (parameter: "sqlite" or
// "postgres"): store_ is a store on a fresh, empty database.
class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(dir_, kw::test::TempDir::Create("kw-store"));
    ASSERT_OK_AND_ASSIGN(url_, NewDatabase(GetParam(), *dir_));
    ASSERT_OK_AND_ASSIGN(store_, OpenStore(url_));
  }

  std::unique_ptr<Txn> Begin(TxnMode mode) {
    StatusOr<std::unique_ptr<Txn>> txn = store_->Begin(mode);
    EXPECT_TRUE(txn.ok()) << txn.status().ToString();
    return txn.ok() ? std::move(txn).value() : nullptr;
  }
  std::unique_ptr<Txn> Write() { return Begin(TxnMode::kWrite); }
  std::unique_ptr<Txn> Read() { return Begin(TxnMode::kRead); }

  // Inserts in a write transaction of its own; returns the id (0 on error).
  template <typename Insert>
  int64_t Committed(Insert insert) {
    auto txn = Write();
    if (!txn) return 0;
    StatusOr<int64_t> id = insert(*txn);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    Status committed = txn->Commit();
    EXPECT_TRUE(committed.ok()) << committed.ToString();
    return id.ok() ? *id : 0;
  }
  int64_t AddUser(std::string_view name) {
    return Committed([&](Txn& t) { return t.InsertUser(MakeUser(name)); });
  }
  int64_t AddGroup(std::string_view name) {
    return Committed([&](Txn& t) { return t.InsertGroup(HostGroup{0, std::string(name), 5}); });
  }

  std::optional<kw::test::TempDir> dir_;
  std::string url_;
  std::unique_ptr<Store> store_;
};

// Names the instantiations "sqlite" and "postgres".
inline std::string BackendName(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

}  // namespace kw::store::test
