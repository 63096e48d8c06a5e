//! Orgs: the tree (MSP → customers → child tenants), the switcher list, the current org,
//! and an MSP's customers. Endpoints `/api/v1/orgs…`, `/api/v1/org`, `/api/v1/customers`.
use utoipa_axum::{router::OpenApiRouter, routes};
use crate::access::{Grants, OrgPath, load_path};
use crate::approvals::Gate;
use crate::audit::{self, Event};
use crate::http::context::{Caller, Manager, OrgAdmin, OrgCtx, Superuser, org_for};
use crate::db::sql::Sql;
use crate::db::{Db, new_id, now_ms};
use crate::http::error::{ApiError, FieldErrors, Result};
use crate::db::rows::{ORG_COLUMNS, OrgRow};
use crate::http::state::AppState;
use axum::extract::State;
use crate::http::extract::{Path, Query};
use axum::http::StatusCode;
use crate::http::extract::Json;
use shared::api::{CreateOrg, CurrentOrg, ListQuery, Org, OrgEntry, Page, SetParent, UpdateOrg};
use shared::{EmailDomain, OrgKind, OrgSlug, OrgStatus};
use std::collections::HashMap;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orgs, create_org))
        .routes(routes!(get_org, update_org, delete_org))
        .routes(routes!(set_parent))
        .routes(routes!(current_org))
        .routes(routes!(list_customers, create_customer))
}

/// One org as the API shows it, with its effective email domain.
pub async fn load_org_api(db: &Db, org_id: &str) -> Result<Org> {
    let mut conn = db.pool.acquire().await?;
    let path = load_path(&mut conn, org_id).await?.ok_or(ApiError::NotFound)?;
    let row: OrgRow = sqlx::query_as(&format!("SELECT {ORG_COLUMNS} FROM orgs o WHERE o.id = $1"))
        .bind(org_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.to_api(path.effective_domain()))
}

/// The largest page any list answers (`?limit=`, default 50; more is a 422, not a clamp).
pub const MAX_LIMIT: u32 = 500;
/// The largest offset a list cursor can hold: far past any real list, far below where
/// `offset + limit` or the database's `OFFSET` could overflow.
pub const MAX_OFFSET: usize = 1_000_000_000;

pub(crate) fn page_bounds(q: &ListQuery) -> Result<(usize, usize)> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::field("limit", format!("must be between 1 and {MAX_LIMIT}")));
    }
    Ok((limit as usize, offset_cursor(q.cursor.as_deref())?))
}

/// An offset cursor (`next_cursor` of the previous page): a whole number from 0 to
/// [`MAX_OFFSET`]; anything else is a 422, never a wrapped or negative offset.
pub(crate) fn offset_cursor(cursor: Option<&str>) -> Result<usize> {
    match cursor.filter(|c| !c.is_empty()) {
        Some(c) => c
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= MAX_OFFSET)
            .ok_or_else(|| ApiError::field("cursor", "is not a cursor from this list")),
        None => Ok(0),
    }
}

pub(crate) fn paginate<T>(all: Vec<T>, limit: usize, offset: usize) -> Page<T> {
    let total = all.len();
    let items: Vec<T> = all.into_iter().skip(offset).take(limit).collect();
    let next_cursor = (offset + items.len() < total).then(|| (offset + items.len()).to_string());
    Page { items, next_cursor }
}

#[derive(sqlx::FromRow)]
struct TreeRow {
    id: String,
    name: String,
    slug: String,
    #[sqlx(try_from = "String")]
    kind: OrgKind,
    parent_id: Option<String>,
    #[sqlx(try_from = "String")]
    status: OrgStatus,
    /// `lower(name)` as the database computes it: the name order's key.
    sort_name: String,
}

/// What to list of the orgs a caller can open.
#[derive(Debug, Clone, Default)]
pub struct OrgFilter<'a> {
    /// Case-insensitive substring of the name or slug.
    pub q: Option<&'a str>,
    /// Only the customers directly under this org (an MSP).
    pub customers_of: Option<&'a str>,
    /// Only the orgs carrying this tag (an id already parsed).
    pub tag: Option<&'a str>,
}

