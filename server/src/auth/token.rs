//! Personal access tokens for scripts: `tnt_<random>`, shown once, stored as a hash.
use super::{hash_secret, random_secret};
use crate::db::{Db, Tx, new_id, now_ms, rfc3339};
use shared::api::{TokenCreated, TokenInfo};

pub const PREFIX: &str = "tnt_";
pub const DEFAULT_DAYS: u32 = 90;

/// `acting`: the org the token was made in and the maker's role there (see
/// [`crate::tags::revoke_orphans`]), or `None` when it was made without an org.
pub async fn create(tx: &mut Tx, user_id: &str, name: &str, days: u32, acting: Option<(&str, shared::Role)>) -> Result<TokenCreated, sqlx::Error> {
    let id = new_id();
    let token = format!("{PREFIX}{}", random_secret());
    let now = now_ms();
    let expires_at = now + i64::from(days) * 24 * 60 * 60 * 1000;
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at, expires_at, acting_org_id, acting_role) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(user_id)
    .bind(name)
    .bind(hash_secret(&token))
    .bind(&token[..PREFIX.len() + 6])
    .bind(now)
    .bind(expires_at)
    .bind(acting.map(|(org, _)| org.to_string()))
    .bind(acting.map(|(_, role)| role.as_str()))
    .execute(&mut **tx)
    .await?;
    Ok(TokenCreated { id: crate::db::parse_uuid(&id), token, name: name.to_string(), expires_at: rfc3339(expires_at) })
}

/// The user id and token id behind a live (unexpired, unrevoked) bearer token.
pub async fn lookup(db: &Db, raw: &str) -> Result<Option<(String, String)>, sqlx::Error> {
    if !raw.starts_with(PREFIX) {
        return Ok(None);
    }
    let row: Option<(String, String, i64, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT id, user_id, expires_at, revoked_at, last_used_at FROM api_tokens WHERE token_hash = $1",
    )
    .bind(hash_secret(raw))
    .fetch_optional(&db.pool)
    .await?;
    let Some((id, user_id, expires_at, revoked_at, last_used)) = row else { return Ok(None) };
    let now = now_ms();
    if revoked_at.is_some() || now >= expires_at {
        return Ok(None);
    }
    if last_used.is_none_or(|t| now - t > 60_000) {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2").bind(now).bind(&id).execute(&db.pool).await?;
    }
    Ok(Some((user_id, id)))
}

pub async fn list(db: &Db, user_id: &str) -> Result<Vec<TokenInfo>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: String,
        name: String,
        prefix: String,
        created_at: i64,
        expires_at: i64,
        last_used_at: Option<i64>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, name, prefix, created_at, expires_at, last_used_at FROM api_tokens \
         WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC",
    )
    .bind(user_id)
    .bind(now_ms())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TokenInfo {
            id: crate::db::parse_uuid(&r.id),
            name: r.name,
            prefix: r.prefix,
            created_at: rfc3339(r.created_at),
            expires_at: rfc3339(r.expires_at),
            last_used_at: r.last_used_at.map(rfc3339),
        })
        .collect())
}

/// Revokes one of the user's own tokens; false when there is no such live token of theirs.
pub async fn revoke(tx: &mut Tx, user_id: &str, token_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(token_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}
