//! Inherited settings, schedules and deployments.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn window(start: &str, end: &str) -> Value {
    json!({"value": {"days": ["sat"], "start": start, "end": end, "timezone": "UTC"}})
}

async fn setting(app: &TestApp, s: &Session, org: &str, key: &str) -> Value {
    let all = app.get("/api/v1/settings", Auth::Session(s), Some(org)).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    let one = all.body["items"].as_array().unwrap().iter().find(|i| i["key"] == key).unwrap().clone();
    let direct = app.get(&format!("/api/v1/settings/{key}"), Auth::Session(s), Some(org)).await;
    assert_eq!(direct.body, one, "GET one agrees with GET all");
    one
}

#[tokio::test]
async fn three_levels_override_inherit_revert_and_change_at_the_top() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = &w.root;
    let key = "maintenance_window";
    // Nothing set: the system default everywhere.
    let leaf = setting(&app, root, &w.acme_child, key).await;
    assert_eq!(leaf["source"]["kind"], "default");
    assert_eq!(leaf["source"]["org_id"], Value::Null);

    let r = app.put(&format!("/api/v1/settings/{key}"), Auth::Session(root), Some(&w.msp), window("01:00", "03:00")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["source"]["kind"], "own");
    let r = app.put(&format!("/api/v1/settings/{key}"), Auth::Session(root), Some(&w.acme), window("04:00", "06:00")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let msp = setting(&app, root, &w.msp, key).await;
    assert_eq!((msp["value"]["start"].as_str(), msp["source"]["kind"].as_str()), (Some("01:00"), Some("own")));
    assert_eq!(msp["source"]["org_name"], "Contoso MSP");
    let customer = setting(&app, root, &w.acme, key).await;
    assert_eq!((customer["value"]["start"].as_str(), customer["source"]["kind"].as_str()), (Some("04:00"), Some("own")));
    assert_eq!(customer["source"]["org_id"], w.acme.as_str());
    assert_eq!(customer["overridden"], true);
    let leaf = setting(&app, root, &w.acme_child, key).await;
    assert_eq!((leaf["value"]["start"].as_str(), leaf["source"]["kind"].as_str()), (Some("04:00"), Some("inherited")));
    assert_eq!((leaf["source"]["org_id"].as_str(), leaf["source"]["org_name"].as_str()), (Some(w.acme.as_str()), Some("Acme")));
    assert_eq!(leaf["source_org_id"], w.acme.as_str());
    assert_eq!(leaf["overridden"], false);
    // A sibling customer inherits straight from the MSP.
    let globex = setting(&app, root, &w.globex, key).await;
    assert_eq!((globex["value"]["start"].as_str(), globex["source"]["org_name"].as_str()), (Some("01:00"), Some("Contoso MSP")));
    // The other keys are untouched defaults.
    let agent = setting(&app, root, &w.acme_child, "agent_settings").await;
    assert_eq!(agent["source"]["kind"], "default");

    // The customer reverts: customer and leaf now show the MSP's value, from the MSP.
    let r = app.delete(&format!("/api/v1/settings/{key}"), Auth::Session(root), Some(&w.acme)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["source"]["kind"], "inherited");
    for org in [&w.acme, &w.acme_child] {
        let s = setting(&app, root, org, key).await;
        assert_eq!(s["value"]["start"], "01:00");
        assert_eq!((s["source"]["kind"].as_str(), s["source"]["org_id"].as_str()), (Some("inherited"), Some(w.msp.as_str())));
        assert_eq!(s["source"]["org_name"], "Contoso MSP");
    }
    // A change at the MSP reaches the leaf at once.
    let r = app.put(&format!("/api/v1/settings/{key}"), Auth::Session(root), Some(&w.msp), window("00:30", "02:30")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(setting(&app, root, &w.acme_child, key).await["value"]["start"], "00:30");
    // Audited: three sets (one a change), one revert; reverting again changes (and records) nothing.
    assert_eq!(app.audit_actions("setting.set").await, 3);
    assert_eq!(app.audit_actions("setting.revert").await, 1);
    let again = app.delete(&format!("/api/v1/settings/{key}"), Auth::Session(root), Some(&w.acme)).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(app.audit_actions("setting.revert").await, 1);
    // Setting the same value again records nothing either.
    app.put(&format!("/api/v1/settings/{key}"), Auth::Session(root), Some(&w.msp), window("00:30", "02:30")).await;
    assert_eq!(app.audit_actions("setting.set").await, 3);
    assert_eq!(server::audit::verify(&app.db).await.unwrap(), Ok(app.audit_count().await));
}

#[tokio::test]
async fn bad_values_name_the_field_and_change_nothing() {
    let app = spawn_app().await;
    let w = app.world().await;
    let ok = app.put("/api/v1/settings/maintenance_window", Auth::Session(&w.root), Some(&w.acme), window("01:00", "03:00")).await;
    assert_eq!(ok.status, StatusCode::OK);
    let before = app.audit_count().await;
    for (key, value, field) in [
        ("maintenance_window", json!({"start": "25:00"}), "start"),
        ("maintenance_window", json!({"end": "03:00", "start": "03:00"}), "end"),
        ("maintenance_window", json!({"timezone": "Mars/Olympus"}), "timezone"),
        ("maintenance_window", json!({"colour": "red"}), "colour"),
        ("notification_preferences", json!({"dnd": {"enabled": true, "start": "7pm"}}), "dnd.start"),
        ("agent_settings", json!({"check_in_interval_seconds": 1}), "check_in_interval_seconds"),
        ("default_dashboard", json!({"widgets": ["assets", "assets"]}), "widgets"),
    ] {
        let r = app.put(&format!("/api/v1/settings/{key}"), Auth::Session(&w.root), Some(&w.acme), json!({"value": value})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{key} {value}: {}", r.text);
        assert!(r.body["error"]["fields"][field].is_string(), "{key} {value} should name {field}: {}", r.text);
    }
    assert_eq!(app.audit_count().await, before);
    assert_eq!(setting(&app, &w.root, &w.acme, "maintenance_window").await["value"]["start"], "01:00");
    let unknown = app.put("/api/v1/settings/weather", Auth::Session(&w.root), Some(&w.acme), json!({"value": {}})).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn viewers_read_but_cannot_override_and_foreign_orgs_are_404() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.acme, "vera@acme.example", "viewer").await;
    app.add_user(&w.root, &w.acme, "carol@acme.example", "admin").await;
    let vera = app.login("vera@acme.example", PASSWORD).await;
    let carol = app.login("carol@acme.example", PASSWORD).await;
    let body = json!({"value": {"widgets": ["open_alerts", "assets"]}});
    assert_eq!(app.get("/api/v1/settings", Auth::Session(&vera), Some(&w.acme)).await.status, StatusCode::OK);
    let r = app.put("/api/v1/settings/default_dashboard", Auth::Session(&vera), Some(&w.acme), body.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.delete("/api/v1/settings/default_dashboard", Auth::Session(&vera), Some(&w.acme)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A customer admin overrides in their own org and its child, never in a sibling or the MSP.
    let r = app.put("/api/v1/settings/default_dashboard", Auth::Session(&carol), Some(&w.acme), body.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["value"]["widgets"], json!(["open_alerts", "assets"]));
    for org in [&w.globex, &w.foreign, &w.msp] {
        assert_eq!(app.get("/api/v1/settings", Auth::Session(&carol), Some(org)).await.status, StatusCode::NOT_FOUND);
        let r = app.put("/api/v1/settings/default_dashboard", Auth::Session(&carol), Some(org), body.clone()).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(app.audit_actions("setting.set").await, 1);
}

#[tokio::test]
async fn schedules_target_only_their_own_orgs_assets_and_groups() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = Auth::Session(&w.root);
    let pc = app.post("/api/v1/assets", root.clone(), Some(&w.acme), json!({"kind": "computer", "name": "pc-1"})).await.id();
    let desk = app.post("/api/v1/groups", root.clone(), Some(&w.acme), json!({"name": "Front desk"})).await.id();
    let foreign_pc = app.post("/api/v1/assets", root.clone(), Some(&w.globex), json!({"kind": "computer", "name": "g-1"})).await.id();
    let foreign_group = app.post("/api/v1/groups", root.clone(), Some(&w.globex), json!({"name": "Globex desk"})).await.id();
    let before = app.audit_count().await;
    let bad = app
        .post("/api/v1/schedules", root.clone(), Some(&w.acme), json!({"name": "Patch", "frequency": "weekly", "window_start": "02:00", "window_end": "04:00", "asset_ids": [foreign_pc], "group_ids": [foreign_group]}))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(bad.body["error"]["fields"]["asset_ids"].is_string() && bad.body["error"]["fields"]["group_ids"].is_string());
    let bad = app.post("/api/v1/schedules", root.clone(), Some(&w.acme), json!({"name": "Patch", "frequency": "hourly", "window_start": "24:00", "window_end": "04:00"})).await;
    assert!(bad.body["error"]["fields"]["frequency"].is_string() && bad.body["error"]["fields"]["window_start"].is_string(), "{}", bad.text);
    assert_eq!(app.audit_count().await, before);

    let r = app
        .post("/api/v1/schedules", root.clone(), Some(&w.acme), json!({"name": "Patch", "frequency": "weekly", "window_start": "02:00", "window_end": "04:00", "asset_ids": [pc], "group_ids": [desk]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.id();
    assert_eq!(r.body["assets"][0]["name"], "pc-1");
    assert_eq!(r.body["groups"][0]["name"], "Front desk");
    // A viewer limited to another group sees the schedule but none of these targets.
    let lab = app.post("/api/v1/groups", root.clone(), Some(&w.acme), json!({"name": "Lab"})).await.id();
    let lena = app.add_user(&w.root, &w.acme, "lena@acme.example", "viewer").await;
    app.patch(&format!("/api/v1/users/{lena}"), root.clone(), Some(&w.acme), json!({"group_ids": [lab]})).await;
    let lena = app.login("lena@acme.example", PASSWORD).await;
    let seen = app.get(&format!("/api/v1/schedules/{id}"), Auth::Session(&lena), Some(&w.acme)).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert_eq!((seen.body["assets"].as_array().unwrap().len(), seen.body["groups"].as_array().unwrap().len()), (0, 0), "{}", seen.text);
    let r = app.patch(&format!("/api/v1/schedules/{id}"), root.clone(), Some(&w.acme), json!({"frequency": "daily", "asset_ids": []})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!((r.body["frequency"].as_str(), r.body["assets"].as_array().unwrap().len()), (Some("daily"), 0));
    let list = app.get("/api/v1/schedules", root.clone(), Some(&w.acme)).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    // Another org sees nothing of it.
    assert_eq!(app.get(&format!("/api/v1/schedules/{id}"), root.clone(), Some(&w.globex)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&format!("/api/v1/schedules/{id}"), root.clone(), Some(&w.globex)).await.status, StatusCode::NOT_FOUND);
    // A viewer reads, doesn't write.
    app.add_user(&w.root, &w.acme, "vera@acme.example", "viewer").await;
    let vera = app.login("vera@acme.example", PASSWORD).await;
    assert_eq!(app.get(&format!("/api/v1/schedules/{id}"), Auth::Session(&vera), Some(&w.acme)).await.status, StatusCode::OK);
    assert_eq!(app.patch(&format!("/api/v1/schedules/{id}"), Auth::Session(&vera), Some(&w.acme), json!({"name": "x"})).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&format!("/api/v1/schedules/{id}"), root.clone(), Some(&w.acme)).await.status, StatusCode::NO_CONTENT);
    for action in ["schedule.create", "schedule.update", "schedule.delete"] {
        assert_eq!(app.audit_actions(action).await, 1, "{action}");
    }
}

#[tokio::test]
async fn inheritable_deployments_reach_children_marked_with_their_source() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = Auth::Session(&w.root);
    let make = |org: String, name: &'static str, inheritable: bool| {
        let root = root.clone();
        let app = &app;
        async move {
            let r = app.post("/api/v1/deployments", root, Some(&org), json!({"name": name, "package": format!("{name}.msi"), "inheritable": inheritable})).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            r.id()
        }
    };
    let agent = make(w.msp.clone(), "RMM agent", true).await;
    make(w.msp.clone(), "MSP tools", false).await;
    make(w.acme.clone(), "Acme VPN", true).await;
    make(w.acme.clone(), "Acme only", false).await;
    let names = |r: &Resp| -> Vec<(String, String, bool)> {
        let mut v: Vec<_> = r.body["items"].as_array().unwrap().iter().map(|d| (d["name"].as_str().unwrap().to_string(), d["org_name"].as_str().unwrap().to_string(), d["inherited"].as_bool().unwrap())).collect();
        v.sort();
        v
    };
    let leaf = app.get("/api/v1/deployments", root.clone(), Some(&w.acme_child)).await;
    assert_eq!(names(&leaf), [("Acme VPN".into(), "Acme".into(), true), ("RMM agent".into(), "Contoso MSP".into(), true)]);
    let acme = app.get("/api/v1/deployments", root.clone(), Some(&w.acme)).await;
    assert_eq!(names(&acme).len(), 3, "own two plus the MSP's inheritable one");
    let globex = app.get("/api/v1/deployments", root.clone(), Some(&w.globex)).await;
    assert_eq!(names(&globex), [("RMM agent".into(), "Contoso MSP".into(), true)]);
    let foreign = app.get("/api/v1/deployments", root.clone(), Some(&w.foreign)).await;
    assert!(names(&foreign).is_empty());
    // An inherited deployment is changed where it was made.
    assert_eq!(app.delete(&format!("/api/v1/deployments/{agent}"), root.clone(), Some(&w.acme)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&format!("/api/v1/deployments/{agent}"), root.clone(), Some(&w.foreign)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&format!("/api/v1/deployments/{agent}"), root.clone(), Some(&w.msp)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(names(&app.get("/api/v1/deployments", root.clone(), Some(&w.acme_child)).await).len(), 1);
    assert_eq!(app.audit_actions("deployment.create").await, 4);
    assert_eq!(app.audit_actions("deployment.delete").await, 1);
}

#[tokio::test]
async fn merge_reports_differing_settings_and_moves_schedules_and_deployments() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = Auth::Session(&w.root);
    let r = app.put("/api/v1/settings/agent_settings", root.clone(), Some(&w.globex), json!({"value": {"check_in_interval_seconds": 60}})).await;
    assert_eq!(r.status, StatusCode::OK);
    let pc = app.post("/api/v1/assets", root.clone(), Some(&w.globex), json!({"kind": "computer", "name": "g-1"})).await.id();
    let sched = app
        .post("/api/v1/schedules", root.clone(), Some(&w.globex), json!({"name": "Nightly", "frequency": "daily", "window_start": "23:00", "window_end": "01:00", "asset_ids": [pc]}))
        .await
        .id();
    app.post("/api/v1/deployments", root.clone(), Some(&w.globex), json!({"name": "Globex tool", "package": "x"})).await;
    let dry = app.post("/api/v1/org/merge", root.clone(), Some(&w.globex), json!({"into_org_id": w.acme, "dry_run": true})).await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.text);
    let conflicts = dry.body["conflicts"].as_array().unwrap();
    let settings: Vec<&Value> = conflicts.iter().filter(|c| c["kind"] == "setting").collect();
    assert_eq!(settings.len(), 1, "only the key whose values differ: {conflicts:?}");
    assert_eq!((settings[0]["value"].as_str(), settings[0]["blocking"].as_bool()), (Some("agent_settings"), Some(false)));
    assert_eq!((dry.body["schedules"].as_i64(), dry.body["deployments"].as_i64()), (Some(1), Some(1)));
    let real = app.post("/api/v1/org/merge", root.clone(), Some(&w.globex), json!({"into_org_id": w.acme, "dry_run": false})).await;
    assert_eq!(real.status, StatusCode::OK, "{}", real.text);
    let moved = app.get(&format!("/api/v1/schedules/{sched}"), root.clone(), Some(&w.acme)).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(moved.body["assets"][0]["name"], "g-1", "targets move with the schedule");
    let deps = app.get("/api/v1/deployments", root.clone(), Some(&w.acme)).await;
    assert!(deps.body["items"].as_array().unwrap().iter().any(|d| d["name"] == "Globex tool" && d["org_id"] == w.acme.as_str()));
    // The target's settings apply; the source's override ended with it.
    assert_eq!(setting(&app, &w.root, &w.acme, "agent_settings").await["source"]["kind"], "default");
    let left: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM org_settings WHERE org_id = $1").bind(&w.globex).fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn deleting_an_org_deletes_its_settings_schedules_and_deployments() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = Auth::Session(&w.root);
    app.put("/api/v1/settings/agent_settings", root.clone(), Some(&w.acme_child), json!({"value": {"auto_update": false}})).await;
    app.post("/api/v1/schedules", root.clone(), Some(&w.acme_child), json!({"name": "S", "frequency": "monthly", "window_start": "01:00", "window_end": "02:00"})).await;
    app.post("/api/v1/deployments", root.clone(), Some(&w.acme), json!({"name": "D", "package": "p"})).await;
    app.post("/api/v1/notifications", root.clone(), Some(&w.acme), json!({"target": {"kind": "org"}, "title": "hello"})).await;
    assert_eq!(app.delete(&format!("/api/v1/orgs/{}", w.acme), root.clone(), None).await.status, StatusCode::NO_CONTENT);
    for table in ["org_settings", "schedules", "deployments", "notifications"] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}")).fetch_one(&app.db.pool).await.unwrap();
        assert_eq!(n, 0, "{table}");
    }
}

#[tokio::test]
async fn the_openapi_document_lists_settings_schedules_deployments_and_notifications() {
    let app = spawn_app().await;
    let doc = app.get("/api/openapi.json", Auth::None, None).await;
    for path in [
        "/api/v1/settings",
        "/api/v1/settings/{key}",
        "/api/v1/schedules",
        "/api/v1/schedules/{id}",
        "/api/v1/deployments",
        "/api/v1/deployments/{id}",
        "/api/v1/notifications",
        "/api/v1/inbox",
        "/api/v1/me/notifications",
        "/api/v1/inbox/{id}/read",
        "/api/v1/inbox/read-all",
    ] {
        assert!(doc.body["paths"][path].is_object(), "{path} is not documented");
    }
    for schema in ["EffectiveSetting", "Schedule", "Deployment", "CreateNotification", "NotificationTarget", "Inbox"] {
        assert!(doc.body["components"]["schemas"][schema].is_object(), "{schema} is not documented");
    }
}
