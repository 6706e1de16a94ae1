//! Conversion between automerge values and JSON, the form the schema types serialise to.

use automerge::{ChangeHash, ObjId};
use automerge::{ObjType, ReadDoc, ScalarValue, Value};
use serde_json::{Map, Number, Value as Json};

/// A JSON scalar as an automerge scalar; `None` for objects and arrays.
pub(crate) fn json_to_scalar(value: &Json) -> Option<ScalarValue> {
    Some(match value {
        Json::Null => ScalarValue::Null,
        Json::Bool(b) => ScalarValue::Boolean(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64().filter(|_| !n.is_f64()) {
                ScalarValue::Int(i)
            } else if let Some(u) = n.as_u64().filter(|_| !n.is_f64()) {
                ScalarValue::Uint(u)
            } else {
                ScalarValue::F64(n.as_f64()?)
            }
        }
        Json::String(s) => ScalarValue::Str(s.as_str().into()),
        Json::Array(_) | Json::Object(_) => return None,
    })
}

/// An automerge scalar as the form sees it: counters, timestamps and bytes are kinds of
/// value the form never holds.
pub(crate) fn form_scalar(value: &ScalarValue) -> zoufang_schemas::form::Scalar<'_> {
    use zoufang_schemas::form::Scalar;
    match value {
        ScalarValue::Null => Scalar::Null,
        ScalarValue::Boolean(b) => Scalar::Bool(*b),
        ScalarValue::Int(i) => Scalar::Int(*i),
        ScalarValue::Uint(u) => Scalar::Uint(*u),
        ScalarValue::F64(f) => Scalar::F64(*f),
        ScalarValue::Str(s) => Scalar::Str(s),
        ScalarValue::Counter(_) => Scalar::Unsupported("a counter"),
        ScalarValue::Timestamp(_) => Scalar::Unsupported("a timestamp"),
        ScalarValue::Bytes(_) => Scalar::Unsupported("bytes"),
        ScalarValue::Unknown { .. } => Scalar::Unsupported("an unknown value"),
    }
}

/// An automerge scalar as JSON. Bytes become lowercase hex; counters their value.
pub(crate) fn scalar_to_json(value: &ScalarValue) -> Json {
    match value {
        ScalarValue::Null | ScalarValue::Unknown { .. } => Json::Null,
        ScalarValue::Boolean(b) => Json::Bool(*b),
        ScalarValue::Int(i) | ScalarValue::Timestamp(i) => Json::Number((*i).into()),
        ScalarValue::Uint(u) => Json::Number((*u).into()),
        ScalarValue::F64(f) => Number::from_f64(*f).map_or(Json::Null, Json::Number),
        ScalarValue::Counter(c) => Json::Number(i64::from(c).into()),
        ScalarValue::Str(s) => Json::String(s.to_string()),
        ScalarValue::Bytes(b) => Json::String(hex::encode(b)),
    }
}

/// Reads any value (scalar or object subtree) as JSON, at `heads` or the current state.
pub(crate) fn value_to_json<D: ReadDoc>(
    doc: &D,
    value: &Value<'_>,
    id: &ObjId,
    heads: Option<&[ChangeHash]>,
) -> Json {
    match value {
        Value::Scalar(s) => scalar_to_json(s),
        Value::Object(ObjType::Map | ObjType::Table) => Json::Object(map_to_json(doc, id, heads)),
        Value::Object(ObjType::List) => Json::Array(list_to_json(doc, id, heads)),
        Value::Object(ObjType::Text) => {
            let text = match heads {
                Some(h) => doc.text_at(id, h),
                None => doc.text(id),
            };
            Json::String(text.unwrap_or_default())
        }
    }
}

/// Reads a map object as a JSON object.
pub(crate) fn map_to_json<D: ReadDoc>(
    doc: &D,
    obj: &ObjId,
    heads: Option<&[ChangeHash]>,
) -> Map<String, Json> {
    let mut out = Map::new();
    let keys: Vec<String> = match heads {
        Some(h) => doc.keys_at(obj, h).collect(),
        None => doc.keys(obj).collect(),
    };
    for key in keys {
        let got = match heads {
            Some(h) => doc.get_at(obj, key.as_str(), h),
            None => doc.get(obj, key.as_str()),
        };
        if let Ok(Some((value, id))) = got {
            out.insert(key, value_to_json(doc, &value, &id, heads));
        }
    }
    out
}

fn list_to_json<D: ReadDoc>(doc: &D, obj: &ObjId, heads: Option<&[ChangeHash]>) -> Vec<Json> {
    let len = match heads {
        Some(h) => doc.length_at(obj, h),
        None => doc.length(obj),
    };
    (0..len)
        .filter_map(|i| {
            let got = match heads {
                Some(h) => doc.get_at(obj, i, h),
                None => doc.get(obj, i),
            };
            got.ok()
                .flatten()
                .map(|(value, id)| value_to_json(doc, &value, &id, heads))
        })
        .collect()
}

/// A hydrated value (automerge's own fast snapshot of a document) as JSON.
pub(crate) fn hydrated_to_json(value: &automerge::hydrate::Value) -> Json {
    use automerge::hydrate::Value as H;
    match value {
        H::Scalar(s) => scalar_to_json(s),
        H::Map(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), hydrated_to_json(&v.value)))
                .collect(),
        ),
        H::List(list) => Json::Array(list.iter().map(|v| hydrated_to_json(&v.value)).collect()),
        H::Text(text) => Json::String(String::from(text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_scalars_round_trip_through_automerge_scalars() {
        for json in [
            Json::Null,
            Json::Bool(true),
            serde_json::json!(42),
            serde_json::json!(-7),
            serde_json::json!(6900.5),
            serde_json::json!(6000.0),
            serde_json::json!("买买提·吐尔逊"),
        ] {
            let scalar = json_to_scalar(&json).unwrap();
            assert_eq!(scalar_to_json(&scalar), json, "{json}");
        }
        assert!(json_to_scalar(&serde_json::json!({"a": 1})).is_none());
        assert!(json_to_scalar(&serde_json::json!([1])).is_none());
    }
}