/// `%needle%` for `LIKE … ESCAPE '\'`, with the needle's own wildcards escaped.
pub(crate) fn like_pattern(needle: &str) -> String {
    let mut out = String::from("%");
    for ch in needle.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// The orgs the caller can open, with their role there: home first, then by name
/// (case-insensitively), then slug. `page` is `(limit, offset)`; `None` lists them all.
/// Returns the entries and whether more follow.
///
/// Every role comes from the access function over the org's path; SQL only decides which
/// orgs to ask about, in which order, two ways:
/// - someone who reaches a whole MSP (its admin, a superuser) can open most orgs, so the orgs
///   are read in name order, a chunk at a time, and each is asked about until the page is
///   full — a page costs a page, however many thousand customers the MSP has;
/// - anyone else reaches a few subtrees (memberships, delegations), so SQL lists exactly those
///   *candidates* — the orgs where they hold a membership or an active delegation and
///   everything below, but not below an MSP where they aren't admin — and sorts and pages
///   them. The candidates mirror the access rules without deciding anything: each still gets
///   its role from the access function, and one that got none would be left out (the
///   property test shows the two agree exactly).
pub async fn accessible_orgs(state: &AppState, caller: &Caller, filter: &OrgFilter<'_>, page: Option<(usize, usize)>) -> Result<(Vec<OrgEntry>, bool)> {
    let now = now_ms();
    let (limit, offset) = page.unwrap_or((usize::MAX - 1, 0));
    // The values every query below shares; each query clones them and appends its text.
    let mut params = Sql::default();
    let candidates = if reaches_a_whole_msp(&state.db, &caller.grants, now).await? {
        None
    } else {
        match candidates_cte(&caller.grants, now, &mut params) {
            Candidates::All => None,
            Candidates::None => return Ok((Vec::new(), false)),
            Candidates::Cte(cte) => Some(cte),
        }
    };
    let mut conditions = String::new();
    if candidates.is_some() {
        conditions.push_str(" AND o.id IN (SELECT id FROM down)");
    }
    if let Some(needle) = filter.q.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()) {
        let p = params.param(like_pattern(&needle));
        conditions.push_str(&format!(" AND (lower(o.name) LIKE {p} ESCAPE '\\' OR o.slug LIKE {p} ESCAPE '\\')"));
    }
    if let Some(parent) = filter.customers_of {
        let p = params.param(parent);
        conditions.push_str(&format!(" AND o.parent_id = {p} AND o.kind = 'customer'"));
    }
    if let Some(tag) = filter.tag {
        let p = params.param(tag);
        conditions.push_str(&format!(" AND o.id IN (SELECT org_id FROM org_tags WHERE tag_id = {p})"));
    }
    let home = params.param(&caller.user.home_org_id);
    let select = format!(
        "{}SELECT o.id, o.name, o.slug, o.kind, o.parent_id, o.status, lower(o.name) AS sort_name FROM orgs o WHERE 1 = 1{conditions}",
        candidates.clone().unwrap_or_default()
    );
    let run = |mut sql: Sql, text: String| async move {
        sql.push(&text);
        sql.query_as::<TreeRow>().fetch_all(&state.db.pool).await
    };
    let mut entries = Vec::new();
    if candidates.is_some() {
        // Few candidates: the database sorts and pages them, home first.
        let sql = format!(
            "{select} ORDER BY CASE WHEN o.id = {home} THEN 0 ELSE 1 END, lower(o.name), o.slug LIMIT {} OFFSET {offset}",
            limit.saturating_add(1).min(i64::MAX as usize)
        );
        let rows = run(params.clone(), sql).await?;
        entries = confirm(state, caller, rows, now, true).await?;
    } else {
        // Most orgs: home first, then walk the name order until the page is full.
        let mut to_skip = offset;
        let mut take = |found: Vec<OrgEntry>, entries: &mut Vec<OrgEntry>| {
            for e in found {
                if to_skip > 0 {
                    to_skip -= 1;
                } else if entries.len() <= limit {
                    entries.push(e);
                }
            }
        };
        let home_rows = run(params.clone(), format!("{select} AND o.id = {home}")).await?;
        take(confirm(state, caller, home_rows, now, false).await?, &mut entries);
        let chunk = (limit + 1).clamp(64, 500);
        let mut after: Option<(String, String)> = None;
        while entries.len() <= limit {
            let mut sql = params.clone();
            let keyset = match &after {
                None => String::new(),
                Some((name, slug)) => {
                    let (a, b) = (sql.param(name), sql.param(slug));
                    format!(" AND (lower(o.name) > {a} OR (lower(o.name) = {a} AND o.slug > {b}))")
                }
            };
            let rows = run(sql, format!("{select} AND o.id <> {home}{keyset} ORDER BY lower(o.name), o.slug LIMIT {chunk}")).await?;
            let fetched = rows.len();
            after = rows.last().map(|r| (r.sort_name.clone(), r.slug.clone()));
            take(confirm(state, caller, rows, now, false).await?, &mut entries);
            if fetched < chunk {
                break;
            }
        }
    }
    let more = entries.len() > limit;
    entries.truncate(limit);
    crate::tags::fill_tags(&state.db, &caller.grants, &mut entries).await?;
    Ok((entries, more))
}


/// A superuser, or an admin of some MSP: their orgs are most of an MSP's tree.
async fn reaches_a_whole_msp(db: &Db, grants: &Grants, now: i64) -> Result<bool> {
    if grants.is_superuser {
        return Ok(true);
    }
    let admin_seeds: Vec<String> = grants.descent_seeds(now).into_iter().filter(|(_, admin)| *admin).map(|(id, _)| id).collect();
    if admin_seeds.is_empty() {
        return Ok(false);
    }
    let mut sql = Sql::new("SELECT COUNT(*) FROM orgs WHERE kind = 'msp' AND id IN (");
    sql.in_list(admin_seeds).push(")");
    Ok(sql.query_scalar::<i64>().fetch_one(&db.pool).await? > 0)
}

