//! `tenantry seed-scale`: a large, deterministic installation for benchmarks — M MSPs, N
//! customers, U users, A assets — written with multi-row INSERTs in one transaction (all or
//! nothing), never one API call per row.
//!
//! Names are a function of the parameters (`Acme 00042`, `u17@c42.m1.scale.example`,
//! `host-00042-0007`), so two runs with the same parameters describe the same world.
//! Ids are a random per-run prefix plus a counter: unique, and ascending within the run, so
//! primary-key b-trees fill at their right edge instead of splitting pages at random.
use crate::audit::{self, Actor, Event};
use crate::auth::password;
use crate::db::{Db, Dialect, Tx, now_ms};
use anyhow::{Context, bail};
use std::fmt::Write as _;
use std::time::Instant;

/// What to generate.
#[derive(Debug, Clone)]
pub struct ScaleParams {
    pub msps: usize,
    pub customers: usize,
    pub users: usize,
    pub assets: usize,
    /// Customers each MSP's technician is delegated to.
    pub technician_delegations: usize,
    pub password: String,
}

/// The password of every generated account unless `--password` says otherwise.
pub const SCALE_PASSWORD: &str = "scale-password";

/// Words the customer names cycle through, so `?q=acme` finds a tenth of them.
const WORDS: [&str; 10] = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne"];

/// The first MSP's admin: an admin of every one of its customers.
pub fn admin_email(msp: usize) -> String {
    format!("admin@m{msp}.scale.example")
}

/// The first MSP's technician: a member with `technician_delegations` delegations.
pub fn technician_email(msp: usize) -> String {
    format!("tech@m{msp}.scale.example")
}

/// One bound value of a generated row.
enum V {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
}

/// Rows of one table, flushed as multi-row INSERTs that stay under the engine's bind limit.
struct Batch<'a> {
    table: &'static str,
    columns: &'static [&'static str],
    rows_per_statement: usize,
    dialect: Dialect,
    values: Vec<V>,
    written: usize,
    tx: &'a mut Tx,
}

