//! The overview's per-org counters stay equal to a fresh count of the rows after every kind
//! of write (create, update, move, delete, import, merge, users in and out), including a
//! write that fails and rolls back.
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn assert_counters_exact(app: &TestApp, after: &str) {
    let mut conn = app.db.pool.acquire().await.unwrap();
    let wrong = server::db::counters::mismatches(&mut conn).await.unwrap();
    assert!(wrong.is_empty(), "counters of {wrong:?} drifted after {after}");
}

#[tokio::test]
async fn counters_follow_every_write_path() {
    let app = spawn_app().await;
    let w = app.world().await;
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
}
