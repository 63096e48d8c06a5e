//! Notifications: recipients per target kind, Do Not Disturb for org targets only, the
//! inbox, and the monitoring hook.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Monday 2026-11-23 00:00 UTC, and an hour.
const MON: i64 = 1_795_392_000_000;
const H: i64 = 3_600_000;

/// Acme with an admin, a member, and viewers limited to groups; Globex with look-alikes.
struct People {
    carol: String,
    dave: String,
    vera: String,
    victor: String,
    wendy: String,
    desk: String,
    lab: String,
    globex_desk: String,
    gina: String,
    alice: String,
    rita: String,
}

async fn people(app: &TestApp, w: &World) -> People {
    let root = Auth::Session(&w.root);
    let group = |org: String, name: &'static str| {
        let root = root.clone();
        async move {
            let r = app.post("/api/v1/groups", root, Some(&org), json!({"name": name})).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            r.id()
        }
    };
    let desk = group(w.acme.clone(), "Front desk").await;
    let lab = group(w.acme.clone(), "Lab").await;
    let globex_desk = group(w.globex.clone(), "Front desk").await;
    let carol = app.add_user(&w.root, &w.acme, "carol@acme.example", "admin").await;
    let dave = app.add_user(&w.root, &w.acme, "dave@acme.example", "member").await;
    let vera = app.add_user(&w.root, &w.acme, "vera@acme.example", "viewer").await;
    let victor = app.add_user(&w.root, &w.acme, "victor@acme.example", "viewer").await;
    let wendy = app.add_user(&w.root, &w.acme, "wendy@acme.example", "viewer").await;
    let gina = app.add_user(&w.root, &w.globex, "gina@globex.example", "admin").await;
    let gus = app.add_user(&w.root, &w.globex, "gus@globex.example", "viewer").await;
    let alice = app.add_user(&w.root, &w.msp, "alice@contoso.example", "admin").await;
    let rita = app.add_user(&w.root, &w.acme_child, "rita@acme.example", "admin").await;
    for (user, org, group) in [(&vera, &w.acme, &desk), (&victor, &w.acme, &lab), (&gus, &w.globex, &globex_desk)] {
        let r = app.patch(&format!("/api/v1/users/{user}"), root.clone(), Some(org), json!({"group_ids": [group]})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    People { carol, dave, vera, victor, wendy, desk, lab, globex_desk, gina, alice, rita }
}

async fn notify(app: &TestApp, s: &Session, org: &str, target: Value, title: &str) -> Resp {
    app.post("/api/v1/notifications", Auth::Session(s), Some(org), json!({"target": target, "title": title, "body": "details", "severity": "warning"})).await
}

async fn recipients_of(app: &TestApp, notification: &str) -> Vec<String> {
    let mut ids: Vec<String> = sqlx::query_scalar("SELECT user_id FROM inbox WHERE notification_id = $1")
        .bind(notification)
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    ids.sort();
    ids
}

fn sorted(v: &[&String]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

async fn mails_to(app: &TestApp, subject_part: &str) -> i64 {
    sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE subject LIKE $1")
        .bind(format!("%{subject_part}%"))
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn role_and_group_targets_reach_exactly_their_members_in_that_org() {
    let app = spawn_app().await;
    let w = app.world().await;
    let p = people(&app, &w).await;
    let r = notify(&app, &w.root, &w.acme, json!({"kind": "role", "role": "admin"}), "admins").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // Not Globex's admin, not the MSP's admin or the superuser (who reach Acme from above),
    // not the child tenant's admin.
    assert_eq!(recipients_of(&app, &r.id()).await, sorted(&[&p.carol]));
    assert_eq!(r.body["recipients"], 1);
    let r = notify(&app, &w.root, &w.acme, json!({"kind": "role", "role": "viewer"}), "viewers").await;
    assert_eq!(recipients_of(&app, &r.id()).await, sorted(&[&p.vera, &p.victor, &p.wendy]));
    let r = notify(&app, &w.root, &w.acme, json!({"kind": "group", "group_id": p.desk}), "desk").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(recipients_of(&app, &r.id()).await, sorted(&[&p.vera]), "only the viewers limited to that group");
    let r = notify(&app, &w.root, &w.acme, json!({"kind": "group", "group_id": p.lab}), "lab").await;
    assert_eq!(recipients_of(&app, &r.id()).await, sorted(&[&p.victor]));
    let r = notify(&app, &w.root, &w.acme, json!({"kind": "org"}), "everyone").await;
    assert_eq!(recipients_of(&app, &r.id()).await, sorted(&[&p.carol, &p.dave, &p.vera, &p.victor, &p.wendy]));
    // A user who can reach the org (the MSP's admin) can be notified there; one who can't is 404.
    let r = notify(&app, &w.root, &w.acme, json!({"kind": "user", "user_id": p.alice}), "alice").await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(recipients_of(&app, &r.id()).await, sorted(&[&p.alice]));
    let before = app.audit_count().await;
    for target in [json!({"kind": "user", "user_id": p.gina}), json!({"kind": "group", "group_id": p.globex_desk}), json!({"kind": "user", "user_id": uuid::Uuid::new_v4()})] {
        let r = notify(&app, &w.root, &w.acme, target.clone(), "nope").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{target}: {}", r.text);
    }
    let r = notify(&app, &w.root, &w.acme, json!({"kind": "role", "role": "owner"}), "bad").await;
    assert!(r.status.is_client_error());
    let r = notify(&app, &w.root, &w.acme, json!({"kind": "org"}), "  ").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["error"]["fields"]["title"].is_string());
    assert_eq!(app.audit_count().await, before, "refused notifications record nothing");
    assert_eq!(app.audit_actions("notification.create").await, 6);
    // Only admins of the org send; a foreign org answers 404.
    let dave = app.login("dave@acme.example", PASSWORD).await;
    assert_eq!(notify(&app, &dave, &w.acme, json!({"kind": "org"}), "hi").await.status, StatusCode::FORBIDDEN);
    let gina = app.login("gina@globex.example", PASSWORD).await;
    assert_eq!(notify(&app, &gina, &w.acme, json!({"kind": "org"}), "hi").await.status, StatusCode::NOT_FOUND);
    let rita = app.login("rita@acme.example", PASSWORD).await;
    let rita_inbox = app.get("/api/v1/inbox", Auth::Session(&rita), None).await;
    assert_eq!(rita_inbox.body["unread_count"], 0, "the child's admin got none of Acme's: {}", rita_inbox.text);
    let _ = p.rita;
}

#[tokio::test]
async fn do_not_disturb_holds_only_org_targeted_notifications_then_delivers_them_once() {
    let app = spawn_app().await;
    let w = app.world().await;
    let p = people(&app, &w).await;
    // DND is set at the MSP and inherited by Acme: every night 22:00–06:00 UTC, mail on.
    let prefs = json!({"value": {"email": true, "dnd": {"enabled": true, "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "22:00", "end": "06:00", "timezone": "UTC"}}});
    let r = app.put("/api/v1/settings/notification_preferences", Auth::Session(&w.root), Some(&w.msp), prefs).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    app.clock.set(MON + 23 * H);
    let org = notify(&app, &w.root, &w.acme, json!({"kind": "org"}), "org-wide").await;
    let user = notify(&app, &w.root, &w.acme, json!({"kind": "user", "user_id": p.dave}), "direct").await;
    let role = notify(&app, &w.root, &w.acme, json!({"kind": "role", "role": "admin"}), "by-role").await;
    let group = notify(&app, &w.root, &w.acme, json!({"kind": "group", "group_id": p.desk}), "by-group").await;
    assert_eq!(org.status, StatusCode::CREATED, "{}", org.text);
    assert_eq!(org.body["status"], "held");
    assert_eq!(org.body["held_until"], "2026-11-24T06:00:00Z");
    assert_eq!(recipients_of(&app, &org.id()).await.len(), 0);
    assert_eq!(mails_to(&app, "org-wide").await, 0);
    for (r, who, title) in [(&user, &p.dave, "direct"), (&role, &p.carol, "by-role"), (&group, &p.vera, "by-group")] {
        assert_eq!(r.body["status"], "delivered", "{}", r.text);
        assert_eq!(recipients_of(&app, &r.id()).await, sorted(&[who]));
        assert_eq!(mails_to(&app, title).await, 1, "{title}");
    }
    // Still inside the window (Tuesday 05:59): reading the inbox releases nothing.
    app.clock.set(MON + 30 * H - 60_000);
    let dave = app.login("dave@acme.example", PASSWORD).await;
    let inbox = app.get("/api/v1/inbox", Auth::Session(&dave), None).await;
    let titles: Vec<&str> = inbox.body["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["direct"]);
    assert_eq!(inbox.body["unread_count"], 1);
    // The window ends: the next inbox read delivers it to every member, with mail, once.
    app.clock.set(MON + 30 * H);
    let inbox = app.get("/api/v1/inbox", Auth::Session(&dave), None).await;
    assert_eq!(inbox.body["unread_count"], 2, "{}", inbox.text);
    assert!(inbox.body["items"].as_array().unwrap().iter().any(|i| i["title"] == "org-wide" && i["target_kind"] == "org" && i["org_name"] == "Acme"));
    assert_eq!(recipients_of(&app, &org.id()).await, sorted(&[&p.carol, &p.dave, &p.vera, &p.victor, &p.wendy]));
    assert_eq!(mails_to(&app, "org-wide").await, 5);
    assert!(server::notifications::release_held(&app.db, MON + 40 * H).await.unwrap().is_empty(), "nothing left to release");
    assert_eq!(recipients_of(&app, &org.id()).await.len(), 5);
    assert_eq!(app.audit_actions("notification.release").await, 1);
    assert_eq!(app.audit_actions("notification.create").await, 4);
    // Outside any window, an org notification goes straight out.
    app.clock.set(MON + 12 * H);
    let noon = notify(&app, &w.root, &w.acme, json!({"kind": "org"}), "at noon").await;
    assert_eq!(noon.body["status"], "delivered");
    // Acme turns DND off for itself: its own override beats the MSP's.
    let off = app.put("/api/v1/settings/notification_preferences", Auth::Session(&w.root), Some(&w.acme), json!({"value": {"email": false}})).await;
    assert_eq!(off.status, StatusCode::OK);
    app.clock.set(MON + 23 * H);
    let night = notify(&app, &w.root, &w.acme, json!({"kind": "org"}), "late but allowed").await;
    assert_eq!(night.body["status"], "delivered");
    assert_eq!(mails_to(&app, "late but allowed").await, 0, "mail is off for Acme now");
    let _ = (p.lab, p.gina, p.globex_desk, p.alice, p.rita, p.victor, p.wendy);
}

#[tokio::test]
async fn the_inbox_pages_counts_and_marks_read_only_its_owners_items() {
    let app = spawn_app().await;
    let w = app.world().await;
    let p = people(&app, &w).await;
    for i in 0..3 {
        app.clock.set(MON + i * H);
        let r = notify(&app, &w.root, &w.acme, json!({"kind": "user", "user_id": p.dave}), &format!("n{i}")).await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let dave = app.login("dave@acme.example", PASSWORD).await;
    let first = app.get("/api/v1/inbox?limit=2", Auth::Session(&dave), None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let titles: Vec<&str> = first.body["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["n2", "n1"], "newest first");
    assert_eq!(first.body["unread_count"], 3);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let same = app.get("/api/v1/me/notifications?limit=2", Auth::Session(&dave), None).await;
    assert_eq!(same.body, first.body, "the contract's path answers the same");
    let second = app.get(&format!("/api/v1/inbox?limit=2&cursor={cursor}"), Auth::Session(&dave), None).await;
    assert_eq!(second.body["items"][0]["title"], "n0");
    assert_eq!(second.body["next_cursor"], Value::Null);
    let item = first.body["items"][0]["id"].as_str().unwrap().to_string();
    // Someone else's inbox item is not there for them.
    let carol = app.login("carol@acme.example", PASSWORD).await;
    assert_eq!(app.post(&format!("/api/v1/inbox/{item}/read"), Auth::Session(&carol), None, json!({})).await.status, StatusCode::NOT_FOUND);
    let r = app.post(&format!("/api/v1/inbox/{item}/read"), Auth::Session(&dave), None, json!({})).await;
    assert_eq!((r.status, r.body["marked"].as_i64(), r.body["unread_count"].as_i64()), (StatusCode::OK, Some(1), Some(2)));
    let unread = app.get("/api/v1/inbox?unread=true", Auth::Session(&dave), None).await;
    assert_eq!(unread.body["items"].as_array().unwrap().len(), 2);
    let r = app.post("/api/v1/inbox/read-all", Auth::Session(&dave), None, json!({})).await;
    assert_eq!((r.body["marked"].as_i64(), r.body["unread_count"].as_i64()), (Some(2), Some(0)));
    // Cookie writes need the CSRF token here too.
    let r = app.post("/api/v1/inbox/read-all", Auth::SessionNoCsrf(&dave), None, json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/inbox", Auth::None, None).await.status, StatusCode::UNAUTHORIZED);
    let _ = (p.carol, p.vera, p.victor, p.wendy, p.desk, p.lab, p.globex_desk, p.gina, p.alice, p.rita);
}

#[tokio::test]
async fn a_new_open_alert_notifies_the_org_once() {
    let app = spawn_app().await;
    let w = app.world().await;
    let root = Auth::Session(&w.root);
    app.add_user(&w.root, &w.acme, "carol@acme.example", "admin").await;
    let pc = app.post("/api/v1/assets", root.clone(), Some(&w.acme), json!({"kind": "computer", "name": "pc-7"})).await.id();
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT CAST(COUNT(*) AS BIGINT) FROM notifications WHERE org_id = $1 AND target_kind = 'org'")
            .bind(&w.acme)
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
    };
    assert_eq!(count().await, 0);
    let r = app.patch(&format!("/api/v1/assets/{pc}"), root.clone(), Some(&w.acme), json!({"open_alerts": 2})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(count().await, 1);
    let r = app.patch(&format!("/api/v1/assets/{pc}"), root.clone(), Some(&w.acme), json!({"open_alerts": 3})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(count().await, 1, "more alerts on an alerting asset notify nobody again");
    let carol = app.login("carol@acme.example", PASSWORD).await;
    let inbox = app.get("/api/v1/inbox", Auth::Session(&carol), None).await;
    assert_eq!(inbox.body["items"][0]["title"], "pc-7 has 2 open alerts", "{}", inbox.text);
    // Cleared, then alerting again: a new notification. A new asset born alerting: one too.
    app.patch(&format!("/api/v1/assets/{pc}"), root.clone(), Some(&w.acme), json!({"open_alerts": 0})).await;
    app.patch(&format!("/api/v1/assets/{pc}"), root.clone(), Some(&w.acme), json!({"open_alerts": 1})).await;
    app.post("/api/v1/assets", root.clone(), Some(&w.acme), json!({"kind": "gateway", "name": "gw-1", "open_alerts": 4})).await;
    assert_eq!(count().await, 3);
    // Each asset change is still exactly one audit event, which mentions the notification.
    assert_eq!(app.audit_actions("asset.update").await, 4);
    let summary: String = sqlx::query_scalar("SELECT summary FROM audit_events WHERE action = 'asset.update' ORDER BY seq LIMIT 1").fetch_one(&app.db.pool).await.unwrap();
    assert!(summary.contains("alert notification"), "{summary}");
    // The hook honours DND: it targets the org.
    let prefs = json!({"value": {"dnd": {"enabled": true, "days": ["mon"], "start": "09:00", "end": "17:00", "timezone": "UTC"}}});
    assert_eq!(app.put("/api/v1/settings/notification_preferences", root.clone(), Some(&w.acme), prefs).await.status, StatusCode::OK);
    app.clock.set(MON + 10 * H);
    app.post("/api/v1/assets", root.clone(), Some(&w.acme), json!({"kind": "computer", "name": "pc-8", "open_alerts": 1})).await;
    let held: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM notifications WHERE status = 'held'").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(held, 1);
    assert_eq!(server::audit::verify(&app.db).await.unwrap(), Ok(app.audit_count().await));
}
