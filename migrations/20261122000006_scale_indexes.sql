-- Scale (issue 8): what the profile at 10,000 customers and 1,000,000 assets asked for.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

-- The asset list pages in this order (lower(name), id) within one org: an index in that
-- order turns "sort the org's assets, take 50" into "read 50 index entries".
CREATE INDEX assets_org_lower_name_idx ON assets (org_id, lower(name), id);

-- Counting an org's assets, online ones and open alerts without touching the table.
CREATE INDEX assets_org_counts_idx ON assets (org_id, online, open_alerts);

-- The switcher and the customer list order by lower(name) then slug.
CREATE INDEX orgs_parent_lower_name_idx ON orgs (parent_id, lower(name), slug);
CREATE INDEX orgs_lower_name_idx ON orgs (lower(name), slug);

-- The overview's "last activity": the newest audit event of an org.
CREATE INDEX audit_events_org_at_idx ON audit_events (org_id, at);

-- Per-org counters for the MSP overview (see server/src/counters.rs): kept exact by
-- recounting the touched orgs inside every transaction that changes users or assets.
CREATE TABLE org_counts (
    org_id      TEXT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    users       BIGINT NOT NULL DEFAULT 0,
    assets      BIGINT NOT NULL DEFAULT 0,
    online      BIGINT NOT NULL DEFAULT 0,
    open_alerts BIGINT NOT NULL DEFAULT 0
);
INSERT INTO org_counts (org_id, users, assets, online, open_alerts)
SELECT o.id, COALESCE(u.n, 0), COALESCE(a.n, 0), COALESCE(a.online, 0), COALESCE(a.alerts, 0) FROM orgs o
LEFT JOIN (SELECT home_org_id, COUNT(*) AS n FROM users GROUP BY home_org_id) u ON u.home_org_id = o.id
LEFT JOIN (SELECT org_id, COUNT(*) AS n, SUM(online) AS online, SUM(open_alerts) AS alerts FROM assets GROUP BY org_id) a ON a.org_id = o.id;
