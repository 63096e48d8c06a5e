//! `Idempotency-Key` on mutating requests; `/healthz` and `/readyz`.
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A request with an `Idempotency-Key` (and optionally a bearer token instead of the session).
async fn keyed(app: &TestApp, method: Method, path: &str, s: &Session, org: &str, key: &str, body: Option<Value>) -> Resp {
    let mut req = app
        .http
        .request(method, app.url(path))
        .header("cookie", &s.cookie)
        .header("x-csrf-token", &s.csrf)
        .header("x-org-id", org)
        .header("idempotency-key", key);
    if let Some(body) = body {
        req = req.json(&body);
    }
    Resp::read(req.send().await.unwrap()).await
}

async fn count_assets(app: &TestApp, name: &str) -> i64 {
    sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM assets WHERE name = $1").bind(name).fetch_one(&app.db.pool).await.unwrap()
}

#[tokio::test]
async fn same_key_same_body_does_the_work_once_and_answers_the_same() {
    let app = spawn_app().await;
    let w = app.world().await;
    let body = json!({"kind": "computer", "name": "PC-IDEM-1"});
    let first = keyed(&app, Method::POST, "/api/v1/assets", &w.root, &w.acme, "key-1", Some(body.clone())).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let audits = app.audit_actions("asset.create").await;
    let again = keyed(&app, Method::POST, "/api/v1/assets", &w.root, &w.acme, "key-1", Some(body.clone())).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(again.body, first.body, "the replay is the first answer");
    assert_eq!(again.headers.get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    assert_eq!(count_assets(&app, "PC-IDEM-1").await, 1, "one asset");
    assert_eq!(app.audit_actions("asset.create").await, audits, "one audit event");
    // Without a key the same body is a new request.
    let plain = app.post("/api/v1/assets", Auth::Session(&w.root), Some(&w.acme), body).await;
    assert_eq!(plain.status, StatusCode::CREATED);
    assert_eq!(count_assets(&app, "PC-IDEM-1").await, 2);
}

#[tokio::test]
async fn same_key_other_request_is_422_naming_the_header() {
    let app = spawn_app().await;
    let w = app.world().await;
    let r = keyed(&app, Method::POST, "/api/v1/assets", &w.root, &w.acme, "key-2", Some(json!({"kind": "computer", "name": "A"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let other_body = keyed(&app, Method::POST, "/api/v1/assets", &w.root, &w.acme, "key-2", Some(json!({"kind": "computer", "name": "B"}))).await;
    assert_eq!(other_body.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", other_body.text);
    assert_eq!(other_body.body["error"]["code"], "invalid");
    assert!(other_body.body["error"]["fields"]["Idempotency-Key"].is_string(), "{}", other_body.text);
    // Another org (same path and body) is another request too.
    let other_org = keyed(&app, Method::POST, "/api/v1/assets", &w.root, &w.globex, "key-2", Some(json!({"kind": "computer", "name": "A"}))).await;
    assert_eq!(other_org.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", other_org.text);
    assert_eq!(count_assets(&app, "B").await, 0, "nothing done for the mismatch");
    assert_eq!(count_assets(&app, "A").await, 1);
}

#[tokio::test]
async fn keys_belong_to_their_user() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.msp, "admin@contoso.example", "admin").await;
    let admin = app.login("admin@contoso.example", PASSWORD).await;
    let body = json!({"kind": "computer", "name": "SHARED-KEY"});
    let a = keyed(&app, Method::POST, "/api/v1/assets", &w.root, &w.acme, "same-key", Some(body.clone())).await;
    let b = keyed(&app, Method::POST, "/api/v1/assets", &admin, &w.acme, "same-key", Some(body)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert_eq!(b.status, StatusCode::CREATED, "{}", b.text);
    assert!(b.headers.get("idempotent-replayed").is_none(), "another user's key is not a replay");
    assert_ne!(a.id(), b.id());
    assert_eq!(count_assets(&app, "SHARED-KEY").await, 2);
}

#[tokio::test]
async fn bad_keys_are_422_and_change_nothing() {
    let app = spawn_app().await;
    let w = app.world().await;
    for key in ["x".repeat(256), "a\tb".to_string(), " ".to_string()] {
        let r = keyed(&app, Method::POST, "/api/v1/assets", &w.root, &w.acme, &key, Some(json!({"kind": "computer", "name": "BAD-KEY"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{key:?}: {}", r.text);
        assert!(r.body["error"]["fields"]["Idempotency-Key"].is_string(), "{}", r.text);
    }
    assert_eq!(count_assets(&app, "BAD-KEY").await, 0);
    let ok = keyed(&app, Method::POST, "/api/v1/assets", &w.root, &w.acme, &"k".repeat(255), Some(json!({"kind": "computer", "name": "LONG-KEY"}))).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
}

#[tokio::test]
async fn concurrent_duplicates_take_effect_once() {
    let app = spawn_app().await;
    let w = app.world().await;
    let body = json!({"kind": "computer", "name": "RACE"});
    let tries = (0..6).map(|_| keyed(&app, Method::POST, "/api/v1/assets", &w.root, &w.acme, "race-key", Some(body.clone())));
    let results = futures_util::future::join_all(tries).await;
    let created: Vec<&Resp> = results.iter().filter(|r| r.status == StatusCode::CREATED).collect();
    assert!(!created.is_empty());
    for r in &results {
        assert!(matches!(r.status, StatusCode::CREATED | StatusCode::CONFLICT), "{} {}", r.status, r.text);
        if r.status == StatusCode::CONFLICT {
            assert!(r.body["error"]["fields"]["Idempotency-Key"].is_string(), "{}", r.text);
        } else {
            assert_eq!(r.id(), created[0].id(), "every 201 is the one answer");
        }
    }
    assert_eq!(count_assets(&app, "RACE").await, 1, "exactly one asset");
}

#[tokio::test]
async fn a_key_whose_answer_was_lost_is_409_not_a_second_change() {
    let app = spawn_app().await;
    let w = app.world().await;
    let body = json!({"kind": "computer", "name": "LOST"});
    let r = keyed(&app, Method::POST, "/api/v1/assets", &w.root, &w.acme, "lost-key", Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::CREATED);
    // As if the server died after the commit, before storing the answer.
    sqlx::query("UPDATE idempotency_keys SET status = NULL, body = NULL, created_at = created_at - 60000 WHERE idem_key = 'lost-key'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let again = keyed(&app, Method::POST, "/api/v1/assets", &w.root, &w.acme, "lost-key", Some(body)).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(again.headers.get("idempotency-status").and_then(|v| v.to_str().ok()), Some("completed"));
    assert_eq!(count_assets(&app, "LOST").await, 1);
}

#[tokio::test]
async fn other_writes_and_expiry() {
    let app = spawn_app().await;
    let w = app.world().await;
    let id = keyed(&app, Method::POST, "/api/v1/assets", &w.root, &w.acme, "c", Some(json!({"kind": "computer", "name": "DEL"}))).await.id();
    let path = format!("/api/v1/assets/{id}");
    let first = keyed(&app, Method::DELETE, &path, &w.root, &w.acme, "d", None).await;
    assert_eq!(first.status, StatusCode::NO_CONTENT, "{}", first.text);
    let again = keyed(&app, Method::DELETE, &path, &w.root, &w.acme, "d", None).await;
    assert_eq!(again.status, StatusCode::NO_CONTENT, "the replay, not a 404: {}", again.text);
    assert_eq!(app.audit_actions("asset.delete").await, 1);
    // After 24 h the key may be used again.
    sqlx::query("UPDATE idempotency_keys SET expires_at = 0 WHERE idem_key = 'c'").execute(&app.db.pool).await.unwrap();
    let reuse = keyed(&app, Method::POST, "/api/v1/assets", &w.root, &w.acme, "c", Some(json!({"kind": "computer", "name": "DEL"}))).await;
    assert_eq!(reuse.status, StatusCode::CREATED);
    assert!(reuse.headers.get("idempotent-replayed").is_none());
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let h = app.get("/healthz", Auth::None, None).await;
    assert_eq!(h.status, StatusCode::OK);
    let r = app.get("/readyz", Auth::None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // With the database gone: 503 in the envelope, with Retry-After; never 500.
    app.db.pool.close().await;
    let r = app.get("/readyz", Auth::None, None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "unavailable");
    assert!(r.headers.get("retry-after").is_some());
    let w = app.post("/api/v1/auth/login", Auth::None, None, json!({"email": "x@y.example", "password": "p"})).await;
    assert_eq!(w.status, StatusCode::SERVICE_UNAVAILABLE, "{}", w.text);
    assert!(w.headers.get("retry-after").is_some());
    assert_eq!(app.get("/healthz", Auth::None, None).await.status, StatusCode::OK);
}
