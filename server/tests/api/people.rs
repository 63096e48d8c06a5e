use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn added_users_must_be_inside_the_org_domain() {
    let app = spawn_app().await;
    let w = app.world().await;
    for bad in ["x@evil-acme.example", "x@acme.example.evil.io", "x@sub.acme.example", "\"x\"@acme.example", "x@acme.exampl"] {
        let r = app.post("/api/v1/users", Auth::Session(&w.root), Some(&w.acme), json!({"email": bad, "name": "X", "role": "viewer"})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", r.text);
        assert!(r.body["error"]["fields"]["email"].is_string());
    }
    // A child tenant uses its ancestor's domain; case and a trailing dot don't matter.
    let ok = app.post("/api/v1/users", Auth::Session(&w.root), Some(&w.acme_child), json!({"email": "Rita@ACME.example.", "name": "Rita", "role": "member"})).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    assert_eq!(ok.body["user"]["email"], "rita@acme.example");
    let dup = app.post("/api/v1/users", Auth::Session(&w.root), Some(&w.acme), json!({"email": "rita@acme.example", "name": "Rita", "role": "member"})).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let short = app.post("/api/v1/users", Auth::Session(&w.root), Some(&w.acme), json!({"email": "s@acme.example", "name": "S", "role": "member", "password": "short"})).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body["error"]["fields"]["password"].is_string());
}

#[tokio::test]
async fn nobody_grants_above_their_own_role() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.acme, "dave@acme.example", "member").await;
    let erin = app.add_user(&w.root, &w.acme, "erin@acme.example", "viewer").await;
    let dave = app.login("dave@acme.example", PASSWORD).await;
    // A member can't manage people at all, least of all make an admin.
    let up = app.request(Method::PATCH, &format!("/api/v1/users/{erin}"), Auth::Session(&dave), Some(&w.acme), Some(json!({"role": "admin"}))).await;
    assert_eq!(up.status, StatusCode::FORBIDDEN);
    let add = app.post("/api/v1/users", Auth::Session(&dave), Some(&w.acme), json!({"email": "new@acme.example", "name": "N", "role": "admin"})).await;
    assert_eq!(add.status, StatusCode::FORBIDDEN);
    let role: String = sqlx::query_scalar("SELECT role FROM memberships WHERE user_id = $1").bind(&erin).fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(role, "viewer", "nothing changed");
}

#[tokio::test]
async fn disabling_kills_open_sessions_and_tokens_for_good() {
    let app = spawn_app().await;
    let w = app.world().await;
    let dave_id = app.add_user(&w.root, &w.acme, "dave@acme.example", "member").await;
    let dave = app.login("dave@acme.example", PASSWORD).await;
    let created = app.post("/api/v1/auth/token", Auth::None, None, json!({"email": "dave@acme.example", "password": PASSWORD, "name": "script"})).await;
    let token = created.body["token"].as_str().unwrap().to_string();
    assert_eq!(app.get("/api/v1/users", Auth::Session(&dave), Some(&w.acme)).await.status, StatusCode::OK);
    assert_eq!(app.get("/api/v1/me", Auth::Bearer(&token), None).await.status, StatusCode::OK);

    let off = app.request(Method::PATCH, &format!("/api/v1/users/{dave_id}"), Auth::Session(&w.root), Some(&w.acme), Some(json!({"status": "disabled"}))).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    assert_eq!(app.get("/api/v1/users", Auth::Session(&dave), Some(&w.acme)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/me", Auth::Bearer(&token), None).await.status, StatusCode::UNAUTHORIZED);
    // Enabling again lets Dave sign in anew, but what was killed stays dead.
    let on = app.request(Method::PATCH, &format!("/api/v1/users/{dave_id}"), Auth::Session(&w.root), Some(&w.acme), Some(json!({"status": "active"}))).await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.text);
    assert_eq!(app.get("/api/v1/me", Auth::Session(&dave), None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/me", Auth::Bearer(&token), None).await.status, StatusCode::UNAUTHORIZED);
    app.login("dave@acme.example", PASSWORD).await;
}
