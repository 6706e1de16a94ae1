//! `zoufang-sync`: the household document on automerge and the batch sync protocol.
//!
//! Owns the document ([`HouseholdDoc`]: created from a template in which every container
//! exists, typed reads and writes by [`DocPath`], entries under fresh keys, removal as a
//! status), the batch sync protocol for both sides as pure state machines ([`client`],
//! [`server`], CBOR [`codec`]), [`conflicts`] extraction after a merge, and the
//! [`authority`] checks the server runs on a device's changes.
//!
//! Must not depend on tokio, actix, sea-orm, the file system or the network: bytes and
//! state in, bytes and state out. The caller stores state and moves bytes.
//!
//! # One sync round
//!
//! ```
//! use automerge::ActorId;
//! use zoufang_schemas::{sample, wire::DocId, RegionCode, Role};
//! use zoufang_sync::{memory::{MemoryServer, MemoryTablet}, DocPath};
//!
//! // The server creates a household; a helper's tablet is registered for it.
//! let mut server = MemoryServer::new(ActorId::from([0u8; 16]));
//! let village = RegionCode::parse("652822100201").unwrap();
//! let record = sample::household(&mut sample::SampleRng::new(1), &village);
//! let id = DocId([7; 16]);
//! server.create(id, &record, 1_700_000_000).unwrap();
//! let actor = ActorId::from([1u8; 16]);
//! server.register("tablet-1", Role::Helper, &[actor.clone()], [id]);
//!
//! // First sync: the household arrives whole, in one round trip.
//! let mut tablet = MemoryTablet::new("tablet-1", actor);
//! let first = tablet.sync(&mut server).unwrap();
//! assert_eq!((first.round_trips, first.docs_received), (1, 1));
//!
//! // An offline edit, then a sync that uploads it.
//! let phone = DocPath::parse("household.phone").unwrap();
//! tablet.edit(&id, 1_700_000_100, |e| e.put(&phone, &"13899001122")).unwrap();
//! let second = tablet.sync(&mut server).unwrap();
//! assert_eq!((second.round_trips, second.docs_sent), (1, 1));
//! let on_server = server.doc(&id).unwrap();
//! assert_eq!(on_server.get_as::<String>(&phone).unwrap().as_deref(), Some("13899001122"));
//!
//! // Nothing changed: the check is one small round trip.
//! let third = tablet.sync(&mut server).unwrap();
//! assert_eq!(third.round_trips, 1);
//! assert!(third.bytes_up + third.bytes_down < 120);
//! ```

#![forbid(unsafe_code)]

pub mod authority;
pub mod client;
pub mod codec;
pub mod conflicts;
mod document;
mod error;
pub mod guard;
pub mod heads;
pub mod memory;
pub mod parallel;
mod path;
pub mod server;
mod value;

pub use automerge;
pub use document::{Editor, EntrySection, HouseholdDoc, photo_hashes, read_record, read_section};
pub use error::DocError;
pub use path::{BadPath, DocPath};
