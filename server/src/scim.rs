//! SCIM 2.0 provisioning per org (RFC 7643/7644), so a customer's directory (Entra ID, Okta…)
//! creates, changes, deactivates and removes its people in Tenantry.
//!
//! - `GET/POST /api/v1/scim-tokens`, `DELETE /api/v1/scim-tokens/{id}`: an org admin's bearer
//!   tokens for the directory (`tscim_<random>`, shown once, stored as SHA-256).
//! - `/scim/v2/Users` (list with `filter=userName eq "…"` or `externalId eq "…"`,
//!   `startIndex`/`count`; create; get; replace; patch; delete) over the people *homed* in the
//!   token's org; `ServiceProviderConfig`, `ResourceTypes`, `Schemas` (announcing `User` with
//!   `userName`, `displayName`, `active`, plus `externalId`).
//!
//! A `userName` is the person's email and must be inside the org's domain — the invitations'
//! rule, [`parse_invitee`]. `active: false` disables the user and ends their sessions and
//! tokens. Every change is audited with the SCIM token as the actor (`scim:<token name>`).
//! Errors answer in SCIM's own body (`urn:ietf:params:scim:api:messages:2.0:Error`).
use utoipa_axum::{router::OpenApiRouter, routes};
use crate::access::{OrgPath, load_path};
use crate::audit::{self, Actor, Event};
use crate::auth::{hash_secret, random_secret, session};
use crate::db::{Tx, new_id, now_ms, parse_uuid, rfc3339};
use crate::http::context::{OrgCtx, request_meta};
use crate::http::error::{ApiError, Result};
use crate::http::extract::{Json, Path};
use crate::http::state::AppState;
use crate::invitations::parse_invitee;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::{Map, Value, json};
use shared::UserStatus;
use shared::scim::{CreateScimToken, ScimToken, ScimTokenCreated};

const TOKEN_PREFIX: &str = "tscim_";
const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The most users one list answer carries.
const MAX_COUNT: i64 = 200;
/// The largest SCIM request body read.
const BODY_LIMIT: usize = 64 * 1024;
/// The schemas `/Schemas` publishes: `User` (the attributes kept here) and the three meta
/// schemas, generated from the `scim2-models` definitions of RFC 7643.
const SCHEMAS_JSON: &str = include_str!("scim_schemas.json");

/// Attributes of the core User schema (and its enterprise extension) that directories send but
/// Tenantry keeps no column for: accepted and ignored, so a directory's default mapping works.
const IGNORED_ATTRIBUTES: &[&str] = &[
    "name", "nickname", "profileurl", "title", "usertype", "preferredlanguage", "locale", "timezone", "password", "emails",
    "phonenumbers", "ims", "photos", "addresses", "groups", "entitlements", "roles", "x509certificates",
];

/// `/api/v1/scim-tokens…`: part of the JSON API (its envelope, idempotency, CSRF).
pub fn router() -> OpenApiRouter<crate::http::state::AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// `/scim/v2/…`: SCIM's own protocol, beside the API (its errors are SCIM error bodies, not
/// the API's envelope).
pub fn protocol_router() -> Router<AppState> {
    Router::new()
        .route("/scim/v2/ServiceProviderConfig", get(service_provider_config))
        .route("/scim/v2/ResourceTypes", get(resource_types))
        .route("/scim/v2/ResourceTypes/{id}", get(resource_type))
        .route("/scim/v2/Schemas", get(schemas))
        .route("/scim/v2/Schemas/{id}", get(schema))
        .route("/scim/v2/Users", get(list_users).post(create_user))
        .route("/scim/v2/Users/{id}", get(get_user).put(replace_user).patch(patch_user).delete(delete_user))
        .route("/scim/v2/.search", post(|| async { ScimError::new(501, None, "searching all resource types at once is not supported; use /Users") }))
        .route("/scim/v2/{*rest}", any(|| async { ScimError::new(404, None, "no such SCIM endpoint") }))
}

// ---------------------------------------------------------------------------------------
// SCIM answers

fn scim(status: StatusCode, body: Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/scim+json"));
    r
}

/// An error in SCIM's body: `{"schemas": [Error], "status": "404", "scimType"?, "detail"}`.
#[derive(Debug)]
pub struct ScimError {
    status: u16,
    scim_type: Option<&'static str>,
    detail: String,
}

impl ScimError {
    fn new(status: u16, scim_type: Option<&'static str>, detail: impl Into<String>) -> ScimError {
        ScimError { status, scim_type, detail: detail.into() }
    }
    fn invalid(detail: impl Into<String>) -> ScimError {
        ScimError::new(400, Some("invalidValue"), detail)
    }
    fn not_found() -> ScimError {
        ScimError::new(404, None, "no such user in this organization")
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({"schemas": [ERROR_SCHEMA], "status": self.status.to_string(), "detail": self.detail});
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        let mut r = scim(StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), body);
        if self.status == 503 {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(crate::http::error::RETRY_AFTER_SECS));
        }
        r
    }
}

