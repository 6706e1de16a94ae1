//! The household document on automerge.
//!
//! A document is created once, by the server, from a template in which every container
//! exists (sections, entry maps, sets); tablets only ever write scalars into existing maps
//! and add entries under fresh keys (UUIDs for members, measures, events and visits; the
//! SHA-256 for photos). Removal is a status field, never a map delete, so a removal cannot
//! silently beat a concurrent edit.

mod editor;

pub use editor::Editor;

use crate::error::DocError;
use crate::heads;
use crate::path::DocPath;
use crate::value::value_to_json;
use automerge::transaction::CommitOptions;
use automerge::{ActorId, Automerge, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, Value};
use serde::de::DeserializeOwned;
use serde_json::Value as Json;
use zoufang_schemas::wire::Head;
use zoufang_schemas::{HouseholdRecord, PhotoHash, RegionCode};

/// A map of entries keyed by fresh ids (or hashes, for evidence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntrySection {
    /// `members`, keyed by entry id.
    Members,
    /// `measures`, keyed by entry id.
    Measures,
    /// `events` (natural changes), keyed by entry id.
    Events,
    /// `visits`, keyed by entry id.
    Visits,
    /// `evidence` (photos), keyed by SHA-256.
    Evidence,
}

impl EntrySection {
    /// Every entry section.
    pub const ALL: [EntrySection; 5] = [
        Self::Members,
        Self::Measures,
        Self::Events,
        Self::Visits,
        Self::Evidence,
    ];

    /// The section's key at the document root.
    pub const fn key(self) -> &'static str {
        match self {
            Self::Members => "members",
            Self::Measures => "measures",
            Self::Events => "events",
            Self::Visits => "visits",
            Self::Evidence => "evidence",
        }
    }

    /// The section whose root key is `key`.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// One household's automerge document with typed reads and writes.
#[derive(Debug, Clone)]
pub struct HouseholdDoc {
    doc: Automerge,
}

impl HouseholdDoc {
    /// Creates the document from a record: every container of the template exists
    /// afterwards, even empty ones. Done once per household, by the server.
    pub fn create(record: &HouseholdRecord, actor: ActorId, time: i64) -> Result<Self, DocError> {
        let json = serde_json::to_value(record).map_err(|e| DocError::Shape(e.to_string()))?;
        let Json::Object(root) = json else {
            return Err(DocError::Shape("a record serialises to an object".into()));
        };
        let mut doc = Automerge::new().with_actor(actor);
        doc.transact_with(
            |_| {
                CommitOptions::default()
                    .with_time(time)
                    .with_message("create household".to_owned())
            },
            |tx| editor::write_object(tx, &ROOT, &root, &DocPath::from_keys::<_, String>([])),
        )
        .map_err(|f| f.error)?;
        Ok(Self { doc })
    }

    /// Loads saved bytes (or concatenated changes) and signs future edits with `actor`.
    pub fn load(bytes: &[u8], actor: ActorId) -> Result<Self, DocError> {
        let doc = crate::guard::contain(|| Automerge::load(bytes))
            .ok_or_else(|| DocError::Load("the bytes could not be loaded".into()))?
            .map_err(|e| DocError::Load(e.to_string()))?;
        Ok(Self {
            doc: doc.with_actor(actor),
        })
    }

