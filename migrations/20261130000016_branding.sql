-- Branding (issue 13): an org's logo. The rest of the brand is the `branding` setting in
-- org_settings. Portable SQL: SQLite and PostgreSQL.

-- At most one logo per org, checked by decoding before it is stored (PNG, JPEG or WebP,
-- at most 256 KiB). Kept as base64 text so both engines store it the same way through the
-- `Any` driver. Served at /branding/logo/{org_id}/{digest}: the SHA-256 in the address makes
-- every version its own URL, cacheable for good.
CREATE TABLE org_logos (
    org_id       TEXT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/webp')),
    digest       TEXT NOT NULL,
    data         TEXT NOT NULL,
    byte_size    BIGINT NOT NULL,
    updated_by   TEXT,
    updated_at   BIGINT NOT NULL
);
