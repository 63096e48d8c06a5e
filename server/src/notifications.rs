//! Notifications and the inbox: `POST /api/v1/notifications`, `GET /api/v1/inbox`,
//! `POST /api/v1/inbox/{id}/read`, `POST /api/v1/inbox/read-all`.
//!
//! A notification targets, within one org:
//! - `org`: every active member of that org (direct memberships; staff who reach the org from
//!   an MSP or by delegation are not members and aren't notified);
//! - `user`: one active user who can access the org (by the access function), else 404;
//! - `role`: the active members whose membership in that org has exactly that role;
//! - `group`: the active members of that org whose membership is limited to that asset group
//!   (group-limited viewers, `membership_groups`) — the people who watch those assets.
//!
//! Delivery writes one inbox row per recipient and, when the org's effective
//! `notification_preferences.email` is on, one outbox mail per recipient — in the same
//! transaction. **Do Not Disturb applies only to `org` targets**: when the org's effective DND
//! window covers "now", the notification is stored `held` with `held_until` = the end of that
//! window, and nobody gets it yet. [`release_held`] delivers held notifications whose window
//! has ended — held, then delivered, never dropped — to the org's members at release time.
//! It runs on every inbox read and once a minute in the server. User-, role- and
//! group-targeted notifications are delivered at once, DND or not.
use utoipa_axum::{router::OpenApiRouter, routes};
use crate::access::{Grants, OrgPath, load_path};
use crate::assets::name_text;
use crate::audit::{self, Actor, Event};
use crate::http::context::{Caller, OrgAdmin, OrgCtx};
use crate::db::{Db, Tx, new_id, parse_uuid, rfc3339};
use crate::http::error::{ApiError, FieldErrors, Result};
use crate::mail::{self, Mail};
use crate::db::rows::{USER_COLUMNS, UserRow};
use crate::http::state::AppState;
use axum::extract::State;
use crate::http::extract::{Path, Query};
use axum::http::StatusCode;
use crate::http::extract::Json;
use shared::api::{
    CreateNotification, DeliveryStatus, Inbox, InboxItem, InboxQuery, ListQuery, MarkedRead, Notification, NotificationTarget, Severity,
};
use shared::settings::{NotificationPreferences, SettingKey};
use shared::{Role, UserStatus};
use sqlx::AnyConnection;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(inbox))
        .routes(routes!(me_notifications))
        .routes(routes!(mark_all_read))
        .routes(routes!(mark_read))
}

/// A notification to send in one org. `created_by` is `None` for the system (monitoring).
pub struct NewNotification<'a> {
    pub org_id: &'a str,
    pub target: NotificationTarget,
    pub title: String,
    pub body: String,
    pub severity: Severity,
    pub created_by: Option<&'a str>,
    /// `Some(group)` when it is about one asset (`None` inside: an ungrouped asset): a
    /// group-limited viewer gets it only if the asset is in one of their groups, since they
    /// can't see the asset otherwise.
    pub about_asset: Option<Option<String>>,
}

/// What [`send`] did. Mails in `outbox_ids` go out (over SMTP, if configured) after commit.
pub struct Sent {
    pub notification: Notification,
    pub outbox_ids: Vec<String>,
}

fn target_columns(t: &NotificationTarget) -> (&'static str, Option<String>, Option<&'static str>, Option<String>) {
    match t {
        NotificationTarget::Org => ("org", None, None, None),
        NotificationTarget::User { user_id } => ("user", Some(user_id.to_string()), None, None),
        NotificationTarget::Role { role } => ("role", None, Some(role.as_str()), None),
        NotificationTarget::Group { group_id } => ("group", None, None, Some(group_id.to_string())),
    }
}

fn target_from(kind: &str, user: Option<&str>, role: Option<&str>, group: Option<&str>) -> NotificationTarget {
    match kind {
        "user" => NotificationTarget::User { user_id: parse_uuid(user.unwrap_or_default()) },
        "role" => NotificationTarget::Role { role: role.and_then(|r| r.parse().ok()).unwrap_or(Role::Viewer) },
        "group" => NotificationTarget::Group { group_id: parse_uuid(group.unwrap_or_default()) },
        _ => NotificationTarget::Org,
    }
}