impl From<ApiError> for ScimError {
    fn from(e: ApiError) -> ScimError {
        let detail = e.detail(); // logs internal errors; never sends them
        ScimError::new(e.code().status(), None, detail.message)
    }
}

impl From<sqlx::Error> for ScimError {
    fn from(e: sqlx::Error) -> ScimError {
        ScimError::from(ApiError::from(e))
    }
}

type ScimResult<T> = std::result::Result<T, ScimError>;

/// `scheme://host/scim/v2` for `meta.location` (the host only when it is one of ours).
async fn base_url(state: &AppState, parts: &Parts) -> ScimResult<String> {
    Ok(format!("{}/scim/v2", crate::auth::handoff::origin_of(state, &parts.headers).await?))
}

// ---------------------------------------------------------------------------------------
// Authentication: the org's SCIM token

/// A request made with a live SCIM token: the org it provisions, and the token as the actor.
pub struct ScimCaller {
    org_id: String,
    path: OrgPath,
    actor: Actor,
    base_url: String,
}

impl FromRequestParts<AppState> for ScimCaller {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ScimResult<Self> {
        let unauthorized = || ScimError::new(401, None, "a live SCIM token is required (Authorization: Bearer tscim_…)");
        let raw = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .filter(|t| t.starts_with(TOKEN_PREFIX))
            .ok_or_else(unauthorized)?;
        let row: Option<(String, String, String, Option<i64>)> =
            sqlx::query_as("SELECT id, org_id, name, last_used_at FROM scim_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
                .bind(hash_secret(raw))
                .fetch_optional(&state.db.pool)
                .await?;
        let (id, org_id, name, last_used) = row.ok_or_else(unauthorized)?;
        let mut conn = state.db.pool.acquire().await?;
        let path = load_path(&mut conn, &org_id).await?.ok_or_else(unauthorized)?;
        drop(conn);
        // A suspended org's tokens stop, like its people's.
        if path.is_suspended() {
            return Err(unauthorized());
        }
        let now = now_ms();
        if last_used.is_none_or(|t| now - t > 60_000) {
            sqlx::query("UPDATE scim_tokens SET last_used_at = $1 WHERE id = $2").bind(now).bind(&id).execute(&state.db.pool).await?;
        }
        let (request_id, ip) = request_meta(parts);
        let actor = Actor { user_id: None, email: Some(format!("scim:{name}")), home_org_id: Some(org_id.clone()), request_id: Some(request_id), ip: Some(ip), note: None };
        let base_url = base_url(state, parts).await?;
        Ok(ScimCaller { org_id, path, actor, base_url })
    }
}

// ---------------------------------------------------------------------------------------
// /api/v1/scim-tokens

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: String,
    name: String,
    prefix: String,
    created_by: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/scim-tokens", tag = "sso",
    params(("X-Org-Id" = Option<String>, Header, description = "the org")),
    responses((status = 200, body = Vec<ScimToken>, description = "the org's live SCIM tokens (never their secrets)"), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn list_tokens(State(state): State<AppState>, ctx: OrgCtx) -> Result<Json<Vec<ScimToken>>> {
    let admin = ctx.admin()?;
    let rows: Vec<TokenRow> = sqlx::query_as(
        "SELECT id, name, prefix, created_by, created_at, last_used_at FROM scim_tokens WHERE org_id = $1 AND revoked_at IS NULL ORDER BY created_at",
    )
    .bind(admin.org_id())
    .fetch_all(&state.db.pool)
    .await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| ScimToken { id: parse_uuid(&r.id), name: r.name, prefix: r.prefix, created_by: r.created_by, created_at: rfc3339(r.created_at), last_used_at: r.last_used_at.map(rfc3339) })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/scim-tokens", tag = "sso", request_body = CreateScimToken,
    params(("X-Org-Id" = Option<String>, Header, description = "the org")),
    responses((status = 201, body = ScimTokenCreated, description = "the token, shown this once, and the SCIM base URL"), (status = 403), (status = 404), (status = 422)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn create_token(State(state): State<AppState>, parts: Parts, ctx: OrgCtx, Json(body): Json<CreateScimToken>) -> Result<(StatusCode, Json<ScimTokenCreated>)> {
    let admin = ctx.admin()?;
    let name = body.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::field("name", "must be 1 to 100 characters"));
    }
    let id = new_id();
    let token = format!("{TOKEN_PREFIX}{}", random_secret());
    let now = now_ms();
    let created_by = admin.caller().user.email.clone();
    let mut tx = audit::begin(&state.db).await?;
    sqlx::query("INSERT INTO scim_tokens (id, org_id, name, token_hash, prefix, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&id)
        .bind(admin.org_id())
        .bind(&name)
        .bind(hash_secret(&token))
        .bind(&token[..TOKEN_PREFIX.len() + 6])
        .bind(&created_by)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(admin.org_id()),
        action: "scim_token.create",
        object_type: "scim_token",
        object_id: Some(&id),
        summary: format!("created the SCIM token \"{name}\""),
    })
    .await?;
    tx.commit().await?;
    let base_url = format!("{}/scim/v2", crate::auth::handoff::origin_of(&state, &parts.headers).await?);
    Ok((StatusCode::CREATED, Json(ScimTokenCreated { id: parse_uuid(&id), name, token, base_url, created_at: rfc3339(now) })))
}

