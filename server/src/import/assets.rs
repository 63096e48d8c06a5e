//! Importing assets: `POST /api/v1/import`. Columns / JSON keys:
//!
//! | column        | meaning |
//! |---------------|---------|
//! | `kind`        | `computer`, `monitored_system` or `gateway` (required) |
//! | `name`        | 1–200 characters (required) |
//! | `external_id` | the asset's id in the source system (required): the import key |
//! | `group`       | group name in the tenant; created if missing; empty = no group |
//! | `os`, `address` | optional text |
//! | `tenant`      | optional slug of the current org or a tenant below it; empty = current org |
//!
//! A row whose `external_id` already exists in its tenant updates that asset.
use crate::http::context::{OrgCtx, org_for};
use crate::db::sql::{Sql, Value};
use crate::db::{Tx, new_id, now_ms};
use super::{Columns, Progress, RawRow, listed};
use crate::http::error::{ApiError, Result};
use crate::http::state::AppState;
use shared::api::ImportRowError;
use shared::AssetKind;
use std::collections::HashMap;

pub(crate) const COLUMNS: Columns = Columns {
    names: &["kind", "name", "external_id", "group", "os", "address", "tenant"],
    required: &["kind", "name", "external_id"],
    json_key: "assets",
};

/// A checked row, ready to write.
pub(crate) struct Row {
    org_id: String,
    kind: AssetKind,
    name: String,
    external_id: String,
    group: Option<String>,
    os: Option<String>,
    address: Option<String>,
}

/// Checks every row, resolving `tenant` slugs to orgs the caller may write to. `new_tenants`
/// names tenants created by the same import (by slug and by external id).
pub(crate) async fn check_rows(
    state: &AppState,
    ctx: &OrgCtx,
    raw: &[RawRow],
    progress: &Progress,
    new_tenants: &HashMap<String, String>,
) -> Result<(Vec<Row>, Vec<ImportRowError>)> {
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut tenants: HashMap<String, Option<String>> = HashMap::new();
    let mut seen: HashMap<(String, String), i64> = HashMap::new();
    for (done, r) in raw.iter().enumerate() {
        progress.tick("checking", done + 1, raw.len(), 1000);
        let get = |column: &str| COLUMNS.get(r, column);
        let mut bad = |field: &str, message: String| {
            errors.push(ImportRowError { row: r.row, field: field.to_string(), message });
        };
        let kind = get("kind").parse::<AssetKind>().map_err(|e| bad("kind", e)).ok();
        let name = get("name");
        if name.is_empty() || name.chars().count() > 200 {
            bad("name", "must be 1 to 200 characters".into());
        }
        let external_id = get("external_id");
        if external_id.is_empty() || external_id.chars().count() > 200 {
            bad("external_id", "must be 1 to 200 characters".into());
        }
        for (field, max) in [("group", 100), ("os", 200), ("address", 200)] {
            if get(field).chars().count() > max {
                bad(field, format!("must be at most {max} characters"));
            }
        }
        let slug = get("tenant").to_ascii_lowercase();
        let org_id = if slug.is_empty() || slug == ctx.org.slug {
            Some(ctx.org.id.clone())
        } else if let Some(id) = new_tenants.get(&slug).or_else(|| new_tenants.get(get("tenant"))) {
            Some(id.clone())
        } else {
            if !tenants.contains_key(&slug) {
                tenants.insert(slug.clone(), tenant_below(state, ctx, &slug).await?);
            }
            tenants[&slug].clone()
        };
        if org_id.is_none() {
            bad("tenant", format!("{slug} is not this org or a tenant below it that you may change"));
        }
        let (Some(kind), Some(org_id)) = (kind, org_id) else { continue };
        if let Some(first) = seen.insert((org_id.clone(), external_id.to_string()), r.row) {
            bad("external_id", format!("{external_id} appears twice (first at row {first})"));
            continue;
        }
        let opt = |v: &str| (!v.is_empty()).then(|| v.to_string());
        rows.push(Row {
            org_id,
            kind,
            name: name.to_string(),
            external_id: external_id.to_string(),
            group: opt(get("group")),
            os: opt(get("os")),
            address: opt(get("address")),
        });
    }
    Ok((rows, listed(errors)))
}

