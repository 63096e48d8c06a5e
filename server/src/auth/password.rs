//! argon2id with OWASP's parameters (m=19456 KiB, t=2, p=1), always off the async runtime,
//! in working memory that is allocated once and reused.
//!
//! Each hash needs m KiB of working memory. Allocated per hash, it either piled up in glibc's
//! per-thread arenas (RSS 550–713 MB under a sign-in load) or, mapped and unmapped each time,
//! cost a third of the sign-in rate in page faults (BENCHMARKS.md, "RSS"). So a fixed set of
//! work areas is kept instead, one per hash allowed to run at once ([`WorkAreas`]); hashing
//! and verifying both use them, through the `argon2` crate's
//! `hash_password_into_with_memory`, and produce and accept the same PHC strings as the
//! crate's own `PasswordHasher` / `PasswordVerifier` (the tests below hold the two together).
use anyhow::Context;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::{LazyLock, Mutex, PoisonError};
use tokio::sync::{OnceCell, Semaphore, SemaphorePermit};

/// The parameters every new hash gets.
fn params() -> Params {
    Params::new(19_456, 2, 1, None).expect("valid argon2 params")
}

/// Limits on the parameters of a *stored* hash. Older rows may carry other parameters and must
/// still verify, but a hash that asked for gigabytes of memory or hours of work (a corrupted or
/// planted row) is refused before anything is allocated. 64 MiB is RFC 9106's second
/// recommended setting; OWASP's options all use t ≤ 5.
const MAX_M_COST_KIB: u32 = 64 * 1024;
const MAX_T_COST: u32 = 10;

/// One work area per hash allowed to run at once (one per core): a burst of sign-ins queues
/// briefly instead of multiplying the server's memory or starving the other requests of CPU.
static WORK_AREAS: LazyLock<WorkAreas> =
    LazyLock::new(|| WorkAreas::new(std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8)));

/// A hash of a random password, verified against when the email is unknown so that an
/// unknown email costs the same time as a wrong password. Made on first use, in a work area.
static DUMMY_HASH: OnceCell<String> = OnceCell::const_new();

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

/// Hashes a new password: argon2id, [`params`], a random 16-byte salt, as a PHC string.
pub async fn hash(password: String) -> anyhow::Result<String> {
    hash_in(&WORK_AREAS, password).await
}

/// Verifies `password` against `stored`, or against a dummy hash when there is no user.
/// A stored hash that doesn't parse is a wrong password (as with the crate's verifier); one
/// whose parameters exceed the limits above is an error, so the log says which.
pub async fn verify(stored: Option<String>, password: String) -> anyhow::Result<bool> {
    verify_in(&WORK_AREAS, stored, password).await
}

async fn hash_in(areas: &'static WorkAreas, password: String) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    areas.run(params().block_count(), move |memory| hash_with(memory, password.as_bytes(), &salt)).await?
}

async fn verify_in(areas: &'static WorkAreas, stored: Option<String>, password: String) -> anyhow::Result<bool> {
    let real = stored.is_some();
    let stored = match stored {
        Some(s) => s,
        None => DUMMY_HASH.get_or_try_init(|| hash_in(areas, super::random_secret())).await?.clone(),
    };
    let Some(check) = Check::parse(&stored)? else { return Ok(false) };
    let blocks = check.argon2.params().block_count();
    let matches = areas.run(blocks, move |memory| check.matches(memory, password.as_bytes())).await?;
    Ok(matches && real)
}

/// What the crate's `PasswordHasher::hash_password` does, with our work area as the memory.
fn hash_with(memory: &mut [Block], password: &[u8], salt: &SaltString) -> anyhow::Result<String> {
    let params = params();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(|e| anyhow::anyhow!("password salt: {e}"))?;
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        Ok(argon2.hash_password_into_with_memory(password, salt_bytes, out, &mut *memory)?)
    })
    .map_err(|e| anyhow::anyhow!("hashing password: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| anyhow::anyhow!("password hash params: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// A stored PHC string taken apart: the hasher with its algorithm, version and parameters, the
/// salt and the expected output. Owned, so it can move to a blocking thread.
struct Check {
    argon2: Argon2<'static>,
    salt: Vec<u8>,
    expected: Output,
}

impl Check {
    /// `Ok(None)` when the string is not an argon2 hash this crate can check (what the crate's
    /// verifier calls a wrong password); an error when its parameters exceed the limits.
    fn parse(stored: &str) -> anyhow::Result<Option<Check>> {
        let Ok(phc) = PasswordHash::new(stored) else { return Ok(None) };
        let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) =
            (Algorithm::try_from(phc.algorithm), Params::try_from(&phc), phc.salt, phc.hash)
        else {
            return Ok(None);
        };
        let Ok(version) = phc.version.map_or(Ok(Version::default()), Version::try_from) else { return Ok(None) };
        if params.m_cost() > MAX_M_COST_KIB || params.t_cost() > MAX_T_COST {
            anyhow::bail!(
                "a stored password hash asks for m={} KiB, t={}; this server checks at most m={MAX_M_COST_KIB}, t={MAX_T_COST}",
                params.m_cost(),
                params.t_cost()
            );
        }
        let mut salt_bytes = [0u8; 64];
        let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return Ok(None) };
        Ok(Some(Check { argon2: Argon2::new(algorithm, version, params), salt: salt.to_vec(), expected }))
    }

    fn matches(&self, memory: &mut [Block], password: &[u8]) -> bool {
        let computed = Output::init_with(self.expected.len(), |out| {
            Ok(self.argon2.hash_password_into_with_memory(password, &self.salt, out, &mut *memory)?)
        });
        // `Output`'s `==` is the crate's constant-time comparison (`subtle`).
        computed.is_ok_and(|computed| computed == self.expected)
    }
}

