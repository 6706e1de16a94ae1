//! A posted form read whole: fields that may repeat (check boxes), the form's token checked
//! before anything else is read.

use crate::console::session::{ConsoleError, ConsoleUser};
use std::collections::BTreeMap;

/// A form body whose fields may repeat (the risk type check boxes).
pub struct Fields(BTreeMap<String, Vec<String>>);

impl Fields {
    fn parse(body: &[u8]) -> Self {
        let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (key, value) in form_urlencoded::parse(body) {
            fields
                .entry(key.into_owned())
                .or_default()
                .push(value.into_owned());
        }
        Self(fields)
    }

    /// The first value of a field (empty when absent).
    pub fn one(&self, key: &str) -> &str {
        self.0
            .get(key)
            .and_then(|v| v.first())
            .map_or("", String::as_str)
    }

    /// Every value of a field.
    pub fn all(&self, key: &str) -> &[String] {
        self.0.get(key).map_or(&[], Vec::as_slice)
    }

    /// A field's trimmed value, unless empty.
    pub fn optional(&self, key: &str) -> Option<String> {
        Some(self.one(key).trim().to_owned()).filter(|v| !v.is_empty())
    }
}

/// Checks the form's token, then reads it.
pub fn checked(who: &ConsoleUser, body: &[u8]) -> Result<Fields, ConsoleError> {
    let fields = Fields::parse(body);
    who.check_csrf(fields.one("csrf"))?;
    Ok(fields)
}
