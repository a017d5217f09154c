//! Passwords (argon2id) and API tokens (256 random bits, stored as a SHA-256 digest).
//! Hashing is deliberately slow: callers run it off the async threads (`spawn_blocking`).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::FieldErrors;

pub const MIN_PASSWORD_LEN: usize = 10;
/// Prefix of API tokens, so that a leaked one is recognisable (secret scanners, logs).
pub const API_TOKEN_PREFIX: &str = "cairn_";

/// Checks a new password against the rules people are shown.
pub fn check_password(errors: &mut FieldErrors, field: &str, password: &str) {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        errors.add(field, format!("must be at least {MIN_PASSWORD_LEN} characters"));
    } else if len > 1000 {
        errors.add(field, "must be at most 1000 characters");
    }
}

/// An argon2id PHC string with the crate's default cost (m=19456 KiB, t=2, p=1).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash a password: {e}"))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Hashes on the blocking pool: argon2 takes tens of milliseconds of CPU.
pub async fn hash_password_off_thread(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_password(&password)).await?
}

/// Verifies on the blocking pool; an account without a password (invited, not yet accepted) is
/// checked against a dummy hash so that the answer takes as long either way.
pub async fn verify_password_off_thread(password: String, phc: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match phc {
        Some(phc) => verify_password(&password, &phc),
        None => {
            verify_password(&password, dummy_hash());
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so that sign-in takes as long for an
/// unknown email as for a wrong password.
pub fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not a real password").expect("argon2 hashes a constant"))
}

/// A fresh secret for an API token or a share link: 256 random bits, base64url.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What is stored in place of a secret.
pub fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
    }

    #[test]
    fn secrets_are_long_random_and_digested() {
        let a = new_secret("cairn_");
        let b = new_secret("cairn_");
        assert_ne!(a, b);
        assert_eq!(a.len(), "cairn_".len() + 43);
        assert_eq!(digest(&a).len(), 32);
        assert_ne!(digest(&a), digest(&b));
    }
}