#[utoipa::path(delete, path = "/api/v1/scim-tokens/{id}", tag = "sso",
    params(("id" = String, Path), ("X-Org-Id" = Option<String>, Header, description = "the org")),
    responses((status = 204, description = "revoked: the directory's next request is refused"), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(org = %ctx.org.id))]
pub async fn revoke_token(State(state): State<AppState>, ctx: OrgCtx, Path(id): Path<String>) -> Result<StatusCode> {
    let Ok(id) = uuid::Uuid::parse_str(&id) else { return Err(ApiError::NotFound) };
    let id = id.to_string();
    let exists: Option<String> = sqlx::query_scalar("SELECT name FROM scim_tokens WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL")
        .bind(ctx.org_id())
        .bind(&id)
        .fetch_optional(&state.db.pool)
        .await?;
    let name = exists.ok_or(ApiError::NotFound)?;
    let admin = ctx.admin()?;
    let mut tx = audit::begin(&state.db).await?;
    let done = sqlx::query("UPDATE scim_tokens SET revoked_at = $1 WHERE org_id = $2 AND id = $3 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(admin.org_id())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::NotFound);
    }
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(admin.org_id()),
        action: "scim_token.revoke",
        object_type: "scim_token",
        object_id: Some(&id),
        summary: format!("revoked the SCIM token \"{name}\""),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------
// Discovery

fn published_schemas() -> Vec<Value> {
    serde_json::from_str(SCHEMAS_JSON).expect("scim_schemas.json is valid JSON")
}

fn with_meta(mut v: Value, resource_type: &str, location: String) -> Value {
    v["meta"] = json!({"resourceType": resource_type, "location": location});
    v
}

fn list(resources: Vec<Value>) -> Value {
    json!({"schemas": [LIST_SCHEMA], "totalResults": resources.len(), "startIndex": 1, "itemsPerPage": resources.len(), "Resources": resources})
}

async fn service_provider_config(State(state): State<AppState>, parts: Parts) -> ScimResult<Response> {
    let base = base_url(&state, &parts).await?;
    Ok(scim(StatusCode::OK, json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_COUNT},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "SCIM token",
            "description": "A bearer token an admin of the organization creates in Tenantry (Single sign-on page, or POST /api/v1/scim-tokens)",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })))
}

fn user_resource_type(base: &str) -> Value {
    with_meta(
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User", "name": "User", "endpoint": "/Users",
            "description": "People whose home is the token's organization",
            "schema": USER_SCHEMA,
        }),
        "ResourceType",
        format!("{base}/ResourceTypes/User"),
    )
}

async fn resource_types(State(state): State<AppState>, parts: Parts) -> ScimResult<Response> {
    let base = base_url(&state, &parts).await?;
    Ok(scim(StatusCode::OK, list(vec![user_resource_type(&base)])))
}

async fn resource_type(State(state): State<AppState>, parts: Parts, axum::extract::Path(id): axum::extract::Path<String>) -> ScimResult<Response> {
    let base = base_url(&state, &parts).await?;
    if id != "User" {
        return Err(ScimError::new(404, None, format!("no resource type {id}")));
    }
    Ok(scim(StatusCode::OK, user_resource_type(&base)))
}

fn schema_with_meta(s: Value, base: &str) -> Value {
    let id = s["id"].as_str().unwrap_or_default().to_string();
    with_meta(s, "Schema", format!("{base}/Schemas/{id}"))
}

async fn schemas(State(state): State<AppState>, parts: Parts) -> ScimResult<Response> {
    let base = base_url(&state, &parts).await?;
    Ok(scim(StatusCode::OK, list(published_schemas().into_iter().map(|s| schema_with_meta(s, &base)).collect())))
}

