// SqlTxn: TOTP enrolments (store.h). The replay guard is the conditional
// UPDATE of AcceptTotpStep and the single-use guard the DELETE of
// UseTotpScratch: each answers from the rows it touched, so two processes
// on one database cannot both accept the same step or scratch code, even
// apart from the serialisation of write transactions.
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

StatusOr<bool> SqlTxn::AcceptTotpStep(int64_t user_id, int64_t step) {
  KW_RETURN_IF_ERROR(Writable());
  return Any("UPDATE totp_secrets SET last_step = $2, fail_count = 0 WHERE user_id = $1 AND last_step < $2"
             " RETURNING user_id",
             user_id, step);
}

StatusOr<bool> SqlTxn::UseTotpScratch(int64_t user_id, ByteSpan hash) {
  KW_RETURN_IF_ERROR(Writable());
  KW_ASSIGN_OR_RETURN(bool used, Any("DELETE FROM totp_scratch_codes WHERE user_id = $1 AND hash = $2"
                                     " RETURNING user_id",
                                     user_id, hash));
  if (used) KW_RETURN_IF_ERROR(Exec("UPDATE totp_secrets SET fail_count = 0 WHERE user_id = $1", user_id));
  return used;
}

Status SqlTxn::SetTotpFailures(int64_t user_id, int64_t count, int64_t since) {
  KW_RETURN_IF_ERROR(Writable());
  KW_ASSIGN_OR_RETURN(bool updated, Any("UPDATE totp_secrets SET fail_count = $2, fail_since = $3"
                                        " WHERE user_id = $1 RETURNING user_id",
                                        user_id, count, since));
  if (!updated) return NotFoundError("TOTP of user " + std::to_string(user_id) + " not found");
  return OkStatus();
}

#undef KW_TOTP_COLUMNS

}  // namespace kw::store