/// Asks the access function about each row (paths loaded in one query), keeping the order;
/// rows without a role are dropped (`expected_all`: they were candidates, which is a bug).
async fn confirm(state: &AppState, caller: &Caller, rows: Vec<TreeRow>, now: i64, expected_all: bool) -> Result<Vec<OrgEntry>> {
    let paths = paths_of(&state.db, rows.iter().map(|r| r.id.as_str())).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(role) = paths.get(&row.id).and_then(|path| caller.grants.role_in_at(path, now)) else {
            if expected_all {
                tracing::warn!(org = %row.id, "a switcher candidate has no role; the candidate query and the access rules disagree");
            }
            continue;
        };
        out.push(OrgEntry {
            id: crate::db::parse_uuid(&row.id),
            kind: row.kind,
            parent_id: row.parent_id.as_deref().map(crate::db::parse_uuid),
            status: row.status,
            role,
            url: state.config.tenant_url(&row.slug),
            is_home: row.id == caller.user.home_org_id,
            name: row.name,
            slug: row.slug,
            tags: Vec::new(),
        });
    }
    Ok(out)
}

enum Candidates {
    /// A superuser: every org.
    All,
    /// No memberships or active delegations: nothing.
    None,
    /// `WITH RECURSIVE down (id, kind) AS (…)`: the candidate orgs.
    Cte(String),
}

/// The switcher's candidate filter as SQL (see [`accessible_orgs`]); its values go to `params`.
fn candidates_cte(grants: &Grants, now: i64, params: &mut Sql) -> Candidates {
    if grants.is_superuser {
        return Candidates::All;
    }
    let seeds = grants.descent_seeds(now);
    let all_except: Vec<(String, Vec<String>)> = grants.all_except().collect();
    if seeds.is_empty() && all_except.is_empty() {
        return Candidates::None;
    }
    let list: Vec<String> = seeds.iter().map(|(id, _)| params.param(id)).collect();
    let admins: Vec<String> = seeds.iter().filter(|(_, admin)| *admin).map(|(id, _)| params.param(id)).collect();
    let admins = if admins.is_empty() { "''".to_string() } else { admins.join(", ") };
    let list = if list.is_empty() { "''".to_string() } else { list.join(", ") };
    // An all-except scope seeds every customer of its MSP but the excluded ones.
    let mut scoped = String::new();
    for (msp, except) in &all_except {
        let msp = params.param(msp);
        let except: Vec<String> = except.iter().map(|id| params.param(id)).collect();
        let except = if except.is_empty() { String::new() } else { format!(" AND id NOT IN ({})", except.join(", ")) };
        scoped.push_str(&format!(" OR (parent_id = {msp} AND kind = 'customer'{except})"));
    }
    Candidates::Cte(format!(
        "WITH RECURSIVE down (id, kind) AS ( \
           SELECT id, kind FROM orgs WHERE id IN ({list}){scoped} \
           UNION SELECT o.id, o.kind FROM orgs o JOIN down d ON o.parent_id = d.id \
             WHERE NOT (d.kind = 'msp' AND d.id NOT IN ({admins})) \
         ) "
    ))
}

/// Every org the switcher's SQL candidate filter yields for `grants`, unpaged and unconfirmed.
/// Tests compare it with what the access function grants: the two must agree exactly.
pub async fn switcher_candidates(db: &Db, grants: &Grants) -> Result<Vec<String>> {
    let mut sql = Sql::default();
    let text = match candidates_cte(grants, now_ms(), &mut sql) {
        Candidates::All => "SELECT id FROM orgs".to_string(),
        Candidates::None => return Ok(Vec::new()),
        Candidates::Cte(cte) => format!("{cte} SELECT id FROM down"),
    };
    sql.push(&text);
    Ok(sql.query_scalar::<String>().fetch_all(&db.pool).await?)
}

/// One node of the path that starts at `start`.
#[derive(sqlx::FromRow)]
struct PathRow {
    start: String,
    #[sqlx(flatten)]
    node: crate::access::PathNode,
}

/// The paths (org, parent, …, root) of several orgs in one query.
pub(crate) async fn paths_of<'a>(db: &Db, ids: impl Iterator<Item = &'a str>) -> Result<HashMap<String, OrgPath>> {
    let ids: Vec<&str> = ids.collect();
    let mut out: HashMap<String, OrgPath> = HashMap::with_capacity(ids.len());
    // Chunks keep the bind count far below either engine's limit.
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new("WITH RECURSIVE up (start, id, parent_id, kind, status, email_domain, depth) AS ( \
               SELECT id, id, parent_id, kind, status, email_domain, 0 FROM orgs WHERE id IN (");
        sql.in_list(chunk.iter().copied()).push(
            ") UNION ALL SELECT u.start, o.id, o.parent_id, o.kind, o.status, o.email_domain, u.depth + 1 \
                 FROM orgs o JOIN up u ON o.id = u.parent_id WHERE u.depth < 64 \
             ) SELECT start, id, kind, status, email_domain FROM up ORDER BY start, depth",
        );
        for row in sql.query_as::<PathRow>().fetch_all(&db.pool).await? {
            out.entry(row.start).or_insert_with(|| OrgPath { nodes: Vec::new() }).nodes.push(row.node);
        }
    }
    Ok(out)
}

