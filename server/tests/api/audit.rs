use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn customer_admins_see_what_the_msp_did_in_their_org() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.acme, "carol@acme.example", "admin").await;
    let tech = app.add_user(&w.root, &w.msp, "tom@contoso.example", "member").await;
    let g = app.post(&format!("/api/v1/customers/{}/delegations", w.acme), Auth::Session(&w.root), Some(&w.msp), json!({"user_id": tech})).await;
    assert_eq!(g.status, StatusCode::CREATED);
    let carol = app.login("carol@acme.example", PASSWORD).await;
    let events = app.get("/api/v1/audit", Auth::Session(&carol), None).await;
    assert_eq!(events.status, StatusCode::OK, "{}", events.text);
    let actions: Vec<&str> = events.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"delegation.grant"), "{actions:?}");
    assert!(actions.contains(&"user.create"));
    let grant = events.body["items"].as_array().unwrap().iter().find(|e| e["action"] == "delegation.grant").unwrap();
    assert_eq!(grant["actor_email"], "root@ops.example");
    assert_eq!(grant["actor_org_id"], w.root.home_org_id.as_str());
    assert!(grant["request_id"].as_str().is_some_and(|r| !r.is_empty()));
    assert_eq!(grant["ip"], "127.0.0.1");
    // Nothing of the MSP's own or other customers' events.
    assert!(events.body["items"].as_array().unwrap().iter().all(|e| e["org_id"] == w.acme.as_str() || e["org_id"] == w.acme_child.as_str()));
    // Filters and CSV.
    let filtered = app.get("/api/v1/audit?actor=root@ops.example&action=delegation.*", Auth::Session(&carol), None).await;
    assert_eq!(filtered.body["items"].as_array().unwrap().len(), 1);
    let future = app.get("/api/v1/audit?since=2999-01-01", Auth::Session(&carol), None).await;
    assert_eq!(future.body["items"].as_array().unwrap().len(), 0);
    let bad = app.get("/api/v1/audit?since=yesterday", Auth::Session(&carol), None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body["error"]["fields"]["since"].is_string());
    // A link can name the org in the query instead of the header; a foreign org is still 404.
    let by_query = app.get(&format!("/api/v1/audit?format=csv&org_id={}", w.acme), Auth::Session(&carol), None).await;
    assert_eq!(by_query.status, StatusCode::OK);
    let foreign = app.get(&format!("/api/v1/audit?format=csv&org_id={}", w.globex), Auth::Session(&carol), None).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let csv = app.get("/api/v1/audit?format=csv", Auth::Session(&carol), None).await;
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    let mut reader = csv::Reader::from_reader(csv.text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), events.body["items"].as_array().unwrap().len());
}

#[tokio::test]
async fn audit_verify_detects_one_changed_byte_and_a_deleted_event() {
    let app = spawn_app().await;
    let w = app.world().await;
    let _ = app.request(Method::PATCH, &format!("/api/v1/orgs/{}", w.acme), Auth::Session(&w.root), None, Some(json!({"name": "Acme Corp"}))).await;
    let n = server::audit::verify(&app.db).await.unwrap();
    assert_eq!(n, Ok(app.audit_count().await));
    // Change one byte of one summary.
    let (seq, summary): (i64, String) = sqlx::query_as("SELECT seq, summary FROM audit_events ORDER BY seq LIMIT 1 OFFSET 2").fetch_one(&app.db.pool).await.unwrap();
    let mut bytes = summary.clone().into_bytes();
    bytes[0] ^= 0x01;
    let tampered = String::from_utf8(bytes).unwrap();
    sqlx::query("UPDATE audit_events SET summary = $1 WHERE seq = $2").bind(&tampered).bind(seq).execute(&app.db.pool).await.unwrap();
    let broken = server::audit::verify(&app.db).await.unwrap();
    assert!(broken.as_ref().is_err_and(|e| e.contains(&format!("#{seq}"))), "{broken:?}");
    sqlx::query("UPDATE audit_events SET summary = $1 WHERE seq = $2").bind(&summary).bind(seq).execute(&app.db.pool).await.unwrap();
    assert!(server::audit::verify(&app.db).await.unwrap().is_ok());
    // Removing the newest event is caught by the head.
    sqlx::query("DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)").execute(&app.db.pool).await.unwrap();
    assert!(server::audit::verify(&app.db).await.unwrap().is_err());
}

