-- keyward store schema, version 2 (PostgreSQL): TOTP enrolments for the key
-- center's second factor (issue 8, central mode). Kept in step with
-- ../sqlite/0002_totp.sql.
--
-- sealed_secret: AES-256-GCM box (nonce | ciphertext | tag) under the
-- center's totp_key, with the user id as associated data. last_step: the
-- highest time step accepted (-1: none); a code of that step or earlier is
-- refused, on every bastion. fail_count/fail_since: failed attempts in the
-- current rate-limit interval. Scratch codes: keyed hashes, one row each,
-- deleted when used.
CREATE TABLE totp_secrets (
  user_id       BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  sealed_secret BYTEA NOT NULL,
  algorithm     TEXT NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
  digits        BIGINT NOT NULL CHECK (digits BETWEEN 6 AND 8),
  period        BIGINT NOT NULL CHECK (period BETWEEN 1 AND 86400),
  last_step     BIGINT NOT NULL,
  fail_count    BIGINT NOT NULL,
  fail_since    BIGINT NOT NULL,
  created       BIGINT NOT NULL
);

CREATE TABLE totp_scratch_codes (
  user_id BIGINT NOT NULL REFERENCES totp_secrets (user_id) ON DELETE CASCADE,
  hash    BYTEA NOT NULL,
  PRIMARY KEY (user_id, hash)
);
