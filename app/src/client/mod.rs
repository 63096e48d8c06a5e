//! The typed API client used by the pages: one module per area of the API
//! (`client::assets::list(org, &query)`), over the transport below (`get`, `post`, …), which
//! adds the CSRF token, `X-Org-Id`, an `Idempotency-Key` on writes, and retries a failover's
//! 503. Requests run in the browser only (after hydration); on the server they are never awaited.
pub mod assets;
pub mod audit;
pub mod auth;
pub mod operations;
pub mod orgs;
pub mod people;
pub mod settings;

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// A failed API call: status and, when the server sent one, its error body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiFailure {
    pub status: u16,
    pub message: String,
    pub fields: BTreeMap<String, String>,
}

impl ApiFailure {
    pub fn field(&self, name: &str) -> Option<String> {
        self.fields.get(name).cloned()
    }
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn network(e: impl std::fmt::Display) -> Self {
        ApiFailure { status: 0, message: format!("network error: {e}"), fields: BTreeMap::new() }
    }
}

pub type ApiResult<T> = Result<T, ApiFailure>;

/// `?a=1&b=x` from a query struct: fields that are `None` (or empty text) are left out.
pub fn query_string<Q: Serialize>(query: &Q) -> String {
    let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(query) else { return String::new() };
    let pairs: Vec<String> = fields
        .into_iter()
        .filter_map(|(k, v)| {
            let text = match v {
                serde_json::Value::Null => return None,
                serde_json::Value::String(s) if s.is_empty() => return None,
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            Some(format!("{k}={}", encode(&text)))
        })
        .collect();
    if pairs.is_empty() { String::new() } else { format!("?{}", pairs.join("&")) }
}

/// Percent-encodes a query value or path segment (letters, digits and `-_.~` pass through).
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `Some(text)` unless it is blank: an empty search box means "no filter".
pub fn non_empty(s: String) -> Option<String> {
    (!s.trim().is_empty()).then_some(s)
}

/// The org every org-scoped request acts in (sent as `X-Org-Id`).
pub fn org_header(org: Option<uuid::Uuid>) -> Option<String> {
    org.map(|o| o.to_string())
}

#[cfg(feature = "hydrate")]
mod imp {
    use super::*;
    use shared::ApiErrorBody;
    use gloo_net::http::{Method, RequestBuilder};
    use wasm_bindgen::JsCast;

    fn csrf_token() -> Option<String> {
        let doc = web_sys::window()?.document()?.dyn_into::<web_sys::HtmlDocument>().ok()?;
        let cookies = doc.cookie().ok()?;
        cookies.split(';').find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == "tenantry_csrf" || k == "__Host-tenantry_csrf").then(|| v.to_string())
        })
    }

    /// A random `Idempotency-Key` (122 random bits, UUID v4 form) from the browser's crypto.
    fn idempotency_key() -> String {
        let mut bytes = [0u8; 16];
        let filled = (|| -> Option<()> {
            let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
            let get = js_sys::Reflect::get(&crypto, &"getRandomValues".into()).ok()?.dyn_into::<js_sys::Function>().ok()?;
            let array = js_sys::Uint8Array::new_with_length(16);
            get.call1(&crypto, &array).ok()?;
            array.copy_to(&mut bytes);
            Some(())
        })();
        if filled.is_none() {
            for b in bytes.iter_mut() {
                *b = (js_sys::Math::random() * 256.0) as u8;
            }
        }
        uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
    }

    async fn sleep_ms(ms: i32) {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }

    /// Tries a request: 503 (the database is failing over) and network errors are retried a
    /// few times with backoff. Writes carry one `Idempotency-Key` for all their tries, so a
    /// retried write whose first try did reach the database is answered, not done twice.
    pub async fn send<T: DeserializeOwned>(method: Method, path: &str, org: Option<String>, body: Option<String>) -> ApiResult<T> {
        let writes = method != Method::GET;
        let key = writes.then(idempotency_key);
        let mut delay = 500;
        let mut tries = 0;
        loop {
            tries += 1;
            let result = send_once(method.clone(), path, org.as_deref(), body.clone(), key.as_deref()).await;
            match result {
                Err(f) if (f.status == 503 || f.status == 0) && tries < 6 => {
                    sleep_ms(delay).await;
                    delay = (delay * 2).min(4000);
                }
                other => return other,
            }
        }
    }

    async fn send_once<T: DeserializeOwned>(method: Method, path: &str, org: Option<&str>, body: Option<String>, key: Option<&str>) -> ApiResult<T> {
        let writes = method != Method::GET;
        let mut req = RequestBuilder::new(path).method(method).header("Accept", "application/json");
        if let Some(org) = org {
            req = req.header("X-Org-Id", org);
        }
        if writes {
            if let Some(token) = csrf_token() {
                req = req.header("X-CSRF-Token", &token);
            }
        }
        if let Some(key) = key {
            req = req.header("Idempotency-Key", key);
        }
        let resp = match body {
            Some(b) => req.header("Content-Type", "application/json").body(b).map_err(ApiFailure::network)?.send().await,
            None => req.send().await,
        }
        .map_err(ApiFailure::network)?;
        let status = resp.status();
        let text = resp.text().await.map_err(ApiFailure::network)?;
        if (200..300).contains(&status) {
            let text = if text.is_empty() { "null".to_string() } else { text };
            return serde_json::from_str(&text).map_err(|e| ApiFailure::network(format!("unexpected response: {e}")));
        }
        match serde_json::from_str::<ApiErrorBody>(&text) {
            Ok(body) => Err(ApiFailure { status, message: body.error.message, fields: body.error.fields }),
            Err(_) => Err(ApiFailure { status, message: format!("request failed ({status})"), fields: BTreeMap::new() }),
        }
    }

    /// Posts `body` and hands each line of an ndjson answer to `on_line` as it arrives.
    pub async fn post_stream<T: DeserializeOwned>(
        path: &str,
        org: Option<String>,
        content_type: &str,
        body: String,
        mut on_line: impl FnMut(T),
    ) -> ApiResult<()> {
        use wasm_bindgen_futures::JsFuture;
        let mut req = RequestBuilder::new(path)
            .method(Method::POST)
            .header("Accept", "application/x-ndjson")
            .header("Content-Type", content_type);
        if let Some(org) = org {
            req = req.header("X-Org-Id", &org);
        }
        if let Some(token) = csrf_token() {
            req = req.header("X-CSRF-Token", &token);
        }
        // Not retried (the answer streams), but keyed: a repeat by hand is answered, not redone.
        req = req.header("Idempotency-Key", &idempotency_key());
        let resp = req.body(body).map_err(ApiFailure::network)?.send().await.map_err(ApiFailure::network)?;
        let status = resp.status();
        if !(200..300).contains(&status) {
            let text = resp.text().await.map_err(ApiFailure::network)?;
            return Err(match serde_json::from_str::<ApiErrorBody>(&text) {
                Ok(body) => ApiFailure { status, message: body.error.message, fields: body.error.fields },
                Err(_) => ApiFailure { status, message: format!("request failed ({status})"), fields: BTreeMap::new() },
            });
        }
        let stream = resp.body().ok_or_else(|| ApiFailure::network("the answer has no body"))?;
        let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
        let js = |e: wasm_bindgen::JsValue| ApiFailure::network(format!("{e:?}"));
        // Bytes, not text: a chunk may end inside a UTF-8 character.
        let mut pending: Vec<u8> = Vec::new();
        loop {
            let chunk = JsFuture::from(reader.read()).await.map_err(js)?;
            let done = js_sys::Reflect::get(&chunk, &"done".into()).map_err(js)?.as_bool().unwrap_or(true);
            if done {
                break;
            }
            let value: js_sys::Uint8Array = js_sys::Reflect::get(&chunk, &"value".into()).map_err(js)?.unchecked_into();
            pending.extend(value.to_vec());
            while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                if let Ok(item) = serde_json::from_slice::<T>(&line[..end]) {
                    on_line(item);
                }
            }
        }
        Ok(())
    }

    /// The text of the file chosen in a file input, with its name.
    pub async fn chosen_file(input: &web_sys::HtmlInputElement) -> Option<(String, String)> {
        let file = input.files()?.get(0)?;
        let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok()?.as_string()?;
        Some((file.name(), text))
    }

    pub use gloo_net::http::Method as M;
}

