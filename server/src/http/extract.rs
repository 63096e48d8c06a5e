//! The API's own `Json`, `Query` and `Path` extractors, and the layer that puts every other
//! error answer under `/api` into the envelope.
//!
//! axum's extractors answer a bad request with plain text (`Failed to deserialize the JSON
//! body…`), which a script can't read and which doesn't name the field. These wrap the same
//! parsing and answer `{"error": {code, message, fields}}` instead, naming the field
//! wherever serde says which (through `serde_path_to_error`):
//! - not JSON at all, or a body that can't be read → 400 `bad_request`;
//! - missing or wrong `Content-Type` → 415 `unsupported_media_type`;
//! - a field missing, of the wrong type, out of an enum, or unknown (request bodies deny
//!   unknown fields) → 422 `invalid` with `fields: {"<field>": "<why>"}`;
//! - a body over the limit → 413 `payload_too_large`, naming the limit.
//!
//! `Json` is also the response type, so handlers import it from here and nothing else changes.
use crate::http::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::error::{ApiErrorBody, ApiErrorDetail, ErrorCode};
use std::collections::BTreeMap;

/// The largest JSON body any endpoint reads (axum's default body limit, stated here so the
/// 413 can say it). Imports have their own, larger limit (see [`crate::import`]).
pub const JSON_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// A JSON request body (or response). See the module docs for the rejections.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// A body that couldn't be read: too large (413, naming `limit`) or broken off (400).
pub fn body_rejection(e: BytesRejection, limit: usize) -> ApiError {
    match e {
        BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => ApiError::PayloadTooLarge(format!(
            "the body is larger than the limit of {} ({limit} bytes)",
            human_size(limit)
        )),
        _ => ApiError::BadRequest("the request body could not be read".into()),
    }
}

/// `2 MiB`, `32 MiB`, `512 KiB`.
pub fn human_size(bytes: usize) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType("send the body as JSON with `Content-Type: application/json`".into()));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| body_rejection(e, JSON_BODY_LIMIT))?;
        parse_json(&bytes).map(Json)
    }
}

/// Parses a JSON body, naming the field that is wrong.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = path_of(e.path());
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => field_error(&path, &strip_position(&inner.to_string())),
            _ => ApiError::BadRequest(format!("the body is not valid JSON ({})", inner)),
        }
    })?;
    // Trailing characters after the value are a syntax error too.
    de.end().map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON ({e})")))?;
    Ok(value)
}

/// `a.b[2].c` from serde_path_to_error's segments (`""` at the root).
fn path_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

/// serde_json appends ` at line 1 column 20`; the field name says more.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// The text between the first pair of backticks.
fn backticked(msg: &str) -> Option<&str> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(&msg[start..start + len])
}

/// A 422 for one field. serde reports a missing or unknown field at the level of the object
/// that holds it, so its name comes from the message (`missing field `email``).
fn field_error(path: &str, msg: &str) -> ApiError {
    let join = |name: &str| if path.is_empty() { name.to_string() } else { format!("{path}.{name}") };
    let (field, why) = if msg.starts_with("missing field") {
        (backticked(msg).map(join).unwrap_or_else(|| path.to_string()), "is required".to_string())
    } else if msg.starts_with("unknown field") {
        // The path may already end in the unknown key; don't name it twice.
        let name = backticked(msg).unwrap_or("");
        let field = if path == name || path.ends_with(&format!(".{name}")) { path.to_string() } else { join(name) };
        (field, "unknown field".to_string())
    } else if msg.starts_with("unknown variant") {
        let expected = msg.find("expected").map(|i| msg[i..].to_string()).unwrap_or_default();
        (path.to_string(), if expected.is_empty() { "is not one of the allowed values".into() } else { format!("is not one of the allowed values ({expected})") })
    } else {
        (path.to_string(), msg.to_string())
    };
    let field = if field.is_empty() { "body".to_string() } else { field };
    ApiError::Invalid(BTreeMap::from([(field, why)]))
}

/// Query parameters; a parameter that doesn't parse is a 422 naming it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::try_from_uri(&parts.uri) {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(rejection) => {
                let found = source_chain(&rejection).find_map(|e| e.downcast_ref::<serde_path_to_error::Error<serde::de::value::Error>>());
                Err(match found {
                    Some(e) => query_field_error(&path_of(e.path()), &e.inner().to_string()),
                    None => ApiError::BadRequest("the query string can't be read".into()),
                })
            }
        }
    }
}

fn query_field_error(path: &str, msg: &str) -> ApiError {
    let why = if msg.contains("invalid digit") || msg.contains("number too large") || msg.contains("cannot parse integer") {
        "must be a whole number in range".to_string()
    } else if msg.contains("provided string was not `true` or `false`") {
        "must be true or false".to_string()
    } else {
        msg.to_string()
    };
    field_error(path, &why)
}

fn source_chain<'a>(e: &'a (dyn std::error::Error + 'static)) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(e), |e| e.source())
}

