-- Hardening (issue 17). Portable SQL (SQLite and PostgreSQL).

-- The tenant-host handoff is bound to the browser that asked for it (see
-- server/src/auth/handoff.rs): the host it was asked on, the session that asked, and the
-- hash of the binding nonce that browser holds on the tenant host.
ALTER TABLE handoffs ADD COLUMN origin TEXT;
ALTER TABLE handoffs ADD COLUMN session_hash TEXT;
ALTER TABLE handoffs ADD COLUMN bind_hash TEXT;

-- A notification about one asset (a monitoring alert) remembers the asset's group, so a
-- group-limited viewer gets it only when the asset is in one of their groups.
-- about_asset: 0/1; asset_group_id NULL with about_asset = 1 means an ungrouped asset.
ALTER TABLE notifications ADD COLUMN about_asset BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN asset_group_id TEXT;