/// The recipients of a target in `org_id`, now: (user id, email).
pub async fn recipients(conn: &mut AnyConnection, org_id: &str, target: &NotificationTarget) -> Result<Vec<(String, String)>, sqlx::Error> {
    let active = UserStatus::Active.as_str();
    let q = match target {
        NotificationTarget::Org => sqlx::query_as(
            "SELECT u.id, u.email FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.org_id = $1 AND u.status = $2 ORDER BY u.email",
        )
        .bind(org_id.to_string())
        .bind(active),
        NotificationTarget::User { user_id } => {
            // Whether they may see the org was checked when the notification was made.
            sqlx::query_as("SELECT u.id, u.email FROM users u WHERE u.id = $1 AND u.status = $2")
                .bind(user_id.to_string())
                .bind(active)
        }
        NotificationTarget::Role { role } => sqlx::query_as(
            "SELECT u.id, u.email FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.org_id = $1 AND u.status = $2 AND m.role = $3 ORDER BY u.email",
        )
        .bind(org_id.to_string())
        .bind(active)
        .bind(role.as_str()),
        NotificationTarget::Group { group_id } => sqlx::query_as(
            "SELECT u.id, u.email FROM membership_groups g \
             JOIN memberships m ON m.user_id = g.user_id AND m.org_id = g.org_id \
             JOIN users u ON u.id = g.user_id \
             WHERE g.org_id = $1 AND u.status = $2 AND g.group_id = $3 AND m.group_limited = 1 ORDER BY u.email",
        )
        .bind(org_id.to_string())
        .bind(active)
        .bind(group_id.to_string()),
    };
    q.fetch_all(conn).await
}

/// Members of `org_id` whose viewing is limited to groups that don't include `group`
/// (`None`: an ungrouped asset, which no group-limited viewer sees).
async fn limited_away_from(conn: &mut AnyConnection, org_id: &str, group: Option<&str>) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT m.user_id FROM memberships m WHERE m.org_id = $1 AND m.group_limited = 1          AND NOT EXISTS (SELECT 1 FROM membership_groups g WHERE g.user_id = m.user_id AND g.org_id = m.org_id AND g.group_id = $2)",
    )
    .bind(org_id.to_string())
    .bind(group.unwrap_or("").to_string())
    .fetch_all(conn)
    .await
}

