//! The set of 户编号 an import has met, kept as 128-bit digests: a few bytes per household
//! instead of the numbers themselves, so that memory barely grows with the file (a
//! collision between two numbers is as likely as one of SHA-256's, which is to say never).

use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// 户编号 met so far.
#[derive(Debug, Default)]
pub struct NumberSet(HashSet<u128>);

fn digest(number: &str) -> u128 {
    let hash = Sha256::digest(number.as_bytes());
    let mut first = [0u8; 16];
    first.copy_from_slice(&hash[..16]);
    u128::from_le_bytes(first)
}

impl NumberSet {
    /// Adds a number; `false` when it was met before.
    pub fn insert(&mut self, number: &str) -> bool {
        self.0.insert(digest(number))
    }

    /// Whether a number was met.
    pub fn contains(&self, number: &str) -> bool {
        self.0.contains(&digest(number))
    }

    /// How many numbers were met.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_told_apart() {
        let mut set = NumberSet::default();
        assert!(set.insert("H0000001"));
        assert!(!set.insert("H0000001"));
        assert!(set.insert("H0000010"));
        assert!(set.contains("H0000010") && !set.contains("H0000100"));
        assert_eq!(set.len(), 2);
        assert!(!NumberSet::default().contains(""));
    }
}
