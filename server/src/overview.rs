//! The MSP dashboard overview: one row per managed customer (its child tenants rolled up),
//! computed by SQL over the per-org counters in a handful of queries — never a per-customer
//! loop, never a scan of the assets table.
use utoipa_axum::{router::OpenApiRouter, routes};
use crate::http::context::OrgCtx;
use crate::db::rfc3339;
use crate::db::sql::Sql;
use crate::http::error::{ApiError, Result};
use crate::http::state::AppState;
use axum::extract::State;
use crate::http::extract::Query;
use crate::http::extract::Json;
use shared::api::{Overview, OverviewQuery, OverviewRow, OverviewTotals};
use shared::{OrgKind, Role};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(overview))
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

/// The customers of `msp` matching the filters, as a condition on `c` whose values are bound
/// in `sql` (each query that uses it gets its own [`Sql`]; the condition may appear twice).
fn matching(sql: &mut Sql, msp: &str, needle: &str, status_filter: &str, visible: Option<&[String]>, tag: Option<&str>) -> String {
    let (msp, pattern) = (sql.param(msp), sql.param(needle));
    let tagged = match tag {
        None => String::new(),
        Some(t) => format!(" AND c.id IN (SELECT org_id FROM org_tags WHERE tag_id = {})", sql.param(t)),
    };
    let visible = match visible {
        None => String::new(),
        Some([]) => " AND 1 = 0".to_string(),
        Some(ids) => format!(" AND c.id IN ({})", ids.iter().map(|id| sql.param(id)).collect::<Vec<_>>().join(", ")),
    };
    format!(
        "c.parent_id = {msp} AND c.kind = 'customer' AND (lower(c.name) LIKE {pattern} ESCAPE '\\' OR c.slug LIKE {pattern} ESCAPE '\\'){status_filter}{visible}{tagged}"
    )
}

/// Customers of the current MSP (those the caller may open) with their figures.
///
/// Figures come from the per-org counters ([`crate::db::counters`]) summed over each customer's
/// subtree, so no request scans the assets table. Sorted by name, the page is chosen first
/// (an index walk) and only its customers are rolled up; sorted by a figure, every matching
/// customer is rolled up and the database sorts. Totals cover every matching customer.
#[utoipa::path(get, path = "/api/v1/overview", tag = "customers", params(OverviewQuery, ("X-Org-Id" = Option<String>, Header, description = "an MSP")),
    responses((status = 200, body = Overview), (status = 400), (status = 404), (status = 422)))]
