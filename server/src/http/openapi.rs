//! Completes the OpenAPI document with the error answers every operation can give, so a
//! client generated from it never meets an undocumented status: each 4xx answer carries the
//! error envelope's schema, and the statuses that come from the plumbing rather than the
//! handler (400 and 422 from parsing, 413 and 415 for bodies, 401/403/404 from
//! authentication and the org context, 429 from sign-in limits) are listed on every
//! operation they apply to. `tests/api/hardening.rs` walks the document to hold it to that.
use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// Operations anyone may call without signing in.
const PUBLIC: &[(&str, &str)] = &[
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/auth/passkey/start"),
    ("post", "/api/v1/auth/passkey/finish"),
    ("get", "/api/v1/invitations/lookup"),
    ("post", "/api/v1/invitations/accept"),
];

/// Sign-in endpoints, rate limited per account and address.
const RATE_LIMITED: &[&str] = &["/api/v1/auth/login", "/api/v1/auth/token", "/api/v1/auth/passkey/finish"];

pub struct ErrorResponses;

fn describe(status: &str) -> &'static str {
    match status {
        "400" => "malformed: the body is not JSON, or the request can't be read",
        "401" => "not signed in, or the credential is no longer valid",
        "403" => "signed in but not allowed (or a cookie-authenticated write without `X-CSRF-Token`)",
        "404" => "not found, or in an org the caller can't access (the same answer)",
        "405" => "the path doesn't take this method",
        "409" => "a unique value is taken (named in `fields`)",
        "413" => "the body is over the limit (named in the message)",
        "415" => "send `Content-Type: application/json`",
        "422" => "a field or parameter is missing, of the wrong type, out of range or unknown (each named in `fields`)",
        "429" => "too many attempts; try again later",
        _ => "error",
    }
}

fn complete(method: &str, path: &str, op: &mut Operation) {
    let public = PUBLIC.contains(&(method, path));
    let mut statuses = vec!["400", "422"];
    if op.request_body.is_some() {
        statuses.extend(["413", "415"]);
    }
    if !public {
        statuses.extend(["401", "403", "404"]);
    }
    if RATE_LIMITED.contains(&path) {
        statuses.push("429");
    }
    for status in statuses {
        op.responses.responses.entry(status.to_string()).or_insert_with(|| ResponseBuilder::new().description(describe(status)).into());
    }
    // Every error answer, listed by a handler or above, has the envelope's schema.
    for (status, response) in op.responses.responses.iter_mut() {
        if !(status.starts_with('4') || status.starts_with('5')) {
            continue;
        }
        if let RefOr::T(r) = response {
            if r.description.is_empty() {
                r.description = describe(status).to_string();
            }
            if r.content.is_empty() {
                r.content.insert(
                    "application/json".to_string(),
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("ApiErrorBody"))).build(),
                );
            }
        }
    }
}

impl utoipa::Modify for ErrorResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (method, op) in [
                ("get", &mut item.get),
                ("put", &mut item.put),
                ("post", &mut item.post),
                ("delete", &mut item.delete),
                ("patch", &mut item.patch),
            ] {
                if let Some(op) = op {
                    complete(method, path, op);
                }
            }
        }
    }
}
