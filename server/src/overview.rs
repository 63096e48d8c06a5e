//! The MSP dashboard overview: one row per managed customer (its child tenants rolled up),
//! computed by SQL over the per-org counters ([`crate::db::counters`]) in a handful of
//! index-driven queries — never a per-customer loop, never a scan of the assets or users
//! table, never a walk down the org tree.
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
    protected_users: i64,
    last_activity: Option<i64>,
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
/// customer is rolled up and the database sorts. Totals cover every matching customer: the
/// MSP's rollup (one index range) when nothing filters them.
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
    let search = q.q.as_deref().unwrap_or("").trim();
    let needle = crate::orgs::like_pattern(&search.to_lowercase());
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
    // Totals over every matching customer. Unfiltered (the first page an MSP admin sees), the
    // per-MSP rollup: one range of a covering index, whatever the number of customers.
    // Filtered, the matching customers' rows joined to the counters of their subtrees (each
    // counters row names its customer, so no tree walk either).
    let unfiltered = visible.is_none() && tag.is_none() && status_filter.is_empty() && search.is_empty();
    let t = if unfiltered {
        crate::db::counters::msp_totals(state.db.reader(), &ctx.org.id).await?
    } else {
        let mut sql = Sql::default();
        let m = matching(&mut sql, &ctx.org.id, &needle, status_filter, visible, tag.as_deref());
        sql.push(&format!(
            "SELECT CAST(COUNT(DISTINCT c.id) AS BIGINT) AS customers, \
               CAST(COUNT(DISTINCT CASE WHEN c.status = 'suspended' THEN c.id END) AS BIGINT) AS suspended, \
               CAST(COALESCE(SUM(k.assets), 0) AS BIGINT) AS assets, CAST(COALESCE(SUM(k.online), 0) AS BIGINT) AS online, \
               CAST(COALESCE(SUM(k.open_alerts), 0) AS BIGINT) AS open_alerts, CAST(COALESCE(SUM(k.protected_users), 0) AS BIGINT) AS protected_users \
             FROM orgs c LEFT JOIN org_counts k ON k.customer_id = c.id WHERE {m}"
        ));
        sql.query_as().fetch_one(state.db.reader()).await?
    };
    let page_ids: Vec<&str> = rows.iter().take(limit as usize).map(|r| r.id.as_str()).collect();
    let page_ids: Vec<String> = page_ids.into_iter().map(str::to_string).collect();
    let mut tags = crate::tags::msp_tags_on(state.db.reader(), &ctx.org.id, &page_ids).await?;
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
            protected_users: r.protected_users,
            tags: tags.remove(&r.id).unwrap_or_default(),
        }) })
        .collect::<Result<Vec<_>>>()?;
    let totals = OverviewTotals { customers: t.customers, assets: t.assets, online: t.online, offline: t.assets.saturating_sub(t.online), open_alerts: t.open_alerts, suspended: t.suspended, protected_users: t.protected_users };
    Ok(Json(Overview { totals, items, next_cursor: more.then(|| (offset + i64::from(limit)).to_string()) }))
}

/// One row per customer matching `customers` (a condition on `c`), its figures summed over
/// its subtree's counters (each counters row names the customer it rolls up into, so this is
/// an index lookup per customer, not a walk down the tree), and its last activity: the newest
/// audit event in that subtree.
fn rolled_up(customers: &str) -> String {
    format!(
        "WITH nodes AS (SELECT k.customer_id, k.users, k.assets, k.online, k.open_alerts, k.protected_users, \
                     (SELECT MAX(e.at) FROM audit_events e WHERE e.org_id = k.org_id) AS at \
                   FROM orgs c JOIN org_counts k ON k.customer_id = c.id WHERE {customers}), \
         f AS (SELECT customer_id, SUM(users) AS users, SUM(assets) AS assets, SUM(online) AS online, \
                 SUM(open_alerts) AS open_alerts, SUM(protected_users) AS protected_users, MAX(at) AS last_activity \
               FROM nodes GROUP BY customer_id) \
         SELECT c.id, c.name, c.slug, c.status, CAST(COALESCE(f.users, 0) AS BIGINT) AS users, CAST(COALESCE(f.assets, 0) AS BIGINT) AS assets, \
           CAST(COALESCE(f.online, 0) AS BIGINT) AS online, CAST(COALESCE(f.open_alerts, 0) AS BIGINT) AS open_alerts, \
           CAST(COALESCE(f.protected_users, 0) AS BIGINT) AS protected_users, f.last_activity \
         FROM orgs c LEFT JOIN f ON f.customer_id = c.id WHERE {customers}"
    )
}
