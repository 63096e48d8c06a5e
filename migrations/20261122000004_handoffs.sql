-- One-time codes that carry a signed-in user from one host to a tenant's own host
-- (session cookies are host-only, so each host gets its own session).
CREATE TABLE handoffs (
    code_hash  TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX handoffs_user_idx ON handoffs (user_id);
