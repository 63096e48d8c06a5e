use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

fn token_of(created: &Resp) -> String {
    let url = created.body["accept_url"].as_str().unwrap_or_else(|| panic!("no accept_url in {}", created.text));
    url.split_once("/accept?token=").expect("accept link").1.to_string()
}

async fn invite(app: &TestApp, s: &Session, org: &str, email: &str, role: &str) -> Resp {
    app.post("/api/v1/invitations", Auth::Session(s), Some(org), json!({"email": email, "role": role})).await
}

async fn accept(app: &TestApp, token: &str, name: &str) -> (Resp, Option<Session>) {
    app.post_for_session("/api/v1/invitations/accept", json!({"token": token, "name": name, "password": PASSWORD}), None).await
}

async fn count(app: &TestApp, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql).bind(bind).fetch_one(&app.db.pool).await.unwrap()
}

#[tokio::test]
async fn invite_then_accept_registers_and_signs_in() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.acme, "carol@acme.example", "admin").await;
    let carol = app.login("carol@acme.example", PASSWORD).await;

    let before = app.audit_count().await;
    let r = invite(&app, &carol, &w.acme, " Dave@ACME.example ", "member").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(app.audit_count().await, before + 1, "one audit event for the invitation");
    assert_eq!(r.body["email"], "dave@acme.example");
    assert_eq!(r.body["role"], "member");
    let url = r.body["accept_url"].as_str().unwrap().to_string();
    assert!(url.contains("/accept?token="), "{url}");
    let token = token_of(&r);
    assert!(token.len() >= 43, "256-bit token");

    // Pending in the list (never the token); the mail with the link is in the outbox.
    let list = app.get("/api/v1/invitations", Auth::Session(&carol), Some(&w.acme)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["items"][0]["email"], "dave@acme.example");
    assert_eq!(list.body["items"][0]["expired"], false);
    assert!(!list.text.contains(&token));
    let outbox = app.get("/api/v1/outbox", Auth::Session(&carol), Some(&w.acme)).await;
    assert_eq!(outbox.status, StatusCode::OK, "{}", outbox.text);
    assert_eq!(outbox.body["items"][0]["to"], "dave@acme.example");
    assert!(outbox.body["items"][0]["body"].as_str().unwrap().contains(&url));
    // Another org's admin sees none of it.
    let g = app.get("/api/v1/outbox", Auth::Session(&w.root), Some(&w.globex)).await;
    assert_eq!(g.body["items"].as_array().unwrap().len(), 0);

    let look = app.get(&format!("/api/v1/invitations/lookup?token={token}"), Auth::None, None).await;
    assert_eq!(look.status, StatusCode::OK, "{}", look.text);
    assert_eq!(look.body["org_name"], "Acme");
    assert_eq!(look.body["email"], "dave@acme.example");

    let before = app.audit_count().await;
    let (resp, session) = accept(&app, &token, "Dave Doe").await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.text);
    assert_eq!(app.audit_count().await, before + 1, "one audit event for the acceptance");
    let dave = session.expect("signed in");
    assert_eq!(dave.home_org_id, w.acme);
    let me = app.get("/api/v1/me", Auth::Session(&dave), None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["user"]["name"], "Dave Doe");
    let org = app.get("/api/v1/org", Auth::Session(&dave), None).await;
    assert_eq!(org.body["role"], "member");
    // The password chosen works for a later sign-in, and the invitation is no longer pending.
    app.login("dave@acme.example", PASSWORD).await;
    let list = app.get("/api/v1/invitations", Auth::Session(&carol), Some(&w.acme)).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 0);
    // Used once: never again.
    assert_eq!(accept(&app, &token, "Mallory").await.0.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn dead_tokens_are_refused_with_404() {
    let app = spawn_app().await;
    let w = app.world().await;
    // Expired.
    let expired = invite(&app, &w.root, &w.acme, "exp@acme.example", "viewer").await;
    sqlx::query("UPDATE invitations SET expires_at = $1 WHERE email = 'exp@acme.example'").bind(server::db::now_ms() - 1).execute(&app.db.pool).await.unwrap();
    // Revoked.
    let revoked = invite(&app, &w.root, &w.acme, "rev@acme.example", "viewer").await;
    let r = app.request(Method::DELETE, &format!("/api/v1/invitations/{}", revoked.id()), Auth::Session(&w.root), Some(&w.acme), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // Resent: the old token dies, the new one works.
    let old = invite(&app, &w.root, &w.acme, "res@acme.example", "viewer").await;
    let resent = app.post(&format!("/api/v1/invitations/{}/resend", old.id()), Auth::Session(&w.root), Some(&w.acme), json!({})).await;
    assert_eq!(resent.status, StatusCode::OK, "{}", resent.text);
    assert_ne!(token_of(&old), token_of(&resent));
    // The expired one is listed as expired, and can be resent back to life.
    let list = app.get("/api/v1/invitations", Auth::Session(&w.root), Some(&w.acme)).await;
    let exp_row = list.body["items"].as_array().unwrap().iter().find(|i| i["email"] == "exp@acme.example").unwrap().clone();
    assert_eq!(exp_row["expired"], true);

    for (what, token) in [
        ("expired", token_of(&expired)),
        ("revoked", token_of(&revoked)),
        ("resent-old", token_of(&old)),
        ("unknown", "x".repeat(43)),
    ] {
        let look = app.get(&format!("/api/v1/invitations/lookup?token={token}"), Auth::None, None).await;
        assert_eq!(look.status, StatusCode::NOT_FOUND, "lookup {what}");
        let (r, session) = accept(&app, &token, "X").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{what}: {}", r.text);
        assert_eq!(r.body["error"]["code"], "not_found");
        assert!(session.is_none());
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users WHERE email LIKE $1", "%@acme.example").await, 0, "nobody got in");
    let (ok, _) = accept(&app, &token_of(&resent), "Res").await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let again = app.post(&format!("/api/v1/invitations/{}/resend", exp_row["id"].as_str().unwrap()), Auth::Session(&w.root), Some(&w.acme), json!({})).await;
    assert_eq!(accept(&app, &token_of(&again), "Exp").await.0.status, StatusCode::OK);
}

#[tokio::test]
async fn another_orgs_invitations_are_invisible_and_untouchable() {
    let app = spawn_app().await;
    let w = app.world().await;
    let inv = invite(&app, &w.root, &w.acme, "dave@acme.example", "admin").await;
    let id = inv.id();
    app.add_user(&w.root, &w.globex, "gina@globex.example", "admin").await;
    let gina = app.login("gina@globex.example", PASSWORD).await;
    let list = app.get("/api/v1/invitations", Auth::Session(&gina), Some(&w.globex)).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 0);
    for (method, path) in [(Method::DELETE, format!("/api/v1/invitations/{id}")), (Method::POST, format!("/api/v1/invitations/{id}/resend"))] {
        let r = app.request(method.clone(), &path, Auth::Session(&gina), Some(&w.globex), Some(json!({}))).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path} in her own org");
        let r = app.request(method.clone(), &path, Auth::Session(&gina), Some(&w.acme), Some(json!({}))).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path} naming Acme");
    }
    // Globex can't invite into Acme's domain, and can't act in Acme at all.
    let r = invite(&app, &gina, &w.globex, "eve@acme.example", "viewer").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invite(&app, &gina, &w.acme, "eve@acme.example", "viewer").await.status, StatusCode::NOT_FOUND);
    // Still live after all that; accepting lands in Acme only.
    let (ok, s) = accept(&app, &token_of(&inv), "Dave").await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let dave = s.unwrap();
    assert_eq!(count(&app, "SELECT COUNT(*) FROM memberships WHERE user_id = $1", &dave.user_id).await, 1);
    assert_eq!(app.get("/api/v1/org", Auth::Session(&dave), Some(&w.globex)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_raw_token_is_never_readable_back() {
    let app = spawn_app().await;
    let w = app.world().await;
    let inv = invite(&app, &w.root, &w.acme, "dave@acme.example", "member").await;
    let token = token_of(&inv);
    let resent = app.post(&format!("/api/v1/invitations/{}/resend", inv.id()), Auth::Session(&w.root), Some(&w.acme), json!({})).await;
    let token2 = token_of(&resent);
    for path in ["/api/v1/invitations", "/api/v1/audit", "/api/v1/users", "/api/v1/org", "/api/v1/orgs"] {
        let r = app.get(path, Auth::Session(&w.root), Some(&w.acme)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(!r.text.contains(&token) && !r.text.contains(&token2), "{path} leaks the token");
    }
    let look = app.get(&format!("/api/v1/invitations/lookup?token={token2}"), Auth::None, None).await;
    assert!(!look.text.contains(&token2));
    // In the database only its hash, nowhere in plain text but the mails.
    let row: (String,) = sqlx::query_as("SELECT token_hash FROM invitations WHERE email = 'dave@acme.example'").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(row.0, server::auth::hash_secret(&token2));
    let audit: Vec<(String,)> = sqlx::query_as("SELECT summary FROM audit_events").fetch_all(&app.db.pool).await.unwrap();
    assert!(audit.iter().all(|(s,)| !s.contains(&token) && !s.contains(&token2)));
}

#[tokio::test]
async fn fifty_parallel_accepts_make_exactly_one_member() {
    let app = Arc::new(spawn_app().await);
    let w = app.world().await;
    let inv = invite(&app, &w.root, &w.acme, "race@acme.example", "member").await;
    let token = token_of(&inv);
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (app, token) = (app.clone(), token.clone());
        tasks.push(tokio::spawn(async move { accept(&app, &token, &format!("Racer {i}")).await.0.status }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::NOT_FOUND), "{statuses:?}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users WHERE email = $1", "race@acme.example").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM memberships WHERE org_id = $1", &w.acme).await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_events WHERE action = $1", "invitation.accept").await, 1);
}

#[tokio::test]
async fn only_admins_invite_and_nobody_above_their_role() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.acme, "mia@acme.example", "member").await;
    app.add_user(&w.root, &w.acme, "vic@acme.example", "viewer").await;
    for who in ["mia@acme.example", "vic@acme.example"] {
        let s = app.login(who, PASSWORD).await;
        for role in ["admin", "member", "viewer"] {
            let r = invite(&app, &s, &w.acme, "new@acme.example", role).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} inviting a {role}");
        }
        assert_eq!(app.get("/api/v1/invitations", Auth::Session(&s), Some(&w.acme)).await.status, StatusCode::FORBIDDEN);
        assert_eq!(app.get("/api/v1/outbox", Auth::Session(&s), Some(&w.acme)).await.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM invitations WHERE org_id = $1", &w.acme).await, 0);

    // An MSP member is nothing in a customer, until delegated — then they are its admin.
    let tech = app.add_user(&w.root, &w.msp, "tech@contoso.example", "member").await;
    let t = app.login("tech@contoso.example", PASSWORD).await;
    assert_eq!(invite(&app, &t, &w.acme, "a@acme.example", "viewer").await.status, StatusCode::NOT_FOUND);
    let g = app.post(&format!("/api/v1/customers/{}/delegations", w.acme), Auth::Session(&w.root), Some(&w.msp), json!({"user_id": tech})).await;
    assert_eq!(g.status, StatusCode::CREATED, "{}", g.text);
    let r = invite(&app, &t, &w.acme_child, "a@acme.example", "admin").await;
    assert_eq!(r.status, StatusCode::CREATED, "delegated technician in a child tenant: {}", r.text);
    assert_eq!(invite(&app, &t, &w.globex, "b@globex.example", "viewer").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_input_names_the_field_and_duplicates_conflict() {
    let app = spawn_app().await;
    let w = app.world().await;
    for bad in ["", "nobody", "x@evil-acme.example", "x@sub.acme.example", "\"x\"@acme.example", "x@аcme.example"] {
        let r = invite(&app, &w.root, &w.acme, bad, "viewer").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {}", r.text);
        assert!(r.body["error"]["fields"]["email"].is_string(), "{bad:?}");
    }
    app.add_user(&w.root, &w.acme, "carol@acme.example", "admin").await;
    let r = invite(&app, &w.root, &w.acme, "CAROL@acme.example", "viewer").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "has an account: {}", r.text);
    assert!(r.body["error"]["fields"]["email"].is_string());
    assert_eq!(invite(&app, &w.root, &w.acme, "dan@acme.example", "viewer").await.status, StatusCode::CREATED);
    assert_eq!(invite(&app, &w.root, &w.acme, "Dan@acme.example.", "member").await.status, StatusCode::CONFLICT);
    // The child tenant shares Acme's domain, but an invitation is per org.
    assert_eq!(invite(&app, &w.root, &w.acme_child, "dan@acme.example", "member").await.status, StatusCode::CREATED);

    let r = app.post_for_session("/api/v1/invitations/accept", json!({"token": "", "name": " ", "password": "short"}), None).await.0;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["token", "name", "password"] {
        assert!(r.body["error"]["fields"][field].is_string(), "{field}: {}", r.text);
    }
}

#[tokio::test]
async fn deleting_the_org_removes_its_invitations_and_mail() {
    let app = spawn_app().await;
    let w = app.world().await;
    invite(&app, &w.root, &w.globex, "g@globex.example", "viewer").await;
    let r = app.request(Method::DELETE, &format!("/api/v1/orgs/{}", w.globex), Auth::Session(&w.root), None, None).await;
    assert!(r.status.is_success(), "{}", r.text);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM invitations WHERE org_id = $1", &w.globex).await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM outbox WHERE org_id = $1", &w.globex).await, 0);
}

