// What only one backend does: SQLite's file, PostgreSQL's LISTEN/NOTIFY,
// reconnection and migrations seen from outside (psql).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "store_env.h"
#include "support/sshd_server.h"  // PickFreeLoopbackPort

namespace kw::store::test {
namespace {

using std::chrono::milliseconds;

Status AddUserAndBump(Store& store, std::string_view name) {
  KW_ASSIGN_OR_RETURN(std::unique_ptr<Txn> txn, store.Begin(TxnMode::kWrite));
  KW_RETURN_IF_ERROR(txn->InsertUser(MakeUser(name)));
  KW_RETURN_IF_ERROR(txn->BumpRevision());
  return txn->Commit();
}

// --- OpenStore ---

TEST(OpenStoreTest, UnknownSchemeIsRefusedWithoutEchoingTheUrl) {
  StatusOr<std::unique_ptr<Store>> s = OpenStore("mysql://root:secret@db/keyward");
  EXPECT_ERROR(s, kInvalidArgument, "unknown store URL scheme \"mysql\"");
  EXPECT_EQ(s.status().message().find("secret"), std::string::npos);
}

// --- SQLite ---

TEST(SqliteStoreTest, CreatesFileWithMode0600AndKeepsDataWhenReopened) {
  ASSERT_OK_AND_ASSIGN(kw::test::TempDir dir, kw::test::TempDir::Create("kw-store"));
  const std::string path = dir.Path("center.db");
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, OpenStore("sqlite:" + path));
    EXPECT_EQ(store->Backend(), "sqlite");
    ASSERT_OK(AddUserAndBump(*store, "bob"));
    EXPECT_OK(store->WatchRevisions([](int64_t) {}));  // accepted, never called
  }
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> again, OpenStore("sqlite:" + path));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Txn> txn, again->Begin(TxnMode::kRead));
  ASSERT_OK(txn->FindUser("bob"));
  ASSERT_OK_AND_ASSIGN(int64_t rev, txn->Revision());
  EXPECT_EQ(rev, 1);
}

TEST(SqliteStoreTest, MissingDirectoryIsAnError) {
  ASSERT_OK_AND_ASSIGN(kw::test::TempDir dir, kw::test::TempDir::Create("kw-store"));
  EXPECT_ERROR(OpenStore("sqlite:" + dir.Path("no/such/dir.db")), kNotFound, "no/such/dir.db");
}

TEST(SqliteStoreTest, InMemoryOrEmptyPathIsRefused) {
  EXPECT_ERROR(OpenStore("sqlite::memory:"), kInvalidArgument, "in-memory");
  EXPECT_ERROR(OpenStore("sqlite:"), kInvalidArgument, "no database path");
}

TEST(SqliteStoreTest, NotADatabaseIsDataLoss) {
  ASSERT_OK_AND_ASSIGN(kw::test::TempDir dir, kw::test::TempDir::Create("kw-store"));
  ASSERT_OK_AND_ASSIGN(std::string path, dir.WriteFile("junk.db", std::string(4096, 'x'), 0600));
  EXPECT_ERROR(OpenStore("sqlite:" + path), kDataLoss, "not a database");
}

// --- PostgreSQL ---

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    pg_ = SharedPostgres(&error);
    ASSERT_NE(pg_, nullptr) << error;
    ASSERT_OK_AND_ASSIGN(ns_, NewPostgresNamespace());
    url_ = ns_.url;
  }
  // Runs sql with search_path set to this test's schema.
  std::string Psql(std::string_view sql) {
    StatusOr<std::string> out = pg_->Psql(ns_.database, "SET search_path = " + ns_.schema + "; " + std::string(sql));
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : "";
  }
  // Ends every other session on this database, as a server restart would.
  void TerminateSessions() {
    Psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" + ns_.database +
         "' AND pid <> pg_backend_pid()");
  }

  kw::test::PostgresServer* pg_ = nullptr;
  PostgresNamespace ns_;
  std::string url_;
};

// Revisions reported to a WatchRevisions callback.
class Seen {
 public:
  std::function<void(int64_t)> Callback() {
    return [this](int64_t rev) {
      std::lock_guard<std::mutex> lock(mu_);
      revisions_.push_back(rev);
      cv_.notify_all();
    };
  }
  // Waits until `rev` has been reported; returns everything reported so far.
  std::vector<int64_t> WaitFor(int64_t rev, milliseconds timeout = milliseconds(2000)) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return std::find(revisions_.begin(), revisions_.end(), rev) != revisions_.end(); });
    return revisions_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int64_t> revisions_;
};

