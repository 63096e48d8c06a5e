//! Property test: random tenant worlds (several MSPs, customers, child tenants two levels
//! deep, users with random roles, delegations — some expired), every user's answers compared
//! with a small reference model, and no response naming an org the user can't see.
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
}

struct User {
    id: String,
    token: String,
    memberships: Vec<(usize, Role)>,
    /// (org, expires_at)
    delegations: Vec<(usize, Option<i64>)>,
}

struct World {
    orgs: Vec<Org>,
    users: Vec<User>,
}

fn generate(seed: u64) -> World {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut orgs = Vec::new();
    let add = |orgs: &mut Vec<Org>, parent: Option<usize>, kind: &'static str, rng: &mut StdRng| {
        orgs.push(Org { id: uuid::Uuid::new_v4().to_string(), parent, kind, canary: format!("canary{:016x}", rng.r#gen::<u64>()) });
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
        users.push(User { id: uuid::Uuid::new_v4().to_string(), token: format!("tnt_{}", uuid::Uuid::new_v4().simple()), memberships, delegations });
    }
    World { orgs, users }
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
    }
    carried
}

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
            sqlx::query("INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, $2, $3, $4)")
                .bind(&u.id)
                .bind(&w.orgs[*org].id)
                .bind(role.as_str())
                .bind(now)
                .execute(pool)
                .await
                .unwrap();
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
}
