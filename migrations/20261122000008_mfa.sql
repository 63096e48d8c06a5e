-- Sign-in factors (issue 12) and the atomic sign-in limiter.

-- One row per limited key (`account:<email>`, `ip:<addr>`): attempts in the current fixed
-- window. An attempt is reserved with one conditional upsert before the password is checked,
-- so parallel bursts and several server processes can't overshoot the limit.
CREATE TABLE sign_in_limits (
    key          TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    attempts     BIGINT NOT NULL
);
-- Replaced by sign_in_limits (it was read before the check and written after, so bursts passed).
DROP TABLE login_failures;

-- A user's TOTP authenticator. `confirmed_at` NULL: enrolment started, not yet active.
-- `last_step` is the last accepted 30-second time step; a code for it or an earlier step is
-- never accepted again (no replay).
CREATE TABLE user_totp (
    user_id      TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    confirmed_at BIGINT,
    last_step    BIGINT NOT NULL
);

-- Single-use recovery codes, stored as SHA-256 (they are 50-bit random strings, so a fast
-- hash is enough); shown once when generated.
CREATE TABLE recovery_codes (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id, code_hash);

-- A session opened by a password alone for a user whom the sign-in policy requires to have a
-- second factor but who has none: it may only enrol one (1) or sign out.
ALTER TABLE sessions ADD COLUMN mfa_pending BIGINT NOT NULL DEFAULT 0;