/// A fixed set of argon2 work areas and a permit per area. An area is allocated the first time
/// a hash finds none idle, so at most `slots` ever exist, each sized for the largest hash it
/// has run (19 MiB unless an older, larger hash came along; bounded by `MAX_M_COST_KIB`).
/// The areas are never freed: they hold argon2's internal state, which says no more about a
/// password than the stored hash does.
struct WorkAreas {
    permits: Semaphore,
    idle: Mutex<Vec<Vec<Block>>>,
}

impl WorkAreas {
    fn new(slots: usize) -> Self {
        WorkAreas { permits: Semaphore::new(slots), idle: Mutex::new(Vec::with_capacity(slots)) }
    }

    /// Runs `f` on a blocking thread with a work area of exactly `blocks` blocks, once one is
    /// free. The permit and the area travel with the blocking task, so a request that goes away
    /// mid-hash still holds them until the hash ends: the bound on memory holds.
    async fn run<T: Send + 'static>(
        &'static self,
        blocks: usize,
        f: impl FnOnce(&mut [Block]) -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let permit = self.permits.acquire().await.context("password hashing limit")?;
        tokio::task::spawn_blocking(move || {
            let mut lease = Lease { areas: self, memory: self.take(), _permit: permit };
            if lease.memory.len() < blocks {
                // Exactly what is needed: `resize` alone could double the capacity.
                lease.memory.reserve_exact(blocks - lease.memory.len());
                lease.memory.resize(blocks, Block::default());
            }
            f(&mut lease.memory[..blocks])
        })
        .await
        .context("password hashing task")
    }

    /// An idle area, or a new empty one (grown by the caller) when none has been made yet.
    fn take(&self) -> Vec<Block> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop().unwrap_or_default()
    }
}

