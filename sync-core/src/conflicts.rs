//! Conflict extraction: after a merge, every map key written by the merged changes that now
//! holds two or more different concurrent values is a conflict. Equal values are not.
//!
//! The work is proportional to the operations in the merged changes, not to the size of the
//! document: only the keys those operations touch are inspected.

use crate::path::DocPath;
use crate::value::value_to_json;
use automerge::{Automerge, Change, ChangeHash, ObjId, Prop, ROOT, ReadDoc};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::BTreeSet;

/// A field written concurrently with different values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    /// The field.
    pub path: DocPath,
    /// The value the writers started from: the field as the first candidate's change saw
    /// it (`None`: the field did not exist).
    pub before: Option<Json>,
    /// The deterministic winner shown until someone resolves the conflict.
    pub winner: Json,
    /// One candidate per distinct value, in automerge's order (the winner last).
    pub candidates: Vec<Candidate>,
}

/// One of the concurrent values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The value.
    pub value: Json,
    /// Hex actor id that wrote it (maps to a device and user on the server).
    pub actor: String,
    /// Hash of the change that wrote it (hex).
    pub change: String,
    /// The change's time, Unix seconds as the writer's clock had it.
    pub time: i64,
}

/// Conflicts on the keys written by `changes`, read in `doc` after merging them.
pub fn conflicts_after_merge(doc: &Automerge, changes: &[Change]) -> Vec<Conflict> {
    conflicts_on(doc, touched_keys(changes, |_| true))
}

/// Conflicts after merging `changes` that extend the document linearly: each change was
/// made on top of the one before it, the first on top of every head the document had (see
/// [`extends_linearly`]). Such a change saw every value it overwrote, so a key it wrote
/// that already existed holds one value afterwards; only keys written as new (no
/// predecessor) are read, which keeps a crafted "new" write over an existing key from
/// hiding a conflict.
pub fn conflicts_after_linear_merge(doc: &Automerge, changes: &[Change]) -> Vec<Conflict> {
    conflicts_on(doc, touched_keys(changes, |op| op.pred.is_empty()))
}

/// Whether `changes`, in order, form a chain on top of exactly `heads`: the first depends
/// on all of `heads` and nothing else, each later one on its predecessor alone.
pub fn extends_linearly(heads: &[ChangeHash], changes: &[Change]) -> bool {
    let mut tip: Vec<ChangeHash> = heads.to_vec();
    tip.sort_unstable();
    for change in changes {
        let mut deps = change.deps().to_vec();
        deps.sort_unstable();
        if deps != tip {
            return false;
        }
        tip = vec![change.hash()];
    }
    true
}

/// The (object, key) pairs written by the operations of `changes` that `keep` selects.
fn touched_keys(
    changes: &[Change],
    keep: impl Fn(&automerge::legacy::Op) -> bool,
) -> BTreeSet<(String, String)> {
    let mut touched = BTreeSet::new();
    for change in changes {
        for op in change.decode().operations {
            if !keep(&op) {
                continue;
            }
            if let automerge::legacy::Key::Map(key) = &op.key {
                let obj = match &op.obj {
                    automerge::legacy::ObjectId::Root => "_root".to_owned(),
                    automerge::legacy::ObjectId::Id(id) => format!("{}@{}", id.0, id.1),
                };
                touched.insert((obj, key.to_string()));
            }
        }
    }
    touched
}

fn conflicts_on(doc: &Automerge, touched: BTreeSet<(String, String)>) -> Vec<Conflict> {
    touched
        .into_iter()
        .filter_map(|(obj, key)| {
            let obj = if obj == "_root" {
                ROOT
            } else {
                doc.import_obj(&obj).ok()?
            };
            conflict_at(doc, &obj, &key)
        })
        .collect()
}

/// Every conflict in the document, found by walking all of its maps (for a tablet showing
/// a household; the server uses [`conflicts_after_merge`]).
pub fn all_conflicts(doc: &Automerge) -> Vec<Conflict> {
    let mut out = Vec::new();
    let mut pending = vec![ROOT];
    while let Some(obj) = pending.pop() {
        for key in doc.keys(&obj) {
            if let Some(conflict) = conflict_at(doc, &obj, &key) {
                out.push(conflict);
            }
            if let Ok(Some((automerge::Value::Object(automerge::ObjType::Map), child))) =
                doc.get(&obj, key.as_str())
            {
                pending.push(child);
            }
        }
    }
    out.sort_by_key(|c| c.path.to_string());
    out
}

/// The conflict at one map key, if its current values differ.
pub fn conflict_at(doc: &Automerge, obj: &ObjId, key: &str) -> Option<Conflict> {
    let values = doc.get_all(obj, key).ok()?;
    if values.len() < 2 {
        return None;
    }
    let mut candidates: Vec<Candidate> = Vec::new();
    for (value, id) in &values {
        let json = value_to_json(doc, value, id, None);
        if candidates.iter().any(|c| c.value == json) {
            continue;
        }
        let (actor, change, time) = authorship(doc, id);
        candidates.push(Candidate {
            value: json,
            actor,
            change,
            time,
        });
    }
    if candidates.len() < 2 {
        return None;
    }
    let winner = doc
        .get(obj, key)
        .ok()
        .flatten()
        .map(|(v, id)| value_to_json(doc, &v, &id, None))
        .unwrap_or(Json::Null);
    let before = base_value(doc, obj, key, &values[0].1);
    Some(Conflict {
        path: path_of(doc, obj, key)?,
        before,
        winner,
        candidates,
    })
}

/// The value at `key` as the change that wrote `op` saw it (read at that change's deps).
fn base_value(doc: &Automerge, obj: &ObjId, key: &str, op: &ObjId) -> Option<Json> {
    let hash = doc.hash_for_opid(op)?;
    let deps: Vec<ChangeHash> = doc.get_change_meta_by_hash(&hash)?.deps;
    let (value, id) = doc.get_at(obj, key, &deps).ok().flatten()?;
    Some(value_to_json(doc, &value, &id, Some(&deps)))
}

fn authorship(doc: &Automerge, id: &ObjId) -> (String, String, i64) {
    let actor = match id {
        ObjId::Id(_, actor, _) => actor.to_hex_string(),
        ObjId::Root => String::new(),
    };
    let hash = doc.hash_for_opid(id);
    let time = hash
        .and_then(|h| doc.get_change_meta_by_hash(&h))
        .map_or(0, |m| m.timestamp);
    (actor, hash.map(|h| h.to_string()).unwrap_or_default(), time)
}

/// The document path of `key` in `obj`.
pub(crate) fn path_of(doc: &Automerge, obj: &ObjId, key: &str) -> Option<DocPath> {
    let mut keys: Vec<String> = Vec::new();
    if *obj != ROOT {
        for (_, prop) in doc.parents(obj).ok()?.path() {
            keys.push(match prop {
                Prop::Map(k) => k,
                Prop::Seq(i) => i.to_string(),
            });
        }
    }
    keys.push(key.to_owned());
    Some(DocPath::from_keys(keys))
}

/// The conflict at a path, if its current values differ.
pub fn conflict_at_path(doc: &Automerge, path: &DocPath) -> Option<Conflict> {
    let (last, parent) = path.split_last()?;
    let obj = crate::document::resolve_map(doc, parent, None).ok()?;
    conflict_at(doc, &obj, last)
}
