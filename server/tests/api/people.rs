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

#[tokio::test]
async fn a_viewers_group_limit_is_shown_in_the_people_list_and_in_their_own_org_context() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = Auth::Session(&w.root);
    let desk = app.post("/api/v1/groups", root.clone(), Some(&w.acme), json!({"name": "Front desk"})).await.body["id"].as_str().unwrap().to_string();
    app.post("/api/v1/groups", root.clone(), Some(&w.acme), json!({"name": "Lab"})).await;
    let r = app
        .post("/api/v1/users", root.clone(), Some(&w.acme), json!({"email": "vi@acme.example", "name": "Vi", "role": "viewer", "password": PASSWORD, "group_ids": [desk]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["group_limit"], json!([{"id": desk, "name": "Front desk"}]));
    let other = app.add_user(&w.root, &w.acme, "free@acme.example", "viewer").await;

    let list = app.get("/api/v1/users?limit=500", root.clone(), Some(&w.acme)).await;
    let row = |email: &str| list.body["items"].as_array().unwrap().iter().find(|m| m["user"]["email"] == email).cloned().unwrap();
    assert_eq!(row("vi@acme.example")["group_limit"], json!([{"id": desk, "name": "Front desk"}]));
    // An unlimited viewer has no limit to show.
    assert!(row("free@acme.example").get("group_limit").is_none(), "{}", list.text);

    // The viewer's own context names the groups; anyone unlimited has none.
    let s = app.login("vi@acme.example", PASSWORD).await;
    let here = app.get("/api/v1/org", Auth::Session(&s), Some(&w.acme)).await;
    assert_eq!(here.body["group_limit"], json!([{"id": desk, "name": "Front desk"}]), "{}", here.text);
    assert!(app.get("/api/v1/org", root.clone(), Some(&w.acme)).await.body.get("group_limit").is_none());

    // Lifting the limit takes it off the row.
    let r = app.request(Method::PATCH, &format!("/api/v1/users/{other}"), root.clone(), Some(&w.acme), Some(json!({"group_ids": [desk]}))).await;
    assert_eq!(r.body["group_limit"], json!([{"id": desk, "name": "Front desk"}]), "{}", r.text);
    let r = app.request(Method::PATCH, &format!("/api/v1/users/{other}"), root.clone(), Some(&w.acme), Some(json!({"group_ids": []}))).await;
    assert!(r.body.get("group_limit").is_none(), "{}", r.text);
}
