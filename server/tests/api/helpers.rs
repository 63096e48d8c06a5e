use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server::config::Config;
use server::db::Db;
use server::http::state::{AppState, Clock};
use std::net::SocketAddr;
use std::sync::Arc;

pub struct TestApp {
    pub addr: SocketAddr,
    pub db: Db,
    pub http: reqwest::Client,
    /// The server's clock: tests set it instead of waiting.
    pub clock: Clock,
}

/// A signed-in browser: its session cookie and CSRF token (managed by hand so tests can
/// replay or drop them on purpose).
#[derive(Clone, Debug)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
    pub user_id: String,
    pub home_org_id: String,
}

/// How a request authenticates.
#[derive(Clone, Debug)]
pub enum Auth<'a> {
    None,
    Session(&'a Session),
    /// The cookie without the CSRF header.
    SessionNoCsrf(&'a Session),
    Bearer(&'a str),
}

pub const PASSWORD: &str = "correct horse battery";

async fn fresh_database_url() -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if admin_url.starts_with("postgres") => {
            sqlx::any::install_default_drivers();
            let name = format!("t_{}", uuid::Uuid::new_v4().simple());
            let pool = sqlx::AnyPool::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.expect("create test database");
            pool.close().await;
            let (base, _) = admin_url.rsplit_once('/').expect("url has a database");
            format!("{base}/{name}")
        }
        _ => {
            let dir = std::env::temp_dir().join("tenantry-tests");
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}/{}.db", dir.display(), uuid::Uuid::new_v4())
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// [`spawn_app`] with a configuration tweak (e.g. an SMTP server).
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    // `RUST_LOG=warn cargo test …` shows the server's log lines (why a sign-in was refused…).
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).with_test_writer().try_init();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = Config::from_env();
    config.database_url = fresh_database_url().await;
    config.addr = addr;
    config.tls = false;
    config.base_domain = "localhost".into();
    config.smtp_url = None;
    // SSO: a key to seal client secrets with, and the loopback test provider over plain http.
    config.secret_key = Some([0x5a; 32]);
    config.sso_allow_http = true;
    tweak(&mut config);
    let db = Db::connect(&config.database_url).await.expect("database");
    let leptos_options = server::http::web::leptos_options(&config);
    let clock = Clock::system();
    let state = AppState { db: db.clone(), config: Arc::new(config), leptos_options, clock: clock.clone() };
    tokio::spawn(server::serve(listener, state));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { addr, db, http, clock }
}

pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
    pub text: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    /// Reads a whole answer: status, headers, text, and the text as JSON (`Null` if it isn't).
    pub async fn read(resp: reqwest::Response) -> Resp {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, body, text, headers }
    }
}

impl Resp {
    pub fn id(&self) -> String {
        self.body["id"].as_str().unwrap_or_else(|| panic!("no id in {}", self.text)).to_string()
    }
}

