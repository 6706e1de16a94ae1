//! Small validated value types used across the form: region codes, entry keys, photo hashes,
//! months and quarters, and the set-as-map representation of multi-valued fields.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A value that failed its format check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: `{value}` {reason}")]
pub struct FormatError {
    /// The kind of value ("region code", "entry id", ...).
    pub kind: &'static str,
    /// The rejected input.
    pub value: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

fn format_error(kind: &'static str, value: &str, reason: &'static str) -> FormatError {
    FormatError {
        kind,
        value: value.to_owned(),
        reason,
    }
}

macro_rules! string_newtype {
    ($(#[$meta:meta])* $name:ident, $pattern:literal, $check:path) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks the format and wraps the value.
            pub fn parse(value: &str) -> Result<Self, FormatError> {
                $check(value).map(|()| Self(value.to_owned()))
            }
            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = FormatError;
            fn try_from(value: String) -> Result<Self, FormatError> {
                $check(&value).map(|()| Self(value))
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = FormatError;
            fn from_str(s: &str) -> Result<Self, FormatError> {
                Self::parse(s)
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "pattern": $pattern })
            }
        }
    };
}

fn check_region_code(v: &str) -> Result<(), FormatError> {
    if !matches!(v.len(), 2 | 4 | 6 | 9 | 12) || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format_error(
            "region code",
            v,
            "must be 2, 4, 6, 9 or 12 digits",
        ));
    }
    Ok(())
}

fn check_entry_id(v: &str) -> Result<(), FormatError> {
    let bytes = v.as_bytes();
    let shaped = bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(b),
        });
    if shaped {
        Ok(())
    } else {
        Err(format_error(
            "entry id",
            v,
            "must be a lowercase hyphenated UUID",
        ))
    }
}

fn check_photo_hash(v: &str) -> Result<(), FormatError> {
    if v.len() == 64
        && v.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(format_error(
            "photo hash",
            v,
            "must be 64 lowercase hex digits (SHA-256)",
        ))
    }
}

fn check_year_month(v: &str) -> Result<(), FormatError> {
    let ok = v.len() == 7
        && v.as_bytes()[4] == b'-'
        && v[..4].bytes().all(|b| b.is_ascii_digit())
        && v[5..].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m));
    if ok {
        Ok(())
    } else {
        Err(format_error("month", v, "must look like 2022-03"))
    }
}

fn check_quarter(v: &str) -> Result<(), FormatError> {
    let ok = v.len() == 6
        && v[..4].bytes().all(|b| b.is_ascii_digit())
        && v.as_bytes()[4] == b'Q'
        && matches!(v.as_bytes()[5], b'1'..=b'4');
    if ok {
        Ok(())
    } else {
        Err(format_error("quarter", v, "must look like 2022Q1"))
    }
}

string_newtype!(
    /// Hierarchical region code: county (6 digits, 652822) → township (9) → village (12).
    /// A user's scope is a prefix of it.
    RegionCode, "^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})$", check_region_code
);
string_newtype!(
    /// Key of an entry (member, measure, event, visit): a fresh UUID chosen by whoever
    /// creates the entry, so that two tablets never create the same key.
    EntryId, "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", check_entry_id
);
string_newtype!(
    /// SHA-256 of a photo's original bytes, lowercase hex.
    PhotoHash, "^[0-9a-f]{64}$", check_photo_hash
);
string_newtype!(
    /// A calendar month, `YYYY-MM`.
    YearMonth, "^[0-9]{4}-(0[1-9]|1[0-2])$", check_year_month
);
string_newtype!(
    /// A quarter, `YYYYQn`; the unit of the full sweep.
    Quarter, "^[0-9]{4}Q[1-4]$", check_quarter
);

