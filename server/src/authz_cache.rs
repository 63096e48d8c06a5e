//! A per-process cache of what every request reads before its own query: the session and its
//! user, the user's grants, and org paths (with the org row).
//!
//! It is only trusted while the database's `audit_head.authz_epoch` is unchanged. Every
//! mutating transaction bumps that number as its first statement ([`crate::audit::begin`],
//! which every audited change — sign-out, memberships, delegations, technician scopes, tags,
//! org status and parents, users — goes through), so one cheap read per request tells this
//! process whether anything changed anywhere, in this process or another one sharing the
//! database. No time-based guess: a change is seen by the next request on every server.
//!
//! Time still passes without a write: session idle and absolute expiry and delegation expiry
//! are checked against the clock on every request, from the cached values (delegations by the
//! access function, as before). A session that looks idle here may have been used through
//! another process, so that answer is always taken from the database.
//!
//! Requests waiting at the same time share one read of the epoch, as long as it began after
//! they arrived ([`EpochReads`]): as fresh as a read of their own, far fewer under load.
//!
//! Order matters: the epoch is read *before* anything is loaded, and an entry is stored only
//! under the epoch read before loading it. A change committed in between leaves the new epoch
//! in the database, and the next request throws the entry away.
use crate::access::{Grants, OrgPath, load_org_and_path};
use crate::db::Db;
use crate::db::rows::{OrgRow, UserRow};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Entries kept per map before it is emptied (a bound on memory, not a policy).
const MAX_ENTRIES: usize = 10_000;

/// A session as stored: what the idle and absolute limits and the CSRF check need.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CachedSession {
    pub csrf_token: String,
    pub mfa_pending: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    #[sqlx(flatten)]
    pub user: UserRow,
}

#[derive(Default)]
struct Entries {
    epoch: Option<i64>,
    sessions: HashMap<String, CachedSession>,
    grants: HashMap<String, Grants>,
    orgs: HashMap<String, (OrgRow, OrgPath)>,
}

/// Shared by every clone of the [`Db`] it belongs to.
#[derive(Clone)]
pub struct AuthzCache {
    entries: Arc<Mutex<Entries>>,
    epoch: Arc<EpochReads>,
    /// `TENANTRY_AUTHZ_CACHE=off` reads everything from the database on every request, as
    /// before the cache (to measure it, or to rule it out).
    enabled: bool,
}

impl Default for AuthzCache {
    fn default() -> AuthzCache {
        AuthzCache { entries: Arc::default(), epoch: Arc::default(), enabled: true }
    }
}

/// The cache as one request sees it: valid at the epoch the request read.
#[derive(Clone)]
pub struct Snapshot {
    cache: AuthzCache,
    epoch: i64,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot").field("epoch", &self.epoch).finish_non_exhaustive()
    }
}

impl AuthzCache {
    /// The cache, unless `TENANTRY_AUTHZ_CACHE=off` (`=unshared`: one epoch read per request,
    /// not shared; both for measuring, BENCHMARKS.md).
    pub fn from_env() -> AuthzCache {
        let mode = std::env::var("TENANTRY_AUTHZ_CACHE").unwrap_or_default();
        let cache = AuthzCache { enabled: mode != "off", ..AuthzCache::default() };
        cache.epoch.unshared.store(mode == "unshared", Ordering::Relaxed);
        cache
    }

    /// Reads the epoch (one indexed single-row read) and empties the cache if it moved.
    pub async fn snapshot(&self, db: &Db) -> Result<Snapshot, sqlx::Error> {
        if !self.enabled {
            return Ok(Snapshot { cache: self.clone(), epoch: -1 });
        }
        let epoch = self.epoch.read(db).await?;
        let mut e = self.entries.lock().expect("authz cache");
        if e.epoch != Some(epoch) {
            // Any difference, not just "newer": a restored or failed-over database may go back.
            *e = Entries { epoch: Some(epoch), ..Entries::default() };
        }
        Ok(Snapshot { cache: self.clone(), epoch })
    }
}

const EPOCH_SQL: &str = "SELECT authz_epoch FROM audit_head WHERE id = 1";

/// Reads of the epoch, shared by the requests waiting for one. A request may use a value only
/// from a read that *began after the request arrived* — such a read sees every change
/// committed before the request, exactly as a read of its own would — so under load one read
/// answers every request that arrived while the previous read was under way, instead of each
/// making its own.
#[derive(Default)]
struct EpochReads {
    /// A ticket per arrival and per read started; orders the two.
    tickets: AtomicU64,
    /// The last read: (the ticket taken when it began, the epoch it saw).
    last: Mutex<Option<(u64, i64)>>,
    /// One read at a time.
    reading: tokio::sync::Mutex<()>,
    unshared: std::sync::atomic::AtomicBool,
}

