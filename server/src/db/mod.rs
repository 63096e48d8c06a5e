//! The database: one pool over SQLite (default) or PostgreSQL, chosen by URL.
//!
//! Queries are written once in portable SQL through sqlx's `Any` driver: `$1` placeholders
//! (both engines accept them), TEXT ids, BIGINT millisecond times and BIGINT flags.
pub mod counters;
pub mod rows;
pub mod sql;

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::time::Duration;

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub dialect: Dialect,
    /// Where [`Db::reader`] reads: a replica when `DATABASE_READ_URL` is set, else `pool`.
    read_pool: AnyPool,
    /// Sessions, grants and org paths this process has read (see [`crate::authz_cache`]).
    pub authz: crate::authz_cache::AuthzCache,
}

impl Db {
    /// Connects (creating the SQLite file and its folder if needed) and runs migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        install_default_drivers();
        let dialect = if url.starts_with("postgres") { Dialect::Postgres } else { Dialect::Sqlite };
        let url = match dialect {
            Dialect::Sqlite => prepare_sqlite_url(url)?,
            Dialect::Postgres => url.to_string(),
        };
        let tuning = Tuning::from_env(dialect);
        let options = AnyPoolOptions::new()
            .max_connections(tuning.max_connections)
            // A failover must answer 503 quickly rather than hang: PostgreSQL gives up on a
            // connection after 3 s (HAProxy refuses at once while no node is primary). SQLite
            // keeps 10 s: waiting there means a busy local file, not a missing server.
            .acquire_timeout(match dialect {
                Dialect::Sqlite => Duration::from_secs(10),
                Dialect::Postgres => Duration::from_secs(3),
            });
        let options = if dialect == Dialect::Sqlite {
            let pragmas = format!(
                // WAL lets readers proceed during a write; the busy timeout makes writers
                // queue instead of failing; SQLite leaves foreign keys off unless asked.
                "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                 PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; \
                 PRAGMA cache_size = -{}; PRAGMA mmap_size = {};",
                tuning.sqlite_cache_kib,
                tuning.sqlite_mmap_mib * 1024 * 1024,
            );
            options.after_connect(move |conn, _meta| {
                let pragmas = pragmas.clone();
                Box::pin(async move {
                    conn.execute(pragmas.as_str()).await?;
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options
            .connect(&url)
            .await
            .with_context(|| format!("connecting to the {dialect:?} database"))?;
        let db = Db { read_pool: pool.clone(), pool, dialect, authz: crate::authz_cache::AuthzCache::from_env() };
        db.migrate().await?;
        Ok(db)
    }

    /// Sends [`Db::reader`] reads to another database (a streaming replica; not migrated).
    pub async fn with_reader(mut self, read_url: &str) -> anyhow::Result<Db> {
        let url = match self.dialect {
            Dialect::Sqlite => prepare_sqlite_url(read_url)?,
            Dialect::Postgres => read_url.to_string(),
        };
        // Lazy: a replica that is down (or rejoining) must not keep the server from starting;
        // reads that need it answer 503 until it is back.
        self.read_pool = AnyPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(3))
            .connect_lazy(&url)
            .context("DATABASE_READ_URL")?;
        Ok(self)
    }

    /// The pool for reads that may be a little stale: list and overview pages that show
    /// figures, never the identity, grants or org path a request is authorized with (those
    /// always come from `pool`, the primary), never read-your-own-write answers, never inside
    /// a write. A replica lags the primary by its replication delay (normally well under a
    /// second; with Patroni's synchronous standby, a committed write is already there, only
    /// not necessarily replayed).
    pub fn reader(&self) -> &AnyPool {
        &self.read_pool
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        MIGRATOR.run(&self.pool).await.context("running migrations")?;
        Ok(())
    }

    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        self.pool.begin().await
    }

    /// Case-insensitive `LIKE` operator for this engine.
    pub fn ilike(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "LIKE",
            Dialect::Postgres => "ILIKE",
        }
    }
}

/// Pool size and SQLite memory, each overridable from the environment (BENCHMARKS.md says
/// what each bought): `DATABASE_MAX_CONNECTIONS`, `SQLITE_CACHE_KIB` (page cache per
/// connection), `SQLITE_MMAP_MIB` (file bytes read through a shared memory map instead of
/// being copied into each connection's cache; 0 turns it off).
struct Tuning {
    max_connections: u32,
    sqlite_cache_kib: u64,
    sqlite_mmap_mib: u64,
}

impl Tuning {
    fn from_env(dialect: Dialect) -> Tuning {
        fn number<T: std::str::FromStr>(name: &str, default: T) -> T {
            std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
        }
        let default_connections = match dialect {
            Dialect::Sqlite => 8,
            Dialect::Postgres => 16,
        };
        Tuning {
            max_connections: number("DATABASE_MAX_CONNECTIONS", default_connections).max(1),
            sqlite_cache_kib: number("SQLITE_CACHE_KIB", 2000),
            sqlite_mmap_mib: number("SQLITE_MMAP_MIB", 0),
        }
    }
}

/// `sqlite://path` (or a bare path): make sure the folder exists and the file is created.
fn prepare_sqlite_url(url: &str) -> anyhow::Result<String> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let (file, query) = path.split_once('?').unwrap_or((path, ""));
    if file != ":memory:" {
        if let Some(dir) = std::path::Path::new(file).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
    }
    let query = if query.is_empty() { "mode=rwc".to_string() } else { query.to_string() };
    Ok(format!("sqlite://{file}?{query}"))
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    #[cfg(debug_assertions)]
    if let Some(ms) = test_clock() {
        return ms;
    }
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Debug builds only: a server started with `TENANTRY_TEST_CLOCK_FILE=path` takes "now" from
/// that file whenever it holds a number (Unix ms), so a test can move a *separate* process's
/// clock (`tests/two_process.rs`: a delegation expiring while its grants are cached). Release
/// builds never read it.
#[cfg(debug_assertions)]
fn test_clock() -> Option<i64> {
    static FILE: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    let path = FILE.get_or_init(|| std::env::var_os("TENANTRY_TEST_CLOCK_FILE").map(Into::into)).as_ref()?;
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Unix milliseconds → RFC 3339 UTC.
pub fn rfc3339(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// RFC 3339 → Unix milliseconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339).ok()?;
    Some((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Accepts RFC 3339 or a plain `YYYY-MM-DD` (the end of that day, UTC, for expiry dates).
pub fn parse_time_or_date(s: &str) -> Option<i64> {
    if let Some(ms) = parse_rfc3339(s) {
        return Some(ms);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(s.trim(), &format).ok()?;
    let end = date.with_hms(23, 59, 59).ok()?.assume_utc();
    Some((end.unix_timestamp_nanos() / 1_000_000) as i64)
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn parse_uuid(s: &str) -> uuid::Uuid {
    uuid::Uuid::parse_str(s).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        let ms = 1_790_000_000_123;
        assert_eq!(parse_rfc3339(&rfc3339(ms)), Some(ms));
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert!(parse_time_or_date("2026-12-31").is_some());
        assert!(parse_time_or_date("31/12/2026").is_none());
    }

    #[test]
    fn sqlite_urls_get_create_mode() {
        assert_eq!(prepare_sqlite_url("sqlite::memory:").unwrap(), "sqlite://:memory:?mode=rwc");
        let dir = std::env::temp_dir().join(format!("tenantry-url-{}", new_id()));
        let url = format!("sqlite://{}/x.db", dir.display());
        assert!(prepare_sqlite_url(&url).unwrap().ends_with("x.db?mode=rwc"));
        assert!(dir.exists());
    }
}

/// Parses a value read from the database. A value that doesn't parse is corrupt data: an
/// error naming the column (a 500 whose log line says which), never a silent default.
pub fn decode<T>(column: &str, value: &str) -> Result<T, sqlx::Error>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e| sqlx::Error::Decode(format!("corrupt value {value:?} in {column}: {e}").into()))
}