#[utoipa::path(get, path = "/api/v1/orgs", tag = "orgs", params(ListQuery),
    responses((status = 200, body = Page<OrgEntry>, description = "accessible orgs: home first, then alphabetical"), (status = 401)))]
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn list_orgs(State(state): State<AppState>, caller: Caller, Query(q): Query<ListQuery>) -> Result<Json<Page<OrgEntry>>> {
    let (limit, offset) = page_bounds(&q)?;
    let tag = crate::tags::tag_filter(q.tag.as_deref())?;
    let filter = OrgFilter { q: q.q.as_deref(), customers_of: None, tag: tag.as_deref() };
    let (items, more) = accessible_orgs(&state, &caller, &filter, Some((limit, offset))).await?;
    Ok(Json(next_page(items, more, offset, limit)))
}

/// A page of `items` read from `offset`, with the cursor of the next one when `more`.
pub(crate) fn next_page<T>(items: Vec<T>, more: bool, offset: usize, limit: usize) -> Page<T> {
    let next_cursor = more.then(|| (offset + limit).to_string());
    Page { items, next_cursor }
}

/// Validated input for a new org.
struct NewOrg {
    name: String,
    slug: OrgSlug,
    email_domain: Option<EmailDomain>,
}

fn check_name(errors: &mut FieldErrors, name: &str) -> Option<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.add("name", "must be 1 to 100 characters");
        None
    } else {
        Some(name.to_string())
    }
}

/// Where a new org goes, with the proof that the caller may put it there: an MSP is a root
/// and needs a superuser; a customer or child tenant needs an admin of its parent.
#[derive(Clone, Copy)]
pub enum Placement<'a> {
    Root(Superuser<'a>),
    Under(OrgAdmin<'a>),
}

impl<'a> Placement<'a> {
    /// Checks who may create what where (DESIGN §2): 404 for a parent the caller can't see,
    /// then 403, then 422 for a parent of the wrong kind.
    pub fn for_kind(kind: OrgKind, parent: Option<&'a OrgCtx>, caller: &'a Caller) -> Result<Placement<'a>> {
        match (kind, parent) {
            (OrgKind::Msp, None) => Ok(Placement::Root(caller.superuser("create MSP orgs")?)),
            (OrgKind::Msp, Some(_)) => Err(ApiError::field("parent_id", "an MSP org is a root and has no parent")),
            (_, None) => Err(ApiError::field("parent_id", "is required for customers and child tenants")),
            (_, Some(parent)) => {
                // A parent of the wrong kind can never work, for anyone: that is said first.
                parent_fits(kind, Some(&parent.org))?;
                let admin = parent.admin().map_err(|_| ApiError::Forbidden(format!("only admins of {} can add tenants under it", parent.org.name)))?;
                crate::tree_limits::check_new_child(&parent.path)?;
                Ok(Placement::Under(admin))
            }
        }
    }

    fn parent(&self) -> Option<&'a OrgRow> {
        match self {
            Placement::Root(_) => None,
            Placement::Under(admin) => Some(&admin.ctx().org),
        }
    }

    fn actor(&self) -> crate::audit::Actor {
        match self {
            Placement::Root(su) => su.actor(),
            Placement::Under(admin) => admin.actor(),
        }
    }
}

/// 422 unless an org of `kind` may sit under `parent` (an MSP under nothing, a customer
/// under an MSP, a child tenant under a customer or child).
fn parent_fits(kind: OrgKind, parent: Option<&OrgRow>) -> Result<()> {
    let fits = match (kind, parent) {
        (OrgKind::Msp, parent) => parent.is_none(),
        (OrgKind::Customer, Some(p)) => p.kind() == OrgKind::Msp,
        (OrgKind::Child, Some(p)) => p.kind() != OrgKind::Msp,
        (_, None) => false,
    };
    if !fits {
        let msg = match kind {
            OrgKind::Msp => "an MSP org is a root and has no parent",
            OrgKind::Customer => "a customer's parent must be an MSP",
            OrgKind::Child => "a child tenant's parent must be a customer or another child tenant",
        };
        return Err(ApiError::field("parent_id", msg));
    }
    Ok(())
}

