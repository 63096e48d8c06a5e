//! Single sign-on (issue 13) against a real, certified OpenID Connect provider: the npm
//! package `oidc-provider`, started on a loopback port by `e2e/oidc/provider.mjs` (installed
//! by `./dev test` into `e2e/node_modules`). Nothing of the provider's side is mocked: the
//! server discovers it, sends the browser there with PKCE, exchanges the code and checks the
//! signed ID token against the provider's keys.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};

const CLIENT_ID: &str = "tenantry";
const CLIENT_SECRET: &str = "tenantry-test-secret-8d1f";

/// The provider process (killed when dropped) and its issuer URL.
struct Idp {
    issuer: String,
    _process: tokio::process::Child,
}

/// Starts `oidc-provider` with one client whose redirect URIs are the app's callback on each
/// of `hosts` (`127.0.0.1`, tenant subdomains of `localhost`).
async fn start_idp(app: &TestApp, hosts: &[&str]) -> Idp {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../e2e/oidc/provider.mjs");
    let port = app.addr.port();
    let uris: Vec<String> = hosts.iter().map(|h| format!("http://{h}:{port}/auth/sso/callback")).collect();
    let mut process = tokio::process::Command::new("node")
        .arg(script)
        .env("OIDC_CLIENT_ID", CLIENT_ID)
        .env("OIDC_CLIENT_SECRET", CLIENT_SECRET)
        .env("OIDC_REDIRECT_URIS", uris.join(","))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs e2e/oidc/provider.mjs (./dev test installs oidc-provider into e2e/node_modules)");
    let mut lines = BufReader::new(process.stdout.take().unwrap()).lines();
    let issuer = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(issuer) = line.strip_prefix("ISSUER=") {
                return issuer.to_string();
            }
        }
        panic!("the provider ended without saying its issuer (is e2e/node_modules/oidc-provider installed?)");
    })
    .await
    .expect("the provider starts");
    Idp { issuer, _process: process }
}

/// A browser: its own cookies, follows no redirect by itself.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// GETs `url` as a browser would; `<slug>.localhost` goes to 127.0.0.1 with its Host header.
async fn visit(browser: &reqwest::Client, url: &str) -> reqwest::Response {
    let mut to = reqwest::Url::parse(url).unwrap();
    let host = to.host_str().unwrap().to_string();
    if host.ends_with(".localhost") {
        let authority = format!("{host}:{}", to.port().unwrap());
        to.set_host(Some("127.0.0.1")).unwrap();
        return browser.get(to).header("host", authority).send().await.unwrap();
    }
    browser.get(to).send().await.unwrap()
}

fn location(r: &reqwest::Response, base: &str) -> String {
    let l = r.headers().get("location").unwrap_or_else(|| panic!("no redirect ({}) from {}", r.status(), r.url())).to_str().unwrap();
    if l.starts_with('/') { format!("{base}{l}") } else { l.to_string() }
}

/// Starts at `start` (an app URL), signs in at the provider as `login`, and returns the
/// callback URL the provider sends the browser to — or `Err(location)` when the app didn't
/// send the browser to the provider.
async fn authorize(browser: &reqwest::Client, idp: &Idp, start: &str, login: &str) -> Result<String, String> {
    let r = visit(browser, start).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{start}");
    let to = location(&r, "");
    if !to.starts_with(&idp.issuer) {
        return Err(to);
    }
    assert!(to.contains("code_challenge_method=S256") && to.contains("nonce=") && to.contains("state="), "PKCE, nonce and state: {to}");
    let r = visit(browser, &to).await;
    let interaction = location(&r, &idp.issuer);
    assert!(interaction.contains("/interaction/"), "the provider asks who it is: {interaction}");
    let r = browser.post(&interaction).form(&[("prompt", "login"), ("login", login), ("password", "anything")]).send().await.unwrap();
    let resume = location(&r, &idp.issuer);
    let r = visit(browser, &resume).await;
    let callback = location(&r, &idp.issuer);
    assert!(callback.contains("/auth/sso/callback?"), "back to the app: {callback}");
    Ok(callback)
}

/// The session a callback answer set, if it signed in.
fn session_of(r: &reqwest::Response) -> Option<Session> {
    let cookie = set_cookie(r, "tenantry_session")?;
    let csrf = set_cookie(r, "tenantry_csrf")?.split_once('=').unwrap().1.to_string();
    Some(Session { cookie, csrf, user_id: String::new(), home_org_id: String::new() })
}

