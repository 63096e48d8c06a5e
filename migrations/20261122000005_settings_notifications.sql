-- Inherited settings, schedules, deployments and notifications. Portable SQL (SQLite and
-- PostgreSQL): TEXT uuids, BIGINT Unix milliseconds, BIGINT 0/1 flags. Everything that
-- belongs to an org cascades when the org is deleted.

-- An org's own value for one setting key (JSON text). No row: the org inherits.
CREATE TABLE org_settings (
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, key)
);

CREATE TABLE schedules (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    frequency    TEXT NOT NULL CHECK (frequency IN ('daily', 'weekly', 'monthly')),
    window_start TEXT NOT NULL,
    window_end   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX schedules_org_idx ON schedules (org_id, name);

-- Targets: one table per kind, so each has a real foreign key that cascades.
CREATE TABLE schedule_assets (
    schedule_id TEXT NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    asset_id    TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    PRIMARY KEY (schedule_id, asset_id)
);
CREATE INDEX schedule_assets_asset_idx ON schedule_assets (asset_id);

CREATE TABLE schedule_groups (
    schedule_id TEXT NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    group_id    TEXT NOT NULL REFERENCES asset_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (schedule_id, group_id)
);
CREATE INDEX schedule_groups_group_idx ON schedule_groups (group_id);

CREATE TABLE deployments (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    package     TEXT NOT NULL,
    inheritable BIGINT NOT NULL DEFAULT 0,
    created_by  TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX deployments_org_idx ON deployments (org_id, created_at);

-- A notification sent in an org. Target ids are kept as sent (no foreign keys): the record
-- of whom it was for outlives the user or group. `held` ones wait for the DND window to end.
CREATE TABLE notifications (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    target_kind     TEXT NOT NULL CHECK (target_kind IN ('org', 'user', 'role', 'group')),
    target_user_id  TEXT,
    target_role     TEXT,
    target_group_id TEXT,
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    severity        TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    status          TEXT NOT NULL CHECK (status IN ('delivered', 'held')),
    held_until      BIGINT,
    created_by      TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT
);
CREATE INDEX notifications_org_idx ON notifications (org_id, created_at);
CREATE INDEX notifications_held_idx ON notifications (status, held_until);

-- One row per recipient of a delivered notification: the bell.
CREATE TABLE inbox (
    id              TEXT PRIMARY KEY,
    notification_id TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      BIGINT NOT NULL,
    read_at         BIGINT
);
CREATE UNIQUE INDEX inbox_recipient_key ON inbox (notification_id, user_id);
CREATE INDEX inbox_user_idx ON inbox (user_id, created_at);
