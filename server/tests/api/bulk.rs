//! Bulk actions over many tenants: dry run first, access checked per tenant, one audit event
//! per tenant touched plus one for the run, progress as an ndjson stream.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashSet;

async fn login_as(app: &TestApp, w: &World, email: &str, role: &str) -> (String, Session) {
    let id = app.add_user(&w.root, &w.msp, email, role).await;
    (id, app.login(email, PASSWORD).await)
}

fn statuses(r: &Resp) -> (i64, i64, i64, i64, i64) {
    let b = &r.body;
    (b["total"].as_i64().unwrap(), b["ok"].as_i64().unwrap(), b["refused"].as_i64().unwrap(), b["errors"].as_i64().unwrap(), b["changed"].as_i64().unwrap())
}

fn ids_with(r: &Resp, status: &str) -> HashSet<String> {
    r.body["items"].as_array().unwrap().iter().filter(|i| i["status"] == status).map(|i| i["org_id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_bulk_run_over_500_customers_changes_exactly_the_480_the_caller_administers() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (tech, tom) = login_as(&app, &w, "tom@contoso.example", "member").await;
    // 500 customers, imported in one go.
    let tenants: Vec<Value> =
        (0..500).map(|i| json!({"name": format!("Bulk {i:03}"), "external_id": format!("b{i}"), "domain": format!("bulk{i}.example")})).collect();
    let r = app.post("/api/v1/import/tenants", Auth::Session(&w.root), Some(&w.msp), json!({"tenants": tenants})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM orgs WHERE parent_id = $1 AND name LIKE 'Bulk %' ORDER BY name")
        .bind(&w.msp)
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(ids.len(), 500);
    // Tom administers every customer except the first 20.
    let excluded: HashSet<String> = ids[..20].iter().cloned().collect();
    let s = app.put(&format!("/api/v1/technicians/{tech}/scope"), Auth::Session(&w.root), Some(&w.msp), json!({"all_except": ids[..20]})).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text);
    let settings_rows = || async {
        sqlx::query_scalar::<_, String>("SELECT org_id FROM org_settings WHERE key = 'agent_settings'").fetch_all(&app.db.pool).await.unwrap()
    };
    let body = |dry_run: bool| {
        json!({"action": "set_setting", "targets": {"org_ids": ids}, "params": {"key": "agent_settings", "value": {"check_in_interval_seconds": 120}}, "dry_run": dry_run})
    };
    let before = app.audit_count().await;

    let dry = app.post("/api/v1/bulk", Auth::Session(&tom), Some(&w.msp), body(true)).await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.text);
    assert_eq!(statuses(&dry), (500, 480, 20, 0, 480));
    assert_eq!(ids_with(&dry, "refused"), excluded, "the refused ones are exactly those tom can't administer");
    assert_eq!(dry.body["items"][20]["message"], "would set agent_settings");
    assert!(dry.body["id"].is_null());
    assert_eq!(app.audit_count().await, before, "a dry run changes nothing");
    assert!(settings_rows().await.is_empty());

    let run = app.post("/api/v1/bulk", Auth::Session(&tom), Some(&w.msp), body(false)).await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.text);
    assert_eq!(statuses(&run), (500, 480, 20, 0, 480));
    let changed: HashSet<String> = settings_rows().await.into_iter().collect();
    assert_eq!(changed.len(), 480);
    assert!(changed.is_disjoint(&excluded));
    assert_eq!(app.audit_count().await - before, 481, "480 tenants + 1 bulk event");
    assert_eq!((app.audit_actions("setting.set").await, app.audit_actions("bulk.run").await), (480, 1));
    let run_id = run.body["id"].as_str().unwrap();
    let linked: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE action = 'setting.set' AND summary LIKE $1")
        .bind(format!("%bulk run {run_id}%"))
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(linked, 480, "each tenant's event names the run");
    let (object, actor): (String, String) = sqlx::query_as("SELECT object_id, actor_email FROM audit_events WHERE action = 'bulk.run'").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!((object.as_str(), actor.as_str()), (run_id, "tom@contoso.example"));

    // Again: nothing left to change, nothing recorded but the run.
    let again = app.post("/api/v1/bulk", Auth::Session(&tom), Some(&w.msp), body(false)).await;
    assert_eq!(statuses(&again), (500, 480, 20, 0, 0));
    assert_eq!(app.audit_count().await - before, 482);
}

/// Posts a bulk request asking for an ndjson stream; every line.
async fn stream(app: &TestApp, s: &Session, org: &str, body: Value) -> (StatusCode, Vec<Value>) {
    let resp = app
        .http
        .post(app.url("/api/v1/bulk"))
        .header("cookie", &s.cookie)
        .header("x-csrf-token", &s.csrf)
        .header("x-org-id", org)
        .header("accept", "application/x-ndjson")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l}: {e}"))).collect())
}

