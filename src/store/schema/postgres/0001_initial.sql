-- keyward store schema, version 1 (PostgreSQL). Kept in step with
-- ../sqlite/0001_initial.sql: same tables, columns, constraints, indexes.
--
-- Set-valued fields (team members, host groups, key scope groups) live in
-- join tables. ON DELETE CASCADE gives store.h's delete rules: a user takes
-- its keys, grants and team memberships; a team its grants and members; a
-- host group its grants, host memberships and key scopes; a host its
-- tokens and bundle state. Identity columns: ids are never reused.

-- The global revision: one row.
CREATE TABLE meta (
  id       BIGINT PRIMARY KEY CHECK (id = 1),
  revision BIGINT NOT NULL
);
INSERT INTO meta (id, revision) VALUES (1, 0);

CREATE TABLE users (
  id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name    TEXT NOT NULL UNIQUE,
  email   TEXT NOT NULL,
  state   TEXT NOT NULL CHECK (state IN ('active', 'suspended', 'offboarded')),
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL
);

CREATE TABLE teams (
  id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name    TEXT NOT NULL UNIQUE,
  created BIGINT NOT NULL
);

CREATE TABLE team_members (
  team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_by_user ON team_members (user_id, team_id);

CREATE TABLE host_groups (
  id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name    TEXT NOT NULL UNIQUE,
  created BIGINT NOT NULL
);

CREATE TABLE hosts (
  id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name             TEXT NOT NULL UNIQUE,
  host_keys        TEXT NOT NULL,
  last_contact     BIGINT NOT NULL,
  applied_revision BIGINT NOT NULL,
  created          BIGINT NOT NULL
);

CREATE TABLE host_group_members (
  host_id  BIGINT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  group_id BIGINT NOT NULL REFERENCES host_groups (id) ON DELETE CASCADE,
  PRIMARY KEY (host_id, group_id)
);
CREATE INDEX host_group_members_by_group ON host_group_members (group_id, host_id);

CREATE TABLE keys (
  id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  type          TEXT NOT NULL,
  blob          BYTEA NOT NULL,
  fingerprint   TEXT NOT NULL UNIQUE,
  comment       TEXT NOT NULL,
  created       BIGINT NOT NULL,
  expires       BIGINT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('active', 'expired', 'revoked')),
  state_changed BIGINT NOT NULL,
  state_reason  TEXT NOT NULL,
  scope_all     BIGINT NOT NULL CHECK (scope_all IN (0, 1))
);
CREATE INDEX keys_by_user ON keys (user_id, id);
CREATE INDEX keys_by_expiry ON keys (state, expires);
CREATE INDEX keys_by_created ON keys (state, created);

-- Only for keys without scope_all.
CREATE TABLE key_scope_groups (
  key_id   BIGINT NOT NULL REFERENCES keys (id) ON DELETE CASCADE,
  group_id BIGINT NOT NULL REFERENCES host_groups (id) ON DELETE CASCADE,
  PRIMARY KEY (key_id, group_id)
);
CREATE INDEX key_scope_groups_by_group ON key_scope_groups (group_id);

-- Exactly one of user_id and team_id. account sorts bytewise (as SQLite's
-- BINARY), whatever the database's locale: RenderRows orders by it.
CREATE TABLE grants (
  id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id  BIGINT REFERENCES users (id) ON DELETE CASCADE,
  team_id  BIGINT REFERENCES teams (id) ON DELETE CASCADE,
  group_id BIGINT NOT NULL REFERENCES host_groups (id) ON DELETE CASCADE,
  account  TEXT COLLATE "C" NOT NULL,
  options  TEXT NOT NULL,
  ends_at  BIGINT NOT NULL,
  created  BIGINT NOT NULL,
  CHECK ((user_id IS NULL) <> (team_id IS NULL))
);
CREATE INDEX grants_by_group ON grants (group_id, account);
CREATE INDEX grants_by_user ON grants (user_id);
CREATE INDEX grants_by_team ON grants (team_id);
CREATE INDEX grants_by_end ON grants (ends_at) WHERE ends_at > 0;

-- host_id only for host tokens.
CREATE TABLE tokens (
  id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind    TEXT NOT NULL CHECK (kind IN ('admin', 'host', 'enroll')),
  name    TEXT NOT NULL,
  host_id BIGINT REFERENCES hosts (id) ON DELETE CASCADE,
  hash    BYTEA NOT NULL UNIQUE,
  created BIGINT NOT NULL,
  expires BIGINT NOT NULL
);
CREATE INDEX tokens_by_host ON tokens (host_id);

CREATE TABLE audit_log (
  seq       BIGINT PRIMARY KEY,
  time      BIGINT NOT NULL,
  actor     TEXT NOT NULL,
  remote    TEXT NOT NULL,
  action    TEXT NOT NULL,
  target    TEXT NOT NULL,
  detail    TEXT NOT NULL,
  prev_hash BYTEA NOT NULL,
  hash      BYTEA NOT NULL
);

CREATE TABLE bundle_states (
  host_id      BIGINT PRIMARY KEY REFERENCES hosts (id) ON DELETE CASCADE,
  revision     BIGINT NOT NULL,
  content_hash BYTEA NOT NULL
);