#[tokio::test]
async fn concurrent_mutations_keep_one_unbroken_chain() {
    let app = spawn_app().await;
    let w = app.world().await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let http = app.http.clone();
        let url = app.url(&format!("/api/v1/orgs/{}", w.acme));
        let root = w.root.clone();
        tasks.push(tokio::spawn(async move {
            http.patch(url).header("cookie", &root.cookie).header("x-csrf-token", &root.csrf).json(&json!({"name": format!("Acme {i}")})).send().await.unwrap().status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(server::audit::verify(&app.db).await.unwrap(), Ok(app.audit_count().await));
}

#[tokio::test]
async fn demo_is_believable_idempotent_and_audited() {
    let app = spawn_app().await;
    server::tools::demo::seed(&app.db).await.unwrap();
    let again = server::tools::demo::seed(&app.db).await.unwrap();
    assert!(again.contains("already"), "{again}");
    let count = |sql: &'static str| {
        let pool = app.db.pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap() }
    };
    assert_eq!(count("SELECT COUNT(*) FROM orgs WHERE kind = 'customer' AND parent_id = (SELECT id FROM orgs WHERE slug = 'contoso')").await, 5);
    assert_eq!(count("SELECT COUNT(*) FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE o.slug = 'contoso' AND m.role = 'admin'").await, 2);
    assert_eq!(count("SELECT COUNT(*) FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE o.slug = 'contoso' AND m.role = 'member'").await, 3);
    assert_eq!(count("SELECT COUNT(*) FROM orgs WHERE slug = 'acme-berlin-lab'").await, 1, "two levels of child tenants");
    assert!(count("SELECT COUNT(*) FROM assets").await >= 20);
    assert!(count("SELECT COUNT(*) FROM delegations").await >= 3);
    assert_eq!(server::audit::verify(&app.db).await.unwrap(), Ok(app.audit_count().await));
    let tom = app.login("tom@contoso.example", server::tools::demo::DEMO_PASSWORD).await;
    let orgs = app.get("/api/v1/orgs", Auth::Session(&tom), None).await;
    let names: Vec<&str> = orgs.body["items"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Contoso MSP", "Acme Berlin", "Acme Berlin Lab", "Acme Corp", "Acme Paris", "Tailspin Toys"]);
    // Settings, schedules, deployments and notifications, once.
    assert_eq!(count("SELECT COUNT(*) FROM org_settings").await, 5);
    assert_eq!(count("SELECT COUNT(*) FROM schedules").await, 2);
    assert_eq!(count("SELECT COUNT(*) FROM deployments WHERE inheritable = 1").await, 1);
    assert_eq!(count("SELECT COUNT(*) FROM notifications").await, 4);
    let carol = app.login("carol@acme.example", server::tools::demo::DEMO_PASSWORD).await;
    let inbox = app.get("/api/v1/inbox", Auth::Session(&carol), None).await;
    assert!(inbox.body["unread_count"].as_i64().unwrap() >= 1, "{}", inbox.text);
    let settings = app.get("/api/v1/settings/maintenance_window", Auth::Session(&carol), None).await;
    assert_eq!(settings.body["source"]["org_name"], "Contoso MSP", "{}", settings.text);
    let deployments = app.get("/api/v1/deployments", Auth::Session(&carol), None).await;
    assert_eq!(deployments.body["items"].as_array().unwrap().len(), 2, "Acme's own and Contoso's inheritable one");
}
