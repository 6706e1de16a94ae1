//! Services: the operations of the system, called by HTTP handlers and the CLI. They decide
//! with sync-core and persist through the store, one transaction per operation.

pub mod account_admin;
pub mod accounts;
pub mod clues;
pub mod conflict_review;
pub mod county;
pub mod documents;
pub mod elimination;
pub mod exports;
pub mod households;
pub mod identification;
pub mod imports;
pub mod measures;
pub mod natural_ledger;
pub mod periodic;
pub mod photos;
pub mod plans;
pub mod projection;
pub mod refusal;
pub mod reports;
pub mod review;
pub mod scale_report;
pub mod server_write;
pub mod sessions;
pub mod sync;

/// The roles that work on the households of their region: everyone but departments, who
/// see only their own uploads.
pub const REGION_ROLES: &[zoufang_schemas::Role] = &[
    zoufang_schemas::Role::Helper,
    zoufang_schemas::Role::TownshipSupervisor,
    zoufang_schemas::Role::CountyOfficer,
    zoufang_schemas::Role::PrefectureOfficer,
    zoufang_schemas::Role::Admin,
];
