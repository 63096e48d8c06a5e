//! Per-org counters (users at home there, assets, online assets, open alerts) that the MSP
//! overview sums instead of scanning a million asset rows on every request.
//!
//! They are never incremented: every transaction that changes users or assets calls
//! [`refresh`] for the orgs it touched, which recounts those orgs from their rows (an
//! index-only count over one org), inside the same transaction. So a counter is exactly as
//! correct as the rows it summarizes, commits and rolls back with them, and a missed call
//! is caught by [`mismatches`] in the tests. A deleted org takes its row along (foreign key).
use crate::db::Tx;
use sqlx::AnyConnection;

const RECOUNT: &str = "INSERT INTO org_counts (org_id, users, assets, online, open_alerts) \
     SELECT o.id, \
       (SELECT COUNT(*) FROM users u WHERE u.home_org_id = o.id), \
       (SELECT COUNT(*) FROM assets a WHERE a.org_id = o.id), \
       (SELECT COALESCE(SUM(a.online), 0) FROM assets a WHERE a.org_id = o.id), \
       (SELECT COALESCE(SUM(a.open_alerts), 0) FROM assets a WHERE a.org_id = o.id) \
     FROM orgs o WHERE o.id = $1 \
     ON CONFLICT (org_id) DO UPDATE SET users = excluded.users, assets = excluded.assets, \
       online = excluded.online, open_alerts = excluded.open_alerts";

/// Recounts the given orgs inside `tx` (orgs that no longer exist are skipped).
pub async fn refresh(tx: &mut Tx, org_ids: &[&str]) -> Result<(), sqlx::Error> {
    for org in org_ids {
        sqlx::query(RECOUNT).bind(*org).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Recounts every org at once (bulk seeding, the demo).
pub async fn rebuild(tx: &mut Tx) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM org_counts").execute(&mut **tx).await?;
    sqlx::query(
        "INSERT INTO org_counts (org_id, users, assets, online, open_alerts) \
         SELECT o.id, COALESCE(u.n, 0), COALESCE(a.n, 0), COALESCE(a.online, 0), COALESCE(a.alerts, 0) FROM orgs o \
         LEFT JOIN (SELECT home_org_id, COUNT(*) AS n FROM users GROUP BY home_org_id) u ON u.home_org_id = o.id \
         LEFT JOIN (SELECT org_id, COUNT(*) AS n, SUM(online) AS online, SUM(open_alerts) AS alerts FROM assets GROUP BY org_id) a ON a.org_id = o.id",
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Orgs whose stored counters differ from a fresh count of their rows (an org without a row
/// counts as zeros). Empty when every write path kept them up to date.
pub async fn mismatches(conn: &mut AnyConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT o.id FROM orgs o LEFT JOIN org_counts c ON c.org_id = o.id \
         WHERE COALESCE(c.users, 0) <> (SELECT COUNT(*) FROM users u WHERE u.home_org_id = o.id) \
            OR COALESCE(c.assets, 0) <> (SELECT COUNT(*) FROM assets a WHERE a.org_id = o.id) \
            OR COALESCE(c.online, 0) <> (SELECT COALESCE(SUM(a.online), 0) FROM assets a WHERE a.org_id = o.id) \
            OR COALESCE(c.open_alerts, 0) <> (SELECT COALESCE(SUM(a.open_alerts), 0) FROM assets a WHERE a.org_id = o.id)",
    )
    .fetch_all(conn)
    .await
}