/// Inbox rows (and mails, if the org wants them) for every recipient, and marks the
/// notification delivered. Returns (recipients, outbox ids).
#[allow(clippy::too_many_arguments)]
async fn deliver(tx: &mut Tx, path: &OrgPath, id: &str, target: &NotificationTarget, about_asset: Option<Option<&str>>, title: &str, body: &str, now: i64) -> Result<(i64, Vec<String>), sqlx::Error> {
    let org_id = path.nodes[0].id.as_str();
    let prefs: NotificationPreferences = crate::settings::effective(&mut **tx, path, SettingKey::NotificationPreferences).await?;
    let mut people = recipients(&mut **tx, org_id, target).await?;
    if let Some(group) = about_asset {
        let away = limited_away_from(&mut **tx, org_id, group).await?;
        people.retain(|(user_id, _)| !away.contains(user_id));
    }
    let org_name: String = sqlx::query_scalar("SELECT name FROM orgs WHERE id = $1").bind(org_id).fetch_one(&mut **tx).await?;
    let mut outbox_ids = Vec::new();
    for (user_id, email) in &people {
        sqlx::query("INSERT INTO inbox (id, notification_id, user_id, created_at) VALUES ($1, $2, $3, $4)")
            .bind(new_id())
            .bind(id)
            .bind(user_id)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        if prefs.email {
            let mail = Mail { to: email.clone(), subject: format!("[{org_name}] {title}"), body: format!("{body}\n\n— Tenantry notification for {org_name}\n") };
            outbox_ids.push(mail::queue(tx, org_id, &mail).await?);
        }
    }
    sqlx::query("UPDATE notifications SET status = 'delivered', held_until = NULL, delivered_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok((people.len() as i64, outbox_ids))
}

/// Stores a notification in the org at the head of `path` and delivers it — or, for an
/// org target inside the org's Do Not Disturb window, holds it until the window ends.
/// Inside the caller's transaction; writes no audit event (the caller's event covers it).
pub async fn send(tx: &mut Tx, path: &OrgPath, n: NewNotification<'_>, now: i64) -> Result<Sent, sqlx::Error> {
    let held_until = if n.target == NotificationTarget::Org {
        let prefs: NotificationPreferences = crate::settings::effective(&mut **tx, path, SettingKey::NotificationPreferences).await?;
        prefs.dnd.holds_until(now)
    } else {
        None
    };
    let id = new_id();
    let (kind, user, role, group) = target_columns(&n.target);
    sqlx::query(
        "INSERT INTO notifications (id, org_id, target_kind, target_user_id, target_role, target_group_id, title, body, severity, \
         status, held_until, created_by, created_at, about_asset, asset_group_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'held', $10, $11, $12, $13, $14)",
    )
    .bind(&id)
    .bind(n.org_id)
    .bind(kind)
    .bind(user)
    .bind(role)
    .bind(group)
    .bind(&n.title)
    .bind(&n.body)
    .bind(n.severity.as_str())
    .bind(held_until)
    .bind(n.created_by)
    .bind(now)
    .bind(i64::from(n.about_asset.is_some()))
    .bind(n.about_asset.clone().flatten())
    .execute(&mut **tx)
    .await?;
    let about = n.about_asset.as_ref().map(|g| g.as_deref());
    let (count, outbox_ids) = match held_until {
        Some(_) => (0, Vec::new()),
        None => deliver(tx, path, &id, &n.target, about, &n.title, &n.body, now).await?,
    };
    let notification = Notification {
        id: parse_uuid(&id),
        org_id: parse_uuid(n.org_id),
        target: n.target,
        title: n.title,
        body: n.body,
        severity: n.severity,
        status: if held_until.is_some() { DeliveryStatus::Held } else { DeliveryStatus::Delivered },
        held_until: held_until.map(rfc3339),
        recipients: count,
        mails: outbox_ids.len() as i64,
        created_at: rfc3339(now),
        delivered_at: held_until.is_none().then(|| rfc3339(now)),
    };
    Ok(Sent { notification, outbox_ids })
}

/// Delivers every held notification whose DND window has ended by `now`, each in its own
/// transaction with one `notification.release` audit event. A notification is claimed by a
/// conditional update, so concurrent releasers (several servers, a tick and an inbox read)
/// deliver it exactly once. Returns the ids of the mails queued, for SMTP delivery.
pub async fn release_held(db: &Db, now: i64) -> Result<Vec<String>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Due {
        id: String,
        org_id: String,
        target_kind: String,
        target_user_id: Option<String>,
        target_role: Option<String>,
        target_group_id: Option<String>,
        title: String,
        body: String,
        about_asset: i64,
        asset_group_id: Option<String>,
    }
    let due: Vec<Due> = sqlx::query_as(
        "SELECT id, org_id, target_kind, target_user_id, target_role, target_group_id, title, body, about_asset, asset_group_id \
         FROM notifications WHERE status = 'held' AND held_until <= $1 ORDER BY created_at, id",
    )
    .bind(now)
    .fetch_all(&db.pool)
    .await?;
    let actor = Actor { email: Some("system:do-not-disturb".into()), ..Actor::default() };
    let mut mails = Vec::new();
    for Due { id, org_id, target_kind: kind, target_user_id: user, target_role: role, target_group_id: group, title, body, about_asset, asset_group_id } in due {
        let mut tx = audit::begin(db).await?;
        let claimed = sqlx::query("UPDATE notifications SET status = 'delivered', delivered_at = $1 WHERE id = $2 AND status = 'held'")
            .bind(now)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        if claimed.rows_affected() == 0 {
            continue;
        }
        let Some(path) = load_path(&mut tx, &org_id).await? else { continue };
        let target = target_from(&kind, user.as_deref(), role.as_deref(), group.as_deref());
        let about = (about_asset != 0).then_some(asset_group_id.as_deref());
        let (count, outbox_ids) = deliver(&mut tx, &path, &id, &target, about, &title, &body, now).await?;
        audit::record(&mut tx, &actor, Event {
            org_id: Some(&org_id),
            action: "notification.release",
            object_type: "notification",
            object_id: Some(&id),
            summary: format!("Do Not Disturb ended: delivered \"{}\" to {}", crate::settings::truncate(&title, 100), shared::plural(count as i64, "member", "members")),
        })
        .await?;
        tx.commit().await?;
        mails.extend(outbox_ids);
    }
    Ok(mails)
}