/// Just enough of an SMTP server (RFC 5321) for one client: greets, accepts every command,
/// and returns each message received between DATA and the lone ".".
async fn smtp_server() -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 test-smtp ready\r\n").await.unwrap();
                let mut envelope = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 test-smtp\r\n",
                        "MAIL" | "RCPT" => {
                            envelope.push_str(&line);
                            envelope.push('\n');
                            b"250 ok\r\n"
                        }
                        "DATA" => {
                            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await.unwrap();
                            let mut message = envelope.clone();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                message.push_str(l.strip_prefix('.').unwrap_or(&l));
                                message.push('\n');
                            }
                            tx.send(message).unwrap();
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, rx)
}

#[tokio::test]
async fn with_smtp_the_invitation_is_mailed_for_real() {
    let (port, mut inbox) = smtp_server().await;
    let app = spawn_app_with(|c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    let w = app.world().await;
    let r = invite(&app, &w.root, &w.acme, "dave@acme.example", "member").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let url = r.body["accept_url"].as_str().unwrap();
    let message = tokio::time::timeout(std::time::Duration::from_secs(10), inbox.recv()).await.expect("a mail").unwrap();
    assert!(message.contains("RCPT TO:<dave@acme.example>"), "{message}");
    assert!(message.contains("Subject: You are invited to Acme on Tenantry"), "{message}");
    assert!(message.contains(url), "the accept link is in the mail: {message}");
    // Delivered: recorded, and the link no longer sits in the database.
    let outbox = app.get("/api/v1/outbox", Auth::Session(&w.root), Some(&w.acme)).await;
    let mail: &Value = &outbox.body["items"][0];
    assert!(mail["sent_at"].is_string(), "{}", outbox.text);
    assert!(mail["error"].is_null());
    assert!(!outbox.text.contains(&token_of(&r)));
    assert_eq!(accept(&app, &token_of(&r), "Dave").await.0.status, StatusCode::OK);
}

#[tokio::test]
async fn a_dead_smtp_server_keeps_the_mail_in_the_outbox() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let app = spawn_app_with(|c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    let w = app.world().await;
    let r = invite(&app, &w.root, &w.acme, "dave@acme.example", "member").await;
    assert_eq!(r.status, StatusCode::CREATED, "the invitation stands even when mail fails: {}", r.text);
    let outbox = app.get("/api/v1/outbox", Auth::Session(&w.root), Some(&w.acme)).await;
    let mail = &outbox.body["items"][0];
    assert!(mail["sent_at"].is_null());
    assert!(mail["error"].is_string(), "{}", outbox.text);
    assert!(mail["body"].as_str().unwrap().contains(r.body["accept_url"].as_str().unwrap()));
}