async fn schema(State(state): State<AppState>, parts: Parts, axum::extract::Path(id): axum::extract::Path<String>) -> ScimResult<Response> {
    let base = base_url(&state, &parts).await?;
    let found = published_schemas().into_iter().find(|s| s["id"] == id.as_str());
    found.map(|s| scim(StatusCode::OK, schema_with_meta(s, &base))).ok_or_else(|| ScimError::new(404, None, format!("no schema {id}")))
}

// ---------------------------------------------------------------------------------------
// Users

/// A user as SCIM sees it.
#[derive(sqlx::FromRow, Clone)]
struct UserRow {
    id: String,
    email: String,
    name: String,
    status: String,
    created_at: i64,
    /// Set when the directory has written the user (then its fields below count).
    scim_user: Option<String>,
    external_id: Option<String>,
    display_name: Option<String>,
    active_assigned: Option<i64>,
    updated_at: Option<i64>,
}

const USER_SQL: &str = "SELECT u.id, u.email, u.name, u.status, u.created_at, s.user_id AS scim_user, s.external_id, s.display_name, s.active_assigned, s.updated_at \
     FROM users u LEFT JOIN scim_users s ON s.user_id = u.id WHERE u.home_org_id = $1";

/// The attributes SCIM can change, as they are now.
#[derive(Clone, Debug, PartialEq)]
struct Attrs {
    user_name: String,
    display_name: Option<String>,
    /// `None`: not assigned (the user is active).
    active: Option<bool>,
    external_id: Option<String>,
}

impl UserRow {
    fn attrs(&self) -> Attrs {
        let active = self.status == "active";
        match self.scim_user {
            Some(_) => Attrs {
                user_name: self.email.clone(),
                display_name: self.display_name.clone(),
                active: (self.active_assigned != Some(0)).then_some(active),
                external_id: self.external_id.clone(),
            },
            // Not written by the directory yet: what Tenantry knows.
            None => Attrs { user_name: self.email.clone(), display_name: Some(self.name.clone()), active: Some(active), external_id: None },
        }
    }

    fn to_scim(&self, base: &str) -> Value {
        let a = self.attrs();
        let mut v = json!({
            "schemas": [USER_SCHEMA],
            "id": self.id,
            "userName": a.user_name,
            "meta": {
                "resourceType": "User",
                "created": rfc3339(self.created_at),
                "lastModified": rfc3339(self.updated_at.unwrap_or(self.created_at)),
                "location": format!("{base}/Users/{}", self.id),
            },
        });
        if let Some(d) = a.display_name {
            v["displayName"] = json!(d);
        }
        if let Some(active) = a.active {
            v["active"] = json!(active);
        }
        if let Some(x) = a.external_id {
            v["externalId"] = json!(x);
        }
        v
    }
}

async fn load_user(conn: &mut sqlx::AnyConnection, org_id: &str, id: &str) -> ScimResult<UserRow> {
    let Ok(id) = uuid::Uuid::parse_str(id) else { return Err(ScimError::not_found()) };
    let row: Option<UserRow> = sqlx::query_as(&format!("{USER_SQL} AND u.id = $2")).bind(org_id).bind(id.to_string()).fetch_optional(&mut *conn).await?;
    row.ok_or_else(ScimError::not_found)
}