/// [`release_held`] at the app's clock, then hands the mails to SMTP.
pub async fn release_due(state: &AppState) -> Result<(), sqlx::Error> {
    for id in release_held(&state.db, state.clock.now_ms()).await? {
        mail::deliver(state, &id).await;
    }
    Ok(())
}

/// Runs [`release_due`] once a minute for as long as the server runs.
pub async fn release_ticker(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = release_due(&state).await {
            tracing::warn!(error = ?e, "releasing held notifications");
        }
    }
}

fn describe(t: &NotificationTarget) -> String {
    match t {
        NotificationTarget::Org => "the org".into(),
        NotificationTarget::User { user_id } => format!("user {user_id}"),
        NotificationTarget::Role { role } => format!("every {role}"),
        NotificationTarget::Group { group_id } => format!("group {group_id}"),
    }
}

#[utoipa::path(post, path = "/api/v1/notifications", tag = "notifications", request_body = CreateNotification,
    params(("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 201, body = Notification, description = "delivered, or `held` (org target during the org's Do Not Disturb window: delivered when the window ends, at `held_until`)"),
        (status = 403, description = "admins only"), (status = 404, description = "the user or group isn't in this org"), (status = 422)))]
#[tracing::instrument(skip(state, ctx, body), fields(org = %ctx.org.id))]
pub async fn create(State(state): State<AppState>, ctx: OrgCtx, Json(body): Json<CreateNotification>) -> Result<(StatusCode, Json<Notification>)> {
    let admin = ctx.admin()?;
    let body = check(&body, "")?;
    let sent = create_service(admin, &state, body, false).await?;
    Ok((StatusCode::CREATED, Json(sent.expect("not a dry run"))))
}

/// A notification's fields, checked and trimmed; errors are named `{prefix}title`, `{prefix}body`.
pub fn check(body: &CreateNotification, prefix: &str) -> Result<CreateNotification> {
    let mut errors = FieldErrors::default();
    let title = name_text(&mut errors, &format!("{prefix}title"), &body.title, 200);
    if body.body.chars().count() > 5000 {
        errors.add(&format!("{prefix}body"), "must be at most 5000 characters");
    }
    errors.finish()?;
    Ok(CreateNotification { target: body.target.clone(), title: title.expect("checked"), body: body.body.trim().to_string(), severity: body.severity })
}