impl EntryId {
    /// A version-4 UUID from 128 random bits (version and variant bits are set here).
    pub fn from_random_bits(bits: u128) -> Self {
        let bits = (bits & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
        Self(hyphenated_uuid(&format!("{bits:032x}")))
    }
}

/// 32 hex digits as a hyphenated UUID (8-4-4-4-12).
pub(crate) fn hyphenated_uuid(h: &str) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

impl RegionCode {
    /// Whether this code lies inside `scope` (a prefix).
    pub fn is_within(&self, scope: &RegionCode) -> bool {
        self.0.starts_with(&scope.0)
    }
    /// Whether this is a full village code.
    pub fn is_village(&self) -> bool {
        self.0.len() == 12
    }
    /// The six-digit county part.
    pub fn county(&self) -> &str {
        &self.0[..self.0.len().min(6)]
    }
}

/// A multi-valued field stored as a map from code to `true`, so that two tablets adding
/// different values both keep theirs; removing a value writes `false`, never deletes.
///
/// Field names and codes are part of the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSet<T: Ord>(pub BTreeSet<T>);

impl<T: Ord> Default for CodeSet<T> {
    fn default() -> Self {
        Self(BTreeSet::new())
    }
}

impl<T: Ord> CodeSet<T> {
    /// Whether the value is in the set.
    pub fn contains(&self, value: &T) -> bool {
        self.0.contains(value)
    }
    /// Number of values.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The values in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.0.iter()
    }
}

impl<T: Ord> FromIterator<T> for CodeSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl<T: Ord + Serialize> Serialize for CodeSet<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|v| (v, true)))
    }
}

impl<'de, T: Ord + Deserialize<'de>> Deserialize<'de> for CodeSet<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<T, bool>::deserialize(deserializer)?;
        Ok(Self(
            map.into_iter()
                .filter_map(|(k, on)| on.then_some(k))
                .collect(),
        ))
    }
}

impl<T: Ord + JsonSchema> JsonSchema for CodeSet<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("CodeSet_{}", T::schema_name()).into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names = generator.subschema_for::<T>();
        schemars::json_schema!({
            "type": "object",
            "description": "A set stored as a map from code to true; false means removed.",
            "propertyNames": names,
            "additionalProperties": { "type": "boolean" }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RiskType;

    #[test]
    fn region_codes_nest_by_prefix() {
        let village = RegionCode::parse("652822100201").unwrap_or_else(|e| panic!("{e}"));
        let county = RegionCode::parse("652822").unwrap_or_else(|e| panic!("{e}"));
        let other = RegionCode::parse("652823").unwrap_or_else(|e| panic!("{e}"));
        assert!(village.is_within(&county));
        assert!(!village.is_within(&other));
        assert!(village.is_village());
        assert_eq!(village.county(), "652822");
        assert!(RegionCode::parse("65282210020").is_err());
        assert!(RegionCode::parse("65282x").is_err());
    }

    #[test]
    fn entry_ids_must_be_lowercase_uuids() {
        assert!(EntryId::parse("0b6f1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b").is_ok());
        assert!(EntryId::parse("0B6F1A2C-3D4E-4F50-8A6B-7C8D9E0F1A2B").is_err());
        assert!(EntryId::parse("members").is_err());
        let random = EntryId::from_random_bits(u128::MAX);
        assert!(EntryId::parse(random.as_str()).is_ok());
        assert_eq!(&random.as_str()[14..15], "4");
    }

    #[test]
    fn months_quarters_and_hashes_are_checked() {
        assert!(YearMonth::parse("2022-03").is_ok());
        assert!(YearMonth::parse("2022-13").is_err());
        assert!(Quarter::parse("2022Q4").is_ok());
        assert!(Quarter::parse("2022Q5").is_err());
        assert!(PhotoHash::parse(&"a".repeat(64)).is_ok());
        assert!(PhotoHash::parse(&"A".repeat(64)).is_err());
        let bad: Result<Quarter, _> = serde_json::from_str("\"2022-1\"");
        assert!(bad.is_err());
    }

    #[test]
    fn code_sets_serialise_as_maps_and_drop_false_entries() {
        let set: CodeSet<RiskType> = [RiskType::Illness, RiskType::Disaster]
            .into_iter()
            .collect();
        let json = serde_json::to_string(&set).unwrap_or_default();
        assert_eq!(json, r#"{"ILLNESS":true,"DISASTER":true}"#);
        let back: CodeSet<RiskType> =
            serde_json::from_str(r#"{"ILLNESS":true,"DISASTER":false}"#).unwrap_or_default();
        assert_eq!(back.len(), 1);
        assert!(back.contains(&RiskType::Illness));
    }
}
