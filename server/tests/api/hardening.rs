//! Issue 17, server side: hostile input and the holes an attacker tries first. Each test
//! fails on the code before the fix.
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A raw request: any body, any content type (or none).
async fn raw(app: &TestApp, method: Method, path: &str, s: Option<&Session>, content_type: Option<&str>, body: Vec<u8>) -> Resp {
    let mut req = app.http.request(method, app.url(path)).body(body);
    if let Some(s) = s {
        req = req.header("cookie", &s.cookie).header("x-csrf-token", &s.csrf);
    }
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    Resp::read(req.send().await.unwrap()).await
}

/// The answer is `{"error": {code, message, …}}` with this status and code.
fn enveloped(r: &Resp, status: StatusCode, code: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.body["error"]["code"], code, "not the envelope: {}", r.text);
    assert!(r.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", r.text);
    assert!(r.headers.get("content-type").unwrap().to_str().unwrap().starts_with("application/json"), "{:?}", r.headers);
}

#[tokio::test]
async fn hardening_every_rejection_answers_in_the_envelope_naming_the_field() {
    let app = spawn_app().await;
    let root = app.superuser().await;
    let login = |body: &'static str| raw(&app, Method::POST, "/api/v1/auth/login", None, Some("application/json"), body.into());
    // Missing field, wrong type, unknown variant: 422 naming the field.
    let r = login(r#"{"email": "root@ops.example"}"#).await;
    enveloped(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(r.body["error"]["fields"]["password"], "is required", "{}", r.text);
    let r = login(r#"{"email": 5, "password": "x"}"#).await;
    enveloped(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(r.body["error"]["fields"]["email"].as_str().unwrap().contains("invalid type"), "{}", r.text);
    let r = app.post("/api/v1/orgs", Auth::Session(&root), None, json!({"name": "X", "kind": "galaxy", "email_domain": "x.example"})).await;
    enveloped(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(r.body["error"]["fields"]["kind"].is_string(), "{}", r.text);
    // A nested field is named by its path.
    let r = app.post("/api/v1/notifications", Auth::Session(&root), None, json!({"target": {"kind": "user", "user_id": "nope"}, "title": "t"})).await;
    enveloped(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let fields = r.body["error"]["fields"].as_object().unwrap();
    assert!(fields.keys().any(|k| k.starts_with("target")), "{}", r.text);
    // Not JSON at all: 400. No or another content type: 415.
    enveloped(&login("email=a&password=b").await, StatusCode::BAD_REQUEST, "bad_request");
    enveloped(&login(r#"{"email": "a", "password": "b"} trailing"#).await, StatusCode::BAD_REQUEST, "bad_request");
    let r = raw(&app, Method::POST, "/api/v1/auth/login", None, None, br#"{"email": "a", "password": "b"}"#.to_vec()).await;
    enveloped(&r, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let r = raw(&app, Method::POST, "/api/v1/auth/login", None, Some("text/plain"), br#"{"email": "a", "password": "b"}"#.to_vec()).await;
    enveloped(&r, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    // Query parameters.
    let r = app.get("/api/v1/orgs?limit=lots", Auth::Session(&root), None).await;
    enveloped(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(r.body["error"]["fields"]["limit"].is_string(), "{}", r.text);
    let r = app.get("/api/v1/inbox?unread=maybe", Auth::Session(&root), None).await;
    enveloped(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(r.body["error"]["fields"]["unread"].is_string(), "{}", r.text);
    // A body over the limit: 413 naming the limit.
    let big = format!(r#"{{"name": "{}", "kind": "msp", "email_domain": "big.example"}}"#, "x".repeat(2 * 1024 * 1024));
    let r = raw(&app, Method::POST, "/api/v1/orgs", Some(&root), Some("application/json"), big.into_bytes()).await;
    enveloped(&r, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert!(r.body["error"]["message"].as_str().unwrap().contains("2 MiB"), "{}", r.text);
    // A method the path doesn't have: 405, still the envelope, `Allow` kept.
    let r = raw(&app, Method::DELETE, "/api/v1/auth/login", None, None, Vec::new()).await;
    enveloped(&r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    assert!(r.headers.get("allow").is_some());
    // Nothing above wrote anything.
    let orgs: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM orgs").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(orgs, 1, "only the superuser's home org");
}

#[tokio::test]
async fn hardening_unknown_fields_are_refused_and_new_viewers_can_be_group_limited() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = Auth::Session(&w.root);
    let desk = app.post("/api/v1/groups", root.clone(), Some(&w.acme), json!({"name": "Front desk"})).await.id();
    let lab = app.post("/api/v1/groups", root.clone(), Some(&w.acme), json!({"name": "Lab"})).await.id();
    let globex_group = app.post("/api/v1/groups", root.clone(), Some(&w.globex), json!({"name": "Front desk"})).await.id();
    for (path, body) in [
        ("/api/v1/users", json!({"email": "v@acme.example", "name": "V", "role": "viewer", "password": PASSWORD, "groups": [desk]})),
        ("/api/v1/assets", json!({"kind": "computer", "name": "pc", "open_alert": 3})),
        ("/api/v1/groups", json!({"name": "G", "colour": "red"})),
        ("/api/v1/notifications", json!({"target": {"kind": "org"}, "title": "t", "urgent": true})),
    ] {
        let r = app.post(path, root.clone(), Some(&w.acme), body).await;
        enveloped(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        let fields = r.body["error"]["fields"].as_object().unwrap();
        assert_eq!(fields.len(), 1, "{}", r.text);
        assert_eq!(fields.values().next().unwrap(), "unknown field", "{path}: {}", r.text);
    }
    let users: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM users WHERE email = 'v@acme.example'").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(users, 0, "a refused body changes nothing");
    // group_ids on create: validated, viewers only, and it limits what the viewer sees.
    let add = |email: &'static str, role: &'static str, groups: Value| {
        app.post("/api/v1/users", root.clone(), Some(&w.acme), json!({"email": email, "name": email, "role": role, "password": PASSWORD, "group_ids": groups}))
    };
    let r = add("v@acme.example", "viewer", json!([globex_group])).await;
    enveloped(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(r.body["error"]["fields"]["group_ids"].is_string());
    let r = add("m@acme.example", "member", json!([desk])).await;
    enveloped(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(r.body["error"]["fields"]["group_ids"].is_string());
    let r = add("v@acme.example", "viewer", json!([desk])).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    app.post("/api/v1/assets", root.clone(), Some(&w.acme), json!({"kind": "computer", "name": "desk-pc", "group_id": desk})).await;
    app.post("/api/v1/assets", root.clone(), Some(&w.acme), json!({"kind": "computer", "name": "lab-pc", "group_id": lab})).await;
    app.post("/api/v1/assets", root.clone(), Some(&w.acme), json!({"kind": "computer", "name": "loose-pc"})).await;
    let v = app.login("v@acme.example", PASSWORD).await;
    let seen = app.get("/api/v1/assets", Auth::Session(&v), Some(&w.acme)).await;
    let names: Vec<&str> = seen.body["items"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["desk-pc"], "{}", seen.text);
}

#[tokio::test]
async fn hardening_numbers_have_bounds_and_cursors_never_wrap() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = Auth::Session(&w.root);
    for bad in [json!(-1), json!(1_000_001), json!(i64::MAX), json!(1e30), json!("5")] {
        let r = app.post("/api/v1/assets", root.clone(), Some(&w.acme), json!({"kind": "computer", "name": "pc", "open_alerts": bad})).await;
        enveloped(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert!(r.body["error"]["fields"]["open_alerts"].is_string(), "{bad}: {}", r.text);
    }
    let pc = app.post("/api/v1/assets", root.clone(), Some(&w.acme), json!({"kind": "computer", "name": "pc", "open_alerts": 1_000_000})).await;
    assert_eq!(pc.status, StatusCode::CREATED, "{}", pc.text);
    let r = app.patch(&format!("/api/v1/assets/{}", pc.id()), root.clone(), Some(&w.acme), json!({"open_alerts": 1_000_001})).await;
    enveloped(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    // Cursors and limits outside their range: 422 naming them, never a wrapped or negative offset.
    for path in [
        "/api/v1/overview?cursor=-5",
        "/api/v1/overview?cursor=18446744073709551615",
        "/api/v1/overview?limit=501",
        "/api/v1/customers?cursor=9223372036854775808",
        "/api/v1/customers?cursor=99999999999999999999999",
        "/api/v1/assets?limit=0",
        "/api/v1/audit?cursor=0",
        "/api/v1/audit?cursor=-1",
    ] {
        let org = if path.contains("assets") { &w.acme } else { &w.msp };
        let r = app.get(path, root.clone(), Some(org)).await;
        enveloped(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        let field = if path.contains("limit") { "limit" } else { "cursor" };
        assert!(r.body["error"]["fields"][field].is_string(), "{path}: {}", r.text);
    }
    let r = app.get("/api/v1/overview", root.clone(), Some(&w.msp)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["totals"]["open_alerts"], 1_000_000);
}

#[tokio::test]
async fn hardening_moving_a_customer_to_another_msp_removes_and_audits_its_delegations() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = Auth::Session(&w.root);
    let tech = app.add_user(&w.root, &w.msp, "tom@contoso.example", "member").await;
    let r = app.post(&format!("/api/v1/customers/{}/delegations", w.acme), root.clone(), Some(&w.msp), json!({"user_id": tech})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let tom = app.login("tom@contoso.example", PASSWORD).await;
    assert_eq!(app.get("/api/v1/org", Auth::Session(&tom), Some(&w.acme_child)).await.status, StatusCode::OK);
    // Moving within the same MSP keeps it… (nothing to move here), so move to the other MSP.
    let r = app.put(&format!("/api/v1/orgs/{}/parent", w.acme), root.clone(), None, json!({"parent_id": w.other_msp})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(app.get("/api/v1/org", Auth::Session(&tom), Some(&w.acme)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/org", Auth::Session(&tom), Some(&w.acme_child)).await.status, StatusCode::NOT_FOUND);
    let left: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM delegations").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(left, 0);
    let summary: String = sqlx::query_scalar("SELECT summary FROM audit_events WHERE action = 'delegation.revoke' AND org_id = $1")
        .bind(&w.acme)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(summary.contains("tom@contoso.example") && summary.contains("another MSP"), "{summary}");
    assert_eq!(server::audit::verify(&app.db).await.unwrap(), Ok(app.audit_count().await));
}

#[tokio::test]
async fn hardening_sign_out_everywhere_ends_every_session_of_the_user() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.msp, "alice@contoso.example", "admin").await;
    let laptop = app.login("alice@contoso.example", PASSWORD).await;
    let phone = app.login("alice@contoso.example", PASSWORD).await;
    // A third session, on a tenant's own host.
    let h = app.post("/api/v1/auth/handoff", Auth::Session(&laptop), None, json!({"org_id": w.acme})).await;
    let url = h.body["url"].as_str().unwrap().to_string();
    let tenant = app.complete_handoff(&url[url.find("/auth/handoff").unwrap()..], "acme-contoso-msp.localhost", &laptop).await;
    let tenant_cookie = set_cookie(&tenant, "tenantry_session").expect("a session on the tenant host");
    let other = app.login("root@ops.example", PASSWORD).await;
    let r = app.post("/api/v1/auth/logout-all", Auth::Session(&phone), None, json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    for s in [&laptop, &phone] {
        assert_eq!(app.get("/api/v1/me", Auth::Session(s), None).await.status, StatusCode::UNAUTHORIZED);
    }
    let on_tenant = app.http.get(app.url("/api/v1/me")).header("host", format!("acme-contoso-msp.localhost:{}", app.addr.port())).header("cookie", &tenant_cookie).send().await.unwrap();
    assert_eq!(on_tenant.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/me", Auth::Session(&other), None).await.status, StatusCode::OK, "other users keep theirs");
    assert_eq!(app.audit_actions("auth.logout_all").await, 1);
}

#[tokio::test]
async fn hardening_a_handoff_signs_in_only_the_browser_that_asked_for_it() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.msp, "mallory@contoso.example", "admin").await;
    app.add_user(&w.root, &w.msp, "alice@contoso.example", "admin").await;
    let mallory = app.login("mallory@contoso.example", PASSWORD).await;
    let alice = app.login("alice@contoso.example", PASSWORD).await;
    let host = "acme-contoso-msp.localhost";
    let code_path = |r: &Resp| {
        let url = r.body["url"].as_str().unwrap().to_string();
        url[url.find("/auth/handoff").unwrap()..].to_string()
    };
    // Mallory sends Alice her link; Alice's browser (her own session on the main host) follows it.
    let h = app.post("/api/v1/auth/handoff", Auth::Session(&mallory), None, json!({"org_id": w.acme})).await;
    let planted = app.complete_handoff(&code_path(&h), host, &alice).await;
    assert!(set_cookie(&planted, "tenantry_session").is_none(), "Mallory's session planted in Alice's browser");
    // Mallory binds her code to her own browser first, then sends the link: still nothing.
    let h = app.post("/api/v1/auth/handoff", Auth::Session(&mallory), None, json!({"org_id": w.acme})).await;
    let path = code_path(&h);
    let tenant = format!("{host}:{}", app.addr.port());
    let first = app.http.get(app.url(&path)).header("host", &tenant).send().await.unwrap();
    let location = first.headers().get("location").unwrap().to_str().unwrap().to_string();
    let confirm = &location[location.find("/auth/handoff/confirm").unwrap()..];
    let back = app.http.get(app.url(confirm)).header("cookie", &mallory.cookie).send().await.unwrap();
    assert!(back.headers().get("location").unwrap().to_str().unwrap().contains("/auth/handoff?code="));
    let victim = app.http.get(app.url(&path)).header("host", &tenant).send().await.unwrap();
    assert!(set_cookie(&victim, "tenantry_session").is_none());
    let with_other_nonce = app.http.get(app.url(&path)).header("host", &tenant).header("cookie", "tenantry_handoff=guess").send().await.unwrap();
    assert!(set_cookie(&with_other_nonce, "tenantry_session").is_none());
    // A forged Host when asking can't send the binding step anywhere but this installation.
    let forged = app
        .http
        .post(app.url("/api/v1/auth/handoff"))
        .header("host", "evil.example")
        .header("cookie", &mallory.cookie)
        .header("x-csrf-token", &mallory.csrf)
        .json(&json!({"org_id": w.acme}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::OK);
    let url = forged.json::<Value>().await.unwrap()["url"].as_str().unwrap().to_string();
    let first = app.http.get(app.url(&url[url.find("/auth/handoff").unwrap()..])).header("host", &tenant).send().await.unwrap();
    let location = first.headers().get("location").unwrap().to_str().unwrap();
    assert!(location.starts_with(&format!("http://localhost:{}/auth/handoff/confirm?", app.addr.port())), "{location}");
    // A bearer token can't make a handoff (there is no browser to bind it to).
    let token = app.post("/api/v1/auth/token", Auth::None, None, json!({"email": "alice@contoso.example", "password": PASSWORD, "name": "script"})).await;
    let token = token.body["token"].as_str().unwrap().to_string();
    let r = app.post("/api/v1/auth/handoff", Auth::Bearer(&token), None, json!({"org_id": w.acme})).await;
    enveloped(&r, StatusCode::FORBIDDEN, "forbidden");
    // The browser that asked still gets in.
    let h = app.post("/api/v1/auth/handoff", Auth::Session(&alice), None, json!({"org_id": w.acme})).await;
    let ok = app.complete_handoff(&code_path(&h), host, &alice).await;
    assert!(set_cookie(&ok, "tenantry_session").is_some());
}

#[tokio::test]
async fn hardening_create_superuser_refuses_an_existing_email_unless_promoting_and_then_ends_its_sessions() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.msp, "alice@contoso.example", "member").await;
    let alice = app.login("alice@contoso.example", PASSWORD).await;
    let token = app.post("/api/v1/auth/token", Auth::None, None, json!({"email": "alice@contoso.example", "password": PASSWORD, "name": "script"})).await;
    let token = token.body["token"].as_str().unwrap().to_string();
    let err = server::tools::demo::create_superuser_with(&app.db, "alice@contoso.example", None, "another long password", false).await.unwrap_err();
    assert!(err.to_string().contains("--promote-existing"), "{err}");
    assert_eq!(app.get("/api/v1/me", Auth::Session(&alice), None).await.body["is_superuser"], false);
    assert_eq!(app.get("/api/v1/me", Auth::Bearer(&token), None).await.status, StatusCode::OK, "refusing changed nothing");
    server::tools::demo::create_superuser_with(&app.db, "alice@contoso.example", None, "another long password", true).await.unwrap();
    assert_eq!(app.get("/api/v1/me", Auth::Session(&alice), None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/me", Auth::Bearer(&token), None).await.status, StatusCode::UNAUTHORIZED);
    let again = app.login("alice@contoso.example", "another long password").await;
    assert_eq!(app.get("/api/v1/me", Auth::Session(&again), None).await.body["is_superuser"], true);
}

#[tokio::test]
async fn hardening_audit_csv_neutralises_formulas_and_request_ids_are_safe_tokens() {
    let app = spawn_app().await;
    let root = app.superuser().await;
    let with_id = |id: &str| {
        let req = app.http.get(app.url("/api/v1/me")).header("cookie", &root.cookie).header("x-request-id", id);
        async move { req.send().await.unwrap().headers().get("x-request-id").unwrap().to_str().unwrap().to_string() }
    };
    assert_eq!(with_id("abc-123.X_9").await, "abc-123.X_9", "a safe id is kept");
    for hostile in ["<script>alert(1)</script>", "=1+1", &"a".repeat(65), "a b", "a/b"] {
        let got = with_id(hostile).await;
        assert_ne!(got, hostile);
        assert!(uuid::Uuid::parse_str(&got).is_ok(), "the server made its own: {got}");
    }
    // A formula-looking cell in the export: an id that starts with `-` is a safe token but
    // a dangerous cell, and org names are typed by users.
    let r = app
        .http
        .post(app.url("/api/v1/orgs"))
        .header("cookie", &root.cookie)
        .header("x-csrf-token", &root.csrf)
        .header("x-request-id", "-2-3")
        .json(&json!({"name": "=HYPERLINK(\"http://evil\")", "kind": "msp", "email_domain": "evil.example", "slug": "evil"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let org = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let csv = app.http.get(app.url(&format!("/api/v1/audit?format=csv&org_id={org}"))).header("cookie", &root.cookie).send().await.unwrap().text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let mut cells = 0;
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            cells += 1;
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "a live formula cell: {cell:?}");
        }
    }
    assert!(cells > 0);
    assert!(csv.contains("'-2-3"), "{csv}");
}

#[tokio::test]
async fn hardening_alerts_reach_group_limited_viewers_only_for_their_assets_and_the_inbox_hides_lost_orgs() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = Auth::Session(&w.root);
    let desk = app.post("/api/v1/groups", root.clone(), Some(&w.acme), json!({"name": "Front desk"})).await.id();
    let lab = app.post("/api/v1/groups", root.clone(), Some(&w.acme), json!({"name": "Lab"})).await.id();
    let r = app.post("/api/v1/users", root.clone(), Some(&w.acme), json!({"email": "v@acme.example", "name": "V", "role": "viewer", "password": PASSWORD, "group_ids": [desk]})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    app.add_user(&w.root, &w.acme, "m@acme.example", "member").await;
    let v = app.login("v@acme.example", PASSWORD).await;
    let m = app.login("m@acme.example", PASSWORD).await;
    let titles = |s: Session| {
        let app = &app;
        async move {
            let inbox = app.get("/api/v1/inbox", Auth::Session(&s), None).await;
            let mut t: Vec<String> = inbox.body["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap().to_string()).collect();
            t.sort();
            t
        }
    };
    for (name, group) in [("lab-pc", Some(&lab)), ("loose-pc", None), ("desk-pc", Some(&desk))] {
        let r = app.post("/api/v1/assets", root.clone(), Some(&w.acme), json!({"kind": "computer", "name": name, "group_id": group, "open_alerts": 1})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    assert_eq!(titles(v.clone()).await, ["desk-pc has 1 open alert"]);
    assert_eq!(titles(m.clone()).await.len(), 3);
    // A technician notified in a customer loses the delegation: the item disappears.
    let tech = app.add_user(&w.root, &w.msp, "tom@contoso.example", "member").await;
    app.post(&format!("/api/v1/customers/{}/delegations", w.acme), root.clone(), Some(&w.msp), json!({"user_id": tech})).await;
    let r = app.post("/api/v1/notifications", root.clone(), Some(&w.acme), json!({"target": {"kind": "user", "user_id": tech}, "title": "for tom"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let tom = app.login("tom@contoso.example", PASSWORD).await;
    let inbox = app.get("/api/v1/inbox", Auth::Session(&tom), None).await;
    assert_eq!(inbox.body["unread_count"], 1, "{}", inbox.text);
    let item = inbox.body["items"][0]["id"].as_str().unwrap().to_string();
    let r = app.delete(&format!("/api/v1/customers/{}/delegations/{tech}", w.acme), root.clone(), Some(&w.msp)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let inbox = app.get("/api/v1/inbox", Auth::Session(&tom), None).await;
    assert_eq!(inbox.body["items"].as_array().unwrap().len(), 0, "{}", inbox.text);
    assert_eq!(inbox.body["unread_count"], 0);
    let r = app.post(&format!("/api/v1/inbox/{item}/read"), Auth::Session(&tom), None, json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn hardening_imports_have_documented_body_and_row_limits() {
    let app = spawn_app().await;
    let w = app.world().await;
    let mut csv = String::from("kind,name,external_id\n");
    for i in 0..100_001 {
        csv.push_str(&format!("computer,pc-{i},e{i}\n"));
    }
    let r = raw(&app, Method::POST, "/api/v1/import", Some(&w.root), Some("text/csv"), csv.into_bytes()).await;
    enveloped(&r, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert!(r.body["error"]["message"].as_str().unwrap().contains("100000"), "{}", r.text);
    let big = vec![b'a'; 32 * 1024 * 1024 + 100];
    let r = raw(&app, Method::POST, "/api/v1/import", Some(&w.root), Some("text/csv"), big).await;
    enveloped(&r, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert!(r.body["error"]["message"].as_str().unwrap().contains("32 MiB"), "{}", r.text);
    let assets: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM assets").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(assets, 0);
}

#[tokio::test]
async fn hardening_trees_nest_at_most_sixteen_levels_below_a_customer() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = Auth::Session(&w.root);
    // acme_child is level 1 below Acme; add levels 2..=16.
    let mut parent = w.acme_child.clone();
    for level in 2..=16 {
        parent = app.create_org(&w.root, "child", &format!("Level {level}"), Some(&parent), None).await;
    }
    let r = app.post("/api/v1/orgs", root.clone(), None, json!({"name": "Level 17", "kind": "child", "parent_id": parent})).await;
    enveloped(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(r.body["error"]["fields"]["parent_id"].as_str().unwrap().contains("16 levels"), "{}", r.text);
    // Moving a subtree so it would go too deep.
    let top = app.create_org(&w.root, "child", "Globex A", Some(&w.globex), None).await;
    app.create_org(&w.root, "child", "Globex B", Some(&top), None).await;
    let deep15 = sqlx::query_scalar::<_, String>("SELECT parent_id FROM orgs WHERE id = $1").bind(&parent).fetch_one(&app.db.pool).await.unwrap();
    let r = app.put(&format!("/api/v1/orgs/{top}/parent"), root.clone(), None, json!({"parent_id": deep15})).await;
    enveloped(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(r.body["error"]["fields"]["parent_id"].is_string());
    // Merging Globex's subtree into the deepest org.
    let r = app.post("/api/v1/org/merge", root.clone(), Some(&top), json!({"into_org_id": parent, "dry_run": true})).await;
    enveloped(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(r.body["error"]["fields"]["into_org_id"].is_string(), "{}", r.text);
    // Importing a tenant below the deepest org.
    let slug: String = sqlx::query_scalar("SELECT slug FROM orgs WHERE id = $1").bind(&parent).fetch_one(&app.db.pool).await.unwrap();
    let mut req = app.http.post(app.url("/api/v1/import/tenants")).header("cookie", &w.root.cookie).header("x-csrf-token", &w.root.csrf);
    req = req.header("x-org-id", &w.acme).header("content-type", "text/csv").body(format!("name,external_id,parent\nToo deep,x1,{slug}\n"));
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["result"]["errors"][0]["field"], "parent", "{body}");
}

/// Not a check: measures how long a 100,000-asset import holds the write lock (the server
/// logs `held_ms`; this prints the wall time of the request's write phase as seen by a
/// concurrent writer). `cargo test -p tenantry --test api import_write_lock_hold -- --ignored --nocapture`
#[tokio::test]
#[ignore]
async fn import_write_lock_hold() {
    let app = spawn_app().await;
    let w = app.world().await;
    let mut csv = String::from("kind,name,external_id\n");
    for i in 0..100_000 {
        csv.push_str(&format!("computer,pc-{i},e{i}\n"));
    }
    let started = std::time::Instant::now();
    let mut req = app.http.post(app.url("/api/v1/import")).header("cookie", &w.root.cookie).header("x-csrf-token", &w.root.csrf);
    req = req.header("x-org-id", &w.acme).header("content-type", "text/csv").body(csv);
    let import = tokio::spawn(req.send());
    // Another tenant's writes, one after another, while the import runs: the longest wait is
    // the longest time the import held the lock against them.
    let mut longest = std::time::Duration::ZERO;
    while !import.is_finished() {
        let t = std::time::Instant::now();
        let r = app.post("/api/v1/groups", Auth::Session(&w.root), Some(&w.globex), json!({"name": format!("g{}", t.elapsed().as_nanos())})).await;
        assert!(r.status.is_success() || r.status == StatusCode::CONFLICT, "{}", r.text);
        longest = longest.max(t.elapsed());
    }
    let r = import.await.unwrap().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    println!("100,000-row import: {:?} in all; longest wait of a concurrent write: {longest:?}", started.elapsed());
}

/// A valid body for the walk's common write operations (the org context is Acme).
fn valid_body(method: &str, path: &str, w: &World) -> Option<Value> {
    Some(match (method, path) {
        ("post", "/api/v1/auth/login") => json!({"email": "root@ops.example", "password": PASSWORD}),
        ("post", "/api/v1/auth/token") => json!({"email": "root@ops.example", "password": PASSWORD, "name": "walk", "expires_in_days": 1}),
        ("post", "/api/v1/auth/handoff") => json!({"org_id": w.acme}),
        ("post", "/api/v1/orgs") => json!({"name": "Walk child", "kind": "child", "parent_id": w.acme}),
        ("patch", "/api/v1/orgs/{id}") => json!({"name": "Walk"}),
        ("put", "/api/v1/orgs/{id}/parent") => json!({"parent_id": w.msp}),
        ("post", "/api/v1/customers") => json!({"name": "Walk Co", "email_domain": "walk.example"}),
        ("post", "/api/v1/customers/{id}/delegations") => json!({"user_id": uuid::Uuid::new_v4(), "expires_at": null}),
        ("post", "/api/v1/users") => json!({"email": "walk@acme.example", "name": "Walk", "role": "viewer", "password": PASSWORD, "group_ids": []}),
        ("patch", "/api/v1/users/{id}") => json!({"role": "member"}),
        ("post", "/api/v1/invitations") => json!({"email": "walk2@acme.example", "role": "member"}),
        ("post", "/api/v1/groups") => json!({"name": "Walk group"}),
        ("patch", "/api/v1/groups/{id}") => json!({"name": "Walk group 2"}),
        ("post", "/api/v1/assets") => json!({"kind": "computer", "name": "walk-pc", "open_alerts": 0, "online": true}),
        ("patch", "/api/v1/assets/{id}") => json!({"name": "walk-pc-2", "open_alerts": 2}),
        ("post", "/api/v1/assets/move") => json!({"asset_ids": [], "target_org_id": w.globex}),
        ("post", "/api/v1/org/merge") => json!({"into_org_id": w.globex, "dry_run": true}),
        ("post", "/api/v1/notifications") => json!({"target": {"kind": "org"}, "title": "Walk", "body": "b", "severity": "info"}),
        ("post", "/api/v1/schedules") => json!({"name": "Walk", "frequency": "daily", "window_start": "01:00", "window_end": "02:00"}),
        ("post", "/api/v1/deployments") => json!({"name": "Walk", "package": "walk.msi", "inheritable": false}),
        _ => return None,
    })
}

/// Every documented operation × (a minimal request, an unknown field, a body that isn't
/// JSON, a broken query parameter): only documented statuses, errors always in the
/// envelope, never a 500. Run with a bearer token, so no case can end the walk's session.
#[tokio::test]
async fn hardening_openapi_walk_every_operation_answers_only_documented_statuses() {
    let app = spawn_app().await;
    let w = app.world().await;
    let token = app.post("/api/v1/auth/token", Auth::None, None, json!({"email": "root@ops.example", "password": PASSWORD, "name": "walk"})).await;
    let token = token.body["token"].as_str().expect("a token").to_string();
    let doc = app.get("/api/openapi.json", Auth::None, None).await.body;
    let missing = uuid::Uuid::new_v4().to_string();
    let mut problems = Vec::new();
    let (mut calls, mut succeeded) = (0, 0);
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let documented: Vec<u16> = op["responses"].as_object().unwrap().keys().filter_map(|k| k.parse().ok()).collect();
            for status in documented.iter().filter(|s| **s >= 400) {
                let schema = &op["responses"][status.to_string()]["content"]["application/json"]["schema"]["$ref"];
                if schema != "#/components/schemas/ApiErrorBody" {
                    problems.push(format!("{method} {path}: {status} is documented without the error schema"));
                }
            }
            let mut url = String::new();
            for (i, part) in path.split('{').enumerate() {
                if i == 0 {
                    url.push_str(part);
                    continue;
                }
                let (name, rest) = part.split_once('}').unwrap();
                url.push_str(if name == "key" { "maintenance_window" } else { &missing });
                url.push_str(rest);
            }
            let m = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
            let mut cases: Vec<(String, Option<&str>, Vec<u8>)> = vec![(url.clone(), None, Vec::new()), (format!("{url}?limit=lots&cursor=-1"), None, Vec::new())];
            if let Some(valid) = valid_body(method, path, &w) {
                let obj = valid.as_object().unwrap();
                cases.push((url.clone(), Some("application/json"), valid.to_string().into_bytes()));
                for key in obj.keys() {
                    let mut broken = obj.clone();
                    broken.insert(key.clone(), json!([[true]]));
                    cases.push((url.clone(), Some("application/json"), Value::Object(broken).to_string().into_bytes()));
                }
                let mut unknown = obj.clone();
                unknown.insert("surely_not_a_field".into(), json!(1));
                cases.push((url.clone(), Some("application/json"), Value::Object(unknown).to_string().into_bytes()));
            }
            if op.get("requestBody").is_some() {
                cases.push((url.clone(), Some("application/json"), b"{}".to_vec()));
                cases.push((url.clone(), Some("application/json"), br#"{"surely_not_a_field": 1}"#.to_vec()));
                cases.push((url.clone(), Some("application/json"), b"this is not json".to_vec()));
                cases.push((url.clone(), Some("text/plain"), b"name=x".to_vec()));
            }
            for (url, content_type, body) in cases {
                calls += 1;
                let mut req = app.http.request(m.clone(), app.url(&url)).bearer_auth(&token).header("x-org-id", &w.acme).body(body.clone());
                if let Some(ct) = content_type {
                    req = req.header("content-type", ct);
                }
                let resp = req.send().await.unwrap();
                let status = resp.status().as_u16();
                succeeded += usize::from(status < 300);
                let text = resp.text().await.unwrap();
                let what = format!("{method} {url} ({content_type:?}, {} bytes)", body.len());
                if !documented.contains(&status) {
                    problems.push(format!("{what}: undocumented {status}: {}", text.chars().take(200).collect::<String>()));
                }
                if status >= 400 {
                    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    if !v["error"]["code"].is_string() || !v["error"]["message"].is_string() {
                        problems.push(format!("{what}: {status} not in the envelope: {text}"));
                    }
                }
                if status >= 500 {
                    problems.push(format!("{what}: {status}"));
                }
            }
        }
    }
    assert!(calls > 300 && succeeded > 40, "walked {calls} requests, {succeeded} succeeded");
    eprintln!("walked {calls} requests, {succeeded} succeeded");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
