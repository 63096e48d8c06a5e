use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn unknown_email_and_wrong_password_answer_identically() {
    let app = spawn_app().await;
    app.superuser().await;
    let (wrong, s1) = app.login_raw("root@ops.example", "not the password", None).await;
    let (unknown, s2) = app.login_raw("nobody@ops.example", "not the password", None).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.text, unknown.text, "bodies must not tell which was wrong");
    assert!(s1.is_none() && s2.is_none(), "no session cookie on failure");
    assert_eq!(wrong.body["error"]["code"], "unauthorized");
}

#[tokio::test]
async fn sixth_rapid_failure_on_one_account_is_rate_limited() {
    let app = spawn_app().await;
    app.superuser().await;
    for attempt in 1..=5 {
        let (r, _) = app.login_raw("root@ops.example", "wrong password", None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let (sixth, _) = app.login_raw("root@ops.example", "wrong password", None).await;
    assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sixth.body["error"]["code"], "rate_limited");
    // Even the right password is refused while limited: the limiter runs before the check.
    let (right, session) = app.login_raw("root@ops.example", PASSWORD, None).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(session.is_none());
}

#[tokio::test]
async fn cookie_write_without_csrf_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let root = app.superuser().await;
    let orgs_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orgs").fetch_one(&app.db.pool).await.unwrap();
    let audit_before = app.audit_count().await;
    let r = app
        .post("/api/v1/orgs", Auth::SessionNoCsrf(&root), None, json!({"name": "Sneaky MSP", "kind": "msp", "email_domain": "sneaky.example"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("CSRF"));
    let mut wrong = root.clone();
    wrong.csrf = "forged".into();
    let r = app.post("/api/v1/orgs", Auth::Session(&wrong), None, json!({"name": "Sneaky MSP", "kind": "msp", "email_domain": "sneaky.example"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let orgs_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orgs").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(orgs_before, orgs_after);
    assert_eq!(audit_before, app.audit_count().await);
    // With the token it works, and reads never needed it.
    let ok = app.post("/api/v1/orgs", Auth::Session(&root), None, json!({"name": "Real MSP", "kind": "msp", "email_domain": "real.example"})).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    assert_eq!(app.get("/api/v1/me", Auth::SessionNoCsrf(&root), None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn tokens_work_as_bearer_until_revoked_and_are_never_shown_again() {
    let app = spawn_app().await;
    let root = app.superuser().await;
    let created = app
        .post("/api/v1/auth/token", Auth::None, None, json!({"email": "root@ops.example", "password": PASSWORD, "name": "ci script"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let token = created.body["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("tnt_") && token.len() > 40);
    let me = app.get("/api/v1/me", Auth::Bearer(&token), None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["user"]["email"], "root@ops.example");
    assert!(me.body["csrf_token"].is_null(), "bearer requests don't use CSRF");
    // A bearer write needs no CSRF token.
    let w = app.post("/api/v1/orgs", Auth::Bearer(&token), None, json!({"name": "Script MSP", "kind": "msp", "email_domain": "script.example"})).await;
    assert_eq!(w.status, StatusCode::CREATED, "{}", w.text);
    let list = app.get("/api/v1/tokens", Auth::Session(&root), None).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert!(!list.text.contains(&token[4..]), "the secret never comes back");
    let id = created.id();
    let del = app.request(reqwest::Method::DELETE, &format!("/api/v1/tokens/{id}"), Auth::Session(&root), None, None).await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);
    let after = app.get("/api/v1/me", Auth::Bearer(&token), None).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    let again = app.request(reqwest::Method::DELETE, &format!("/api/v1/tokens/{id}"), Auth::Session(&root), None, None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sign_out_kills_the_session() {
    let app = spawn_app().await;
    let root = app.superuser().await;
    assert_eq!(app.get("/api/v1/me", Auth::Session(&root), None).await.status, StatusCode::OK);
    let out = app.post("/api/v1/auth/logout", Auth::Session(&root), None, json!({})).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let cleared = out.headers.get_all("set-cookie").iter().any(|c| c.to_str().unwrap().starts_with("tenantry_session=;"));
    assert!(cleared, "the cookie is cleared");
    // Replaying the old cookie gets nothing.
    assert_eq!(app.get("/api/v1/me", Auth::Session(&root), None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sign_in_rotates_the_session_and_sets_host_only_cookies() {
    let app = spawn_app().await;
    let first = app.superuser().await;
    let (resp, second) = app.login_raw("root@ops.example", PASSWORD, Some(&first.cookie)).await;
    let second = second.unwrap();
    assert_ne!(first.cookie, second.cookie);
    assert_eq!(app.get("/api/v1/me", Auth::Session(&first), None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/me", Auth::Session(&second), None).await.status, StatusCode::OK);
    let set_cookie: Vec<String> = resp.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_lowercase()).collect();
    let session_cookie = set_cookie.iter().find(|c| c.starts_with("tenantry_session=")).unwrap();
    assert!(session_cookie.contains("httponly") && session_cookie.contains("path=/"));
    assert!(!session_cookie.contains("domain="), "host-only");
    // 256-bit id, stored only as a hash.
    let raw = second.cookie.split_once('=').unwrap().1;
    assert!(raw.len() >= 43);
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE id_hash = $1").bind(raw).fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(stored, 0, "the raw id is not in the database");
}

#[tokio::test]
async fn idle_and_absolute_timeouts_end_sessions() {
    let app = spawn_app().await;
    let root = app.superuser().await;
    let other = app.login("root@ops.example", PASSWORD).await;
    let now = server::db::now_ms();
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE user_id = $2").bind(now - 16 * 60 * 1000).bind(&root.user_id).execute(&app.db.pool).await.unwrap();
    app.authz_changed().await;
    assert_eq!(app.get("/api/v1/me", Auth::Session(&root), None).await.status, StatusCode::UNAUTHORIZED, "idle 16 min");
    let s = app.login("root@ops.example", PASSWORD).await;
    sqlx::query("UPDATE sessions SET expires_at = $1").bind(now - 1).execute(&app.db.pool).await.unwrap();
    app.authz_changed().await;
    assert_eq!(app.get("/api/v1/me", Auth::Session(&s), None).await.status, StatusCode::UNAUTHORIZED, "past 8 h");
    let _ = other;
}

#[tokio::test]
async fn bad_login_input_names_the_field() {
    let app = spawn_app().await;
    let (r, _) = app.login_raw("", "", None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["error"]["fields"]["email"].is_string());
    assert!(r.body["error"]["fields"]["password"].is_string());
    let malformed = app.http.post(app.url("/api/v1/auth/login")).header("content-type", "application/json").body("{not json").send().await.unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn openapi_document_and_pages_are_served() {
    let app = spawn_app().await;
    let doc = app.get("/api/openapi.json", Auth::None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    for path in ["/api/v1/auth/login", "/api/v1/orgs", "/api/v1/customers/{id}/delegations", "/api/v1/audit"] {
        assert!(doc.body["paths"][path].is_object(), "{path} documented");
    }
    let login = app.http.get(app.url("/login")).send().await.unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let csp = login.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("nonce-"), "{csp}");
    let html = login.text().await.unwrap();
    assert!(html.contains("Sign in") && html.contains("/pkg/tenantry"), "{html}");
    let missing = app.get("/api/v1/nope", Auth::None, None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["error"]["code"], "not_found");
}

#[tokio::test]
async fn disabled_user_and_suspended_org_lose_access_at_once() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.acme, "carol@acme.example", "admin").await;
    app.add_user(&w.root, &w.acme, "dave@acme.example", "member").await;
    let dave = app.login("dave@acme.example", PASSWORD).await;
    let carol = app.login("carol@acme.example", PASSWORD).await;
    let r = app.request(reqwest::Method::PATCH, &format!("/api/v1/users/{}", dave.user_id), Auth::Session(&carol), None, Some(json!({"status": "disabled"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(app.get("/api/v1/me", Auth::Session(&dave), None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.login_raw("dave@acme.example", PASSWORD, None).await.0.status, StatusCode::UNAUTHORIZED);
    // Suspending Acme (from the MSP above) stops Carol's session and sign-in too.
    let s = app.request(reqwest::Method::PATCH, &format!("/api/v1/orgs/{}", w.acme), Auth::Session(&w.root), None, Some(json!({"status": "suspended"}))).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text);
    assert_eq!(app.get("/api/v1/me", Auth::Session(&carol), None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.login_raw("carol@acme.example", PASSWORD, None).await.0.status, StatusCode::UNAUTHORIZED);
}
