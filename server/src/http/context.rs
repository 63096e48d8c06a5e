//! Request → "this user, in this org, with this role".
//!
//! [`Caller`] authenticates (session cookie or bearer token, CSRF for cookie writes).
//! [`OrgCtx`] adds the org the request acts in — `X-Org-Id`, else the tenant subdomain of
//! the `Host`, else the caller's home org — and the caller's role there from the one access
//! function. Service code receives these values, so it can't forget to ask.
use crate::access::{Grants, OrgPath};
use crate::authz_cache::Snapshot;
use crate::audit::Actor;
use crate::auth::{session, token};
use crate::http::error::{ApiError, Result};
use crate::db::rows::{OrgRow, USER_COLUMNS, UserRow};
use crate::http::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::{Method, request::Parts};
use axum_extra::extract::CookieJar;
use shared::api::Capabilities;
use shared::{OrgKind, Role, UserStatus};
use std::net::SocketAddr;

pub const CSRF_HEADER: &str = "x-csrf-token";
pub const ORG_HEADER: &str = "x-org-id";

#[derive(Debug, Clone)]
pub enum AuthKind {
    /// `mfa_pending`: see [`session::NewSession::mfa_pending`].
    Session { id_hash: String, csrf_token: String, mfa_pending: bool },
    Token { id: String },
    /// Not a request of theirs: a request of theirs that another admin approved, run now
    /// (see [`Caller::for_approved`]).
    Approval,
}

/// An authenticated, active user whose home org is not suspended.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: UserRow,
    pub grants: Grants,
    pub auth: AuthKind,
    pub request_id: String,
    pub ip: String,
    /// The request's view of the per-process authorization cache.
    pub authz: Snapshot,
    /// Set when running a request another admin approved: their email, named in every audit
    /// event of the run.
    pub approved_by: Option<String>,
    /// Set inside a bulk run: its id, named in every audit event of the run.
    pub bulk_run: Option<String>,
}

impl Caller {
    /// The caller acting on their own account (sign-out, their tokens, their inbox).
    /// Privileged writes take their actor from a proof instead ([`OrgAdmin::actor`], …).
    pub fn own_actor(&self) -> Actor {
        self.actor()
    }

    fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user.id.clone()),
            email: Some(self.user.email.clone()),
            home_org_id: Some(self.user.home_org_id.clone()),
            request_id: Some(self.request_id.clone()),
            ip: Some(self.ip.clone()),
            note: match (&self.bulk_run, &self.approved_by) {
                (None, None) => None,
                (Some(run), None) => Some(format!("bulk run {run}")),
                (None, Some(by)) => Some(format!("approved by {by}")),
                (Some(run), Some(by)) => Some(format!("bulk run {run}, approved by {by}")),
            },
        }
    }

    /// The user `user_id` (the requester of an approved request) as a caller now: their
    /// current grants decide what the request may still do. The approver's request id and
    /// address stay on the audit events, which also say who approved.
    pub async fn for_approved(state: &AppState, user_id: &str, approver: &Caller) -> Result<Caller> {
        let db = &state.db;
        let user: Option<UserRow> = sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"))
            .bind(user_id)
            .fetch_optional(&db.pool)
            .await?;
        let Some(user) = user.filter(|u| u.status == UserStatus::Active) else {
            return Err(ApiError::Forbidden("the requester's account is no longer active".into()));
        };
        let mut conn = db.pool.acquire().await?;
        let grants = Grants::load_with(&mut conn, &user).await?;
        Ok(Caller {
            user,
            grants,
            auth: AuthKind::Approval,
            request_id: approver.request_id.clone(),
            ip: approver.ip.clone(),
            authz: approver.authz.clone(),
            approved_by: Some(approver.user.email.clone()),
            bulk_run: None,
        })
    }
}

