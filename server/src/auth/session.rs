//! Browser sessions: a 256-bit random id in a host-only cookie, stored as its hash.
//! 15 minutes idle, 8 hours absolute; a new id at every sign-in.
use super::{hash_secret, random_secret};
use crate::db::{Db, Tx, now_ms};
use crate::db::rows::{USER_COLUMNS, UserRow};

pub const IDLE_MS: i64 = 15 * 60 * 1000;
pub const ABSOLUTE_MS: i64 = 8 * 60 * 60 * 1000;
/// Don't write `last_seen_at` on every request; a minute's precision is enough for 15 min idle.
const TOUCH_EVERY_MS: i64 = 60 * 1000;

pub struct NewSession {
    /// Goes into the cookie; never stored.
    pub raw_id: String,
    pub csrf_token: String,
    /// Opened by a password alone under a policy requiring a second factor: enrol-only.
    pub mfa_pending: bool,
}

pub struct SessionRow {
    pub id_hash: String,
    pub csrf_token: String,
    /// See [`NewSession::mfa_pending`].
    pub mfa_pending: bool,
    /// Read in the same query: every authenticated request needs the user next.
    pub user: UserRow,
}

pub async fn create(tx: &mut Tx, user_id: &str, ip: &str, user_agent: &str, mfa_pending: bool) -> Result<NewSession, sqlx::Error> {
    let raw_id = random_secret();
    let csrf_token = random_secret();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent, mfa_pending) \
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8)",
    )
    .bind(hash_secret(&raw_id))
    .bind(user_id)
    .bind(&csrf_token)
    .bind(now)
    .bind(now + ABSOLUTE_MS)
    .bind(ip)
    .bind(user_agent.chars().take(200).collect::<String>())
    .bind(i64::from(mfa_pending))
    .execute(&mut **tx)
    .await?;
    Ok(NewSession { raw_id, csrf_token, mfa_pending })
}

/// The live session for a cookie value, with its user, touching its idle clock. Expired
/// sessions are deleted.
pub async fn lookup(db: &Db, raw_id: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Found {
        csrf_token: String,
        mfa_pending: i64,
        last_seen_at: i64,
        expires_at: i64,
        #[sqlx(flatten)]
        user: UserRow,
    }
    let id_hash = hash_secret(raw_id);
    let row: Option<Found> = sqlx::query_as(&format!(
        "SELECT s.csrf_token, s.mfa_pending, s.last_seen_at, s.expires_at, {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1"
    ))
    .bind(&id_hash)
    .fetch_optional(&db.pool)
    .await?;
    let Some(Found { csrf_token, mfa_pending, last_seen_at: last_seen, expires_at, user }) = row else { return Ok(None) };
    let now = now_ms();
    if now >= expires_at || now - last_seen >= IDLE_MS {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(&id_hash).execute(&db.pool).await?;
        return Ok(None);
    }
    if now - last_seen >= TOUCH_EVERY_MS {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(&id_hash)
            .execute(&db.pool)
            .await?;
    }
    Ok(Some(SessionRow { id_hash, csrf_token, mfa_pending: mfa_pending != 0, user }))
}

pub async fn delete(tx: &mut Tx, id_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(&mut **tx).await?;
    Ok(())
}

/// Ends every session and token of a user at once (disable, remove, delete).
pub async fn revoke_all_for_user(tx: &mut Tx, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut **tx).await?;
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// After a factor was added or removed: every other session of the user ends (a thief's
/// session must not outlive the owner's change), and the remaining one is no longer restricted.
pub async fn end_others(tx: &mut Tx, user_id: &str, keep_id_hash: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user_id)
        .bind(keep_id_hash.unwrap_or(""))
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE sessions SET mfa_pending = 0 WHERE user_id = $1").bind(user_id).execute(&mut **tx).await?;
    Ok(())
}