/// A tenant named by slug, if it is below the current org and the caller may change it there.
async fn tenant_below(state: &AppState, ctx: &OrgCtx, slug: &str) -> Result<Option<String>> {
    let id: Option<String> = sqlx::query_scalar("SELECT id FROM orgs WHERE slug = $1").bind(slug).fetch_optional(&state.db.pool).await?;
    let Some(id) = id else { return Ok(None) };
    match org_for(state, &ctx.caller, &id).await {
        Ok(t) if t.path.contains(&ctx.org.id) && t.member().is_ok() => Ok(Some(id)),
        Ok(_) | Err(ApiError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// An asset already in the tenant, keyed by its external id.
#[derive(sqlx::FromRow)]
struct Existing {
    external_id: String,
    id: String,
    kind: String,
    name: String,
    group_id: Option<String>,
    os: Option<String>,
    address: Option<String>,
}

impl Existing {
    /// Whether importing `row` (into `group_id`) would change nothing.
    fn same_as(&self, row: &Row, group_id: &Option<String>) -> bool {
        self.kind == row.kind.as_str() && self.name == row.name && self.group_id == *group_id && self.os == row.os && self.address == row.address
    }
}

#[derive(Default)]
pub(crate) struct Counts {
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub groups_created: i64,
    pub tenants: usize,
}

impl Counts {
    pub fn changed(&self) -> bool {
        self.created + self.updated + self.groups_created > 0
    }

    fn done(&self) -> usize {
        (self.created + self.updated + self.unchanged) as usize
    }
}

/// Writes one tenant's rows: updates what differs, inserts what is new (in batches).
async fn write_tenant(tx: &mut Tx, org_id: &str, rows: &[&Row], counts: &mut Counts, progress: &Progress, total: usize) -> Result<()> {
    let now = now_ms();
    let mut groups: HashMap<String, String> = sqlx::query_as::<_, (String, String)>("SELECT name, id FROM asset_groups WHERE org_id = $1")
        .bind(org_id)
        .fetch_all(&mut **tx)
        .await?
        .into_iter()
        .collect();
    let existing: HashMap<String, Existing> = sqlx::query_as::<_, Existing>(
        "SELECT external_id, id, kind, name, group_id, os, address FROM assets WHERE org_id = $1 AND external_id IS NOT NULL",
    )
    .bind(org_id)
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(|asset| (asset.external_id.clone(), asset))
    .collect();
    let mut inserts: Vec<(&Row, Option<String>)> = Vec::new();
    for row in rows {
        let group_id = match &row.group {
            None => None,
            Some(name) => Some(match groups.get(name) {
                Some(id) => id.clone(),
                None => {
                    let id = new_id();
                    sqlx::query("INSERT INTO asset_groups (id, org_id, name, created_at) VALUES ($1, $2, $3, $4)")
                        .bind(&id)
                        .bind(org_id)
                        .bind(name)
                        .bind(now)
                        .execute(&mut **tx)
                        .await?;
                    counts.groups_created += 1;
                    groups.insert(name.clone(), id.clone());
                    id
                }
            }),
        };
        match existing.get(&row.external_id) {
            Some(asset) => {
                if asset.same_as(row, &group_id) {
                    counts.unchanged += 1;
                    progress.tick("writing", counts.done(), total, 500);
                    continue;
                }
                sqlx::query("UPDATE assets SET kind = $1, name = $2, group_id = $3, os = $4, address = $5, updated_at = $6 WHERE org_id = $7 AND id = $8")
                    .bind(row.kind.as_str())
                    .bind(&row.name)
                    .bind(&group_id)
                    .bind(&row.os)
                    .bind(&row.address)
                    .bind(now)
                    .bind(org_id)
                    .bind(&asset.id)
                    .execute(&mut **tx)
                    .await?;
                counts.updated += 1;
                progress.tick("writing", counts.done(), total, 500);
            }
            None => inserts.push((row, group_id)),
        }
    }
    // Multi-row inserts: far fewer round trips, and well under both engines' bind limits.
    for chunk in inserts.chunks(200) {
        let mut sql = Sql::new(
            "INSERT INTO assets (id, org_id, kind, name, group_id, os, address, external_id, online, open_alerts, created_at, updated_at) VALUES ",
        );
        for (i, (row, group_id)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.in_list([
                Value::from(new_id()),
                Value::from(org_id),
                Value::from(row.kind.as_str()),
                Value::from(&row.name),
                Value::from(group_id.clone()),
                Value::from(row.os.clone()),
                Value::from(row.address.clone()),
                Value::from(row.external_id.clone()),
            ]);
            let now = sql.param(now);
            sql.push(&format!(", 0, 0, {now}, {now})"));
        }
        sql.query().execute(&mut **tx).await?;
        counts.created += chunk.len() as i64;
        progress.report("writing", counts.done(), total);
    }
    Ok(())
}

/// Writes checked rows, tenant by tenant, inside the import's transaction.
pub(crate) async fn write(tx: &mut Tx, rows: &[Row], progress: &Progress) -> Result<Counts> {
    let mut by_org: Vec<(&str, Vec<&Row>)> = Vec::new();
    for row in rows {
        match by_org.iter_mut().find(|(o, _)| *o == row.org_id) {
            Some((_, list)) => list.push(row),
            None => by_org.push((&row.org_id, vec![row])),
        }
    }
    let mut counts = Counts { tenants: by_org.len(), ..Counts::default() };
    for (org_id, list) in &by_org {
        write_tenant(tx, org_id, list, &mut counts, progress, rows.len()).await?;
    }
    Ok(counts)
}

/// The tenants the rows write to (their counters are recounted after the write).
pub(crate) fn tenants(rows: &[Row]) -> Vec<&str> {
    rows.iter().map(|r| r.org_id.as_str()).collect()
}

pub(crate) fn summary(rows: usize, counts: &Counts) -> String {
    format!(
        "imported {} into {}: {} created, {} updated, {} unchanged, {} created",
        shared::plural(rows as i64, "asset row", "asset rows"),
        shared::plural(counts.tenants as i64, "tenant", "tenants"),
        counts.created, counts.updated, counts.unchanged,
        shared::plural(counts.groups_created as i64, "group", "groups")
    )
}
