//! Sign-in an MSP can trust (issue 12): the burst-proof sign-in limit, client IPs behind a
//! trusted proxy, TOTP with recovery codes, and the `sign_in_policy` setting.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::auth::ratelimit;
use totp_rs::{Algorithm, Secret, TOTP};

const ROOT: &str = "root@ops.example";

/// The code an authenticator app shows at `ms` (Unix milliseconds) for `secret`.
fn code_at(secret: &str, ms: i64) -> String {
    let bytes = Secret::Encoded(secret.to_string()).to_bytes().unwrap();
    let t = TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, None, "x".into()).unwrap();
    t.generate((ms / 1000) as u64)
}

/// A step-aligned instant, so "+30 s" is the next step.
fn pinned_start() -> i64 {
    let now = server::db::now_ms();
    now - now % 30_000 + 5_000
}

async fn login_body(app: &TestApp, body: Value) -> (Resp, Option<Session>) {
    app.post_for_session("/api/v1/auth/login", body, None).await
}

/// Enrols TOTP for a signed-in session at the pinned time; the secret and the recovery codes.
async fn enrol(app: &TestApp, s: &Session, at: i64) -> (String, Vec<String>) {
    app.clock.set(at);
    let r = app.post("/api/v1/me/mfa/totp", Auth::Session(s), None, json!({"password": PASSWORD})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let secret = r.body["secret"].as_str().unwrap().to_string();
    let c = app.post("/api/v1/me/mfa/totp/confirm", Auth::Session(s), None, json!({"code": code_at(&secret, at)})).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text);
    let codes = c.body["recovery_codes"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    (secret, codes)
}

#[tokio::test]
async fn a_burst_of_wrong_passwords_gets_exactly_five_checks() {
    let app = spawn_app().await;
    app.superuser().await;
    let start = pinned_start();
    app.clock.set(start);
    let mut handles = Vec::new();
    for _ in 0..100 {
        let http = app.http.clone();
        let url = app.url("/api/v1/auth/login");
        handles.push(tokio::spawn(async move {
            http.post(url).json(&json!({"email": ROOT, "password": "wrong password"})).send().await.unwrap().status()
        }));
    }
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap());
    }
    let unauthorized = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let limited = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((unauthorized, limited), (5, 95), "{statuses:?}");
    // The right password is refused too until the window has passed (on the server's clock).
    let (right, session) = app.login_raw(ROOT, PASSWORD, None).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(session.is_none());
    app.clock.set(start + ratelimit::WINDOW_MS - 1_000);
    assert_eq!(app.login_raw(ROOT, PASSWORD, None).await.0.status, StatusCode::TOO_MANY_REQUESTS);
    app.clock.set(start + ratelimit::WINDOW_MS + 1_000);
    let (ok, session) = app.login_raw(ROOT, PASSWORD, None).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert!(session.is_some());
}

