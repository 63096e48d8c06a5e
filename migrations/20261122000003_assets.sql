-- Managed assets and the groups they sit in. Portable SQL (SQLite and PostgreSQL):
-- TEXT uuids, BIGINT Unix milliseconds, BIGINT 0/1 flags.

CREATE TABLE asset_groups (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX asset_groups_name_key ON asset_groups (org_id, name);

CREATE TABLE assets (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('computer', 'monitored_system', 'gateway')),
    name         TEXT NOT NULL,
    group_id     TEXT REFERENCES asset_groups (id) ON DELETE SET NULL,
    os           TEXT,
    address      TEXT,
    online       BIGINT NOT NULL DEFAULT 0,
    last_seen_at BIGINT,
    open_alerts  BIGINT NOT NULL DEFAULT 0,
    external_id  TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
-- NULLs are distinct on both engines, so only present external ids must be unique.
CREATE UNIQUE INDEX assets_external_id_key ON assets (org_id, external_id);
CREATE INDEX assets_org_name_idx ON assets (org_id, name);
CREATE INDEX assets_group_idx ON assets (group_id);

-- The groups a limited viewer membership (memberships.group_limited = 1) may see.
CREATE TABLE membership_groups (
    user_id  TEXT NOT NULL,
    org_id   TEXT NOT NULL,
    group_id TEXT NOT NULL REFERENCES asset_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, org_id, group_id),
    FOREIGN KEY (user_id, org_id) REFERENCES memberships (user_id, org_id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX membership_groups_group_idx ON membership_groups (group_id);

-- Set when a viewer membership is limited to groups (listed in membership_groups). A flag
-- rather than "has rows", so deleting a viewer's last group can't widen what they see.
ALTER TABLE memberships ADD COLUMN group_limited BIGINT NOT NULL DEFAULT 0;
