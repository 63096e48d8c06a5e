//! argon2id with OWASP's parameters (m=19456 KiB, t=2, p=1), always off the async runtime.
use anyhow::Context;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::LazyLock;
use tokio::sync::Semaphore;

/// Each hash takes 19 MiB for a moment; at most this many run at once (one per core), so a
/// burst of sign-ins queues briefly instead of multiplying the server's memory.
static HASHING: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8)));

fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("valid argon2 params");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a random password, verified against when the email is unknown so that an
/// unknown email costs the same time as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2().hash_password(super::random_secret().as_bytes(), &salt).expect("hashing").to_string()
});

/// Checks the password policy; the message names what is wrong.
pub fn check_policy(password: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < 10 {
        return Err("must be at least 10 characters".into());
    }
    if len > 256 {
        return Err("must be at most 256 characters".into());
    }
    Ok(())
}

pub async fn hash(password: String) -> anyhow::Result<String> {
    let _permit = HASHING.acquire().await.context("password hashing limit")?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
    })
    .await
    .context("password hashing task")?
}

/// Verifies `password` against `stored`, or against a dummy hash when there is no user.
pub async fn verify(stored: Option<String>, password: String) -> anyhow::Result<bool> {
    let _permit = HASHING.acquire().await.context("password hashing limit")?;
    tokio::task::spawn_blocking(move || {
        let real = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let Ok(parsed) = PasswordHash::new(&stored) else { return false };
        argon2().verify_password(password.as_bytes(), &parsed).is_ok() && real
    })
    .await
    .context("password verification task")
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = super::hash("correct horse battery".into()).await.unwrap();
        let b = super::hash("correct horse battery".into()).await.unwrap();
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(super::verify(Some(a.clone()), "correct horse battery".into()).await.unwrap());
        assert!(!super::verify(Some(a), "wrong".into()).await.unwrap());
        assert!(!super::verify(None, "anything".into()).await.unwrap());
    }
}
