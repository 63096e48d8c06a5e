//! Identity: passwords, sessions, personal access tokens, sign-in rate limits, second factors
//! and passkeys, and the
//! `/api/v1/auth`, `/api/v1/me` and `/api/v1/tokens` endpoints.
pub mod everywhere;
pub mod form_login;
pub mod handoff;
pub mod mfa;
pub mod passkeys;
pub mod password;
pub mod ratelimit;
pub mod routes;
pub mod session;
pub mod token;

use rand::RngCore;
use sha2::{Digest, Sha256};

/// 256 random bits, URL-safe base64.
pub fn random_secret() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Secrets are stored only as their SHA-256: a database leak does not leak live credentials.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}
