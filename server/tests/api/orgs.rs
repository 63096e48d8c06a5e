use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

fn names(page: &serde_json::Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn switcher_lists_home_first_then_alphabetical_with_search() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.create_org(&w.root, "customer", "aardvark Co", Some(&w.msp), Some("aardvark.example")).await;
    app.add_user(&w.root, &w.msp, "alice@contoso.example", "admin").await;
    let alice = app.login("alice@contoso.example", PASSWORD).await;
    let page = app.get("/api/v1/orgs", Auth::Session(&alice), None).await;
    assert_eq!(names(&page.body), ["Contoso MSP", "aardvark Co", "Acme", "Acme Berlin", "Globex"]);
    assert_eq!(page.body["items"][0]["is_home"], true);
    assert_eq!(page.body["items"][2]["url"], format!("http://acme-contoso-msp.localhost:{}/", app.addr.port()));
    let q = app.get("/api/v1/orgs?q=ACME", Auth::Session(&alice), None).await;
    assert_eq!(names(&q.body), ["Acme", "Acme Berlin"]);
    let paged = app.get("/api/v1/orgs?limit=2", Auth::Session(&alice), None).await;
    assert_eq!(names(&paged.body), ["Contoso MSP", "aardvark Co"]);
    let next = paged.body["next_cursor"].as_str().unwrap();
    let rest = app.get(&format!("/api/v1/orgs?limit=2&cursor={next}"), Auth::Session(&alice), None).await;
    assert_eq!(names(&rest.body), ["Acme", "Acme Berlin"]);
    let bad = app.get("/api/v1/orgs?limit=0", Auth::Session(&alice), None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body["error"]["fields"]["limit"].is_string());
}

