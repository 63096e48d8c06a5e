//! The MSP's delegation policy: how long a delegation may last, the reminder before it ends,
//! and what ends with it (the technician's invitations and tokens made in that customer).
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;
use server::db::{now_ms, rfc3339};

const DAY: i64 = 24 * 60 * 60 * 1000;

struct Msp {
    alice: Session,
    tom: Session,
    tech: String,
}

/// Alice administers Contoso MSP; Tom is a technician (member) there.
async fn msp(app: &TestApp, w: &World) -> Msp {
    let tech = app.add_user(&w.root, &w.msp, "tom@contoso.example", "member").await;
    app.add_user(&w.root, &w.msp, "alice@contoso.example", "admin").await;
    Msp { alice: app.login("alice@contoso.example", PASSWORD).await, tom: app.login("tom@contoso.example", PASSWORD).await, tech }
}

async fn token(app: &TestApp, org: Option<&str>, name: &str) -> String {
    let r = app.post("/api/v1/auth/token", Auth::None, org, json!({"email": "tom@contoso.example", "password": PASSWORD, "name": name})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["token"].as_str().unwrap().to_string()
}

async fn works(app: &TestApp, token: &str) -> bool {
    app.get("/api/v1/me", Auth::Bearer(token), None).await.status == StatusCode::OK
}

/// Pending invitations Tom sent in `org`, as its admin sees them.
async fn toms_pending(app: &TestApp, root: &Session, org: &str) -> usize {
    let r = app.get("/api/v1/invitations", Auth::Session(root), Some(org)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"].as_array().unwrap().iter().filter(|i| i["invited_by_email"] == "tom@contoso.example").count()
}

#[tokio::test]
async fn the_policy_bounds_how_long_a_delegation_may_last() {
    let app = spawn_app().await;
    let w = app.world().await;
    let m = msp(&app, &w).await;
    let a = Auth::Session(&m.alice);
    let grant = |until: Option<String>| {
        let (app, a, url, tech, msp) = (&app, a.clone(), format!("/api/v1/customers/{}/delegations", w.acme), m.tech.clone(), w.msp.clone());
        async move { app.post(&url, a, Some(&msp), json!({"user_id": tech, "expires_at": until})).await }
    };
    // By default a delegation may be open-ended and of any length.
    assert_eq!(grant(None).await.status, StatusCode::CREATED);
    let p = app.put("/api/v1/settings/delegation_policy", a.clone(), Some(&w.msp), json!({"value": {"max_days": 30, "allow_open_ended": false}})).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text);
    assert_eq!(p.body["value"], json!({"max_days": 30, "allow_open_ended": false, "remind_days_before": 3}));
    let bad = app.put("/api/v1/settings/delegation_policy", a.clone(), Some(&w.msp), json!({"value": {"max_days": -1}})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let before = app.audit_count().await;
    let open = grant(None).await;
    assert_eq!(open.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", open.text);
    assert!(open.body["error"]["fields"]["expires_at"].as_str().unwrap().contains("open-ended"), "{}", open.text);
    let long = grant(Some(rfc3339(now_ms() + 31 * DAY))).await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", long.text);
    assert!(long.body["error"]["fields"]["expires_at"].as_str().unwrap().contains("30 days"), "{}", long.text);
    assert_eq!(app.audit_count().await, before, "refused grants change nothing");
    let ok = grant(Some(rfc3339(now_ms() + 29 * DAY))).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    // A customer can't loosen its MSP's policy: the MSP's value is what counts.
    let own = app.put("/api/v1/settings/delegation_policy", Auth::Session(&w.root), Some(&w.acme), json!({"value": {"allow_open_ended": true}})).await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(grant(None).await.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_revoked_or_expired_delegation_ends_the_tokens_and_invitations_made_there() {
    let app = spawn_app().await;
    let w = app.world().await;
    let m = msp(&app, &w).await;
    let a = Auth::Session(&m.alice);
    for customer in [&w.acme, &w.globex] {
        let until = rfc3339(now_ms() + 10 * DAY);
        let d = app.post(&format!("/api/v1/customers/{customer}/delegations"), a.clone(), Some(&w.msp), json!({"user_id": m.tech, "expires_at": until})).await;
        assert_eq!(d.status, StatusCode::CREATED, "{}", d.text);
    }
    // Tom makes tokens while acting in Acme, Globex, the MSP and nowhere in particular, and
    // invites an admin into each customer (one of them with the Acme token).
    let in_acme = token(&app, Some(&w.acme), "acme script").await;
    let in_globex = token(&app, Some(&w.globex), "globex script").await;
    let in_msp = token(&app, Some(&w.msp), "msp script").await;
    let plain = token(&app, None, "plain").await;
    // A token can't be made "in" an org Tom can't open.
    let r = app.post("/api/v1/auth/token", Auth::None, Some(&w.foreign), json!({"email": "tom@contoso.example", "password": PASSWORD, "name": "x"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    for (auth, org, email) in [
        (Auth::Bearer(&in_acme), &w.acme, "mallory@acme.example"),
        (Auth::Session(&m.tom), &w.acme_child, "eve@acme.example"),
        (Auth::Session(&m.tom), &w.globex, "gina@globex.example"),
    ] {
        let i = app.post("/api/v1/invitations", auth, Some(org), json!({"email": email, "role": "admin"})).await;
        assert_eq!(i.status, StatusCode::CREATED, "{}", i.text);
    }
    assert!(works(&app, &in_acme).await && works(&app, &in_globex).await);
    assert_eq!(toms_pending(&app, &w.root, &w.acme).await, 1);

    // Revoked: the Acme token and the invitations in Acme (and its child) end; nothing else.
    let r = app.delete(&format!("/api/v1/customers/{}/delegations/{}", w.acme, m.tech), a.clone(), Some(&w.msp)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert!(!works(&app, &in_acme).await, "the token made in Acme is revoked");
    assert_eq!((toms_pending(&app, &w.root, &w.acme).await, toms_pending(&app, &w.root, &w.acme_child).await), (0, 0));
    assert!(works(&app, &in_globex).await && works(&app, &in_msp).await && works(&app, &plain).await);
    assert_eq!(toms_pending(&app, &w.root, &w.globex).await, 1);
    assert_eq!((app.audit_actions("token.revoke").await, app.audit_actions("invitation.revoke").await), (1, 2));
    let listed = app.get("/api/v1/tokens", Auth::Bearer(&plain), None).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 3, "{}", listed.text);

    // Expired: the policy's sweep ends the Globex delegation once, with the same effect.
    sqlx::query("UPDATE delegations SET expires_at = $1 WHERE org_id = $2").bind(now_ms() - 1000).bind(&w.globex).execute(&app.db.pool).await.unwrap();
    server::delegation::sweep(&app.db, now_ms()).await.unwrap();
    assert!(!works(&app, &in_globex).await, "the token made in Globex is revoked");
    assert_eq!(toms_pending(&app, &w.root, &w.globex).await, 0);
    assert!(works(&app, &in_msp).await && works(&app, &plain).await, "tokens made elsewhere keep working");
    assert_eq!(app.audit_actions("delegation.expire").await, 1);
    assert_eq!((app.audit_actions("token.revoke").await, app.audit_actions("invitation.revoke").await), (2, 3));
    let why: String = sqlx::query_scalar("SELECT summary FROM audit_events WHERE action = 'token.revoke' AND org_id = $1")
        .bind(&w.globex)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(why.contains("globex script") && why.contains("ended"), "{why}");
    let before = app.audit_count().await;
    server::delegation::sweep(&app.db, now_ms()).await.unwrap();
    assert_eq!(app.audit_count().await, before, "an expiry is processed once");
}

#[tokio::test]
async fn the_technician_and_the_granting_admin_hear_before_a_delegation_ends() {
    let app = spawn_app().await;
    let w = app.world().await;
    let m = msp(&app, &w).await;
    let a = Auth::Session(&m.alice);
    let p = app.put("/api/v1/settings/delegation_policy", a.clone(), Some(&w.msp), json!({"value": {"remind_days_before": 5}})).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text);
    for (customer, days) in [(&w.acme, 4), (&w.globex, 9)] {
        let until = rfc3339(now_ms() + days * DAY);
        let d = app.post(&format!("/api/v1/customers/{customer}/delegations"), a.clone(), Some(&w.msp), json!({"user_id": m.tech, "expires_at": until})).await;
        assert_eq!(d.status, StatusCode::CREATED, "{}", d.text);
    }
    let titles = |s: Session| {
        let app = &app;
        async move {
            let inbox = app.get("/api/v1/inbox", Auth::Session(&s), None).await;
            inbox.body["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        }
    };
    server::delegation::sweep(&app.db, now_ms()).await.unwrap();
    server::delegation::sweep(&app.db, now_ms()).await.unwrap();
    for who in [m.tom.clone(), m.alice.clone()] {
        let t = titles(who).await;
        assert_eq!(t.len(), 1, "{t:?}");
        assert!(t[0].starts_with("Delegated admin of Acme ends"), "{t:?}");
    }
    assert_eq!(app.audit_actions("delegation.remind").await, 1);
    // Five days later the Globex one is due too.
    server::delegation::sweep(&app.db, now_ms() + 5 * DAY).await.unwrap();
    assert_eq!(titles(m.tom.clone()).await.len(), 2);
    assert_eq!(app.audit_actions("delegation.remind").await, 2);
}
