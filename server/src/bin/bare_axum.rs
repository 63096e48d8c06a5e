//! The two yardsticks of `bench/run`, on the same tokio runtime as the server:
//!
//! - `GET /hello`: a small JSON body, no database, no auth, no middleware — the stack's ceiling.
//! - `GET /assets?org_id=ID` (when a database URL is given): the first 50 assets of an org,
//!   the same query and JSON as `GET /api/v1/assets?limit=50`, through the same pool
//!   (`Db::connect`: driver, pool size, pragmas) — but with no session, no grants, no org
//!   path. What an authorized list costs beyond this is the price of authorization.
//!
//! `bare_axum [ADDR] [DATABASE_URL]` (default 127.0.0.1:3900, no database).
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::{Json, Router, routing::get};
use server::assets::{ASSET_COLUMNS, ASSET_FROM, AssetRow};
use server::db::Db;
use server::db::sql::Sql;
use shared::api::{Asset, Page};

#[derive(serde::Deserialize)]
struct OrgQuery {
    org_id: String,
}

/// `list_assets` with its filters left out: the same SQL text, rows and JSON.
async fn assets(State(db): State<Db>, Query(q): Query<OrgQuery>) -> Result<Json<Page<Asset>>, StatusCode> {
    let limit = 50;
    let mut sql = Sql::new(format!("SELECT {ASSET_COLUMNS} FROM {ASSET_FROM}"));
    sql.push(" WHERE a.org_id = ").bind(q.org_id.as_str()).push(" AND 1 = 1");
    sql.push(&format!(" ORDER BY lower(a.name), a.id LIMIT {} OFFSET 0", limit + 1));
    let rows = sql.query_as::<AssetRow>().fetch_all(&db.pool).await.map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let more = rows.len() > limit;
    let items = rows.iter().take(limit).map(AssetRow::to_api).collect();
    Ok(Json(Page { items, next_cursor: more.then(|| limit.to_string()) }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:3900".into());
    let mut app = Router::new().route("/hello", get(|| async { Json(serde_json::json!({"message": "hello", "ok": true})) }));
    if let Some(url) = args.next() {
        let db = Db::connect(&url).await?;
        app = app.merge(Router::new().route("/assets", get(assets)).with_state(db));
    }
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("bare axum on http://{addr}/hello");
    axum::serve(listener, app).await?;
    Ok(())
}
