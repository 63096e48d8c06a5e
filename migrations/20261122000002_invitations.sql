-- Invitations and the mail outbox. Portable SQL, same conventions as the identity migration.

CREATE TABLE invitations (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email            TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    -- SHA-256 of the secret; the secret itself is only in the creation response and the mail.
    token_hash       TEXT NOT NULL,
    invited_by       TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    accepted_at      BIGINT,
    accepted_user_id TEXT,
    revoked_at       BIGINT
);
CREATE UNIQUE INDEX invitations_token_hash_key ON invitations (token_hash);
CREATE INDEX invitations_org_idx ON invitations (org_id, created_at);
CREATE INDEX invitations_email_idx ON invitations (email);

-- Every mail the app sends, written in the transaction that caused it. Without SMTP this is
-- where an admin reads it; with SMTP, `sent_at` or `error` records the delivery.
CREATE TABLE outbox (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at    BIGINT,
    error      TEXT
);
CREATE INDEX outbox_org_idx ON outbox (org_id, created_at);