/// A whole sign-in through the provider: where the app sent the browser in the end, and the
/// session if signed in.
async fn sso_sign_in(idp: &Idp, start: &str, login: &str) -> (String, Option<Session>) {
    let b = browser();
    match authorize(&b, idp, start, login).await {
        Err(to) => (to, None),
        Ok(callback) => {
            let r = visit(&b, &callback).await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
            (location(&r, ""), session_of(&r))
        }
    }
}

async fn me(app: &TestApp, s: &Session) -> Value {
    let r = app.get("/api/v1/me", Auth::Session(s), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

async fn slug(app: &TestApp, org: &str) -> String {
    sqlx::query_scalar("SELECT slug FROM orgs WHERE id = $1").bind(org).fetch_one(&app.db.pool).await.unwrap()
}

async fn role_in(app: &TestApp, user: &str, org: &str) -> Option<String> {
    sqlx::query_scalar("SELECT role FROM memberships WHERE user_id = $1 AND org_id = $2").bind(user).bind(org).fetch_optional(&app.db.pool).await.unwrap()
}

fn provider_body(idp: &Idp, role: &str, sso_only: bool) -> Value {
    json!({"issuer": idp.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "default_role": role, "sso_only": sso_only})
}

#[tokio::test]
async fn sso_settings_are_admin_only_validated_audited_and_never_show_the_secret() {
    let app = spawn_app().await;
    let w = app.world().await;
    let idp = start_idp(&app, &["127.0.0.1"]).await;
    app.add_user(&w.root, &w.acme, "ada@acme.example", "admin").await;
    app.add_user(&w.root, &w.acme, "mo@acme.example", "member").await;
    let ada = app.login("ada@acme.example", PASSWORD).await;
    let mo = app.login("mo@acme.example", PASSWORD).await;

    // Nothing set: 404. A member may not read or write it (403); another MSP's org is 404.
    assert_eq!(app.get("/api/v1/sso", Auth::Session(&ada), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/sso", Auth::Session(&mo), None).await.status, StatusCode::FORBIDDEN);
    let r = app.put("/api/v1/sso", Auth::Session(&mo), None, provider_body(&idp, "member", false)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = app.put("/api/v1/sso", Auth::Session(&ada), Some(&w.foreign), provider_body(&idp, "member", false)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let before = app.audit_count().await;

    // Bad fields are named, all at once, and change nothing.
    let r = app.put("/api/v1/sso", Auth::Session(&ada), None, json!({"issuer": "ftp://idp.example", "client_id": " "})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    for field in ["issuer", "client_id", "client_secret"] {
        assert!(r.body["error"]["fields"][field].is_string(), "{field}: {}", r.text);
    }
    let r = app.put("/api/v1/sso", Auth::Session(&ada), None, json!({"issuer": "http://idp.example", "client_id": "x", "client_secret": "y"})).await;
    assert!(r.body["error"]["fields"]["issuer"].as_str().unwrap().contains("https://"), "{}", r.text);
    let r = app.put("/api/v1/sso", Auth::Session(&ada), None, json!({"issuer": idp.issuer, "client_id": "x", "client_secret": "y", "colour": "red"})).await;
    assert!(r.body["error"]["fields"]["colour"].is_string(), "unknown fields are refused: {}", r.text);
    // An issuer that isn't a provider: its discovery document can't be read.
    let nowhere = format!("http://127.0.0.1:{}/nothing-here", app.addr.port());
    let r = app.put("/api/v1/sso", Auth::Session(&ada), None, json!({"issuer": nowhere, "client_id": "x", "client_secret": "y"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.body["error"]["fields"]["issuer"].as_str().unwrap().contains("discovery"), "{}", r.text);
    assert_eq!(app.audit_count().await, before, "refused changes write nothing");

    // Set: the answer has everything but the secret, which is stored sealed.
    let r = app.put("/api/v1/sso", Auth::Session(&ada), None, provider_body(&idp, "viewer", false)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(!r.text.contains(CLIENT_SECRET), "{}", r.text);
    assert_eq!(r.body["client_secret_set"], true);
    assert_eq!(r.body["default_role"], "viewer");
    assert_eq!(r.body["inherited"], false);
    assert_eq!(r.body["redirect_uri"], format!("http://127.0.0.1:{}/auth/sso/callback", app.addr.port()));
    let stored: String = sqlx::query_scalar("SELECT client_secret FROM sso_providers WHERE org_id = $1").bind(&w.acme).fetch_one(&app.db.pool).await.unwrap();
    assert!(!stored.contains(CLIENT_SECRET) && stored.len() > 20, "sealed at rest: {stored}");
    let r = app.get("/api/v1/sso", Auth::Session(&ada), None).await;
    assert!(!r.text.contains(CLIENT_SECRET) && r.body["issuer"] == idp.issuer.as_str(), "{}", r.text);
    // Leaving the secret out keeps it; the role defaults to member.
    let r = app.put("/api/v1/sso", Auth::Session(&ada), None, json!({"issuer": idp.issuer, "client_id": CLIENT_ID})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["default_role"], "member");
    let kept: String = sqlx::query_scalar("SELECT client_secret FROM sso_providers WHERE org_id = $1").bind(&w.acme).fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(kept, stored);
    assert_eq!(app.audit_actions("sso.set").await, 2);
    let summary: String = sqlx::query_scalar("SELECT summary FROM audit_events WHERE action = 'sso.set' ORDER BY seq LIMIT 1").fetch_one(&app.db.pool).await.unwrap();
    assert!(summary.contains(&idp.issuer) && !summary.contains(CLIENT_SECRET), "{summary}");

    // The child tenant inherits it; it has none of its own to delete.
    let r = app.get("/api/v1/sso", Auth::Session(&ada), Some(&w.acme_child)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["inherited"], true);
    assert_eq!(r.body["source_org_id"], w.acme.as_str());
    assert_eq!(app.delete("/api/v1/sso", Auth::Session(&ada), Some(&w.acme_child)).await.status, StatusCode::NOT_FOUND);
    // The MSP's provider is not its customers': another domain, other people.
    let r = app.put("/api/v1/sso", Auth::Session(&w.root), Some(&w.globex), provider_body(&idp, "member", false)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(app.get("/api/v1/sso", Auth::Session(&w.root), Some(&w.msp)).await.status, StatusCode::NOT_FOUND);

    // Removed: audited, and gone for the child too.
    assert_eq!(app.delete("/api/v1/sso", Auth::Session(&mo), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.delete("/api/v1/sso", Auth::Session(&ada), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.audit_actions("sso.remove").await, 1);
    assert_eq!(app.get("/api/v1/sso", Auth::Session(&ada), Some(&w.acme_child)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sso_signs_people_in_at_their_domains_provider_creating_them_once_and_then_by_subject() {
    let app = spawn_app().await;
    let w = app.world().await;
    let acme_host = format!("{}.localhost", slug(&app, &w.acme).await);
    let child_host = format!("{}.localhost", slug(&app, &w.acme_child).await);
    let idp = start_idp(&app, &["127.0.0.1", &acme_host, &child_host]).await;
    let base = app.url("");
    let port = app.addr.port();
    let r = app.put("/api/v1/sso", Auth::Session(&w.root), Some(&w.acme), provider_body(&idp, "viewer", false)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // Identity-first: the domain names the org, the org its provider.
    let d = app.get("/api/v1/auth/sso/discover?email=alice@acme.example", Auth::None, None).await;
    assert_eq!((d.body["sso"].clone(), d.body["org_name"].clone()), (json!(true), json!("Acme")), "{}", d.text);
    assert_eq!(d.body["start_url"], "/auth/sso/start?email=alice@acme.example");
    let d = app.get("/api/v1/auth/sso/discover?email=gus@globex.example", Auth::None, None).await;
    assert_eq!(d.body["sso"], false, "{}", d.text);

    // First sign-in: a new user in Acme with the configured role.
    let (to, s) = sso_sign_in(&idp, &format!("{base}/auth/sso/start?email=alice@acme.example"), "alice@acme.example").await;
    assert_eq!(to, "/", "signed in");
    let alice = me(&app, &s.unwrap()).await;
    let alice_id = alice["user"]["id"].as_str().unwrap().to_string();
    assert_eq!(alice["user"]["email"], "alice@acme.example");
    assert_eq!(alice["home_org"]["id"], w.acme.as_str());
    assert_eq!(role_in(&app, &alice_id, &w.acme).await.as_deref(), Some("viewer"));
    assert_eq!(app.audit_actions("user.sso_create").await, 1);
    assert_eq!(app.audit_actions("auth.sso_login").await, 1);
    let has_password: Option<String> = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1").bind(&alice_id).fetch_one(&app.db.pool).await.unwrap();
    assert!(has_password.is_none(), "no password was made up for her");

    // Again: the same user, found by the provider's subject.
    let (to, s) = sso_sign_in(&idp, &format!("{base}/auth/sso/start?email=alice@acme.example"), "alice@acme.example").await;
    assert_eq!(to, "/");
    assert_eq!(me(&app, &s.unwrap()).await["user"]["id"], alice_id.as_str());
    assert_eq!(app.audit_actions("user.sso_create").await, 1, "not created twice");
    assert_eq!(app.audit_actions("auth.sso_login").await, 2);

    // Another provider account with the same address is not her: never by email alone.
    let (to, s) = sso_sign_in(&idp, &format!("{base}/auth/sso/start?email=alice@acme.example"), "alice@acme.example#2").await;
    assert_eq!((to.as_str(), s.is_none()), ("/login?error=sso_conflict", true));
    // An address outside the org's domain, and one the provider hasn't verified, are refused.
    let (to, _) = sso_sign_in(&idp, &format!("{base}/auth/sso/start?email=alice@acme.example"), "mallory@globex.example").await;
    assert_eq!(to, "/login?error=sso_domain");
    let (to, _) = sso_sign_in(&idp, &format!("{base}/auth/sso/start?email=alice@acme.example"), "mallory@acme.example.evil.example").await;
    assert_eq!(to, "/login?error=sso_domain", "a look-alike domain is another domain");
    let (to, _) = sso_sign_in(&idp, &format!("{base}/auth/sso/start?email=bob@acme.example"), "unverified:bob@acme.example").await;
    assert_eq!(to, "/login?error=sso_unverified");
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email IN ('mallory@globex.example', 'bob@acme.example')").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(users, 0, "refused sign-ins create nobody");
    // A domain without a provider goes nowhere.
    let (to, _) = sso_sign_in(&idp, &format!("{base}/auth/sso/start?email=gus@globex.example"), "gus@globex.example").await;
    assert_eq!(to, "/login?error=sso_none");

    // An existing password user is linked at the first sign-in, then found by subject.
    let carol = app.add_user(&w.root, &w.acme, "carol@acme.example", "admin").await;
    let (to, s) = sso_sign_in(&idp, &format!("{base}/auth/sso/start?email=carol@acme.example"), "carol@acme.example").await;
    assert_eq!(to, "/");
    assert_eq!(me(&app, &s.unwrap()).await["user"]["id"], carol.as_str());
    assert_eq!(role_in(&app, &carol, &w.acme).await.as_deref(), Some("admin"), "her role is kept");
    assert_eq!(app.audit_actions("sso.link").await, 1);

    // On the tenant's subdomain the page needn't ask: the host names the org.
    let (to, s) = sso_sign_in(&idp, &format!("http://{acme_host}:{port}/auth/sso/start"), "dan@acme.example").await;
    assert_eq!(to, "/");
    let dan = me(&app, &s.unwrap()).await;
    assert_eq!(dan["home_org"]["id"], w.acme.as_str());
    // A child tenant uses its parent's provider; people who start there join the child.
    let (to, s) = sso_sign_in(&idp, &format!("http://{child_host}:{port}/auth/sso/start?email=erin@acme.example"), "erin@acme.example").await;
    assert_eq!(to, "/");
    let erin = me(&app, &s.unwrap()).await;
    assert_eq!(erin["home_org"]["id"], w.acme_child.as_str());
    let erin_id = erin["user"]["id"].as_str().unwrap().to_string();
    assert_eq!(role_in(&app, &erin_id, &w.acme_child).await.as_deref(), Some("viewer"));
}

#[tokio::test]
async fn sso_refuses_a_tampered_state_a_replayed_answer_another_browser_and_a_wrong_nonce() {
    let app = spawn_app().await;
    let w = app.world().await;
    let idp = start_idp(&app, &["127.0.0.1"]).await;
    let start = app.url("/auth/sso/start?email=alice@acme.example");
    let r = app.put("/api/v1/sso", Auth::Session(&w.root), Some(&w.acme), provider_body(&idp, "member", false)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // A tampered state finds no sign-in under way.
    let b = browser();
    let callback = authorize(&b, &idp, &start, "alice@acme.example").await.unwrap();
    let (head, tail) = callback.split_once("state=").unwrap();
    let tampered = format!("{head}state=x{tail}");
    let r = visit(&b, &tampered).await;
    assert_eq!((location(&r, ""), session_of(&r).is_none()), ("/login?error=sso_state".to_string(), true));
    // The real answer still works once; replayed, it doesn't.
    let r = visit(&b, &callback).await;
    assert_eq!(location(&r, ""), "/");
    assert!(session_of(&r).is_some());
    let r = visit(&b, &callback).await;
    assert_eq!((location(&r, ""), session_of(&r).is_none()), ("/login?error=sso_state".to_string(), true));

    // The answer opened in another browser (an attacker's link, say) is refused.
    let b = browser();
    let callback = authorize(&b, &idp, &start, "alice@acme.example").await.unwrap();
    let r = visit(&browser(), &callback).await;
    assert_eq!(location(&r, ""), "/login?error=sso_state");

    // An ID token whose nonce is not the one this sign-in sent is refused.
    let b = browser();
    let callback = authorize(&b, &idp, &start, "alice@acme.example").await.unwrap();
    sqlx::query("UPDATE sso_logins SET nonce = 'not-the-nonce-that-was-sent'").execute(&app.db.pool).await.unwrap();
    let r = visit(&b, &callback).await;
    assert_eq!((location(&r, ""), session_of(&r).is_none()), ("/login?error=sso_failed".to_string(), true));
    // A wrong client secret: the provider refuses the code exchange.
    let r = app.put("/api/v1/sso", Auth::Session(&w.root), Some(&w.acme), json!({"issuer": idp.issuer, "client_id": CLIENT_ID, "client_secret": "wrong"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let b = browser();
    let callback = authorize(&b, &idp, &start, "alice@acme.example").await.unwrap();
    let r = visit(&b, &callback).await;
    assert_eq!(location(&r, ""), "/login?error=sso_failed");
    assert_eq!(app.audit_actions("auth.sso_login").await, 1, "only the one good sign-in");
}

#[tokio::test]
async fn sso_only_turns_passwords_off_for_the_org_and_its_children_but_not_for_others() {
    let app = spawn_app().await;
    let w = app.world().await;
    let idp = start_idp(&app, &["127.0.0.1"]).await;
    app.add_user(&w.root, &w.acme, "ada@acme.example", "admin").await;
    app.add_user(&w.root, &w.acme_child, "kim@acme.example", "member").await;
    app.add_user(&w.root, &w.globex, "gus@globex.example", "member").await;
    let ada = app.login("ada@acme.example", PASSWORD).await;
    let r = app.put("/api/v1/sso", Auth::Session(&ada), None, provider_body(&idp, "member", true)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["sso_only"], true);
    let d = app.get("/api/v1/auth/sso/discover?email=anyone@acme.example", Auth::None, None).await;
    assert_eq!(d.body["sso_only"], true, "{}", d.text);

    for email in ["ada@acme.example", "kim@acme.example"] {
        let (r, s) = app.login_raw(email, PASSWORD, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{email}: {}", r.text);
        assert_eq!(r.body["error"]["code"], "sso_required");
        assert!(r.body["error"]["message"].as_str().unwrap().contains("Acme"), "{}", r.text);
        assert!(s.is_none());
        let t = app.post("/api/v1/auth/token", Auth::None, None, json!({"email": email, "password": PASSWORD, "name": "script"})).await;
        assert_eq!(t.status, StatusCode::FORBIDDEN, "no token by password either: {}", t.text);
    }
    // A wrong password still says only that.
    let (r, _) = app.login_raw("ada@acme.example", "wrong password", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // The form posted before hydration says why too.
    let r = app.http.post(app.url("/login")).header("origin", app.url("")).form(&[("email", "kim@acme.example"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.headers().get("location").unwrap(), "/login?error=sso_only");
    // Other orgs, and the superuser, keep their passwords.
    app.login("gus@globex.example", PASSWORD).await;
    app.login("root@ops.example", PASSWORD).await;
    // They sign in with the provider instead.
    let (to, s) = sso_sign_in(&idp, &app.url("/auth/sso/start?email=ada@acme.example"), "ada@acme.example").await;
    assert_eq!(to, "/");
    assert!(s.is_some());
}
