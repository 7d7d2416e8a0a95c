//! Random tokens and password hashes. Tokens go to the person (cookie, mailed link); only their
//! SHA-256 is stored. Passwords are hashed with argon2id on the blocking pool, never on the async
//! runtime's threads.

use crate::error::AppError;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 256 random bits as 64 hex characters.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// What is stored in place of a token.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// How many password hashes run at once (each takes 19 MiB and a core for tens of
/// milliseconds); more wait their turn, so a flood of sign-ins cannot exhaust memory.
const HASHES_AT_ONCE: usize = 4;

/// Waits for a turn to hash; the permit is held while the hash runs.
async fn hashing_turn() -> Result<tokio::sync::SemaphorePermit<'static>, AppError> {
    static TURNS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(HASHES_AT_ONCE);
    TURNS
        .acquire()
        .await
        .map_err(|e| AppError::internal("hashing", e))
}

/// argon2id with the crate's defaults (19 MiB, 2 passes, 1 lane: OWASP's recommendation).
pub async fn hash_password(password: String) -> Result<String, AppError> {
    let _turn = hashing_turn().await?;
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| AppError::internal("hashing", e))?
}

fn hash_now(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal("hashing", e))
}

/// Checks a password against a stored hash. With no hash (unknown person, or an account without a
/// password) a dummy hash is checked instead, so the answer takes the same time either way.
pub async fn verify_password(password: String, stored: Option<String>) -> bool {
    let Ok(_turn) = hashing_turn().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || {
        static DUMMY: OnceLock<String> = OnceLock::new();
        let exists = stored.is_some();
        let stored = stored.unwrap_or_else(|| {
            DUMMY
                .get_or_init(|| hash_now("dummy password for timing").unwrap_or_default())
                .clone()
        });
        let ok = PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        ok && exists
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hash = hash_password("kiln-Violet-42".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("kiln"));
        assert!(verify_password("kiln-Violet-42".into(), Some(hash.clone())).await);
        assert!(!verify_password("kiln-Violet-43".into(), Some(hash)).await);
        assert!(!verify_password("dummy password for timing".into(), None).await);
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), a);
    }
}
