//! `DATABASE_READ_URL`: the overview's figures come from the read database, while who may
//! see what (session, grants) always comes from the primary. SQLite only: a copy of the
//! database file stands in for a replica that has fallen behind.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;
use server::db::Db;
use server::http::state::{AppState, Clock};
use std::sync::Arc;

#[tokio::test]
async fn overview_reads_the_replica_and_authorizes_on_the_primary() {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        return; // the stale copy is a file copy; the routing is the same on both engines
    }
    let mut url = String::new();
    let app = spawn_app_with(|c| url = c.database_url.clone()).await;
    let w = app.world().await;
    let add = |name: &'static str| app.post("/api/v1/assets", Auth::Session(&w.root), Some(&w.acme), json!({"kind": "computer", "name": name}));
    assert_eq!(add("PC-1").await.status, StatusCode::CREATED);
    // The "replica": a copy of the database as it is now.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&app.db.pool).await.unwrap();
    let file = url.trim_start_matches("sqlite://").split('?').next().unwrap().to_string();
    let copy = format!("{file}.replica.db");
    std::fs::copy(&file, &copy).unwrap();
    // A second server whose reader is the copy.
    let db = Db::connect(&url).await.unwrap().with_reader(&format!("sqlite://{copy}")).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = server::config::Config::from_env();
    config.database_url = url.clone();
    config.addr = addr;
    config.tls = false;
    config.base_domain = "localhost".into();
    let leptos_options = server::http::web::leptos_options(&config);
    tokio::spawn(server::serve(listener, AppState { db, config: Arc::new(config), leptos_options, clock: Clock::system() }));
    let replica_app = TestApp { addr, db: app.db.clone(), http: app.http.clone(), clock: Clock::system() };

    // Written after the copy: on the primary only.
    assert_eq!(add("PC-2").await.status, StatusCode::CREATED);
    app.add_user(&w.root, &w.msp, "late@contoso.example", "admin").await;
    let late = replica_app.login("late@contoso.example", PASSWORD).await;

    let acme_assets = |o: &Resp| o.body["items"].as_array().unwrap().iter().find(|r| r["id"] == w.acme.as_str()).map(|r| r["assets"].as_i64().unwrap());
    let fresh = app.get("/api/v1/overview", Auth::Session(&w.root), Some(&w.msp)).await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.text);
    assert_eq!(acme_assets(&fresh), Some(2));
    // A user who exists only on the primary is signed in and authorized there; the figures
    // they see come from the replica, one asset behind.
    let stale = replica_app.get("/api/v1/overview", Auth::Session(&late), Some(&w.msp)).await;
    assert_eq!(stale.status, StatusCode::OK, "{}", stale.text);
    assert_eq!(acme_assets(&stale), Some(1));
    // Everything else reads the primary.
    let list = replica_app.get("/api/v1/assets", Auth::Session(&late), Some(&w.acme)).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2, "{}", list.text);
}