#[tokio::test]
async fn every_action_checks_each_tenant_like_its_own_endpoint() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (_, alice) = login_as(&app, &w, "alice@contoso.example", "admin").await;
    let (tech, tom) = login_as(&app, &w, "tom@contoso.example", "member").await;
    let a = Auth::Session(&alice);
    let d = app.post(&format!("/api/v1/customers/{}/delegations", w.acme), a.clone(), Some(&w.msp), json!({"user_id": tech})).await;
    assert_eq!(d.status, StatusCode::CREATED);
    let vip = app.post("/api/v1/tags", a.clone(), Some(&w.msp), json!({"name": "vip", "color": "#ff0000"})).await.id();
    let m365 = app.post("/api/v1/tags", a.clone(), Some(&w.msp), json!({"name": "m365", "color": "#00ff00"})).await.id();
    for org in [&w.acme, &w.globex] {
        assert_eq!(app.put(&format!("/api/v1/orgs/{org}/tags/{vip}"), a.clone(), Some(&w.msp), json!({})).await.status, StatusCode::NO_CONTENT);
    }

    // By tag, streamed: progress lines, then the result.
    let (status, lines) = stream(&app, &alice, &w.msp, json!({"action": "add_tag", "targets": {"tag": vip}, "params": {"tag": m365}})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(lines.len() >= 2 && lines[..lines.len() - 1].iter().all(|l| l["progress"]["total"] == 2), "{lines:?}");
    let last = lines.last().unwrap();
    assert_eq!((last["result"]["ok"].as_i64(), last["result"]["changed"].as_i64()), (Some(2), Some(2)), "{last}");
    let tagged = app.get(&format!("/api/v1/customers?tag={m365}"), a.clone(), Some(&w.msp)).await;
    assert_eq!(tagged.body["items"].as_array().unwrap().len(), 2);

    // Suspend: the MSP admin may (a foreign org is "not found"); the delegated technician is
    // refused, since suspending is for whoever manages the customer.
    let targets = json!({"org_ids": [w.acme, w.foreign, w.acme]});
    let r = app.post("/api/v1/bulk", a.clone(), Some(&w.msp), json!({"action": "suspend", "targets": targets, "dry_run": true})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(statuses(&r), (2, 1, 1, 0, 1), "duplicates count once: {}", r.text);
    assert_eq!(r.body["items"][1]["message"], "not found");
    assert!(r.body["items"][1]["org_name"].is_null(), "nothing about a foreign org leaks");
    let r = app.post("/api/v1/bulk", Auth::Session(&tom), Some(&w.msp), json!({"action": "suspend", "targets": targets})).await;
    assert_eq!(statuses(&r), (2, 0, 2, 0, 0), "{}", r.text);
    assert!(r.body["items"][0]["message"].as_str().unwrap().contains("only whoever manages"), "{}", r.text);
    let r = app.post("/api/v1/bulk", a.clone(), Some(&w.msp), json!({"action": "suspend", "targets": {"org_ids": [w.acme]}})).await;
    assert_eq!(statuses(&r), (1, 1, 0, 0, 1), "{}", r.text);
    let status: String = sqlx::query_scalar("SELECT status FROM orgs WHERE id = $1").bind(&w.acme).fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(status, "suspended");
    let r = app.post("/api/v1/bulk", a.clone(), Some(&w.msp), json!({"action": "reactivate", "targets": {"org_ids": [w.acme, w.globex]}})).await;
    assert_eq!(statuses(&r), (2, 2, 0, 0, 1), "{}", r.text);
    assert_eq!(r.body["items"][1]["message"], "already active");

    // A deployment and a notification, in each tenant, as their own endpoints make them.
    let r = app.post("/api/v1/bulk", Auth::Session(&tom), Some(&w.msp), json!({"action": "create_deployment", "targets": {"org_ids": [w.acme, w.globex]}, "params": {"name": "Office", "package": "office.msi"}})).await;
    assert_eq!(statuses(&r), (2, 1, 1, 0, 1), "tom administers Acme only: {}", r.text);
    let deployments = app.get("/api/v1/deployments", a.clone(), Some(&w.acme)).await;
    assert_eq!(deployments.body["items"][0]["name"], "Office");
    assert_eq!(app.get("/api/v1/deployments", a.clone(), Some(&w.globex)).await.body["items"].as_array().unwrap().len(), 0);
    let r = app.post("/api/v1/bulk", a.clone(), Some(&w.msp), json!({"action": "notify", "targets": {"tag": vip}, "params": {"target": {"kind": "org"}, "title": "Patch night"}})).await;
    assert_eq!(statuses(&r), (2, 2, 0, 0, 2), "{}", r.text);
    assert_eq!(app.audit_actions("notification.create").await, 2);

    // Bad input: 422 naming the field, nothing touched; not an MSP: 404.
    let before = app.audit_count().await;
    for (body, field) in [
        (json!({"action": "set_setting", "targets": {"org_ids": [w.acme]}, "params": {"key": "colour", "value": {}}}), "params.key"),
        (json!({"action": "set_setting", "targets": {"org_ids": [w.acme]}, "params": {"key": "agent_settings", "value": {"check_in_interval_seconds": 1}}}), "params.value.check_in_interval_seconds"),
        (json!({"action": "create_deployment", "targets": {"org_ids": [w.acme]}, "params": {"name": " ", "package": "x"}}), "params.name"),
        (json!({"action": "add_tag", "targets": {"org_ids": [w.acme]}, "params": {"tag": w.acme}}), "params.tag"),
        (json!({"action": "suspend", "targets": {"org_ids": [w.acme], "tag": vip}}), "targets"),
        (json!({"action": "suspend", "targets": {"org_ids": []}}), "targets.org_ids"),
        (json!({"action": "suspend", "targets": {"tag": w.acme}}), "targets.tag"),
        (json!({"action": "suspend", "targets": {"org_ids": [w.acme]}, "params": {"why": "x"}}), "params"),
    ] {
        let r = app.post("/api/v1/bulk", a.clone(), Some(&w.msp), body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.body["error"]["fields"][field].is_string(), "{field}: {}", r.text);
    }
    let r = app.post("/api/v1/bulk", a.clone(), Some(&w.msp), json!({"action": "launch", "targets": {"org_ids": [w.acme]}})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = app.post("/api/v1/bulk", a.clone(), Some(&w.msp), json!({"action": "suspend", "targets": {"org_ids": [w.acme]}, "extra": 1})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = app.post("/api/v1/bulk", Auth::Session(&w.root), Some(&w.acme), json!({"action": "suspend", "targets": {"org_ids": [w.acme_child]}})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(app.audit_count().await, before);
}
