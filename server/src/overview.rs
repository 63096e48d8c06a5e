//! The MSP dashboard overview: one row per managed customer (its child tenants rolled up),
//! computed by SQL aggregates in a handful of queries — never a per-customer loop.
use crate::context::OrgCtx;
use crate::db::rfc3339;
use crate::error::{ApiError, Result};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use shared::api::{Overview, OverviewQuery, OverviewRow, OverviewTotals};
use shared::{OrgKind, OrgStatus, Role};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/overview", get(overview))
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    name: String,
    slug: String,
    status: String,
    users: i64,
    assets: i64,
    online: i64,
    open_alerts: i64,
    last_activity: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Totals {
    customers: i64,
    assets: i64,
    online: i64,
    open_alerts: i64,
    suspended: i64,
}

type RowQuery<'q, T> = sqlx::query::QueryAs<'q, sqlx::Any, T, sqlx::any::AnyArguments<'q>>;

/// Binds `$1` (the MSP), `$2` (the search pattern) and then the visible customer ids, if limited.
fn with_binds<'q, T>(q: RowQuery<'q, T>, msp: &str, needle: &str, visible: Option<&[String]>) -> RowQuery<'q, T> {
    let mut q = q.bind(msp.to_string()).bind(needle.to_string());
    for id in visible.unwrap_or_default() {
        q = q.bind(id.clone());
    }
    q
}

/// Customers of the current MSP (those the caller may open) with their figures.
#[utoipa::path(get, path = "/api/v1/overview", tag = "customers", params(OverviewQuery, ("X-Org-Id" = Option<String>, Header, description = "an MSP")),
    responses((status = 200, body = Overview), (status = 400), (status = 404), (status = 422)))]
pub async fn overview(State(state): State<AppState>, ctx: OrgCtx, Query(q): Query<OverviewQuery>) -> Result<Json<Overview>> {
    if ctx.org.kind() != OrgKind::Msp {
        return Err(ApiError::BadRequest("the overview is for MSP orgs".into()));
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::field("limit", "must be between 1 and 500"));
    }
    let offset: i64 = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => c.parse().map_err(|_| ApiError::field("cursor", "is not a cursor from this list"))?,
        None => 0,
    };
    let order = match q.sort.as_deref().unwrap_or("name") {
        "name" => "lower(c.name)",
        "users" => "users DESC",
        "assets" => "assets DESC",
        "offline" => "(assets - online) DESC",
        "alerts" => "open_alerts DESC",
        "activity" => "last_activity DESC",
        _ => return Err(ApiError::field("sort", "must be one of name, users, assets, offline, alerts, activity")),
    };
    // Which customers the caller may open: an MSP admin all of them; anyone else exactly
    // those the access function grants (delegations, or memberships of their own).
    let visible_ids: Option<Vec<String>> = if ctx.role == Role::Admin {
        None
    } else {
        let msp = crate::db::parse_uuid(&ctx.org.id);
        Some(
            crate::orgs::accessible_orgs(&state, &ctx.caller, None)
                .await?
                .into_iter()
                .filter(|o| o.kind == OrgKind::Customer && o.parent_id == Some(msp))
                .map(|o| o.id.to_string())
                .collect(),
        )
    };
    let needle = q.q.as_deref().map(|s| format!("%{}%", s.trim().to_lowercase())).unwrap_or_else(|| "%".into());
    let status_filter = match q.status.as_deref() {
        None | Some("") => "",
        Some("active") => " AND c.status = 'active'",
        Some("suspended") => " AND c.status = 'suspended'",
        Some(_) => return Err(ApiError::field("status", "must be active or suspended")),
    };
    let visible = match &visible_ids {
        None => String::new(),
        Some(ids) if ids.is_empty() => " AND 1 = 0".to_string(),
        Some(ids) => {
            let placeholders: Vec<String> = (3..3 + ids.len()).map(|i| format!("${i}")).collect();
            format!(" AND c.id IN ({})", placeholders.join(", "))
        }
    };
    let base = format!(
        "WITH RECURSIVE tree (id, customer_id) AS ( \
           SELECT id, id FROM orgs WHERE parent_id = $1 AND kind = 'customer' \
           UNION ALL SELECT o.id, t.customer_id FROM orgs o JOIN tree t ON o.parent_id = t.id \
         ), \
         u AS (SELECT t.customer_id, COUNT(*) AS n FROM users x JOIN tree t ON x.home_org_id = t.id GROUP BY t.customer_id), \
         a AS (SELECT t.customer_id, COUNT(*) AS n, CAST(SUM(x.online) AS BIGINT) AS online, CAST(SUM(x.open_alerts) AS BIGINT) AS alerts \
               FROM assets x JOIN tree t ON x.org_id = t.id GROUP BY t.customer_id), \
         e AS (SELECT t.customer_id, MAX(x.at) AS at FROM audit_events x JOIN tree t ON x.org_id = t.id GROUP BY t.customer_id), \
         rows AS ( \
           SELECT c.id, c.name, c.slug, c.status, COALESCE(u.n, 0) AS users, COALESCE(a.n, 0) AS assets, \
                  COALESCE(a.online, 0) AS online, COALESCE(a.alerts, 0) AS open_alerts, e.at AS last_activity \
           FROM orgs c LEFT JOIN u ON u.customer_id = c.id LEFT JOIN a ON a.customer_id = c.id LEFT JOIN e ON e.customer_id = c.id \
           WHERE c.parent_id = $1 AND c.kind = 'customer' AND (lower(c.name) LIKE $2 OR c.slug LIKE $2){status_filter}{visible} \
         )"
    );
    let visible = visible_ids.as_deref();
    let rows_sql = format!("{base} SELECT * FROM rows c ORDER BY {order}, lower(c.name), c.id LIMIT {} OFFSET {offset}", limit + 1);
    let rows: Vec<Row> = with_binds(sqlx::query_as(&rows_sql), &ctx.org.id, &needle, visible).fetch_all(&state.db.pool).await?;
    let totals_sql = format!(
        "{base} SELECT CAST(COUNT(*) AS BIGINT) AS customers, CAST(COALESCE(SUM(assets), 0) AS BIGINT) AS assets, \
           CAST(COALESCE(SUM(online), 0) AS BIGINT) AS online, CAST(COALESCE(SUM(open_alerts), 0) AS BIGINT) AS open_alerts, \
           CAST(COALESCE(SUM(CASE WHEN status = 'suspended' THEN 1 ELSE 0 END), 0) AS BIGINT) AS suspended FROM rows"
    );
    let t: Totals = with_binds(sqlx::query_as(&totals_sql), &ctx.org.id, &needle, visible).fetch_one(&state.db.pool).await?;
    let more = rows.len() as i64 > i64::from(limit);
    let items: Vec<OverviewRow> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| OverviewRow {
            id: crate::db::parse_uuid(&r.id),
            url: state.config.tenant_url(&r.slug),
            name: r.name,
            slug: r.slug,
            status: r.status.parse().unwrap_or(OrgStatus::Active),
            users: r.users,
            assets: r.assets,
            online: r.online,
            offline: r.assets - r.online,
            open_alerts: r.open_alerts,
            last_activity: r.last_activity.map(rfc3339),
        })
        .collect();
    let totals = OverviewTotals { customers: t.customers, assets: t.assets, online: t.online, offline: t.assets - t.online, open_alerts: t.open_alerts, suspended: t.suspended };
    Ok(Json(Overview { totals, items, next_cursor: more.then(|| (offset + i64::from(limit)).to_string()) }))
}