TEST_F(PostgresStoreTest, WatchRevisionsHearsOtherInstancesOnly) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> a, OpenStore(url_));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> b, OpenStore(url_));
  EXPECT_EQ(a->Backend(), "postgres");
  Seen seen;
  ASSERT_OK(a->WatchRevisions(seen.Callback()));
  ASSERT_OK(AddUserAndBump(*a, "own"));    // revision 1, a's own: not reported
  ASSERT_OK(AddUserAndBump(*b, "other"));  // revision 2
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(seen.WaitFor(2), (std::vector<int64_t>{2}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
}

TEST_F(PostgresStoreTest, WatchRevisionsReconnectsAfterTheConnectionDrops) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> a, OpenStore(url_));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> b, OpenStore(url_));
  Seen seen;
  ASSERT_OK(a->WatchRevisions(seen.Callback()));
  TerminateSessions();
  // Whether b's bump lands before or after the watcher is back, it is
  // reported: by NOTIFY, or by the catch-up read after reconnecting.
  ASSERT_OK(AddUserAndBump(*b, "other"));
  std::vector<int64_t> got = seen.WaitFor(1, milliseconds(5000));
  EXPECT_NE(std::find(got.begin(), got.end(), 1), got.end()) << "revision 1 not reported";
  // And it keeps listening.
  ASSERT_OK(AddUserAndBump(*b, "later"));
  got = seen.WaitFor(2, milliseconds(5000));
  EXPECT_NE(std::find(got.begin(), got.end(), 2), got.end()) << "revision 2 not reported";
}

TEST_F(PostgresStoreTest, PooledConnectionsDroppedByTheServerAreReplaced) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, OpenStore(url_));
  ASSERT_OK(AddUserAndBump(*store, "before"));
  TerminateSessions();
  ASSERT_OK(AddUserAndBump(*store, "after"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Txn> txn, store->Begin(TxnMode::kRead));
  ASSERT_OK_AND_ASSIGN(int64_t rev, txn->Revision());
  EXPECT_EQ(rev, 2);
}

TEST_F(PostgresStoreTest, MigrationsAreAppliedOnceAndOpeningTwiceKeepsData) {
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, OpenStore(url_));
    ASSERT_OK(AddUserAndBump(*store, "bob"));
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> again, OpenStore(url_));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Txn> txn, again->Begin(TxnMode::kRead));
  ASSERT_OK(txn->FindUser("bob"));
  EXPECT_EQ(Psql("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_version"), "1,2\n");
}

TEST_F(PostgresStoreTest, ConcurrentFirstOpensMigrateOnce) {
  std::vector<Status> results(3);
  std::vector<std::thread> threads;
  for (Status& r : results) threads.emplace_back([&] { r = OpenStore(url_).status(); });
  for (std::thread& t : threads) t.join();
  for (const Status& r : results) EXPECT_OK(r);
  EXPECT_EQ(Psql("SELECT count(*) FROM schema_version"), "2\n");
}

TEST_F(PostgresStoreTest, NewerSchemaIsRefused) {
  { ASSERT_OK(OpenStore(url_)); }
  Psql("INSERT INTO schema_version (version, applied) VALUES (99, 0)");
  EXPECT_ERROR(OpenStore(url_), kFailedPrecondition, "database schema version 99 is newer than this keyward");
}

TEST_F(PostgresStoreTest, ManyWritesRefreshPlannerStatistics) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, OpenStore(url_));
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Txn> txn, store->Begin(TxnMode::kWrite));
    for (int i = 0; i < 1000; ++i) ASSERT_OK(txn->InsertUser(MakeUser("user" + std::to_string(i))));
    ASSERT_OK(txn->Commit());
  }
  EXPECT_EQ(Psql("SELECT count(*) FROM pg_stat_user_tables WHERE schemaname = current_schema()"
                 " AND last_analyze IS NOT NULL"),
            "14\n");  // every table of ours (kAnalyze in sql_txn.cc)
}

TEST_F(PostgresStoreTest, UnreachableServerIsUnavailable) {
  ASSERT_OK_AND_ASSIGN(int port, kw::test::PickFreeLoopbackPort());
  EXPECT_ERROR(OpenStore("postgresql://postgres@127.0.0.1:" + std::to_string(port) + "/x"), kUnavailable,
               "cannot connect");
}

}  // namespace
}  // namespace kw::store::test
