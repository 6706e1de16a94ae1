//! Authority checks the server runs before accepting a device's changes: every change is
//! signed by one of the device's actors, and the patches the changes produce touch only
//! paths the sender's role may write, in the ways the document model allows.

use crate::document::EntrySection;
use crate::path::DocPath;
use crate::value::form_scalar;
use automerge::{
    ActorId, Automerge, Change, ChangeHash, ObjId, ObjType, Patch, PatchAction, Prop, ReadDoc,
    Value,
};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use zoufang_schemas::Role;
use zoufang_schemas::form::{FormError, Lookup, Node, form};

/// Why a device's changes are refused. Every variant has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorityError {
    /// A change is signed by an actor not registered to the sending device.
    #[error("change {change} is signed by actor {actor}, which does not belong to this device")]
    ForeignActor {
        /// Hex actor id.
        actor: String,
        /// Hex change hash.
        change: String,
    },
    /// The sender's role may not write this field.
    #[error("a {role} may not write `{path}`")]
    FieldNotWritable {
        /// The field.
        path: DocPath,
        /// The role code.
        role: &'static str,
    },
    /// A map key was deleted; removal is a status field.
    #[error("`{0}` was deleted; mark entries REMOVED instead")]
    MapDelete(DocPath),
    /// A container (section, entry, set) was replaced by a new object or a scalar.
    #[error("`{0}` is a container and cannot be replaced")]
    ContainerReplaced(DocPath),
    /// An entry was added under a key that is not a fresh id (or a photo hash).
    #[error("`{0}` is not a valid entry key")]
    BadEntryKey(DocPath),
    /// Lists, text, counters and marks are not part of the household document.
    #[error("`{0}`: lists, text, counters and marks are not part of the household document")]
    UnsupportedOperation(DocPath),
    /// The write does not fit the form: an unknown field, a wrong type, code or length.
    #[error("{0}")]
    Form(FormError),
    /// A household moved to a region that is not an existing village in the writer's scope.
    #[error("`{0}` is not a village you may move households to")]
    RegionNotAllowed(String),
    /// A new entry lacks a field the form requires.
    #[error("the new entry `{path}` lacks `{field}`")]
    EntryIncomplete {
        /// The entry.
        path: DocPath,
        /// The missing field.
        field: String,
    },
}

impl AuthorityError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            AuthorityError::ForeignActor { .. } => "actor-not-of-device",
            AuthorityError::FieldNotWritable { .. } => "field-not-writable",
            AuthorityError::MapDelete(_) => "map-delete-forbidden",
            AuthorityError::ContainerReplaced(_) => "container-replaced",
            AuthorityError::BadEntryKey(_) => "entry-key-invalid",
            AuthorityError::UnsupportedOperation(_) => "operation-unsupported",
            AuthorityError::Form(err) => err.code(),
            AuthorityError::EntryIncomplete { .. } => "entry-incomplete",
            AuthorityError::RegionNotAllowed(_) => "region-invalid",
        }
    }
}

/// Every change must be signed by one of `allowed`.
pub fn check_actors(changes: &[Change], allowed: &HashSet<ActorId>) -> Result<(), AuthorityError> {
    for change in changes {
        if !allowed.contains(change.actor_id()) {
            return Err(AuthorityError::ForeignActor {
                actor: change.actor_id().to_hex_string(),
                change: change.hash().to_string(),
            });
        }
    }
    Ok(())
}

/// Fields only county-level roles and above may write: the household's village.
const COUNTY_ONLY: &[&[&str]] = &[&["household", "region_code"]];

/// Fields no tablet writes, whatever its role: the monitoring category and the monitoring
/// status are the outcome of identification and risk elimination, which the server records
/// when the county decides.
const SERVER_ONLY: &[&[&str]] = &[&["household", "monitor_category"], &["monitoring"]];

/// Whether `role` may move households to another village.
pub fn may_move_households(role: Role) -> bool {
    may_write(role, &DocPath::from_keys(REGION_FIELD))
}

/// Whether `role` may write the field at `path` through a sync.
pub fn may_write(role: Role, path: &DocPath) -> bool {
    let under = |fields: &[&[&str]]| fields.iter().any(|protected| path.starts_with(protected));
    if path.len() <= 1 || under(SERVER_ONLY) {
        return false;
    }
    match role {
        Role::Department => false,
        Role::CountyOfficer | Role::PrefectureOfficer | Role::Admin => true,
        Role::Helper | Role::TownshipSupervisor => !under(COUNTY_ONLY),
    }
}