#[cfg(feature = "hydrate")]
pub use imp::{chosen_file, post_stream};

#[cfg(feature = "hydrate")]
pub async fn get<T: DeserializeOwned>(path: &str, org: Option<String>) -> ApiResult<T> {
    imp::send(imp::M::GET, path, org, None).await
}
#[cfg(feature = "hydrate")]
pub async fn post<T: DeserializeOwned, B: Serialize>(path: &str, org: Option<String>, body: &B) -> ApiResult<T> {
    imp::send(imp::M::POST, path, org, Some(serde_json::to_string(body).unwrap_or_default())).await
}
#[cfg(feature = "hydrate")]
pub async fn patch<T: DeserializeOwned, B: Serialize>(path: &str, org: Option<String>, body: &B) -> ApiResult<T> {
    imp::send(imp::M::PATCH, path, org, Some(serde_json::to_string(body).unwrap_or_default())).await
}
#[cfg(feature = "hydrate")]
pub async fn put<T: DeserializeOwned, B: Serialize>(path: &str, org: Option<String>, body: &B) -> ApiResult<T> {
    imp::send(imp::M::PUT, path, org, Some(serde_json::to_string(body).unwrap_or_default())).await
}
#[cfg(feature = "hydrate")]
pub async fn delete(path: &str, org: Option<String>) -> ApiResult<()> {
    imp::send::<serde_json::Value>(imp::M::DELETE, path, org, None).await.map(|_| ())
}
/// A DELETE that carries a body (e.g. the fresh proof for removing a sign-in factor).
#[cfg(feature = "hydrate")]
pub async fn delete_with<B: Serialize>(path: &str, org: Option<String>, body: &B) -> ApiResult<()> {
    imp::send::<serde_json::Value>(imp::M::DELETE, path, org, Some(serde_json::to_string(body).unwrap_or_default())).await.map(|_| ())
}