/// The request id (set by the request-id layer) and the client address (the peer, or what a
/// trusted proxy forwarded: [`crate::http::client_ip`]).
pub fn request_meta(parts: &Parts) -> (String, String) {
    let request_id = parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if let Some(crate::http::client_ip::ClientIp(ip)) = parts.extensions.get() {
        return (request_id, ip.to_string());
    }
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    (request_id, ip)
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let db = &state.db;
        let (request_id, ip) = request_meta(parts);
        // One read of the authorization epoch; the session, grants and paths below come from
        // this process's cache while it holds (see `authz_cache`).
        let authz = db.authz.snapshot(db).await?;
        let (user, auth) = if let Some(raw) = bearer(parts) {
            let Some((user_id, id)) = token::lookup(db, raw).await? else { return Err(ApiError::Unauthorized) };
            let user: Option<UserRow> = sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"))
                .bind(&user_id)
                .fetch_optional(&db.pool)
                .await?;
            (user, AuthKind::Token { id })
        } else {
            let jar = CookieJar::from_headers(&parts.headers);
            let Some(cookie) = jar.get(state.config.session_cookie()) else { return Err(ApiError::Unauthorized) };
            let Some(s) = session::lookup_cached(db, &authz, cookie.value()).await? else { return Err(ApiError::Unauthorized) };
            let writes = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            if writes {
                let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
                if !constant_time_eq(sent, &s.csrf_token) {
                    return Err(ApiError::Forbidden("missing or invalid CSRF token (send X-CSRF-Token)".into()));
                }
            }
            if s.mfa_pending && !crate::auth::mfa::allowed_while_pending(parts.uri.path()) {
                return Err(ApiError::MfaEnrollmentRequired);
            }
            (Some(s.user), AuthKind::Session { id_hash: s.id_hash, csrf_token: s.csrf_token, mfa_pending: s.mfa_pending })
        };
        let Some(user) = user.filter(|u| u.status == UserStatus::Active) else {
            return Err(ApiError::Unauthorized);
        };
        let home = authz.org_and_path(db, &user.home_org_id).await?;
        if home.is_none_or(|(_, p)| p.is_suspended()) && !user.is_superuser() {
            return Err(ApiError::Unauthorized);
        }
        let grants = authz.grants_of(db, &user).await?;
        // An Idempotency-Key this user sent before decides the answer (replay, 422 or 409).
        crate::http::idempotency::check(db, &user.id).await?;
        Ok(Caller { user, grants, auth, request_id, ip, authz, approved_by: None, bulk_run: None })
    }
}

/// The org a request acts in, with the caller's effective role there.
#[derive(Debug, Clone)]
pub struct OrgCtx {
    pub caller: Caller,
    pub org: OrgRow,
    pub path: OrgPath,
    pub role: Role,
}

// Proofs of privilege. Each is made only here, from the access function's answer, and has
// private fields, so code elsewhere can't forge one. Privileged service functions take the
// proof they need as their first parameter: a write whose check was forgotten doesn't compile.

/// Proof that the caller's role in `ctx.org` is at least `member` (may change assets).
#[derive(Clone, Copy)]
pub struct Member<'a> {
    ctx: &'a OrgCtx,
}

/// Proof that the caller administers `ctx.org` (people, settings, groups, schedules…).
#[derive(Clone, Copy)]
pub struct OrgAdmin<'a> {
    ctx: &'a OrgCtx,
}

/// Proof that the caller administers `ctx.org` *from above* — in its parent, or as a
/// superuser for a root: suspend, reactivate, delete and merge are decisions of whoever
/// manages a tenant, not of the tenant's own admins.
#[derive(Clone, Copy)]
pub struct Manager<'a> {
    ctx: &'a OrgCtx,
}

/// Proof that the caller is a superuser (create MSPs, change which org manages another,
/// grant superuser).
#[derive(Clone, Copy)]
pub struct Superuser<'a> {
    caller: &'a Caller,
}

macro_rules! org_proof {
    ($($proof:ident),*) => {$(
        impl<'a> $proof<'a> {
            pub fn ctx(&self) -> &'a OrgCtx {
                self.ctx
            }
            pub fn org_id(&self) -> &'a str {
                &self.ctx.org.id
            }
            pub fn caller(&self) -> &'a Caller {
                &self.ctx.caller
            }
            pub fn actor(&self) -> Actor {
                self.ctx.caller.actor()
            }
        }
    )*};
}
org_proof!(Member, OrgAdmin, Manager);

impl<'a> OrgAdmin<'a> {
    /// An admin may do whatever a member may.
    pub fn member(&self) -> Member<'a> {
        Member { ctx: self.ctx }
    }
}

impl<'a> Superuser<'a> {
    pub fn caller(&self) -> &'a Caller {
        self.caller
    }
    pub fn actor(&self) -> Actor {
        self.caller.actor()
    }
}

