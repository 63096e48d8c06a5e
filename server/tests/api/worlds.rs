//! Property test: random tenant worlds (several MSPs, customers, child tenants two levels
//! deep, users with random roles, delegations — some expired, assets in groups, viewers limited
//! to some groups, tags on orgs and technician scopes — all customers but some, or all orgs
//! carrying a tag — some in an MSP the user isn't a member of), every user's answers
//! compared with a small reference model, and no response naming an org, group or asset the
//! user can't see.
use crate::helpers::*;
use proptest::prelude::*;
use rand::{Rng, SeedableRng, rngs::StdRng};
use reqwest::StatusCode;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Viewer,
    Member,
    Admin,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Member => "member",
            Role::Admin => "admin",
        }
    }
}

struct Org {
    id: String,
    parent: Option<usize>,
    kind: &'static str,
    canary: String,
    /// (id, name)
    groups: Vec<(String, String)>,
    assets: Vec<Asset>,
    /// Indexes into `World::tags` (tags of this org's MSP).
    tags: Vec<usize>,
}

struct Asset {
    id: String,
    name: String,
    group: Option<usize>,
    online: bool,
    alerts: i64,
}

struct User {
    id: String,
    token: String,
    memberships: Vec<(usize, Role)>,
    /// Viewer memberships limited to groups: (org, group indexes in that org).
    limits: Vec<(usize, Vec<usize>)>,
    /// (org, expires_at)
    delegations: Vec<(usize, Option<i64>)>,
    /// A technician scope: (MSP, rule).
    scope: Option<(usize, Scope)>,
}

enum Scope {
    /// Every customer of the MSP but these.
    AllExcept(Vec<usize>),
    /// Every org carrying this tag (an index into `World::tags`).
    Tag(usize),
}

struct World {
    orgs: Vec<Org>,
    users: Vec<User>,
    /// (id, MSP)
    tags: Vec<(String, usize)>,
}