// Figures may come from a replica (`DATABASE_READ_URL`): which customers the caller sees was
// decided by `ctx`, from the primary; only the counts may lag.
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn overview(State(state): State<AppState>, ctx: OrgCtx, Query(q): Query<OverviewQuery>) -> Result<Json<Overview>> {
    if ctx.org.kind() != OrgKind::Msp {
        return Err(ApiError::BadRequest("the overview is for MSP orgs".into()));
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=crate::orgs::MAX_LIMIT).contains(&limit) {
        return Err(ApiError::field("limit", format!("must be between 1 and {}", crate::orgs::MAX_LIMIT)));
    }
    let offset = crate::orgs::offset_cursor(q.cursor.as_deref())? as i64;
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
        let filter = crate::orgs::OrgFilter { q: None, customers_of: Some(&ctx.org.id), tag: None };
        let (orgs, _) = crate::orgs::accessible_orgs(&state, &ctx.caller, &filter, None).await?;
        Some(orgs.into_iter().map(|o| o.id.to_string()).collect())
    };
    let tag = crate::tags::tag_filter(q.tag.as_deref())?;
    let needle = crate::orgs::like_pattern(&q.q.as_deref().unwrap_or("").trim().to_lowercase());
    let visible = visible_ids.as_deref();
    let page_end = format!("LIMIT {} OFFSET {offset}", limit + 1);
    let rows: Vec<Row> = if sort == "name" {
        let mut sql = Sql::default();
        let m = matching(&mut sql, &ctx.org.id, &needle, status_filter, visible, tag.as_deref());
        sql.push(&format!("SELECT c.id FROM orgs c WHERE {m} ORDER BY lower(c.name), c.slug {page_end}"));
        let ids: Vec<String> = sql.query_scalar().fetch_all(state.db.reader()).await?;
        let mut sql = Sql::default();
        let list = ids.iter().map(|id| sql.param(id)).collect::<Vec<_>>().join(", ");
        sql.push(&format!("{} ORDER BY lower(c.name), c.slug", rolled_up(&format!("c.id IN ({})", if ids.is_empty() { "NULL" } else { &list }))));
        sql.query_as().fetch_all(state.db.reader()).await?
    } else {
        let mut sql = Sql::default();
        let m = matching(&mut sql, &ctx.org.id, &needle, status_filter, visible, tag.as_deref());
        sql.push(&format!("{} ORDER BY {order}, lower(c.name), c.slug {page_end}", rolled_up(&m)));
        sql.query_as().fetch_all(state.db.reader()).await?
    };
    // Totals: the matching customers' own counters, plus those of their child tenants. Child
    // tenants are found from below (few orgs are children), not by walking down from every
    // one of thousands of customers.
    let mut sql = Sql::default();
    let m = matching(&mut sql, &ctx.org.id, &needle, status_filter, visible, tag.as_deref());
    sql.push(&format!(
        "WITH RECURSIVE up (id, customer_id) AS ( \
           SELECT o.id, o.parent_id FROM orgs o WHERE o.kind = 'child' \
           UNION ALL SELECT u.id, p.parent_id FROM up u JOIN orgs p ON p.id = u.customer_id WHERE p.kind = 'child' \
         ), \
         own AS (SELECT COUNT(*) AS customers, SUM(CASE WHEN c.status = 'suspended' THEN 1 ELSE 0 END) AS suspended, \
                   SUM(k.assets) AS assets, SUM(k.online) AS online, SUM(k.open_alerts) AS open_alerts \
                 FROM orgs c LEFT JOIN org_counts k ON k.org_id = c.id WHERE {m}), \
         below AS (SELECT SUM(k.assets) AS assets, SUM(k.online) AS online, SUM(k.open_alerts) AS open_alerts \
                   FROM up u JOIN orgs c ON c.id = u.customer_id JOIN org_counts k ON k.org_id = u.id WHERE {m}) \
         SELECT CAST(COALESCE(own.customers, 0) AS BIGINT) AS customers, \
           CAST(COALESCE(own.assets, 0) + COALESCE(below.assets, 0) AS BIGINT) AS assets, \
           CAST(COALESCE(own.online, 0) + COALESCE(below.online, 0) AS BIGINT) AS online, \
           CAST(COALESCE(own.open_alerts, 0) + COALESCE(below.open_alerts, 0) AS BIGINT) AS open_alerts, \
           CAST(COALESCE(own.suspended, 0) AS BIGINT) AS suspended FROM own, below"
    ));
    let t: Totals = sql.query_as().fetch_one(state.db.reader()).await?;
    // Users protected by a second factor: in total, and per customer of the page.
    let mut sql = Sql::default();
    let m = matching(&mut sql, &ctx.org.id, &needle, status_filter, visible, tag.as_deref());
    sql.push(&protected_users(&m, false));
    let protected_total: i64 = sql.query_scalar().fetch_one(state.db.reader()).await?;
    let page_ids: Vec<&str> = rows.iter().take(limit as usize).map(|r| r.id.as_str()).collect();
    let mut sql = Sql::default();
    let list = page_ids.iter().map(|id| sql.param(*id)).collect::<Vec<_>>().join(", ");
    sql.push(&protected_users(&format!("c.id IN ({})", if page_ids.is_empty() { "NULL" } else { &list }), true));
    let protected: std::collections::HashMap<String, i64> = sql.query_as::<(String, i64)>().fetch_all(state.db.reader()).await?.into_iter().collect();
    let more = rows.len() as i64 > i64::from(limit);
    let items = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| -> Result<OverviewRow> { Ok(OverviewRow {
            id: crate::db::parse_uuid(&r.id),
            url: state.config.tenant_url(&r.slug),
            name: r.name,
            slug: r.slug,
            status: crate::db::decode("orgs.status", &r.status)?,
            users: r.users,
            assets: r.assets,
            online: r.online,
            offline: r.assets.saturating_sub(r.online),
            open_alerts: r.open_alerts,
            last_activity: r.last_activity.map(rfc3339),
            protected_users: protected.get(&r.id).copied().unwrap_or(0),
        }) })
        .collect::<Result<Vec<_>>>()?;
    let totals = OverviewTotals { customers: t.customers, assets: t.assets, online: t.online, offline: t.assets.saturating_sub(t.online), open_alerts: t.open_alerts, suspended: t.suspended, protected_users: protected_total };
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

/// Users homed in the customers matching `customers` (a condition on `c`) or below them who
/// have a second factor (a confirmed TOTP or a passkey): per customer (`per_customer`) or in total.
fn protected_users(customers: &str, per_customer: bool) -> String {
    let (select, group) = if per_customer { ("t.customer_id, ", " GROUP BY t.customer_id") } else { ("", "") };
    format!(
        "WITH RECURSIVE tree (id, customer_id) AS ( \
           SELECT c.id, c.id FROM orgs c WHERE {customers} \
           UNION ALL SELECT o.id, t.customer_id FROM orgs o JOIN tree t ON o.parent_id = t.id \
         ) \
         SELECT {select}CAST(COUNT(*) AS BIGINT) FROM tree t JOIN users u ON u.home_org_id = t.id \
         WHERE EXISTS (SELECT 1 FROM user_totp x WHERE x.user_id = u.id AND x.confirmed_at IS NOT NULL) \
            OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id){group}"
    )
}
