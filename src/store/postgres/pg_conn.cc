#include "store/postgres/pg_conn.h"

#include <cstring>
#include <unordered_map>
#include <vector>

#include "store/sql_store.h"

namespace kw::store::postgres {
namespace {

// Type oids (pg_type.dat) of the parameters we send.
constexpr Oid kInt8 = 20, kText = 25, kBytea = 17;

std::string Trimmed(const char* s) {
  std::string m = s != nullptr ? s : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

Status CheckCommand(PGconn* conn, PGresult* res) {
  ExecStatusType st = PQresultStatus(res);
  Status s = (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) ? OkStatus() : PgError(conn, res);
  PQclear(res);
  return s;
}

class PgConn;

class PgStmt final : public Stmt {
 public:
  PgStmt(PGconn* conn, std::string name, std::string sql)
      : conn_(conn), name_(std::move(name)), sql_(std::move(sql)) {}
  ~PgStmt() override { PQclear(res_); }

  void BindInt(int i, int64_t v) override {
    uint64_t u = static_cast<uint64_t>(v);
    std::string be(8, '\0');
    for (int b = 7; b >= 0; --b, u >>= 8) be[static_cast<size_t>(b)] = static_cast<char>(u & 0xff);
    At(i) = {kInt8, false, std::move(be)};
  }
  void BindText(int i, std::string_view v) override { At(i) = {kText, false, std::string(v)}; }
  void BindBlob(int i, ByteSpan v) override { At(i) = {kBytea, false, std::string(AsChars(v))}; }
  void BindNull(int i) override { At(i) = {0, true, {}}; }

  StatusOr<bool> Step() override;

  bool IsNull(int c) override { return PQgetisnull(res_, row_, c) != 0; }
  int64_t Int(int c) override {
    const auto* p = reinterpret_cast<const uint8_t*>(PQgetvalue(res_, row_, c));
    const int len = PQgetlength(res_, row_, c);
    if (len == 0) return 0;  // NULL
    uint64_t u = (p[0] & 0x80) != 0 ? ~uint64_t{0} : 0;  // sign-extend int2/int4
    for (int i = 0; i < len; ++i) u = (u << 8) | p[i];
    return static_cast<int64_t>(u);
  }
  std::string Text(int c) override {
    return std::string(PQgetvalue(res_, row_, c), static_cast<size_t>(PQgetlength(res_, row_, c)));
  }
  Bytes Blob(int c) override {
    const auto* p = reinterpret_cast<const uint8_t*>(PQgetvalue(res_, row_, c));
    return Bytes(p, p + PQgetlength(res_, row_, c));
  }

  void Reset() {
    PQclear(res_);
    res_ = nullptr;
    ran_ = false;
    row_ = -1;
    rows_ = 0;
    params_.clear();
  }

 private:
  struct Param {
    Oid type;
    bool null;
    std::string value;  // binary format
  };
  Param& At(int i) {
    if (params_.size() < static_cast<size_t>(i)) params_.resize(static_cast<size_t>(i), Param{0, true, {}});
    return params_[static_cast<size_t>(i) - 1];
  }
  Status Run();

  PGconn* conn_;
  std::string name_;
  std::string sql_;
  bool prepared_ = false;
  std::vector<Param> params_;
  PGresult* res_ = nullptr;
  bool ran_ = false;
  int row_ = -1;
  int rows_ = 0;
};

Status PgStmt::Run() {
  const int n = static_cast<int>(params_.size());
  if (!prepared_) {
    std::vector<Oid> types;
    for (const Param& p : params_) types.push_back(p.type);
    PGresult* r = PQprepare(conn_, name_.c_str(), sql_.c_str(), n, types.data());
    KW_RETURN_IF_ERROR(CheckCommand(conn_, r));
    prepared_ = true;
  }
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (const Param& p : params_) {
    values.push_back(p.null ? nullptr : p.value.data());
    lengths.push_back(static_cast<int>(p.value.size()));
    formats.push_back(1);
  }
  res_ = PQexecPrepared(conn_, name_.c_str(), n, values.data(), lengths.data(), formats.data(), 1);
  ExecStatusType st = PQresultStatus(res_);
  if (st == PGRES_TUPLES_OK) {
    rows_ = PQntuples(res_);
  } else if (st != PGRES_COMMAND_OK) {
    Status e = PgError(conn_, res_);
    PQclear(res_);
    res_ = nullptr;
    return e;
  }
  return OkStatus();
}

StatusOr<bool> PgStmt::Step() {
  if (!ran_) {
    ran_ = true;
    KW_RETURN_IF_ERROR(Run());
  }
  if (row_ < rows_) ++row_;
  return row_ < rows_;
}

class PgConn final : public Conn {
 public:
  PgConn(PGconn* conn, PidTracker tracker) : conn_(conn), pid_(PQbackendPID(conn)), tracker_(std::move(tracker)) {
    tracker_(pid_, true);
  }
  ~PgConn() override {
    cache_.clear();
    PQfinish(conn_);
    tracker_(pid_, false);
  }

  StatusOr<Stmt*> Prepare(std::string_view sql) override {
    auto it = cache_.find(std::string(sql));
    if (it != cache_.end()) {
      it->second->Reset();
      return it->second.get();
    }
    auto stmt = std::make_unique<PgStmt>(conn_, "kw" + std::to_string(cache_.size() + 1), std::string(sql));
    Stmt* raw = stmt.get();
    cache_.emplace(std::string(sql), std::move(stmt));
    return raw;
  }

  Status Exec(std::string_view sql) override { return CheckCommand(conn_, PQexec(conn_, std::string(sql).c_str())); }

  Status Begin(TxnMode mode) override {
    if (mode == TxnMode::kRead) return Exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    return Exec("BEGIN ISOLATION LEVEL READ COMMITTED; SELECT revision FROM meta WHERE id = 1 FOR UPDATE");
  }
  Status BeginMigration() override {
    // Before any table exists, an advisory lock ("kwsc") serialises migrators.
    return Exec("BEGIN; SELECT pg_advisory_xact_lock(1803973475)");
  }
  Status Commit() override {
    PGresult* res = PQexec(conn_, "COMMIT");
    // COMMIT of a transaction the server has aborted answers "ROLLBACK".
    const bool rolled_back = PQresultStatus(res) == PGRES_COMMAND_OK && std::strcmp(PQcmdStatus(res), "ROLLBACK") == 0;
    KW_RETURN_IF_ERROR(CheckCommand(conn_, res));
    if (rolled_back) return InternalError("postgres: the transaction was aborted by an error and rolled back");
    return OkStatus();
  }
  Status Rollback() override {
    if (PQtransactionStatus(conn_) == PQTRANS_IDLE) return OkStatus();
    return Exec("ROLLBACK");
  }
  Status RevisionBumped(int64_t revision) override {
    KW_ASSIGN_OR_RETURN(Stmt * s, Prepare("SELECT pg_notify('keyward_revision', $1)"));
    s->BindText(1, std::to_string(revision));
    StatusOr<bool> sent = s->Step();
    return sent.ok() ? OkStatus() : sent.status();
  }
  bool Broken() const override { return PQstatus(conn_) != CONNECTION_OK; }

 private:
  PGconn* conn_;
  int pid_;
  PidTracker tracker_;
  std::unordered_map<std::string, std::unique_ptr<PgStmt>> cache_;
};

void IgnoreNotice(void*, const char*) {}

}  // namespace

Status PgError(PGconn* conn, const PGresult* res) {
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK || res == nullptr) {
    return UnavailableError("postgres: " + Trimmed(conn != nullptr ? PQerrorMessage(conn) : "no connection"));
  }
  const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  std::string code = state != nullptr ? state : "";
  std::string m = "postgres: " + Trimmed(primary != nullptr ? primary : PQresultErrorMessage(res));
  if (code == "23505") return AlreadyExistsError(std::move(m));
  if (code == "23503" || code == "23502" || code == "23514") return FailedPreconditionError(std::move(m));
  // Connection exceptions, operator intervention, insufficient resources,
  // serialization failure, deadlock, lock timeout.
  if (code.rfind("08", 0) == 0 || code.rfind("57P", 0) == 0 || code.rfind("53", 0) == 0 || code == "40001" ||
      code == "40P01" || code == "55P03") {
    return UnavailableError(std::move(m));
  }
  return InternalError(std::move(m));
}

StatusOr<PGconn*> PgConnect(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (conn == nullptr) return UnavailableError("postgres: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    Status s = UnavailableError("postgres: cannot connect: " + Trimmed(PQerrorMessage(conn)));
    PQfinish(conn);
    return s;
  }
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  const std::string setup = "SET client_encoding = 'UTF8'; SET client_min_messages = warning; SET lock_timeout = '" +
                            std::to_string(kBusyTimeout.count()) + "s'";
  Status s = CheckCommand(conn, PQexec(conn, setup.c_str()));
  if (!s.ok()) {
    PQfinish(conn);
    return s;
  }
  return conn;
}

std::unique_ptr<Conn> NewPgConn(PGconn* conn, PidTracker tracker) {
  return std::make_unique<PgConn>(conn, std::move(tracker));
}

}  // namespace kw::store::postgres
