//! Browser sessions: a 256-bit random id in a host-only cookie, stored as its hash.
//! 15 minutes idle, 8 hours absolute; a new id at every sign-in.
use super::{hash_secret, random_secret};
use crate::db::{Db, Tx, now_ms};
use crate::authz_cache::{CachedSession, Snapshot};
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
    let id_hash = hash_secret(raw_id);
    let Some(stored) = fetch(db, &id_hash).await? else { return Ok(None) };
    Ok(keep_alive(db, &id_hash, stored, now_ms()).await?.map(|s| into_row(id_hash, s)))
}

/// [`lookup`] through the per-process cache: no query while the cached session is live by
/// the clock. One that looks idle may have been used through another server since, so the
/// database decides (and deletes it if it really is expired).
pub async fn lookup_cached(db: &Db, cache: &Snapshot, raw_id: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    let id_hash = hash_secret(raw_id);
    let now = now_ms();
    let stored = match cache.session(&id_hash).filter(|s| is_live(s, now)) {
        Some(cached) => cached,
        None => match fetch(db, &id_hash).await? {
            Some(stored) => stored,
            None => return Ok(None),
        },
    };
    let Some(live) = keep_alive(db, &id_hash, stored, now).await? else { return Ok(None) };
    cache.put_session(&id_hash, live.clone());
    Ok(Some(into_row(id_hash, live)))
}

async fn fetch(db: &Db, id_hash: &str) -> Result<Option<CachedSession>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT s.csrf_token, s.mfa_pending, s.last_seen_at, s.expires_at, {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1"
    ))
    .bind(id_hash)
    .fetch_optional(&db.pool)
    .await
}

fn is_live(s: &CachedSession, now: i64) -> bool {
    now < s.expires_at && now - s.last_seen_at < IDLE_MS
}

/// The session if it is live at `now` (its idle clock touched when due), else deletes it.
async fn keep_alive(db: &Db, id_hash: &str, mut s: CachedSession, now: i64) -> Result<Option<CachedSession>, sqlx::Error> {
    if !is_live(&s, now) {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(&db.pool).await?;
        return Ok(None);
    }
    if now - s.last_seen_at >= TOUCH_EVERY_MS {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(id_hash)
            .execute(&db.pool)
            .await?;
        s.last_seen_at = now;
    }
    Ok(Some(s))
}

fn into_row(id_hash: String, s: CachedSession) -> SessionRow {
    SessionRow { id_hash, csrf_token: s.csrf_token, mfa_pending: s.mfa_pending != 0, user: s.user }
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
