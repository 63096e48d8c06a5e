//! The stack's ceiling for `bench/run`: axum on the same tokio runtime, answering a small JSON
//! body with no database, no auth and no middleware. `bare_axum [ADDR]` (default 127.0.0.1:3900).
use axum::{Json, Router, routing::get};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:3900".into());
    let app = Router::new().route("/hello", get(|| async { Json(serde_json::json!({"message": "hello", "ok": true})) }));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("bare axum on http://{addr}/hello");
    axum::serve(listener, app).await
}
