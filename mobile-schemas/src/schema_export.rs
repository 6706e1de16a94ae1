//! JSON Schema of the household record for app developers.

use crate::record::{HouseholdRecord, SCHEMA_VERSION};
use crate::task::Task;

/// The JSON Schema (2020-12) of [`HouseholdRecord`], pretty-printed, with the schema version
/// in `$id`.
pub fn household_json_schema() -> String {
    let mut schema = schemars::schema_for!(HouseholdRecord);
    schema.insert(
        "$id".to_owned(),
        format!("https://zoufang.invalid/schema/household/v{SCHEMA_VERSION}.json").into(),
    );
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

/// The JSON Schema of [`Task`].
pub fn task_json_schema() -> String {
    let schema = schemars::schema_for!(Task);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}
