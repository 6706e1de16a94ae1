//! Compiling the JSON Schema that schemars derives from the record types into the form
//! tree. Only the shapes the record types produce are understood; anything else becomes
//! [`Node::Unknown`], which no write passes.

use super::{DEFAULT_MAX_CHARS, Field, Format, Node, StructNode, ValueSpec};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Named definitions whose meaning is a format rather than their pattern.
const FORMATS: &[(&str, Format)] = &[
    ("EntryId", Format::EntryId),
    ("PhotoHash", Format::PhotoHash),
    ("RegionCode", Format::RegionCode),
    ("YearMonth", Format::YearMonth),
    ("Quarter", Format::Quarter),
];

struct Compiler<'a> {
    defs: &'a Map<String, Value>,
}

/// Compiles the root schema of the record.
pub(super) fn compile(root: &Value) -> Node {
    let empty = Map::new();
    let defs = root
        .get("$defs")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    Compiler { defs }.node(root, 0).node
}

fn ref_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
}

/// The types a schema lists (`"type": "string"` or `["string", "null"]`).
fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn number(schema: &Value, key: &str) -> Option<f64> {
    schema.get(key).and_then(Value::as_f64)
}

impl Compiler<'_> {
    fn node(&self, schema: &Value, depth: usize) -> Field {
        // The record's types nest a handful of levels; a deeper schema is not one of them.
        if depth > 16 {
            return not_null(Node::Unknown);
        }
        if let Some(name) = ref_name(schema) {
            return self.named(name, depth);
        }
        if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
            return self.any_of(options, depth);
        }
        if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
            return not_null(
                codes(options, "codes")
                    .map_or(Node::Unknown, |f| Node::Value(ValueSpec::Formatted(f))),
            );
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let options: Vec<Value> = values
                .iter()
                .map(|v| serde_json::json!({ "const": v }))
                .collect();
            return not_null(
                codes(&options, "codes")
                    .map_or(Node::Unknown, |f| Node::Value(ValueSpec::Formatted(f))),
            );
        }
        let listed = types(schema);
        let nullable = listed.contains(&"null");
        let node = match listed.iter().find(|t| **t != "null").copied() {
            Some("object") => self.object(schema, depth),
            Some("string") => Node::Value(string(schema)),
            Some("integer") => Node::Value(ValueSpec::Integer {
                min: number(schema, "minimum"),
                max: number(schema, "maximum"),
            }),
            Some("number") => Node::Value(ValueSpec::Number {
                min: number(schema, "minimum"),
                max: number(schema, "maximum"),
            }),
            Some("boolean") => Node::Value(ValueSpec::Boolean),
            _ => Node::Unknown,
        };
        Field { node, nullable }
    }

    fn named(&self, name: &str, depth: usize) -> Field {
        if let Some((_, format)) = FORMATS.iter().find(|(n, _)| *n == name) {
            return not_null(Node::Value(ValueSpec::Formatted(format.clone())));
        }
        match self.defs.get(name) {
            Some(def) => {
                let mut field = self.node(def, depth + 1);
                if let Node::Value(ValueSpec::Formatted(Format::Code { enumeration, .. })) =
                    &mut field.node
                {
                    *enumeration = name.to_owned();
                }
                field
            }
            None => not_null(Node::Unknown),
        }
    }

    /// `anyOf: [X, {type: null}]` is a nullable X; nothing else is understood.
    fn any_of(&self, options: &[Value], depth: usize) -> Field {
        let (nulls, others): (Vec<&Value>, Vec<&Value>) =
            options.iter().partition(|o| types(o) == ["null"]);
        match others.as_slice() {
            [only] => {
                let inner = self.node(only, depth + 1);
                Field {
                    nullable: inner.nullable || !nulls.is_empty(),
                    node: inner.node,
                }
            }
            _ => not_null(Node::Unknown),
        }
    }

    fn object(&self, schema: &Value, depth: usize) -> Node {
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            let fields = properties
                .iter()
                .map(|(name, s)| (name.clone(), self.node(s, depth + 1)))
                .collect();
            let required = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            return Node::Struct(StructNode { fields, required });
        }
        if let Some(patterns) = schema.get("patternProperties").and_then(Value::as_object) {
            return match patterns.iter().collect::<Vec<_>>().as_slice() {
                [(pattern, entry)] => match self.format_of_pattern(pattern) {
                    Some(key) => Node::Entries {
                        key,
                        entry: Box::new(self.node(entry, depth + 1).node),
                    },
                    None => Node::Unknown,
                },
                _ => Node::Unknown,
            };
        }
        let set_of_booleans = schema
            .get("additionalProperties")
            .is_some_and(|a| types(a) == ["boolean"]);
        match schema.get("propertyNames") {
            Some(names) if set_of_booleans => match self.node(names, depth + 1).node {
                Node::Value(ValueSpec::Formatted(key)) => Node::Set { key },
                _ => Node::Unknown,
            },
            _ => Node::Unknown,
        }
    }

    /// The format whose definition has this pattern (entry maps key by a pattern).
    fn format_of_pattern(&self, pattern: &str) -> Option<Format> {
        FORMATS.iter().find_map(|(name, format)| {
            let def = self.defs.get(*name)?;
            (def.get("pattern").and_then(Value::as_str) == Some(pattern)).then(|| format.clone())
        })
    }
}

fn not_null(node: Node) -> Field {
    Field {
        node,
        nullable: false,
    }
}

fn string(schema: &Value) -> ValueSpec {
    if schema.get("format").and_then(Value::as_str) == Some("date") {
        return ValueSpec::Date;
    }
    let max_chars = schema
        .get("maxLength")
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(DEFAULT_MAX_CHARS);
    ValueSpec::Text { max_chars }
}

/// `oneOf: [{const: "A"}, {const: "B"}]`: the codes of an enumeration.
fn codes(options: &[Value], enumeration: &str) -> Option<Format> {
    let codes: BTreeSet<String> = options
        .iter()
        .map(|o| o.get("const").and_then(Value::as_str).map(str::to_owned))
        .collect::<Option<_>>()?;
    Some(Format::Code {
        enumeration: enumeration.to_owned(),
        codes,
    })
}
