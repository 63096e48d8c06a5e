//! Per-org counters (users at home there, those of them with a second factor, assets, online
//! assets, open alerts) that the MSP overview sums instead of scanning a million asset rows
//! on every request — and, on the same row, where the org sits: the MSP whose overview counts
//! it (`msp_id`) and the customer whose overview row it rolls up into (`customer_id`).
//!
//! They are never incremented: every transaction that changes users, second factors, assets
//! or the org tree calls [`refresh`] (or [`refresh_subtree`]) for the orgs it touched, which
//! recounts those orgs from their rows (index-only counts over one org) and looks their place
//! up again, inside the same transaction. So a counter is exactly as correct as the rows it
//! summarizes, commits and rolls back with them, and a missed call is caught by
//! [`mismatches`] and [`rollup_mismatches`] in the tests. Every org has its row (created with
//! the org); a deleted org takes its row along (foreign key).
//!
//! **The per-MSP rollup is an index range, not a row.** An MSP's unfiltered totals are
//! [`msp_totals`]: one range scan of the covering index `org_counts_msp_idx (msp_id, customers,
//! suspended, assets, online, open_alerts, protected_users)` — the table is never read. A
//! stored per-MSP row would be O(1) to read but either incremented (drifting, the thing this
//! module exists not to do) or recomputed from this same range on every asset write, under a
//! lock that every writer below that MSP queues on. The range costs the reader ~1 ms at 10,000
//! customers, the writers nothing: each write still touches only its own org's row.
use crate::db::Tx;
use crate::db::sql::Sql;
use sqlx::AnyConnection;

/// Users at home in `o` with a second factor: a confirmed authenticator or a passkey.
const PROTECTED: &str = "EXISTS (SELECT 1 FROM user_totp x WHERE x.user_id = u.id AND x.confirmed_at IS NOT NULL) \
     OR EXISTS (SELECT 1 FROM passkeys pk WHERE pk.user_id = u.id)";

/// `up` and `place` for the orgs `o` matching `which`: each org with its ancestors (itself
/// included), then the MSP above it (not itself) and the customer at or above it. The tree is
/// a few levels deep (`tree_limits`), so this is a handful of primary-key lookups per org.
fn place(which: &str) -> String {
    format!(
        "WITH RECURSIVE up (org_id, id) AS ( \
           SELECT o.id, o.id FROM orgs o WHERE {which} \
           UNION ALL SELECT u.org_id, p.parent_id FROM up u JOIN orgs p ON p.id = u.id WHERE p.parent_id IS NOT NULL \
         ), \
         place AS (SELECT u.org_id, MAX(CASE WHEN a.kind = 'msp' AND a.id <> u.org_id THEN a.id END) AS msp_id, \
                     MAX(CASE WHEN a.kind = 'customer' THEN a.id END) AS customer_id \
                   FROM up u JOIN orgs a ON a.id = u.id GROUP BY u.org_id) "
    )
}

const COLUMNS: &str = "org_id, msp_id, customer_id, customers, suspended, users, protected_users, assets, online, open_alerts";

/// The org's own flags: a customer counts itself once, and once more if suspended.
const FLAGS: &str = "CASE WHEN o.kind = 'customer' THEN 1 ELSE 0 END, \
     CASE WHEN o.kind = 'customer' AND o.status = 'suspended' THEN 1 ELSE 0 END";