impl EpochReads {
    async fn read(&self, db: &Db) -> Result<i64, sqlx::Error> {
        if self.unshared.load(Ordering::Relaxed) {
            return sqlx::query_scalar(EPOCH_SQL).fetch_one(&db.pool).await;
        }
        let arrived = self.tickets.fetch_add(1, Ordering::SeqCst);
        if let Some(epoch) = self.begun_after(arrived) {
            return Ok(epoch);
        }
        let _turn = self.reading.lock().await;
        if let Some(epoch) = self.begun_after(arrived) {
            return Ok(epoch);
        }
        let began = self.tickets.fetch_add(1, Ordering::SeqCst);
        let epoch: i64 = sqlx::query_scalar(EPOCH_SQL).fetch_one(&db.pool).await?;
        *self.last.lock().expect("epoch reads") = Some((began, epoch));
        Ok(epoch)
    }

    fn begun_after(&self, arrived: u64) -> Option<i64> {
        let last = *self.last.lock().expect("epoch reads");
        last.filter(|(began, _)| *began > arrived).map(|(_, epoch)| epoch)
    }
}

fn put<V>(map: &mut HashMap<String, V>, key: &str, value: V) {
    if map.len() >= MAX_ENTRIES && !map.contains_key(key) {
        map.clear();
    }
    map.insert(key.to_string(), value);
}

impl Snapshot {
    /// Runs `f` on the entries if they are still those of this snapshot's epoch (another
    /// request may have seen a newer one since); `None` otherwise.
    fn with<R>(&self, f: impl FnOnce(&mut Entries) -> R) -> Option<R> {
        let mut e = self.cache.entries.lock().expect("authz cache");
        (self.cache.enabled && e.epoch == Some(self.epoch)).then(|| f(&mut e))
    }

    pub fn session(&self, id_hash: &str) -> Option<CachedSession> {
        self.with(|e| e.sessions.get(id_hash).cloned()).flatten()
    }

    pub fn put_session(&self, id_hash: &str, session: CachedSession) {
        self.with(|e| put(&mut e.sessions, id_hash, session));
    }

    pub fn grants(&self, user_id: &str) -> Option<Grants> {
        self.with(|e| e.grants.get(user_id).cloned()).flatten()
    }

    pub fn put_grants(&self, user_id: &str, grants: Grants) {
        self.with(|e| put(&mut e.grants, user_id, grants));
    }

    pub fn org(&self, org_id: &str) -> Option<(OrgRow, OrgPath)> {
        self.with(|e| e.orgs.get(org_id).cloned()).flatten()
    }

    pub fn put_org(&self, org_id: &str, org: (OrgRow, OrgPath)) {
        self.with(|e| put(&mut e.orgs, org_id, org));
    }

    /// The user's grants, loaded on a miss.
    pub async fn grants_of(&self, db: &Db, user: &UserRow) -> Result<Grants, sqlx::Error> {
        if let Some(grants) = self.grants(&user.id) {
            return Ok(grants);
        }
        let grants = Grants::load(db, user).await?;
        self.put_grants(&user.id, grants.clone());
        Ok(grants)
    }

    /// The org and its path, loaded on a miss; `None` when it does not exist.
    pub async fn org_and_path(&self, db: &Db, org_id: &str) -> Result<Option<(OrgRow, OrgPath)>, sqlx::Error> {
        if let Some(found) = self.org(org_id) {
            return Ok(Some(found));
        }
        let mut conn = db.pool.acquire().await?;
        let found = load_org_and_path(&mut conn, org_id).await?;
        if let Some(found) = &found {
            self.put_org(org_id, found.clone());
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot_at(cache: &AuthzCache, epoch: i64) -> Snapshot {
        let mut e = cache.entries.lock().unwrap();
        if e.epoch != Some(epoch) {
            *e = Entries { epoch: Some(epoch), ..Entries::default() };
        }
        Snapshot { cache: cache.clone(), epoch }
    }

    #[test]
    fn an_entry_lives_only_in_its_epoch() {
        let cache = AuthzCache::default();
        let old = snapshot_at(&cache, 1);
        old.put_grants("u", Grants::default());
        assert!(old.grants("u").is_some());
        // A request that read a newer epoch empties the cache…
        let new = snapshot_at(&cache, 2);
        assert!(new.grants("u").is_none());
        // …and one still holding the older epoch can neither read nor store.
        old.put_grants("u", Grants::default());
        assert!(old.grants("u").is_none());
        assert!(new.grants("u").is_none());
        // Going back (a restored database) empties it too.
        new.put_grants("u", Grants::default());
        assert!(snapshot_at(&cache, 1).grants("u").is_none());
    }

    #[test]
    fn maps_are_bounded() {
        let cache = AuthzCache::default();
        let s = snapshot_at(&cache, 1);
        for i in 0..=MAX_ENTRIES {
            s.put_grants(&i.to_string(), Grants::default());
        }
        assert!(cache.entries.lock().unwrap().grants.len() <= MAX_ENTRIES);
    }
}