/// The fields of a new org of `kind` under `parent`.
fn validate_new_org(kind: OrgKind, parent: Option<&OrgRow>, body: &CreateOrg) -> Result<NewOrg> {
    parent_fits(kind, parent)?;
    let mut errors = FieldErrors::default();
    let name = check_name(&mut errors, &body.name);
    let email_domain = match (kind, body.email_domain.as_deref().map(str::trim).filter(|d| !d.is_empty())) {
        (OrgKind::Child, Some(_)) => {
            errors.add("email_domain", "a child tenant uses its parent's email domain");
            None
        }
        (OrgKind::Child, None) => None,
        (_, None) => {
            errors.add("email_domain", "is required for MSP and customer orgs");
            None
        }
        (_, Some(d)) => errors.check("email_domain", EmailDomain::parse(d)),
    };
    let slug_input = match body.slug.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => s.to_string(),
        None => {
            let msp_slug = parent.filter(|_| kind == OrgKind::Customer).map(|p| p.slug.as_str());
            OrgSlug::suggest(&body.name, msp_slug)
        }
    };
    let slug = errors.check("slug", OrgSlug::parse(&slug_input));
    errors.finish()?;
    Ok(NewOrg { name: name.unwrap_or_default(), slug: slug.expect("checked"), email_domain })
}

/// Creates an org of `body.kind` where `placement` proves the caller may put it.
pub async fn create_org_service(placement: Placement<'_>, state: &AppState, body: &CreateOrg) -> Result<Org> {
    let kind = body.kind;
    let parent = placement.parent();
    let new = validate_new_org(kind, parent, body)?;
    let id = new_id();
    let now = now_ms();
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query(
        "INSERT INTO orgs (id, name, slug, kind, parent_id, email_domain, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $7)",
    )
    .bind(&id)
    .bind(&new.name)
    .bind(new.slug.as_str())
    .bind(kind.as_str())
    .bind(parent.map(|p| p.id.clone()))
    .bind(new.email_domain.as_ref().map(|d| d.as_str().to_string()))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    // Every org has its counters row, which also says where it sits (its MSP, its customer).
    crate::db::counters::refresh(&mut tx, &[&id]).await?;
    let under = parent.map(|p| format!(" under {}", p.name)).unwrap_or_default();
    audit::record(&mut tx, &placement.actor(), Event {
        org_id: Some(&id),
        action: "org.create",
        object_type: "org",
        object_id: Some(&id),
        summary: format!("created {} {} ({}){under}", kind, new.name, new.slug),
    })
    .await?;
    tx.commit().await?;
    load_org_api(&state.db, &id).await
}

#[utoipa::path(post, path = "/api/v1/orgs", tag = "orgs", request_body = CreateOrg,
    responses((status = 201, body = Org), (status = 403), (status = 404, description = "parent not found"), (status = 409), (status = 422)))]
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn create_org(State(state): State<AppState>, caller: Caller, Json(body): Json<CreateOrg>) -> Result<(StatusCode, Json<Org>)> {
    let parent = match body.parent_id {
        Some(pid) => Some(org_for(&state, &caller, &pid.to_string()).await?),
        None => None,
    };
    let placement = Placement::for_kind(body.kind, parent.as_ref(), &caller)?;
    Ok((StatusCode::CREATED, Json(create_org_service(placement, &state, &body).await?)))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}", tag = "orgs", params(("id" = String, Path)),
    responses((status = 200, body = Org), (status = 404)))]
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn get_org(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Org>> {
    let target = org_for(&state, &caller, &id).await?;
    Ok(Json(target.org.to_api(target.path.effective_domain())))
}

#[utoipa::path(patch, path = "/api/v1/orgs/{id}", tag = "orgs", params(("id" = String, Path)), request_body = UpdateOrg,
    responses((status = 200, body = Org), (status = 403), (status = 404), (status = 422, description = "e.g. email_domain can't change")))]
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn update_org(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, Json(body): Json<UpdateOrg>) -> Result<Json<Org>> {
    let target = org_for(&state, &caller, &id).await?;
    let row = &target.org;
    let admin = target.admin().map_err(|_| ApiError::Forbidden(format!("only admins can change {}", row.name)))?;
    let status = body.status.filter(|s| *s != row.status());
    // Suspending and reactivating are decisions of whoever manages the org.
    let manager = match status {
        Some(_) => Some(target.manager("only whoever manages this org can suspend or reactivate it")?),
        None => None,
    };
    let mut errors = FieldErrors::default();
    if body.email_domain.is_some() {
        errors.add("email_domain", "can't change after the org is created");
    }
    if body.slug.as_deref().is_some_and(|s| s != row.slug) {
        errors.add("slug", "can't change: the tenant's URL depends on it");
    }
    let name = body.name.as_deref().and_then(|n| check_name(&mut errors, n));
    errors.finish()?;
    let change = OrgChange { name, status: manager.zip(status) };
    Ok(Json(update_org_service(admin, &state, change).await?))
}

