//! Losing the database primary: etcd + 3 Patroni nodes + HAProxy on loopback (`ha/cluster`),
//! two `tenantry serve` processes on HAProxy, writers creating assets through both servers
//! with idempotency keys and retries, and the leader killed (Patroni and postmaster together,
//! `kill -9`) three times.
//!
//! Runs only with `TENANTRY_HA_TEST=1` (`./dev test` sets it): it needs root or sudo for
//! `apt-get install patroni etcd-server haproxy` the first time, and about a minute.
//! `TENANTRY_HA_BIN` may name the `tenantry` binary to run (default: this package's).
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery";
const KILLS: usize = 3;
const WRITERS: usize = 4;

struct Cluster {
    dir: PathBuf,
    script: PathBuf,
}

impl Cluster {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new(&self.script).args(args).output().expect("run ha/cluster");
        assert!(out.status.success(), "ha/cluster {args:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
    fn leader(&self) -> Option<String> {
        let out = Command::new(&self.script).arg("leader").output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(&self.script).arg("stop").arg(&self.dir).status();
    }
}

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

fn bin() -> String {
    std::env::var("TENANTRY_HA_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_tenantry").to_string())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start_server(database_url: &str, read_url: Option<&str>, http: &reqwest::Client, log: &Path) -> Server {
    let port = free_port();
    let site = std::env::temp_dir().join("tenantry-tests").join("no-site");
    let mut command = Command::new(bin());
    if let Some(read_url) = read_url {
        command.env("DATABASE_READ_URL", read_url);
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
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("spawn tenantry serve");
    let server = Server { child, base: format!("http://127.0.0.1:{port}") };
    for _ in 0..600 {
        if let Ok(r) = http.get(format!("{}/readyz", server.base)).send().await {
            if r.status() == StatusCode::OK {
                return server;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("tenantry serve on port {port} did not become ready");
}

/// What one keyed create finally got.
#[derive(Debug, Clone)]
enum Outcome {
    /// 201 (first answer or a replay): the asset's id.
    Created { id: String, replayed: bool },
    /// 409 `Idempotency-Status: completed`: done, its answer lost in a failover.
    DoneAnswerLost,
}

#[derive(Default)]
struct Log {
    outcomes: BTreeMap<String, Outcome>,
    /// (when, name) of each acknowledged write, for the failover times.
    acked_at: Vec<Instant>,
    attempts: usize,
    retried_requests: usize,
    status_counts: BTreeMap<String, usize>,
}

struct Writer {
    servers: Vec<String>,
    cookie: String,
    csrf: String,
    org: String,
    http: reqwest::Client,
}

impl Writer {
    /// Creates asset `name` under key `key`, retrying (alternating servers) until it has an
    /// answer that settles it. Panics on an answer that should never happen.
    async fn create(&self, n: usize, name: &str, key: &str, log: &Mutex<Log>) -> Outcome {
        let started = Instant::now();
        let mut attempt = 0usize;
        let mut delay = Duration::from_millis(100);
        loop {
            let server = &self.servers[(n + attempt) % self.servers.len()];
            attempt += 1;
            let sent = self
                .http
                .post(format!("{server}/api/v1/assets"))
                .header("cookie", &self.cookie)
                .header("x-csrf-token", &self.csrf)
                .header("x-org-id", &self.org)
                .header("idempotency-key", key)
                .json(&json!({"kind": "computer", "name": name}))
                .timeout(Duration::from_secs(10))
                .send()
                .await;
            let label;
            let settled = match sent {
                Err(e) => {
                    label = if e.is_timeout() { "timeout".to_string() } else { "connection error".to_string() };
                    None
                }
                Ok(r) => {
                    let status = r.status();
                    let replayed = r.headers().get("idempotent-replayed").is_some();
                    let idem = r.headers().get("idempotency-status").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                    let body: Value = r.json().await.unwrap_or(Value::Null);
                    label = if replayed { format!("{} replayed", status.as_u16()) } else if idem.is_empty() { status.as_u16().to_string() } else { format!("{} {idem}", status.as_u16()) };
                    match status {
                        StatusCode::CREATED => Some(Outcome::Created { id: body["id"].as_str().expect("id").to_string(), replayed }),
                        StatusCode::SERVICE_UNAVAILABLE | StatusCode::BAD_GATEWAY => None,
                        StatusCode::CONFLICT if idem == "completed" => Some(Outcome::DoneAnswerLost),
                        StatusCode::CONFLICT if idem == "in-flight" => None,
                        other => panic!("{name}: unexpected {other}: {body}"),
                    }
                }
            };
            {
                let mut l = log.lock().unwrap();
                l.attempts += 1;
                *l.status_counts.entry(label).or_default() += 1;
                if let Some(outcome) = &settled {
                    if attempt > 1 {
                        l.retried_requests += 1;
                    }
                    l.acked_at.push(Instant::now());
                    l.outcomes.insert(name.to_string(), outcome.clone());
                }
            }
            if let Some(outcome) = settled {
                return outcome;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "{name}: no answer within 60 s");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }
}

async fn streaming_replica(database_url: &str, node: &str) -> bool {
    let Ok(pool) = sqlx::AnyPool::connect(database_url).await else { return false };
    let n: Result<i64, _> = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'")
        .bind(node)
        .fetch_one(&pool)
        .await;
    pool.close().await;
    n.is_ok_and(|n| n == 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_survive_killing_the_primary_three_times() {
    if std::env::var("TENANTRY_HA_TEST").is_err() {
        eprintln!("skipped: set TENANTRY_HA_TEST=1 to run the Patroni failover test");
        return;
    }
    sqlx::any::install_default_drivers();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let dir = std::env::temp_dir().join(format!("tenantry-ha-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cluster = Cluster { dir: dir.clone(), script: root.join("ha/cluster") };
    let t0 = Instant::now();
    let database_url = cluster.run(&["start", dir.to_str().unwrap()]);
    eprintln!("cluster ready in {:.1}s: {database_url}", t0.elapsed().as_secs_f64());

    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    // Server B reads the overview from the replicas (HAProxy's second listener).
    let replica_url = database_url.replace(":25600/", ":25630/");
    let a = start_server(&database_url, None, &http, &dir.join("serve-a.log")).await;
    let b = start_server(&database_url, Some(&replica_url), &http, &dir.join("serve-b.log")).await;

    let mut create = Command::new(bin())
        .args(["create-superuser", "--email", "root@ha.example", "--password-stdin"])
        .env("DATABASE_URL", &database_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    create.stdin.take().unwrap().write_all(PASSWORD.as_bytes()).unwrap();
    assert!(create.wait().unwrap().success());

    // A browser session made before the kills.
    let resp = http.post(format!("{}/api/v1/auth/login", a.base)).json(&json!({"email": "root@ha.example", "password": PASSWORD})).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("tenantry_session="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .expect("session cookie");
    let me: Value = resp.json().await.unwrap();
    let csrf = me["csrf_token"].as_str().unwrap().to_string();
    let org = me["home_org"]["id"].as_str().unwrap().to_string();

    let writer = Arc::new(Writer { servers: vec![a.base.clone(), b.base.clone()], cookie: cookie.clone(), csrf, org: org.clone(), http: http.clone() });
    let log = Arc::new(Mutex::new(Log::default()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let (writer, log, stop) = (writer.clone(), log.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let name = format!("ha-{w}-{i}");
                let key = uuid::Uuid::new_v4().to_string();
                writer.create(w + i, &name, &key, &log).await;
                i += 1;
            }
        }));
    }

    let mut failovers = Vec::new();
    let mut rejoins = Vec::new();
    let mut outages = Vec::new();
    for round in 1..=KILLS {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let before = log.lock().unwrap().acked_at.len();
        assert!(before > 0, "writes go through before kill {round}");
        let leader = cluster.leader().expect("a leader");
        let killed_at = Instant::now();
        cluster.run(&["kill", dir.to_str().unwrap(), &leader]);
        // And a write that *starts* after the kill succeeds within 20 s too.
        let probe_start = Instant::now();
        let probe = writer.create(round, &format!("probe-{round}"), &uuid::Uuid::new_v4().to_string(), &log).await;
        assert!(matches!(probe, Outcome::Created { .. }), "probe after kill {round}: {probe:?}");
        let new_primary_write = killed_at.elapsed();
        assert!(new_primary_write < Duration::from_secs(20), "kill {round}: a fresh write took {new_primary_write:?} after the kill");
        let new_leader = cluster.leader().unwrap_or_default();
        // The write outage: the longest gap between two acknowledgements around the kill.
        let outage = {
            let l = log.lock().unwrap();
            let mut acks: Vec<Instant> = l.acked_at.iter().copied().filter(|t| *t + Duration::from_secs(2) > killed_at).collect();
            acks.sort();
            acks.windows(2).map(|w| w[1] - w[0]).max().unwrap_or_default()
        };
        eprintln!(
            "kill {round}: {leader} killed; a write started {:.1}s after the kill was done {:.1}s after it; longest gap between acknowledged writes {:.1}s; new leader {new_leader}",
            (probe_start - killed_at).as_secs_f64(),
            new_primary_write.as_secs_f64(),
            outage.as_secs_f64()
        );
        outages.push(outage.as_secs_f64());
        failovers.push(new_primary_write.as_secs_f64());
        // The killed node comes back as a replica (pg_rewind) within 15 s of its restart.
        let restarted_at = Instant::now();
        cluster.run(&["restart", dir.to_str().unwrap(), &leader]);
        loop {
            if streaming_replica(&database_url, &leader).await {
                break;
            }
            assert!(restarted_at.elapsed() < Duration::from_secs(15), "{leader} is not a streaming replica 15 s after its restart");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        eprintln!("kill {round}: {leader} streaming again as a replica {:.1}s after its restart", restarted_at.elapsed().as_secs_f64());
        rejoins.push(restarted_at.elapsed().as_secs_f64());
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for t in tasks {
        t.await.unwrap();
    }

    // Every acknowledged asset exists, exactly once; nothing was created twice by a retry.
    let pool = sqlx::AnyPool::connect(&database_url).await.unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, name FROM assets WHERE org_id = $1").bind(&org).fetch_all(&pool).await.unwrap();
    let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
    for (id, name) in rows {
        by_name.entry(name).or_default().push(id);
    }
    let dupes: Vec<_> = by_name.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(dupes.is_empty(), "created twice: {dupes:?}");
    let l = log.lock().unwrap();
    let (mut created, mut replayed, mut lost) = (0, 0, 0);
    for (name, outcome) in &l.outcomes {
        let ids = by_name.get(name).unwrap_or_else(|| panic!("acknowledged {name} ({outcome:?}) is missing"));
        match outcome {
            Outcome::Created { id, replayed: r } => {
                assert_eq!(&ids[0], id, "{name}");
                created += 1;
                if *r {
                    replayed += 1;
                }
            }
            Outcome::DoneAnswerLost => lost += 1,
        }
    }
    // Every asset in the database was asked for (nothing appears from nowhere either).
    assert_eq!(by_name.len(), l.outcomes.len(), "assets without an acknowledged request");

    // The session made before the kills still works, through either server.
    for server in [&a.base, &b.base] {
        let r = http.get(format!("{server}/api/v1/me")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "session after the kills via {server}");
    }
    // The overview through server B reads a replica: that pool recovers from the kills too.
    let replica_read = Instant::now();
    loop {
        let r = http.get(format!("{}/api/v1/overview", b.base)).header("cookie", &cookie).header("x-org-id", &org).send().await.unwrap();
        if r.status() == StatusCode::OK {
            break;
        }
        assert!(replica_read.elapsed() < Duration::from_secs(10), "overview via the replica: {} {}", r.status(), r.text().await.unwrap_or_default());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let verify = Command::new(bin()).args(["audit", "verify"]).env("DATABASE_URL", &database_url).output().unwrap();
    assert!(verify.status.success(), "audit verify: {}{}", String::from_utf8_lossy(&verify.stdout), String::from_utf8_lossy(&verify.stderr));
    eprintln!("{}", String::from_utf8_lossy(&verify.stdout).trim());
    eprintln!(
        "HA summary: {} writes settled ({created} 201 of which {replayed} replays, {lost} done-answer-lost), {} attempts, {} requests needed retries; answers {:?}; failover (kill -> fresh write done) {:?} s; longest write gap {:?} s; rejoin {:?} s; total {:.0}s",
        l.outcomes.len(),
        l.attempts,
        l.retried_requests,
        l.status_counts,
        failovers.iter().map(|f| (f * 10.0).round() / 10.0).collect::<Vec<_>>(),
        outages.iter().map(|f| (f * 10.0).round() / 10.0).collect::<Vec<_>>(),
        rejoins.iter().map(|f| (f * 10.0).round() / 10.0).collect::<Vec<_>>(),
        t0.elapsed().as_secs_f64()
    );
    drop((a, b));
    drop(cluster);
    // Logs stay behind only when the test fails.
    let _ = std::fs::remove_dir_all(&dir);
}