/// Sends a [`check`]ed notification in the admin's org, with its audit event, and hands its
/// mails to SMTP; on a dry run only checks the target (`None`). A user or group target
/// outside the org is 404, like one that doesn't exist.
pub async fn create_service(admin: OrgAdmin<'_>, state: &AppState, body: CreateNotification, dry_run: bool) -> Result<Option<Notification>> {
    let ctx = admin.ctx();
    let org_id = ctx.org_id();
    match &body.target {
        NotificationTarget::User { user_id } => {
            let user: Option<UserRow> = sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"))
                .bind(user_id.to_string())
                .fetch_optional(&state.db.pool)
                .await?;
            let user = user.filter(|u| u.status == UserStatus::Active).ok_or(ApiError::NotFound)?;
            let grants = Grants::load(&state.db, &user).await?;
            // Access is decided at the real time, like every other access check.
            if grants.role_in(&ctx.path).is_none() {
                return Err(ApiError::NotFound);
            }
        }
        NotificationTarget::Group { group_id } => {
            let found: Option<String> = sqlx::query_scalar("SELECT id FROM asset_groups WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(group_id.to_string())
                .fetch_optional(&state.db.pool)
                .await?;
            found.ok_or(ApiError::NotFound)?;
        }
        NotificationTarget::Org | NotificationTarget::Role { .. } => {}
    }
    if dry_run {
        return Ok(None);
    }
    let now = state.clock.now_ms();
    let target = body.target.clone();
    let mut tx = audit::begin(&state.db).await?;
    let sent = send(&mut tx, &ctx.path, NewNotification {
        org_id,
        target: body.target,
        title: body.title,
        body: body.body,
        severity: body.severity,
        created_by: Some(&ctx.caller.user.id),
        about_asset: None,
    }, now)
    .await?;
    let n = &sent.notification;
    let outcome = match n.status {
        DeliveryStatus::Held => format!("held for Do Not Disturb until {}", n.held_until.as_deref().unwrap_or("")),
        DeliveryStatus::Delivered => format!("delivered to {}, {}", shared::plural(n.recipients, "recipient", "recipients"), shared::plural(n.mails, "mail", "mails")),
    };
    audit::record(&mut tx, &admin.actor(), Event {
        org_id: Some(org_id),
        action: "notification.create",
        object_type: "notification",
        object_id: Some(&n.id.to_string()),
        summary: format!("notified {} ({}): \"{}\"; {outcome}", describe(&target), n.severity.as_str(), crate::settings::truncate(&n.title, 100)),
    })
    .await?;
    tx.commit().await?;
    for id in &sent.outbox_ids {
        mail::deliver(state, id).await;
    }
    Ok(Some(sent.notification))
}

type InboxRow = (String, String, String, String, String, String, String, String, i64, Option<i64>);

/// The orgs of the caller's inbox they can still open. Items of any other org (access
/// removed, delegation revoked or expired, org moved away) stay stored but are hidden: the
/// inbox must not keep showing what the caller can no longer see.
async fn visible_orgs(state: &AppState, caller: &Caller) -> Result<Vec<String>> {
    let orgs: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT n.org_id FROM inbox i JOIN notifications n ON n.id = i.notification_id WHERE i.user_id = $1",
    )
    .bind(&caller.user.id)
    .fetch_all(&state.db.pool)
    .await?;
    let paths = crate::orgs::paths_of(&state.db, orgs.iter().map(String::as_str)).await?;
    Ok(orgs.into_iter().filter(|o| paths.get(o).is_some_and(|p| caller.grants.role_in(p).is_some())).collect())
}

/// `AND n.org_id IN ($first, …)` for [`visible_orgs`], with its binds.
fn visible_condition(orgs: &[String], first: usize) -> String {
    if orgs.is_empty() {
        return " AND 1 = 0".to_string();
    }
    let list: Vec<String> = (first..first + orgs.len()).map(|i| format!("${i}")).collect();
    format!(" AND n.org_id IN ({})", list.join(", "))
}

async fn unread_count(state: &AppState, user_id: &str, visible: &[String]) -> Result<i64> {
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM inbox i JOIN notifications n ON n.id = i.notification_id \
         WHERE i.user_id = $1 AND i.read_at IS NULL{}",
        visible_condition(visible, 2)
    );
    let mut q = sqlx::query_scalar(&sql).bind(user_id.to_string());
    for o in visible {
        q = q.bind(o.clone());
    }
    Ok(q.fetch_one(&state.db.pool).await?)
}

#[utoipa::path(get, path = "/api/v1/inbox", tag = "notifications", params(InboxQuery),
    responses((status = 200, body = Inbox, description = "the caller's notifications from every org, newest first, with the unread count"), (status = 401), (status = 422)))]
#[tracing::instrument(skip(state, caller, q), fields(user = %caller.user.id))]
pub async fn inbox(State(state): State<AppState>, caller: Caller, Query(q): Query<InboxQuery>) -> Result<Json<Inbox>> {
    let (limit, offset) = crate::orgs::page_bounds(&ListQuery { q: None, limit: q.limit, cursor: q.cursor.clone(), tag: None })?;
    // Held notifications whose window has ended show up on the next look, tick or not. A
    // failure here must not hide the inbox; the ticker retries.
    if let Err(e) = release_due(&state).await {
        tracing::warn!(error = ?e, "releasing held notifications on an inbox read");
    }
    let unread_only = if q.unread == Some(true) { " AND i.read_at IS NULL" } else { "" };
    let visible = visible_orgs(&state, &caller).await?;
    let sql = format!(
        "SELECT i.id, n.id, n.org_id, o.name, n.title, n.body, n.severity, n.target_kind, i.created_at, i.read_at \
         FROM inbox i JOIN notifications n ON n.id = i.notification_id JOIN orgs o ON o.id = n.org_id \
         WHERE i.user_id = $1{unread_only}{} ORDER BY i.created_at DESC, i.id DESC LIMIT {} OFFSET {offset}",
        visible_condition(&visible, 2),
        limit + 1
    );
    let mut query = sqlx::query_as::<_, InboxRow>(&sql).bind(caller.user.id.clone());
    for o in &visible {
        query = query.bind(o.clone());
    }
    let rows: Vec<InboxRow> = query.fetch_all(&state.db.pool).await?;
    let more = rows.len() > limit;
    let items = rows
        .into_iter()
        .take(limit)
        .map(|(id, nid, org, org_name, title, body, severity, kind, at, read)| InboxItem {
            id: parse_uuid(&id),
            notification_id: parse_uuid(&nid),
            org_id: parse_uuid(&org),
            org_name,
            title,
            body,
            severity: Severity::parse(&severity).unwrap_or(Severity::Info),
            target_kind: kind,
            delivered_at: rfc3339(at),
            read_at: read.map(rfc3339),
        })
        .collect();
    Ok(Json(Inbox { items, next_cursor: more.then(|| (offset + limit).to_string()), unread_count: unread_count(&state, &caller.user.id, &visible).await? }))
}