/// Suspends or reactivates the manager's org, as `PATCH /api/v1/orgs/{id}` `{status}` does; on
/// a dry run only says whether it would change. Returns whether it changed.
pub async fn set_status(manager: Manager<'_>, state: &AppState, status: OrgStatus, dry_run: bool) -> Result<bool> {
    // Whoever manages an org administers it too; the proof says so.
    let admin = manager.ctx().admin()?;
    if manager.ctx().org.status() == status {
        return Ok(false);
    }
    if !dry_run {
        update_org_service(admin, state, OrgChange { name: None, status: Some((manager, status)) }).await?;
    }
    Ok(true)
}

/// A validated change to an org: a new name (admin), a new status (manager).
struct OrgChange<'a> {
    name: Option<String>,
    status: Option<(Manager<'a>, OrgStatus)>,
}

async fn update_org_service(admin: OrgAdmin<'_>, state: &AppState, change: OrgChange<'_>) -> Result<Org> {
    let row = &admin.ctx().org;
    let id = admin.org_id();
    if change.name.is_none() && change.status.is_none() {
        return Ok(row.to_api(admin.ctx().path.effective_domain()));
    }
    let mut tx = audit::begin(&state.db).await?;
    let mut changes = Vec::new();
    if let Some(name) = &change.name {
        sqlx::query("UPDATE orgs SET name = $1, updated_at = $2 WHERE id = $3").bind(name).bind(now_ms()).bind(id).execute(&mut *tx).await?;
        changes.push(format!("renamed {} to {name}", row.name));
    }
    if let Some((_, status)) = change.status {
        sqlx::query("UPDATE orgs SET status = $1, updated_at = $2 WHERE id = $3").bind(status.as_str()).bind(now_ms()).bind(id).execute(&mut *tx).await?;
        // The MSP's rollup counts its suspended customers.
        crate::db::counters::refresh(&mut tx, &[id]).await?;
        changes.push(format!("{} {}", if status == OrgStatus::Suspended { "suspended" } else { "reactivated" }, row.name));
    }
    let action = match change.status.map(|(_, s)| s) {
        Some(OrgStatus::Suspended) => "org.suspend",
        Some(OrgStatus::Active) => "org.reactivate",
        None => "org.update",
    };
    audit::record(&mut tx, &admin.actor(), Event { org_id: Some(id), action, object_type: "org", object_id: Some(id), summary: changes.join("; ") }).await?;
    tx.commit().await?;
    load_org_api(&state.db, id).await
}