    /// Applies change chunks received from a peer. All or nothing: on any error the
    /// document is unchanged.
    pub fn apply_changes(&mut self, changes: &[Vec<u8>]) -> Result<(), DocError> {
        let parsed = changes
            .iter()
            .map(|c| {
                automerge::Change::try_from(c.as_slice()).map_err(|e| DocError::Load(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut fork = self.doc.clone();
        crate::guard::contain(|| fork.apply_changes(parsed))
            .ok_or_else(|| DocError::Load("the changes could not be applied".into()))??;
        self.doc = fork;
        Ok(())
    }

    /// Wraps an automerge document.
    pub fn from_automerge(doc: Automerge) -> Self {
        Self { doc }
    }

    /// The underlying automerge document.
    pub fn automerge(&self) -> &Automerge {
        &self.doc
    }

    /// The underlying automerge document, mutable (merging, applying changes).
    pub fn automerge_mut(&mut self) -> &mut Automerge {
        &mut self.doc
    }

    /// Unwraps the automerge document.
    pub fn into_automerge(self) -> Automerge {
        self.doc
    }

    /// Compact saved form.
    pub fn save(&self) -> Vec<u8> {
        self.doc.save()
    }

    /// Current heads, sorted.
    pub fn heads(&self) -> Vec<Head> {
        heads::to_wire(&self.doc.get_heads())
    }

    /// The whole record.
    pub fn read(&self) -> Result<HouseholdRecord, DocError> {
        read_record(&self.doc)
    }

    /// The record as of `heads` (e.g. the heads pinned by a verification).
    pub fn read_at(&self, at: &[Head]) -> Result<HouseholdRecord, DocError> {
        read_hydrated(&self.doc, Some(&heads::from_wire(at)))
    }

    /// The document tree as JSON, now or as of `heads`.
    pub fn to_json(&self, at: Option<&[ChangeHash]>) -> Json {
        crate::value::hydrated_to_json(&self.doc.hydrate(at))
    }

    /// The value at a path (a scalar, or a subtree as JSON); `None` when absent.
    pub fn get(&self, path: &DocPath) -> Result<Option<Json>, DocError> {
        let Some((last, parent)) = path.split_last() else {
            return Ok(Some(self.to_json(None)));
        };
        let obj = resolve_map(&self.doc, parent, None)?;
        Ok(self
            .doc
            .get(&obj, last.as_str())?
            .map(|(v, id)| value_to_json(&self.doc, &v, &id, None)))
    }

    /// The value at a path, deserialised.
    pub fn get_as<T: DeserializeOwned>(&self, path: &DocPath) -> Result<Option<T>, DocError> {
        match self.get(path)? {
            None | Some(Json::Null) => Ok(None),
            Some(v) => serde_json::from_value(v)
                .map(Some)
                .map_err(|e| DocError::Shape(format!("{path}: {e}"))),
        }
    }

    /// The household's region code.
    pub fn region_code(&self) -> Result<RegionCode, DocError> {
        let path = DocPath::from_keys(["household", "region_code"]);
        self.get_as(&path)?.ok_or(DocError::NotFound(path))
    }

    /// Hashes of every photo the document references.
    pub fn photo_hashes(&self) -> Vec<PhotoHash> {
        photo_hashes(&self.doc)
    }

    /// Runs `f` in one transaction and commits it as one change at `time` (Unix seconds).
    /// If `f` fails nothing is written. Returns `f`'s result and the new change's hash
    /// (`None` when `f` wrote nothing).
    pub fn edit<O>(
        &mut self,
        time: i64,
        f: impl FnOnce(&mut Editor<'_, '_>) -> Result<O, DocError>,
    ) -> Result<(O, Option<Head>), DocError> {
        let success = self
            .doc
            .transact_with(
                |_| CommitOptions::default().with_time(time),
                |tx| f(&mut Editor::new(tx)),
            )
            .map_err(|failure| failure.error)?;
        Ok((success.result, success.hash.map(|h| Head(h.0))))
    }
}

/// Hashes of every photo an automerge household document references (its evidence keys).
pub fn photo_hashes(doc: &Automerge) -> Vec<PhotoHash> {
    let Ok(Some((_, evidence))) = doc.get(ROOT, EntrySection::Evidence.key()) else {
        return Vec::new();
    };
    doc.keys(&evidence)
        .filter_map(|k| PhotoHash::parse(&k).ok())
        .collect()
}

/// The record of an automerge household document, without wrapping it.
pub fn read_record(doc: &Automerge) -> Result<HouseholdRecord, DocError> {
    read_hydrated(doc, None)
}

/// One top-level section (`household`, `monitoring`, ...) of a household document,
/// deserialised; cheaper than reading the whole record.
pub fn read_section<T: DeserializeOwned>(doc: &Automerge, key: &str) -> Result<T, DocError> {
    let obj = resolve_map(doc, &[key.to_owned()], None)?;
    let json = Json::Object(crate::value::map_to_json(doc, &obj, None));
    serde_json::from_value(json).map_err(|e| DocError::Shape(format!("{key}: {e}")))
}

fn read_hydrated(doc: &Automerge, at: Option<&[ChangeHash]>) -> Result<HouseholdRecord, DocError> {
    let json = crate::value::hydrated_to_json(&doc.hydrate(at));
    serde_json::from_value(json).map_err(|e| DocError::Shape(e.to_string()))
}

/// Walks `keys` from the root; every step must be a map.
pub(crate) fn resolve_map<D: ReadDoc>(
    doc: &D,
    keys: &[String],
    at: Option<&[ChangeHash]>,
) -> Result<ObjId, DocError> {
    let mut obj = ROOT;
    for (depth, key) in keys.iter().enumerate() {
        let got = match at {
            Some(h) => doc.get_at(&obj, key.as_str(), h)?,
            None => doc.get(&obj, key.as_str())?,
        };
        let here = || DocPath::from_keys(keys[..=depth].iter().cloned());
        match got {
            Some((Value::Object(ObjType::Map | ObjType::Table), id)) => obj = id,
            Some(_) => return Err(DocError::NotAMap(here())),
            None => return Err(DocError::NotFound(here())),
        }
    }
    Ok(obj)
}

#[cfg(test)]
mod tests;