/// The same inbox under the path the API contract names.
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "notifications", params(InboxQuery),
    responses((status = 200, body = Inbox, description = "same as `GET /api/v1/inbox`"), (status = 401), (status = 422)))]
#[tracing::instrument(skip_all, fields(user = %caller.user.id))]
pub async fn me_notifications(state: State<AppState>, caller: Caller, q: Query<InboxQuery>) -> Result<Json<Inbox>> {
    inbox(state, caller, q).await
}

// Marking your own inbox read is not audited: it changes only what the bell shows you, not
// any org's data, and reads are not recorded elsewhere either.

#[utoipa::path(post, path = "/api/v1/inbox/{id}/read", tag = "notifications", params(("id" = String, Path)),
    responses((status = 200, body = MarkedRead), (status = 401), (status = 404, description = "not in the caller's inbox")))]
#[tracing::instrument(skip(state, caller), fields(user = %caller.user.id))]
pub async fn mark_read(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<MarkedRead>> {
    let mine: Option<(Option<i64>, String)> = sqlx::query_as(
        "SELECT i.read_at, n.org_id FROM inbox i JOIN notifications n ON n.id = i.notification_id WHERE i.id = $1 AND i.user_id = $2",
    )
    .bind(&id)
    .bind(&caller.user.id)
    .fetch_optional(&state.db.pool)
    .await?;
    let visible = visible_orgs(&state, &caller).await?;
    // An item of an org the caller can no longer open is hidden, so it is not found either.
    let Some((read_at, _)) = mine.filter(|(_, org)| visible.contains(org)) else { return Err(ApiError::NotFound) };
    let mut marked = 0;
    if read_at.is_none() {
        marked = sqlx::query("UPDATE inbox SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL")
            .bind(state.clock.now_ms())
            .bind(&id)
            .bind(&caller.user.id)
            .execute(&state.db.pool)
            .await?
            .rows_affected() as i64;
    }
    Ok(Json(MarkedRead { marked, unread_count: unread_count(&state, &caller.user.id, &visible).await? }))
}

#[utoipa::path(post, path = "/api/v1/inbox/read-all", tag = "notifications",
    responses((status = 200, body = MarkedRead), (status = 401)))]
#[tracing::instrument(skip(state, caller), fields(user = %caller.user.id))]
pub async fn mark_all_read(State(state): State<AppState>, caller: Caller) -> Result<Json<MarkedRead>> {
    // Only what the caller can see; hidden items keep their state.
    let visible = visible_orgs(&state, &caller).await?;
    let sql = format!(
        "UPDATE inbox SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL \
         AND notification_id IN (SELECT n.id FROM notifications n WHERE 1 = 1{})",
        visible_condition(&visible, 3)
    );
    let mut q = sqlx::query(&sql).bind(state.clock.now_ms()).bind(caller.user.id.clone());
    for o in &visible {
        q = q.bind(o.clone());
    }
    let marked = q.execute(&state.db.pool).await?.rows_affected() as i64;
    Ok(Json(MarkedRead { marked, unread_count: unread_count(&state, &caller.user.id, &visible).await? }))
}