#[utoipa::path(delete, path = "/api/v1/orgs/{id}", tag = "orgs", params(("id" = String, Path)),
    responses((status = 204, description = "the org and all its data are gone"),
        (status = 202, body = shared::api::ApprovalHeld, description = "the MSP's `approvals` setting lists `org.delete`: held for a second admin"),
        (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn delete_org(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Gate<StatusCode>> {
    delete_as(&state, &caller, &id).await
}

/// `DELETE /api/v1/orgs/{id}` for `caller` (also an approved request's requester).
pub(crate) async fn delete_as(state: &AppState, caller: &Caller, id: &str) -> Result<Gate<StatusCode>> {
    let target = org_for(state, caller, id).await?;
    let manager = target.manager(format!("only whoever manages {} can delete it", target.org.name))?;
    let row = &target.org;
    // Deleting your own home (or anything above it) would delete you mid-request.
    let mut conn = state.db.pool.acquire().await?;
    let home = load_path(&mut conn, &caller.user.home_org_id).await?;
    drop(conn);
    if home.is_some_and(|h| h.contains(&row.id)) {
        return Err(ApiError::Forbidden("you can't delete the org you belong to".into()));
    }
    let msp = target.path.msp_id().filter(|m| *m != row.id);
    if let Some(need) = crate::approvals::needed(state, caller, msp, "org.delete").await? {
        let summary = format!("delete {} {} ({}) and all its data", row.kind, row.name, row.slug);
        let preview = serde_json::json!({"org_id": row.id, "name": row.name, "kind": row.kind, "slug": row.slug});
        let held = crate::approvals::Held::OrgDelete { org_id: row.id.clone() };
        return Ok(Gate::Held(crate::approvals::hold(state, caller, need, held, summary, preview).await?));
    }
    delete_org_service(manager, state).await?;
    Ok(Gate::Done(StatusCode::NO_CONTENT))
}

/// Deletes the org and everything in it.
async fn delete_org_service(manager: Manager<'_>, state: &AppState) -> Result<()> {
    let row = &manager.ctx().org;
    let mut tx = audit::begin(&state.db).await?;
    // Foreign keys cascade through child tenants, users at home there, memberships, sessions,
    // tokens, delegations and everything else that names the org.
    sqlx::query("DELETE FROM orgs WHERE id = $1").bind(&row.id).execute(&mut *tx).await?;
    // The record of the deletion stays with the org above (the MSP for a customer).
    audit::record(&mut tx, &manager.actor(), Event {
        org_id: row.parent_id.as_deref(),
        action: "org.delete",
        object_type: "org",
        object_id: Some(&row.id),
        summary: format!("deleted {} {} ({}) and all its data", row.kind, row.name, row.slug),
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

#[utoipa::path(put, path = "/api/v1/orgs/{id}/parent", tag = "orgs", params(("id" = String, Path)), request_body = SetParent,
    responses((status = 200, body = Org), (status = 403, description = "superusers only"), (status = 404), (status = 422)))]
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn set_parent(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, Json(body): Json<SetParent>) -> Result<Json<Org>> {
    let target = org_for(&state, &caller, &id).await?;
    let su = caller.superuser("change which org manages another")?;
    let parent = org_for(&state, &caller, &body.parent_id.to_string()).await.map_err(|_| ApiError::field("parent_id", "no such org"))?;
    Ok(Json(set_parent_service(su, &state, &target, &parent).await?))
}

/// Moves `target` under `parent` (a customer to another MSP, a child tenant elsewhere).
async fn set_parent_service(su: Superuser<'_>, state: &AppState, target: &OrgCtx, parent: &OrgCtx) -> Result<Org> {
    let (row, id) = (&target.org, target.org_id());
    let (old_path, parent_path) = (&target.path, &parent.path);
    let fits = match row.kind() {
        OrgKind::Msp => false,
        OrgKind::Customer => parent.org.kind() == OrgKind::Msp,
        OrgKind::Child => parent.org.kind() != OrgKind::Msp,
    };
    if !fits {
        return Err(ApiError::field("parent_id", format!("a {} can't be placed under a {}", row.kind, parent.org.kind)));
    }
    if parent.path.contains(id) {
        return Err(ApiError::field("parent_id", "would put the org under itself"));
    }
    crate::tree_limits::check_move(&state.db, id, parent_path).await?;
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query("UPDATE orgs SET parent_id = $1, updated_at = $2 WHERE id = $3").bind(parent.org_id()).bind(now_ms()).bind(id).execute(&mut *tx).await?;
    // The whole subtree may now roll up into another customer or another MSP.
    crate::db::counters::refresh_subtree(&mut tx, id).await?;
    audit::record(&mut tx, &su.actor(), Event {
        org_id: Some(id),
        action: "org.set_parent",
        object_type: "org",
        object_id: Some(id),
        summary: format!("moved {} under {}", row.name, parent.org.name),
    })
    .await?;
    if old_path.msp_id() != parent_path.msp_id() {
        drop_delegations_below(su, &mut tx, id, &row.name).await?;
        drop_tags_below(su, &mut tx, id, &row.name).await?;
    }
    tx.commit().await?;
    load_org_api(&state.db, id).await
}

/// Delegations are grants of the MSP that managed the org: when the org (with its subtree)
/// moves to another MSP, the old MSP's technicians must not keep admin there — nobody at the
/// new MSP could even see those grants to revoke them. Each one removed is audited in the
/// org it was on.
async fn drop_delegations_below(su: Superuser<'_>, tx: &mut crate::db::Tx, org_id: &str, org_name: &str) -> Result<()> {
    let found: Vec<(String, String, String)> = sqlx::query_as(
        "WITH RECURSIVE sub (id) AS (SELECT id FROM orgs WHERE id = $1            UNION ALL SELECT o.id FROM orgs o JOIN sub s ON o.parent_id = s.id)          SELECT d.org_id, d.user_id, u.email FROM delegations d JOIN users u ON u.id = d.user_id          WHERE d.org_id IN (SELECT id FROM sub) ORDER BY u.email",
    )
    .bind(org_id)
    .fetch_all(&mut **tx)
    .await?;
    for (on, user_id, email) in found {
        sqlx::query("DELETE FROM delegations WHERE org_id = $1 AND user_id = $2").bind(&on).bind(&user_id).execute(&mut **tx).await?;
        audit::record(tx, &su.actor(), Event {
            org_id: Some(&on),
            action: "delegation.revoke",
            object_type: "delegation",
            object_id: Some(&user_id),
            summary: format!("removed {email}'s delegated admin: {org_name} moved to another MSP"),
        })
        .await?;
    }
    Ok(())
}

/// Tags are the old MSP's labels (and tag scopes its grants): they come off the org and its
/// subtree when it moves to another MSP, in one audited step.
async fn drop_tags_below(su: Superuser<'_>, tx: &mut crate::db::Tx, org_id: &str, org_name: &str) -> Result<()> {
    let done = sqlx::query(
        "WITH RECURSIVE sub (id) AS (SELECT id FROM orgs WHERE id = $1 UNION ALL SELECT o.id FROM orgs o JOIN sub s ON o.parent_id = s.id) \
         DELETE FROM org_tags WHERE org_id IN (SELECT id FROM sub)",
    )
    .bind(org_id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() > 0 {
        audit::record(tx, &su.actor(), Event {
            org_id: Some(org_id),
            action: "org.untag",
            object_type: "org",
            object_id: Some(org_id),
            summary: format!("removed {} of the old MSP: {org_name} moved to another MSP", shared::plural(done.rows_affected() as i64, "tag", "tags")),
        })
        .await?;
    }
    Ok(())
}

/// `GET /api/v1/org?slug=`: the org a page address (`/o/{slug}/…`) names.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CurrentOrgQuery {
    /// The org by its slug instead of `X-Org-Id`; on a tenant's own host only that tenant's
    /// slug is found (any other answers 404, like an org that isn't yours).
    pub slug: Option<String>,
    /// As on every GET: the org by id when no header can be sent.
    pub org_id: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/org", tag = "orgs", params(CurrentOrgQuery, ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = CurrentOrg), (status = 401), (status = 404, description = "no such org, or not yours, or another tenant than the one whose host this is")))]
#[tracing::instrument(skip_all)]
pub async fn current_org(State(state): State<AppState>, Query(q): Query<CurrentOrgQuery>, mut parts: axum::http::request::Parts) -> Result<Json<CurrentOrg>> {
    use axum::extract::FromRequestParts;
    let host_slug = parts
        .headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| state.config.slug_from_host(h));
    let ctx = match q.slug.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(slug) => {
            let caller = Caller::from_request_parts(&mut parts, &state).await?;
            // On a tenant's own host the address can't put the pages in another tenant.
            if host_slug.as_deref().is_some_and(|h| h != slug) {
                return Err(ApiError::NotFound);
            }
            let id: Option<String> = sqlx::query_scalar("SELECT id FROM orgs WHERE slug = $1").bind(slug).fetch_optional(&state.db.pool).await?;
            org_for(&state, &caller, &id.ok_or(ApiError::NotFound)?).await?
        }
        None => OrgCtx::from_request_parts(&mut parts, &state).await?,
    };
    let home = load_org_api(&state.db, &ctx.caller.user.home_org_id).await?;
    // A group-limited viewer's banner names their groups.
    let group_limit = match crate::assets::scope(&state, &ctx).await? {
        crate::access::GroupScope::All => None,
        crate::access::GroupScope::Only(ids) => {
            let mut sql = crate::db::sql::Sql::new("SELECT id, name FROM asset_groups WHERE org_id = ");
            sql.bind(ctx.org_id()).push(" AND id IN (").in_list(&ids).push(") ORDER BY lower(name), id");
            let rows = sql.query_as::<(String, String)>().fetch_all(&state.db.pool).await?;
            let mut groups = Vec::with_capacity(rows.len());
            for (id, name) in rows {
                groups.push(shared::api::GroupRef { id: crate::db::decode("asset_groups.id", &id)?, name });
            }
            Some(groups)
        }
    };
    Ok(Json(CurrentOrg {
        org: ctx.org.to_api(ctx.path.effective_domain()),
        role: ctx.role,
        acting_from_outside: ctx.org.id != ctx.caller.user.home_org_id,
        home_org_id: home.id,
        home_org_name: home.name,
        can: ctx.capabilities(),
        group_limit,
        on_own_host: host_slug.as_deref() == Some(ctx.org.slug.as_str()),
        brand: crate::branding::brand_for(&mut *state.db.pool.acquire().await?, &ctx.path).await?,
    }))
}

#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(ListQuery, ("X-Org-Id" = Option<String>, Header, description = "an MSP")),
    responses((status = 200, body = Page<OrgEntry>, description = "the MSP's customers the caller can open"), (status = 404), (status = 422)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn list_customers(State(state): State<AppState>, ctx: OrgCtx, Query(q): Query<ListQuery>) -> Result<Json<Page<OrgEntry>>> {
    if ctx.org.kind() != OrgKind::Msp {
        return Err(ApiError::BadRequest("customers exist only under an MSP org".into()));
    }
    let (limit, offset) = page_bounds(&q)?;
    let tag = crate::tags::tag_filter(q.tag.as_deref())?;
    let filter = OrgFilter { q: q.q.as_deref(), customers_of: Some(&ctx.org.id), tag: tag.as_deref() };
    let (items, more) = accessible_orgs(&state, &ctx.caller, &filter, Some((limit, offset))).await?;
    Ok(Json(next_page(items, more, offset, limit)))
}

/// `{name, slug?, email_domain}`: a customer under the current org (an MSP).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    pub name: String,
    pub slug: Option<String>,
    pub email_domain: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", request_body = CreateCustomer, params(("X-Org-Id" = Option<String>, Header, description = "an MSP")),
    responses((status = 201, body = Org), (status = 403), (status = 409), (status = 422)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn create_customer(State(state): State<AppState>, ctx: OrgCtx, Json(body): Json<CreateCustomer>) -> Result<(StatusCode, Json<Org>)> {
    if ctx.org.kind() != OrgKind::Msp {
        return Err(ApiError::BadRequest("customers can be added only to an MSP org".into()));
    }
    let admin = ctx.admin()?;
    let create = CreateOrg {
        name: body.name,
        slug: body.slug,
        kind: OrgKind::Customer,
        parent_id: Some(crate::db::parse_uuid(&ctx.org.id)),
        email_domain: body.email_domain,
    };
    Ok((StatusCode::CREATED, Json(create_org_service(Placement::Under(admin), &state, &create).await?)))
}