/// Recounts the orgs in `ids` (a few): one correlated, index-only count per org and figure.
fn recount(sql: &mut Sql, ids: &[&str]) {
    let params = ids.iter().map(|id| sql.param(*id)).collect::<Vec<_>>().join(", ");
    sql.push(&format!(
        "{} INSERT INTO org_counts ({COLUMNS}) \
         SELECT o.id, p.msp_id, p.customer_id, {FLAGS}, \
           (SELECT COUNT(*) FROM users u WHERE u.home_org_id = o.id), \
           (SELECT COUNT(*) FROM users u WHERE u.home_org_id = o.id AND ({PROTECTED})), \
           (SELECT COUNT(*) FROM assets a WHERE a.org_id = o.id), \
           (SELECT COALESCE(SUM(a.online), 0) FROM assets a WHERE a.org_id = o.id), \
           (SELECT COALESCE(SUM(a.open_alerts), 0) FROM assets a WHERE a.org_id = o.id) \
         FROM orgs o JOIN place p ON p.org_id = o.id WHERE true \
         ON CONFLICT (org_id) DO UPDATE SET msp_id = excluded.msp_id, customer_id = excluded.customer_id, \
           customers = excluded.customers, suspended = excluded.suspended, users = excluded.users, \
           protected_users = excluded.protected_users, assets = excluded.assets, online = excluded.online, \
           open_alerts = excluded.open_alerts",
        place(&format!("o.id IN ({params})"))
    ));
}

/// Every org's row as a fresh count would have it, as `fresh` (grouped counts: one pass over
/// each table, for rebuilding everything at once and for checking what [`refresh`] kept).
/// The migration that added the placement columns backfills with the same statement.
fn fresh() -> String {
    format!(
        "{}, fresh ({COLUMNS}) AS ( \
           SELECT o.id, p.msp_id, p.customer_id, {FLAGS}, COALESCE(u.n, 0), COALESCE(pu.n, 0), \
             COALESCE(a.n, 0), COALESCE(a.online, 0), COALESCE(a.alerts, 0) \
           FROM orgs o JOIN place p ON p.org_id = o.id \
           LEFT JOIN (SELECT home_org_id, COUNT(*) AS n FROM users GROUP BY home_org_id) u ON u.home_org_id = o.id \
           LEFT JOIN (SELECT u.home_org_id, COUNT(*) AS n FROM users u WHERE {PROTECTED} GROUP BY u.home_org_id) pu ON pu.home_org_id = o.id \
           LEFT JOIN (SELECT org_id, COUNT(*) AS n, SUM(online) AS online, SUM(open_alerts) AS alerts FROM assets GROUP BY org_id) a ON a.org_id = o.id) ",
        place("1 = 1")
    )
}

/// Recounts the given orgs inside `tx` (orgs that no longer exist are skipped).
pub async fn refresh(tx: &mut Tx, org_ids: &[&str]) -> Result<(), sqlx::Error> {
    let mut ids: Vec<&str> = org_ids.to_vec();
    ids.sort_unstable();
    ids.dedup(); // one statement may not update a row twice (PostgreSQL's ON CONFLICT)
    // Large sets (a tenant import) in chunks, well under either engine's bind limit.
    for chunk in ids.chunks(500) {
        let mut sql = Sql::default();
        recount(&mut sql, chunk);
        sql.query().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Recounts `org_id` and every org below it: after a move, whose MSP or customer changed for
/// the whole subtree.
pub async fn refresh_subtree(tx: &mut Tx, org_id: &str) -> Result<(), sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "WITH RECURSIVE down (id) AS (SELECT CAST($1 AS TEXT) UNION ALL SELECT o.id FROM orgs o JOIN down d ON o.parent_id = d.id) SELECT id FROM down",
    )
    .bind(org_id)
    .fetch_all(&mut **tx)
    .await?;
    refresh(tx, &ids.iter().map(String::as_str).collect::<Vec<_>>()).await
}

/// Recounts every org at once (bulk seeding, the demo).
pub async fn rebuild(tx: &mut Tx) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM org_counts").execute(&mut **tx).await?;
    sqlx::query(&format!("{} INSERT INTO org_counts ({COLUMNS}) SELECT {COLUMNS} FROM fresh", fresh())).execute(&mut **tx).await?;
    Ok(())
}

/// An MSP's overview totals over all its customers and their child tenants.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MspTotals {
    pub customers: i64,
    pub suspended: i64,
    pub assets: i64,
    pub online: i64,
    pub open_alerts: i64,
    pub protected_users: i64,
}

