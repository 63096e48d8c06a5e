//! Importing tenants: `POST /api/v1/import/tenants`, into the current org (admin only).
//! Columns / JSON keys (`{"tenants": [...]}`):
//!
//! | column        | meaning |
//! |---------------|---------|
//! | `name`        | 1–100 characters (required) |
//! | `external_id` | the tenant's id in the source system (required): the import key |
//! | `parent`      | `external_id` of another row or of an already imported tenant, or the slug of an org at or below the current org; empty = the current org |
//! | `domain`      | email domain: required for a customer (parent is an MSP), not allowed for a child tenant |
//! | `slug`        | optional; suggested as `<name>-<msp slug>` for customers, `<name>-<parent slug>` for child tenants |
//!
//! A tenant under an MSP is a customer, under anything else a child tenant. External ids are
//! remembered per importing org. A row whose `external_id` is known renames that tenant if
//! the name differs; its parent and domain can't change by import (that's a move or merge).
use super::{Columns, Progress, RawRow, listed};
use crate::http::context::OrgCtx;
use crate::db::sql::{Sql, Value};
use crate::db::{Tx, new_id, now_ms};
use crate::http::error::Result;
use crate::http::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use shared::api::{ImportResult, ImportRowError};
use shared::{EmailDomain, OrgKind, OrgSlug};
use std::collections::{HashMap, HashSet};

pub(crate) const COLUMNS: Columns = Columns {
    names: &["name", "external_id", "parent", "domain", "slug"],
    required: &["name", "external_id"],
    json_key: "tenants",
};

/// An org at or below the current org, as the import sees it.
#[derive(sqlx::FromRow, Clone)]
struct Known {
    id: String,
    name: String,
    slug: String,
    #[sqlx(try_from = "String")]
    kind: OrgKind,
    parent_id: Option<String>,
    email_domain: Option<String>,
}

impl Known {
    fn kind(&self) -> OrgKind {
        self.kind
    }
}

/// Where a row's tenant goes.
#[derive(Clone)]
enum Parent {
    Existing(String),
    /// Another row of this file, by index.
    Row(usize),
}

/// A row that creates a tenant, once checked.
struct NewTenant {
    id: String,
    name: String,
    slug: String,
    kind: OrgKind,
    parent_id: String,
    email_domain: Option<String>,
    external_id: String,
}

#[utoipa::path(post, path = "/api/v1/import/tenants", tag = "customers", params(("X-Org-Id" = Option<String>, Header, description = "org context")),
    request_body(content = String, content_type = "text/csv", description = "CSV with the columns name, external_id, parent, domain, slug (or JSON objects with the same keys). Rows are matched by external_id; all or nothing. Send `Accept: application/x-ndjson` for a stream of progress lines ending in the result."),
    responses((status = 200, body = ImportResult), (status = 400), (status = 403, description = "needs admin"),
        (status = 413, description = "over 32 MiB or over 100,000 rows; the message names the limit"),
        (status = 422, description = "bad rows, listed in `errors`; nothing was imported")))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn import(State(state): State<AppState>, ctx: OrgCtx, headers: HeaderMap, body: std::result::Result<Bytes, axum::extract::rejection::BytesRejection>) -> Result<Response> {
    ctx.admin()?;
    let body = super::import_body(body)?;
    let raw = COLUMNS.read(&headers, &body)?;
    super::check_row_count(raw.len())?;
    Ok(super::respond(&headers, move |progress| super::run(state, ctx, raw, Vec::new(), progress)).await)
}

/// What a checked tenant file will do.
#[derive(Default)]
pub(crate) struct Plan {
    new_tenants: Vec<NewTenant>,
    /// (org id, new name)
    renames: Vec<(String, String)>,
    pub unchanged: i64,
    pub rows: usize,
    /// Tenants imported before into this org, by external id.
    imported: HashMap<String, String>,
}

impl Plan {
    pub fn created(&self) -> i64 {
        self.new_tenants.len() as i64
    }

    pub fn renamed(&self) -> i64 {
        self.renames.len() as i64
    }

    /// The file's tenants by slug and by external id (new and already imported), so asset
    /// rows of the same import can name them.
    pub fn tenant_keys(&self) -> HashMap<String, String> {
        let mut keys = self.imported.clone();
        for t in &self.new_tenants {
            keys.insert(t.slug.clone(), t.id.clone());
            keys.insert(t.external_id.clone(), t.id.clone());
        }
        keys
    }

