-- keyward store schema, version 1 (SQLite). Kept in step with
-- ../postgres/0001_initial.sql: same tables, columns, constraints, indexes.
--
-- Set-valued fields (team members, host groups, key scope groups) live in
-- join tables. ON DELETE CASCADE gives store.h's delete rules: a user takes
-- its keys, grants and team memberships; a team its grants and members; a
-- host group its grants, host memberships and key scopes; a host its
-- tokens and bundle state. AUTOINCREMENT: ids are never reused.

-- The global revision: one row.
CREATE TABLE meta (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  revision INTEGER NOT NULL
);
INSERT INTO meta (id, revision) VALUES (1, 0);

CREATE TABLE users (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  name    TEXT NOT NULL UNIQUE,
  email   TEXT NOT NULL,
  state   TEXT NOT NULL CHECK (state IN ('active', 'suspended', 'offboarded')),
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL
);

CREATE TABLE teams (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  name    TEXT NOT NULL UNIQUE,
  created INTEGER NOT NULL
);

CREATE TABLE team_members (
  team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (team_id, user_id)
) WITHOUT ROWID;
CREATE INDEX team_members_by_user ON team_members (user_id, team_id);

CREATE TABLE host_groups (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  name    TEXT NOT NULL UNIQUE,
  created INTEGER NOT NULL
);

CREATE TABLE hosts (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  name             TEXT NOT NULL UNIQUE,
  host_keys        TEXT NOT NULL,
  last_contact     INTEGER NOT NULL,
  applied_revision INTEGER NOT NULL,
  created          INTEGER NOT NULL
);

CREATE TABLE host_group_members (
  host_id  INTEGER NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  group_id INTEGER NOT NULL REFERENCES host_groups (id) ON DELETE CASCADE,
  PRIMARY KEY (host_id, group_id)
) WITHOUT ROWID;
CREATE INDEX host_group_members_by_group ON host_group_members (group_id, host_id);

CREATE TABLE keys (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  type          TEXT NOT NULL,
  blob          BLOB NOT NULL,
  fingerprint   TEXT NOT NULL UNIQUE,
  comment       TEXT NOT NULL,
  created       INTEGER NOT NULL,
  expires       INTEGER NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('active', 'expired', 'revoked')),
  state_changed INTEGER NOT NULL,
  state_reason  TEXT NOT NULL,
  scope_all     INTEGER NOT NULL CHECK (scope_all IN (0, 1))
);
CREATE INDEX keys_by_user ON keys (user_id, id);
CREATE INDEX keys_by_expiry ON keys (state, expires);
CREATE INDEX keys_by_created ON keys (state, created);

-- Only for keys without scope_all.
CREATE TABLE key_scope_groups (
  key_id   INTEGER NOT NULL REFERENCES keys (id) ON DELETE CASCADE,
  group_id INTEGER NOT NULL REFERENCES host_groups (id) ON DELETE CASCADE,
  PRIMARY KEY (key_id, group_id)
) WITHOUT ROWID;
CREATE INDEX key_scope_groups_by_group ON key_scope_groups (group_id);

-- Exactly one of user_id and team_id. account sorts bytewise (BINARY);
-- the PostgreSQL schema gives it COLLATE "C" to match.
CREATE TABLE grants (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id  INTEGER REFERENCES users (id) ON DELETE CASCADE,
  team_id  INTEGER REFERENCES teams (id) ON DELETE CASCADE,
  group_id INTEGER NOT NULL REFERENCES host_groups (id) ON DELETE CASCADE,
  account  TEXT NOT NULL,
  options  TEXT NOT NULL,
  ends_at  INTEGER NOT NULL,
  created  INTEGER NOT NULL,
  CHECK ((user_id IS NULL) <> (team_id IS NULL))
);
CREATE INDEX grants_by_group ON grants (group_id, account);
CREATE INDEX grants_by_user ON grants (user_id);
CREATE INDEX grants_by_team ON grants (team_id);
CREATE INDEX grants_by_end ON grants (ends_at) WHERE ends_at > 0;

-- host_id only for host tokens.
CREATE TABLE tokens (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  kind    TEXT NOT NULL CHECK (kind IN ('admin', 'host', 'enroll')),
  name    TEXT NOT NULL,
  host_id INTEGER REFERENCES hosts (id) ON DELETE CASCADE,
  hash    BLOB NOT NULL UNIQUE,
  created INTEGER NOT NULL,
  expires INTEGER NOT NULL
);
CREATE INDEX tokens_by_host ON tokens (host_id);

CREATE TABLE audit_log (
  seq       INTEGER PRIMARY KEY,
  time      INTEGER NOT NULL,
  actor     TEXT NOT NULL,
  remote    TEXT NOT NULL,
  action    TEXT NOT NULL,
  target    TEXT NOT NULL,
  detail    TEXT NOT NULL,
  prev_hash BLOB NOT NULL,
  hash      BLOB NOT NULL
);

CREATE TABLE bundle_states (
  host_id      INTEGER PRIMARY KEY REFERENCES hosts (id) ON DELETE CASCADE,
  revision     INTEGER NOT NULL,
  content_hash BLOB NOT NULL
);
