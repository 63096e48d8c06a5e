//! Tags on orgs and technician scopes (all customers except some; all customers tagged X).
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

fn names(page: &serde_json::Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn msp_admins_manage_tags_and_org_lists_show_and_filter_them() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.msp, "alice@contoso.example", "admin").await;
    let alice = app.login("alice@contoso.example", PASSWORD).await;
    let a = Auth::Session(&alice);
    let before = app.audit_count().await;
    let t = app.post("/api/v1/tags", a.clone(), Some(&w.msp), json!({"name": "managed-m365", "color": "#1F6FEB"})).await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.text);
    assert_eq!(t.body["color"], "#1f6feb");
    let tag = t.id();
    let dup = app.post("/api/v1/tags", a.clone(), Some(&w.msp), json!({"name": "Managed-M365", "color": "#000000"})).await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.text);
    assert!(dup.body["error"]["fields"]["name"].is_string());
    let bad = app.post("/api/v1/tags", a.clone(), Some(&w.msp), json!({"name": " ", "color": "blue"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body["error"]["fields"]["name"].is_string() && bad.body["error"]["fields"]["color"].is_string(), "{}", bad.text);
    // The same name in another MSP is fine.
    let other = app.post("/api/v1/tags", Auth::Session(&w.root), Some(&w.other_msp), json!({"name": "managed-m365", "color": "#00ff00"})).await;
    assert_eq!(other.status, StatusCode::CREATED);
    let other_tag = other.id();

    for org in [&w.acme, &w.acme_child] {
        let r = app.put(&format!("/api/v1/orgs/{org}/tags/{tag}"), a.clone(), Some(&w.msp), json!({})).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    }
    // Tagging twice changes nothing; the MSP itself, a foreign org, another MSP's tag: 404.
    assert_eq!(app.put(&format!("/api/v1/orgs/{}/tags/{tag}", w.acme), a.clone(), Some(&w.msp), json!({})).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.put(&format!("/api/v1/orgs/{}/tags/{tag}", w.msp), a.clone(), Some(&w.msp), json!({})).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.put(&format!("/api/v1/orgs/{}/tags/{tag}", w.foreign), a.clone(), Some(&w.msp), json!({})).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.put(&format!("/api/v1/orgs/{}/tags/{other_tag}", w.acme), a.clone(), Some(&w.msp), json!({})).await.status, StatusCode::NOT_FOUND);
    // Two creates (the duplicate and the invalid one: nothing), two tags: 4 audit rows.
    assert_eq!(app.audit_count().await - before, 4);
    assert_eq!(app.audit_actions("org.tag").await, 2);

    let list = app.get("/api/v1/tags", a.clone(), Some(&w.msp)).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    let orgs = app.get("/api/v1/orgs", a.clone(), None).await;
    let acme = orgs.body["items"].as_array().unwrap().iter().find(|o| o["id"] == w.acme.as_str()).unwrap().clone();
    assert_eq!(acme["tags"], json!([{"id": tag, "name": "managed-m365", "color": "#1f6feb"}]));
    let tagged = app.get(&format!("/api/v1/orgs?tag={tag}"), a.clone(), None).await;
    assert_eq!(names(&tagged.body), ["Acme", "Acme Berlin"]);
    let customers = app.get(&format!("/api/v1/customers?tag={tag}"), a.clone(), Some(&w.msp)).await;
    assert_eq!(names(&customers.body), ["Acme"]);
    assert_eq!(customers.body["items"][0]["tags"][0]["name"], "managed-m365");
    let overview = app.get(&format!("/api/v1/overview?tag={tag}"), a.clone(), Some(&w.msp)).await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.text);
    assert_eq!(names(&overview.body), ["Acme"]);
    assert_eq!(app.get("/api/v1/orgs?tag=nope", a.clone(), None).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A customer's own admin doesn't see the MSP's labels.
    app.add_user(&w.root, &w.acme, "carol@acme.example", "admin").await;
    let carol = app.login("carol@acme.example", PASSWORD).await;
    let own = app.get("/api/v1/orgs", Auth::Session(&carol), None).await;
    assert!(own.body["items"].as_array().unwrap().iter().all(|o| o["tags"] == json!([])), "{}", own.text);

    let un = app.delete(&format!("/api/v1/orgs/{}/tags/{tag}", w.acme_child), a.clone(), Some(&w.msp)).await;
    assert_eq!(un.status, StatusCode::NO_CONTENT);
    assert_eq!(app.delete(&format!("/api/v1/orgs/{}/tags/{tag}", w.acme_child), a.clone(), Some(&w.msp)).await.status, StatusCode::NOT_FOUND);
    let del = app.delete(&format!("/api/v1/tags/{tag}"), a.clone(), Some(&w.msp)).await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("/api/v1/customers?tag={tag}"), a.clone(), Some(&w.msp)).await.body["items"], json!([]));
    assert_eq!(app.audit_actions("org.untag").await, 1);
    assert_eq!(app.audit_actions("tag.delete").await, 1);
}

