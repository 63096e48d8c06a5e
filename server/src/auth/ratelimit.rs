//! Failed sign-ins per account and per IP, counted in the database over a sliding window so
//! that every server process sees the same count. (A process-local limiter such as governor
//! would let N processes allow N times the attempts.)
use crate::db::{Db, new_id, now_ms};

/// Failures allowed per account within [`WINDOW_MS`]; the next attempt gets 429.
pub const PER_ACCOUNT: i64 = 5;
/// Failures allowed per source IP within [`WINDOW_MS`].
pub const PER_IP: i64 = 30;
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

fn keys(email: &str, ip: &str) -> [(String, i64); 2] {
    [(format!("account:{}", email.trim().to_ascii_lowercase()), PER_ACCOUNT), (format!("ip:{ip}"), PER_IP)]
}

/// True when either the account or the IP has used up its failures.
pub async fn is_limited(db: &Db, email: &str, ip: &str) -> Result<bool, sqlx::Error> {
    let since = now_ms() - WINDOW_MS;
    for (key, limit) in keys(email, ip) {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE key = $1 AND at > $2")
            .bind(&key)
            .bind(since)
            .fetch_one(&db.pool)
            .await?;
        if count >= limit {
            return Ok(true);
        }
    }
    Ok(false)
}

pub async fn record_failure(db: &Db, email: &str, ip: &str) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    for (key, _) in keys(email, ip) {
        sqlx::query("INSERT INTO login_failures (id, key, at) VALUES ($1, $2, $3)")
            .bind(new_id())
            .bind(key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    // Old rows are useless; trimming here keeps the table small without a background job.
    sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind(now - WINDOW_MS)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// A successful sign-in clears the account's failures (not the IP's).
pub async fn clear_account(tx: &mut crate::db::Tx, email: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE key = $1")
        .bind(format!("account:{}", email.trim().to_ascii_lowercase()))
        .execute(&mut **tx)
        .await?;
    Ok(())
}
