//! Outgoing mail. Every mail is first written to the `outbox` table inside the transaction
//! of the change that caused it, so a rolled-back change sends nothing. After commit,
//! [`deliver`] sends it over SMTP when `SMTP_URL` is set; without SMTP the outbox row is the
//! mail, and org admins read it at `GET /api/v1/outbox`.
use utoipa_axum::{router::OpenApiRouter, routes};
use crate::http::context::OrgCtx;
use crate::db::{Tx, new_id, now_ms, parse_uuid, rfc3339};
use crate::http::error::Result;
use crate::orgs::page_bounds;
use crate::http::state::AppState;
use anyhow::{Context, anyhow, bail};
use axum::extract::State;
use crate::http::extract::Query;
use crate::http::extract::Json;
use lettre::message::Mailbox;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::Body;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use shared::api::{ListQuery, OutboxMail, Page};
use std::time::Duration;

/// What replaces a delivered mail's body: once it left over SMTP, the link it carried need not
/// stay readable in the database.
const DELIVERED_BODY: &str = "(delivered over SMTP; the body is not kept)";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// A plain-text mail to one recipient.
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Writes `mail` to the outbox inside `tx`; returns the outbox id for [`deliver`].
pub async fn queue(tx: &mut Tx, org_id: &str, mail: &Mail) -> Result<String, sqlx::Error> {
    let id = new_id();
    sqlx::query("INSERT INTO outbox (id, org_id, recipient, subject, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(org_id)
        .bind(&mail.to)
        .bind(&mail.subject)
        .bind(&mail.body)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// Sends a queued mail over SMTP (after its transaction committed) and records the outcome.
/// A delivery failure is logged and kept on the row, never an error of the request: the
/// change itself is already done, and the admin can still read the mail in the outbox.
#[tracing::instrument(skip(state))]
pub async fn deliver(state: &AppState, outbox_id: &str) {
    let Some(url) = state.config.smtp_url.as_deref() else {
        tracing::info!(outbox_id, "no SMTP_URL: mail kept in the outbox");
        return;
    };
    let outcome = send_queued(state, url, outbox_id).await;
    let update = match &outcome {
        Ok(()) => sqlx::query("UPDATE outbox SET sent_at = $1, body = $2, error = NULL WHERE id = $3")
            .bind(now_ms())
            .bind(DELIVERED_BODY)
            .bind(outbox_id),
        Err(e) => {
            tracing::warn!(outbox_id, error = ?e, "SMTP delivery failed; the mail stays in the outbox");
            sqlx::query("UPDATE outbox SET error = $1 WHERE id = $2").bind(format!("{e:#}")).bind(outbox_id)
        }
    };
    if let Err(e) = update.execute(&state.db.pool).await {
        tracing::error!(outbox_id, error = ?e, "recording the delivery outcome");
    }
}

async fn send_queued(state: &AppState, url: &str, outbox_id: &str) -> anyhow::Result<()> {
    let (to, subject, body): (String, String, String) =
        sqlx::query_as("SELECT recipient, subject, body FROM outbox WHERE id = $1")
            .bind(outbox_id)
            .fetch_one(&state.db.pool)
            .await
            .context("loading the queued mail")?;
    let from = state.config.mail_from.clone().unwrap_or_else(|| format!("Tenantry <no-reply@{}>", state.config.base_domain));
    let message = Message::builder()
        .from(from.parse::<Mailbox>().context("MAIL_FROM is not a mailbox")?)
        .to(to.parse::<Mailbox>().context("recipient is not a mailbox")?)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(plain_body(body))
        .context("building the message")?;
    transport(url)?.send(message).await.context("sending over SMTP")?;
    Ok(())
}

/// 7bit whenever RFC 5322 allows it (ASCII, lines of at most 998 octets), so a long accept
/// link arrives byte for byte; lettre's own choice folds lines over 76 characters with
/// quoted-printable, which breaks links in naive readers. Anything else: lettre encodes.
fn plain_body(text: String) -> Body {
    let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
    let seven_bit = crlf.is_ascii() && crlf.split("\r\n").all(|line| line.len() <= 998 && !line.contains(['\r', '\0']));
    if seven_bit {
        Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::SevenBit)
    } else {
        Body::new(text)
    }
}

/// `smtp://[user[:password]@]host[:port]` (port 25 by default), plain SMTP. This build has
/// no TLS stack, so `smtps://` is refused with a clear error rather than sent in the clear.
fn transport(url: &str) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let Some(rest) = url.strip_prefix("smtp://") else {
        bail!("SMTP_URL must start with smtp:// (this build has no TLS support for smtps://)");
    };
    let rest = rest.trim_end_matches('/');
    let (userinfo, hostport) = match rest.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, rest),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| anyhow!("SMTP_URL has a bad port"))?),
        None => (hostport, 25),
    };
    if host.is_empty() {
        bail!("SMTP_URL has no host");
    }
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .timeout(Some(Duration::from_secs(10)));
    if let Some(userinfo) = userinfo {
        let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        builder = builder.credentials(Credentials::new(percent_decode(user), percent_decode(password)));
    }
    Ok(builder.build())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: String,
    recipient: String,
    subject: String,
    body: String,
    created_at: i64,
    sent_at: Option<i64>,
    error: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/outbox", tag = "people", params(ListQuery, ("X-Org-Id" = Option<String>, Header, description = "org context")),
    responses((status = 200, body = Page<OutboxMail>, description = "mails of the current org, newest first"), (status = 401), (status = 403), (status = 404)))]
