//! Passkeys (issue 12): registering, naming and removing them, and signing in with one,
//! through whole WebAuthn ceremonies with webauthn-rs's software authenticator
//! (`webauthn-authenticator-rs`, `SoftPasskey`) playing the browser's part.
//!
//! The software token has two limits a real passkey doesn't: it can't store a resident
//! (discoverable) credential, and it answers without a user handle. So the tests relax the
//! options it gets (no resident key; the credential listed in `allowCredentials`) and put
//! the user handle into its answer, as a passkey's own answer carries it (it isn't signed).
//! The server's side — challenge, origin, signature, counter, user verification — is the real one.
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server::auth::{passkeys, ratelimit};
use std::collections::BTreeMap;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, Url};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

/// A browser: its cookies (as the server set them) and the CSRF token of its session.
#[derive(Default, Clone)]
struct Browser {
    cookies: BTreeMap<String, String>,
    csrf: Option<String>,
}

impl Browser {
    async fn send(&mut self, app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Resp {
        let mut req = app.http.request(method, app.url(path));
        if !self.cookies.is_empty() {
            req = req.header("cookie", self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; "));
        }
        if let Some(csrf) = &self.csrf {
            req = req.header("x-csrf-token", csrf);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = Resp::read(req.send().await.unwrap()).await;
        for c in resp.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
            let (name, value) = c.split(';').next().unwrap().split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        if let Some(csrf) = resp.body["csrf_token"].as_str() {
            self.csrf = Some(csrf.to_string());
        }
        resp
    }

    async fn post(&mut self, app: &TestApp, path: &str, body: Value) -> Resp {
        self.send(app, Method::POST, path, Some(body)).await
    }

    /// Signs in with the password; the user id.
    async fn sign_in(app: &TestApp, email: &str) -> (Browser, String) {
        let mut b = Browser::default();
        let r = b.post(app, "/api/v1/auth/login", json!({"email": email, "password": PASSWORD})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        (b, r.body["user"]["id"].as_str().unwrap().to_string())
    }

    /// The cookie whose name ends with `name` (`__Host-` prefixed under TLS).
    fn cookie(&self, name: &str) -> Option<&String> {
        self.cookies.iter().find(|(k, _)| k.ends_with(name)).map(|(_, v)| v)
    }
}

fn origin(app: &TestApp, scheme: &str, host: &str) -> Url {
    Url::parse(&format!("{scheme}://{host}:{}", app.addr.port())).unwrap()
}

/// An app with a small world and `email` an admin of its MSP, signed in: the app, the world,
/// the browser, the user id.
async fn with_user(email: &str) -> (TestApp, World, Browser, String) {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.msp, email, "admin").await;
    let (b, id) = Browser::sign_in(&app, email).await;
    (app, w, b, id)
}

/// A registered passkey: its id in the API and its credential id (base64url).
struct Registered {
    id: String,
    credential_id: String,
}

/// Registers a passkey held by `key`, with `proof` fields in the start body.
async fn register(app: &TestApp, b: &mut Browser, key: &mut SoftPasskey, at: &Url, name: &str, proof: Value) -> Registered {
    let mut body = json!({"name": name});
    body.as_object_mut().unwrap().extend(proof.as_object().unwrap().clone());
    let start = b.post(app, "/api/v1/me/passkeys/register/start", body).await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.text);
    let mut options = start.body.clone();
    // The software token stores no resident keys (see the module docs).
    options["publicKey"]["authenticatorSelection"]["requireResidentKey"] = json!(false);
    options["publicKey"]["authenticatorSelection"]["residentKey"] = json!("discouraged");
    let ccr: CreationChallengeResponse = serde_json::from_value(options).unwrap();
    let credential = serde_json::to_value(key.do_registration(at.clone(), ccr).expect("the authenticator registers")).unwrap();
    let finish = b.post(app, "/api/v1/me/passkeys/register/finish", json!({"credential": credential})).await;
    assert_eq!(finish.status, StatusCode::CREATED, "{}", finish.text);
    assert_eq!(finish.body["name"], name);
    Registered { id: finish.id(), credential_id: credential["rawId"].as_str().unwrap().to_string() }
}

/// Starts a passkey sign-in in `b` and has `key` answer it from `at`; the assertion JSON.
/// `verified`: whether the authenticator verifies the user (PIN, biometrics).
async fn assertion(app: &TestApp, b: &mut Browser, key: &mut SoftPasskey, at: &Url, cred: &Registered, user_id: &str, verified: bool) -> Value {
    let start = b.post(app, "/api/v1/auth/passkey/start", json!({})).await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.text);
    let mut options = start.body.clone();
    options["publicKey"]["allowCredentials"] = json!([{"type": "public-key", "id": cred.credential_id}]);
    if !verified {
        options["publicKey"]["userVerification"] = json!("discouraged");
    }
    let rcr: RequestChallengeResponse = serde_json::from_value(options).unwrap();
    let mut answer = key.do_authentication(at.clone(), rcr).expect("the authenticator signs");
    // What a passkey answers besides: the account it belongs to (see the module docs).
    answer.response.user_handle = Some(uuid::Uuid::parse_str(user_id).unwrap().as_bytes().to_vec());
    serde_json::to_value(answer).unwrap()
}

#[tokio::test]
async fn passkeys_register_then_sign_in_without_an_email_as_multi_factor() {
    let (app, _w, mut b, alice) = with_user("alice@contoso.example").await;
    let (mut elsewhere, _) = Browser::sign_in(&app, "alice@contoso.example").await;
    let at = origin(&app, "http", "localhost");

    // The registration options: a discoverable credential with user verification, for the base domain.
    let start = b.post(&app, "/api/v1/me/passkeys/register/start", json!({"name": "Work laptop", "password": PASSWORD})).await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.text);
    let pk = &start.body["publicKey"];
    assert_eq!(pk["rp"]["id"], "localhost");
    assert_eq!(pk["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(pk["user"]["name"], "alice@contoso.example");
    assert!(b.cookie("tenantry_webauthn").is_some(), "the ceremony is bound to this browser");

    let mut key = SoftPasskey::new(true);
    let cred = register(&app, &mut b, &mut key, &at, "Work laptop", json!({"password": PASSWORD})).await;
    assert_eq!(app.audit_actions("mfa.passkey.enrol").await, 1);
    assert_eq!(elsewhere.send(&app, Method::GET, "/api/v1/me", None).await.status, StatusCode::UNAUTHORIZED, "other sessions end");
    let mfa = b.send(&app, Method::GET, "/api/v1/me/mfa", None).await;
    assert_eq!(mfa.body["passkeys"].as_array().unwrap().len(), 1, "{}", mfa.text);
    assert_eq!(mfa.body["passkeys"][0]["name"], "Work laptop");
    assert!(mfa.body["passkeys"][0]["created_at"].is_string() && mfa.body["passkeys"][0]["last_used_at"].is_null());

    // With a passkey, a password alone is not enough: the second step names it.
    let (pw, session) = app.login_raw("alice@contoso.example", PASSWORD, None).await;
    assert_eq!((pw.status, pw.body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("mfa_required")), "{}", pw.text);
    assert!(pw.body["error"]["fields"]["methods"].as_str().unwrap().split(',').any(|m| m == "passkey"), "{}", pw.text);
    assert!(session.is_none());

    // Sign-in options name no account and require user verification.
    let mut fresh = Browser::default();
    let start = fresh.post(&app, "/api/v1/auth/passkey/start", json!({})).await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.text);
    assert_eq!(start.body["publicKey"]["rpId"], "localhost");
    assert_eq!(start.body["publicKey"]["allowCredentials"], json!([]));
    assert_eq!(start.body["publicKey"]["userVerification"], "required");
    assert_eq!(start.body["mediation"], "conditional");

    // The passkey alone signs in, fully (not enrol-only).
    let answer = assertion(&app, &mut fresh, &mut key, &at, &cred, &alice, true).await;
    let done = fresh.post(&app, "/api/v1/auth/passkey/finish", json!({"credential": answer})).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.body["user"]["email"], "alice@contoso.example");
    assert_eq!(done.body["mfa_enrollment_required"], false);
    assert!(fresh.cookie("tenantry_session").is_some());
    assert_eq!(fresh.send(&app, Method::GET, "/api/v1/orgs", None).await.status, StatusCode::OK);
    assert_eq!(app.audit_actions("auth.login.passkey").await, 1);
    let mfa = fresh.send(&app, Method::GET, "/api/v1/me/mfa", None).await;
    assert!(mfa.body["passkeys"][0]["last_used_at"].is_string(), "{}", mfa.text);

