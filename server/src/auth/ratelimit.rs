//! Sign-in attempts per account and per source IP, limited in the database so that every
//! server process sees the same count (a process-local limiter such as governor would let N
//! processes allow N times the attempts).
//!
//! An attempt is *reserved before* the password (or second-factor code) is checked, by one
//! conditional upsert per key that only succeeds while the key is under its limit. The row
//! lock of the upsert (PostgreSQL) or the write lock (SQLite) serializes parallel attempts, so
//! a burst of 100 wrong passwords gets exactly [`PER_ACCOUNT`] verifications and 429s for the
//! rest. A failed check keeps its reservation (it is the failure); a success gives the IP's
//! slot back and clears the account.
//!
//! Windows are fixed: they start at the first attempt and last [`WINDOW_MS`]; the next attempt
//! after that starts a new one. Times come from the server's [`Clock`] so tests can move it.
use crate::db::{Db, Tx};
use crate::http::state::Clock;

/// Failed attempts allowed per account within [`WINDOW_MS`]; the next attempt gets 429.
pub const PER_ACCOUNT: i64 = 5;
/// Failed attempts allowed per source IP within [`WINDOW_MS`].
pub const PER_IP: i64 = 30;
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

fn account_key(email: &str) -> String {
    format!("account:{}", email.trim().to_ascii_lowercase())
}

fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// A reserved attempt. Drop it (or call [`Attempt::failed`]) when the check failed: the
/// reservation then stays counted. Call [`Attempt::succeeded`] inside the transaction that
/// completes the sign-in.
#[must_use = "an attempt is either a failure (kept) or a success (released)"]
pub struct Attempt {
    email: String,
    ip: String,
}

/// Reserves one attempt for `email` from `ip`; `None` when either has used up its attempts
/// (answer 429 and verify nothing).
pub async fn reserve(db: &Db, clock: &Clock, email: &str, ip: &str) -> Result<Option<Attempt>, sqlx::Error> {
    let now = clock.now_ms();
    // Expired rows are useless; trimming now and then keeps the table small without a job.
    if rand::random::<u8>() < 4 {
        sqlx::query("DELETE FROM sign_in_limits WHERE window_start <= $1").bind(now - WINDOW_MS).execute(&db.pool).await?;
    }
    let mut tx = db.begin().await?;
    // The account first: a locked-out account refuses without spending the IP's attempts.
    if !take(&mut tx, &account_key(email), PER_ACCOUNT, now).await? || !take(&mut tx, &ip_key(ip), PER_IP, now).await? {
        // Rolls back a reservation already taken on the account.
        drop(tx);
        return Ok(None);
    }
    tx.commit().await?;
    Ok(Some(Attempt { email: email.to_string(), ip: ip.to_string() }))
}

/// One conditional upsert: counts the attempt unless the key is at its limit inside a live
/// window. The `WHERE` of `DO UPDATE` is evaluated on the locked, current row, so concurrent
/// callers can't both take the last slot. No row returned = refused.
async fn take(tx: &mut Tx, key: &str, limit: i64, now: i64) -> Result<bool, sqlx::Error> {
    let expired_before = now - WINDOW_MS;
    let taken: Option<i64> = sqlx::query_scalar(
        "INSERT INTO sign_in_limits (key, window_start, attempts) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
           attempts = CASE WHEN sign_in_limits.window_start <= $3 THEN 1 ELSE sign_in_limits.attempts + 1 END, \
           window_start = CASE WHEN sign_in_limits.window_start <= $3 THEN $2 ELSE sign_in_limits.window_start END \
         WHERE sign_in_limits.window_start <= $3 OR sign_in_limits.attempts < $4 \
         RETURNING attempts",
    )
    .bind(key)
    .bind(now)
    .bind(expired_before)
    .bind(limit)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(taken.is_some())
}

impl Attempt {
    /// The check failed: the reservation stays counted.
    pub fn failed(self) {}

    /// The check passed but did not finish the sign-in (e.g. a second factor is still
    /// needed): give both slots back without clearing earlier failures.
    pub async fn release(self, db: &Db) -> Result<(), sqlx::Error> {
        let mut tx = db.begin().await?;
        for key in [account_key(&self.email), ip_key(&self.ip)] {
            give_back(&mut tx, &key).await?;
        }
        tx.commit().await
    }

    /// The sign-in succeeded (inside its transaction): the account's failures are forgiven and
    /// the IP gets its slot back (an IP's limit counts failures only).
    pub async fn succeeded(self, tx: &mut Tx) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM sign_in_limits WHERE key = $1").bind(account_key(&self.email)).execute(&mut **tx).await?;
        give_back(tx, &ip_key(&self.ip)).await
    }
}

async fn give_back(tx: &mut Tx, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sign_in_limits SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0").bind(key).execute(&mut **tx).await?;
    Ok(())
}