impl TestApp {
    /// After a test writes sessions, grants or orgs straight into the database (standing in
    /// for time passing or another tool): real changes bump the authorization epoch in their
    /// own transaction (`audit::begin`), so the servers' caches see them; a direct write must
    /// say so too.
    pub async fn authz_changed(&self) {
        sqlx::query("UPDATE audit_head SET authz_epoch = authz_epoch + 1 WHERE id = 1").execute(&self.db.pool).await.unwrap();
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn request(&self, method: Method, path: &str, auth: Auth<'_>, org: Option<&str>, body: Option<Value>) -> Resp {
        let mut req = self.http.request(method, self.url(path));
        match auth {
            Auth::None => {}
            Auth::Session(s) => req = req.header("cookie", &s.cookie).header("x-csrf-token", &s.csrf),
            Auth::SessionNoCsrf(s) => req = req.header("cookie", &s.cookie),
            Auth::Bearer(t) => req = req.bearer_auth(t),
        }
        if let Some(org) = org {
            req = req.header("x-org-id", org);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        Resp::read(req.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str, auth: Auth<'_>, org: Option<&str>) -> Resp {
        self.request(Method::GET, path, auth, org, None).await
    }

    pub async fn post(&self, path: &str, auth: Auth<'_>, org: Option<&str>, body: Value) -> Resp {
        self.request(Method::POST, path, auth, org, Some(body)).await
    }

    pub async fn put(&self, path: &str, auth: Auth<'_>, org: Option<&str>, body: Value) -> Resp {
        self.request(Method::PUT, path, auth, org, Some(body)).await
    }

    pub async fn patch(&self, path: &str, auth: Auth<'_>, org: Option<&str>, body: Value) -> Resp {
        self.request(Method::PATCH, path, auth, org, Some(body)).await
    }

    pub async fn delete(&self, path: &str, auth: Auth<'_>, org: Option<&str>) -> Resp {
        self.request(Method::DELETE, path, auth, org, None).await
    }

    /// How many audit events have this action.
    pub async fn audit_actions(&self, action: &str) -> i64 {
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE action = $1").bind(action).fetch_one(&self.db.pool).await.unwrap()
    }

    pub async fn login_raw(&self, email: &str, password: &str, cookie: Option<&str>) -> (Resp, Option<Session>) {
        self.post_for_session("/api/v1/auth/login", json!({"email": email, "password": password}), cookie).await
    }

    /// POSTs to an endpoint that signs in (login, accepting an invitation): the response and
    /// the session it set, if any.
    pub async fn post_for_session(&self, path: &str, body: Value, cookie: Option<&str>) -> (Resp, Option<Session>) {
        let mut req = self.http.post(self.url(path)).json(&body);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let cookie = headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("tenantry_session="))
            .map(|c| c.split(';').next().unwrap().to_string());
        let text = resp.text().await.unwrap();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let session = cookie.map(|cookie| Session {
            cookie,
            csrf: body["csrf_token"].as_str().unwrap_or_default().to_string(),
            user_id: body["user"]["id"].as_str().unwrap_or_default().to_string(),
            home_org_id: body["home_org"]["id"].as_str().unwrap_or_default().to_string(),
        });
        (Resp { status, body, text, headers }, session)
    }

    pub async fn login(&self, email: &str, password: &str) -> Session {
        let (resp, session) = self.login_raw(email, password, None).await;
        assert_eq!(resp.status, StatusCode::OK, "login {email}: {}", resp.text);
        session.expect("session cookie")
    }

    /// A superuser (home: an MSP org for their domain), signed in.
    pub async fn superuser(&self) -> Session {
        server::tools::demo::create_superuser(&self.db, "root@ops.example", Some("Root"), PASSWORD).await.unwrap();
        self.login("root@ops.example", PASSWORD).await
    }

    pub async fn audit_count(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(&self.db.pool).await.unwrap()
    }
}

/// A small world: two MSPs, customers, a child, and people in each role.
pub struct World {
    pub root: Session,
    pub msp: String,
    pub other_msp: String,
    pub acme: String,
    pub acme_child: String,
    pub globex: String,
    pub foreign: String,
}

impl TestApp {
    pub async fn create_org(&self, s: &Session, kind: &str, name: &str, parent: Option<&str>, domain: Option<&str>) -> String {
        let r = self.post("/api/v1/orgs", Auth::Session(s), None, json!({"name": name, "kind": kind, "parent_id": parent, "email_domain": domain})).await;
        assert_eq!(r.status, StatusCode::CREATED, "create {name}: {}", r.text);
        r.id()
    }

    /// Adds a user with a password to `org` with `role`; returns the user id.
    pub async fn add_user(&self, s: &Session, org: &str, email: &str, role: &str) -> String {
        let r = self.post("/api/v1/users", Auth::Session(s), Some(org), json!({"email": email, "name": email, "role": role, "password": PASSWORD})).await;
        assert_eq!(r.status, StatusCode::CREATED, "add {email}: {}", r.text);
        r.body["user"]["id"].as_str().unwrap().to_string()
    }

    pub async fn world(&self) -> World {
        let root = self.superuser().await;
        let msp = self.create_org(&root, "msp", "Contoso MSP", None, Some("contoso.example")).await;
        let other_msp = self.create_org(&root, "msp", "Umbrella MSP", None, Some("umbrella.example")).await;
        let acme = self.create_org(&root, "customer", "Acme", Some(&msp), Some("acme.example")).await;
        let acme_child = self.create_org(&root, "child", "Acme Berlin", Some(&acme), None).await;
        let globex = self.create_org(&root, "customer", "Globex", Some(&msp), Some("globex.example")).await;
        let foreign = self.create_org(&root, "customer", "Initech", Some(&other_msp), Some("initech.example")).await;
        World { root, msp, other_msp, acme, acme_child, globex, foreign }
    }
}

/// The `Set-Cookie` value (`name=value`) named `name` in a response, if any.
pub fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")) && !c.starts_with(&format!("{name}=;")))
        .map(|c| c.split(';').next().unwrap().to_string())
}

impl TestApp {
    /// Follows a handoff URL path (`/auth/handoff?code=…`) as the browser of `session` does:
    /// the tenant host sets its binding nonce and sends the browser to the origin host, which
    /// binds the code to it (with the session that asked) and sends it back. Returns the
    /// tenant host's last answer (a session cookie when it worked).
    pub async fn complete_handoff(&self, path: &str, tenant_host: &str, session: &Session) -> reqwest::Response {
        let host = format!("{tenant_host}:{}", self.addr.port());
        let first = self.http.get(self.url(path)).header("host", &host).send().await.unwrap();
        let (Some(nonce), Some(location)) = (set_cookie(&first, "tenantry_handoff"), first.headers().get("location").map(|l| l.to_str().unwrap().to_string())) else {
            return first;
        };
        let confirm = &location[location.find("/auth/handoff/confirm").expect("to the origin's confirm step")..];
        let back = self.http.get(self.url(confirm)).header("cookie", &session.cookie).send().await.unwrap();
        let back = back.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
        let Some(i) = back.find("/auth/handoff?code=") else { return first };
        self.http.get(self.url(&back[i..])).header("host", &host).header("cookie", &nonce).send().await.unwrap()
    }
}
