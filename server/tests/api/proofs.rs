//! One test per proof of privilege (`Member`, `OrgAdmin`, `Manager`, `Superuser`): a caller
//! without it gets 403 where they can see the org and 404 where they can't, and nothing
//! changes — no row, no audit event. Also the `can` flags that `GET /api/v1/org` derives
//! from the same proofs.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The count of rows in `table` plus audit events: must not move on a refused request.
async fn footprint(app: &TestApp, table: &str) -> (i64, i64) {
    let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&app.db.pool).await.unwrap();
    (rows, app.audit_count().await)
}

#[tokio::test]
async fn member_proof_guards_asset_writes() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.acme, "vera@acme.example", "viewer").await;
    app.add_user(&w.root, &w.globex, "gus@globex.example", "member").await;
    let viewer = app.login("vera@acme.example", PASSWORD).await;
    let outsider = app.login("gus@globex.example", PASSWORD).await;
    let before = footprint(&app, "assets").await;
    let body = json!({"kind": "computer", "name": "PC-1"});
    let r = app.post("/api/v1/assets", Auth::Session(&viewer), Some(&w.acme), body.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = app.post("/api/v1/assets", Auth::Session(&outsider), Some(&w.acme), body.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    // A refused request with bad fields still answers 403/404, not 422: access first.
    let r = app.post("/api/v1/assets", Auth::Session(&viewer), Some(&w.acme), json!({"kind": "toaster", "name": ""})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(footprint(&app, "assets").await, before);
    let r = app.post("/api/v1/assets", Auth::Session(&w.root), Some(&w.acme), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn org_admin_proof_guards_people() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.acme, "mia@acme.example", "member").await;
    app.add_user(&w.root, &w.foreign, "ian@initech.example", "admin").await;
    let member = app.login("mia@acme.example", PASSWORD).await;
    let foreign_admin = app.login("ian@initech.example", PASSWORD).await;
    let before = footprint(&app, "users").await;
    let body = json!({"email": "new@acme.example", "name": "New", "role": "viewer", "password": PASSWORD});
    let r = app.post("/api/v1/users", Auth::Session(&member), Some(&w.acme), body.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = app.post("/api/v1/users", Auth::Session(&foreign_admin), Some(&w.acme), body).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = app.put("/api/v1/settings/maintenance_window", Auth::Session(&member), Some(&w.acme), json!({"value": {}})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(footprint(&app, "users").await, before);
}

#[tokio::test]
async fn manager_proof_guards_suspend_delete_and_merge() {
    let app = spawn_app().await;
    let w = app.world().await;
    // Carol administers Acme itself but doesn't manage it: Contoso does.
    app.add_user(&w.root, &w.acme, "carol@acme.example", "admin").await;
    app.add_user(&w.root, &w.foreign, "ian@initech.example", "admin").await;
    let carol = app.login("carol@acme.example", PASSWORD).await;
    let foreign_admin = app.login("ian@initech.example", PASSWORD).await;
    let before = footprint(&app, "orgs").await;
    let r = app.patch(&format!("/api/v1/orgs/{}", w.acme), Auth::Session(&carol), None, json!({"status": "suspended"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = app.delete(&format!("/api/v1/orgs/{}", w.acme_child), Auth::Session(&foreign_admin), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    // Carol manages Acme's child, but not Acme: she can't merge Acme away.
    let r = app.post("/api/v1/org/merge", Auth::Session(&carol), Some(&w.acme), json!({"into_org_id": w.acme_child, "dry_run": true})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let status: String = sqlx::query_scalar("SELECT status FROM orgs WHERE id = $1").bind(&w.acme).fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(status, "active");
    assert_eq!(footprint(&app, "orgs").await, before);
    // Managing the child from above (Carol administers Acme), she may suspend it.
    let r = app.patch(&format!("/api/v1/orgs/{}", w.acme_child), Auth::Session(&carol), None, json!({"status": "suspended"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn superuser_proof_guards_msps_parents_and_superuser_grants() {
    let app = spawn_app().await;
    let w = app.world().await;
    let alice_id = app.add_user(&w.root, &w.msp, "alice@contoso.example", "admin").await;
    let alice = app.login("alice@contoso.example", PASSWORD).await;
    let before = footprint(&app, "orgs").await;
    let r = app.post("/api/v1/orgs", Auth::Session(&alice), None, json!({"name": "Evil MSP", "kind": "msp", "email_domain": "evil.example"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = app.put(&format!("/api/v1/orgs/{}/parent", w.acme), Auth::Session(&alice), None, json!({"parent_id": w.other_msp})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    // Another MSP's customer is invisible to Alice: 404 before the superuser check.
    let r = app.put(&format!("/api/v1/orgs/{}/parent", w.foreign), Auth::Session(&alice), None, json!({"parent_id": w.msp})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = app.patch(&format!("/api/v1/users/{alice_id}"), Auth::Session(&alice), Some(&w.msp), json!({"is_superuser": true})).await;
    assert!(r.status == StatusCode::FORBIDDEN || r.status == StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let is_su: i64 = sqlx::query_scalar("SELECT is_superuser FROM users WHERE id = $1").bind(&alice_id).fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(is_su, 0);
    assert_eq!(footprint(&app, "orgs").await, before);
}

#[tokio::test]
async fn can_flags_follow_the_proofs() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.msp, "alice@contoso.example", "admin").await;
    app.add_user(&w.root, &w.acme, "carol@acme.example", "admin").await;
    app.add_user(&w.root, &w.acme, "vera@acme.example", "viewer").await;
    let alice = app.login("alice@contoso.example", PASSWORD).await;
    let carol = app.login("carol@acme.example", PASSWORD).await;
    let vera = app.login("vera@acme.example", PASSWORD).await;
    let can = |r: &Resp| -> Value { r.body["can"].clone() };
    let r = app.get("/api/v1/org", Auth::Session(&alice), Some(&w.msp)).await;
    let c = can(&r);
    assert_eq!((c["overview"].as_bool(), c["manage_customers"].as_bool(), c["merge"].as_bool(), c["suspend"].as_bool()), (Some(true), Some(true), Some(false), Some(false)), "{c}");
    let c = can(&app.get("/api/v1/org", Auth::Session(&alice), Some(&w.acme)).await);
    assert_eq!((c["merge"].as_bool(), c["suspend"].as_bool(), c["overview"].as_bool()), (Some(true), Some(true), Some(false)), "{c}");
    let c = can(&app.get("/api/v1/org", Auth::Session(&carol), Some(&w.acme)).await);
    assert_eq!((c["manage_people"].as_bool(), c["merge"].as_bool(), c["suspend"].as_bool()), (Some(true), Some(false), Some(false)), "{c}");
    let c = can(&app.get("/api/v1/org", Auth::Session(&vera), Some(&w.acme)).await);
    assert_eq!((c["edit_assets"].as_bool(), c["manage_people"].as_bool(), c["audit"].as_bool()), (Some(false), Some(false), Some(false)), "{c}");
}