#[tokio::test]
async fn technician_sees_only_delegated_customers_until_promoted_or_expired() {
    let app = spawn_app().await;
    let w = app.world().await;
    let tech = app.add_user(&w.root, &w.msp, "tom@contoso.example", "member").await;
    app.add_user(&w.root, &w.msp, "alice@contoso.example", "admin").await;
    let alice = app.login("alice@contoso.example", PASSWORD).await;
    let tom = app.login("tom@contoso.example", PASSWORD).await;
    assert_eq!(names(&app.get("/api/v1/orgs", Auth::Session(&tom), None).await.body), ["Contoso MSP"]);
    let g = app.post(&format!("/api/v1/customers/{}/delegations", w.acme), Auth::Session(&alice), Some(&w.msp), json!({"user_id": tech, "expires_at": "2099-01-01"})).await;
    assert_eq!(g.status, StatusCode::CREATED, "{}", g.text);
    assert_eq!(g.body["granted_by_email"], "alice@contoso.example");
    let list = app.get("/api/v1/orgs", Auth::Session(&tom), None).await;
    assert_eq!(names(&list.body), ["Contoso MSP", "Acme", "Acme Berlin"]);
    assert_eq!(list.body["items"][1]["role"], "admin");
    assert_eq!(app.get(&format!("/api/v1/orgs/{}", w.globex), Auth::Session(&tom), None).await.status, StatusCode::NOT_FOUND);
    // The delegation expires: the next request knows.
    sqlx::query("UPDATE delegations SET expires_at = $1").bind(server::db::now_ms() - 1).execute(&app.db.pool).await.unwrap();
    app.authz_changed().await;
    assert_eq!(app.get("/api/v1/org", Auth::Session(&tom), Some(&w.acme)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(names(&app.get("/api/v1/orgs", Auth::Session(&tom), None).await.body), ["Contoso MSP"]);
    let shown = app.get(&format!("/api/v1/customers/{}/delegations", w.acme), Auth::Session(&alice), Some(&w.msp)).await;
    assert_eq!(shown.body[0]["active"], false);
    // Promoted to MSP admin: every customer at once, including ones created later.
    let p = app.request(Method::PATCH, &format!("/api/v1/users/{tech}"), Auth::Session(&alice), Some(&w.msp), Some(json!({"role": "admin"}))).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text);
    app.create_org(&w.root, "customer", "Zeta", Some(&w.msp), Some("zeta.example")).await;
    assert_eq!(names(&app.get("/api/v1/orgs", Auth::Session(&tom), None).await.body), ["Contoso MSP", "Acme", "Acme Berlin", "Globex", "Zeta"]);
    // Delegating to an admin or a non-member is refused, naming the field.
    let again = app.post(&format!("/api/v1/customers/{}/delegations", w.acme), Auth::Session(&alice), Some(&w.msp), json!({"user_id": tech})).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body["error"]["fields"]["user_id"].is_string());
    let past = app.post(&format!("/api/v1/customers/{}/delegations", w.acme), Auth::Session(&alice), Some(&w.msp), json!({"user_id": tech, "expires_at": "2001-01-01"})).await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn email_domain_is_required_unique_and_immutable() {
    let app = spawn_app().await;
    let w = app.world().await;
    let dup = app.post("/api/v1/orgs", Auth::Session(&w.root), None, json!({"name": "Dup", "kind": "customer", "parent_id": w.msp, "email_domain": "ACME.example."})).await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.text);
    assert!(dup.body["error"]["fields"]["email_domain"].is_string());
    let none = app.post("/api/v1/orgs", Auth::Session(&w.root), None, json!({"name": "NoDomain", "kind": "customer", "parent_id": w.msp})).await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(none.body["error"]["fields"]["email_domain"].is_string());
    let change = app.request(Method::PATCH, &format!("/api/v1/orgs/{}", w.acme), Auth::Session(&w.root), None, Some(json!({"email_domain": "new.example", "name": "Acme 2"}))).await;
    assert_eq!(change.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(change.body["error"]["fields"]["email_domain"].is_string());
    let org = app.get(&format!("/api/v1/orgs/{}", w.acme), Auth::Session(&w.root), None).await;
    assert_eq!(org.body["name"], "Acme", "nothing changed");
    assert_eq!(org.body["email_domain"], "acme.example");
    let child = app.get(&format!("/api/v1/orgs/{}", w.acme_child), Auth::Session(&w.root), None).await;
    assert_eq!(child.body["effective_email_domain"], "acme.example");
    assert!(child.body["email_domain"].is_null());
    // Slug: suggested as <name>-<msp slug>, unique, a DNS label.
    let suggested = app.post("/api/v1/customers", Auth::Session(&w.root), Some(&w.msp), json!({"name": "Big Bank", "email_domain": "bigbank.example"})).await;
    assert_eq!(suggested.status, StatusCode::CREATED, "{}", suggested.text);
    assert_eq!(suggested.body["slug"], "big-bank-contoso-msp");
    let taken = app.post("/api/v1/customers", Auth::Session(&w.root), Some(&w.msp), json!({"name": "Big Bank 2", "slug": "big-bank-contoso-msp", "email_domain": "bigbank2.example"})).await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert!(taken.body["error"]["fields"]["slug"].is_string());
    let bad = app.post("/api/v1/customers", Auth::Session(&w.root), Some(&w.msp), json!({"name": "", "slug": "-bad-", "email_domain": "nodot"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["name", "slug", "email_domain"] {
        assert!(bad.body["error"]["fields"][f].is_string(), "{f} named in {}", bad.text);
    }
}

#[tokio::test]
async fn deleting_a_customer_removes_all_its_data_in_one_go() {
    let app = spawn_app().await;
    let w = app.world().await;
    let grandchild = app.create_org(&w.root, "child", "Acme Lab", Some(&w.acme_child), None).await;
    app.add_user(&w.root, &w.acme, "carol@acme.example", "admin").await;
    app.add_user(&w.root, &w.acme_child, "rita@acme.example", "admin").await;
    let tech = app.add_user(&w.root, &w.msp, "tom@contoso.example", "member").await;
    app.post(&format!("/api/v1/customers/{}/delegations", w.acme), Auth::Session(&w.root), Some(&w.msp), json!({"user_id": tech})).await;
    let carol = app.login("carol@acme.example", PASSWORD).await;
    // A customer admin can't delete their own org (only whoever manages it can).
    let own = app.request(Method::DELETE, &format!("/api/v1/orgs/{}", w.acme), Auth::Session(&carol), None, None).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    let del = app.request(Method::DELETE, &format!("/api/v1/orgs/{}", w.acme), Auth::Session(&w.root), None, None).await;
    assert_eq!(del.status, StatusCode::NO_CONTENT, "{}", del.text);
    for (table, column) in [("orgs", "id"), ("memberships", "org_id"), ("delegations", "org_id")] {
        for org in [&w.acme, &w.acme_child, &grandchild] {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1")).bind(org).fetch_one(&app.db.pool).await.unwrap();
            assert_eq!(n, 0, "{table} still has rows of a deleted org");
        }
    }
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email LIKE '%@acme.example'").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(users, 0);
    assert_eq!(app.get("/api/v1/me", Auth::Session(&carol), None).await.status, StatusCode::UNAUTHORIZED);
    // The record of the deletion stays with the MSP.
    let audit = app.get("/api/v1/audit?action=org.delete", Auth::Session(&w.root), Some(&w.msp)).await;
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 1, "{}", audit.text);
    assert_eq!(app.get(&format!("/api/v1/orgs/{}", w.acme), Auth::Session(&w.root), None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tenant_subdomain_sets_the_org_context() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.msp, "alice@contoso.example", "admin").await;
    let alice = app.login("alice@contoso.example", PASSWORD).await;
    let acme_slug = app.get(&format!("/api/v1/orgs/{}", w.acme), Auth::Session(&alice), None).await.body["slug"].as_str().unwrap().to_string();
    let foreign_slug = app.get(&format!("/api/v1/orgs/{}", w.foreign), Auth::Session(&w.root), None).await.body["slug"].as_str().unwrap().to_string();
    let org_via_host = |slug: String| {
        let app = &app;
        let alice = alice.clone();
        async move {
            app.http
                .get(app.url("/api/v1/org"))
                .header("host", format!("{slug}.localhost:{}", app.addr.port()))
                .header("cookie", &alice.cookie)
                .send()
                .await
                .unwrap()
        }
    };
    let acme = org_via_host(acme_slug).await;
    assert_eq!(acme.status(), StatusCode::OK);
    let body: serde_json::Value = acme.json().await.unwrap();
    assert_eq!(body["id"], w.acme.as_str());
    assert_eq!(body["acting_from_outside"], true);
    assert_eq!(org_via_host(foreign_slug).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(org_via_host("no-such-tenant".into()).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn handoff_signs_in_on_the_tenant_host_once() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.msp, "alice@contoso.example", "admin").await;
    let alice = app.login("alice@contoso.example", PASSWORD).await;
    let denied = app.post("/api/v1/auth/handoff", Auth::Session(&alice), None, json!({"org_id": w.foreign})).await;
    assert_eq!(denied.status, StatusCode::NOT_FOUND);
    let h = app.post("/api/v1/auth/handoff", Auth::Session(&alice), None, json!({"org_id": w.acme})).await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.text);
    let url = h.body["url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&format!("http://acme-contoso-msp.localhost:{}/auth/handoff?code=", app.addr.port())), "{url}");
    let path = &url[url.find("/auth/handoff").unwrap()..];
    let redeem = |host: &str| {
        let req = app.http.get(app.url(path)).header("host", format!("{host}:{}", app.addr.port()));
        async move { req.send().await.unwrap() }
    };
    // The code is bound to its tenant: another host can't use it (and it is spent).
    let h2 = app.post("/api/v1/auth/handoff", Auth::Session(&alice), None, json!({"org_id": w.acme})).await;
    let url2 = h2.body["url"].as_str().unwrap();
    let wrong_host = app.http.get(app.url(&url2[url2.find("/auth/handoff").unwrap()..])).header("host", format!("globex-contoso-msp.localhost:{}", app.addr.port())).send().await.unwrap();
    assert!(wrong_host.headers().get("set-cookie").is_none());
    let ok = app.complete_handoff(path, "acme-contoso-msp.localhost", &alice).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let cookie = ok.headers().get_all("set-cookie").iter().map(|c| c.to_str().unwrap()).find(|c| c.starts_with("tenantry_session=")).expect("session on the tenant host").split(';').next().unwrap().to_string();
    let org = app.http.get(app.url("/api/v1/org")).header("host", format!("acme-contoso-msp.localhost:{}", app.addr.port())).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(org.status(), StatusCode::OK);
    assert_eq!(org.json::<serde_json::Value>().await.unwrap()["id"], w.acme.as_str());
    let again = redeem("acme-contoso-msp.localhost").await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert!(again.headers().get("set-cookie").is_none(), "single use");
}

#[tokio::test]
async fn overview_rolls_up_each_customer_with_sql_aggregates() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.msp, "alice@contoso.example", "admin").await;
    let tech = app.add_user(&w.root, &w.msp, "tom@contoso.example", "member").await;
    app.add_user(&w.root, &w.acme, "carol@acme.example", "admin").await;
    app.add_user(&w.root, &w.acme_child, "rita@acme.example", "member").await;
    let alice = app.login("alice@contoso.example", PASSWORD).await;
    for (org, name, online, alerts) in [(&w.acme, "pc-1", true, 0), (&w.acme, "pc-2", false, 2), (&w.acme_child, "gw-1", true, 1), (&w.globex, "srv-1", false, 0)] {
        let r = app.post("/api/v1/assets", Auth::Session(&alice), Some(org), json!({"kind": "computer", "name": name, "online": online, "open_alerts": alerts})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let o = app.get("/api/v1/overview?sort=alerts", Auth::Session(&alice), Some(&w.msp)).await;
    assert_eq!(o.status, StatusCode::OK, "{}", o.text);
    let items = o.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "Contoso's customers only: {}", o.text);
    let acme = &items[0];
    assert_eq!(acme["name"], "Acme");
    assert_eq!((acme["users"].as_i64(), acme["assets"].as_i64(), acme["online"].as_i64(), acme["offline"].as_i64(), acme["open_alerts"].as_i64()), (Some(2), Some(3), Some(2), Some(1), Some(3)));
    assert!(acme["last_activity"].is_string());
    assert_eq!(o.body["totals"]["customers"], 2);
    assert_eq!(o.body["totals"]["assets"], 4);
    assert_eq!(o.body["totals"]["offline"], 2);
    let searched = app.get("/api/v1/overview?q=glob", Auth::Session(&alice), Some(&w.msp)).await;
    assert_eq!(searched.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(searched.body["totals"]["customers"], 1);
    let paged = app.get("/api/v1/overview?limit=1", Auth::Session(&alice), Some(&w.msp)).await;
    assert_eq!(paged.body["next_cursor"], "1");
    let bad = app.get("/api/v1/overview?sort=colour", Auth::Session(&alice), Some(&w.msp)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body["error"]["fields"]["sort"].is_string());
    // A technician sees only the customers delegated to them.
    app.post(&format!("/api/v1/customers/{}/delegations", w.globex), Auth::Session(&alice), Some(&w.msp), json!({"user_id": tech})).await;
    let tom = app.login("tom@contoso.example", PASSWORD).await;
    let theirs = app.get("/api/v1/overview", Auth::Session(&tom), Some(&w.msp)).await;
    let names: Vec<&str> = theirs.body["items"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Globex"]);
    // The MSP admin deletes a customer: gone from the overview and the switcher.
    let del = app.request(Method::DELETE, &format!("/api/v1/orgs/{}", w.globex), Auth::Session(&alice), None, None).await;
    assert_eq!(del.status, StatusCode::NO_CONTENT, "{}", del.text);
    let after = app.get("/api/v1/overview", Auth::Session(&alice), Some(&w.msp)).await;
    assert_eq!(after.body["totals"]["customers"], 1);
    let own = app.request(Method::DELETE, &format!("/api/v1/orgs/{}", w.msp), Auth::Session(&alice), None, None).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_page_address_names_the_org_by_slug_and_a_tenant_host_only_its_own() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_user(&w.root, &w.msp, "alice@contoso.example", "admin").await;
    let alice = app.login("alice@contoso.example", PASSWORD).await;
    let slug_of = |id: String| {
        let app = &app;
        let root = w.root.clone();
        async move { app.get(&format!("/api/v1/orgs/{id}"), Auth::Session(&root), None).await.body["slug"].as_str().unwrap().to_string() }
    };
    let (acme, globex, foreign) = (slug_of(w.acme.clone()).await, slug_of(w.globex.clone()).await, slug_of(w.foreign.clone()).await);

    // On the main host: any org the caller may open, by slug; others are 404 like a missing one.
    let r = app.get(&format!("/api/v1/org?slug={acme}"), Auth::Session(&alice), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["id"], w.acme.as_str());
    assert_eq!(r.body["on_own_host"], false);
    assert_eq!(app.get(&format!("/api/v1/org?slug={foreign}"), Auth::Session(&alice), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/org?slug=no-such-org", Auth::Session(&alice), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/api/v1/org?slug={acme}"), Auth::None, None).await.status, StatusCode::UNAUTHORIZED);
    assert!(app.get("/api/v1/org?slug=x&colour=red", Auth::Session(&alice), None).await.status.is_client_error());

    // On Acme's own host: Acme, marked as pinned by the host; Globex (alice's too) is not found there.
    let on_acme_host = |query: String| {
        let app = &app;
        let alice = alice.clone();
        let acme = acme.clone();
        async move {
            app.http
                .get(app.url(&format!("/api/v1/org{query}")))
                .header("host", format!("{acme}.localhost:{}", app.addr.port()))
                .header("cookie", &alice.cookie)
                .send()
                .await
                .unwrap()
        }
    };
    let here = on_acme_host(format!("?slug={acme}")).await;
    assert_eq!(here.status(), StatusCode::OK);
    let body: serde_json::Value = here.json().await.unwrap();
    assert_eq!((body["id"].as_str(), body["on_own_host"].as_bool()), (Some(w.acme.as_str()), Some(true)));
    let bare: serde_json::Value = on_acme_host(String::new()).await.json().await.unwrap();
    assert_eq!(bare["on_own_host"], true);
    assert_eq!(on_acme_host(format!("?slug={globex}")).await.status(), StatusCode::NOT_FOUND);
}