#[tracing::instrument(skip(state, ctx, q), fields(org = %ctx.org.id))]
pub async fn list(State(state): State<AppState>, ctx: OrgCtx, Query(q): Query<ListQuery>) -> Result<Json<Page<OutboxMail>>> {
    ctx.admin()?;
    let (limit, offset) = page_bounds(&q)?;
    let rows: Vec<OutboxRow> = sqlx::query_as(
        "SELECT id, recipient, subject, body, created_at, sent_at, error FROM outbox WHERE org_id = $1 \
         ORDER BY created_at DESC, id LIMIT $2 OFFSET $3",
    )
    .bind(ctx.org_id())
    .bind((limit + 1) as i64)
    .bind(offset as i64)
    .fetch_all(&state.db.pool)
    .await?;
    let more = rows.len() > limit;
    let items = rows
        .into_iter()
        .take(limit)
        .map(|r| OutboxMail {
            id: parse_uuid(&r.id),
            to: r.recipient,
            subject: r.subject,
            body: r.body,
            created_at: rfc3339(r.created_at),
            sent_at: r.sent_at.map(rfc3339),
            error: r.error,
        })
        .collect();
    Ok(Json(Page { items, next_cursor: more.then(|| (offset + limit).to_string()) }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn smtp_urls() {
        assert!(super::transport("smtp://127.0.0.1:2525").is_ok());
        assert!(super::transport("smtp://user:p%40ss@mail.example").is_ok());
        assert!(super::transport("smtps://mail.example").is_err());
        assert!(super::transport("smtp://mail.example:notaport").is_err());
        assert_eq!(super::percent_decode("p%40ss%2"), "p@ss%2");
    }

    #[test]
    fn long_ascii_lines_stay_literal() {
        let link = format!("http://acme.localhost/accept?token={}", "A=b".repeat(40));
        let body = super::plain_body(format!("hi\n{link}\n"));
        assert_eq!(body.encoding(), lettre::message::header::ContentTransferEncoding::SevenBit);
        assert_eq!(body.into_vec(), format!("hi\r\n{link}\r\n").into_bytes());
        let unicode = super::plain_body("Grüße".to_string());
        assert_ne!(unicode.encoding(), lettre::message::header::ContentTransferEncoding::SevenBit);
    }
}