    pub fn summary(&self) -> String {
        let customers = self.new_tenants.iter().filter(|t| t.kind == OrgKind::Customer).count();
        format!(
            "imported {} tenant rows: {} created ({customers} customers, {} child tenants), {} renamed, {} unchanged",
            self.rows,
            self.new_tenants.len(),
            self.new_tenants.len() - customers,
            self.renames.len(),
            self.unchanged
        )
    }
}

/// Checks a tenant file against the current org's tree without writing anything.
pub(crate) async fn plan(state: &AppState, ctx: &OrgCtx, raw: &[RawRow], progress: &Progress) -> Result<(Plan, Vec<ImportRowError>)> {
    let total = raw.len();
    let scope = &ctx.org.id;
    // The current org and everything below it: an admin here administers all of it.
    let known: Vec<Known> = sqlx::query_as(
        "WITH RECURSIVE below (id) AS (SELECT id FROM orgs WHERE id = $1 \
           UNION SELECT o.id FROM orgs o JOIN below b ON o.parent_id = b.id) \
         SELECT id, name, slug, kind, parent_id, email_domain FROM orgs WHERE id IN (SELECT id FROM below)",
    )
    .bind(scope)
    .fetch_all(&state.db.pool)
    .await?;
    let by_id: HashMap<&str, &Known> = known.iter().map(|k| (k.id.as_str(), k)).collect();
    let by_slug: HashMap<&str, &Known> = known.iter().map(|k| (k.slug.as_str(), k)).collect();
    let imported: HashMap<String, String> =
        sqlx::query_as::<_, (String, String)>("SELECT external_id, org_id FROM org_external_ids WHERE scope_org_id = $1")
            .bind(scope)
            .fetch_all(&state.db.pool)
            .await?
            .into_iter()
            .filter(|(_, org)| by_id.contains_key(org.as_str()))
            .collect();
    let taken_slugs: HashSet<String> = sqlx::query_scalar("SELECT slug FROM orgs").fetch_all(&state.db.pool).await?.into_iter().collect();
    let taken_domains: HashSet<String> = sqlx::query_scalar::<_, Option<String>>("SELECT email_domain FROM orgs")
        .fetch_all(&state.db.pool)
        .await?
        .into_iter()
        .flatten()
        .collect();

    let mut errors = Vec::new();
    let mut bad = |row: i64, field: &str, message: String| errors.push(ImportRowError { row, field: field.into(), message });

    let get = |r: &RawRow, c: &str| COLUMNS.get(r, c).to_string();

    // First pass: fields on their own, and which row each external id is.
    let mut row_of_external: HashMap<String, usize> = HashMap::new();
    for (i, r) in raw.iter().enumerate() {
        let name = get(r, "name");
        if name.is_empty() || name.chars().count() > 100 {
            bad(r.row, "name", "must be 1 to 100 characters".into());
        }
        let external_id = get(r, "external_id");
        if external_id.is_empty() || external_id.chars().count() > 200 {
            bad(r.row, "external_id", "must be 1 to 200 characters".into());
        } else if let Some(&first) = row_of_external.get(&external_id) {
            bad(r.row, "external_id", format!("{external_id} appears twice (first at row {})", raw[first].row));
        } else {
            row_of_external.insert(external_id.clone(), i);
        }
        progress.tick("checking", i + 1, total * 2, 1000);
    }

    // Second pass: parents, kinds, slugs and domains, parents before children.
    let mut parent_of: Vec<Option<Parent>> = Vec::with_capacity(total);
    for r in raw {
        let reference = get(r, "parent");
        let parent = if reference.is_empty() {
            Some(Parent::Existing(scope.clone()))
        } else if let Some(&j) = row_of_external.get(&reference) {
            Some(Parent::Row(j))
        } else if let Some(org) = imported.get(&reference) {
            Some(Parent::Existing(org.clone()))
        } else if let Some(k) = by_slug.get(reference.to_ascii_lowercase().as_str()) {
            Some(Parent::Existing(k.id.clone()))
        } else {
            bad(r.row, "parent", format!("{reference} is not a row of this file, an imported tenant, or an org at or below {}", ctx.org.name));
            None
        };
        parent_of.push(parent);
    }
    let (order, in_cycle) = parents_first(&parent_of);
    for i in in_cycle {
        bad(raw[i].row, "parent", "the parents of this row form a cycle".into());
    }

    // Path lengths (org to root), to keep trees within the depth limit: the current org's is
    // known; an existing org's is counted up to it; a new row's is its parent's plus one.
    let base = ctx.path.nodes.len();
    let existing_len = |id: &str| {
        let (mut n, mut cursor) = (0, by_id.get(id));
        while let Some(k) = cursor {
            if k.id == *scope {
                break;
            }
            n += 1;
            cursor = k.parent_id.as_deref().and_then(|p| by_id.get(p));
        }
        base + n
    };
    let mut path_len: Vec<usize> = vec![0; total];
    let mut new_tenants: Vec<NewTenant> = Vec::new();
    // Per row: (id, kind, slug) of its tenant, existing or new, once decided.
    let mut resolved: Vec<Option<(String, OrgKind, String)>> = vec![None; total];
    let mut renames: Vec<(String, String, String)> = Vec::new();
    let mut unchanged = 0i64;
    let mut file_slugs: HashSet<String> = HashSet::new();
    let mut file_domains: HashSet<String> = HashSet::new();
    for (done, &i) in order.iter().enumerate() {
        progress.tick("checking", total + done + 1, total * 2, 1000);
        let r = &raw[i];
        let parent = match &parent_of[i] {
            Some(Parent::Existing(id)) => by_id.get(id.as_str()).map(|k| (k.id.clone(), k.kind(), k.slug.clone())),
            Some(Parent::Row(j)) => resolved[*j].clone(),
            None => None,
        };
        let Some((parent_id, parent_kind, parent_slug)) = parent else { continue };
        let parent_len = match &parent_of[i] {
            Some(Parent::Row(j)) => path_len[*j],
            _ => existing_len(&parent_id),
        };
        path_len[i] = parent_len + 1;
        let kind = if parent_kind == OrgKind::Msp { OrgKind::Customer } else { OrgKind::Child };
        let name = get(r, "name");
        let external_id = get(r, "external_id");
        let domain = get(r, "domain");
        if let Some(existing) = imported.get(&external_id).and_then(|id| by_id.get(id.as_str())) {
            if existing.parent_id.as_deref() != Some(parent_id.as_str()) {
                bad(r.row, "parent", format!("{} is already under another org; an import can't move it", existing.name));
            } else if !domain.is_empty() && existing.email_domain.as_deref() != Some(domain.to_ascii_lowercase().as_str()) {
                bad(r.row, "domain", "an email domain never changes".into());
            } else if existing.name != name {
                renames.push((existing.id.clone(), existing.name.clone(), name.clone()));
            } else {
                unchanged += 1;
            }
            resolved[i] = Some((existing.id.clone(), existing.kind(), existing.slug.clone()));
            continue;
        }
        let email_domain = match (kind, domain.is_empty()) {
            (OrgKind::Customer, true) => {
                bad(r.row, "domain", "is required for a customer".into());
                None
            }
            (OrgKind::Customer, false) => match EmailDomain::parse(&domain) {
                Ok(d) if taken_domains.contains(d.as_str()) || !file_domains.insert(d.as_str().to_string()) => {
                    bad(r.row, "domain", format!("{} is already taken", d.as_str()));
                    None
                }
                Ok(d) => Some(d.as_str().to_string()),
                Err(e) => {
                    bad(r.row, "domain", e.0);
                    None
                }
            },
            (_, false) => {
                bad(r.row, "domain", "a child tenant uses its parent's email domain".into());
                None
            }
            (_, true) => None,
        };
        let wanted = get(r, "slug");
        let slug = if wanted.is_empty() {
            let suffix = if kind == OrgKind::Customer { msp_slug(&by_id, &parent_id) } else { Some(parent_slug.clone()) };
            OrgSlug::suggest(&name, suffix.as_deref())
        } else {
            wanted
        };
        let slug = match OrgSlug::parse(&slug) {
            Ok(s) if taken_slugs.contains(s.as_str()) || !file_slugs.insert(s.as_str().to_string()) => {
                bad(r.row, "slug", format!("{} is already taken; add a slug column to choose another", s.as_str()));
                None
            }
            Ok(s) => Some(s.as_str().to_string()),
            Err(e) => {
                bad(r.row, "slug", e.0);
                None
            }
        };
        if path_len[i] > crate::tree_limits::MAX_PATH_NODES {
            bad(r.row, "parent", format!("would nest tenants more than {} levels below a customer", crate::tree_limits::MAX_CHILD_LEVELS));
        }
        let id = new_id();
        resolved[i] = Some((id.clone(), kind, slug.clone().unwrap_or_default()));
        new_tenants.push(NewTenant { id, name, slug: slug.unwrap_or_default(), kind, parent_id, email_domain, external_id });
    }

    let renames = renames.into_iter().map(|(id, _, name)| (id, name)).collect();
    Ok((Plan { new_tenants, renames, unchanged, rows: total, imported }, listed(errors)))
}

