-- Portable SQL: runs unchanged on SQLite and PostgreSQL.
-- Ids are UUID text, times are Unix milliseconds (BIGINT), flags are BIGINT 0/1.

CREATE TABLE orgs (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    slug         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('msp', 'customer', 'child')),
    parent_id    TEXT REFERENCES orgs (id) ON DELETE CASCADE,
    email_domain TEXT,
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX orgs_slug_key ON orgs (slug);
CREATE UNIQUE INDEX orgs_email_domain_key ON orgs (email_domain);
CREATE INDEX orgs_parent_idx ON orgs (parent_id, name);
CREATE INDEX orgs_name_idx ON orgs (name);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    password_hash TEXT,
    home_org_id   TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    is_superuser  BIGINT NOT NULL DEFAULT 0,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at    BIGINT NOT NULL,
    last_login_at BIGINT
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_home_org_idx ON users (home_org_id);

CREATE TABLE memberships (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, org_id)
);
CREATE INDEX memberships_org_idx ON memberships (org_id, role);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    ip           TEXT,
    user_agent   TEXT
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE UNIQUE INDEX api_tokens_hash_key ON api_tokens (token_hash);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Failed sign-ins, counted per account and per IP in a sliding window. In the database
-- (not in memory) so that several server processes share one limit.
CREATE TABLE login_failures (
    id  TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    at  BIGINT NOT NULL
);
CREATE INDEX login_failures_key_idx ON login_failures (key, at);

CREATE TABLE delegations (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    granted_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    PRIMARY KEY (user_id, org_id)
);
CREATE INDEX delegations_org_idx ON delegations (org_id);

-- Append-only, hash-chained. No foreign keys: the record outlives what it describes.
CREATE TABLE audit_events (
    id           TEXT PRIMARY KEY,
    seq          BIGINT NOT NULL,
    at           BIGINT NOT NULL,
    actor_id     TEXT,
    actor_email  TEXT,
    actor_org_id TEXT,
    org_id       TEXT,
    action       TEXT NOT NULL,
    object_type  TEXT NOT NULL,
    object_id    TEXT,
    summary      TEXT NOT NULL,
    request_id   TEXT,
    ip           TEXT,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE UNIQUE INDEX audit_events_seq_key ON audit_events (seq);
CREATE INDEX audit_events_org_idx ON audit_events (org_id, seq);

-- The chain's head. Every mutating transaction updates this row first, which serializes
-- writers (SQLite's write lock, PostgreSQL's row lock) so the chain never forks.
CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY,
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, 'genesis');
