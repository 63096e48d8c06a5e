//! The permission table: every endpoint × every role × (own org, managed customer, sibling
//! customer, another MSP's customer, nonexistent id), denied rows included. The expected
//! role of each actor in each org is written out by hand below; each endpoint's rule turns
//! it into the expected status.
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
enum R {
    Viewer,
    Member,
    Admin,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum T {
    Msp,
    Acme,
    Globex,
    Initech,
    Missing,
}

const TARGETS: [T; 5] = [T::Msp, T::Acme, T::Globex, T::Initech, T::Missing];

/// Actor name and their role in each target (the specification, by hand).
fn expected_role(actor: &str, t: T) -> Option<R> {
    use R::*;
    match (actor, t) {
        ("msp_admin", T::Msp | T::Acme | T::Globex) => Some(Admin),
        ("technician", T::Msp) => Some(Member),
        ("technician", T::Acme) => Some(Admin), // delegated
        ("msp_viewer", T::Msp) => Some(Viewer),
        ("acme_admin", T::Acme) => Some(Admin),
        ("acme_member", T::Acme) => Some(Member),
        ("acme_viewer", T::Acme) => Some(Viewer),
        _ => None,
    }
}

/// 404 when the org is invisible, else 403 below `min`, else `ok`.
fn gate(role: Option<R>, min: R, ok: StatusCode) -> StatusCode {
    match role {
        None => StatusCode::NOT_FOUND,
        Some(r) if r < min => StatusCode::FORBIDDEN,
        Some(_) => ok,
    }
}

#[tokio::test]
async fn permission_table() {
    let app = spawn_app().await;
    let w = app.world().await;
    let tech_id = app.add_user(&w.root, &w.msp, "tech@contoso.example", "member").await;
    app.add_user(&w.root, &w.msp, "alice@contoso.example", "admin").await;
    app.add_user(&w.root, &w.msp, "vic@contoso.example", "viewer").await;
    app.add_user(&w.root, &w.acme, "carol@acme.example", "admin").await;
    app.add_user(&w.root, &w.acme, "dave@acme.example", "member").await;
    app.add_user(&w.root, &w.acme, "erin@acme.example", "viewer").await;
    let root_org = w.root.home_org_id.clone();
    let alice = app.login("alice@contoso.example", PASSWORD).await;
    let r = app.post(&format!("/api/v1/customers/{}/delegations", w.acme), Auth::Session(&alice), Some(&w.msp), json!({"user_id": tech_id})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let actors = [
        ("msp_admin", alice.clone()),
        ("technician", app.login("tech@contoso.example", PASSWORD).await),
        ("msp_viewer", app.login("vic@contoso.example", PASSWORD).await),
        ("acme_admin", app.login("carol@acme.example", PASSWORD).await),
        ("acme_member", app.login("dave@acme.example", PASSWORD).await),
        ("acme_viewer", app.login("erin@acme.example", PASSWORD).await),
    ];
    let missing = uuid::Uuid::new_v4().to_string();
    let id_of = |t: T| match t {
        T::Msp => w.msp.clone(),
        T::Acme => w.acme.clone(),
        T::Globex => w.globex.clone(),
        T::Initech => w.foreign.clone(),
        T::Missing => missing.clone(),
    };
    let domain_of = |t: T| match t {
        T::Msp => "contoso.example",
        T::Acme => "acme.example",
        T::Globex => "globex.example",
        T::Initech => "initech.example",
        T::Missing => "missing.example",
    };
    let mut rows = 0;
    let mut mutations = 0;
    let audit_before = app.audit_count().await;
    let mut n = 0;
    for (actor, s) in &actors {
        for t in TARGETS {
            let role = expected_role(actor, t);
            let id = id_of(t);
            let is_msp = t == T::Msp;
            n += 1;
            // (method, path, org header, body, expected, is a mutation)
            let cases: Vec<(Method, String, Option<String>, Option<serde_json::Value>, StatusCode)> = vec![
                (Method::GET, "/api/v1/org".into(), Some(id.clone()), None, gate(role, R::Viewer, StatusCode::OK)),
                (Method::GET, format!("/api/v1/orgs/{id}"), None, None, gate(role, R::Viewer, StatusCode::OK)),
                (Method::GET, "/api/v1/users".into(), Some(id.clone()), None, gate(role, R::Viewer, StatusCode::OK)),
                (Method::GET, "/api/v1/audit".into(), Some(id.clone()), None, gate(role, R::Admin, StatusCode::OK)),
                (
                    Method::POST,
                    "/api/v1/users".into(),
                    Some(id.clone()),
                    Some(json!({"email": format!("new{n}@{}", domain_of(t)), "name": "New", "role": "viewer"})),
                    gate(role, R::Admin, StatusCode::CREATED),
                ),
                (Method::PATCH, format!("/api/v1/orgs/{id}"), None, Some(json!({"name": format!("Renamed {n}")})), gate(role, R::Admin, StatusCode::OK)),
                (
                    Method::POST,
                    "/api/v1/orgs".into(),
                    None,
                    Some(json!({"name": format!("Child {n}"), "kind": "child", "parent_id": id})),
                    match role {
                        None => StatusCode::NOT_FOUND,
                        Some(_) if is_msp => StatusCode::UNPROCESSABLE_ENTITY,
                        r => gate(r, R::Admin, StatusCode::CREATED),
                    },
                ),
                (
                    Method::GET,
                    "/api/v1/customers".into(),
                    Some(id.clone()),
                    None,
                    match role {
                        None => StatusCode::NOT_FOUND,
                        Some(_) if is_msp => StatusCode::OK,
                        Some(_) => StatusCode::BAD_REQUEST,
                    },
                ),
                (
                    Method::POST,
                    "/api/v1/orgs".into(),
                    None,
                    Some(json!({"name": format!("Cust {n}"), "kind": "customer", "parent_id": id, "email_domain": format!("c{n}.example")})),
                    match role {
                        None => StatusCode::NOT_FOUND,
                        Some(_) if !is_msp => StatusCode::UNPROCESSABLE_ENTITY,
                        r => gate(r, R::Admin, StatusCode::CREATED),
                    },
                ),
                // Changing who manages an org: superusers only.
                (Method::PUT, format!("/api/v1/orgs/{id}/parent"), None, Some(json!({"parent_id": w.other_msp})), gate(role, R::Viewer, StatusCode::FORBIDDEN)),
                // Delegations of a customer, asked in the MSP: MSP admins only; non-customers are 404.
                (
                    Method::GET,
                    format!("/api/v1/customers/{id}/delegations"),
                    Some(w.msp.clone()),
                    None,
                    match expected_role(actor, T::Msp) {
                        None => StatusCode::NOT_FOUND,
                        Some(_) if !matches!(t, T::Acme | T::Globex) => StatusCode::NOT_FOUND,
                        r => gate(r, R::Admin, StatusCode::OK),
                    },
                ),
                // Inherited settings, schedules, deployments, notifications: read by any role, written by admins.
                (Method::GET, "/api/v1/settings".into(), Some(id.clone()), None, gate(role, R::Viewer, StatusCode::OK)),
                (
                    Method::PUT,
                    "/api/v1/settings/agent_settings".into(),
                    Some(id.clone()),
                    Some(json!({"value": {"check_in_interval_seconds": 60 + n}})),
                    gate(role, R::Admin, StatusCode::OK),
                ),
                (Method::GET, "/api/v1/schedules".into(), Some(id.clone()), None, gate(role, R::Viewer, StatusCode::OK)),
                (
                    Method::POST,
                    "/api/v1/schedules".into(),
                    Some(id.clone()),
                    Some(json!({"name": format!("Patch {n}"), "frequency": "weekly", "window_start": "02:00", "window_end": "04:00"})),
                    gate(role, R::Admin, StatusCode::CREATED),
                ),
                (Method::GET, "/api/v1/deployments".into(), Some(id.clone()), None, gate(role, R::Viewer, StatusCode::OK)),
                (
                    Method::POST,
                    "/api/v1/deployments".into(),
                    Some(id.clone()),
                    Some(json!({"name": format!("Agent {n}"), "package": "agent.msi", "inheritable": true})),
                    gate(role, R::Admin, StatusCode::CREATED),
                ),
                (
                    Method::POST,
                    "/api/v1/notifications".into(),
                    Some(id.clone()),
                    Some(json!({"target": {"kind": "role", "role": "admin"}, "title": format!("Note {n}")})),
                    gate(role, R::Admin, StatusCode::CREATED),
                ),
                // Nobody but a superuser creates an MSP.
                (
                    Method::POST,
                    "/api/v1/orgs".into(),
                    None,
                    Some(json!({"name": format!("MSP {n}"), "kind": "msp", "email_domain": format!("m{n}.example")})),
                    StatusCode::FORBIDDEN,
                ),
            ];
            for (method, path, org, body, expected) in cases {
                let is_mutation = method != Method::GET;
                let got = app.request(method.clone(), &path, Auth::Session(s), org.as_deref(), body).await;
                assert_eq!(got.status, expected, "{actor} {method} {path} (org {org:?}, target {t:?}): {}", got.text);
                rows += 1;
                if is_mutation && got.status.is_success() {
                    mutations += 1;
                }
                if !got.status.is_success() {
                    assert!(got.body["error"]["code"].is_string(), "error body for {path}");
                }
                // A hidden org's name never leaks through an error.
                for secret in ["Initech", "Globex"] {
                    let visible = (secret == "Globex" && expected_role(actor, T::Globex).is_some()) || (secret == "Initech" && expected_role(actor, T::Initech).is_some());
                    if !visible {
                        assert!(!got.text.contains(secret), "{actor} saw {secret} via {path}: {}", got.text);
                    }
                }
            }
        }
    }
    assert!(rows >= 6 * 5 * 12);
    assert_eq!(app.audit_count().await - audit_before, mutations, "one audit event per successful mutation");
    let _ = root_org;
}

#[tokio::test]
async fn msp_admin_cannot_create_msp_change_parent_or_become_superuser() {
    let app = spawn_app().await;
    let w = app.world().await;
    let alice_id = app.add_user(&w.root, &w.msp, "alice@contoso.example", "admin").await;
    let alice = app.login("alice@contoso.example", PASSWORD).await;
    let msp = app.post("/api/v1/orgs", Auth::Session(&alice), None, json!({"name": "Mine", "kind": "msp", "email_domain": "mine.example"})).await;
    assert_eq!(msp.status, StatusCode::FORBIDDEN);
    let parent = app.request(Method::PUT, &format!("/api/v1/orgs/{}/parent", w.acme), Auth::Session(&alice), None, Some(json!({"parent_id": w.other_msp}))).await;
    assert_eq!(parent.status, StatusCode::FORBIDDEN);
    let su = app.request(Method::PATCH, &format!("/api/v1/users/{alice_id}"), Auth::Session(&alice), Some(&w.msp), Some(json!({"is_superuser": true}))).await;
    assert_eq!(su.status, StatusCode::FORBIDDEN, "{}", su.text);
    let me = app.get("/api/v1/me", Auth::Session(&alice), None).await;
    assert_eq!(me.body["is_superuser"], false);
    // The superuser can move Acme to the other MSP, after which Alice loses it.
    let moved = app.request(Method::PUT, &format!("/api/v1/orgs/{}/parent", w.acme), Auth::Session(&w.root), None, Some(json!({"parent_id": w.other_msp}))).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(app.get(&format!("/api/v1/orgs/{}", w.acme), Auth::Session(&alice), None).await.status, StatusCode::NOT_FOUND);
    // A parent that would make a cycle, or the wrong kind, is refused with the field named.
    let cycle = app.request(Method::PUT, &format!("/api/v1/orgs/{}/parent", w.acme), Auth::Session(&w.root), None, Some(json!({"parent_id": w.acme_child}))).await;
    assert_eq!(cycle.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(cycle.body["error"]["fields"]["parent_id"].is_string());
}
