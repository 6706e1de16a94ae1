//! The form as a tree of fields, compiled once from the record's JSON Schema (the same
//! schema app developers get), so that the tablet, the server's sync checks and conflict
//! resolution all accept exactly what the form describes: known paths, the value type of
//! each, enumeration codes, formats and length limits.
//!
//! Anything the compiler does not recognise becomes [`Node::Unknown`], which accepts no
//! write: the form fails closed.

mod compile;
mod value;

pub use value::{FormError, Scalar};

use crate::values::{EntryId, PhotoHash};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

/// The format of an entry key, a set member or a formatted text value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// A lowercase hyphenated UUID ([`EntryId`]).
    EntryId,
    /// A SHA-256 in lowercase hex ([`PhotoHash`]).
    PhotoHash,
    /// A region code ([`crate::RegionCode`]).
    RegionCode,
    /// `YYYY-MM`.
    YearMonth,
    /// `YYYYQn`.
    Quarter,
    /// One of an enumeration's codes.
    Code {
        /// The enumeration's name.
        enumeration: String,
        /// Its codes.
        codes: BTreeSet<String>,
    },
}

impl Format {
    /// Whether `text` has this format.
    pub fn accepts(&self, text: &str) -> bool {
        match self {
            Format::EntryId => EntryId::parse(text).is_ok(),
            Format::PhotoHash => PhotoHash::parse(text).is_ok(),
            Format::RegionCode => crate::RegionCode::parse(text).is_ok(),
            Format::YearMonth => crate::YearMonth::parse(text).is_ok(),
            Format::Quarter => crate::Quarter::parse(text).is_ok(),
            Format::Code { codes, .. } => codes.contains(text),
        }
    }

    /// What the format is called in messages.
    pub fn describe(&self) -> String {
        match self {
            Format::EntryId => "an entry id (UUID)".into(),
            Format::PhotoHash => "a photo hash (SHA-256 hex)".into(),
            Format::RegionCode => "a region code".into(),
            Format::YearMonth => "a month (2022-03)".into(),
            Format::Quarter => "a quarter (2022Q1)".into(),
            Format::Code { enumeration, .. } => format!("a code of {enumeration}"),
        }
    }
}

/// The type of a scalar field.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueSpec {
    /// Free text, at most `max_chars` characters.
    Text {
        /// The length limit.
        max_chars: usize,
    },
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// An integer within bounds.
    Integer {
        /// Smallest allowed.
        min: Option<f64>,
        /// Largest allowed.
        max: Option<f64>,
    },
    /// A finite number within bounds.
    Number {
        /// Smallest allowed.
        min: Option<f64>,
        /// Largest allowed.
        max: Option<f64>,
    },
    /// `true` or `false`.
    Boolean,
    /// Text in a format (a code, an id, a month, ...).
    Formatted(Format),
}

/// One node of the form.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A section or an entry body: named fields.
    Struct(StructNode),
    /// Entries keyed by a fresh id (members, measures, ...) or a photo hash.
    Entries {
        /// The key format.
        key: Format,
        /// What each entry holds.
        entry: Box<Node>,
    },
    /// A set stored as a map from a member to `true` (`false` once removed).
    Set {
        /// The member format.
        key: Format,
    },
    /// A scalar.
    Value(ValueSpec),
    /// Something the form does not describe: never writable.
    Unknown,
}

/// Named fields and which of them an entry must have.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StructNode {
    /// The fields by name.
    pub fields: BTreeMap<String, Field>,
    /// Fields that must be present.
    pub required: BTreeSet<String>,
}

/// A field: its node and whether it may be null.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// What the field holds.
    pub node: Node,
    /// Whether `null` is allowed.
    pub nullable: bool,
}

/// What a path leads to in the form.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lookup<'a> {
    /// A container (section, entry map, entry, set): written only by creating it.
    Container(&'a Node),
    /// A scalar field.
    Value {
        /// Its type.
        spec: &'a ValueSpec,
        /// Whether `null` is allowed.
        nullable: bool,
    },
}

/// The compiled form of the household record.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    root: Node,
}

/// Text fields without an explicit limit in the schema take this one.
pub const DEFAULT_MAX_CHARS: usize = 500;

static FORM: LazyLock<Form> = LazyLock::new(|| {
    let schema = schemars::schema_for!(crate::HouseholdRecord);
    Form {
        root: compile::compile(schema.as_value()),
    }
});

/// The household record's form.
pub fn form() -> &'static Form {
    &FORM
}

impl Form {
    /// The root node (the record).
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// What `keys` (a path from the root) lead to; an error names the first key the form
    /// does not have.
    pub fn lookup<S: AsRef<str>>(&self, keys: &[S]) -> Result<Lookup<'_>, FormError> {
        let mut node = &self.root;
        let mut nullable = false;
        for (depth, key) in keys.iter().enumerate() {
            let key = key.as_ref();
            let unknown = || FormError::UnknownField(join(&keys[..=depth]));
            let (next, next_nullable) = match node {
                Node::Struct(s) => {
                    let field = s.fields.get(key).ok_or_else(unknown)?;
                    (&field.node, field.nullable)
                }
                Node::Entries { key: format, entry } if format.accepts(key) => (&**entry, false),
                Node::Set { key: format } if format.accepts(key) => {
                    return if depth + 1 == keys.len() {
                        Ok(Lookup::Value {
                            spec: &ValueSpec::Boolean,
                            nullable: false,
                        })
                    } else {
                        Err(FormError::UnknownField(join(&keys[..=depth + 1])))
                    };
                }
                Node::Entries { key: format, .. } | Node::Set { key: format } => {
                    return Err(FormError::BadKey {
                        path: join(&keys[..=depth]),
                        expected: format.describe(),
                    });
                }
                Node::Value(_) | Node::Unknown => return Err(unknown()),
            };
            node = next;
            nullable = next_nullable;
        }
        Ok(match node {
            Node::Value(spec) => Lookup::Value { spec, nullable },
            Node::Unknown => return Err(FormError::UnknownField(join(keys))),
            container => Lookup::Container(container),
        })
    }

    /// Checks a scalar written at `keys`.
    pub fn check_value<S: AsRef<str>>(
        &self,
        keys: &[S],
        value: Scalar<'_>,
    ) -> Result<(), FormError> {
        match self.lookup(keys)? {
            Lookup::Value { spec, nullable } => {
                value::check(spec, nullable, value).map_err(|reason| FormError::BadValue {
                    path: join(keys),
                    reason,
                })
            }
            Lookup::Container(_) => Err(FormError::ContainerExpected(join(keys))),
        }
    }

    /// The fields an entry created at `keys` (`members.<id>`) must have; empty for anything
    /// else.
    pub fn required_fields<S: AsRef<str>>(&self, keys: &[S]) -> BTreeSet<String> {
        match self.lookup(keys) {
            Ok(Lookup::Container(Node::Struct(s))) => s.required.clone(),
            _ => BTreeSet::new(),
        }
    }
}

fn join<S: AsRef<str>>(keys: &[S]) -> String {
    keys.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests;
