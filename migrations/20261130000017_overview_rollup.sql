-- The overview's per-MSP rollup (issue 15). Portable SQL: SQLite and PostgreSQL.
--
-- Each org's counters row also says where the org sits, so the overview never walks the
-- tree at read time: `msp_id` (the MSP whose totals include it; NULL for an MSP) and
-- `customer_id` (the customer whose overview row it rolls up into: itself for a customer,
-- its customer for a child tenant). A customer's own row carries `customers` = 1 and
-- `suspended` = 1 while it is suspended, and every row counts `protected_users` (users at
-- home there with a confirmed authenticator or a passkey). All of it is recounted, never
-- incremented (server/src/db/counters.rs), in the transaction of each change.
ALTER TABLE org_counts ADD COLUMN msp_id TEXT;
ALTER TABLE org_counts ADD COLUMN customer_id TEXT;
ALTER TABLE org_counts ADD COLUMN customers BIGINT NOT NULL DEFAULT 0;
ALTER TABLE org_counts ADD COLUMN suspended BIGINT NOT NULL DEFAULT 0;
ALTER TABLE org_counts ADD COLUMN protected_users BIGINT NOT NULL DEFAULT 0;

-- Backfill: every org gets its row (until now an org without users or assets had none),
-- with the same statement as counters::rebuild.
DELETE FROM org_counts;
WITH RECURSIVE up (org_id, id) AS (
    SELECT o.id, o.id FROM orgs o WHERE 1 = 1
    UNION ALL SELECT u.org_id, p.parent_id FROM up u JOIN orgs p ON p.id = u.id WHERE p.parent_id IS NOT NULL
),
place AS (
    SELECT u.org_id, MAX(CASE WHEN a.kind = 'msp' AND a.id <> u.org_id THEN a.id END) AS msp_id,
        MAX(CASE WHEN a.kind = 'customer' THEN a.id END) AS customer_id
    FROM up u JOIN orgs a ON a.id = u.id GROUP BY u.org_id
)
INSERT INTO org_counts (org_id, msp_id, customer_id, customers, suspended, users, protected_users, assets, online, open_alerts)
SELECT o.id, p.msp_id, p.customer_id,
    CASE WHEN o.kind = 'customer' THEN 1 ELSE 0 END,
    CASE WHEN o.kind = 'customer' AND o.status = 'suspended' THEN 1 ELSE 0 END,
    COALESCE(u.n, 0), COALESCE(pu.n, 0), COALESCE(a.n, 0), COALESCE(a.online, 0), COALESCE(a.alerts, 0)
FROM orgs o JOIN place p ON p.org_id = o.id
LEFT JOIN (SELECT home_org_id, COUNT(*) AS n FROM users GROUP BY home_org_id) u ON u.home_org_id = o.id
LEFT JOIN (SELECT u.home_org_id, COUNT(*) AS n FROM users u
           WHERE EXISTS (SELECT 1 FROM user_totp x WHERE x.user_id = u.id AND x.confirmed_at IS NOT NULL)
              OR EXISTS (SELECT 1 FROM passkeys pk WHERE pk.user_id = u.id)
           GROUP BY u.home_org_id) pu ON pu.home_org_id = o.id
LEFT JOIN (SELECT org_id, COUNT(*) AS n, SUM(online) AS online, SUM(open_alerts) AS alerts FROM assets GROUP BY org_id) a ON a.org_id = o.id;

-- An MSP's unfiltered totals: one range of this index, read without touching the table
-- (a covering index rather than a stored per-MSP row, which every writer under the MSP
-- would have to lock and recompute; see the counters module).
CREATE INDEX org_counts_msp_idx ON org_counts (msp_id, customers, suspended, assets, online, open_alerts, protected_users);
-- A page of customers: each one's rows (its own and its child tenants') by customer.
CREATE INDEX org_counts_customer_idx ON org_counts (customer_id);
