//! Passkeys in the browser: the three ceremonies the pages run (register, sign in, prove it is
//! you), each a round trip server → authenticator → server. The WebAuthn calls themselves are
//! in `public/passkeys.js` (loaded by the shell), which converts the server's JSON options with
//! `PublicKeyCredential.parse…OptionsFromJSON` and the answer with `credential.toJSON()`.
use crate::client::{self, ApiFailure};
use shared::api::{FreshProof, PasskeyCredential, PasskeyInfo, PasskeyOptions, PasskeyRegistrationStart};

/// Why a ceremony ended without a result.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// Nothing to tell: replaced by another request (the autofill request when a button was
    /// pressed), or dismissed before anything happened.
    Silent,
    /// The server's answer (its `fields` name what was wrong).
    Api(ApiFailure),
    /// The browser or the authenticator refused, in words for the person.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    Browser(String),
}

impl Failure {
    /// One sentence for the page (API field errors are usually shown beside their field).
    pub fn message(&self) -> Option<String> {
        match self {
            Failure::Silent => None,
            Failure::Browser(m) => Some(m.clone()),
            Failure::Api(f) => Some(match (f.status, f.field("credential"), f.field("ceremony")) {
                (_, _, Some(_)) => "That took too long, or was already used. Try again.".to_string(),
                (401, Some(why), _) => format!("That passkey was not accepted: it {why}."),
                (429, _, _) => "Too many failed attempts. Wait a few minutes and try again.".to_string(),
                _ => f.fields.iter().next().map_or_else(|| f.message.clone(), |(field, m)| format!("{} {m}.", field.replace('_', " "))),
            }),
        }
    }
}

/// Whether the browser offers passkeys in the autofill of a `webauthn` field.
pub async fn conditional_available() -> bool {
    imp::conditional_available().await
}

/// Signs in with a passkey (no email): the browser's prompt, or with `conditional` the
/// autofill of the email field.
pub async fn sign_in(conditional: bool) -> Result<client::auth::SignedIn, Failure> {
    let credential = assertion(conditional).await?;
    client::post::<client::auth::SignedIn, _>("/api/v1/auth/passkey/finish", None, &PasskeyCredential { credential }).await.map_err(Failure::Api)
}

/// An assertion by one of the person's passkeys, for a fresh proof ([`FreshProof::passkey`]).
pub async fn proof() -> Result<FreshProof, Failure> {
    Ok(FreshProof { passkey: Some(assertion(false).await?), ..FreshProof::default() })
}

async fn assertion(conditional: bool) -> Result<serde_json::Value, Failure> {
    let options = client::post::<PasskeyOptions, _>("/api/v1/auth/passkey/start", None, &serde_json::json!({})).await.map_err(Failure::Api)?;
    imp::get(&options, conditional).await
}

/// Registers a new passkey named in `start` (which carries the fresh proof).
pub async fn register(start: &PasskeyRegistrationStart) -> Result<PasskeyInfo, Failure> {
    let options = client::post::<PasskeyOptions, _>("/api/v1/me/passkeys/register/start", None, start).await.map_err(Failure::Api)?;
    let credential = imp::create(&options).await?;
    client::post::<PasskeyInfo, _>("/api/v1/me/passkeys/register/finish", None, &PasskeyCredential { credential }).await.map_err(Failure::Api)
}

#[cfg(feature = "hydrate")]
mod imp {
    use super::Failure;
    use shared::api::PasskeyOptions;
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = tenantryPasskeys, js_name = supported, catch)]
        fn js_supported() -> Result<bool, JsValue>;
        #[wasm_bindgen(js_namespace = tenantryPasskeys, js_name = conditionalAvailable, catch)]
        async fn js_conditional_available() -> Result<JsValue, JsValue>;
        #[wasm_bindgen(js_namespace = tenantryPasskeys, js_name = create, catch)]
        async fn js_create(options: &str) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(js_namespace = tenantryPasskeys, js_name = get, catch)]
        async fn js_get(options: &str, conditional: bool) -> Result<JsValue, JsValue>;
    }

    fn supported() -> bool {
        js_supported().unwrap_or(false)
    }

    pub async fn conditional_available() -> bool {
        js_conditional_available().await.ok().and_then(|v| v.as_bool()).unwrap_or(false)
    }

    pub async fn create(options: &PasskeyOptions) -> Result<serde_json::Value, Failure> {
        if !supported() {
            return Err(unsupported());
        }
        answer(js_create(&json(options)?).await, true)
    }

    pub async fn get(options: &PasskeyOptions, conditional: bool) -> Result<serde_json::Value, Failure> {
        if !supported() {
            return Err(unsupported());
        }
        answer(js_get(&json(options)?, conditional).await, false)
    }

    fn json(options: &PasskeyOptions) -> Result<String, Failure> {
        serde_json::to_string(options).map_err(|e| Failure::Browser(format!("Could not read the server's passkey options ({e}).")))
    }

    fn unsupported() -> Failure {
        Failure::Browser("This browser can't use passkeys. Sign in with your password, or use a current browser.".into())
    }

    /// The credential JSON, or why there is none (by the `DOMException`'s name).
    fn answer(result: Result<JsValue, JsValue>, registering: bool) -> Result<serde_json::Value, Failure> {
        let e = match result {
            Ok(v) => {
                let text = v.as_string().unwrap_or_default();
                return serde_json::from_str(&text).map_err(|e| Failure::Browser(format!("The browser's answer was unreadable ({e}).")));
            }
            Err(e) => e,
        };
        let name = js_sys::Reflect::get(&e, &"name".into()).ok().and_then(|n| n.as_string()).unwrap_or_default();
        let message = js_sys::Reflect::get(&e, &"message".into()).ok().and_then(|n| n.as_string()).unwrap_or_default();
        Err(match name.as_str() {
            "AbortError" => Failure::Silent,
            "NotAllowedError" => Failure::Browser(if registering {
                "No passkey was created: the request was cancelled, timed out, or your device couldn't verify you (PIN, fingerprint or face).".into()
            } else {
                "No passkey was used: the request was cancelled, timed out, or your device couldn't verify you (PIN, fingerprint or face).".into()
            }),
            "InvalidStateError" => Failure::Browser("This device already holds a passkey for your account.".into()),
            "SecurityError" => Failure::Browser(
                "Passkeys work only at this site's own address (for example http://localhost, not http://127.0.0.1).".into(),
            ),
            _ => Failure::Browser(format!("The passkey request failed: {name} {message}").trim().to_string()),
        })
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use super::Failure;
    use shared::api::PasskeyOptions;

    pub async fn conditional_available() -> bool {
        false
    }

    pub async fn create(_options: &PasskeyOptions) -> Result<serde_json::Value, Failure> {
        Err(Failure::Silent)
    }

    pub async fn get(_options: &PasskeyOptions, _conditional: bool) -> Result<serde_json::Value, Failure> {
        Err(Failure::Silent)
    }
}
