-- Answers to mutating requests sent with an `Idempotency-Key`, per user, kept 24 hours.
-- The row is first written inside the change's own transaction (status still NULL), so a
-- committed change always leaves its key behind; the answer is filled in right after the
-- commit. A row without an answer means "done, answer not kept" (or not kept yet).
CREATE TABLE idempotency_keys (
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    idem_key     TEXT NOT NULL,
    -- SHA-256 of method, path, org header, host and body: the same key with another request is refused.
    request_hash TEXT NOT NULL,
    -- Random id of the attempt that wrote the row; a concurrent duplicate has another one.
    attempt      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    status       BIGINT,
    content_type TEXT,
    location     TEXT,
    body         TEXT,
    PRIMARY KEY (user_id, idem_key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);