/// Writes a checked plan inside the import's transaction: parents before children.
pub(crate) async fn write(tx: &mut Tx, scope: &str, plan: &Plan, progress: &Progress) -> Result<()> {
    let now = now_ms();
    let changes = plan.new_tenants.len() + plan.renames.len();
    for (n, chunk) in plan.new_tenants.chunks(200).enumerate() {
        let mut sql = Sql::new("INSERT INTO orgs (id, name, slug, kind, parent_id, email_domain, status, created_at, updated_at) VALUES ");
        for (i, t) in chunk.iter().enumerate() {
            let now = sql.param(now);
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.in_list([Value::from(&t.id), Value::from(&t.name), Value::from(&t.slug), Value::from(t.kind.as_str()), Value::from(t.parent_id.clone()), Value::from(t.email_domain.clone())]);
            sql.push(&format!(", 'active', {now}, {now})"));
        }
        sql.query().execute(&mut **tx).await?;
        let mut sql = Sql::new("INSERT INTO org_external_ids (scope_org_id, external_id, org_id, created_at) VALUES ");
        for (i, t) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.row([Value::from(scope), Value::from(&t.external_id), Value::from(&t.id), Value::from(now)]);
        }
        sql.query().execute(&mut **tx).await?;
        // Each new tenant's counters row (the MSP's rollup counts it; it rolls up into its customer).
        crate::db::counters::refresh(tx, &chunk.iter().map(|t| t.id.as_str()).collect::<Vec<_>>()).await?;
        progress.report("writing", (n * 200 + chunk.len()).min(changes), changes);
    }
    for (id, name) in &plan.renames {
        sqlx::query("UPDATE orgs SET name = $1, updated_at = $2 WHERE id = $3").bind(name).bind(now).bind(id).execute(&mut **tx).await?;
    }
    progress.report("writing", changes, changes);
    Ok(())
}