/// The rollup: one range of `org_counts_msp_idx`, read from the index alone.
const MSP_TOTALS: &str = "SELECT CAST(COALESCE(SUM(customers), 0) AS BIGINT) AS customers, \
       CAST(COALESCE(SUM(suspended), 0) AS BIGINT) AS suspended, CAST(COALESCE(SUM(assets), 0) AS BIGINT) AS assets, \
       CAST(COALESCE(SUM(online), 0) AS BIGINT) AS online, CAST(COALESCE(SUM(open_alerts), 0) AS BIGINT) AS open_alerts, \
       CAST(COALESCE(SUM(protected_users), 0) AS BIGINT) AS protected_users \
     FROM org_counts WHERE msp_id = $1";

/// `msp`'s totals from the counters (see the module comment for why a range and not a row).
pub async fn msp_totals<'c, E>(db: E, msp: &str) -> Result<MspTotals, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query_as(MSP_TOTALS).bind(msp).fetch_one(db).await
}

/// Orgs whose stored row differs from a fresh count of their rows and a fresh look at their
/// place in the tree, or that have no row. Empty when every write path kept them up to date.
pub async fn mismatches(conn: &mut AnyConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "{} SELECT f.org_id FROM fresh f LEFT JOIN org_counts c ON c.org_id = f.org_id \
         WHERE c.org_id IS NULL OR COALESCE(c.msp_id, '') <> COALESCE(f.msp_id, '') OR COALESCE(c.customer_id, '') <> COALESCE(f.customer_id, '') \
            OR c.customers <> f.customers OR c.suspended <> f.suspended OR c.users <> f.users OR c.protected_users <> f.protected_users \
            OR c.assets <> f.assets OR c.online <> f.online OR c.open_alerts <> f.open_alerts",
        fresh()
    ))
    .fetch_all(conn)
    .await
}

/// MSPs whose [`msp_totals`] differ from totals counted afresh from the orgs, users, second
/// factors and assets under them (walking down the tree, without the counters): each with
/// what the rollup said and what the fresh count found.
pub async fn rollup_mismatches(conn: &mut AnyConnection) -> Result<Vec<(String, MspTotals, MspTotals)>, sqlx::Error> {
    let msps: Vec<String> = sqlx::query_scalar("SELECT id FROM orgs WHERE kind = 'msp' ORDER BY id").fetch_all(&mut *conn).await?;
    let mut wrong = Vec::new();
    for msp in msps {
        let stored = msp_totals(&mut *conn, &msp).await?;
        let counted: MspTotals = sqlx::query_as(&format!(
            "WITH RECURSIVE tree (id) AS ( \
               SELECT c.id FROM orgs c WHERE c.parent_id = $1 AND c.kind = 'customer' \
               UNION ALL SELECT o.id FROM orgs o JOIN tree t ON o.parent_id = t.id \
             ) \
             SELECT (SELECT COUNT(*) FROM orgs c WHERE c.parent_id = $1 AND c.kind = 'customer') AS customers, \
               (SELECT COUNT(*) FROM orgs c WHERE c.parent_id = $1 AND c.kind = 'customer' AND c.status = 'suspended') AS suspended, \
               (SELECT COUNT(*) FROM tree t JOIN assets a ON a.org_id = t.id) AS assets, \
               (SELECT CAST(COALESCE(SUM(a.online), 0) AS BIGINT) FROM tree t JOIN assets a ON a.org_id = t.id) AS online, \
               (SELECT CAST(COALESCE(SUM(a.open_alerts), 0) AS BIGINT) FROM tree t JOIN assets a ON a.org_id = t.id) AS open_alerts, \
               (SELECT COUNT(*) FROM tree t JOIN users u ON u.home_org_id = t.id WHERE {PROTECTED}) AS protected_users"
        ))
        .bind(&msp)
        .fetch_one(&mut *conn)
        .await?;
        if stored != counted {
            wrong.push((msp, stored, counted));
        }
    }
    Ok(wrong)
}