/// `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5): names, case-insensitive, with or
/// without the schema URN. `id` and `schemas` always stay.
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Projection {
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

fn attribute_key(raw: &str) -> String {
    let raw = raw.trim();
    let short = if raw.len() > USER_SCHEMA.len() && raw[..USER_SCHEMA.len()].eq_ignore_ascii_case(USER_SCHEMA) { &raw[USER_SCHEMA.len() + 1..] } else { raw };
    short.to_ascii_lowercase()
}

fn project(mut v: Value, p: &Projection) -> Value {
    let names = |s: &Option<String>| s.as_deref().map(|s| s.split(',').map(attribute_key).filter(|n| !n.is_empty()).collect::<Vec<_>>());
    if let Some(obj) = v.as_object_mut() {
        if let Some(keep) = names(&p.attributes) {
            obj.retain(|k, _| k == "id" || k == "schemas" || keep.contains(&k.to_ascii_lowercase()));
        } else if let Some(drop) = names(&p.excluded_attributes) {
            obj.retain(|k, _| k == "id" || k == "schemas" || !drop.contains(&k.to_ascii_lowercase()));
        }
    }
    v
}

/// `userName eq "x"` / `externalId eq "x"` (attribute names case-insensitive, URN allowed).
fn parse_filter(filter: &str) -> ScimResult<(&'static str, String)> {
    let bad = || ScimError::new(400, Some("invalidFilter"), "only `userName eq \"…\"` and `externalId eq \"…\"` filters are supported");
    let filter = filter.trim();
    let (attr, rest) = filter.split_once(char::is_whitespace).ok_or_else(bad)?;
    let (op, value) = rest.trim_start().split_once(char::is_whitespace).ok_or_else(bad)?;
    if !op.eq_ignore_ascii_case("eq") {
        return Err(bad());
    }
    let value: String = serde_json::from_str(value.trim()).map_err(|_| bad())?;
    match attribute_key(attr).as_str() {
        "username" => Ok(("u.email", value.trim().to_ascii_lowercase())),
        "externalid" => Ok(("s.external_id", value)),
        _ => Err(bad()),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ListParams {
    filter: Option<String>,
    start_index: Option<String>,
    count: Option<String>,
    #[serde(flatten)]
    projection: Projection,
}

async fn list_users(State(state): State<AppState>, caller: ScimCaller, Query(q): Query<ListParams>) -> ScimResult<Response> {
    let number = |name: &str, v: &Option<String>, default: i64| -> ScimResult<i64> {
        match v.as_deref().map(str::trim) {
            None | Some("") => Ok(default),
            Some(s) => s.parse::<i64>().map_err(|_| ScimError::invalid(format!("{name} must be a whole number"))),
        }
    };
    // RFC 7644 §3.4.2.4: below 1 counts as 1; a negative count as 0; above the limit, the limit.
    let start = number("startIndex", &q.start_index, 1)?.clamp(1, i64::MAX / 2);
    let count = number("count", &q.count, 100)?.clamp(0, MAX_COUNT);
    let filter = q.filter.as_deref().filter(|f| !f.trim().is_empty()).map(parse_filter).transpose()?;
    let (clause, value) = match &filter {
        Some((column, value)) => (format!(" AND {column} = $2"), Some(value.clone())),
        None => (String::new(), None),
    };
    let mut conn = state.db.pool.acquire().await?;
    let total_sql = format!("SELECT COUNT(*) FROM users u LEFT JOIN scim_users s ON s.user_id = u.id WHERE u.home_org_id = $1{clause}");
    let mut total = sqlx::query_scalar::<_, i64>(&total_sql).bind(&caller.org_id);
    if let Some(v) = &value {
        total = total.bind(v);
    }
    let total = total.fetch_one(&mut *conn).await?;
    let n = if value.is_some() { 3 } else { 2 };
    let page_sql = format!("{USER_SQL}{clause} ORDER BY u.created_at, u.id LIMIT ${n} OFFSET ${}", n + 1);
    let mut page = sqlx::query_as::<_, UserRow>(&page_sql).bind(&caller.org_id);
    if let Some(v) = &value {
        page = page.bind(v);
    }
    let rows = page.bind(count).bind(start - 1).fetch_all(&mut *conn).await?;
    let resources: Vec<Value> = rows.iter().map(|r| project(r.to_scim(&caller.base_url), &q.projection)).collect();
    Ok(scim(StatusCode::OK, json!({"schemas": [LIST_SCHEMA], "totalResults": total, "startIndex": start, "itemsPerPage": resources.len(), "Resources": resources})))
}

async fn get_user(State(state): State<AppState>, caller: ScimCaller, axum::extract::Path(id): axum::extract::Path<String>, Query(p): Query<Projection>) -> ScimResult<Response> {
    let mut conn = state.db.pool.acquire().await?;
    let row = load_user(&mut conn, &caller.org_id, &id).await?;
    Ok(scim(StatusCode::OK, project(row.to_scim(&caller.base_url), &p)))
}

/// The JSON body of a SCIM request (any JSON content type; SCIM clients send
/// `application/scim+json`).
fn body_object(body: &Bytes) -> ScimResult<Map<String, Value>> {
    if body.len() > BODY_LIMIT {
        return Err(ScimError::new(413, None, format!("the body is larger than {BODY_LIMIT} bytes")));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(ScimError::new(400, Some("invalidSyntax"), "the body must be a JSON object")),
    }
}

fn string_value(name: &str, v: &Value) -> ScimResult<Option<String>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.chars().count() <= 255 && !s.chars().any(char::is_control) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
        Value::String(_) => Err(ScimError::invalid(format!("{name} must be at most 255 characters, without control characters"))),
        _ => Err(ScimError::invalid(format!("{name} must be a string"))),
    }
}

/// Booleans; some directories (Entra ID) send them as the strings "True"/"False".
fn bool_value(v: &Value) -> ScimResult<Option<bool>> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        _ => Err(ScimError::invalid("active must be true or false")),
    }
}