#[cfg(not(feature = "hydrate"))]
fn server_side() -> ApiFailure {
    ApiFailure { status: 0, message: "the API client runs in the browser".into(), fields: BTreeMap::new() }
}
#[cfg(not(feature = "hydrate"))]
pub async fn get<T: DeserializeOwned>(_path: &str, _org: Option<String>) -> ApiResult<T> {
    Err(server_side())
}
#[cfg(not(feature = "hydrate"))]
pub async fn post<T: DeserializeOwned, B: Serialize>(_path: &str, _org: Option<String>, _body: &B) -> ApiResult<T> {
    Err(server_side())
}
#[cfg(not(feature = "hydrate"))]
pub async fn patch<T: DeserializeOwned, B: Serialize>(_path: &str, _org: Option<String>, _body: &B) -> ApiResult<T> {
    Err(server_side())
}
#[cfg(not(feature = "hydrate"))]
pub async fn post_stream<T: DeserializeOwned>(_path: &str, _org: Option<String>, _content_type: &str, _body: String, _on_line: impl FnMut(T)) -> ApiResult<()> {
    Err(server_side())
}
#[cfg(not(feature = "hydrate"))]
pub async fn put<T: DeserializeOwned, B: Serialize>(_path: &str, _org: Option<String>, _body: &B) -> ApiResult<T> {
    Err(server_side())
}
#[cfg(not(feature = "hydrate"))]
pub async fn delete(_path: &str, _org: Option<String>) -> ApiResult<()> {
    Err(server_side())
}
#[cfg(not(feature = "hydrate"))]
pub async fn delete_with<B: Serialize>(_path: &str, _org: Option<String>, _body: &B) -> ApiResult<()> {
    Err(server_side())
}

/// Full page load (used after sign-in/out so every cookie and cache starts fresh).
pub fn go_to(href: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_href(href);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = href;
}

/// Remembers the chosen org across page loads.
pub fn store_org(org: Option<uuid::Uuid>) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = match org {
            Some(o) => storage.set_item("tenantry.org", &o.to_string()),
            None => storage.remove_item("tenantry.org"),
        };
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = org;
}

pub fn stored_org() -> Option<uuid::Uuid> {
    #[cfg(feature = "hydrate")]
    {
        let storage = web_sys::window()?.local_storage().ok()??;
        storage.get_item("tenantry.org").ok()?.and_then(|s| uuid::Uuid::parse_str(&s).ok())
    }
    #[cfg(not(feature = "hydrate"))]
    None
}
