//! `zoufang-schemas`: the household record shared by tablets and the server.
//!
//! Owns the collection-form types ([`HouseholdRecord`], [`Member`], entries, [`Task`]), every
//! enumeration with its stable English code and Chinese label, validation ([`validate`]),
//! the wire types of the sync protocol ([`wire`]), and the JSON Schema export.
//!
//! Must not depend on any I/O, on automerge, or on the server: it is a leaf crate.

#![forbid(unsafe_code)]

mod code_enum;
mod entries;
mod enums;
pub mod form;
pub mod id_number;
mod member;
pub mod names;
mod record;
pub mod sample;
mod schema_export;
mod task;
pub mod validate;
mod values;
pub mod wire;

pub use code_enum::{CodeEnum, UnknownCode};
pub use entries::{Measure, NaturalChange, PhotoRef, Visit};
pub use enums::*;
pub use member::Member;
pub use record::{
    Guarantees, HouseholdInfo, HouseholdRecord, Housing, Income, Monitoring, SCHEMA_VERSION, Water,
};
pub use schema_export::{household_json_schema, task_json_schema};
pub use task::{RiskClue, Task};
pub use validate::validate;
pub use values::{CodeSet, EntryId, FormatError, PhotoHash, Quarter, RegionCode, YearMonth};