impl<'a> Batch<'a> {
    fn new(tx: &'a mut Tx, dialect: Dialect, table: &'static str, columns: &'static [&'static str]) -> Self {
        // SQLite allows 32766 bound parameters per statement, PostgreSQL 65535.
        let limit = match dialect {
            Dialect::Sqlite => 32_766,
            Dialect::Postgres => 65_535,
        };
        let rows_per_statement = (limit / columns.len()).min(2_000);
        Batch { table, columns, rows_per_statement, dialect, values: Vec::new(), written: 0, tx }
    }

    async fn push(&mut self, row: Vec<V>) -> anyhow::Result<()> {
        debug_assert_eq!(row.len(), self.columns.len());
        self.values.extend(row);
        if self.values.len() >= self.rows_per_statement * self.columns.len() {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> anyhow::Result<()> {
        let width = self.columns.len();
        let rows = self.values.len() / width;
        if rows == 0 {
            return Ok(());
        }
        let mut sql = format!("INSERT INTO {} ({}) VALUES ", self.table, self.columns.join(", "));
        for r in 0..rows {
            sql.push_str(if r == 0 { "(" } else { ", (" });
            for c in 0..width {
                sql.push_str(if c == 0 { "" } else { ", " });
                // SQLite treats `$N` as a *named* parameter and looks each one up in a list,
                // which is quadratic in a statement with thousands; plain `?` is positional.
                match self.dialect {
                    Dialect::Sqlite => sql.push('?'),
                    Dialect::Postgres => {
                        let _ = write!(sql, "${}", r * width + c + 1);
                    }
                }
            }
            sql.push(')');
        }
        let mut query = sqlx::query(&sql);
        for v in self.values.drain(..) {
            query = match v {
                V::Text(s) => query.bind(s),
                V::OptText(s) => query.bind(s),
                V::Int(i) => query.bind(i),
                V::OptInt(i) => query.bind(i),
            };
        }
        query.execute(&mut **self.tx).await.with_context(|| format!("inserting into {}", self.table))?;
        self.written += rows;
        Ok(())
    }

    async fn finish(mut self) -> anyhow::Result<usize> {
        self.flush().await?;
        Ok(self.written)
    }
}

/// Ascending ids for one run: a random 64-bit prefix, then a kind tag and a counter.
struct Ids {
    prefix: u64,
}

impl Ids {
    fn id(&self, kind: u8, n: usize) -> String {
        uuid::Uuid::from_u64_pair(self.prefix, (u64::from(kind) << 56) | n as u64).to_string()
    }
}

const ORG_COLS: &[&str] = &["id", "name", "slug", "kind", "parent_id", "email_domain", "status", "created_at", "updated_at"];
const USER_COLS: &[&str] = &["id", "email", "name", "password_hash", "home_org_id", "is_superuser", "status", "created_at"];
const MEMBER_COLS: &[&str] = &["user_id", "org_id", "role", "created_at"];
const DELEGATION_COLS: &[&str] = &["user_id", "org_id", "granted_by", "created_at", "expires_at"];
const ASSET_COLS: &[&str] = &[
    "id", "org_id", "kind", "name", "group_id", "os", "address", "online", "last_seen_at", "open_alerts", "external_id", "created_at", "updated_at",
];

/// Generates the world described by `p` in one transaction and records one audit event.
/// Returns a report: the logins it created and how long each table took.
pub async fn seed(db: &Db, p: &ScaleParams) -> anyhow::Result<String> {
    if p.msps == 0 {
        bail!("--msps must be at least 1");
    }
    if p.customers < p.msps {
        bail!("--customers must be at least --msps (every MSP gets customers)");
    }
    if p.users < 2 * p.msps {
        bail!("--users must be at least 2 per MSP (its admin and its technician)");
    }
    password::check_policy(&p.password).map_err(|e| anyhow::anyhow!("--password {e}"))?;
    let exists: Option<String> = sqlx::query_scalar("SELECT id FROM orgs WHERE slug = 'scale-m1'").fetch_optional(&db.pool).await?;
    if exists.is_some() {
        bail!("this database already has a scale world (org scale-m1); seed a fresh database");
    }
    let started = Instant::now();
    // One argon2id hash for every account: hashing 100,000 passwords would take hours.
    let hash = password::hash(p.password.clone()).await?;
    let ids = Ids { prefix: rand::random::<u64>() | 1 << 63 };
    let now = now_ms();
    let mut timings = Vec::new();
    let mut tx = audit::begin(db).await?;
    if db.dialect == Dialect::Sqlite {
        // A bigger page cache for this one connection keeps the index b-trees in memory.
        sqlx::query("PRAGMA cache_size = -262144").execute(&mut *tx).await?;
    }

    // Orgs: the MSPs, then customers spread evenly over them.
    let t = Instant::now();
    let msp_id = |m: usize| ids.id(1, m);
    let customer_id = |c: usize| ids.id(2, c);
    let msp_of = |c: usize| c % p.msps;
    let mut orgs = Batch::new(&mut tx, db.dialect, "orgs", ORG_COLS);
    for m in 0..p.msps {
        orgs.push(vec![
            V::Text(msp_id(m)),
            V::Text(format!("Scale MSP {}", m + 1)),
            V::Text(format!("scale-m{}", m + 1)),
            V::Text("msp".into()),
            V::OptText(None),
            V::OptText(Some(format!("m{}.scale.example", m + 1))),
            V::Text("active".into()),
            V::Int(now),
            V::Int(now),
        ])
        .await?;
    }
    for c in 0..p.customers {
        let word = WORDS[c % WORDS.len()];
        orgs.push(vec![
            V::Text(customer_id(c)),
            V::Text(format!("{word} {c:05}")),
            V::Text(format!("{}-{c:05}-m{}", word.to_ascii_lowercase(), msp_of(c) + 1)),
            V::Text("customer".into()),
            V::OptText(Some(msp_id(msp_of(c)))),
            V::OptText(Some(format!("c{c}.m{}.scale.example", msp_of(c) + 1))),
            V::Text("active".into()),
            V::Int(now),
            V::Int(now),
        ])
        .await?;
    }
    let org_count = orgs.finish().await?;
    timings.push(("orgs", org_count, t.elapsed()));

    // Users: per MSP an admin and a technician; the rest are customer users, round robin.
    let t = Instant::now();
    let user_id = |n: usize| ids.id(3, n);
    let roles = ["admin", "member", "viewer"];
    let mut users = Batch::new(&mut tx, db.dialect, "users", USER_COLS);
    let mut people: Vec<(String, String, &'static str)> = Vec::with_capacity(p.users); // (user, org, role)
    for m in 0..p.msps {
        for (k, (email, name, role)) in [(admin_email(m + 1), format!("Admin of MSP {}", m + 1), "admin"), (technician_email(m + 1), format!("Technician of MSP {}", m + 1), "member")]
            .into_iter()
            .enumerate()
        {
            let id = user_id(2 * m + k);
            users.push(vec![V::Text(id.clone()), V::Text(email), V::Text(name), V::Text(hash.clone()), V::Text(msp_id(m)), V::Int(0), V::Text("active".into()), V::Int(now)]).await?;
            people.push((id, msp_id(m), role));
        }
    }
    for k in 0..p.users - 2 * p.msps {
        let c = k % p.customers;
        let id = user_id(2 * p.msps + k);
        let email = format!("u{k}@c{c}.m{}.scale.example", msp_of(c) + 1);
        let role = roles[(k / p.customers) % roles.len()];
        users.push(vec![V::Text(id.clone()), V::Text(email), V::Text(format!("User {k}")), V::Text(hash.clone()), V::Text(customer_id(c)), V::Int(0), V::Text("active".into()), V::Int(now)]).await?;
        people.push((id, customer_id(c), role));
    }
    let user_count = users.finish().await?;
    let mut members = Batch::new(&mut tx, db.dialect, "memberships", MEMBER_COLS);
    for (user, org, role) in people {
        members.push(vec![V::Text(user), V::Text(org), V::Text(role.into()), V::Int(now)]).await?;
    }
    members.finish().await?;
    timings.push(("users + memberships", user_count, t.elapsed()));

    // Each technician: delegations to customers spread across its MSP's alphabet.
    let t = Instant::now();
    let mut delegations = Batch::new(&mut tx, db.dialect, "delegations", DELEGATION_COLS);
    for m in 0..p.msps {
        let own: Vec<usize> = (m..p.customers).step_by(p.msps).collect();
        let n = p.technician_delegations.min(own.len());
        for i in 0..n {
            let c = own[i * own.len() / n];
            delegations.push(vec![V::Text(user_id(2 * m + 1)), V::Text(customer_id(c)), V::Text(user_id(2 * m)), V::Int(now), V::OptInt(None)]).await?;
        }
    }
    let delegation_count = delegations.finish().await?;
    timings.push(("delegations", delegation_count, t.elapsed()));

    // Assets: spread evenly over the customers.
    let t = Instant::now();
    let kinds = ["computer", "computer", "computer", "monitored_system", "gateway"];
    let mut assets = Batch::new(&mut tx, db.dialect, "assets", ASSET_COLS);
    for n in 0..p.assets {
        let c = n % p.customers;
        let k = n / p.customers;
        let kind = kinds[k % kinds.len()];
        let online = i64::from(n % 4 != 0);
        assets
            .push(vec![
                V::Text(ids.id(4, n)),
                V::Text(customer_id(c)),
                V::Text(kind.into()),
                V::Text(format!("host-{c:05}-{k:04}")),
                V::OptText(None),
                V::OptText(Some(if kind == "computer" { "Windows 11" } else { "Linux" }.into())),
                V::OptText(Some(format!("10.{}.{}.{}", c / 256 % 256, c % 256, k % 250 + 1))),
                V::Int(online),
                V::OptInt(Some(now - (n % 86_400) as i64 * 1_000)),
                V::Int(i64::from(online == 0 && k % 3 == 0)),
                V::OptText(Some(format!("rmm-{c}-{k}"))),
                V::Int(now),
                V::Int(now),
            ])
            .await?;
    }
    let asset_count = assets.finish().await?;
    timings.push(("assets", asset_count, t.elapsed()));

    let t = Instant::now();
    crate::db::counters::rebuild(&mut tx).await?;
    let summary = format!(
        "generated {} MSPs, {} customers, {user_count} users, {delegation_count} delegations, {asset_count} assets",
        p.msps, p.customers
    );
    audit::record(&mut tx, &Actor::cli("seed-scale"), Event { org_id: Some(&msp_id(0)), action: "seed.scale", object_type: "org", object_id: Some(&msp_id(0)), summary: summary.clone() }).await?;
    tx.commit().await?;
    timings.push(("counters + audit + commit", 0, t.elapsed()));

    let mut out = format!("{summary} in {:.1} s\n", started.elapsed().as_secs_f64());
    for (what, rows, took) in timings {
        let _ = writeln!(out, "  {what:<26} {rows:>9} rows  {:>7.1} s", took.as_secs_f64());
    }
    let _ = write!(
        out,
        "password for every account: {}\n\
         MSP admin (admin of all {} customers of MSP 1): {}\n\
         technician ({} delegations):                {}\n\
         customer user:                                u0@c0.m1.scale.example",
        p.password,
        p.customers.div_ceil(p.msps),
        admin_email(1),
        p.technician_delegations.min(p.customers.div_ceil(p.msps)),
        technician_email(1),
    );
    Ok(out)
}
