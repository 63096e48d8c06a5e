//! Two `tenantry serve` processes on one database, used alternately by the same browser with
//! no sticky sessions: sessions, CSRF, sign-out, the sign-in rate limit and the audit chain
//! must behave as if there were one server, because all of that state lives in the database.
//!
//! With `TEST_DATABASE_URL=postgres://…` the processes share a fresh PostgreSQL database;
//! otherwise they share one SQLite file (WAL lets two processes read and write it).
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const PASSWORD: &str = "correct horse battery";

async fn fresh_database_url() -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if admin_url.starts_with("postgres") => {
            sqlx::any::install_default_drivers();
            let name = format!("t2p_{}", uuid::Uuid::new_v4().simple());
            let pool = sqlx::AnyPool::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.expect("create test database");
            pool.close().await;
            let (base, _) = admin_url.rsplit_once('/').expect("url has a database");
            format!("{base}/{name}")
        }
        _ => {
            let dir = std::env::temp_dir().join("tenantry-tests");
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}/two-process-{}.db", dir.display(), uuid::Uuid::new_v4())
        }
    }
}

/// A running `tenantry serve`; killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start(database_url: &str, http: &reqwest::Client) -> Server {
    start_with_clock(database_url, http, None).await
}

/// `clock_file`: the server's "now" comes from that file while it holds a number (Unix ms;
/// debug builds only, see `db::now_ms`).
async fn start_with_clock(database_url: &str, http: &reqwest::Client, clock_file: Option<&std::path::Path>) -> Server {
    let port = free_port();
    let site = std::env::temp_dir().join("tenantry-tests").join("no-site");
    let mut command = Command::new(env!("CARGO_BIN_EXE_tenantry"));
    if let Some(file) = clock_file {
        command.env("TENANTRY_TEST_CLOCK_FILE", file);
    }
    let child = command
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("TENANTRY_ADDR", format!("127.0.0.1:{port}"))
        .env("TENANTRY_BASE_DOMAIN", "localhost")
        .env("LEPTOS_SITE_ROOT", &site)
        .env("RUST_LOG", "warn")
        .env_remove("TENANTRY_TLS")
        .env_remove("SMTP_URL")
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn tenantry serve");
    let server = Server { child, base: format!("http://127.0.0.1:{port}") };
    // Ready when it answers at all (401: not signed in).
    for _ in 0..600 {
        if let Ok(r) = http.get(format!("{}/api/v1/me", server.base)).send().await {
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("tenantry serve on port {port} did not start");
}

#[derive(Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

struct Client {
    http: reqwest::Client,
}

impl Client {
    async fn login(&self, server: &Server, email: &str, password: &str) -> (StatusCode, Option<Session>) {
        let r = self.http.post(format!("{}/api/v1/auth/login", server.base)).json(&json!({"email": email, "password": password})).send().await.unwrap();
        let status = r.status();
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("tenantry_session="))
            .map(|c| c.split(';').next().unwrap().to_string());
        let body: Value = r.json().await.unwrap_or(Value::Null);
        let session = cookie.map(|cookie| Session { cookie, csrf: body["csrf_token"].as_str().unwrap_or_default().to_string() });
        (status, session)
    }

    async fn call(&self, server: &Server, method: reqwest::Method, path: &str, s: &Session, csrf: bool, body: Option<Value>) -> (StatusCode, Value) {
        self.call_in(server, method, path, s, None, csrf, body).await
    }

    /// [`Client::call`] acting in `org` (`X-Org-Id`).
    #[allow(clippy::too_many_arguments)]
    async fn call_in(&self, server: &Server, method: reqwest::Method, path: &str, s: &Session, org: Option<&str>, csrf: bool, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", server.base)).header("cookie", &s.cookie);
        if let Some(org) = org {
            req = req.header("x-org-id", org);
        }
        if csrf {
            req = req.header("x-csrf-token", &s.csrf);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn two_servers_share_sessions_rate_limits_and_the_audit_chain() {
    let url = fresh_database_url().await;
    let db = server::db::Db::connect(&url).await.expect("database");
    server::tools::demo::create_superuser(&db, "root@ops.example", Some("Root"), PASSWORD).await.unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let a = start(&url, &http).await;
    let b = start(&url, &http).await;
    let c = Client { http };
    use reqwest::Method;

    // Signed in on A, the same cookie works on B, and writes with its CSRF token work on both.
    let (status, root) = c.login(&a, "root@ops.example", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let root = root.expect("session cookie");
    let (status, me) = c.call(&b, Method::GET, "/api/v1/me", &root, false, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["email"], "root@ops.example");
    let (status, msp) = c.call(&b, Method::POST, "/api/v1/orgs", &root, true, Some(json!({"name": "Contoso MSP", "kind": "msp", "email_domain": "contoso.example"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{msp}");
    let msp = msp["id"].as_str().unwrap().to_string();
    // Without the CSRF token, B refuses the write just as A would.
    let (status, _) = c.call(&b, Method::POST, "/api/v1/orgs", &root, false, Some(json!({"name": "Sneaky", "kind": "msp", "email_domain": "sneaky.example"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Mutations alternate between the servers.
    let servers = [&a, &b];
    for i in 0..6 {
        let body = json!({"name": format!("Customer {i}"), "kind": "customer", "parent_id": msp, "email_domain": format!("c{i}.example")});
        let (status, body) = c.call(servers[i % 2], Method::POST, "/api/v1/orgs", &root, true, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let add = json!({"email": "alice@contoso.example", "name": "Alice", "role": "admin", "password": PASSWORD});
    let mut req = c.http.post(format!("{}/api/v1/users", a.base)).header("cookie", &root.cookie).header("x-csrf-token", &root.csrf).header("x-org-id", &msp);
    req = req.json(&add);
    assert_eq!(req.send().await.unwrap().status(), StatusCode::CREATED);
    let (_, list) = c.call(&a, Method::GET, "/api/v1/orgs?limit=500", &root, false, None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 8, "ops org, the MSP and six customers, whichever server created them: {list}");

    // Concurrent writers on both servers still make one chain.
    let mut writes = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (http, root, base, msp) = (c.http.clone(), root.clone(), servers[i % 2].base.clone(), msp.clone());
        writes.spawn(async move {
            let body = json!({"name": format!("Busy {i}"), "kind": "customer", "parent_id": msp, "email_domain": format!("busy{i}.example")});
            let r = http.post(format!("{base}/api/v1/orgs")).header("cookie", &root.cookie).header("x-csrf-token", &root.csrf).json(&body).send().await.unwrap();
            r.status()
        });
    }
    for status in writes.join_all().await {
        assert_eq!(status, StatusCode::CREATED);
    }

    // A second session from B; signing the first out on A kills it on B too.
    let (_, alice_b) = c.login(&b, "alice@contoso.example", PASSWORD).await;
    let alice_b = alice_b.expect("session");
    let (_, alice_a) = c.login(&a, "alice@contoso.example", PASSWORD).await;
    let alice_a = alice_a.expect("session");
    assert_eq!(c.call(&a, Method::GET, "/api/v1/me", &alice_b, false, None).await.0, StatusCode::OK);
    assert_eq!(c.call(&a, Method::POST, "/api/v1/auth/logout", &alice_b, true, None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(c.call(&b, Method::GET, "/api/v1/me", &alice_b, false, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(c.call(&a, Method::GET, "/api/v1/me", &alice_b, false, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(c.call(&b, Method::GET, "/api/v1/me", &alice_a, false, None).await.0, StatusCode::OK, "the other session lives on");

    // Failed sign-ins split across A and B count against one limit: five are allowed in the
    // window, then both servers refuse, even the right password.
    for i in 0..5 {
        let (status, _) = c.login(servers[i % 2], "alice@contoso.example", "wrong password!").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    assert_eq!(c.login(&b, "alice@contoso.example", "wrong password!").await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(c.login(&a, "alice@contoso.example", PASSWORD).await.0, StatusCode::TOO_MANY_REQUESTS);

    // The chain the two servers wrote verifies, and holds every mutation.
    drop((a, b));
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(&db.pool).await.unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tenantry")).args(["audit", "verify"]).env("DATABASE_URL", &url).env("RUST_LOG", "warn").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "audit verify failed: {stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("{events} events")), "{stdout}");
    // superuser + its MSP, login, MSP, 6 customers, alice, 8 busy customers, 2 logins, logout.
    assert!(events >= 21, "{events} events");
}

/// Each server keeps a cache of sessions, grants and org paths (`authz_cache`), checked
/// against the database's authorization epoch on every request. Whatever one server changes,
/// the other sees on its very next request — after having served (and cached) the old state.
#[tokio::test]
async fn a_second_server_sees_every_authorization_change_at_once() {
    use reqwest::Method;
    let url = fresh_database_url().await;
    let db = server::db::Db::connect(&url).await.expect("database");
    server::tools::demo::create_superuser(&db, "root@ops.example", Some("Root"), PASSWORD).await.unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let clock = std::env::temp_dir().join("tenantry-tests").join(format!("clock-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(clock.parent().unwrap()).unwrap();
    let a = start(&url, &http).await;
    let b = start_with_clock(&url, &http, Some(&clock)).await;
    let c = Client { http };
    let id = |v: &Value| v["id"].as_str().expect("an id").to_string();

    // Root sets up two MSPs; Contoso gets five customers and its people.
    let root = c.login(&a, "root@ops.example", PASSWORD).await.1.expect("root signs in");
    let new_org = {
        let (c, a, root) = (&c, &a, &root);
        move |body: Value| async move {
            let (status, org) = c.call(a, Method::POST, "/api/v1/orgs", root, true, Some(body)).await;
            assert_eq!(status, StatusCode::CREATED, "{org}");
            id(&org)
        }
    };
    let msp = new_org(json!({"name": "Contoso MSP", "kind": "msp", "email_domain": "contoso.example"})).await;
    let other_msp = new_org(json!({"name": "Fabrikam MSP", "kind": "msp", "email_domain": "fabrikam.example"})).await;
    let mut customers = Vec::new();
    for i in 1..=5 {
        customers.push(new_org(json!({"name": format!("Customer {i}"), "kind": "customer", "parent_id": msp, "email_domain": format!("c{i}.example")})).await);
    }
    let add_user = {
        let (c, a, root) = (&c, &a, &root);
        move |org: String, email: &'static str, role: &'static str| async move {
            let body = json!({"email": email, "name": email, "role": role, "password": PASSWORD});
            let (status, member) = c.call_in(a, Method::POST, "/api/v1/users", root, Some(&org), true, Some(body)).await;
            assert_eq!(status, StatusCode::CREATED, "{member}");
            id(&member["user"])
        }
    };
    add_user(msp.clone(), "alice@contoso.example", "admin").await;
    let tom = add_user(msp.clone(), "tom@contoso.example", "member").await;
    let mo = add_user(msp.clone(), "mo@contoso.example", "member").await;
    let mia = add_user(customers[0].clone(), "mia@c1.example", "admin").await;
    add_user(customers[2].clone(), "cara@c3.example", "admin").await;
    let signed_in = {
        let (c, a) = (&c, &a);
        move |email: &'static str| async move { c.login(a, email, PASSWORD).await.1.expect("signs in") }
    };
    let (alice, tom_s, mo_s, mia_s, cara) = (
        signed_in("alice@contoso.example").await,
        signed_in("tom@contoso.example").await,
        signed_in("mo@contoso.example").await,
        signed_in("mia@c1.example").await,
        signed_in("cara@c3.example").await,
    );
    // What B answers for GET /api/v1/org in `org` (status, role).
    let on_b = {
        let (c, b) = (&c, &b);
        move |s: &Session, org: &str| {
            let (s, org) = (s.clone(), org.to_string());
            async move {
                let (status, body) = c.call_in(b, Method::GET, "/api/v1/org", &s, Some(&org), false, None).await;
                (status, body["role"].as_str().unwrap_or_default().to_string())
            }
        }
    };

    // A revoked session: B served it, A signs it out, B refuses it.
    let (_, extra) = c.login(&a, "alice@contoso.example", PASSWORD).await;
    let extra = extra.expect("session");
    assert_eq!(c.call(&b, Method::GET, "/api/v1/me", &extra, false, None).await.0, StatusCode::OK);
    assert_eq!(c.call(&a, Method::POST, "/api/v1/auth/logout", &extra, true, None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(c.call(&b, Method::GET, "/api/v1/me", &extra, false, None).await.0, StatusCode::UNAUTHORIZED);

    // A changed membership: Mo is demoted on A; B knows his new role.
    assert_eq!(on_b(&mo_s, &msp).await, (StatusCode::OK, "member".into()));
    let (status, body) = c.call_in(&a, Method::PATCH, &format!("/api/v1/users/{mo}"), &alice, Some(&msp), true, Some(json!({"role": "viewer"}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(on_b(&mo_s, &msp).await, (StatusCode::OK, "viewer".into()));

    // A removed membership: Mia is removed from Customer 1 (her home, so her account goes).
    assert_eq!(on_b(&mia_s, &customers[0]).await, (StatusCode::OK, "admin".into()));
    let (status, body) = c.call_in(&a, Method::DELETE, &format!("/api/v1/users/{mia}"), &alice, Some(&customers[0]), true, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(on_b(&mia_s, &customers[0]).await.0, StatusCode::UNAUTHORIZED);

    // A suspended org: Cara's home is suspended on A; B refuses her.
    assert_eq!(on_b(&cara, &customers[2]).await, (StatusCode::OK, "admin".into()));
    let (status, body) = c.call(&a, Method::PATCH, &format!("/api/v1/orgs/{}", customers[2]), &alice, true, Some(json!({"status": "suspended"}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(on_b(&cara, &customers[2]).await.0, StatusCode::UNAUTHORIZED);

    // A changed parent: Customer 4 moves to Fabrikam; Contoso's admin no longer reaches it.
    assert_eq!(on_b(&alice, &customers[3]).await, (StatusCode::OK, "admin".into()));
    let (status, body) = c.call(&a, Method::PUT, &format!("/api/v1/orgs/{}/parent", customers[3]), &root, true, Some(json!({"parent_id": other_msp}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(on_b(&alice, &customers[3]).await.0, StatusCode::NOT_FOUND);

    // A changed technician scope: every customer, then every customer but Customer 5.
    let scope = format!("/api/v1/technicians/{tom}/scope");
    assert_eq!(c.call_in(&a, Method::PUT, &scope, &alice, Some(&msp), true, Some(json!({"all_except": []}))).await.0, StatusCode::OK);
    assert_eq!(on_b(&tom_s, &customers[4]).await, (StatusCode::OK, "admin".into()));
    let (status, body) = c.call_in(&a, Method::PUT, &scope, &alice, Some(&msp), true, Some(json!({"all_except": [customers[4]]}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(on_b(&tom_s, &customers[4]).await.0, StatusCode::NOT_FOUND);
    assert_eq!(c.call_in(&a, Method::DELETE, &scope, &alice, Some(&msp), true, None).await.0, StatusCode::NO_CONTENT);

    // An expired delegation: nothing is written when it expires; B's clock passes its end
    // while B holds Tom's grants, and B refuses him there. A, whose clock hasn't got there,
    // still lets him in: it is the clock that decides, not a write.
    let ends = server::db::now_ms() + 5 * 60 * 1000;
    let body = json!({"user_id": tom, "expires_at": server::db::rfc3339(ends)});
    let (status, body) = c.call_in(&a, Method::POST, &format!("/api/v1/customers/{}/delegations", customers[1]), &alice, Some(&msp), true, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(on_b(&tom_s, &customers[1]).await, (StatusCode::OK, "admin".into()));
    std::fs::write(&clock, (ends + 1000).to_string()).unwrap();
    assert_eq!(on_b(&tom_s, &customers[1]).await.0, StatusCode::NOT_FOUND);
    let (status, _) = c.call_in(&a, Method::GET, "/api/v1/org", &tom_s, Some(&customers[1]), false, None).await;
    assert_eq!(status, StatusCode::OK);
    std::fs::remove_file(&clock).unwrap();
}