/// Sets one attribute (`key` as [`attribute_key`] makes it) from a request value.
fn set_attribute(a: &mut Attrs, key: &str, v: &Value) -> ScimResult<()> {
    match key {
        "username" => a.user_name = string_value("userName", v)?.ok_or_else(|| ScimError::invalid("userName is required"))?,
        "displayname" => a.display_name = string_value("displayName", v)?,
        "active" => a.active = bool_value(v)?,
        "externalid" => a.external_id = string_value("externalId", v)?,
        "schemas" | "id" | "meta" => {}
        k if IGNORED_ATTRIBUTES.contains(&k.split(['.', '[']).next().unwrap_or(k)) || k.starts_with("urn:") => {}
        k => return Err(ScimError::new(400, Some("invalidPath"), format!("unknown attribute {k}"))),
    }
    Ok(())
}

/// A whole resource as sent with POST or PUT: what it doesn't name is unassigned.
fn attrs_from_resource(body: &Map<String, Value>) -> ScimResult<Attrs> {
    let mut a = Attrs { user_name: String::new(), display_name: None, active: None, external_id: None };
    let mut named = false;
    for (k, v) in body {
        let key = attribute_key(k);
        named |= key == "username";
        set_attribute(&mut a, &key, v)?;
    }
    if !named {
        return Err(ScimError::invalid("userName is required"));
    }
    Ok(a)
}

/// RFC 7644 §3.5.2: `add`/`replace` with a path or with an object of attributes, `remove`
/// with a path.
fn apply_patch(current: &Attrs, body: &Map<String, Value>) -> ScimResult<Attrs> {
    let schemas_ok = body.get("schemas").and_then(Value::as_array).is_some_and(|s| s.iter().any(|x| x == PATCH_SCHEMA));
    if !schemas_ok {
        return Err(ScimError::invalid(format!("schemas must name {PATCH_SCHEMA}")));
    }
    let ops = body
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Operations"))
        .and_then(|(_, v)| v.as_array())
        .filter(|ops| !ops.is_empty() && ops.len() <= 100)
        .ok_or_else(|| ScimError::invalid("Operations must list 1 to 100 operations"))?;
    let mut a = current.clone();
    for op in ops {
        let op = op.as_object().ok_or_else(|| ScimError::invalid("each operation must be an object"))?;
        let get = |name: &str| op.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v);
        let kind = get("op").and_then(Value::as_str).unwrap_or("").to_ascii_lowercase();
        let path = get("path").and_then(Value::as_str).map(attribute_key).filter(|p| !p.is_empty());
        let value = get("value").cloned().unwrap_or(Value::Null);
        match (kind.as_str(), path) {
            ("add" | "replace", Some(path)) => set_attribute(&mut a, &path, &value)?,
            ("add" | "replace", None) => {
                let Value::Object(values) = value else { return Err(ScimError::new(400, Some("invalidValue"), "without a path, value must be an object of attributes")) };
                for (k, v) in &values {
                    set_attribute(&mut a, &attribute_key(k), v)?;
                }
            }
            ("remove", Some(path)) if path == "username" => return Err(ScimError::new(400, Some("mutability"), "userName is required and can't be removed")),
            ("remove", Some(path)) => set_attribute(&mut a, &path, &Value::Null)?,
            ("remove", None) => return Err(ScimError::new(400, Some("noTarget"), "remove needs a path")),
            _ => return Err(ScimError::invalid("op must be add, replace or remove")),
        }
    }
    Ok(a)
}

/// The email a `userName` names, if it is inside the org's domain.
fn email_in_org(caller: &ScimCaller, user_name: &str) -> ScimResult<String> {
    parse_invitee(user_name, caller.path.effective_domain())
        .map(|e| e.to_string())
        .map_err(|why| ScimError::invalid(format!("userName {why}")))
}

async fn taken(tx: &mut Tx, email: &str, except: Option<&str>) -> ScimResult<()> {
    let other: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(email).fetch_optional(&mut **tx).await?;
    if other.is_some_and(|id| Some(id.as_str()) != except) {
        return Err(ScimError::new(409, Some("uniqueness"), "a user with this userName already exists"));
    }
    Ok(())
}

