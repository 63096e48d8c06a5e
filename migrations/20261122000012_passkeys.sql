-- Passkeys (WebAuthn, issue 12).

-- A user's registered passkeys. `credential_id` is the authenticator's credential id
-- (base64url), unique across all users: the passkey itself names the account at sign-in.
-- `passkey` is webauthn-rs's `Passkey` as JSON (public key, signature counter, backup state).
CREATE TABLE passkeys (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    passkey       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX passkeys_user_idx ON passkeys (user_id);

-- A WebAuthn ceremony in progress (the challenge and what webauthn-rs needs to check the
-- answer), kept in the database so any server process can finish it. Bound to one browser:
-- `id_hash` is the SHA-256 of a random value in that browser's HttpOnly cookie together with
-- the ceremony's challenge (so a page can run two at once: the autofill request and the
-- button). Single use (deleted by the first attempt to finish it) and short-lived.
-- kind: 'register' (with the user and the chosen name) or 'authenticate' (no user yet: the
-- passkey names it).
CREATE TABLE webauthn_ceremonies (
    id_hash    TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('register', 'authenticate')),
    user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT,
    state      TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX webauthn_ceremonies_expiry_idx ON webauthn_ceremonies (expires_at);