#[tokio::test]
async fn technicians_and_other_msps_cannot_manage_tags_or_scopes() {
    let app = spawn_app().await;
    let w = app.world().await;
    let tech = app.add_user(&w.root, &w.msp, "tom@contoso.example", "member").await;
    app.add_user(&w.root, &w.msp, "alice@contoso.example", "admin").await;
    app.add_user(&w.root, &w.other_msp, "uma@umbrella.example", "admin").await;
    let alice = app.login("alice@contoso.example", PASSWORD).await;
    let tom = app.login("tom@contoso.example", PASSWORD).await;
    let uma = app.login("uma@umbrella.example", PASSWORD).await;
    let tag = app.post("/api/v1/tags", Auth::Session(&alice), Some(&w.msp), json!({"name": "vip", "color": "#ff0000"})).await.id();
    let t = Auth::Session(&tom);
    let u = Auth::Session(&uma);
    let before = app.audit_count().await;

    // A technician reads the tags (for filters) but changes nothing: 403.
    assert_eq!(app.get("/api/v1/tags", t.clone(), Some(&w.msp)).await.status, StatusCode::OK);
    assert_eq!(app.post("/api/v1/tags", t.clone(), Some(&w.msp), json!({"name": "x", "color": "#000000"})).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&format!("/api/v1/tags/{tag}"), t.clone(), Some(&w.msp)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&format!("/api/v1/technicians/{tech}/scope"), t.clone(), Some(&w.msp)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.put(&format!("/api/v1/technicians/{tech}/scope"), t.clone(), Some(&w.msp), json!({"all_except": []})).await.status, StatusCode::FORBIDDEN);
    // With a scope, tom administers Acme, yet tagging stays an MSP admin's job.
    let s = app.put(&format!("/api/v1/technicians/{tech}/scope"), Auth::Session(&alice), Some(&w.msp), json!({"all_except": []})).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text);
    assert_eq!(app.put(&format!("/api/v1/orgs/{}/tags/{tag}", w.acme), t.clone(), Some(&w.msp), json!({})).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.put(&format!("/api/v1/orgs/{}/tags/{tag}", w.acme), t.clone(), Some(&w.acme), json!({})).await.status, StatusCode::NOT_FOUND);

    // Another MSP's admin: everything of this MSP is 404.
    assert_eq!(app.get("/api/v1/tags", u.clone(), Some(&w.msp)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.post("/api/v1/tags", u.clone(), Some(&w.msp), json!({"name": "x", "color": "#000000"})).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&format!("/api/v1/tags/{tag}"), u.clone(), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.put(&format!("/api/v1/orgs/{}/tags/{tag}", w.acme), u.clone(), Some(&w.msp), json!({})).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.put(&format!("/api/v1/orgs/{}/tags/{tag}", w.foreign), u.clone(), None, json!({})).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/api/v1/technicians/{tech}/scope"), u.clone(), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.put(&format!("/api/v1/technicians/{tech}/scope"), u.clone(), None, json!({"all_except": []})).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&format!("/api/v1/technicians/{tech}/scope"), u.clone(), Some(&w.msp)).await.status, StatusCode::NOT_FOUND);
    // Only alice's scope grant was recorded.
    assert_eq!(app.audit_count().await - before, 1);
}

#[tokio::test]
async fn all_except_scope_covers_new_customers_and_drops_excluded_ones_at_once() {
    let app = spawn_app().await;
    let w = app.world().await;
    let tech = app.add_user(&w.root, &w.msp, "tom@contoso.example", "member").await;
    let admin = app.add_user(&w.root, &w.msp, "alice@contoso.example", "admin").await;
    let alice = app.login("alice@contoso.example", PASSWORD).await;
    let tom = app.login("tom@contoso.example", PASSWORD).await;
    let a = Auth::Session(&alice);
    let t = Auth::Session(&tom);
    let scope = format!("/api/v1/technicians/{tech}/scope");
    assert_eq!(app.get(&scope, a.clone(), Some(&w.msp)).await.body, serde_json::Value::Null, "no scope");

    // Field checks: exactly one of the two; exclusions must be this MSP's customers; admins and
    // non-members can't be scoped.
    assert_eq!(app.put(&scope, a.clone(), Some(&w.msp), json!({})).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let both = app.put(&scope, a.clone(), Some(&w.msp), json!({"all_except": [], "tag": w.acme})).await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY);
    let foreign = app.put(&scope, a.clone(), Some(&w.msp), json!({"all_except": [w.foreign]})).await;
    assert_eq!(foreign.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(foreign.body["error"]["fields"]["all_except"].is_string());
    let child = app.put(&scope, a.clone(), Some(&w.msp), json!({"all_except": [w.acme_child]})).await;
    assert_eq!(child.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.put(&format!("/api/v1/technicians/{admin}/scope"), a.clone(), Some(&w.msp), json!({"all_except": []})).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let stranger = app.add_user(&w.root, &w.other_msp, "sam@umbrella.example", "member").await;
    assert_eq!(app.put(&format!("/api/v1/technicians/{stranger}/scope"), a.clone(), Some(&w.msp), json!({"all_except": []})).await.status, StatusCode::NOT_FOUND);

    let g = app.put(&scope, a.clone(), Some(&w.msp), json!({"all_except": [w.globex]})).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.text);
    assert_eq!(g.body, json!({"all_except": [w.globex]}));
    assert_eq!(app.get(&scope, a.clone(), Some(&w.msp)).await.body, g.body);
    assert_eq!(app.audit_actions("scope.grant").await, 1);
    assert_eq!(names(&app.get("/api/v1/orgs", t.clone(), None).await.body), ["Contoso MSP", "Acme", "Acme Berlin"]);
    let role = app.get("/api/v1/org", t.clone(), Some(&w.acme_child)).await;
    assert_eq!(role.body["role"], "admin", "{}", role.text);
    assert_eq!(app.get("/api/v1/org", t.clone(), Some(&w.globex)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/api/v1/orgs/{}", w.globex), t.clone(), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/org", t.clone(), Some(&w.foreign)).await.status, StatusCode::NOT_FOUND);
    let overview = app.get("/api/v1/overview", t.clone(), Some(&w.msp)).await;
    assert_eq!(names(&overview.body), ["Acme"]);

    // A customer created after the grant is included at once.
    let zeta = app.create_org(&w.root, "customer", "Zeta", Some(&w.msp), Some("zeta.example")).await;
    assert_eq!(app.get("/api/v1/org", t.clone(), Some(&zeta)).await.body["role"], "admin");
    assert_eq!(names(&app.get("/api/v1/customers", t.clone(), Some(&w.msp)).await.body), ["Acme", "Zeta"]);
    // Excluding Acme later ends access to it (and its child) on the next request.
    let g = app.put(&scope, a.clone(), Some(&w.msp), json!({"all_except": [w.globex, w.acme]})).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.text);
    assert_eq!(app.get("/api/v1/org", t.clone(), Some(&w.acme)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/org", t.clone(), Some(&w.acme_child)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(names(&app.get("/api/v1/orgs", t.clone(), None).await.body), ["Contoso MSP", "Zeta"]);
    let tree = app.get("/api/v1/tree", t.clone(), None).await;
    assert_eq!(tree.status, StatusCode::OK);
    assert!(!tree.text.contains("Acme"), "{}", tree.text);

    // Revoked: only the MSP remains.
    assert_eq!(app.delete(&scope, a.clone(), Some(&w.msp)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.delete(&scope, a.clone(), Some(&w.msp)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/org", t.clone(), Some(&zeta)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(names(&app.get("/api/v1/orgs", t.clone(), None).await.body), ["Contoso MSP"]);
    assert_eq!(app.audit_actions("scope.revoke").await, 1);

    // A scope counts only while its technician is a member of the MSP.
    app.put(&scope, a.clone(), Some(&w.msp), json!({"all_except": []})).await;
    assert_eq!(app.get("/api/v1/org", t.clone(), Some(&zeta)).await.body["role"], "admin");
    sqlx::query("DELETE FROM memberships WHERE user_id = $1").bind(&tech).execute(&app.db.pool).await.unwrap();
    app.authz_changed().await;
    assert_eq!(app.get("/api/v1/org", t.clone(), Some(&zeta)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tag_scope_follows_the_tag_on_and_off_customers() {
    let app = spawn_app().await;
    let w = app.world().await;
    let tech = app.add_user(&w.root, &w.msp, "tom@contoso.example", "member").await;
    app.add_user(&w.root, &w.msp, "alice@contoso.example", "admin").await;
    let alice = app.login("alice@contoso.example", PASSWORD).await;
    let tom = app.login("tom@contoso.example", PASSWORD).await;
    let a = Auth::Session(&alice);
    let t = Auth::Session(&tom);
    let tag = app.post("/api/v1/tags", a.clone(), Some(&w.msp), json!({"name": "managed-m365", "color": "#123456"})).await.id();
    let other_tag = app.post("/api/v1/tags", Auth::Session(&w.root), Some(&w.other_msp), json!({"name": "x", "color": "#123456"})).await.id();
    let scope = format!("/api/v1/technicians/{tech}/scope");
    let wrong = app.put(&scope, a.clone(), Some(&w.msp), json!({"tag": other_tag})).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body["error"]["fields"]["tag"].is_string());
    let g = app.put(&scope, a.clone(), Some(&w.msp), json!({"tag": tag})).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.text);
    assert_eq!(g.body, json!({"tag": tag}));
    // Nothing tagged yet: nothing but the MSP.
    assert_eq!(names(&app.get("/api/v1/orgs", t.clone(), None).await.body), ["Contoso MSP"]);

    let put_tag = |org: String| {
        let (app, a, tag, msp) = (&app, a.clone(), tag.clone(), w.msp.clone());
        async move { app.put(&format!("/api/v1/orgs/{org}/tags/{tag}"), a, Some(&msp), json!({})).await.status }
    };
    assert_eq!(put_tag(w.acme.clone()).await, StatusCode::NO_CONTENT);
    assert_eq!(names(&app.get("/api/v1/orgs", t.clone(), None).await.body), ["Contoso MSP", "Acme", "Acme Berlin"]);
    assert_eq!(app.get("/api/v1/org", t.clone(), Some(&w.acme_child)).await.body["role"], "admin");
    assert_eq!(app.get("/api/v1/org", t.clone(), Some(&w.globex)).await.status, StatusCode::NOT_FOUND);
    // A customer created and tagged after the grant is included.
    let zeta = app.create_org(&w.root, "customer", "Zeta", Some(&w.msp), Some("zeta.example")).await;
    assert_eq!(app.get("/api/v1/org", t.clone(), Some(&zeta)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(put_tag(zeta.clone()).await, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/org", t.clone(), Some(&zeta)).await.body["role"], "admin");
    assert_eq!(names(&app.get("/api/v1/overview", t.clone(), Some(&w.msp)).await.body), ["Acme", "Zeta"]);
    // The tag taken off Acme: access to it ends at once.
    assert_eq!(app.delete(&format!("/api/v1/orgs/{}/tags/{tag}", w.acme), a.clone(), Some(&w.msp)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/org", t.clone(), Some(&w.acme)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(names(&app.get("/api/v1/orgs", t.clone(), None).await.body), ["Contoso MSP", "Zeta"]);
    // Zeta moves to another MSP: this MSP's tags come off it (and its technicians' access ends).
    let moved = app.put(&format!("/api/v1/orgs/{zeta}/parent"), Auth::Session(&w.root), None, json!({"parent_id": w.other_msp})).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(app.get("/api/v1/org", t.clone(), Some(&zeta)).await.status, StatusCode::NOT_FOUND);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM org_tags WHERE org_id = $1").bind(&zeta).fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(left, 0);
    assert_eq!(put_tag(zeta.clone()).await, StatusCode::NOT_FOUND);
    let back = app.put(&format!("/api/v1/orgs/{zeta}/parent"), Auth::Session(&w.root), None, json!({"parent_id": w.msp})).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text);
    assert_eq!(put_tag(zeta.clone()).await, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/org", t.clone(), Some(&zeta)).await.body["role"], "admin");
    // The tag deleted: the scope built on it ends too, and says so in the audit trail.
    assert_eq!(app.delete(&format!("/api/v1/tags/{tag}"), a.clone(), Some(&w.msp)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/org", t.clone(), Some(&zeta)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&scope, a.clone(), Some(&w.msp)).await.body, serde_json::Value::Null, "no scope");
    let summary: String = sqlx::query_scalar("SELECT summary FROM audit_events WHERE action = 'tag.delete'").fetch_one(&app.db.pool).await.unwrap();
    assert!(summary.contains("1 technician scope"), "{summary}");
}

#[tokio::test]
async fn ending_a_delegation_or_scope_revokes_the_technicians_pending_invitations_there() {
    let app = spawn_app().await;
    let w = app.world().await;
    let tech = app.add_user(&w.root, &w.msp, "tom@contoso.example", "member").await;
    app.add_user(&w.root, &w.msp, "alice@contoso.example", "admin").await;
    let alice = app.login("alice@contoso.example", PASSWORD).await;
    let tom = app.login("tom@contoso.example", PASSWORD).await;
    let a = Auth::Session(&alice);
    let t = Auth::Session(&tom);
    let pending = |org: String| {
        let (app, a) = (&app, a.clone());
        async move { app.get("/api/v1/invitations", a, Some(&org)).await.body["items"].as_array().map(Vec::len).unwrap_or(99) }
    };
    // Delegated to Acme, tom invites an admin there; alice invites one too.
    let d = app.post(&format!("/api/v1/customers/{}/delegations", w.acme), a.clone(), Some(&w.msp), json!({"user_id": tech})).await;
    assert_eq!(d.status, StatusCode::CREATED, "{}", d.text);
    let i = app.post("/api/v1/invitations", t.clone(), Some(&w.acme), json!({"email": "mallory@acme.example", "role": "admin"})).await;
    assert_eq!(i.status, StatusCode::CREATED, "{}", i.text);
    let i = app.post("/api/v1/invitations", t.clone(), Some(&w.acme_child), json!({"email": "eve@acme.example", "role": "member"})).await;
    assert_eq!(i.status, StatusCode::CREATED, "{}", i.text);
    let i = app.post("/api/v1/invitations", a.clone(), Some(&w.acme), json!({"email": "bob@acme.example", "role": "member"})).await;
    assert_eq!(i.status, StatusCode::CREATED, "{}", i.text);
    assert_eq!(pending(w.acme.clone()).await, 2);
    assert_eq!(app.delete(&format!("/api/v1/customers/{}/delegations/{tech}", w.acme), a.clone(), Some(&w.msp)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(pending(w.acme.clone()).await, 1, "alice's invitation stays");
    assert_eq!(pending(w.acme_child.clone()).await, 0);
    assert_eq!(app.audit_actions("invitation.revoke").await, 2);

    // With an all-except scope tom invites in Acme and Globex; excluding Globex later revokes
    // only the Globex one.
    let s = app.put(&format!("/api/v1/technicians/{tech}/scope"), a.clone(), Some(&w.msp), json!({"all_except": []})).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text);
    for (org, email) in [(&w.acme, "a2@acme.example"), (&w.globex, "g1@globex.example")] {
        let i = app.post("/api/v1/invitations", t.clone(), Some(org), json!({"email": email, "role": "admin"})).await;
        assert_eq!(i.status, StatusCode::CREATED, "{}", i.text);
    }
    // Tokens tom makes while acting in Globex and in Acme (each a permanent way back in).
    let token_in = |org: String, name: &'static str| {
        let app = &app;
        async move {
            let r = app.post("/api/v1/auth/token", Auth::None, Some(&org), json!({"email": "tom@contoso.example", "password": PASSWORD, "name": name})).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            r.body["token"].as_str().unwrap().to_string()
        }
    };
    let works = |token: String| {
        let app = &app;
        async move { app.get("/api/v1/me", Auth::Bearer(&token), None).await.status == StatusCode::OK }
    };
    let in_globex = token_in(w.globex.clone(), "globex script").await;
    let in_acme = token_in(w.acme.clone(), "acme script").await;
    let s = app.put(&format!("/api/v1/technicians/{tech}/scope"), a.clone(), Some(&w.msp), json!({"all_except": [w.globex]})).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text);
    assert_eq!(pending(w.globex.clone()).await, 0);
    assert_eq!(pending(w.acme.clone()).await, 2);
    assert!(!works(in_globex).await, "the token made in Globex ends with the access to Globex");
    assert!(works(in_acme.clone()).await);
    assert_eq!(app.audit_actions("token.revoke").await, 1);
    // A tag scope: untagging Acme revokes the rest of tom's invitations there.
    let tag = app.post("/api/v1/tags", a.clone(), Some(&w.msp), json!({"name": "m365", "color": "#abcdef"})).await.id();
    assert_eq!(app.put(&format!("/api/v1/orgs/{}/tags/{tag}", w.acme), a.clone(), Some(&w.msp), json!({})).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.put(&format!("/api/v1/technicians/{tech}/scope"), a.clone(), Some(&w.msp), json!({"tag": tag})).await.status, StatusCode::OK);
    assert_eq!(pending(w.acme.clone()).await, 2);
    assert_eq!(app.delete(&format!("/api/v1/orgs/{}/tags/{tag}", w.acme), a.clone(), Some(&w.msp)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(pending(w.acme.clone()).await, 1);
    assert_eq!(app.audit_actions("invitation.revoke").await, 4);
    assert!(!works(in_acme).await, "untagged: the token made in Acme ends too");
    assert_eq!(app.audit_actions("token.revoke").await, 2);
}

#[tokio::test]
async fn removing_the_technician_from_the_msp_ends_their_scope_for_good() {
    let app = spawn_app().await;
    let w = app.world().await;
    // Dana's home is Acme; she is also a member of the MSP.
    let dana = app.add_user(&w.root, &w.acme, "dana@acme.example", "viewer").await;
    sqlx::query("INSERT INTO memberships (user_id, org_id, role, created_at, group_limited) VALUES ($1, $2, 'member', 0, 0)")
        .bind(&dana)
        .bind(&w.msp)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let r = Auth::Session(&w.root);
    let s = app.put(&format!("/api/v1/technicians/{dana}/scope"), r.clone(), Some(&w.msp), json!({"all_except": []})).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text);
    let d = app.login("dana@acme.example", PASSWORD).await;
    assert_eq!(app.get("/api/v1/org", Auth::Session(&d), Some(&w.globex)).await.body["role"], "admin");
    assert_eq!(app.delete(&format!("/api/v1/users/{dana}"), r.clone(), Some(&w.msp)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/org", Auth::Session(&d), Some(&w.globex)).await.status, StatusCode::NOT_FOUND);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM technician_scopes").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(left, 0);
}
