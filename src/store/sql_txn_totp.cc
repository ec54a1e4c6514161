// SqlTxn: TOTP enrolments (store.h). The replay guard is the conditional
// UPDATE of AcceptTotpSteps and the single-use guard the DELETE of
// UseTotpScratch: each answers from the rows it touched, so two processes
// on one database cannot both accept the same step or scratch code, even
// apart from the serialisation of write transactions.
#include <algorithm>

#include "store/sql_txn.h"

namespace kw::store {

#define KW_TOTP_COLUMNS \
  "user_id, sealed_secret, algorithm, digits, period, last_step, fail_count, fail_since, created"

Status SqlTxn::PutTotp(const TotpSecret& t) {
  KW_RETURN_IF_ERROR(Writable());
  KW_RETURN_IF_ERROR(MustExist("users", "user", t.user_id));
  // Replacing takes the old scratch codes with it (ON DELETE CASCADE).
  KW_RETURN_IF_ERROR(Exec("DELETE FROM totp_secrets WHERE user_id = $1", t.user_id));
  KW_RETURN_IF_ERROR(Exec("INSERT INTO totp_secrets (" KW_TOTP_COLUMNS
                          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                          t.user_id, t.sealed_secret, t.algorithm, int64_t{t.digits}, t.period, t.last_step,
                          t.fail_count, t.fail_since, t.created));
  for (const Bytes& h : t.scratch_hashes) {
    KW_ASSIGN_OR_RETURN(bool taken,
                        Any("SELECT 1 FROM totp_scratch_codes WHERE user_id = $1 AND hash = $2", t.user_id, h));
    if (taken) continue;  // a duplicate hash is one code
    KW_RETURN_IF_ERROR(Exec("INSERT INTO totp_scratch_codes (user_id, hash) VALUES ($1, $2)", t.user_id, h));
  }
  return OkStatus();
}

StatusOr<TotpSecret> SqlTxn::GetTotp(int64_t user_id) {
  KW_ASSIGN_OR_RETURN(Stmt * s, Query("SELECT " KW_TOTP_COLUMNS " FROM totp_secrets WHERE user_id = $1", user_id));
  KW_ASSIGN_OR_RETURN(bool row, Next(s));
  if (!row) return NotFoundError("TOTP of user " + std::to_string(user_id) + " not found");
  TotpSecret t;
  Row r(s);
  t.user_id = r.Int();
  t.sealed_secret = r.Blob();
  t.algorithm = r.Text();
  t.digits = static_cast<int>(r.Int());
  t.period = r.Int();
  t.last_step = r.Int();
  t.fail_count = r.Int();
  t.fail_since = r.Int();
  t.created = r.Int();
  KW_RETURN_IF_ERROR(Next(s));  // finish the statement
  KW_ASSIGN_OR_RETURN(Stmt * h,
                      Query("SELECT hash FROM totp_scratch_codes WHERE user_id = $1 ORDER BY hash", user_id));
  for (;;) {
    KW_ASSIGN_OR_RETURN(bool more, Next(h));
    if (!more) break;
    t.scratch_hashes.push_back(h->Blob(0));
  }
  return t;
}

Status SqlTxn::DeleteTotp(int64_t user_id) {
  KW_RETURN_IF_ERROR(Writable());
  KW_ASSIGN_OR_RETURN(bool deleted, Any("DELETE FROM totp_secrets WHERE user_id = $1 RETURNING user_id", user_id));
  if (!deleted) return NotFoundError("TOTP of user " + std::to_string(user_id) + " not found");
  return OkStatus();
}

StatusOr<bool> SqlTxn::UseTotpScratch(int64_t user_id, ByteSpan hash) {
  KW_RETURN_IF_ERROR(Writable());
  KW_ASSIGN_OR_RETURN(bool used, Any("DELETE FROM totp_scratch_codes WHERE user_id = $1 AND hash = $2"
                                     " RETURNING user_id",
                                     user_id, hash));
  if (used) KW_RETURN_IF_ERROR(Exec("UPDATE totp_secrets SET fail_count = 0 WHERE user_id = $1", user_id));
  return used;
}

// --- groups of verifications ---
//
// The SQL of a group is built for its size; sizes are rounded up to a few
// steps (the last item repeated, which changes nothing) so that each
// connection caches only a handful of statements.

namespace {

constexpr size_t kMaxGroupRows = 64;

// Rounds n (1..kMaxGroupRows) up to 1, 4, 16 or 64.
size_t RoundedSize(size_t n) {
  size_t r = 1;
  while (r < n) r *= 4;
  return r;
}

// Splits `n` items into runs of at most kMaxGroupRows: calls f(begin, end).
template <typename F>
Status ForEachRun(size_t n, F&& f) {
  for (size_t b = 0; b < n; b += kMaxGroupRows) KW_RETURN_IF_ERROR(f(b, std::min(n, b + kMaxGroupRows)));
  return OkStatus();
}

std::string Placeholder(size_t i) { return "$" + std::to_string(i); }

}  // namespace

StatusOr<Stmt*> SqlTxn::QueryValues(const std::string& sql, const std::vector<Value>& values) {
  KW_ASSIGN_OR_RETURN(Stmt * s, Prepare(sql));
  int index = 0;
  for (const Value& v : values) {
    ++index;
    if (const int64_t* i = std::get_if<int64_t>(&v)) {
      s->BindInt(index, *i);
    } else if (const std::string* t = std::get_if<std::string>(&v)) {
      s->BindText(index, *t);
    } else {
      s->BindBlob(index, std::get<Bytes>(v));
    }
  }
  return s;
}

StatusOr<std::vector<TotpAccount>> SqlTxn::FindTotpAccounts(const std::vector<std::string>& names_in) {
  std::vector<std::string> names = names_in;
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::vector<TotpAccount> out;
  KW_RETURN_IF_ERROR(ForEachRun(names.size(), [&](size_t b, size_t e) -> Status {
    const size_t n = RoundedSize(e - b);
    // One query: the users by name (unique index), each joined to its
    // enrolment by primary key.
    std::string sql = "SELECT u.id, u.name, u.email, u.state, u.created, u.updated, t.user_id, t.sealed_secret,"
                      " t.algorithm, t.digits, t.period, t.last_step, t.fail_count, t.fail_since, t.created"
                      " FROM users u LEFT JOIN totp_secrets t ON t.user_id = u.id WHERE u.name IN (";
    std::vector<Value> values;
    for (size_t i = 0; i < n; ++i) {
      sql += (i ? ", " : "") + Placeholder(i + 1);
      values.emplace_back(names[std::min(b + i, e - 1)]);
    }
    sql += ")";
    KW_ASSIGN_OR_RETURN(Stmt * s, QueryValues(sql, values));
    for (;;) {
      KW_ASSIGN_OR_RETURN(bool row, Next(s));
      if (!row) return OkStatus();
      Row r(s);
      TotpAccount& a = out.emplace_back();
      KW_RETURN_IF_ERROR(ReadUser(r, &a.user));
      if (r.IsNull()) continue;
      TotpSecret t;
      t.user_id = r.Int();
      t.sealed_secret = r.Blob();
      t.algorithm = r.Text();
      t.digits = static_cast<int>(r.Int());
      t.period = r.Int();
      t.last_step = r.Int();
      t.fail_count = r.Int();
      t.fail_since = r.Int();
      t.created = r.Int();
      a.totp = std::move(t);
    }
  }));
  std::sort(out.begin(), out.end(), [](const TotpAccount& x, const TotpAccount& y) { return x.user.id < y.user.id; });
  return out;
}

StatusOr<std::vector<int64_t>> SqlTxn::AcceptTotpSteps(const std::vector<std::pair<int64_t, int64_t>>& steps) {
  KW_RETURN_IF_ERROR(Writable());
  std::vector<int64_t> won;
  KW_RETURN_IF_ERROR(ForEachRun(steps.size(), [&](size_t b, size_t e) -> Status {
    const size_t n = RoundedSize(e - b);
    // CASE user_id WHEN $1 THEN $2 ... END: the step offered for the row.
    std::string step_of = "CASE user_id", ids;
    std::vector<Value> values;
    for (size_t i = 0; i < n; ++i) {
      const auto& [uid, step] = steps[std::min(b + i, e - 1)];
      step_of += " WHEN " + Placeholder(2 * i + 1) + " THEN CAST(" + Placeholder(2 * i + 2) + " AS BIGINT)";
      ids += (i ? ", " : "") + Placeholder(2 * i + 1);
      values.emplace_back(uid);
      values.emplace_back(step);
    }
    step_of += " END";
    std::string sql = "UPDATE totp_secrets SET last_step = " + step_of + ", fail_count = 0 WHERE user_id IN (" + ids +
                      ") AND last_step < " + step_of + " RETURNING user_id";
    KW_ASSIGN_OR_RETURN(Stmt * s, QueryValues(sql, values));
    for (;;) {
      KW_ASSIGN_OR_RETURN(bool row, Next(s));
      if (!row) return OkStatus();
      won.push_back(s->Int(0));
    }
  }));
  std::sort(won.begin(), won.end());
  won.erase(std::unique(won.begin(), won.end()), won.end());
  return won;
}

Status SqlTxn::SetTotpFailuresMany(const std::vector<std::array<int64_t, 3>>& failures) {
  KW_RETURN_IF_ERROR(Writable());
  return ForEachRun(failures.size(), [&](size_t b, size_t e) -> Status {
    const size_t n = RoundedSize(e - b);
    std::string count_of = "CASE user_id", since_of = "CASE user_id", ids;
    std::vector<Value> values;
    for (size_t i = 0; i < n; ++i) {
      const auto& f = failures[std::min(b + i, e - 1)];
      count_of += " WHEN " + Placeholder(3 * i + 1) + " THEN CAST(" + Placeholder(3 * i + 2) + " AS BIGINT)";
      since_of += " WHEN " + Placeholder(3 * i + 1) + " THEN CAST(" + Placeholder(3 * i + 3) + " AS BIGINT)";
      ids += (i ? ", " : "") + Placeholder(3 * i + 1);
      for (int64_t x : f) values.emplace_back(x);
    }
    std::string sql = "UPDATE totp_secrets SET fail_count = " + count_of + " END, fail_since = " + since_of +
                      " END WHERE user_id IN (" + ids + ")";
    KW_ASSIGN_OR_RETURN(Stmt * s, QueryValues(sql, values));
    for (;;) {
      KW_ASSIGN_OR_RETURN(bool row, Next(s));
      if (!row) return OkStatus();
    }
  });
}

#undef KW_TOTP_COLUMNS

}  // namespace kw::store