#[tokio::test]
async fn a_success_forgives_the_account_failures() {
    let app = spawn_app().await;
    app.superuser().await;
    for _ in 0..4 {
        assert_eq!(app.login_raw(ROOT, "wrong password", None).await.0.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.login_raw(ROOT, PASSWORD, None).await.0.status, StatusCode::OK);
    for attempt in 1..=5 {
        assert_eq!(app.login_raw(ROOT, "wrong password", None).await.0.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    assert_eq!(app.login_raw(ROOT, "wrong password", None).await.0.status, StatusCode::TOO_MANY_REQUESTS);
}

/// Sends 31 failed sign-ins for different (unknown) accounts with `X-Forwarded-For: first`,
/// then one more with `X-Forwarded-For: second`; the statuses of the 31st and of that one.
async fn ip_limit_probe(app: &TestApp, first: &str, second: &str) -> (StatusCode, StatusCode) {
    let send = |i: usize, xff: &str| {
        app.http
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", xff)
            .json(&json!({"email": format!("nobody{i}@nowhere.example"), "password": "wrong password"}))
            .send()
    };
    for i in 0..ratelimit::PER_IP as usize {
        assert_eq!(send(i, first).await.unwrap().status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let again = send(100, first).await.unwrap().status();
    let other = send(101, second).await.unwrap().status();
    (again, other)
}

#[tokio::test]
async fn forwarded_for_decides_the_ip_only_behind_a_trusted_proxy() {
    let proxied = spawn_app_with(|c| c.trusted_proxies = server::http::client_ip::Cidr::parse_list("127.0.0.1/32").unwrap()).await;
    let (again, other) = ip_limit_probe(&proxied, "203.0.113.5", "198.51.100.7, 203.0.113.6").await;
    assert_eq!((again, other), (StatusCode::TOO_MANY_REQUESTS, StatusCode::UNAUTHORIZED), "each client has its own limit");
    // The audit trail records the forwarded address too.
    proxied.superuser().await;
    let r = proxied
        .http
        .post(proxied.url("/api/v1/auth/login"))
        .header("x-forwarded-for", "192.0.2.44")
        .json(&json!({"email": ROOT, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ip: Option<String> = sqlx::query_scalar("SELECT ip FROM audit_events WHERE action = 'auth.login' ORDER BY seq DESC LIMIT 1")
        .fetch_one(&proxied.db.pool)
        .await
        .unwrap();
    assert_eq!(ip.as_deref(), Some("192.0.2.44"));

    let direct = spawn_app().await;
    let (again, other) = ip_limit_probe(&direct, "203.0.113.5", "203.0.113.6").await;
    assert_eq!((again, other), (StatusCode::TOO_MANY_REQUESTS, StatusCode::TOO_MANY_REQUESTS), "without trusted proxies the header changes nothing");
}

#[tokio::test]
async fn totp_enrolment_and_sign_in_with_codes_at_an_injected_time() {
    let app = spawn_app().await;
    let root = app.superuser().await;
    let other = app.login(ROOT, PASSWORD).await;
    let t0 = pinned_start();
    app.clock.set(t0);
    // Enrolment needs the password, and starts inactive.
    let bad = app.post("/api/v1/me/mfa/totp", Auth::Session(&root), None, json!({"password": "not it at all"})).await;
    assert_eq!((bad.status, bad.body["error"]["fields"]["password"].is_string()), (StatusCode::UNPROCESSABLE_ENTITY, true), "{}", bad.text);
    let r = app.post("/api/v1/me/mfa/totp", Auth::Session(&root), None, json!({"password": PASSWORD})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let secret = r.body["secret"].as_str().unwrap().to_string();
    let url = r.body["otpauth_url"].as_str().unwrap();
    assert!(url.starts_with("otpauth://totp/Tenantry:root%40ops.example?") && url.contains(&format!("secret={secret}")), "{url}");
    assert_eq!(app.get("/api/v1/me/mfa", Auth::Session(&root), None).await.body["totp"], false);
    assert_eq!(app.login_raw(ROOT, PASSWORD, None).await.0.status, StatusCode::OK, "not active before confirmation");
    let wrong = app.post("/api/v1/me/mfa/totp/confirm", Auth::Session(&root), None, json!({"code": code_at(&secret, t0 + 300_000)})).await;
    assert_eq!((wrong.status, wrong.body["error"]["fields"]["code"].is_string()), (StatusCode::UNPROCESSABLE_ENTITY, true), "{}", wrong.text);
    let c = app.post("/api/v1/me/mfa/totp/confirm", Auth::Session(&root), None, json!({"code": code_at(&secret, t0)})).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text);
    let codes: Vec<String> = c.body["recovery_codes"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert_eq!(codes.len(), 10);
    assert_eq!(codes.iter().collect::<std::collections::HashSet<_>>().len(), 10);
    assert_eq!(app.audit_actions("mfa.totp.enrol").await, 1);
    // Codes are stored hashed.
    let stored: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM recovery_codes").fetch_all(&app.db.pool).await.unwrap();
    assert!(stored.iter().all(|h| !codes.iter().any(|c| h.contains(&c.replace('-', "")))));
    // The factor change ended the other session, not this one.
    assert_eq!(app.get("/api/v1/me", Auth::Session(&other), None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/me", Auth::Session(&root), None).await.status, StatusCode::OK);
    let status = app.get("/api/v1/me/mfa", Auth::Session(&root), None).await;
    assert_eq!((status.body["totp"].clone(), status.body["recovery_codes_left"].clone()), (json!(true), json!(10)), "{}", status.text);

    // The password alone: 401 mfa_required, listing the methods, and no session.
    let (alone, session) = app.login_raw(ROOT, PASSWORD, None).await;
    assert_eq!((alone.status, alone.body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("mfa_required")), "{}", alone.text);
    assert_eq!(alone.body["error"]["fields"]["methods"], "totp,recovery_code");
    assert!(session.is_none());
    // The code of the step used to confirm can't be used again; the next step's can, once.
    let (reused, s) = login_body(&app, json!({"email": ROOT, "password": PASSWORD, "otp": code_at(&secret, t0)})).await;
    assert_eq!((reused.status, reused.body["error"]["fields"]["otp"].is_string(), s.is_none()), (StatusCode::UNAUTHORIZED, true, true), "{}", reused.text);
    app.clock.set(t0 + 30_000);
    let (ok, s) = login_body(&app, json!({"email": ROOT, "password": PASSWORD, "otp": code_at(&secret, t0 + 30_000)})).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert!(s.is_some());
    let (replayed, _) = login_body(&app, json!({"email": ROOT, "password": PASSWORD, "otp": code_at(&secret, t0 + 30_000)})).await;
    assert_eq!(replayed.status, StatusCode::UNAUTHORIZED, "a code works once");
    // Expired: two steps old.
    app.clock.set(t0 + 120_000);
    let (expired, _) = login_body(&app, json!({"email": ROOT, "password": PASSWORD, "otp": code_at(&secret, t0 + 60_000)})).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED, "{}", expired.text);
    // The previous step is still accepted (clock drift of one step).
    let (drift, _) = login_body(&app, json!({"email": ROOT, "password": PASSWORD, "otp": code_at(&secret, t0 + 90_000)})).await;
    assert_eq!(drift.status, StatusCode::OK, "{}", drift.text);

    // Each recovery code works exactly once, and its use is audited.
    let (rc, s) = login_body(&app, json!({"email": ROOT, "password": PASSWORD, "recovery_code": codes[3]})).await;
    assert_eq!(rc.status, StatusCode::OK, "{}", rc.text);
    let s = s.unwrap();
    let (again, _) = login_body(&app, json!({"email": ROOT, "password": PASSWORD, "recovery_code": codes[3]})).await;
    assert_eq!((again.status, again.body["error"]["fields"]["recovery_code"].is_string()), (StatusCode::UNAUTHORIZED, true), "{}", again.text);
    assert_eq!(app.audit_actions("mfa.recovery_code.use").await, 1);
    assert_eq!(app.get("/api/v1/me/mfa", Auth::Session(&s), None).await.body["recovery_codes_left"], 9);

    // Tokens need the second factor too.
    let t = app.post("/api/v1/auth/token", Auth::None, None, json!({"email": ROOT, "password": PASSWORD, "name": "ci"})).await;
    assert_eq!((t.status, t.body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("mfa_required")), "{}", t.text);
    app.clock.set(t0 + 150_000);
    let t = app.post("/api/v1/auth/token", Auth::None, None, json!({"email": ROOT, "password": PASSWORD, "name": "ci", "otp": code_at(&secret, t0 + 150_000)})).await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.text);

    // New recovery codes replace the old ones (with a fresh proof).
    let regen = app.post("/api/v1/me/mfa/recovery_codes", Auth::Session(&s), None, json!({"password": PASSWORD})).await;
    assert_eq!(regen.status, StatusCode::OK, "{}", regen.text);
    let (old, _) = login_body(&app, json!({"email": ROOT, "password": PASSWORD, "recovery_code": codes[4]})).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new_code = regen.body["recovery_codes"][0].as_str().unwrap();
    assert_eq!(login_body(&app, json!({"email": ROOT, "password": PASSWORD, "recovery_code": new_code})).await.0.status, StatusCode::OK);

    // Removing needs a proof, ends other sessions, and a password is enough again.
    let s2 = login_body(&app, json!({"email": ROOT, "password": PASSWORD, "recovery_code": regen.body["recovery_codes"][1]})).await.1.unwrap();
    let no_proof = app.request(reqwest::Method::DELETE, "/api/v1/me/mfa/totp", Auth::Session(&s), None, Some(json!({}))).await;
    assert_eq!(no_proof.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", no_proof.text);
    app.clock.set(t0 + 180_000);
    let del = app.request(reqwest::Method::DELETE, "/api/v1/me/mfa/totp", Auth::Session(&s), None, Some(json!({"otp": code_at(&secret, t0 + 180_000)}))).await;
    assert_eq!(del.status, StatusCode::NO_CONTENT, "{}", del.text);
    assert_eq!(app.audit_actions("mfa.totp.remove").await, 1);
    assert_eq!(app.get("/api/v1/me", Auth::Session(&s2), None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.login_raw(ROOT, PASSWORD, None).await.0.status, StatusCode::OK);
}

#[tokio::test]
async fn wrong_codes_count_against_the_sign_in_limit() {
    let app = spawn_app().await;
    let root = app.superuser().await;
    let t0 = pinned_start();
    let (secret, _) = enrol(&app, &root, t0).await;
    app.clock.set(t0 + 60_000);
    for attempt in 1..=5 {
        let (r, _) = login_body(&app, json!({"email": ROOT, "password": PASSWORD, "otp": "000000"})).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {attempt}: {}", r.text);
    }
    let (r, s) = login_body(&app, json!({"email": ROOT, "password": PASSWORD, "otp": code_at(&secret, t0 + 60_000)})).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    assert!(s.is_none());
    // Asking without a code (the first step of a two-step form) is not a failure.
    let app = spawn_app().await;
    let root = app.superuser().await;
    enrol(&app, &root, t0).await;
    for _ in 0..8 {
        assert_eq!(app.login_raw(ROOT, PASSWORD, None).await.0.body["error"]["code"], "mfa_required");
    }
}

#[tokio::test]
async fn the_msp_policy_forces_enrolment_for_its_staff_and_when_asked_for_its_customers() {
    let app = spawn_app().await;
    let w = app.world().await;
    let staff = "tech@contoso.example";
    let customer_user = "user@acme.example";
    let foreign_user = "user@initech.example";
    app.add_user(&w.root, &w.msp, staff, "member").await;
    app.add_user(&w.root, &w.acme, customer_user, "member").await;
    app.add_user(&w.root, &w.foreign, foreign_user, "member").await;
    // The other MSP has a setting of its own (off); Contoso's must not reach its customers
    // (checked below; the other way round in `another_msps_policy_binds_only_its_own_people`).
    let r = app.put("/api/v1/settings/sign_in_policy", Auth::Session(&w.root), Some(&w.other_msp), json!({"value": {"require_mfa": false}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let bad = app.put("/api/v1/settings/sign_in_policy", Auth::Session(&w.root), Some(&w.msp), json!({"value": {"require_mfa": "yes"}})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let r = app.put("/api/v1/settings/sign_in_policy", Auth::Session(&w.root), Some(&w.msp), json!({"value": {"require_mfa": true}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(app.audit_actions("setting.set").await >= 2);

    // Staff: signed in, but may only enrol.
    let (resp, s) = app.login_raw(staff, PASSWORD, None).await;
    assert_eq!((resp.status, resp.body["mfa_enrollment_required"].clone()), (StatusCode::OK, json!(true)), "{}", resp.text);
    let s = s.unwrap();
    let blocked = app.get("/api/v1/orgs", Auth::Session(&s), None).await;
    assert_eq!((blocked.status, blocked.body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("mfa_enrollment_required")), "{}", blocked.text);
    assert_eq!(app.get("/api/v1/me", Auth::Session(&s), None).await.body["mfa_enrollment_required"], true);
    assert_eq!(app.get("/api/v1/me/mfa", Auth::Session(&s), None).await.body["required_by_policy"], true);
    // No token without the second factor.
    let t = app.post("/api/v1/auth/token", Auth::None, None, json!({"email": staff, "password": PASSWORD, "name": "script"})).await;
    assert_eq!((t.status, t.body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("mfa_required")), "{}", t.text);
    // Customers aren't bound unless the MSP says so.
    let (c, _) = app.login_raw(customer_user, PASSWORD, None).await;
    assert_eq!(c.body["mfa_enrollment_required"], false, "{}", c.text);
    let r = app.put("/api/v1/settings/sign_in_policy", Auth::Session(&w.root), Some(&w.msp), json!({"value": {"require_mfa": true, "apply_to_customers": true}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let (c, cs) = app.login_raw(customer_user, PASSWORD, None).await;
    assert_eq!(c.body["mfa_enrollment_required"], true, "{}", c.text);
    let cs = cs.unwrap();
    assert_eq!(app.get("/api/v1/org", Auth::Session(&cs), None).await.status, StatusCode::FORBIDDEN);
    // The customer can't switch its MSP's mandate off.
    let r = app.put("/api/v1/settings/sign_in_policy", Auth::Session(&w.root), Some(&w.acme), json!({"value": {"require_mfa": false}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(app.login_raw(customer_user, PASSWORD, None).await.0.body["mfa_enrollment_required"], true);
    // Another MSP's customer is untouched.
    let (f, fs) = app.login_raw(foreign_user, PASSWORD, None).await;
    assert_eq!(f.body["mfa_enrollment_required"], false, "{}", f.text);
    assert_eq!(app.get("/api/v1/org", Auth::Session(&fs.unwrap()), None).await.status, StatusCode::OK);

    // Enrolling lifts the restriction; from then on the code is asked for at sign-in.
    let t0 = pinned_start();
    let (secret, _) = enrol(&app, &s, t0).await;
    assert_eq!(app.get("/api/v1/orgs", Auth::Session(&s), None).await.status, StatusCode::OK);
    assert_eq!(app.login_raw(staff, PASSWORD, None).await.0.body["error"]["code"], "mfa_required");
    // The People list shows who is protected.
    let people = app.get("/api/v1/users", Auth::Session(&w.root), Some(&w.msp)).await;
    let mfa_of = |email: &str| people.body["items"].as_array().unwrap().iter().find(|m| m["user"]["email"] == email).map(|m| m["mfa"].clone());
    assert_eq!(mfa_of(staff), Some(json!(["totp"])), "{}", people.text);
    assert_eq!(mfa_of("root@ops.example"), None);
    // The MSP overview counts, per customer and in total, the users with a second factor.
    enrol(&app, &cs, t0 + 60_000).await;
    let o = app.get("/api/v1/overview", Auth::Session(&w.root), Some(&w.msp)).await;
    assert_eq!(o.status, StatusCode::OK, "{}", o.text);
    let row = |id: &str| o.body["items"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap()["protected_users"].clone();
    assert_eq!((row(&w.acme), row(&w.globex), o.body["totals"]["protected_users"].clone()), (json!(1), json!(0), json!(1)), "{}", o.text);
    app.clock.set(t0 + 30_000);
    let t = app.post("/api/v1/auth/token", Auth::None, None, json!({"email": staff, "password": PASSWORD, "name": "script", "otp": code_at(&secret, t0 + 30_000)})).await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.text);
}

#[tokio::test]
async fn another_msps_policy_binds_only_its_own_people() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.msp, "tech@contoso.example", "member").await;
    app.add_user(&w.root, &w.acme, "user@acme.example", "member").await;
    app.add_user(&w.root, &w.other_msp, "tech@umbrella.example", "member").await;
    app.add_user(&w.root, &w.foreign, "user@initech.example", "member").await;
    let r = app.put("/api/v1/settings/sign_in_policy", Auth::Session(&w.root), Some(&w.other_msp), json!({"value": {"require_mfa": true, "apply_to_customers": true}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let bound = |email: &'static str| {
        let app = &app;
        async move {
            let (r, _) = app.login_raw(email, PASSWORD, None).await;
            assert_eq!(r.status, StatusCode::OK, "{email}: {}", r.text);
            r.body["mfa_enrollment_required"].as_bool().unwrap()
        }
    };
    assert!(bound("tech@umbrella.example").await, "its staff");
    assert!(bound("user@initech.example").await, "its customer's users");
    assert!(!bound("tech@contoso.example").await, "not another MSP's staff");
    assert!(!bound("user@acme.example").await, "nor another MSP's customers");
    // Tokens follow the same lines.
    let t = app.post("/api/v1/auth/token", Auth::None, None, json!({"email": "user@initech.example", "password": PASSWORD, "name": "script"})).await;
    assert_eq!((t.status, t.body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("mfa_required")), "{}", t.text);
    let t = app.post("/api/v1/auth/token", Auth::None, None, json!({"email": "user@acme.example", "password": PASSWORD, "name": "script"})).await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.text);
}

#[tokio::test]
async fn a_customer_can_require_mfa_for_itself_and_its_children() {
    let app = spawn_app().await;
    let w = app.world().await;
    let staff = "tech@contoso.example";
    let customer_user = "user@acme.example";
    app.add_user(&w.root, &w.msp, staff, "member").await;
    app.add_user(&w.root, &w.acme_child, customer_user, "member").await;
    let r = app.put("/api/v1/settings/sign_in_policy", Auth::Session(&w.root), Some(&w.acme), json!({"value": {"require_mfa": true}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(app.login_raw(customer_user, PASSWORD, None).await.0.body["mfa_enrollment_required"], true, "the child inherits");
    assert_eq!(app.login_raw(staff, PASSWORD, None).await.0.body["mfa_enrollment_required"], false, "it binds no one above");
}

#[tokio::test]
async fn the_openapi_document_lists_the_sign_in_factor_endpoints() {
    let app = spawn_app().await;
    let doc = app.get("/api/openapi.json", Auth::None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    for path in ["/api/v1/me/mfa", "/api/v1/me/mfa/totp", "/api/v1/me/mfa/totp/confirm", "/api/v1/me/mfa/recovery_codes"] {
        assert!(doc.body["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc.body["paths"]["/api/v1/me/mfa/totp"]["delete"].is_object());
    let codes = doc.body["components"]["schemas"]["ErrorCode"].to_string();
    assert!(codes.contains("mfa_required") && codes.contains("mfa_enrollment_required"), "{codes}");
    let login = doc.body["components"]["schemas"]["LoginRequest"]["properties"].clone();
    assert!(login["otp"].is_object() && login["recovery_code"].is_object(), "{login}");
    let policy = doc.body["components"]["schemas"]["SignInPolicy"]["properties"].clone();
    assert!(policy["require_mfa"].is_object() && policy["apply_to_customers"].is_object(), "{policy}");
}
