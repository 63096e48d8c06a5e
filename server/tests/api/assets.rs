//! Assets, groups, group-limited viewers, moving assets, merging tenants, importing.
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn asset(app: &TestApp, s: &Session, org: &str, name: &str, external_id: Option<&str>, group: Option<&str>) -> String {
    let r = app
        .post("/api/v1/assets", Auth::Session(s), Some(org), json!({"kind": "computer", "name": name, "external_id": external_id, "group_id": group, "online": true, "open_alerts": 2}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "create asset {name}: {}", r.text);
    r.id()
}

async fn group(app: &TestApp, s: &Session, org: &str, name: &str) -> String {
    let r = app.post("/api/v1/groups", Auth::Session(s), Some(org), json!({"name": name})).await;
    assert_eq!(r.status, StatusCode::CREATED, "create group {name}: {}", r.text);
    r.id()
}

fn names(r: &Resp) -> Vec<String> {
    let mut v: Vec<String> = r.body["items"].as_array().unwrap_or_else(|| panic!("no items: {}", r.text)).iter().map(|a| a["name"].as_str().unwrap().to_string()).collect();
    v.sort();
    v
}

async fn import(app: &TestApp, s: &Session, org: &str, content_type: &str, body: String) -> Resp {
    let resp = app
        .http
        .post(app.url("/api/v1/import"))
        .header("cookie", &s.cookie)
        .header("x-csrf-token", &s.csrf)
        .header("x-org-id", org)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp { status, body, text, headers }
}

/// Everything a merge or import could touch, in a comparable form.
async fn snapshot(app: &TestApp) -> Vec<String> {
    let pool = &app.db.pool;
    let mut out = Vec::new();
    let assets: Vec<(String, String, Option<String>, String, Option<String>, i64)> =
        sqlx::query_as("SELECT id, org_id, group_id, name, external_id, updated_at FROM assets ORDER BY id").fetch_all(pool).await.unwrap();
    out.extend(assets.iter().map(|a| format!("{a:?}")));
    let groups: Vec<(String, String, String)> = sqlx::query_as("SELECT id, org_id, name FROM asset_groups ORDER BY id").fetch_all(pool).await.unwrap();
    out.extend(groups.iter().map(|g| format!("{g:?}")));
    let members: Vec<(String, String, String, i64)> =
        sqlx::query_as("SELECT user_id, org_id, role, group_limited FROM memberships ORDER BY user_id, org_id").fetch_all(pool).await.unwrap();
    out.extend(members.iter().map(|m| format!("{m:?}")));
    let limits: Vec<(String, String, String)> =
        sqlx::query_as("SELECT user_id, org_id, group_id FROM membership_groups ORDER BY user_id, org_id, group_id").fetch_all(pool).await.unwrap();
    out.extend(limits.iter().map(|m| format!("{m:?}")));
    let users: Vec<(String, String)> = sqlx::query_as("SELECT id, home_org_id FROM users ORDER BY id").fetch_all(pool).await.unwrap();
    out.extend(users.iter().map(|u| format!("{u:?}")));
    let orgs: Vec<(String, Option<String>, i64)> = sqlx::query_as("SELECT id, parent_id, updated_at FROM orgs ORDER BY id").fetch_all(pool).await.unwrap();
    out.extend(orgs.iter().map(|o| format!("{o:?}")));
    out.push(format!("audit {}", app.audit_count().await));
    out
}

async fn audit_actions(app: &TestApp, org: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT action FROM audit_events WHERE org_id = $1 AND action NOT LIKE 'auth.%' ORDER BY seq").bind(org).fetch_all(&app.db.pool).await.unwrap()
}

#[tokio::test]
async fn assets_are_scoped_to_their_org_and_roles() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = Auth::Session(&w.root);
    let id = asset(&app, &w.root, &w.acme, "Reception PC", Some("rmm-1"), None).await;
    let path = format!("/api/v1/assets/{id}");
    assert_eq!(app.get(&path, root.clone(), Some(&w.acme)).await.status, StatusCode::OK);
    // Another org's asset answers exactly like a missing one, for every verb.
    for (method, body) in [(Method::GET, None), (Method::PATCH, Some(json!({"name": "x"}))), (Method::DELETE, None)] {
        let r = app.request(method.clone(), &path, root.clone(), Some(&w.globex), body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} from globex: {}", r.text);
    }
    assert!(names(&app.get("/api/v1/assets", root.clone(), Some(&w.globex)).await).is_empty());
    // external_id is unique per org, not globally.
    let dup = app.post("/api/v1/assets", root.clone(), Some(&w.acme), json!({"kind": "gateway", "name": "GW", "external_id": "rmm-1"})).await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.text);
    assert!(dup.body["error"]["fields"]["external_id"].is_string());
    asset(&app, &w.root, &w.globex, "Globex PC", Some("rmm-1"), None).await;
    let bad = app.post("/api/v1/assets", root.clone(), Some(&w.acme), json!({"kind": "toaster", "name": " "})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body["error"]["fields"]["kind"].is_string() && bad.body["error"]["fields"]["name"].is_string(), "{}", bad.text);
    // viewer reads, member writes, admin deletes.
    app.add_user(&w.root, &w.acme, "vera@acme.example", "viewer").await;
    app.add_user(&w.root, &w.acme, "mo@acme.example", "member").await;
    let vera = app.login("vera@acme.example", PASSWORD).await;
    let mo = app.login("mo@acme.example", PASSWORD).await;
    assert_eq!(names(&app.get("/api/v1/assets", Auth::Session(&vera), Some(&w.acme)).await), vec!["Reception PC"]);
    let denied = app.post("/api/v1/assets", Auth::Session(&vera), Some(&w.acme), json!({"kind": "computer", "name": "V"})).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let renamed = app.request(Method::PATCH, &path, Auth::Session(&mo), Some(&w.acme), Some(json!({"name": "Front desk", "online": false}))).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
    assert_eq!(renamed.body["online"], false);
    assert_eq!(app.request(Method::DELETE, &path, Auth::Session(&mo), Some(&w.acme), None).await.status, StatusCode::FORBIDDEN);
    // vera's home is acme: globex is invisible to her altogether.
    assert_eq!(app.get("/api/v1/assets", Auth::Session(&vera), Some(&w.globex)).await.status, StatusCode::NOT_FOUND);
    let before = app.audit_count().await;
    assert_eq!(app.request(Method::DELETE, &path, root.clone(), Some(&w.acme), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.audit_count().await, before + 1);
    assert_eq!(app.get(&path, root.clone(), Some(&w.acme)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn lists_filter_and_page() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = Auth::Session(&w.root);
    let g = group(&app, &w.root, &w.acme, "Desk").await;
    for i in 0..5 {
        asset(&app, &w.root, &w.acme, &format!("pc-{i}"), Some(&format!("e{i}")), (i % 2 == 0).then_some(g.as_str())).await;
    }
    app.post("/api/v1/assets", root.clone(), Some(&w.acme), json!({"kind": "gateway", "name": "edge", "os": "RouterOS"})).await;
    let by = |q: &str| {
        let q = q.to_string();
        let root = root.clone();
        let app = &app;
        let acme = w.acme.clone();
        async move { names(&app.get(&format!("/api/v1/assets?{q}"), root, Some(&acme)).await) }
    };
    assert_eq!(by("kind=gateway").await, vec!["edge"]);
    assert_eq!(by("q=routeros").await, vec!["edge"]);
    assert_eq!(by(&format!("group_id={g}")).await, vec!["pc-0", "pc-2", "pc-4"]);
    assert_eq!(by("online=false").await, vec!["edge"]);
    let page1 = app.get("/api/v1/assets?limit=4", root.clone(), Some(&w.acme)).await;
    assert_eq!(names(&page1).len(), 4);
    let cursor = page1.body["next_cursor"].as_str().unwrap().to_string();
    let page2 = app.get(&format!("/api/v1/assets?limit=4&cursor={cursor}"), root.clone(), Some(&w.acme)).await;
    assert_eq!(names(&page2).len(), 2);
    assert!(page2.body["next_cursor"].is_null());
    let bad = app.get("/api/v1/assets?kind=toaster&online=maybe", root.clone(), Some(&w.acme)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let groups = app.get("/api/v1/groups", root.clone(), Some(&w.acme)).await;
    assert_eq!(groups.body["items"][0]["asset_count"], 3);
}

#[tokio::test]
async fn group_limited_viewer_sees_only_their_groups_everywhere() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = Auth::Session(&w.root);
    let front = group(&app, &w.root, &w.acme, "Front desk").await;
    let secret = group(&app, &w.root, &w.acme, "Secret lab").await;
    asset(&app, &w.root, &w.acme, "front-1", None, Some(&front)).await;
    let hidden = asset(&app, &w.root, &w.acme, "lab-1", Some("lab-ext"), Some(&secret)).await;
    asset(&app, &w.root, &w.acme, "loose-1", None, None).await;
    asset(&app, &w.root, &w.acme_child, "berlin-1", None, None).await;
    let lim = app.add_user(&w.root, &w.acme, "lim@acme.example", "viewer").await;
    let mem = app.add_user(&w.root, &w.acme, "mem@acme.example", "member").await;
    // Only viewers can be limited, and only to this org's groups.
    let r = app.request(Method::PATCH, &format!("/api/v1/users/{mem}"), root.clone(), Some(&w.acme), Some(json!({"group_ids": [front]}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let globex_group = group(&app, &w.root, &w.globex, "Globex desk").await;
    let r = app.request(Method::PATCH, &format!("/api/v1/users/{lim}"), root.clone(), Some(&w.acme), Some(json!({"group_ids": [globex_group]}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let before = app.audit_count().await;
    let r = app.request(Method::PATCH, &format!("/api/v1/users/{lim}"), root.clone(), Some(&w.acme), Some(json!({"group_ids": [front]}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(app.audit_count().await, before + 1);

    let s = app.login("lim@acme.example", PASSWORD).await;
    let me = Auth::Session(&s);
    let list = app.get("/api/v1/assets", me.clone(), Some(&w.acme)).await;
    assert_eq!(names(&list), vec!["front-1"]);
    for path in ["/api/v1/assets?q=lab", &format!("/api/v1/assets?group_id={secret}"), "/api/v1/assets?kind=computer&limit=500"] {
        let r = app.get(path, me.clone(), Some(&w.acme)).await;
        assert!(!r.text.contains("lab-1") && !r.text.contains("Secret") && !r.text.contains("loose-1"), "{path}: {}", r.text);
    }
    let summary = app.get("/api/v1/assets/summary", me.clone(), Some(&w.acme)).await;
    assert_eq!((summary.body["total"].as_i64(), summary.body["open_alerts"].as_i64()), (Some(1), Some(2)), "{}", summary.text);
    let groups = app.get("/api/v1/groups", me.clone(), Some(&w.acme)).await;
    assert_eq!(names(&groups), vec!["Front desk"]);
    assert!(!groups.text.contains("Secret"));
    assert_eq!(app.get(&format!("/api/v1/assets/{hidden}"), me.clone(), Some(&w.acme)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/api/v1/groups/{secret}"), me.clone(), Some(&w.acme)).await.status, StatusCode::NOT_FOUND);
    // The limit set on acme doesn't open acme's child tenant.
    let child = app.get("/api/v1/assets", me.clone(), Some(&w.acme_child)).await;
    assert_eq!(child.status, StatusCode::OK);
    assert!(names(&child).is_empty());
    let child_sum = app.get("/api/v1/assets/summary", me.clone(), Some(&w.acme_child)).await;
    assert_eq!(child_sum.body["total"], 0);
    // An unlimited member sees everything.
    let m = app.login("mem@acme.example", PASSWORD).await;
    assert_eq!(names(&app.get("/api/v1/assets", Auth::Session(&m), Some(&w.acme)).await), vec!["front-1", "lab-1", "loose-1"]);
    assert_eq!(app.get("/api/v1/assets/summary", Auth::Session(&m), Some(&w.acme)).await.body["total"], 3);
    // Deleting the viewer's only group narrows them to nothing rather than lifting the limit.
    assert_eq!(app.request(Method::DELETE, &format!("/api/v1/groups/{front}"), root.clone(), Some(&w.acme), None).await.status, StatusCode::NO_CONTENT);
    assert!(names(&app.get("/api/v1/assets", me.clone(), Some(&w.acme)).await).is_empty());
    assert_eq!(app.get("/api/v1/assets/summary", me.clone(), Some(&w.acme)).await.body["total"], 0);
    // Lifting the limit shows everything again.
    let r = app.request(Method::PATCH, &format!("/api/v1/users/{lim}"), root.clone(), Some(&w.acme), Some(json!({"group_ids": []}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(names(&app.get("/api/v1/assets", me.clone(), Some(&w.acme)).await), vec!["front-1", "lab-1", "loose-1"]);
}

#[tokio::test]
async fn moving_assets_is_all_or_nothing_and_audited_in_both_orgs() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = Auth::Session(&w.root);
    let desk = group(&app, &w.root, &w.acme, "Desk").await;
    let a1 = asset(&app, &w.root, &w.acme, "a1", Some("E1"), Some(&desk)).await;
    let a2 = asset(&app, &w.root, &w.acme, "a2", Some("E2"), None).await;
    let g1 = asset(&app, &w.root, &w.globex, "g1", Some("E2"), None).await;
    let mv = |ids: Vec<&str>, target: &str| json!({"asset_ids": ids, "target_org_id": target});
    app.add_user(&w.root, &w.acme, "ada@acme.example", "admin").await;
    app.add_user(&w.root, &w.msp, "boss@contoso.example", "admin").await;
    app.add_user(&w.root, &w.acme, "mo@acme.example", "member").await;
    let ada = app.login("ada@acme.example", PASSWORD).await;
    let boss = app.login("boss@contoso.example", PASSWORD).await;
    let mo = app.login("mo@acme.example", PASSWORD).await;
    let before = snapshot(&app).await;
    // An id from another org (or none at all) fails the whole move.
    let r = app.post("/api/v1/assets/move", root.clone(), Some(&w.acme), mv(vec![&a1, &g1], &w.globex)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = app.post("/api/v1/assets/move", root.clone(), Some(&w.acme), mv(vec![&a1, &uuid::Uuid::new_v4().to_string()], &w.globex)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A taken external id in the target: 409 naming it, nothing moved.
    let r = app.post("/api/v1/assets/move", root.clone(), Some(&w.acme), mv(vec![&a1, &a2], &w.globex)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("E2"), "{}", r.text);
    // Customer admins can't see globex; MSP admins can't see another MSP's customer.
    let r = app.post("/api/v1/assets/move", Auth::Session(&ada), Some(&w.acme), mv(vec![&a1], &w.globex)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.post("/api/v1/assets/move", Auth::Session(&boss), Some(&w.acme), mv(vec![&a1], &w.foreign)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A member may not move assets out.
    assert_eq!(app.post("/api/v1/assets/move", Auth::Session(&mo), Some(&w.acme), mv(vec![&a1], &w.acme_child)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(snapshot(&app).await, before, "failed moves changed nothing");

    let r = app.post("/api/v1/assets/move", Auth::Session(&boss), Some(&w.acme), mv(vec![&a1], &w.globex)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!((r.body["moved"].as_i64(), r.body["groups_cleared"].as_i64()), (Some(1), Some(1)));
    let moved = app.get(&format!("/api/v1/assets/{a1}"), root.clone(), Some(&w.globex)).await;
    assert_eq!(moved.status, StatusCode::OK);
    assert!(moved.body["group_id"].is_null());
    assert_eq!(app.get(&format!("/api/v1/assets/{a1}"), root.clone(), Some(&w.acme)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(audit_actions(&app, &w.acme).await.last().map(String::as_str), Some("asset.move_out"));
    assert_eq!(audit_actions(&app, &w.globex).await.last().map(String::as_str), Some("asset.move_in"));
    let seqs: Vec<i64> = sqlx::query_scalar("SELECT seq FROM audit_events WHERE action LIKE 'asset.move_%' ORDER BY seq").fetch_all(&app.db.pool).await.unwrap();
    assert_eq!(seqs.len(), 2);
    assert_eq!(seqs[1], seqs[0] + 1, "both events in one transaction");
}

#[tokio::test]
async fn merge_dry_run_reports_every_conflict_and_the_real_run_refuses_blocking_ones() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = Auth::Session(&w.root);
    group(&app, &w.root, &w.acme, "Desk").await;
    group(&app, &w.root, &w.globex, "Desk").await;
    asset(&app, &w.root, &w.acme, "shared-name", Some("X1"), None).await;
    asset(&app, &w.root, &w.globex, "shared-name", Some("other"), None).await;
    asset(&app, &w.root, &w.acme, "acme-only", Some("PLANTED"), None).await;
    asset(&app, &w.root, &w.globex, "globex-only", Some("PLANTED"), None).await;
    app.add_user(&w.root, &w.acme, "wile@acme.example", "member").await;
    let before = snapshot(&app).await;
    let r = app.post("/api/v1/org/merge", root.clone(), Some(&w.acme), json!({"into_org_id": w.globex, "dry_run": true})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let conflicts: Vec<(String, String, bool)> = r.body["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["kind"].as_str().unwrap().into(), c["value"].as_str().unwrap().into(), c["blocking"].as_bool().unwrap()))
        .collect();
    for want in [
        ("external_id", "PLANTED", true),
        ("asset_name", "shared-name", false),
        ("group_name", "Desk", false),
        ("user_domain", "wile@acme.example", true),
    ] {
        assert!(conflicts.contains(&(want.0.into(), want.1.into(), want.2)), "missing {want:?} in {conflicts:?}");
    }
    assert_eq!((r.body["assets"].as_i64(), r.body["users"].as_i64(), r.body["child_tenants"].as_i64()), (Some(2), Some(1), Some(1)));
    assert_eq!(snapshot(&app).await, before, "a dry run changes nothing");
    let real = app.post("/api/v1/org/merge", root.clone(), Some(&w.acme), json!({"into_org_id": w.globex})).await;
    assert_eq!(real.status, StatusCode::CONFLICT, "{}", real.text);
    assert_eq!(snapshot(&app).await, before);
    // Rules of the road: not into itself, not across MSPs, not an MSP.
    let r = app.post("/api/v1/org/merge", root.clone(), Some(&w.acme), json!({"into_org_id": w.acme, "dry_run": true})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.post("/api/v1/org/merge", root.clone(), Some(&w.acme), json!({"into_org_id": w.foreign, "dry_run": true})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.post("/api/v1/org/merge", root.clone(), Some(&w.acme), json!({"into_org_id": w.acme_child, "dry_run": true})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "into its own child");
}

/// acme_child (with a grandchild, a user at home, a limited viewer, a same-named group)
/// merged into acme.
async fn merge_fixture(app: &TestApp, w: &World) -> (String, String, String) {
    let desk_parent = group(app, &w.root, &w.acme, "Desk").await;
    let desk_child = group(app, &w.root, &w.acme_child, "Desk").await;
    let lab = group(app, &w.root, &w.acme_child, "Lab").await;
    asset(app, &w.root, &w.acme_child, "berlin-desk", Some("B1"), Some(&desk_child)).await;
    asset(app, &w.root, &w.acme_child, "berlin-lab", Some("B2"), Some(&lab)).await;
    asset(app, &w.root, &w.acme, "hq", Some("H1"), Some(&desk_parent)).await;
    let viewer = app.add_user(&w.root, &w.acme_child, "bv@acme.example", "viewer").await;
    let r = app
        .request(Method::PATCH, &format!("/api/v1/users/{viewer}"), Auth::Session(&w.root), Some(&w.acme_child), Some(json!({"group_ids": [desk_child]})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let grandchild = app.create_org(&w.root, "child", "Berlin Lab", Some(&w.acme_child), None).await;
    (viewer, desk_parent, grandchild)
}

#[tokio::test]
async fn merge_moves_everything_into_the_target_and_deletes_the_source() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = Auth::Session(&w.root);
    let (viewer, desk_parent, grandchild) = merge_fixture(&app, &w).await;
    let dry = app.post("/api/v1/org/merge", root.clone(), Some(&w.acme_child), json!({"into_org_id": w.acme, "dry_run": true})).await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.text);
    assert!(dry.body["conflicts"].as_array().unwrap().iter().all(|c| c["blocking"] == false), "{}", dry.text);
    let r = app.post("/api/v1/org/merge", root.clone(), Some(&w.acme_child), json!({"into_org_id": w.acme})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["merged"], true);
    assert_eq!(app.get("/api/v1/org", root.clone(), Some(&w.acme_child)).await.status, StatusCode::NOT_FOUND);
    let list = app.get("/api/v1/assets", root.clone(), Some(&w.acme)).await;
    assert_eq!(names(&list), vec!["berlin-desk", "berlin-lab", "hq"]);
    let groups = app.get("/api/v1/groups", root.clone(), Some(&w.acme)).await;
    assert_eq!(names(&groups), vec!["Desk", "Lab"], "same-named groups became one");
    let home: String = sqlx::query_scalar("SELECT home_org_id FROM users WHERE id = $1").bind(&viewer).fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(home, w.acme);
    let parent: Option<String> = sqlx::query_scalar("SELECT parent_id FROM orgs WHERE id = $1").bind(&grandchild).fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(parent.as_deref(), Some(w.acme.as_str()));
    // The viewer's limit followed into the merged group: two desk assets, nothing from the lab.
    let v = app.login("bv@acme.example", PASSWORD).await;
    let seen = app.get("/api/v1/assets", Auth::Session(&v), Some(&w.acme)).await;
    assert_eq!(names(&seen), vec!["berlin-desk", "hq"]);
    let limit: Vec<String> = sqlx::query_scalar("SELECT group_id FROM membership_groups WHERE user_id = $1").bind(&viewer).fetch_all(&app.db.pool).await.unwrap();
    assert_eq!(limit, vec![desk_parent]);
    let actions = audit_actions(&app, &w.acme).await;
    assert_eq!(actions[actions.len() - 2..], ["org.merge".to_string(), "org.delete".to_string()]);
}

#[tokio::test]
async fn a_merge_that_fails_midway_leaves_both_orgs_exactly_as_before() {
    let app = spawn_app().await;
    let w = app.world().await;
    merge_fixture(&app, &w).await;
    // The failure is planted on the last step (deleting the source), after everything has moved.
    match app.db.dialect {
        server::db::Dialect::Sqlite => {
            sqlx::query(&format!(
                "CREATE TRIGGER planted_failure BEFORE DELETE ON orgs WHEN OLD.id = '{}' BEGIN SELECT RAISE(ABORT, 'planted'); END",
                w.acme_child
            ))
            .execute(&app.db.pool)
            .await
            .unwrap();
        }
        server::db::Dialect::Postgres => {
            sqlx::query("CREATE FUNCTION planted_failure() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'planted'; END $$ LANGUAGE plpgsql")
                .execute(&app.db.pool)
                .await
                .unwrap();
            sqlx::query(&format!(
                "CREATE TRIGGER planted_failure BEFORE DELETE ON orgs FOR EACH ROW WHEN (OLD.id = '{}') EXECUTE FUNCTION planted_failure()",
                w.acme_child
            ))
            .execute(&app.db.pool)
            .await
            .unwrap();
        }
    }
    let before = snapshot(&app).await;
    let r = app.post("/api/v1/org/merge", Auth::Session(&w.root), Some(&w.acme_child), json!({"into_org_id": w.acme})).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text);
    assert!(!r.text.contains("planted"), "database errors are not sent");
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn importing_the_same_file_twice_changes_nothing() {
    let app = spawn_app().await;
    let w = app.world().await;
    let child_slug = app.get(&format!("/api/v1/orgs/{}", w.acme_child), Auth::Session(&w.root), None).await.body["slug"].as_str().unwrap().to_string();
    let csv = format!(
        "kind,name,external_id,group,os,address,tenant,ignored\n\
         computer,PC 1,rmm-1,Desk,Windows 11,10.0.0.1,,x\n\
         gateway,\"Edge, main\",rmm-2,,RouterOS,10.0.0.254,,\n\
         monitored_system,Berlin NAS,rmm-1,Storage,,,{child_slug},\n"
    );
    let first = import(&app, &w.root, &w.acme, "text/csv", csv.clone()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!((first.body["created"].as_i64(), first.body["groups_created"].as_i64(), first.body["all_or_nothing"].as_bool()), (Some(3), Some(2), Some(true)));
    assert_eq!(names(&app.get("/api/v1/assets", Auth::Session(&w.root), Some(&w.acme_child)).await), vec!["Berlin NAS"]);
    let after_first = snapshot(&app).await;
    let second = import(&app, &w.root, &w.acme, "text/csv; charset=utf-8", csv).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    assert_eq!((second.body["created"].as_i64(), second.body["updated"].as_i64(), second.body["unchanged"].as_i64()), (Some(0), Some(0), Some(3)));
    assert_eq!(snapshot(&app).await, after_first, "the database is identical after the second import");
    // The same data as JSON is the same import.
    let as_json = json!({"assets": [
        {"kind": "computer", "name": "PC 1", "external_id": "rmm-1", "group": "Desk", "os": "Windows 11", "address": "10.0.0.1"},
        {"kind": "gateway", "name": "Edge, main", "external_id": "rmm-2", "os": "RouterOS", "address": "10.0.0.254"},
    ]});
    let third = import(&app, &w.root, &w.acme, "application/json", as_json.to_string()).await;
    assert_eq!(third.body["unchanged"], 2, "{}", third.text);
    assert_eq!(snapshot(&app).await, after_first);
    // A changed row updates in place.
    let changed = import(&app, &w.root, &w.acme, "text/csv", "kind,name,external_id\ncomputer,PC 1 renamed,rmm-1\n".into()).await;
    assert_eq!((changed.body["updated"].as_i64(), changed.body["created"].as_i64()), (Some(1), Some(0)), "{}", changed.text);
}

#[tokio::test]
async fn bad_rows_are_reported_and_nothing_is_imported() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.acme, "vera@acme.example", "viewer").await;
    let vera = app.login("vera@acme.example", PASSWORD).await;
    let before = snapshot(&app).await;
    let csv = "kind,name,external_id,tenant\n\
               computer,ok,e1,\n\
               toaster,bad kind,e2,\n\
               computer,,e3,\n\
               computer,dup,e1,\n\
               computer,elsewhere,e4,no-such-tenant\n";
    let r = import(&app, &w.root, &w.acme, "text/csv", csv.into()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let errors: Vec<(i64, String)> =
        r.body["result"]["errors"].as_array().unwrap().iter().map(|e| (e["row"].as_i64().unwrap(), e["field"].as_str().unwrap().to_string())).collect();
    assert_eq!(errors, vec![(3, "kind".into()), (4, "name".into()), (5, "external_id".into()), (6, "tenant".into())]);
    assert_eq!(r.body["error"]["code"], "invalid");
    assert_eq!(snapshot(&app).await, before, "all or nothing");
    // A tenant of another customer is not below acme, even for a superuser.
    let globex_slug = app.get(&format!("/api/v1/orgs/{}", w.globex), Auth::Session(&w.root), None).await.body["slug"].as_str().unwrap().to_string();
    let r = import(&app, &w.root, &w.acme, "text/csv", format!("kind,name,external_id,tenant\ncomputer,x,e9,{globex_slug}\n")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = import(&app, &w.root, &w.acme, "text/plain", "hello".into()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = import(&app, &vera, &w.acme, "text/csv", "kind,name,external_id\ncomputer,x,e1\n".into()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn importing_ten_thousand_rows() {
    let app = spawn_app().await;
    let w = app.world().await;
    let mut csv = String::from("kind,name,external_id,group,os,address\n");
    for i in 0..10_000 {
        csv.push_str(&format!("computer,host-{i:05},ext-{i},Group {},Windows 11,10.{}.{}.{}\n", i % 20, i / 65536, (i / 256) % 256, i % 256));
    }
    let started = std::time::Instant::now();
    let r = import(&app, &w.root, &w.acme, "text/csv", csv.clone()).await;
    let first = started.elapsed();
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!((r.body["created"].as_i64(), r.body["groups_created"].as_i64()), (Some(10_000), Some(20)));
    let started = std::time::Instant::now();
    let again = import(&app, &w.root, &w.acme, "text/csv", csv).await;
    let second = started.elapsed();
    assert_eq!(again.body["unchanged"], 10_000);
    eprintln!("10,000-row import: {first:?} first, {second:?} again (unchanged)");
    assert_eq!(app.get("/api/v1/assets/summary", Auth::Session(&w.root), Some(&w.acme)).await.body["total"], 10_000);
}

#[tokio::test]
async fn the_openapi_document_lists_the_asset_endpoints() {
    let app = spawn_app().await;
    let doc = app.get("/api/openapi.json", Auth::None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    for path in ["/api/v1/assets", "/api/v1/assets/{id}", "/api/v1/assets/summary", "/api/v1/assets/move", "/api/v1/groups", "/api/v1/groups/{id}", "/api/v1/org/merge", "/api/v1/import"] {
        assert!(doc.body["paths"][path].is_object(), "{path} is not documented");
    }
    assert!(doc.body["components"]["schemas"]["ImportResult"].is_object());
}

#[tokio::test]
async fn assets_go_into_a_group_all_or_none_in_one_audited_step() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = Auth::Session(&w.root);
    let desk = group(&app, &w.root, &w.acme, "Front desk").await;
    let a = asset(&app, &w.root, &w.acme, "pc-a", None, None).await;
    let b = asset(&app, &w.root, &w.acme, "pc-b", None, Some(&desk)).await;
    let elsewhere = asset(&app, &w.root, &w.globex, "globex-pc", None, None).await;
    let globex_group = group(&app, &w.root, &w.globex, "Globex desk").await;

    // Another org's asset or group is unknown here: nothing changes.
    let before = app.audit_count().await;
    let r = app.post("/api/v1/assets/group", root.clone(), Some(&w.acme), json!({"asset_ids": [a, elsewhere], "group_id": desk})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = app.post("/api/v1/assets/group", root.clone(), Some(&w.acme), json!({"asset_ids": [a], "group_id": globex_group})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = app.post("/api/v1/assets/group", root.clone(), Some(&w.acme), json!({"asset_ids": [], "group_id": desk})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.body["error"]["fields"]["asset_ids"].is_string());
    let r = app.post("/api/v1/assets/group", root.clone(), Some(&w.acme), json!({"asset_ids": [a], "group_id": desk, "grop": 1})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(app.audit_count().await, before);
    assert_eq!(app.get(&format!("/api/v1/assets/{a}"), root.clone(), Some(&w.acme)).await.body["group_id"], serde_json::Value::Null);

    // A viewer may look, not regroup.
    let viewer = app.add_user(&w.root, &w.acme, "look@acme.example", "viewer").await;
    let _ = viewer;
    let s = app.login("look@acme.example", PASSWORD).await;
    let r = app.post("/api/v1/assets/group", Auth::Session(&s), Some(&w.acme), json!({"asset_ids": [a], "group_id": desk})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    // Both into the group: only the one that wasn't there changes, one audit row says so.
    let before = app.audit_count().await;
    let r = app.post("/api/v1/assets/group", root.clone(), Some(&w.acme), json!({"asset_ids": [a, b], "group_id": desk})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["changed"], 1);
    assert_eq!(app.audit_count().await, before + 1);
    let groups = app.get("/api/v1/groups", root.clone(), Some(&w.acme)).await;
    assert_eq!(groups.body["items"][0]["asset_count"], 2);
    // And out of their groups again.
    let r = app.post("/api/v1/assets/group", root.clone(), Some(&w.acme), json!({"asset_ids": [a, b], "group_id": null})).await;
    assert_eq!(r.body["changed"], 2, "{}", r.text);
    let audit = app.get("/api/v1/audit?action=asset.group", root.clone(), Some(&w.acme)).await;
    assert!(audit.text.contains("took 2 assets out of their groups"), "{}", audit.text);
    assert_eq!(app.get("/api/v1/groups", root.clone(), Some(&w.acme)).await.body["items"][0]["asset_count"], 0);
}