/// Who writes, for the checks that depend on it.
#[derive(Debug, Clone, Copy)]
pub struct WriterRights<'a> {
    /// The writer's role.
    pub role: Role,
    /// The villages a household may be moved to: existing villages inside the writer's
    /// scope (empty for roles that may not move households).
    pub villages: &'a BTreeSet<String>,
}

/// The field a household's village is written in.
const REGION_FIELD: [&str; 2] = ["household", "region_code"];

/// Checks a write of the household's village: only to an existing village in scope.
pub fn check_region(villages: &BTreeSet<String>, value: &Value<'_>) -> Result<(), AuthorityError> {
    match value {
        Value::Scalar(s) => match s.as_ref() {
            automerge::ScalarValue::Str(code) if villages.contains(code.as_str()) => Ok(()),
            other => Err(AuthorityError::RegionNotAllowed(other.to_string())),
        },
        Value::Object(_) => Err(AuthorityError::RegionNotAllowed("an object".into())),
    }
}

/// Checks the patches produced by applying a device's changes to `doc`, which holds them
/// now and was at `before` without them: every
/// written path is a field of the form that the writer may write, every value (the visible
/// one and any concurrent one a conflict hides) has the field's type, containers are only
/// created as new entries, new entries carry the fields the form requires, and a household
/// moves only to a village the writer may move it to.
pub fn check_patches(
    writer: WriterRights<'_>,
    doc: &Automerge,
    before: &[ChangeHash],
    patches: &[Patch],
) -> Result<(), AuthorityError> {
    let role = writer.role;
    let created = new_entries(patches);
    // Per new entry, the fields written into it.
    let mut filled: BTreeMap<DocPath, BTreeSet<String>> = created
        .iter()
        .map(|p| (p.clone(), BTreeSet::new()))
        .collect();
    for patch in patches {
        match &patch.action {
            PatchAction::PutMap {
                key,
                value,
                conflict,
            } => {
                let path = path_of_patch(patch, key);
                check_put(role, &created, &path, &value.0, || {
                    value_before(doc, before, &patch.obj, key)
                })?;
                if path.keys() == REGION_FIELD {
                    check_region(writer.villages, &value.0)?;
                }
                if *conflict {
                    check_concurrent(doc, &patch.obj, key, &path)?;
                }
                if path.len() == 3 {
                    let entry = DocPath::from_keys(path.keys()[..2].iter().cloned());
                    if let Some(fields) = filled.get_mut(&entry) {
                        fields.insert(path.keys()[2].clone());
                    }
                }
            }
            PatchAction::Conflict {
                prop: Prop::Map(key),
            } => {
                let path = path_of_patch(patch, key);
                if !may_write(role, &path) {
                    return Err(AuthorityError::FieldNotWritable {
                        path,
                        role: role.code(),
                    });
                }
                check_concurrent(doc, &patch.obj, key, &path)?;
            }
            PatchAction::DeleteMap { key } => {
                return Err(AuthorityError::MapDelete(path_of_patch(patch, key)));
            }
            _ => {
                return Err(AuthorityError::UnsupportedOperation(path_of_patch(
                    patch, "",
                )));
            }
        }
    }
    check_entries_complete(filled)
}

/// The entries the patches create: maps put directly under an entry section.
fn new_entries(patches: &[Patch]) -> BTreeSet<DocPath> {
    patches
        .iter()
        .filter_map(|p| match &p.action {
            PatchAction::PutMap {
                key,
                value: (Value::Object(_), _),
                ..
            } => Some(path_of_patch(p, key)),
            _ => None,
        })
        .filter(|path| path.len() == 2 && EntrySection::from_key(&path.keys()[0]).is_some())
        .collect()
}

/// Every new entry carries the fields the form requires of it (`filled`: per new entry,
/// the fields written into it).
fn check_entries_complete(
    filled: BTreeMap<DocPath, BTreeSet<String>>,
) -> Result<(), AuthorityError> {
    for (entry, fields) in filled {
        let required = form().required_fields(entry.keys());
        if let Some(field) = required.difference(&fields).next() {
            return Err(AuthorityError::EntryIncomplete {
                path: entry,
                field: field.clone(),
            });
        }
    }
    Ok(())
}