/// A work area in use; it goes back to the idle list before its permit is released (even if
/// the hash panicked), so the next holder of the permit finds it.
struct Lease {
    areas: &'static WorkAreas,
    memory: Vec<Block>,
    _permit: SemaphorePermit<'static>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        let memory = std::mem::take(&mut self.memory);
        self.areas.idle.lock().unwrap_or_else(PoisonError::into_inner).push(memory);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    /// A pool of its own per test, so the tests can look at its areas.
    fn areas(slots: usize) -> &'static WorkAreas {
        Box::leak(Box::new(WorkAreas::new(slots)))
    }

    /// (number of idle areas, blocks in each)
    fn idle(areas: &WorkAreas) -> Vec<usize> {
        areas.idle.lock().unwrap().iter().map(Vec::len).collect()
    }

    fn plain(m_kib: u32, t: u32) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(m_kib, t, 1, None).unwrap())
    }

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

    #[test]
    fn same_phc_string_as_the_crate_for_the_same_salt() {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let mut memory = vec![Block::default(); params().block_count()];
        let ours = hash_with(&mut memory, b"correct horse battery", &salt).unwrap();
        // Again in the same, now used, memory: the result must not depend on what was there.
        let again = hash_with(&mut memory, b"correct horse battery", &salt).unwrap();
        let crates = plain(19_456, 2).hash_password(b"correct horse battery", &salt).unwrap().to_string();
        assert_eq!(ours, crates);
        assert_eq!(again, crates);
    }

    #[tokio::test]
    async fn crate_hashes_verify_here_and_ours_verify_with_the_crate() {
        let areas = areas(1);
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let crates = plain(19_456, 2).hash_password(b"correct horse battery", &salt).unwrap().to_string();
        assert!(verify_in(areas, Some(crates.clone()), "correct horse battery".into()).await.unwrap());
        assert!(!verify_in(areas, Some(crates), "correct horse batterz".into()).await.unwrap());

        let ours = hash_in(areas, "correct horse battery".into()).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(plain(19_456, 2).verify_password(b"correct horse battery", &parsed).is_ok());
        assert!(plain(19_456, 2).verify_password(b"correct horse batterz", &parsed).is_err());
        assert_eq!(idle(areas), [params().block_count()], "one area, reused");
    }

    #[tokio::test]
    async fn hashes_with_other_params_verify_and_grow_the_area_only_as_needed() {
        let areas = areas(1);
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let small = plain(8 * 1024, 1).hash_password(b"an older password", &salt).unwrap().to_string();
        assert!(verify_in(areas, Some(small.clone()), "an older password".into()).await.unwrap());
        assert!(!verify_in(areas, Some(small.clone()), "a newer password".into()).await.unwrap());
        assert_eq!(idle(areas), [8 * 1024]);

        let ours = hash_in(areas, "a newer password".into()).await.unwrap();
        assert_eq!(idle(areas), [19_456], "grown to today's params");
        // A smaller hash in the larger area still verifies.
        assert!(verify_in(areas, Some(small), "an older password".into()).await.unwrap());
        assert!(verify_in(areas, Some(ours), "a newer password".into()).await.unwrap());

        let big = plain(MAX_M_COST_KIB, 1).hash_password(b"a bigger password", &salt).unwrap().to_string();
        assert!(verify_in(areas, Some(big), "a bigger password".into()).await.unwrap());
        assert_eq!(idle(areas), [MAX_M_COST_KIB as usize], "grown to the largest allowed");
        assert_eq!(areas.idle.lock().unwrap()[0].capacity(), MAX_M_COST_KIB as usize, "no slack");
    }

    #[tokio::test]
    async fn absurd_params_are_refused_before_allocating() {
        let areas = areas(1);
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let real = plain(8 * 1024, 1).hash_password(b"whatever it is", &salt).unwrap();
        let (salt, output) = (real.salt.unwrap(), real.hash.unwrap());
        for params in ["m=4194304,t=1,p=1", "m=65537,t=1,p=1", "m=8192,t=1000000,p=1"] {
            let stored = format!("$argon2id$v=19${params}${salt}${output}");
            let err = verify_in(areas, Some(stored), "whatever it is".into()).await.unwrap_err();
            assert!(err.to_string().contains("this server checks at most"), "{params}: {err}");
        }
        assert!(idle(areas).is_empty(), "nothing allocated");
    }

    #[tokio::test]
    async fn malformed_stored_hashes_are_wrong_passwords() {
        let areas = areas(1);
        for stored in ["", "not a hash", "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", "$argon2id$v=19$m=8192,t=1,p=1"] {
            assert!(!verify_in(areas, Some(stored.into()), "whatever it is".into()).await.unwrap(), "{stored}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_verifications_share_the_areas_and_all_answer_right() {
        let areas = areas(2);
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let stored = plain(8 * 1024, 1).hash_password(b"correct horse battery", &salt).unwrap().to_string();
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let (stored, right) = (stored.clone(), i % 2 == 0);
                let pw = if right { "correct horse battery" } else { "correct horse batterz" };
                tokio::spawn(async move { (right, verify_in(areas, Some(stored), pw.into()).await.unwrap()) })
            })
            .collect();
        for task in tasks {
            let (right, answer) = task.await.unwrap();
            assert_eq!(answer, right);
        }
        let idle = idle(areas);
        assert!(!idle.is_empty() && idle.len() <= 2, "at most one area per slot: {idle:?}");
    }

    /// Not a benchmark: a rough local figure. Run alone, in its own process, to read its VmHWM:
    /// `cargo test -p tenantry --lib password::tests::cost -- --ignored --nocapture`
    #[tokio::test]
    #[ignore]
    async fn cost_of_sequential_verifications() {
        let stored = super::hash("correct horse battery".into()).await.unwrap();
        let start = std::time::Instant::now();
        for _ in 0..20 {
            assert!(super::verify(Some(stored.clone()), "correct horse battery".into()).await.unwrap());
        }
        let hwm = std::fs::read_to_string("/proc/self/status").unwrap();
        let hwm = hwm.lines().find(|l| l.starts_with("VmHWM")).unwrap_or("VmHWM: ?");
        println!("pooled: {:.1} ms/verification; {hwm}", start.elapsed().as_secs_f64() * 1000.0 / 20.0);
    }
}