fn generate(seed: u64) -> World {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut orgs = Vec::new();
    let add = |orgs: &mut Vec<Org>, parent: Option<usize>, kind: &'static str, rng: &mut StdRng| {
        let groups: Vec<(String, String)> =
            (0..rng.gen_range(0..=2)).map(|_| (uuid::Uuid::new_v4().to_string(), format!("group{:016x}", rng.r#gen::<u64>()))).collect();
        let assets = (0..rng.gen_range(0..=4))
            .map(|_| Asset {
                id: uuid::Uuid::new_v4().to_string(),
                name: format!("asset{:016x}", rng.r#gen::<u64>()),
                group: (!groups.is_empty() && rng.gen_bool(0.7)).then(|| rng.gen_range(0..groups.len())),
                online: rng.gen_bool(0.5),
                alerts: rng.gen_range(0..3),
            })
            .collect();
        orgs.push(Org { id: uuid::Uuid::new_v4().to_string(), parent, kind, canary: format!("canary{:016x}", rng.r#gen::<u64>()), groups, assets, tags: Vec::new() });
        orgs.len() - 1
    };
    for _ in 0..rng.gen_range(1..=3) {
        let msp = add(&mut orgs, None, "msp", &mut rng);
        for _ in 0..rng.gen_range(0..=3) {
            let customer = add(&mut orgs, Some(msp), "customer", &mut rng);
            for _ in 0..rng.gen_range(0..=2) {
                let child = add(&mut orgs, Some(customer), "child", &mut rng);
                if rng.gen_bool(0.4) {
                    add(&mut orgs, Some(child), "child", &mut rng);
                }
            }
        }
    }
    // Tags: up to two per MSP, each on a random part of the MSP's tree.
    let mut tags = Vec::new();
    let msps: Vec<usize> = (0..orgs.len()).filter(|i| orgs[*i].kind == "msp").collect();
    for &msp in &msps {
        for _ in 0..rng.gen_range(0..=2) {
            tags.push((uuid::Uuid::new_v4().to_string(), msp));
            let t = tags.len() - 1;
            for i in 0..orgs.len() {
                if i != msp && root_of(&orgs, i) == msp && rng.gen_bool(0.4) {
                    orgs[i].tags.push(t);
                }
            }
        }
    }
    let roles = [Role::Viewer, Role::Member, Role::Admin];
    let now = server::db::now_ms();
    let mut users = Vec::new();
    for _ in 0..rng.gen_range(2..=6) {
        let home = rng.gen_range(0..orgs.len());
        let mut memberships = vec![(home, roles[rng.gen_range(0..3)])];
        if rng.gen_bool(0.3) {
            let other = rng.gen_range(0..orgs.len());
            if other != home {
                memberships.push((other, roles[rng.gen_range(0..3)]));
            }
        }
        let mut delegations = Vec::new();
        // A technician: a non-admin member of an MSP, delegated to some of its customers.
        if orgs[home].kind == "msp" && memberships[0].1 != Role::Admin {
            for (i, o) in orgs.iter().enumerate() {
                if o.parent == Some(home) && rng.gen_bool(0.5) {
                    let expires = match rng.gen_range(0..3) {
                        0 => None,
                        1 => Some(now + 86_400_000),
                        _ => Some(now - 1_000), // expired
                    };
                    delegations.push((i, expires));
                }
            }
        }
        let mut limits = Vec::new();
        for (org, role) in &memberships {
            let n = orgs[*org].groups.len();
            if *role == Role::Viewer && n > 0 && rng.gen_bool(0.6) {
                let mut chosen: Vec<usize> = (0..n).filter(|_| rng.gen_bool(0.5)).collect();
                if chosen.is_empty() {
                    chosen.push(rng.gen_range(0..n));
                }
                limits.push((*org, chosen));
            }
        }
        // A scope, usually in the user's home MSP, sometimes in one they aren't a member of
        // (where it must give nothing).
        let mut scope = None;
        if rng.gen_bool(0.5) {
            let msp = if orgs[home].kind == "msp" && rng.gen_bool(0.8) { home } else { msps[rng.gen_range(0..msps.len())] };
            let msp_tags: Vec<usize> = (0..tags.len()).filter(|t| tags[*t].1 == msp).collect();
            if msp_tags.is_empty() || rng.gen_bool(0.5) {
                let except = (0..orgs.len()).filter(|i| orgs[*i].parent == Some(msp) && rng.gen_bool(0.4)).collect();
                scope = Some((msp, Scope::AllExcept(except)));
            } else {
                scope = Some((msp, Scope::Tag(msp_tags[rng.gen_range(0..msp_tags.len())])));
            }
        }
        users.push(User { id: uuid::Uuid::new_v4().to_string(), token: format!("tnt_{}", uuid::Uuid::new_v4().simple()), memberships, limits, delegations, scope });
    }
    World { orgs, users, tags }
}

fn root_of(orgs: &[Org], mut i: usize) -> usize {
    while let Some(p) = orgs[i].parent {
        i = p;
    }
    i
}

/// The reference: walk from the root down, carrying the role; only admin crosses MSP → customer.
fn reference_role(w: &World, u: &User, org: usize, now: i64) -> Option<Role> {
    let mut chain = vec![org];
    while let Some(p) = w.orgs[*chain.last().unwrap()].parent {
        chain.push(p);
    }
    chain.reverse();
    let mut carried: Option<Role> = None;
    for (depth, &o) in chain.iter().enumerate() {
        if depth > 0 && w.orgs[chain[depth - 1]].kind == "msp" {
            carried = carried.filter(|r| *r == Role::Admin);
        }
        for (m, role) in &u.memberships {
            if *m == o {
                carried = carried.max(Some(*role));
            }
        }
        if u.delegations.iter().any(|(d, exp)| *d == o && exp.is_none_or(|t| now < t)) {
            carried = Some(Role::Admin);
        }
        // A scope counts below its MSP, while the user is a member of that MSP.
        if let Some((msp, rule)) = &u.scope {
            let in_scope = depth > 0
                && chain[0] == *msp
                && u.memberships.iter().any(|(m, _)| m == msp)
                && match rule {
                    Scope::AllExcept(except) => depth == 1 && !except.contains(&o),
                    Scope::Tag(t) => w.orgs[o].tags.contains(t),
                };
            if in_scope {
                if carried != Some(Role::Admin) {
                    SCOPED_CHECKS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                carried = Some(Role::Admin);
            }
        }
    }
    carried
}

/// How many (user, org) answers only a scope made admin, so the run can show that scopes
/// were actually exercised.
static SCOPED_CHECKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The assets (by index) a user sees in an org where their role is `role`: all, unless they
/// are a viewer only through group-limited viewer memberships on the path (below any MSP);
/// then just the limited groups of this org.
fn reference_assets(w: &World, u: &User, org: usize, role: Role) -> (BTreeSet<String>, BTreeSet<String>) {
    let o = &w.orgs[org];
    let all = || (o.assets.iter().map(|a| a.id.clone()).collect(), o.groups.iter().map(|g| g.0.clone()).collect());
    if role > Role::Viewer {
        return all();
    }
    let mut path = vec![org];
    while let Some(p) = w.orgs[*path.last().unwrap()].parent {
        if w.orgs[p].kind != "msp" {
            path.push(p);
        } else {
            break;
        }
    }
    let viewing: Vec<usize> = u.memberships.iter().filter(|(m, r)| *r == Role::Viewer && path.contains(m)).map(|(m, _)| *m).collect();
    let limited = |m: usize| u.limits.iter().any(|(l, _)| *l == m);
    if viewing.is_empty() || viewing.iter().any(|m| !limited(*m)) {
        return all();
    }
    let groups: Vec<usize> = u.limits.iter().filter(|(l, _)| *l == org).flat_map(|(_, g)| g.clone()).collect();
    LIMITED_CHECKS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    (
        o.assets.iter().filter(|a| a.group.is_some_and(|g| groups.contains(&g))).map(|a| a.id.clone()).collect(),
        groups.iter().map(|g| o.groups[*g].0.clone()).collect(),
    )
}

/// How many (user, org) answers went through the group-limited branch, so the run can show
/// that limited viewers were actually exercised.
static LIMITED_CHECKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

async fn insert(app: &TestApp, w: &World, n: u64) {
    let pool = &app.db.pool;
    let now = server::db::now_ms();
    for (i, o) in w.orgs.iter().enumerate() {
        let domain = (o.kind != "child").then(|| format!("w{n}o{i}-{}.example", &o.id[..8]));
        sqlx::query("INSERT INTO orgs (id, name, slug, kind, parent_id, email_domain, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $7)")
            .bind(&o.id)
            .bind(format!("Org {}", o.canary))
            .bind(format!("w{n}-o{i}-{}", &o.id[..8]))
            .bind(o.kind)
            .bind(o.parent.map(|p| w.orgs[p].id.clone()))
            .bind(domain)
            .bind(now)
            .execute(pool)
            .await
            .unwrap();
        for (gid, name) in &o.groups {
            sqlx::query("INSERT INTO asset_groups (id, org_id, name, created_at) VALUES ($1, $2, $3, $4)")
                .bind(gid)
                .bind(&o.id)
                .bind(name)
                .bind(now)
                .execute(pool)
                .await
                .unwrap();
        }
        for a in &o.assets {
            sqlx::query("INSERT INTO assets (id, org_id, kind, name, group_id, online, open_alerts, created_at, updated_at) VALUES ($1, $2, 'computer', $3, $4, $5, $6, $7, $7)")
                .bind(&a.id)
                .bind(&o.id)
                .bind(&a.name)
                .bind(a.group.map(|g| o.groups[g].0.clone()))
                .bind(i64::from(a.online))
                .bind(a.alerts)
                .bind(now)
                .execute(pool)
                .await
                .unwrap();
        }
    }
    for (i, (id, msp)) in w.tags.iter().enumerate() {
        sqlx::query("INSERT INTO tags (id, msp_id, name, name_key, color, created_at) VALUES ($1, $2, $3, $3, '#123456', $4)")
            .bind(id)
            .bind(&w.orgs[*msp].id)
            .bind(format!("tag{i}"))
            .bind(now)
            .execute(pool)
            .await
            .unwrap();
    }
    for o in &w.orgs {
        for t in &o.tags {
            sqlx::query("INSERT INTO org_tags (org_id, tag_id, created_at) VALUES ($1, $2, $3)")
                .bind(&o.id)
                .bind(&w.tags[*t].0)
                .bind(now)
                .execute(pool)
                .await
                .unwrap();
        }
    }
    for (i, u) in w.users.iter().enumerate() {
        let home = &w.orgs[u.memberships[0].0];
        sqlx::query("INSERT INTO users (id, email, name, home_org_id, is_superuser, status, created_at) VALUES ($1, $2, $3, $4, 0, 'active', $5)")
            .bind(&u.id)
            .bind(format!("u{i}-{}@w{n}.example", &u.id[..8]))
            .bind(format!("User {i}"))
            .bind(&home.id)
            .bind(now)
            .execute(pool)
            .await
            .unwrap();
        for (org, role) in &u.memberships {
            let limit = u.limits.iter().find(|(l, _)| l == org);
            sqlx::query("INSERT INTO memberships (user_id, org_id, role, created_at, group_limited) VALUES ($1, $2, $3, $4, $5)")
                .bind(&u.id)
                .bind(&w.orgs[*org].id)
                .bind(role.as_str())
                .bind(now)
                .bind(i64::from(limit.is_some()))
                .execute(pool)
                .await
                .unwrap();
            for g in limit.iter().flat_map(|(_, g)| g) {
                sqlx::query("INSERT INTO membership_groups (user_id, org_id, group_id) VALUES ($1, $2, $3)")
                    .bind(&u.id)
                    .bind(&w.orgs[*org].id)
                    .bind(&w.orgs[*org].groups[*g].0)
                    .execute(pool)
                    .await
                    .unwrap();
            }
        }
        for (org, expires) in &u.delegations {
            sqlx::query("INSERT INTO delegations (user_id, org_id, granted_by, created_at, expires_at) VALUES ($1, $2, $1, $3, $4)")
                .bind(&u.id)
                .bind(&w.orgs[*org].id)
                .bind(now)
                .bind(*expires)
                .execute(pool)
                .await
                .unwrap();
        }
        if let Some((msp, rule)) = &u.scope {
            let tag = match rule {
                Scope::Tag(t) => Some(w.tags[*t].0.clone()),
                Scope::AllExcept(_) => None,
            };
            sqlx::query("INSERT INTO technician_scopes (msp_id, user_id, kind, tag_id, granted_by, created_at) VALUES ($1, $2, $3, $4, $2, $5)")
                .bind(&w.orgs[*msp].id)
                .bind(&u.id)
                .bind(if tag.is_some() { "tag" } else { "all_except" })
                .bind(tag)
                .bind(now)
                .execute(pool)
                .await
                .unwrap();
            if let Scope::AllExcept(except) = rule {
                for org in except {
                    sqlx::query("INSERT INTO technician_scope_exclusions (msp_id, user_id, org_id) VALUES ($1, $2, $3)")
                        .bind(&w.orgs[*msp].id)
                        .bind(&u.id)
                        .bind(&w.orgs[*org].id)
                        .execute(pool)
                        .await
                        .unwrap();
                }
            }
        }
        sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at, expires_at) VALUES ($1, $2, 'prop', $3, 'tnt_', $4, $5)")
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&u.id)
            .bind(server::auth::hash_secret(&u.token))
            .bind(now)
            .bind(now + 3_600_000)
            .execute(pool)
            .await
            .unwrap();
    }
}

async fn check(app: &TestApp, w: &World) -> Result<(), String> {
    let now = server::db::now_ms();
    for u in &w.users {
        let auth = Auth::Bearer(&u.token);
        let expected: BTreeMap<String, Role> =
            (0..w.orgs.len()).filter_map(|o| reference_role(w, u, o, now).map(|r| (w.orgs[o].id.clone(), r))).collect();
        let hidden: Vec<&str> = w.orgs.iter().filter(|o| !expected.contains_key(&o.id)).map(|o| o.canary.as_str()).collect();
        let leaks = |text: &str, what: &str| -> Result<(), String> {
            match hidden.iter().find(|c| text.contains(**c)) {
                Some(c) => Err(format!("{what} leaked {c}")),
                None => Ok(()),
            }
        };
        let list = app.get("/api/v1/orgs?limit=500", auth.clone(), None).await;
        leaks(&list.text, "GET /api/v1/orgs")?;
        let got: BTreeMap<String, Role> = list.body["items"]
            .as_array()
            .ok_or_else(|| list.text.clone())?
            .iter()
            .map(|e| {
                let role = match e["role"].as_str().unwrap() {
                    "admin" => Role::Admin,
                    "member" => Role::Member,
                    _ => Role::Viewer,
                };
                (e["id"].as_str().unwrap().to_string(), role)
            })
            .collect();
        if got != expected {
            return Err(format!("switcher list differs for user {}: got {got:?}, expected {expected:?}", u.id));
        }
        // The switcher's SQL candidate filter yields exactly the orgs the access function
        // grants (so confirming each candidate never drops one, and none is missing).
        let user: server::db::rows::UserRow = sqlx::query_as(&format!("SELECT {} FROM users u WHERE u.id = $1", server::db::rows::USER_COLUMNS))
            .bind(&u.id)
            .fetch_one(&app.db.pool)
            .await
            .map_err(|e| e.to_string())?;
        let grants = server::access::Grants::load(&app.db, &user).await.map_err(|e| e.to_string())?;
        let candidates: BTreeSet<String> =
            server::orgs::switcher_candidates(&app.db, &grants).await.map_err(|_| "candidate query failed".to_string())?.into_iter().collect();
        let mut granted = BTreeSet::new();
        let mut conn = app.db.pool.acquire().await.map_err(|e| e.to_string())?;
        for o in &w.orgs {
            let path = server::access::load_path(&mut conn, &o.id).await.map_err(|e| e.to_string())?.ok_or("org missing")?;
            if grants.role_in(&path).is_some() {
                granted.insert(o.id.clone());
            }
        }
        drop(conn);
        if candidates != granted {
            return Err(format!("switcher candidates for user {} differ from the access function: {candidates:?} vs {granted:?}", u.id));
        }
        for o in &w.orgs {
            let r = app.get("/api/v1/org", auth.clone(), Some(&o.id)).await;
            let visible = expected.contains_key(&o.id);
            let want = if visible { StatusCode::OK } else { StatusCode::NOT_FOUND };
            if r.status != want {
                return Err(format!("GET /api/v1/org for {} gave {} (expected {want})", o.id, r.status));
            }
            leaks(&r.text, "GET /api/v1/org")?;
            if visible {
                let people = app.get("/api/v1/users", auth.clone(), Some(&o.id)).await;
                leaks(&people.text, "GET /api/v1/users")?;
                let ids: BTreeSet<String> = people.body["items"].as_array().unwrap().iter().map(|m| m["user"]["id"].as_str().unwrap().to_string()).collect();
                let members: BTreeSet<String> = w.users.iter().filter(|x| x.memberships.iter().any(|(m, _)| w.orgs[*m].id == o.id)).map(|x| x.id.clone()).collect();
                if ids != members {
                    return Err(format!("members of {} differ: {ids:?} vs {members:?}", o.id));
                }
                let org = w.orgs.iter().position(|x| x.id == o.id).unwrap();
                let (want_assets, want_groups) = reference_assets(w, u, org, expected[&o.id]);
                // Names of this org's groups and assets the user may not see must not appear either.
                let unseen: Vec<&str> = o
                    .assets
                    .iter()
                    .filter(|a| !want_assets.contains(&a.id))
                    .map(|a| a.name.as_str())
                    .chain(o.groups.iter().filter(|g| !want_groups.contains(&g.0)).map(|g| g.1.as_str()))
                    .collect();
                let ids_of = |r: &Resp| -> BTreeSet<String> {
                    r.body["items"].as_array().map(|a| a.iter().map(|x| x["id"].as_str().unwrap_or_default().to_string()).collect()).unwrap_or_default()
                };
                let assets = app.get("/api/v1/assets?limit=500", auth.clone(), Some(&o.id)).await;
                let groups = app.get("/api/v1/groups?limit=500", auth.clone(), Some(&o.id)).await;
                let summary = app.get("/api/v1/assets/summary", auth.clone(), Some(&o.id)).await;
                for (r, what) in [(&assets, "GET /api/v1/assets"), (&groups, "GET /api/v1/groups"), (&summary, "GET /api/v1/assets/summary")] {
                    leaks(&r.text, what)?;
                    if let Some(name) = unseen.iter().find(|n| r.text.contains(**n)) {
                        return Err(format!("{what} in {} showed {name} to user {}", o.id, u.id));
                    }
                }
                if ids_of(&assets) != want_assets {
                    return Err(format!("assets of {} for user {} differ: {} vs {want_assets:?}", o.id, u.id, assets.text));
                }
                if ids_of(&groups) != want_groups {
                    return Err(format!("groups of {} for user {} differ: {} vs {want_groups:?}", o.id, u.id, groups.text));
                }
                let seen: Vec<&Asset> = o.assets.iter().filter(|a| want_assets.contains(&a.id)).collect();
                let want_summary = (seen.len() as i64, seen.iter().filter(|a| a.online).count() as i64, seen.iter().map(|a| a.alerts).sum::<i64>());
                let got_summary = (summary.body["total"].as_i64().unwrap_or(-1), summary.body["online"].as_i64().unwrap_or(-1), summary.body["open_alerts"].as_i64().unwrap_or(-1));
                if got_summary != want_summary {
                    return Err(format!("summary of {} for user {}: {got_summary:?} vs {want_summary:?}", o.id, u.id));
                }
            }
        }
    }
    Ok(())
}

#[test]
fn random_worlds_match_the_reference_model() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let app = runtime.block_on(spawn_app());
    let counter = std::sync::atomic::AtomicU64::new(0);
    let cases: u32 = std::env::var("TENANTRY_WORLDS").ok().and_then(|v| v.parse().ok()).unwrap_or(256);
    let config = ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(seed in any::<u64>())| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let world = generate(seed);
        runtime.block_on(insert(&app, &world, n));
        let outcome = runtime.block_on(check(&app, &world));
        prop_assert!(outcome.is_ok(), "seed {seed}: {}", outcome.unwrap_err());
    });
    assert!(counter.load(std::sync::atomic::Ordering::SeqCst) >= u64::from(cases));
    if cases >= 100 {
        assert!(LIMITED_CHECKS.load(std::sync::atomic::Ordering::SeqCst) > 0, "no world had a group-limited viewer");
        assert!(SCOPED_CHECKS.load(std::sync::atomic::Ordering::SeqCst) > 0, "no world had a scope that granted anything");
    }
}