/// Path parameters. Handlers take ids as text and answer 404 for one that isn't theirs, so
/// this fails only when a parameter doesn't fit its type at all: 404, like any unknown path.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(e) => {
                tracing::debug!(error = %e, "path parameters rejected");
                Err(ApiError::NotFound)
            }
        }
    }
}

/// The error code for a status, for answers that didn't come from an [`ApiError`].
fn code_for(status: StatusCode) -> ErrorCode {
    match status.as_u16() {
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        405 => ErrorCode::MethodNotAllowed,
        409 => ErrorCode::Conflict,
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        422 => ErrorCode::Invalid,
        429 => ErrorCode::RateLimited,
        400..=499 => ErrorCode::BadRequest,
        _ => ErrorCode::Internal,
    }
}

/// A response layer for `/api`: any error answer that isn't JSON yet (a rejection from an
/// extractor we don't wrap, 405 from routing, 413 from a body limit) is rewritten into the
/// envelope with the same status. The original text is kept as the message for 4xx (it is
/// axum's fixed wording, never user data); 5xx text is never sent.
pub async fn envelope_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.starts_with("application/x-ndjson"));
    if is_json {
        return response;
    }
    let code = code_for(status);
    let (parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, 4096).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_string(),
        Err(_) => String::new(),
    };
    let message = if status.is_server_error() || text.is_empty() {
        match status {
            StatusCode::PAYLOAD_TOO_LARGE => format!("the body is larger than the limit of {}", human_size(JSON_BODY_LIMIT)),
            StatusCode::METHOD_NOT_ALLOWED => "this method is not allowed here".to_string(),
            _ if status.is_server_error() => "something went wrong on our side".to_string(),
            _ => status.canonical_reason().unwrap_or("error").to_ascii_lowercase(),
        }
    } else if status == StatusCode::PAYLOAD_TOO_LARGE {
        format!("{text} (the limit is {})", human_size(JSON_BODY_LIMIT))
    } else {
        text
    };
    let body = ApiErrorBody { error: ApiErrorDetail { code, message, fields: BTreeMap::new() } };
    let mut out = (status, axum::Json(body)).into_response();
    // Keep headers such as `Allow` (405) and `Retry-After`, but not the old body's.
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: ApiError) -> BTreeMap<String, String> {
        match e {
            ApiError::Invalid(f) => f,
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        user_id: uuid::Uuid,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        count: Option<u32>,
        inner: Option<Inner>,
    }

    #[test]
    fn json_errors_name_the_field() {
        assert!(fields(parse_json::<Body>(br#"{}"#).unwrap_err()).contains_key("name"));
        assert_eq!(fields(parse_json::<Body>(br#"{"name": 5}"#).unwrap_err()).keys().next().unwrap(), "name");
        assert_eq!(fields(parse_json::<Body>(br#"{"name": "a", "count": -1}"#).unwrap_err()).keys().next().unwrap(), "count");
        assert_eq!(fields(parse_json::<Body>(br#"{"name": "a", "group_ids": []}"#).unwrap_err())["group_ids"], "unknown field");
        assert_eq!(fields(parse_json::<Body>(br#"{"name": "a", "inner": {"user_id": "x"}}"#).unwrap_err()).keys().next().unwrap(), "inner.user_id");
        assert!(fields(parse_json::<Body>(br#"{"name": "a", "inner": {}}"#).unwrap_err()).contains_key("inner.user_id"));
        assert!(matches!(parse_json::<Body>(b"name=a"), Err(ApiError::BadRequest(_))));
        // Inside a tagged enum (a notification's target) too.
        let target = fields(parse_json::<shared::api::CreateNotification>(br#"{"target": {"kind": "org", "extra": 1}, "title": "t"}"#).unwrap_err());
        assert!(target.keys().any(|k| k.starts_with("target")), "{target:?}");
        let target = fields(parse_json::<shared::api::CreateNotification>(br#"{"target": {"kind": "role", "role": "admin", "x": 1}, "title": "t"}"#).unwrap_err());
        assert!(target.keys().any(|k| k.starts_with("target")), "{target:?}");
        let target = fields(parse_json::<shared::api::CreateNotification>(br#"{"target": {"kind": "org", "role": "admin"}, "title": "t"}"#).unwrap_err());
        assert_eq!(target.get("target.role").map(String::as_str), Some("unknown field"), "{target:?}");
        let target = fields(parse_json::<shared::api::CreateNotification>(br#"{"target": {"kind": "user"}, "title": "t"}"#).unwrap_err());
        assert_eq!(target.get("target.user_id").map(String::as_str), Some("is required"), "{target:?}");
        let ok = parse_json::<shared::api::CreateNotification>(br#"{"target": {"kind": "group", "group_id": "6f1c2b8e-0d2a-4a8e-9c1e-2f4b5a6c7d8e"}, "title": "t"}"#);
        assert!(ok.is_ok());
        assert!(matches!(parse_json::<Body>(br#"{"name": "a"} x"#), Err(ApiError::BadRequest(_))));
    }
}
