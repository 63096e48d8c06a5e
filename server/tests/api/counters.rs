//! The overview's per-org counters, and each MSP's rollup of them, stay equal to a fresh
//! count of the rows after every kind of write (create, update, move, delete, import, merge,
//! users in and out, second factors, suspending, re-parenting), including a write that fails
//! and rolls back.
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Every org's counters row equals a fresh count, and every MSP's rollup (what the overview
/// shows as its unfiltered totals) equals totals counted afresh by walking down its tree.
pub async fn assert_counters_exact(app: &TestApp, after: &str) {
    let mut conn = app.db.pool.acquire().await.unwrap();
    let wrong = server::db::counters::mismatches(&mut conn).await.unwrap();
    assert!(wrong.is_empty(), "counters of {wrong:?} drifted after {after}");
    let wrong = server::db::counters::rollup_mismatches(&mut conn).await.unwrap();
    assert!(wrong.is_empty(), "MSP rollups (msp, stored, fresh) drifted after {after}: {wrong:?}");
}

#[tokio::test]
async fn counters_follow_every_write_path() {
    let app = spawn_app().await;
    let w = app.world().await;
    assert_counters_exact(&app, "creating orgs").await;
    let root = Auth::Session(&w.root);
    let mut ids = Vec::new();
    for (org, name, ext, online, alerts) in [(&w.acme, "a1", "E1", true, 1), (&w.acme, "a2", "E2", false, 3), (&w.acme_child, "c1", "E3", true, 0), (&w.globex, "g1", "E1", false, 2)] {
        let r = app.post("/api/v1/assets", root.clone(), Some(org), json!({"kind": "computer", "name": name, "external_id": ext, "online": online, "open_alerts": alerts})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        ids.push(r.id());
    }
    assert_counters_exact(&app, "creating assets").await;
    let r = app.request(Method::PATCH, &format!("/api/v1/assets/{}", ids[1]), root.clone(), Some(&w.acme), Some(json!({"online": true, "open_alerts": 0}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_counters_exact(&app, "updating an asset").await;
    // A move that conflicts (E1 is taken in Globex) changes nothing, counters included.
    let r = app.post("/api/v1/assets/move", root.clone(), Some(&w.acme), json!({"asset_ids": [ids[0], ids[1]], "target_org_id": w.globex})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_counters_exact(&app, "a refused move").await;
    let r = app.post("/api/v1/assets/move", root.clone(), Some(&w.acme), json!({"asset_ids": [ids[1]], "target_org_id": w.globex})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_counters_exact(&app, "moving an asset").await;
    let r = app.request(Method::DELETE, &format!("/api/v1/assets/{}", ids[0]), root.clone(), Some(&w.acme), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_counters_exact(&app, "deleting an asset").await;
    let csv = "kind,name,external_id\ncomputer,imp-1,I1\ngateway,imp-2,I2\n";
    let r = app.http.post(app.url("/api/v1/import")).header("cookie", &w.root.cookie).header("x-csrf-token", &w.root.csrf).header("x-org-id", &w.acme).header("content-type", "text/csv").body(csv).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_counters_exact(&app, "an import").await;
    let user = app.add_user(&w.root, &w.acme_child, "kim@acme.example", "member").await;
    app.add_user(&w.root, &w.globex, "gus@globex.example", "member").await;
    assert_counters_exact(&app, "adding users").await;
    let r = app.post("/api/v1/org/merge", root.clone(), Some(&w.acme_child), json!({"into_org_id": w.acme})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_counters_exact(&app, "a merge").await;
    let r = app.request(Method::DELETE, &format!("/api/v1/users/{user}"), root.clone(), Some(&w.acme), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_counters_exact(&app, "removing a user").await;
    // The overview adds them up: Acme has imp-1, imp-2, c1 (merged in); Globex g1 and a2.
    let o = app.get("/api/v1/overview?sort=assets", root.clone(), Some(&w.msp)).await;
    assert_eq!(o.status, StatusCode::OK, "{}", o.text);
    assert_eq!(o.body["totals"]["assets"], 5, "{}", o.text);
    assert_eq!(o.body["totals"]["online"], 2, "c1 and a2: {}", o.text);
    assert_eq!(o.body["totals"]["open_alerts"], 2, "{}", o.text);
    let by_name: Vec<(String, i64)> = o.body["items"].as_array().unwrap().iter().map(|r| (r["name"].as_str().unwrap().to_string(), r["assets"].as_i64().unwrap())).collect();
    assert_eq!(by_name, [("Acme".to_string(), 3), ("Globex".to_string(), 2)]);
    let r = app.request(Method::DELETE, &format!("/api/v1/orgs/{}", w.globex), root.clone(), None, None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_counters_exact(&app, "deleting a customer").await;
    let o = app.get("/api/v1/overview", root.clone(), Some(&w.msp)).await;
    assert_eq!(o.body["totals"]["assets"], 3, "{}", o.text);
    // A child tenant deleted on its own: its customer's figures lose its rows.
    let lab = app.create_org(&w.root, "child", "Acme Lab", Some(&w.acme), None).await;
    let r = app.post("/api/v1/assets", root.clone(), Some(&lab), json!({"kind": "computer", "name": "lab-1", "online": true, "open_alerts": 4})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_counters_exact(&app, "an asset in a new child tenant").await;
    let r = app.request(Method::DELETE, &format!("/api/v1/orgs/{lab}"), root.clone(), None, None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_counters_exact(&app, "deleting a child tenant").await;
}

/// The overview's unfiltered totals for `msp`.
async fn totals(app: &TestApp, root: &Session, msp: &str) -> serde_json::Value {
    let o = app.get("/api/v1/overview", Auth::Session(root), Some(msp)).await;
    assert_eq!(o.status, StatusCode::OK, "{}", o.text);
    o.body["totals"].clone()
}

/// The rollup's own inputs: which customers an MSP has and which are suspended, where each
/// child tenant sits, and which users have a second factor.
#[tokio::test]
async fn the_msp_rollup_follows_status_moves_imports_and_second_factors() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = Auth::Session(&w.root);
    for (org, name, online, alerts) in [(&w.acme, "a1", true, 1), (&w.acme_child, "c1", false, 2), (&w.globex, "g1", true, 0)] {
        let r = app.post("/api/v1/assets", root.clone(), Some(org), json!({"kind": "computer", "name": name, "online": online, "open_alerts": alerts})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let t = totals(&app, &w.root, &w.msp).await;
    assert_eq!((t["customers"].as_i64(), t["assets"].as_i64(), t["online"].as_i64(), t["open_alerts"].as_i64(), t["suspended"].as_i64()), (Some(2), Some(3), Some(2), Some(3), Some(0)), "{t}");

    // Suspending and reactivating, one at a time and in bulk.
    let r = app.patch(&format!("/api/v1/orgs/{}", w.globex), root.clone(), None, json!({"status": "suspended"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_counters_exact(&app, "suspending a customer").await;
    assert_eq!(totals(&app, &w.root, &w.msp).await["suspended"], 1);
    let r = app.post("/api/v1/bulk", root.clone(), Some(&w.msp), json!({"action": "suspend", "targets": {"org_ids": [w.acme]}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_counters_exact(&app, "a bulk suspend").await;
    assert_eq!(totals(&app, &w.root, &w.msp).await["suspended"], 2);
    let r = app.post("/api/v1/bulk", root.clone(), Some(&w.msp), json!({"action": "reactivate", "targets": {"org_ids": [w.acme, w.globex]}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_counters_exact(&app, "a bulk reactivate").await;
    // The filtered totals (another query) agree with the rollup where the filter keeps everyone.
    let all = totals(&app, &w.root, &w.msp).await;
    let active = app.get("/api/v1/overview?status=active", root.clone(), Some(&w.msp)).await;
    assert_eq!(active.body["totals"], all, "{}", active.text);

    // Re-parenting: a child tenant to another customer, a customer to another MSP.
    let r = app.put(&format!("/api/v1/orgs/{}/parent", w.acme_child), root.clone(), None, json!({"parent_id": w.globex})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_counters_exact(&app, "moving a child tenant to another customer").await;
    let r = app.put(&format!("/api/v1/orgs/{}/parent", w.globex), root.clone(), None, json!({"parent_id": w.other_msp})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_counters_exact(&app, "moving a customer (with its child tenant) to another MSP").await;
    let (here, there) = (totals(&app, &w.root, &w.msp).await, totals(&app, &w.root, &w.other_msp).await);
    assert_eq!((here["customers"].as_i64(), here["assets"].as_i64()), (Some(1), Some(1)), "{here}");
    assert_eq!((there["customers"].as_i64(), there["assets"].as_i64(), there["open_alerts"].as_i64()), (Some(2), Some(2), Some(2)), "Foreign and Globex: {there}");

    // Tenants imported: new customers and child tenants, under a customer that exists.
    let acme_slug = app.get(&format!("/api/v1/orgs/{}", w.acme), root.clone(), None).await.body["slug"].as_str().unwrap().to_string();
    let csv = format!("name,external_id,parent,domain\nWayne Enterprises,psa-1,,wayne.example\nWayne Gotham,psa-2,psa-1,\nAcme Munich,psa-3,{acme_slug},\n");
    let r = app.http.post(app.url("/api/v1/import/tenants")).header("cookie", &w.root.cookie).header("x-csrf-token", &w.root.csrf).header("x-org-id", &w.msp).header("content-type", "text/csv").body(csv).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_counters_exact(&app, "a tenant import").await;
    assert_eq!(totals(&app, &w.root, &w.msp).await["customers"], 2);

    // Second factors: an authenticator confirmed, then removed.
    app.add_user(&w.root, &w.acme, "ann@acme.example", "member").await;
    let ann = app.login("ann@acme.example", PASSWORD).await;
    let r = app.post("/api/v1/me/mfa/totp", Auth::Session(&ann), None, json!({"password": PASSWORD})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let bytes = totp_rs::Secret::Encoded(r.body["secret"].as_str().unwrap().to_string()).to_bytes().unwrap();
    let code = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, "x".into()).unwrap().generate((app.clock.now_ms() / 1000) as u64);
    assert_counters_exact(&app, "starting TOTP enrolment (not a factor yet)").await;
    let r = app.post("/api/v1/me/mfa/totp/confirm", Auth::Session(&ann), None, json!({"code": code})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_counters_exact(&app, "confirming TOTP").await;
    assert_eq!(totals(&app, &w.root, &w.msp).await["protected_users"], 1);
    let r = app.request(Method::DELETE, "/api/v1/me/mfa/totp", Auth::Session(&ann), None, Some(json!({"password": PASSWORD}))).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_counters_exact(&app, "removing TOTP").await;
    assert_eq!(totals(&app, &w.root, &w.msp).await["protected_users"], 0);
}
