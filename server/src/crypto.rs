//! Cryptographic primitives behind small interfaces, so that a deployment can swap in
//! Chinese commercial algorithms (SM3 for digests, an SM-based password scheme) without
//! touching the callers.

use sha2::{Digest as _, Sha256};

/// A 256-bit digest (SHA-256 here; SM3 in a deployment that requires it).
pub trait Digest256: Send + Sync {
    /// The algorithm's name, stored with what it hashed.
    fn name(&self) -> &'static str;
    /// Digest of `data`.
    fn digest(&self, data: &[u8]) -> [u8; 32];
}

/// SHA-256.
#[derive(Debug, Default, Clone, Copy)]
pub struct Sha256Digest;

impl Digest256 for Sha256Digest {
    fn name(&self) -> &'static str {
        "sha256"
    }
    fn digest(&self, data: &[u8]) -> [u8; 32] {
        Sha256::digest(data).into()
    }
}

/// Password hashing (Argon2id here).
pub trait PasswordScheme: Send + Sync {
    /// A self-describing hash string with its own salt.
    fn hash(&self, password: &str) -> Result<String, String>;
    /// Whether `password` matches `hash`.
    fn verify(&self, password: &str, hash: &str) -> bool;
}

/// Argon2id with the library's default parameters.
#[derive(Debug, Default, Clone, Copy)]
pub struct Argon2Scheme;

impl PasswordScheme for Argon2Scheme {
    fn hash(&self, password: &str) -> Result<String, String> {
        use argon2::PasswordHasher;
        argon2::Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    }
    fn verify(&self, password: &str, hash: &str) -> bool {
        use argon2::PasswordVerifier;
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), hash)
            .is_ok()
    }
}

/// Whether two byte strings are equal, in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_hashes_verify_only_the_right_password() {
        let hash = Argon2Scheme.hash("门前三包").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(Argon2Scheme.verify("门前三包", &hash));
        assert!(!Argon2Scheme.verify("wrong", &hash));
        assert_ne!(Argon2Scheme.hash("门前三包").unwrap(), hash, "salted");
    }

    #[test]
    fn sha256_matches_the_known_vector() {
        assert_eq!(
            hex::encode(Sha256Digest.digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
