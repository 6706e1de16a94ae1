//! Paths into a household document: dotted map keys, `members.<entry id>.name`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A path of map keys from the document root. Entry keys (UUIDs, hashes) contain no dots.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DocPath(Vec<String>);

/// A path that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a document path (dotted keys, none empty)")]
pub struct BadPath(pub String);

impl DocPath {
    /// Parses `household.phone`.
    pub fn parse(text: &str) -> Result<Self, BadPath> {
        let keys: Vec<String> = text.split('.').map(str::to_owned).collect();
        if keys.iter().any(String::is_empty) {
            return Err(BadPath(text.to_owned()));
        }
        Ok(Self(keys))
    }

    /// Builds a path from keys.
    pub fn from_keys<I, S>(keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self(keys.into_iter().map(Into::into).collect())
    }

    /// The keys.
    pub fn keys(&self) -> &[String] {
        &self.0
    }

    /// The path with one more key.
    pub fn child(&self, key: impl Into<String>) -> Self {
        let mut keys = self.0.clone();
        keys.push(key.into());
        Self(keys)
    }

    /// The last key and the parent path.
    pub fn split_last(&self) -> Option<(&String, &[String])> {
        self.0.split_last()
    }

    /// Whether `prefix` is this path or an ancestor of it.
    pub fn starts_with(&self, prefix: &[&str]) -> bool {
        self.0.len() >= prefix.len() && self.0.iter().zip(prefix).all(|(a, b)| a == b)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether this is the root.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for DocPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("."))
    }
}

impl std::str::FromStr for DocPath {
    type Err = BadPath;
    fn from_str(s: &str) -> Result<Self, BadPath> {
        Self::parse(s)
    }
}

impl TryFrom<String> for DocPath {
    type Error = BadPath;
    fn try_from(value: String) -> Result<Self, BadPath> {
        Self::parse(&value)
    }
}

impl From<DocPath> for String {
    fn from(value: DocPath) -> String {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_dotted_paths() {
        let p = DocPath::parse("members.abc.name").unwrap();
        assert_eq!(p.keys(), ["members", "abc", "name"]);
        assert_eq!(p.to_string(), "members.abc.name");
        assert!(p.starts_with(&["members"]));
        assert!(!p.starts_with(&["household"]));
        assert!(DocPath::parse("a..b").is_err());
        assert!(DocPath::parse("").is_err());
    }
}