/// Writes `a` for `user_id` (users row and the directory's own fields); ends the user's
/// sessions and tokens when they become inactive.
async fn store(tx: &mut Tx, org_id: &str, user_id: &str, email: &str, a: &Attrs, was_active: bool, now: i64) -> ScimResult<()> {
    let active = a.active.unwrap_or(true);
    let name = a.display_name.clone().unwrap_or_else(|| email.to_string());
    sqlx::query("UPDATE users SET email = $1, name = $2, status = $3 WHERE id = $4 AND home_org_id = $5")
        .bind(email)
        .bind(name.chars().take(100).collect::<String>())
        .bind(if active { UserStatus::Active.as_str() } else { UserStatus::Disabled.as_str() })
        .bind(user_id)
        .bind(org_id)
        .execute(&mut **tx)
        .await?;
    let updated = sqlx::query("UPDATE scim_users SET external_id = $1, display_name = $2, active_assigned = $3, updated_at = $4 WHERE user_id = $5")
        .bind(&a.external_id)
        .bind(&a.display_name)
        .bind(i64::from(a.active.is_some()))
        .bind(now)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    if updated.rows_affected() == 0 {
        sqlx::query("INSERT INTO scim_users (user_id, org_id, external_id, display_name, active_assigned, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)")
            .bind(user_id)
            .bind(org_id)
            .bind(&a.external_id)
            .bind(&a.display_name)
            .bind(i64::from(a.active.is_some()))
            .bind(now)
            .execute(&mut **tx)
            .await?;
    }
    if was_active && !active {
        session::revoke_all_for_user(tx, user_id).await?;
    }
    Ok(())
}

fn describe(before: Option<&Attrs>, after: &Attrs) -> String {
    let mut parts = Vec::new();
    if before.is_none_or(|b| b.user_name != after.user_name) {
        parts.push(format!("userName {}", after.user_name));
    }
    if before.is_none_or(|b| b.display_name != after.display_name) {
        parts.push(format!("displayName {}", after.display_name.as_deref().unwrap_or("(none)")));
    }
    if before.is_none_or(|b| b.active != after.active) {
        parts.push(match after.active {
            Some(false) => "deactivated (sessions and tokens ended)".to_string(),
            Some(true) => "active".to_string(),
            None => "active (unassigned)".to_string(),
        });
    }
    if before.is_none_or(|b| b.external_id != after.external_id) {
        parts.push(format!("externalId {}", after.external_id.as_deref().unwrap_or("(none)")));
    }
    if parts.is_empty() { "no change".into() } else { parts.join(", ") }
}