    // The same answer again: its ceremony is spent.
    let again = fresh.post(&app, "/api/v1/auth/passkey/finish", json!({"credential": answer})).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", again.text);
    assert!(again.body["error"]["fields"]["ceremony"].is_string(), "{}", again.text);
}

#[tokio::test]
async fn passkeys_ceremonies_are_bound_to_the_browser_single_use_and_short_lived() {
    let (app, _w, mut b, alice) = with_user("alice@contoso.example").await;
    let at = origin(&app, "http", "localhost");
    let mut key = SoftPasskey::new(true);
    let cred = register(&app, &mut b, &mut key, &at, "Laptop", json!({"password": PASSWORD})).await;

    // No ceremony at all; an answer that isn't a credential.
    let mut nobody = Browser::default();
    let r = nobody.post(&app, "/api/v1/auth/passkey/finish", json!({"credential": {"id": "x"}})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.body["error"]["fields"]["credential"].is_string(), "{}", r.text);
    let r = nobody.post(&app, "/api/v1/auth/passkey/finish", json!({"credential": {}, "extra": 1})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    // Answered in one browser, finished in another: refused (and the first one's is untouched).
    let mut one = Browser::default();
    let answer = assertion(&app, &mut one, &mut key, &at, &cred, &alice, true).await;
    let mut other = Browser::default();
    other.post(&app, "/api/v1/auth/passkey/start", json!({})).await;
    let r = other.post(&app, "/api/v1/auth/passkey/finish", json!({"credential": answer})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.body["error"]["fields"]["ceremony"].is_string(), "{}", r.text);
    assert!(other.cookie("tenantry_session").is_none());

    // Too late: the ceremony expired on the server's clock.
    let late = assertion(&app, &mut one, &mut key, &at, &cred, &alice, true).await;
    app.clock.set(server::db::now_ms() + passkeys::CEREMONY_MS + 1_000);
    let r = one.post(&app, "/api/v1/auth/passkey/finish", json!({"credential": late})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.body["error"]["fields"]["ceremony"].is_string(), "{}", r.text);
    app.clock.set(0);

    // Two ceremonies at once in one browser (autofill waiting, then the button): both finish.
    let first = assertion(&app, &mut one, &mut key, &at, &cred, &alice, true).await;
    let second = assertion(&app, &mut one, &mut key, &at, &cred, &alice, true).await;
    assert_eq!(one.post(&app, "/api/v1/auth/passkey/finish", json!({"credential": second})).await.status, StatusCode::OK);
    // The first was signed before the second: its signature counter is behind now, refused as a possible clone.
    let r = one.post(&app, "/api/v1/auth/passkey/finish", json!({"credential": first})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    // Every ceremony sent to finish is gone; only the two never finished in their own browser
    // remain (until they expire): `one`'s first and `other`'s.
    let left: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM webauthn_ceremonies").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(left, 2);
}

#[tokio::test]
async fn passkeys_without_user_verification_are_refused_and_count_against_the_limit() {
    let (app, _w, mut b, alice) = with_user("alice@contoso.example").await;
    let at = origin(&app, "http", "localhost");
    let mut key = SoftPasskey::new(true);
    let cred = register(&app, &mut b, &mut key, &at, "Laptop", json!({"password": PASSWORD})).await;
    let mut mallory = Browser::default();
    for i in 0..ratelimit::PER_ACCOUNT {
        let answer = assertion(&app, &mut mallory, &mut key, &at, &cred, &alice, false).await;
        let r = mallory.post(&app, "/api/v1/auth/passkey/finish", json!({"credential": answer})).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}: {}", r.text);
        assert!(r.body["error"]["fields"]["credential"].as_str().unwrap().contains("user verification"), "{}", r.text);
    }
    // The limit holds even for a good answer now.
    let answer = assertion(&app, &mut mallory, &mut key, &at, &cred, &alice, true).await;
    let r = mallory.post(&app, "/api/v1/auth/passkey/finish", json!({"credential": answer})).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    assert!(mallory.cookie("tenantry_session").is_none());
    assert_eq!(app.audit_actions("auth.login.passkey").await, 0);
}

#[tokio::test]
async fn passkeys_work_on_every_tenant_host_and_nowhere_else() {
    let app = spawn_app_with(|c| {
        c.tls = true;
        c.base_domain = "tenantry.test".into();
    })
    .await;
    // Under TLS the cookies are `__Host-` prefixed: this browser keeps whatever it is given.
    server::tools::demo::create_superuser(&app.db, "root@ops.example", Some("Root"), PASSWORD).await.unwrap();
    let (mut b, alice) = Browser::sign_in(&app, "root@ops.example").await;
    let mut key = SoftPasskey::new(true);
    let cred = register(&app, &mut b, &mut key, &origin(&app, "https", "tenantry.test"), "Laptop", json!({"password": PASSWORD})).await;
    let start = b.post(&app, "/api/v1/auth/passkey/start", json!({})).await;
    assert_eq!(start.body["publicKey"]["rpId"], "tenantry.test");
    assert!(b.cookie("__Host-tenantry_webauthn").is_some(), "{:?}", b.cookies);

    // Registered on the main host, used on a tenant's host.
    let mut tenant = Browser::default();
    let answer = assertion(&app, &mut tenant, &mut key, &origin(&app, "https", "acme.tenantry.test"), &cred, &alice, true).await;
    let r = tenant.post(&app, "/api/v1/auth/passkey/finish", json!({"credential": answer})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // Signed for another origin of the same name (another port): refused.
    let mut elsewhere = Browser::default();
    let foreign = Url::parse("https://tenantry.test:1").unwrap();
    let answer = assertion(&app, &mut elsewhere, &mut key, &foreign, &cred, &alice, true).await;
    let r = elsewhere.post(&app, "/api/v1/auth/passkey/finish", json!({"credential": answer})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
}

#[tokio::test]
async fn passkeys_rename_and_remove_are_the_owners_and_adding_or_removing_takes_a_fresh_proof() {
    let (app, w, mut b, alice) = with_user("alice@contoso.example").await;
    let at = origin(&app, "http", "localhost");
    let mut key = SoftPasskey::new(true);

    // Adding needs a fresh proof, and a name.
    let r = b.post(&app, "/api/v1/me/passkeys/register/start", json!({"name": "Laptop"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.body["error"]["fields"]["password"].is_string(), "{}", r.text);
    let r = b.post(&app, "/api/v1/me/passkeys/register/start", json!({"name": "Laptop", "password": "wrong password"})).await;
    assert_eq!(r.body["error"]["fields"]["password"], "is incorrect", "{}", r.text);
    let r = b.post(&app, "/api/v1/me/passkeys/register/start", json!({"name": " ", "password": PASSWORD})).await;
    assert!(r.body["error"]["fields"]["name"].is_string(), "{}", r.text);
    let r = b.post(&app, "/api/v1/me/passkeys/register/start", json!({"name": "x".repeat(61), "password": PASSWORD})).await;
    assert!(r.body["error"]["fields"]["name"].is_string(), "{}", r.text);
    // A token is no browser.
    let token = app.post("/api/v1/auth/token", Auth::None, None, json!({"email": "alice@contoso.example", "password": PASSWORD, "name": "t"})).await;
    let token = token.body["token"].as_str().unwrap().to_string();
    let r = app.post("/api/v1/me/passkeys/register/start", Auth::Bearer(&token), None, json!({"name": "Laptop", "password": PASSWORD})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    let laptop = register(&app, &mut b, &mut key, &at, "Laptop", json!({"password": PASSWORD})).await;
    // A second passkey, proven with the first instead of the password.
    let proof = assertion(&app, &mut b, &mut key, &at, &laptop, &alice, true).await;
    let mut phone_key = SoftPasskey::new(true);
    let phone = register(&app, &mut b, &mut phone_key, &at, "Phone", json!({"passkey": proof})).await;

    // Someone else's passkey is not found, whatever they do with it.
    app.add_user(&w.root, &w.msp, "bob@contoso.example", "admin").await;
    let (mut bob, _) = Browser::sign_in(&app, "bob@contoso.example").await;
    let path = format!("/api/v1/me/passkeys/{}", laptop.id);
    assert_eq!(bob.send(&app, Method::PATCH, &path, Some(json!({"name": "mine"}))).await.status, StatusCode::NOT_FOUND);
    assert_eq!(bob.send(&app, Method::DELETE, &path, Some(json!({"password": PASSWORD}))).await.status, StatusCode::NOT_FOUND);
    let missing = format!("/api/v1/me/passkeys/{}", uuid::Uuid::new_v4());
    assert_eq!(b.send(&app, Method::PATCH, &missing, Some(json!({"name": "x"}))).await.status, StatusCode::NOT_FOUND);

    // Renaming: a name is checked and audited.
    let r = b.send(&app, Method::PATCH, &path, Some(json!({"name": ""}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = b.send(&app, Method::PATCH, &path, Some(json!({"name": "  Old laptop "}))).await;
    assert_eq!((r.status, r.body["name"].as_str()), (StatusCode::OK, Some("Old laptop")), "{}", r.text);
    assert_eq!(app.audit_actions("mfa.passkey.rename").await, 1);

    // Removing takes a fresh proof and ends the other sessions.
    let mut elsewhere = Browser::default();
    let answer = assertion(&app, &mut elsewhere, &mut phone_key, &at, &phone, &alice, true).await;
    assert_eq!(elsewhere.post(&app, "/api/v1/auth/passkey/finish", json!({"credential": answer})).await.status, StatusCode::OK);
    let r = b.send(&app, Method::DELETE, &path, Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = b.send(&app, Method::DELETE, &path, Some(json!({"password": "wrong password"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = b.send(&app, Method::DELETE, &path, Some(json!({"password": PASSWORD}))).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(app.audit_actions("mfa.passkey.remove").await, 1);
    assert_eq!(elsewhere.send(&app, Method::GET, "/api/v1/me", None).await.status, StatusCode::UNAUTHORIZED);
    let mfa = b.send(&app, Method::GET, "/api/v1/me/mfa", None).await;
    let names: Vec<&str> = mfa.body["passkeys"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Phone"], "{}", mfa.text);
    // A removed passkey no longer signs in.
    let mut late = Browser::default();
    let answer = assertion(&app, &mut late, &mut key, &at, &laptop, &alice, true).await;
    assert_eq!(late.post(&app, "/api/v1/auth/passkey/finish", json!({"credential": answer})).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(server::audit::verify(&app.db).await.unwrap(), Ok(app.audit_count().await));
}

#[tokio::test]
async fn passkeys_satisfy_the_sign_in_policy_unless_it_leaves_them_out() {
    let (app, w, mut admin, _) = with_user("alice@contoso.example").await;
    app.add_user(&w.root, &w.msp, "tom@contoso.example", "member").await;
    let r = admin.send(&app, Method::PUT, "/api/v1/settings/sign_in_policy", Some(json!({"value": {"require_mfa": true}}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // Tom has no factor: his password session is enrol-only, and may add a passkey.
    let (mut tom, tom_id) = Browser::sign_in(&app, "tom@contoso.example").await;
    assert_eq!(tom.send(&app, Method::GET, "/api/v1/orgs", None).await.status, StatusCode::FORBIDDEN);
    let at = origin(&app, "http", "localhost");
    let mut key = SoftPasskey::new(true);
    let cred = register(&app, &mut tom, &mut key, &at, "Laptop", json!({"password": PASSWORD})).await;
    assert_eq!(tom.send(&app, Method::GET, "/api/v1/orgs", None).await.status, StatusCode::OK, "no longer enrol-only");

    // A passkey sign-in is multi-factor by itself.
    let mut fresh = Browser::default();
    let answer = assertion(&app, &mut fresh, &mut key, &at, &cred, &tom_id, true).await;
    let r = fresh.post(&app, "/api/v1/auth/passkey/finish", json!({"credential": answer})).await;
    assert_eq!((r.status, &r.body["mfa_enrollment_required"]), (StatusCode::OK, &json!(false)), "{}", r.text);

    // A policy that accepts only authenticator apps: the passkey no longer signs in, and a
    // password session is enrol-only again (for a TOTP).
    let r = admin.send(&app, Method::PUT, "/api/v1/settings/sign_in_policy", Some(json!({"value": {"require_mfa": true, "allowed_methods": ["totp", "recovery_code"]}}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut refused = Browser::default();
    let answer = assertion(&app, &mut refused, &mut key, &at, &cred, &tom_id, true).await;
    let r = refused.post(&app, "/api/v1/auth/passkey/finish", json!({"credential": answer})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert!(refused.cookie("tenantry_session").is_none());
    let (login, session) = app.login_raw("tom@contoso.example", PASSWORD, None).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    assert_eq!(login.body["mfa_enrollment_required"], true);
    assert!(session.is_some());
}

#[tokio::test]
async fn passkeys_are_refused_like_passwords_where_the_org_signs_in_with_sso_only() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.acme, "ada@acme.example", "admin").await;
    app.add_user(&w.root, &w.globex, "gus@globex.example", "member").await;
    let at = origin(&app, "http", "localhost");
    // Both add a passkey while passwords still work.
    let (mut ada, ada_id) = Browser::sign_in(&app, "ada@acme.example").await;
    let mut ada_key = SoftPasskey::new(true);
    let ada_cred = register(&app, &mut ada, &mut ada_key, &at, "Laptop", json!({"password": PASSWORD})).await;
    let (mut gus, gus_id) = Browser::sign_in(&app, "gus@globex.example").await;
    let mut gus_key = SoftPasskey::new(true);
    let gus_cred = register(&app, &mut gus, &mut gus_key, &at, "Phone", json!({"password": PASSWORD})).await;

    // Acme turns on its identity provider with "SSO only".
    let idp = crate::sso::start_idp(&app, &["127.0.0.1"]).await;
    let r = ada.send(&app, Method::PUT, "/api/v1/sso", Some(crate::sso::provider_body(&idp, "member", true))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // Ada's passkey no longer signs in: the same answer as for her password, and no session.
    let mut fresh = Browser::default();
    let answer = assertion(&app, &mut fresh, &mut ada_key, &at, &ada_cred, &ada_id, true).await;
    let r = fresh.post(&app, "/api/v1/auth/passkey/finish", json!({"credential": answer})).await;
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("sso_required")), "{}", r.text);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("Acme"), "{}", r.text);
    assert!(fresh.cookie("tenantry_session").is_none());
    assert_eq!(fresh.send(&app, Method::GET, "/api/v1/me", None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.audit_actions("auth.login.passkey").await, 0);
    // A refusal by policy is not a failed attempt: the limit is untouched.
    for _ in 0..ratelimit::PER_ACCOUNT + 1 {
        let answer = assertion(&app, &mut fresh, &mut ada_key, &at, &ada_cred, &ada_id, true).await;
        let r = fresh.post(&app, "/api/v1/auth/passkey/finish", json!({"credential": answer})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    }

    // Another org's passkey still signs in.
    let mut other = Browser::default();
    let answer = assertion(&app, &mut other, &mut gus_key, &at, &gus_cred, &gus_id, true).await;
    let r = other.post(&app, "/api/v1/auth/passkey/finish", json!({"credential": answer})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

/// How many live tokens the browser's user has.
async fn token_count(app: &TestApp, b: &mut Browser) -> usize {
    b.send(app, Method::GET, "/api/v1/tokens", None).await.body.as_array().unwrap().len()
}

#[tokio::test]
async fn passkeys_alone_confirm_a_token_from_the_browser_for_a_policy_bound_user() {
    let (app, w, mut admin, _) = with_user("alice@contoso.example").await;
    app.add_user(&w.root, &w.msp, "tom@contoso.example", "member").await;
    app.add_user(&w.root, &w.globex, "gus@globex.example", "member").await;
    let r = admin.send(&app, Method::PUT, "/api/v1/settings/sign_in_policy", Some(json!({"value": {"require_mfa": true}}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let at = origin(&app, "http", "localhost");
    let mut alice_key = SoftPasskey::new(true);
    let alice_cred = register(&app, &mut admin, &mut alice_key, &at, "Alice's laptop", json!({"password": PASSWORD})).await;

    // Tom's only factor is a passkey.
    let (mut tom, tom_id) = Browser::sign_in(&app, "tom@contoso.example").await;
    let mut key = SoftPasskey::new(true);
    let cred = register(&app, &mut tom, &mut key, &at, "Laptop", json!({"password": PASSWORD})).await;

    // The password endpoint keeps its contract: without a second factor, 401 mfa_required.
    let r = app.post("/api/v1/auth/token", Auth::None, None, json!({"email": "tom@contoso.example", "password": PASSWORD, "name": "backup"})).await;
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("mfa_required")), "{}", r.text);
    assert_eq!(r.body["error"]["fields"]["methods"], "passkey", "{}", r.text);

    // From his browser session, the password is not enough either: the passkey is named.
    let r = tom.post(&app, "/api/v1/tokens", json!({"name": "backup", "password": PASSWORD})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.body["error"]["fields"]["passkey"].is_string() && r.body["error"]["fields"]["otp"].is_null(), "{}", r.text);
    // Bad fields change nothing; unknown fields are refused.
    let r = tom.post(&app, "/api/v1/tokens", json!({"name": " ", "expires_in_days": 0})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.body["error"]["fields"]["name"].is_string() && r.body["error"]["fields"]["expires_in_days"].is_string(), "{}", r.text);
    let r = tom.post(&app, "/api/v1/tokens", json!({"name": "backup", "email": "tom@contoso.example"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // Someone else's passkey is not his proof.
    let answer = assertion(&app, &mut tom, &mut alice_key, &at, &alice_cred, &tom_id, true).await;
    let r = tom.post(&app, "/api/v1/tokens", json!({"name": "backup", "passkey": answer})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.body["error"]["fields"]["passkey"].is_string(), "{}", r.text);
    // Not signed in: 401.
    let r = app.post("/api/v1/tokens", Auth::None, None, json!({"name": "backup"})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(token_count(&app, &mut tom).await, 0);
    assert_eq!(app.audit_actions("token.create").await, 0);

    // His passkey, answering a challenge of this browser: the token, made in the org he acts in.
    let answer = assertion(&app, &mut tom, &mut key, &at, &cred, &tom_id, true).await;
    let r = tom.post(&app, "/api/v1/tokens", json!({"name": "backup", "expires_in_days": 30, "passkey": answer})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let token = r.body["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("tnt_"));
    assert_eq!(r.body["name"], "backup");
    let me = app.get("/api/v1/me", Auth::Bearer(&token), None).await;
    assert_eq!((me.status, me.body["user"]["email"].as_str()), (StatusCode::OK, Some("tom@contoso.example")), "{}", me.text);
    assert_eq!(token_count(&app, &mut tom).await, 1);
    assert_eq!(app.audit_actions("token.create").await, 1);
    // The same answer again: its challenge is spent.
    let r = tom.post(&app, "/api/v1/tokens", json!({"name": "again", "passkey": answer})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.body["error"]["fields"]["ceremony"].is_string(), "{}", r.text);
    // A token can't make tokens (it has no browser to prove anything in).
    let r = app.post("/api/v1/tokens", Auth::Bearer(&token), None, json!({"name": "child"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(token_count(&app, &mut tom).await, 1);

    // Someone without a factor and outside any policy confirms with the password.
    let (mut gus, _) = Browser::sign_in(&app, "gus@globex.example").await;
    let r = gus.post(&app, "/api/v1/tokens", json!({"name": "report", "password": "wrong password"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.body["error"]["fields"]["password"].is_string(), "{}", r.text);
    let r = gus.post(&app, "/api/v1/tokens", json!({"name": "report", "password": PASSWORD})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(server::audit::verify(&app.db).await.unwrap(), Ok(app.audit_count().await));
}

/// Starting a passkey sign-in needs no account, so one address may hold only so many live
/// ceremonies: the next start is refused in the error envelope and stores nothing; another
/// address is unaffected, and once the ceremonies expire the first may start again.
#[tokio::test]
async fn passkey_sign_in_starts_are_capped_per_address() {
    let app = spawn_app_with(|c| c.trusted_proxies = server::http::client_ip::Cidr::parse_list("127.0.0.1/32").unwrap()).await;
    let start = |xff: &'static str| app.http.post(app.url("/api/v1/auth/passkey/start")).header("x-forwarded-for", xff).json(&json!({})).send();
    let stored = || async { sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM webauthn_ceremonies").fetch_one(&app.db.pool).await.unwrap() };
    for i in 0..passkeys::CEREMONIES_PER_IP {
        assert_eq!(start("203.0.113.9").await.unwrap().status(), StatusCode::OK, "start {i}");
    }
    assert_eq!(stored().await, passkeys::CEREMONIES_PER_IP);
    let refused = start("203.0.113.9").await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    assert_eq!(stored().await, passkeys::CEREMONIES_PER_IP, "a refused start stores nothing");
    assert_eq!(start("198.51.100.20").await.unwrap().status(), StatusCode::OK, "another address has its own room");
    app.clock.set(server::db::now_ms() + passkeys::CEREMONY_MS + 1_000);
    assert_eq!(start("203.0.113.9").await.unwrap().status(), StatusCode::OK, "expired ceremonies free the address");
    assert_eq!(stored().await, 1, "the expired ones were trimmed");
}
