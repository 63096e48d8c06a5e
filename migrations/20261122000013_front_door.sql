-- The tenant front door (issue 13): single sign-on, SCIM provisioning. Portable SQL: SQLite and PostgreSQL.

-- An org's identity provider. Child tenants without their own use their nearest ancestor's,
-- up to the org that owns the email domain. `client_secret` is sealed with AES-256-GCM under
-- the server key (TENANTRY_SECRET_KEY), the org id as associated data: base64(nonce || ciphertext).
CREATE TABLE sso_providers (
    org_id        TEXT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    issuer        TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    default_role  TEXT NOT NULL CHECK (default_role IN ('admin', 'member', 'viewer')),
    sso_only      BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- Which provider account is which user: after the first sign-in a user is found by the
-- provider's subject, never by email again.
CREATE TABLE sso_identities (
    provider_org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    issuer          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (provider_org_id, issuer, subject)
);
CREATE INDEX sso_identities_user_idx ON sso_identities (user_id);

-- Sign-ins under way: between the redirect to the provider and its answer. Found by the hash
-- of `state`, bound to the browser by the hash of a cookie, used once, dead after 10 minutes.
-- In the database, not in memory, so any server process can finish what another started.
CREATE TABLE sso_logins (
    state_hash      TEXT PRIMARY KEY,
    browser_hash    TEXT NOT NULL,
    org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    provider_org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    nonce           TEXT NOT NULL,
    pkce_verifier   TEXT NOT NULL,
    redirect_uri    TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX sso_logins_expires_idx ON sso_logins (expires_at);

-- SCIM 2.0 bearer tokens of an org (shown once, stored as SHA-256).
CREATE TABLE scim_tokens (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE UNIQUE INDEX scim_tokens_hash_key ON scim_tokens (token_hash);
CREATE INDEX scim_tokens_org_idx ON scim_tokens (org_id, created_at);

-- What the directory said about a user that Tenantry has no column for: its `externalId`, its
-- `displayName` as sent (NULL: removed), and whether `active` is assigned at all (a user whose
-- `active` was removed is active). `users.status` stays the truth for sign-in.
CREATE TABLE scim_users (
    user_id         TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    external_id     TEXT,
    display_name    TEXT,
    active_assigned BIGINT NOT NULL DEFAULT 1,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX scim_users_org_idx ON scim_users (org_id, external_id);