async fn create_user(State(state): State<AppState>, caller: ScimCaller, body: Bytes) -> ScimResult<Response> {
    let a = attrs_from_resource(&body_object(&body)?)?;
    let email = email_in_org(&caller, &a.user_name)?;
    let a = Attrs { user_name: email.clone(), ..a };
    let id = new_id();
    let now = now_ms();
    let mut tx = audit::begin(&state.db).await?;
    taken(&mut tx, &email, None).await?;
    sqlx::query("INSERT INTO users (id, email, name, password_hash, home_org_id, is_superuser, status, created_at) VALUES ($1, $2, $2, NULL, $3, 0, 'active', $4)")
        .bind(&id)
        .bind(&email)
        .bind(&caller.org_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    // Provisioned people are members; an admin grants more in Tenantry.
    sqlx::query("INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, $2, 'member', $3)")
        .bind(&id)
        .bind(&caller.org_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    store(&mut tx, &caller.org_id, &id, &email, &a, true, now).await?;
    crate::db::counters::refresh(&mut tx, &[&caller.org_id]).await?;
    audit::record(&mut tx, &caller.actor, Event {
        org_id: Some(&caller.org_id),
        action: "scim.user_create",
        object_type: "user",
        object_id: Some(&id),
        summary: format!("provisioned {email} as member: {}", describe(None, &a)),
    })
    .await?;
    tx.commit().await?;
    let mut conn = state.db.pool.acquire().await?;
    let row = load_user(&mut conn, &caller.org_id, &id).await?;
    let mut r = scim(StatusCode::CREATED, row.to_scim(&caller.base_url));
    if let Ok(location) = HeaderValue::from_str(&format!("{}/Users/{id}", caller.base_url)) {
        r.headers_mut().insert(header::LOCATION, location);
    }
    Ok(r)
}

/// Replace (PUT) and modify (PATCH): `change` turns the current attributes into the new ones.
async fn update_user(state: &AppState, caller: &ScimCaller, id: &str, action: &str, change: impl FnOnce(&Attrs) -> ScimResult<Attrs>) -> ScimResult<Response> {
    let mut tx = audit::begin(&state.db).await?;
    let row = load_user(&mut *tx, &caller.org_id, id).await?;
    let before = row.attrs();
    let after = change(&before)?;
    let email = email_in_org(caller, &after.user_name)?;
    let after = Attrs { user_name: email.clone(), ..after };
    taken(&mut tx, &email, Some(&row.id)).await?;
    store(&mut tx, &caller.org_id, &row.id, &email, &after, row.status == "active", now_ms()).await?;
    audit::record(&mut tx, &caller.actor, Event {
        org_id: Some(&caller.org_id),
        action,
        object_type: "user",
        object_id: Some(&row.id),
        summary: format!("{}: {}", row.email, describe(Some(&before), &after)),
    })
    .await?;
    let row = load_user(&mut *tx, &caller.org_id, &row.id).await?;
    tx.commit().await?;
    Ok(scim(StatusCode::OK, row.to_scim(&caller.base_url)))
}

async fn replace_user(State(state): State<AppState>, caller: ScimCaller, axum::extract::Path(id): axum::extract::Path<String>, body: Bytes) -> ScimResult<Response> {
    let body = body_object(&body)?;
    update_user(&state, &caller, &id, "scim.user_replace", |_| attrs_from_resource(&body)).await
}

async fn patch_user(State(state): State<AppState>, caller: ScimCaller, axum::extract::Path(id): axum::extract::Path<String>, body: Bytes) -> ScimResult<Response> {
    let body = body_object(&body)?;
    update_user(&state, &caller, &id, "scim.user_patch", |current| apply_patch(current, &body)).await
}

async fn delete_user(State(state): State<AppState>, caller: ScimCaller, axum::extract::Path(id): axum::extract::Path<String>) -> ScimResult<Response> {
    let mut tx = audit::begin(&state.db).await?;
    let row = load_user(&mut *tx, &caller.org_id, &id).await?;
    // Sessions, tokens, memberships and the directory's row go with the user (cascades),
    // ended explicitly first so both engines do the same.
    session::revoke_all_for_user(&mut tx, &row.id).await?;
    sqlx::query("DELETE FROM users WHERE id = $1 AND home_org_id = $2").bind(&row.id).bind(&caller.org_id).execute(&mut *tx).await?;
    crate::db::counters::refresh(&mut tx, &[&caller.org_id]).await?;
    audit::record(&mut tx, &caller.actor, Event {
        org_id: Some(&caller.org_id),
        action: "scim.user_delete",
        object_type: "user",
        object_id: Some(&row.id),
        summary: format!("deprovisioned {}", row.email),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs() -> Attrs {
        Attrs { user_name: "a@x.example".into(), display_name: Some("A".into()), active: Some(true), external_id: None }
    }

    #[test]
    fn filters_name_user_name_or_external_id_only() {
        assert_eq!(parse_filter(r#"userName eq "Bob@X.example""#).unwrap(), ("u.email", "bob@x.example".to_string()));
        assert_eq!(parse_filter(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName EQ "b@x.example""#).unwrap().0, "u.email");
        assert_eq!(parse_filter(r#"externalId eq "42""#).unwrap(), ("s.external_id", "42".to_string()));
        for bad in [r#"userName co "b""#, "userName eq b", r#"title eq "x""#, "", r#"userName eq "a" or userName eq "b""#] {
            assert!(parse_filter(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn patches_add_replace_and_remove_with_and_without_paths() {
        let body = |ops: Value| json!({"schemas": [PATCH_SCHEMA], "Operations": ops}).as_object().unwrap().clone();
        let a = apply_patch(&attrs(), &body(json!([{"op": "Replace", "path": "active", "value": "False"}]))).unwrap();
        assert_eq!(a.active, Some(false));
        let a = apply_patch(&attrs(), &body(json!([{"op": "add", "value": {"displayName": "B", "externalId": "7", "name.givenName": "B"}}]))).unwrap();
        assert_eq!((a.display_name.as_deref(), a.external_id.as_deref()), (Some("B"), Some("7")));
        let a = apply_patch(&attrs(), &body(json!([{"op": "remove", "path": "urn:ietf:params:scim:schemas:core:2.0:User:displayName"}]))).unwrap();
        assert_eq!(a.display_name, None);
        assert!(apply_patch(&attrs(), &body(json!([{"op": "remove", "path": "userName"}]))).is_err());
        assert!(apply_patch(&attrs(), &body(json!([{"op": "replace", "path": "shoeSize", "value": 9}]))).is_err());
        assert!(apply_patch(&attrs(), &json!({"Operations": []}).as_object().unwrap().clone()).is_err());
    }

    #[test]
    fn projections_keep_id_and_schemas() {
        let v = json!({"schemas": [], "id": "1", "userName": "u", "displayName": "d", "active": true});
        let only = project(v.clone(), &Projection { attributes: Some("displayName".into()), excluded_attributes: None });
        let mut keys: Vec<String> = only.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["displayName", "id", "schemas"]);
        let without = project(v, &Projection { attributes: None, excluded_attributes: Some("urn:ietf:params:scim:schemas:core:2.0:User:active".into()) });
        assert!(without.get("active").is_none() && without.get("userName").is_some());
    }

    #[test]
    fn the_published_schemas_include_user_and_the_three_meta_schemas() {
        let names: Vec<String> = published_schemas().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect();
        assert_eq!(names, ["User", "ServiceProviderConfig", "ResourceType", "Schema"]);
    }
}
