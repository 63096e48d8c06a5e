//! SCIM 2.0 provisioning (issue 13): per-org SCIM tokens, the `/scim/v2` endpoints checked by
//! the independent PyPI checker `scim2-tester` (run by `e2e/scim/check.py` from the venv
//! `./dev test` makes), and the rules that are Tenantry's own: the org's domain, the org's
//! people only, deactivation ending sessions, the token as the audit actor.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A SCIM request with a bearer token, `application/scim+json` like directories send.
async fn scim(app: &TestApp, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> Resp {
    let mut req = app.http.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        req = req.header("content-type", "application/scim+json").body(body.to_string());
    }
    Resp::read(req.send().await.unwrap()).await
}

async fn new_token(app: &TestApp, s: &Session, org: &str, name: &str) -> String {
    let r = app.post("/api/v1/scim-tokens", Auth::Session(s), Some(org), json!({"name": name})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["token"].as_str().unwrap().to_string()
}

fn scim_error(r: &Resp, status: u16) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text);
    assert_eq!(r.body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error", "{}", r.text);
    assert_eq!(r.body["status"], status.to_string());
    assert!(r.headers["content-type"].to_str().unwrap().starts_with("application/scim+json"));
}

fn user(name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name, "displayName": name, "active": true})
}

#[tokio::test]
async fn scim_tokens_are_an_admins_shown_once_and_die_when_revoked() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.acme, "ada@acme.example", "admin").await;
    app.add_user(&w.root, &w.acme, "mo@acme.example", "member").await;
    let ada = app.login("ada@acme.example", PASSWORD).await;
    let mo = app.login("mo@acme.example", PASSWORD).await;
    assert_eq!(app.post("/api/v1/scim-tokens", Auth::Session(&mo), None, json!({"name": "x"})).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/scim-tokens", Auth::Session(&mo), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.post("/api/v1/scim-tokens", Auth::Session(&ada), Some(&w.foreign), json!({"name": "x"})).await.status, StatusCode::NOT_FOUND);
    let r = app.post("/api/v1/scim-tokens", Auth::Session(&ada), None, json!({"name": " "})).await;
    assert!(r.body["error"]["fields"]["name"].is_string(), "{}", r.text);

    let r = app.post("/api/v1/scim-tokens", Auth::Session(&ada), None, json!({"name": "Entra ID"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let token = r.body["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("tscim_"));
    assert_eq!(r.body["base_url"], format!("http://127.0.0.1:{}/scim/v2", app.addr.port()));
    let list = app.get("/api/v1/scim-tokens", Auth::Session(&ada), None).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert!(!list.text.contains(&token), "the secret is shown once: {}", list.text);
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scim_tokens WHERE token_hash = $1").bind(&token).fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(stored, 0, "stored hashed");
    assert_eq!(scim(&app, reqwest::Method::GET, "/scim/v2/Users", &token, None).await.status, StatusCode::OK);
    // A personal API token is not a SCIM token, nor is nothing.
    scim_error(&scim(&app, reqwest::Method::GET, "/scim/v2/Users", "tnt_nope", None).await, 401);

    let id = list.body[0]["id"].as_str().unwrap().to_string();
    assert_eq!(app.delete(&format!("/api/v1/scim-tokens/{id}"), Auth::Session(&mo), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&format!("/api/v1/scim-tokens/{id}"), Auth::Session(&ada), Some(&w.globex)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&format!("/api/v1/scim-tokens/{id}"), Auth::Session(&ada), None).await.status, StatusCode::NO_CONTENT);
    scim_error(&scim(&app, reqwest::Method::GET, "/scim/v2/Users", &token, None).await, 401);
    assert_eq!(app.audit_actions("scim_token.create").await, 1);
    assert_eq!(app.audit_actions("scim_token.revoke").await, 1);
}

#[tokio::test]
async fn scim_passes_the_independent_scim2_tester() {
    let app = spawn_app().await;
    let w = app.world().await;
    let token = new_token(&app, &w.root, &w.acme, "scim2-tester").await;
    let python = std::env::var("TENANTRY_SCIM_PYTHON")
        .unwrap_or_else(|_| format!("{}/.cache/tenantry-tools/scim-venv/bin/python", std::env::var("HOME").unwrap_or_default()));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../e2e/scim/check.py");
    let out = tokio::process::Command::new(&python)
        .arg(script)
        .arg(app.url("/scim/v2"))
        .arg(&token)
        .arg("acme.example")
        .output()
        .await
        .unwrap_or_else(|e| panic!("{python} runs e2e/scim/check.py (./dev test installs scim2-tester): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap_or("null")).unwrap_or(Value::Null);
    assert!(out.status.success(), "scim2-tester found failures: {summary}");
    assert_eq!(summary["failed"], 0);
    assert!(summary["by_status"]["SUCCESS"].as_i64().unwrap_or(0) > 20, "{summary}");
    // What the checker did is in the audit trail, with its token as the actor.
    let by_token: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE actor_email = 'scim:scim2-tester' AND actor_id IS NULL").fetch_one(&app.db.pool).await.unwrap();
    assert!(by_token > 10, "{by_token}");
}

#[tokio::test]
async fn scim_keeps_to_the_orgs_domain_and_people_and_deactivation_ends_sessions() {
    let app = spawn_app().await;
    let w = app.world().await;
    let acme = new_token(&app, &w.root, &w.acme, "Acme directory").await;
    let globex = new_token(&app, &w.root, &w.globex, "Globex directory").await;
    use reqwest::Method;

    // Outside the domain: a SCIM error, nobody created. A look-alike domain is another domain.
    for name in ["eve@globex.example", "eve@acme.example.evil.example", "not an address"] {
        let r = scim(&app, Method::POST, "/scim/v2/Users", &acme, Some(user(name))).await;
        scim_error(&r, 400);
        assert_eq!(r.body["scimType"], "invalidValue");
    }
    // Created in the org, as a member, without a password; the same userName again is 409.
    let r = scim(&app, Method::POST, "/scim/v2/Users", &acme, Some(user("Ann@Acme.example"))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["userName"], "ann@acme.example");
    let ann = r.id();
    assert_eq!(r.headers["location"].to_str().unwrap(), format!("http://127.0.0.1:{}/scim/v2/Users/{ann}", app.addr.port()));
    let role: String = sqlx::query_scalar("SELECT role FROM memberships WHERE user_id = $1 AND org_id = $2").bind(&ann).bind(&w.acme).fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(role, "member");
    let r = scim(&app, Method::POST, "/scim/v2/Users", &acme, Some(user("ann@acme.example"))).await;
    scim_error(&r, 409);
    assert_eq!(r.body["scimType"], "uniqueness");

    // Another org's token sees none of Acme's people: 404 like a missing one, for every verb.
    scim_error(&scim(&app, Method::GET, &format!("/scim/v2/Users/{ann}"), &globex, None).await, 404);
    scim_error(&scim(&app, Method::PUT, &format!("/scim/v2/Users/{ann}"), &globex, Some(user("ann@acme.example"))).await, 404);
    let deactivate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "active", "value": false}]});
    scim_error(&scim(&app, Method::PATCH, &format!("/scim/v2/Users/{ann}"), &globex, Some(deactivate.clone())).await, 404);
    scim_error(&scim(&app, Method::DELETE, &format!("/scim/v2/Users/{ann}"), &globex, None).await, 404);
    let r = scim(&app, Method::GET, "/scim/v2/Users?filter=userName%20eq%20%22ann@acme.example%22", &globex, None).await;
    assert_eq!(r.body["totalResults"], 0, "{}", r.text);

    // Filter and paging.
    for i in 0..4 {
        let r = scim(&app, Method::POST, "/scim/v2/Users", &acme, Some(user(&format!("p{i}@acme.example")))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let r = scim(&app, Method::GET, "/scim/v2/Users?filter=userName%20eq%20%22ANN@acme.example%22", &acme, None).await;
    assert_eq!((r.body["totalResults"].clone(), r.body["Resources"][0]["id"].clone()), (json!(1), json!(ann)), "{}", r.text);
    // Pages of two walk all five, each once.
    let mut seen = std::collections::BTreeSet::new();
    for (start, expect) in [(1, 2), (3, 2), (5, 1), (7, 0)] {
        let r = scim(&app, Method::GET, &format!("/scim/v2/Users?startIndex={start}&count=2"), &acme, None).await;
        assert_eq!((r.body["totalResults"].clone(), r.body["itemsPerPage"].clone(), r.body["startIndex"].clone()), (json!(5), json!(expect), json!(start)), "{}", r.text);
        for u in r.body["Resources"].as_array().unwrap() {
            assert!(seen.insert(u["id"].as_str().unwrap().to_string()), "a user on two pages");
        }
    }
    assert_eq!(seen.len(), 5);
    let r = scim(&app, Method::GET, "/scim/v2/Users?count=0", &acme, None).await;
    assert_eq!((r.body["totalResults"].clone(), r.body["itemsPerPage"].clone()), (json!(5), json!(0)), "{}", r.text);
    scim_error(&scim(&app, Method::GET, "/scim/v2/Users?filter=title%20co%20%22x%22", &acme, None).await, 400);

    // Deactivating a person ends their sessions and API tokens at once.
    let bob = app.add_user(&w.root, &w.acme, "bob@acme.example", "member").await;
    let session = app.login("bob@acme.example", PASSWORD).await;
    let t = app.post("/api/v1/auth/token", Auth::None, None, json!({"email": "bob@acme.example", "password": PASSWORD, "name": "script"})).await;
    let api_token = t.body["token"].as_str().unwrap().to_string();
    let r = scim(&app, Method::PATCH, &format!("/scim/v2/Users/{bob}"), &acme, Some(deactivate)).await;
    assert_eq!((r.status, r.body["active"].clone()), (StatusCode::OK, json!(false)), "{}", r.text);
    assert_eq!(app.get("/api/v1/me", Auth::Session(&session), None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/me", Auth::Bearer(&api_token), None).await.status, StatusCode::UNAUTHORIZED);
    let (r, _) = app.login_raw("bob@acme.example", PASSWORD, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "a disabled user can't sign in");
    // Reactivated, he can again; deleted, he is gone.
    let activate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "Replace", "value": {"active": "True"}}]});
    assert_eq!(scim(&app, Method::PATCH, &format!("/scim/v2/Users/{bob}"), &acme, Some(activate)).await.body["active"], true);
    app.login("bob@acme.example", PASSWORD).await;
    assert_eq!(scim(&app, Method::DELETE, &format!("/scim/v2/Users/{bob}"), &acme, None).await.status, StatusCode::NO_CONTENT);
    scim_error(&scim(&app, Method::GET, &format!("/scim/v2/Users/{bob}"), &acme, None).await, 404);

    // Every change is in the audit trail with the token as the actor, in the org.
    let rows: Vec<(String, Option<String>, String)> = sqlx::query_as("SELECT action, actor_id, actor_email FROM audit_events WHERE action LIKE 'scim.user%' ORDER BY seq")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(actions, ["scim.user_create", "scim.user_create", "scim.user_create", "scim.user_create", "scim.user_create", "scim.user_patch", "scim.user_patch", "scim.user_delete"]);
    assert!(rows.iter().all(|r| r.1.is_none() && r.2 == "scim:Acme directory"), "{rows:?}");
    // A SCIM error for paths that aren't there, and for the org's suspension.
    scim_error(&scim(&app, Method::GET, "/scim/v2/Groups", &acme, None).await, 404);
    let r = app.patch(&format!("/api/v1/orgs/{}", w.acme), Auth::Session(&w.root), None, json!({"status": "suspended"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    scim_error(&scim(&app, Method::GET, "/scim/v2/Users", &acme, None).await, 401);
}
