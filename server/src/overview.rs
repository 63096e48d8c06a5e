//! The MSP dashboard overview: one row per managed customer (its child tenants rolled up),
//! computed by SQL over the per-org counters in a handful of queries — never a per-customer
//! loop, never a scan of the assets table.
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
///
/// Figures come from the per-org counters ([`crate::counters`]) summed over each customer's
/// subtree, so no request scans the assets table. Sorted by name, the page is chosen first
/// (an index walk) and only its customers are rolled up; sorted by a figure, every matching
/// customer is rolled up and the database sorts. Totals cover every matching customer.
#[utoipa::path(get, path = "/api/v1/overview", tag = "customers", params(OverviewQuery, ("X-Org-Id" = Option<String>, Header, description = "an MSP")),
    responses((status = 200, body = Overview), (status = 400), (status = 404), (status = 422)))]
// Figures may come from a replica (`DATABASE_READ_URL`): which customers the caller sees was
// decided by `ctx`, from the primary; only the counts may lag.
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
    let sort = q.sort.as_deref().unwrap_or("name");
    let order = match sort {
        "name" => "lower(c.name)",
        "users" => "users DESC",
        "assets" => "assets DESC",
        "offline" => "(assets - online) DESC",
        "alerts" => "open_alerts DESC",
        "activity" => "last_activity DESC",
        _ => return Err(ApiError::field("sort", "must be one of name, users, assets, offline, alerts, activity")),
    };
    let status_filter = match q.status.as_deref() {
        None | Some("") => "",
        Some("active") => " AND c.status = 'active'",
        Some("suspended") => " AND c.status = 'suspended'",
        Some(_) => return Err(ApiError::field("status", "must be active or suspended")),
    };
    // Which customers the caller may open: an MSP admin all of them; anyone else exactly
    // those the access function grants (delegations, or memberships of their own).
    let visible_ids: Option<Vec<String>> = if ctx.role == Role::Admin {
        None
    } else {
        let filter = crate::orgs::OrgFilter { q: None, customers_of: Some(&ctx.org.id) };
        let (orgs, _) = crate::orgs::accessible_orgs(&state, &ctx.caller, &filter, None).await?;
        Some(orgs.into_iter().map(|o| o.id.to_string()).collect())
    };
    let needle = crate::orgs::like_pattern(&q.q.as_deref().unwrap_or("").trim().to_lowercase());
    let visible = match &visible_ids {
        None => String::new(),
        Some(ids) if ids.is_empty() => " AND 1 = 0".to_string(),
        Some(ids) => {
            let placeholders: Vec<String> = (3..3 + ids.len()).map(|i| format!("${i}")).collect();
            format!(" AND c.id IN ({})", placeholders.join(", "))
        }
    };
    // The matching customers; binds `$1` (the MSP), `$2` (the search pattern), then the visible ids.
    let matching = format!(
        "c.parent_id = $1 AND c.kind = 'customer' AND (lower(c.name) LIKE $2 ESCAPE '\\' OR c.slug LIKE $2 ESCAPE '\\'){status_filter}{visible}"
    );
    let visible = visible_ids.as_deref();
    let page_end = format!("LIMIT {} OFFSET {offset}", limit + 1);
    let rows: Vec<Row> = if sort == "name" {
        let ids: Vec<(String,)> = with_binds(
            sqlx::query_as(&format!("SELECT c.id FROM orgs c WHERE {matching} ORDER BY lower(c.name), c.slug {page_end}")),
            &ctx.org.id,
            &needle,
            visible,
        )
        .fetch_all(state.db.reader())
        .await?;
        if ids.is_empty() {
            Vec::new()
        } else {
            let list: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
            let sql = format!("{} ORDER BY lower(c.name), c.slug", rolled_up(&format!("c.id IN ({})", list.join(", "))));
            let mut query = sqlx::query_as::<_, Row>(&sql);
            for (id,) in ids {
                query = query.bind(id);
            }
            query.fetch_all(state.db.reader()).await?
        }
    } else {
        let sql = format!("{} ORDER BY {order}, lower(c.name), c.slug {page_end}", rolled_up(&matching));
        with_binds(sqlx::query_as(&sql), &ctx.org.id, &needle, visible).fetch_all(state.db.reader()).await?
    };
    // Totals: the matching customers' own counters, plus those of their child tenants. Child
    // tenants are found from below (few orgs are children), not by walking down from every
    // one of thousands of customers.
    let totals_sql = format!(
        "WITH RECURSIVE up (id, customer_id) AS ( \
           SELECT o.id, o.parent_id FROM orgs o WHERE o.kind = 'child' \
           UNION ALL SELECT u.id, p.parent_id FROM up u JOIN orgs p ON p.id = u.customer_id WHERE p.kind = 'child' \
         ), \
         own AS (SELECT COUNT(*) AS customers, SUM(CASE WHEN c.status = 'suspended' THEN 1 ELSE 0 END) AS suspended, \
                   SUM(k.assets) AS assets, SUM(k.online) AS online, SUM(k.open_alerts) AS open_alerts \
                 FROM orgs c LEFT JOIN org_counts k ON k.org_id = c.id WHERE {matching}), \
         below AS (SELECT SUM(k.assets) AS assets, SUM(k.online) AS online, SUM(k.open_alerts) AS open_alerts \
                   FROM up u JOIN orgs c ON c.id = u.customer_id JOIN org_counts k ON k.org_id = u.id WHERE {matching}) \
         SELECT CAST(COALESCE(own.customers, 0) AS BIGINT) AS customers, \
           CAST(COALESCE(own.assets, 0) + COALESCE(below.assets, 0) AS BIGINT) AS assets, \
           CAST(COALESCE(own.online, 0) + COALESCE(below.online, 0) AS BIGINT) AS online, \
           CAST(COALESCE(own.open_alerts, 0) + COALESCE(below.open_alerts, 0) AS BIGINT) AS open_alerts, \
           CAST(COALESCE(own.suspended, 0) AS BIGINT) AS suspended FROM own, below"
    );
    let t: Totals = with_binds(sqlx::query_as(&totals_sql), &ctx.org.id, &needle, visible).fetch_one(state.db.reader()).await?;
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

/// One row per customer matching `customers` (a condition on `c`), its figures summed over
/// its subtree's counters, and its last activity: the newest audit event in that subtree.
fn rolled_up(customers: &str) -> String {
    format!(
        "WITH RECURSIVE tree (id, customer_id) AS ( \
           SELECT c.id, c.id FROM orgs c WHERE {customers} \
           UNION ALL SELECT o.id, t.customer_id FROM orgs o JOIN tree t ON o.parent_id = t.id \
         ), \
         nodes AS (SELECT t.customer_id, k.users, k.assets, k.online, k.open_alerts, \
                     (SELECT MAX(e.at) FROM audit_events e WHERE e.org_id = t.id) AS at \
                   FROM tree t LEFT JOIN org_counts k ON k.org_id = t.id), \
         f AS (SELECT customer_id, CAST(COALESCE(SUM(users), 0) AS BIGINT) AS users, CAST(COALESCE(SUM(assets), 0) AS BIGINT) AS assets, \
                 CAST(COALESCE(SUM(online), 0) AS BIGINT) AS online, CAST(COALESCE(SUM(open_alerts), 0) AS BIGINT) AS open_alerts, \
                 MAX(at) AS last_activity FROM nodes GROUP BY customer_id) \
         SELECT c.id, c.name, c.slug, c.status, f.users, f.assets, f.online, f.open_alerts, f.last_activity \
         FROM orgs c JOIN f ON f.customer_id = c.id"
    )
}
