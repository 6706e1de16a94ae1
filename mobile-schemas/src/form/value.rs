//! Checking one scalar against its field's type.

use super::ValueSpec;

/// A scalar as written into a document, independent of the CRDT library.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar<'a> {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    Uint(u64),
    /// A float.
    F64(f64),
    /// Text.
    Str(&'a str),
    /// A kind of value the form never holds (counter, timestamp, bytes, ...), named.
    Unsupported(&'static str),
}

impl<'a> Scalar<'a> {
    /// A JSON value as a scalar; objects and arrays are unsupported.
    pub fn from_json(value: &'a serde_json::Value) -> Self {
        use serde_json::Value as Json;
        match value {
            Json::Null => Scalar::Null,
            Json::Bool(b) => Scalar::Bool(*b),
            Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) if !n.is_f64() => Scalar::Int(i),
                (_, Some(u), _) if !n.is_f64() => Scalar::Uint(u),
                (_, _, Some(f)) => Scalar::F64(f),
                _ => Scalar::Unsupported("number"),
            },
            Json::String(s) => Scalar::Str(s),
            Json::Array(_) => Scalar::Unsupported("list"),
            Json::Object(_) => Scalar::Unsupported("object"),
        }
    }
}

/// Why the form refuses a write. Every variant has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    /// The path is not a field of the form.
    #[error("`{0}` is not a field of the form")]
    UnknownField(String),
    /// An entry or set member key has the wrong format.
    #[error("`{path}`: the key must be {expected}")]
    BadKey {
        /// The path up to the key.
        path: String,
        /// The key format.
        expected: String,
    },
    /// A scalar where the form has a container.
    #[error("`{0}` is a container, not a value")]
    ContainerExpected(String),
    /// The value does not have the field's type, code, format or length.
    #[error("`{path}`: {reason}")]
    BadValue {
        /// The field.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

impl FormError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            FormError::UnknownField(_) => "field-unknown",
            FormError::BadKey { .. } => "entry-key-invalid",
            FormError::ContainerExpected(_) => "container-replaced",
            FormError::BadValue { .. } => "value-invalid",
        }
    }
}

fn within(value: f64, min: Option<f64>, max: Option<f64>) -> Result<(), String> {
    if min.is_some_and(|m| value < m) || max.is_some_and(|m| value > m) {
        let bound = |b: Option<f64>| b.map_or("∞".to_owned(), |b| b.to_string());
        return Err(format!(
            "{value} is outside {}..={}",
            bound(min),
            bound(max)
        ));
    }
    Ok(())
}

fn kind(value: &Scalar<'_>) -> &'static str {
    match value {
        Scalar::Null => "null",
        Scalar::Bool(_) => "a boolean",
        Scalar::Int(_) | Scalar::Uint(_) => "an integer",
        Scalar::F64(_) => "a number",
        Scalar::Str(_) => "text",
        Scalar::Unsupported(what) => what,
    }
}

/// Checks `value` against `spec`; the error says what is wrong.
pub(super) fn check(spec: &ValueSpec, nullable: bool, value: Scalar<'_>) -> Result<(), String> {
    let wrong = |expected: &str| Err(format!("expected {expected}, got {}", kind(&value)));
    match (spec, value) {
        (_, Scalar::Null) if nullable => Ok(()),
        (ValueSpec::Text { max_chars }, Scalar::Str(s)) => {
            let chars = s.chars().count();
            if chars > *max_chars {
                return Err(format!("{chars} characters, at most {max_chars} allowed"));
            }
            if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                return Err("control characters are not allowed".into());
            }
            Ok(())
        }
        (ValueSpec::Text { .. }, _) => wrong("text"),
        (ValueSpec::Date, Scalar::Str(s)) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(|_| ())
            .map_err(|_| format!("`{s}` is not a date (2022-03-31)")),
        (ValueSpec::Date, _) => wrong("a date"),
        (ValueSpec::Integer { min, max }, Scalar::Int(i)) => within(i as f64, *min, *max),
        (ValueSpec::Integer { min, max }, Scalar::Uint(u)) => within(u as f64, *min, *max),
        (ValueSpec::Integer { .. }, _) => wrong("an integer"),
        (ValueSpec::Number { min, max }, Scalar::Int(i)) => within(i as f64, *min, *max),
        (ValueSpec::Number { min, max }, Scalar::Uint(u)) => within(u as f64, *min, *max),
        (ValueSpec::Number { min, max }, Scalar::F64(f)) if f.is_finite() => within(f, *min, *max),
        (ValueSpec::Number { .. }, _) => wrong("a finite number"),
        (ValueSpec::Boolean, Scalar::Bool(_)) => Ok(()),
        (ValueSpec::Boolean, _) => wrong("a boolean"),
        (ValueSpec::Formatted(format), Scalar::Str(s)) if format.accepts(s) => Ok(()),
        (ValueSpec::Formatted(format), _) => wrong(&format.describe()),
    }
}