impl Caller {
    /// 403 unless the caller is a superuser.
    pub fn superuser(&self, what: &str) -> Result<Superuser<'_>> {
        if self.grants.is_superuser {
            Ok(Superuser { caller: self })
        } else {
            Err(ApiError::Forbidden(format!("only a superuser can {what}")))
        }
    }
}

impl OrgCtx {
    /// 403 unless the caller's role here is at least `min` (they can see the org, so 403 not 404).
    fn require(&self, min: Role) -> Result<()> {
        if self.role >= min {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!("this needs the {min} role in {}", self.org.name)))
        }
    }

    pub fn member(&self) -> Result<Member<'_>> {
        self.require(Role::Member)?;
        Ok(Member { ctx: self })
    }

    pub fn admin(&self) -> Result<OrgAdmin<'_>> {
        self.require(Role::Admin)?;
        Ok(OrgAdmin { ctx: self })
    }

    /// `Some` when the caller administers this org from above (see [`Manager`]).
    pub fn as_manager(&self) -> Option<Manager<'_>> {
        (self.role_from_above() == Some(Role::Admin)).then_some(Manager { ctx: self })
    }

    /// 403 (with `why`) unless the caller administers this org from above.
    pub fn manager(&self, why: impl Into<String>) -> Result<Manager<'_>> {
        self.as_manager().ok_or_else(|| ApiError::Forbidden(why.into()))
    }

    /// The caller's role over this org from above: in its parent (for a root, only a superuser).
    pub fn role_from_above(&self) -> Option<Role> {
        if self.path.nodes.len() < 2 {
            return self.caller.grants.is_superuser.then_some(Role::Admin);
        }
        self.caller.grants.role_in(&OrgPath { nodes: self.path.nodes[1..].to_vec() })
    }

    pub fn org_id(&self) -> &str {
        &self.org.id
    }

    /// Everything the caller may do here, from the same proofs the endpoints demand.
    pub fn capabilities(&self) -> Capabilities {
        let admin = self.admin().is_ok();
        let msp = self.org.kind() == OrgKind::Msp;
        let manager = self.as_manager().is_some();
        Capabilities {
            overview: msp,
            manage_customers: msp && admin,
            manage_people: admin,
            edit_assets: self.member().is_ok(),
            manage_assets: admin,
            manage_groups: admin,
            import_tenants: admin,
            manage_settings: admin,
            audit: admin,
            merge: admin && manager && !msp,
            suspend: manager,
        }
    }
}

/// Resolves an org by id for a caller: the org, its path and the caller's role there, or
/// 404 — the same 404 for "doesn't exist" and "not yours".
pub async fn org_for(state: &AppState, caller: &Caller, org_id: &str) -> Result<OrgCtx> {
    resolve(state, caller.clone(), org_id).await
}

async fn resolve(state: &AppState, caller: Caller, org_id: &str) -> Result<OrgCtx> {
    if uuid::Uuid::parse_str(org_id).is_err() {
        return Err(ApiError::NotFound);
    }
    let Some((org, path)) = caller.authz.org_and_path(&state.db, org_id).await? else { return Err(ApiError::NotFound) };
    let Some(role) = caller.grants.role_in(&path) else { return Err(ApiError::NotFound) };
    Ok(OrgCtx { caller, org, path, role })
}

impl FromRequestParts<AppState> for OrgCtx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let header = parts.headers.get(ORG_HEADER).and_then(|v| v.to_str().ok()).map(str::trim);
        // Links (a CSV download, say) can't send headers, so `?org_id=` names the org for GETs.
        let from_query = (parts.method == Method::GET)
            .then(|| parts.uri.query())
            .flatten()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("org_id=")))
            .map(str::to_string);
        let org_id = if let Some(id) = header.filter(|h| !h.is_empty()).map(str::to_string).or(from_query) {
            id
        } else if let Some(slug) = parts
            .headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| state.config.slug_from_host(h))
        {
            let id: Option<String> = sqlx::query_scalar("SELECT id FROM orgs WHERE slug = $1")
                .bind(&slug)
                .fetch_optional(&state.db.pool)
                .await?;
            id.ok_or(ApiError::NotFound)?
        } else {
            caller.user.home_org_id.clone()
        };
        resolve(state, caller, &org_id).await
    }
}
