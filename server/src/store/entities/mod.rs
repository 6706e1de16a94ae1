//! sea-orm entities, one per table (see the migrations crate for the schema).

pub mod audit_entry;
pub mod audit_head;
pub mod blob;
pub mod conflict;
pub mod device;
pub mod device_actor;
pub mod device_cursor;
pub mod device_doc;
pub mod doc_change;
pub mod document;
pub mod household;
pub mod login_throttle;
pub mod member;
pub mod photo_holder;
pub mod photo_link;
pub mod photo_upload;
pub mod photo_upload_chunk;
pub mod refresh_token;
pub mod region;
pub mod server_actor;
pub mod token_family;
pub mod user;