/// The slug of the MSP at the top of `org_id`'s tree, as far as the import can see.
fn msp_slug(by_id: &HashMap<&str, &Known>, org_id: &str) -> Option<String> {
    let mut cursor = by_id.get(org_id);
    while let Some(k) = cursor {
        if k.kind() == OrgKind::Msp {
            return Some(k.slug.clone());
        }
        cursor = k.parent_id.as_deref().and_then(|p| by_id.get(p));
    }
    None
}

/// Row indexes ordered so a row's parent row comes first, and the rows left out because
/// their parents form a cycle (or descend from one).
fn parents_first(parent_of: &[Option<Parent>]) -> (Vec<usize>, Vec<usize>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Seen {
        No,
        OnWalk,
        Placed,
        Cyclic,
    }
    let mut seen = vec![Seen::No; parent_of.len()];
    let (mut order, mut cyclic) = (Vec::with_capacity(parent_of.len()), Vec::new());
    for start in 0..parent_of.len() {
        let mut walk = Vec::new();
        let mut i = start;
        let ends_in_cycle = loop {
            match seen[i] {
                Seen::Placed => break false,
                Seen::OnWalk | Seen::Cyclic => break true,
                Seen::No => {}
            }
            seen[i] = Seen::OnWalk;
            walk.push(i);
            match &parent_of[i] {
                Some(Parent::Row(j)) => i = *j,
                _ => break false,
            }
        };
        for &i in walk.iter().rev() {
            if ends_in_cycle {
                seen[i] = Seen::Cyclic;
                cyclic.push(i);
            } else {
                seen[i] = Seen::Placed;
                order.push(i);
            }
        }
    }
    (order, cyclic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_come_first_and_cycles_are_found() {
        let top = Some(Parent::Existing("root".into()));
        // 0 → 2 → 1 → root
        let (order, cyclic) = parents_first(&[Some(Parent::Row(2)), top.clone(), Some(Parent::Row(1))]);
        let pos = |i| order.iter().position(|x| *x == i).unwrap();
        assert!(pos(1) < pos(2) && pos(2) < pos(0));
        assert_eq!((order.len(), cyclic.len()), (3, 0));
        // 0 ↔ 1 is a cycle, 2 hangs below it, 3 is fine.
        let (order, mut cyclic) = parents_first(&[Some(Parent::Row(1)), Some(Parent::Row(0)), Some(Parent::Row(0)), top]);
        cyclic.sort();
        assert_eq!((order, cyclic), (vec![3], vec![0, 1, 2]));
    }
}
