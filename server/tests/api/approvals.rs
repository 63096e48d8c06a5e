//! Four-eyes approvals: an MSP's listed actions wait for a second admin of the MSP.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;
use server::db::now_ms;

const ALL: [&str; 4] = ["org.delete", "org.merge", "bulk.suspend", "scope.all_except"];

struct Admins {
    alice: Session,
    bob: Session,
}

async fn admins(app: &TestApp, w: &World) -> Admins {
    app.add_user(&w.root, &w.msp, "alice@contoso.example", "admin").await;
    app.add_user(&w.root, &w.msp, "bob@contoso.example", "admin").await;
    let alice = app.login("alice@contoso.example", PASSWORD).await;
    let bob = app.login("bob@contoso.example", PASSWORD).await;
    let r = app.put("/api/v1/settings/approvals", Auth::Session(&alice), Some(&w.msp), json!({"value": {"actions": ALL}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    Admins { alice, bob }
}

async fn org_exists(app: &TestApp, id: &str) -> bool {
    let n: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM orgs WHERE id = $1").bind(id).fetch_one(&app.db.pool).await.unwrap();
    n == 1
}

#[tokio::test]
async fn a_second_admin_approves_and_the_action_runs_as_the_requester() {
    let app = spawn_app().await;
    let w = app.world().await;
    let m = admins(&app, &w).await;
    let (a, b) = (Auth::Session(&m.alice), Auth::Session(&m.bob));
    let bad = app.put("/api/v1/settings/approvals", a.clone(), Some(&w.msp), json!({"value": {"actions": ["org.launch"]}})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);

    // Deleting Globex waits; nothing is deleted yet.
    let r = app.delete(&format!("/api/v1/orgs/{}", w.globex), a.clone(), None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let id = r.body["approval_id"].as_str().unwrap().to_string();
    assert!(org_exists(&app, &w.globex).await);
    assert_eq!(app.audit_actions("approval.request").await, 1);
    assert_eq!(app.audit_actions("org.delete").await, 0);
    // Bob's bell says so.
    let inbox = app.get("/api/v1/inbox", b.clone(), None).await;
    assert!(inbox.body["items"][0]["title"].as_str().unwrap().starts_with("Approval needed: delete customer Globex"), "{}", inbox.text);
    let list = app.get("/api/v1/approvals?status=pending", b.clone(), Some(&w.msp)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let item = &list.body[0];
    assert_eq!((item["id"].as_str(), item["action"].as_str(), item["requested_by_email"].as_str()), (Some(id.as_str()), Some("org.delete"), Some("alice@contoso.example")));
    assert_eq!(item["preview"]["name"], "Globex");

    // The requester can't approve their own; another MSP's admin can't see it; a technician can't list.
    let own = app.post(&format!("/api/v1/approvals/{id}/approve"), a.clone(), Some(&w.msp), json!({})).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.text);
    let own = app.post(&format!("/api/v1/approvals/{id}/reject"), a.clone(), Some(&w.msp), json!({})).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.text);
    app.add_user(&w.root, &w.other_msp, "umbra@umbrella.example", "admin").await;
    let umbra = app.login("umbra@umbrella.example", PASSWORD).await;
    let r = app.post(&format!("/api/v1/approvals/{id}/approve"), Auth::Session(&umbra), Some(&w.other_msp), json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(app.get("/api/v1/approvals", Auth::Session(&umbra), Some(&w.other_msp)).await.body.as_array().unwrap().len(), 0);
    app.add_user(&w.root, &w.msp, "tom@contoso.example", "member").await;
    let tom = app.login("tom@contoso.example", PASSWORD).await;
    assert_eq!(app.get("/api/v1/approvals", Auth::Session(&tom), Some(&w.msp)).await.status, StatusCode::FORBIDDEN);
    assert!(org_exists(&app, &w.globex).await);

    // Bob approves: it runs, as Alice, and the audit names both.
    let r = app.post(&format!("/api/v1/approvals/{id}/approve"), b.clone(), Some(&w.msp), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!((r.body["status"].as_str(), r.body["decided_by_email"].as_str()), (Some("approved"), Some("bob@contoso.example")));
    assert!(!org_exists(&app, &w.globex).await);
    let (actor, summary): (String, String) =
        sqlx::query_as("SELECT actor_email, summary FROM audit_events WHERE action = 'org.delete'").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(actor, "alice@contoso.example");
    assert!(summary.contains("Globex") && summary.contains("approved by bob@contoso.example"), "{summary}");
    assert_eq!(app.audit_actions("approval.approve").await, 1);
    let again = app.post(&format!("/api/v1/approvals/{id}/approve"), b.clone(), Some(&w.msp), json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);

    // A merge waits too, with the dry run's plan, and runs once approved.
    let r = app.post("/api/v1/org/merge", a.clone(), Some(&w.acme_child), json!({"into_org_id": w.acme})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let merge = r.body["approval_id"].as_str().unwrap().to_string();
    let plan = app.get("/api/v1/approvals", b.clone(), Some(&w.msp)).await;
    assert_eq!(plan.body[0]["preview"]["dry_run"], true, "{}", plan.text);
    assert!(org_exists(&app, &w.acme_child).await);
    let r = app.post(&format!("/api/v1/approvals/{merge}/approve"), b.clone(), Some(&w.msp), json!({})).await;
    assert_eq!(r.body["status"], "approved", "{}", r.text);
    assert!(!org_exists(&app, &w.acme_child).await);
}

#[tokio::test]
async fn a_rejected_request_never_runs_and_an_expired_one_cant_be_approved() {
    let app = spawn_app().await;
    let w = app.world().await;
    let m = admins(&app, &w).await;
    let (a, b) = (Auth::Session(&m.alice), Auth::Session(&m.bob));
    // A bulk suspend waits, with its dry run; a dry run itself never waits.
    let targets = json!({"org_ids": [w.acme, w.globex]});
    let dry = app.post("/api/v1/bulk", a.clone(), Some(&w.msp), json!({"action": "suspend", "targets": targets, "dry_run": true})).await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.text);
    let r = app.post("/api/v1/bulk", a.clone(), Some(&w.msp), json!({"action": "suspend", "targets": targets})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let id = r.body["approval_id"].as_str().unwrap().to_string();
    let listed = app.get("/api/v1/approvals", b.clone(), Some(&w.msp)).await;
    assert_eq!(listed.body[0]["preview"]["changed"], 2, "{}", listed.text);
    let r = app.post(&format!("/api/v1/approvals/{id}/reject"), b.clone(), Some(&w.msp), json!({})).await;
    assert_eq!((r.status, r.body["status"].as_str()), (StatusCode::OK, Some("rejected")), "{}", r.text);
    let r = app.post(&format!("/api/v1/approvals/{id}/approve"), b.clone(), Some(&w.msp), json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let suspended: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM orgs WHERE status = 'suspended'").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(suspended, 0, "a rejected request never runs");
    assert_eq!((app.audit_actions("approval.reject").await, app.audit_actions("org.suspend").await, app.audit_actions("bulk.run").await), (1, 0, 0));

    // An all-except scope waits; after the time limit nobody can approve it.
    let tech = app.add_user(&w.root, &w.msp, "tom@contoso.example", "member").await;
    let r = app.put(&format!("/api/v1/technicians/{tech}/scope"), a.clone(), Some(&w.msp), json!({"all_except": [w.acme]})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let id = r.body["approval_id"].as_str().unwrap().to_string();
    // A tag scope is not listed: it applies at once.
    assert_eq!(app.get(&format!("/api/v1/technicians/{tech}/scope"), a.clone(), Some(&w.msp)).await.status, StatusCode::NOT_FOUND);
    app.clock.set(now_ms() + 25 * 3_600_000);
    let r = app.post(&format!("/api/v1/approvals/{id}/approve"), b.clone(), Some(&w.msp), json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("expired"), "{}", r.text);
    let expired = app.get("/api/v1/approvals?status=expired", b.clone(), Some(&w.msp)).await;
    assert_eq!(expired.body.as_array().unwrap().len(), 1, "{}", expired.text);
    assert_eq!(app.get(&format!("/api/v1/technicians/{tech}/scope"), a.clone(), Some(&w.msp)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/approvals?status=soon", b.clone(), Some(&w.msp)).await.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Approved in time, the scope is granted as Alice with Bob named.
    app.clock.set(now_ms());
    let r = app.put(&format!("/api/v1/technicians/{tech}/scope"), a.clone(), Some(&w.msp), json!({"all_except": [w.acme]})).await;
    let id = r.body["approval_id"].as_str().unwrap().to_string();
    let r = app.post(&format!("/api/v1/approvals/{id}/approve"), b.clone(), Some(&w.msp), json!({})).await;
    assert_eq!(r.body["status"], "approved", "{}", r.text);
    assert_eq!(app.get(&format!("/api/v1/technicians/{tech}/scope"), a.clone(), Some(&w.msp)).await.body["all_except"], json!([w.acme]));
    let summary: String = sqlx::query_scalar("SELECT summary FROM audit_events WHERE action = 'scope.grant'").fetch_one(&app.db.pool).await.unwrap();
    assert!(summary.contains("approved by bob@contoso.example"), "{summary}");
    // Each step is in the trail.
    assert_eq!((app.audit_actions("approval.request").await, app.audit_actions("approval.approve").await), (3, 1));
}