/// Every value concurrently held at `key` (a conflict shows one, the others hide behind
/// it) must fit the form too: a hidden value surfaces as a conflict candidate.
fn check_concurrent(
    after: &Automerge,
    obj: &ObjId,
    key: &str,
    path: &DocPath,
) -> Result<(), AuthorityError> {
    let values = after
        .get_all(obj, key)
        .map_err(|_| AuthorityError::UnsupportedOperation(path.clone()))?;
    for (value, _) in values {
        check_shape(path, &value)?;
    }
    Ok(())
}

/// Whether `value` has the shape the form gives `path`: a map where a container lives, a
/// scalar of the field's type where a value lives.
fn check_shape(path: &DocPath, value: &Value<'_>) -> Result<(), AuthorityError> {
    let keys = path.keys();
    match (value, form().lookup(keys).map_err(AuthorityError::Form)?) {
        (Value::Object(ObjType::Map), Lookup::Container(node))
            if !matches!(node, Node::Value(_)) =>
        {
            Ok(())
        }
        (Value::Object(ObjType::Map), Lookup::Value { .. }) => {
            Err(AuthorityError::Form(FormError::BadValue {
                path: path.to_string(),
                reason: "expected a value, got an object".into(),
            }))
        }
        (Value::Object(_), _) => Err(AuthorityError::UnsupportedOperation(path.clone())),
        (Value::Scalar(scalar), _) => form()
            .check_value(keys, form_scalar(scalar))
            .map_err(AuthorityError::Form),
    }
}

fn check_put(
    role: Role,
    created: &BTreeSet<DocPath>,
    path: &DocPath,
    value: &Value<'_>,
    before: impl Fn() -> Option<Value<'static>>,
) -> Result<(), AuthorityError> {
    let keys = path.keys();
    let section = keys.first().and_then(|k| EntrySection::from_key(k));
    let inside_new_entry =
        keys.len() > 2 && created.contains(&DocPath::from_keys(keys[..2].iter().cloned()));
    let is_object = matches!(value, Value::Object(_));
    if is_object {
        let new_entry = keys.len() == 2 && section.is_some() && before().is_none();
        if !(new_entry || inside_new_entry) {
            return Err(AuthorityError::ContainerReplaced(path.clone()));
        }
        if new_entry && let Err(FormError::BadKey { .. }) = form().lookup(keys) {
            return Err(AuthorityError::BadEntryKey(path.clone()));
        }
    } else if keys.len() == 2 && section.is_some() {
        // A scalar where an entry lives would hide the entry.
        return Err(AuthorityError::ContainerReplaced(path.clone()));
    } else if !inside_new_entry
        && may_hold_object(keys)
        && matches!(before(), Some(Value::Object(_)))
    {
        return Err(AuthorityError::ContainerReplaced(path.clone()));
    }
    if !may_write(role, path) {
        return Err(AuthorityError::FieldNotWritable {
            path: path.clone(),
            role: role.code(),
        });
    }
    check_shape(path, value)
}
/// Whether an object may be stored at `keys`: anywhere but at a scalar field of the form,
/// where [`check_shape`] lets no object in (so a scalar written there replaces no container,
/// and the document before the changes need not be read).
fn may_hold_object(keys: &[String]) -> bool {
    !matches!(form().lookup(keys), Ok(Lookup::Value { .. }))
}

fn path_of_patch(patch: &Patch, key: &str) -> DocPath {
    let mut keys: Vec<String> = patch
        .path
        .iter()
        .map(|(_, prop)| match prop {
            Prop::Map(k) => k.clone(),
            Prop::Seq(i) => i.to_string(),
        })
        .collect();
    if !key.is_empty() {
        keys.push(key.to_owned());
    }
    DocPath::from_keys(keys)
}

/// The value `key` held in `obj` before the changes; `None` when it held none or the object
/// itself is new (created by the changes, so absent from `before`).
fn value_before(
    doc: &Automerge,
    before: &[ChangeHash],
    obj: &ObjId,
    key: &str,
) -> Option<Value<'static>> {
    doc.get_at(obj, key, before)
        .ok()
        .flatten()
        .map(|(value, _)| value.to_owned())
}
