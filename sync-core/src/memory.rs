//! In-memory peers: a server and tablets that speak the protocol through encoded bytes,
//! with no storage and no network. Used by tests, benchmarks and the documentation example,
//! and a compact model of what the real server and tablet do.

use crate::client::{ClientOp, ClientState, build_request, plan_reply};
use crate::codec::{Limits, ProtocolError, decode_reply, decode_request, encode};
use crate::conflicts::Conflict;
use crate::document::{Editor, HouseholdDoc};
use crate::error::DocError;
use crate::heads::{from_wire, to_wire};
use crate::server::{Belief, DeviceContext, Known, MergedDoc, Scope, plan, respond};
use automerge::{ActorId, Automerge};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use zoufang_schemas::wire::{DocId, Head, Refusal};
use zoufang_schemas::{HouseholdRecord, Role};

/// A device known to the in-memory server.
#[derive(Debug, Clone)]
struct Device {
    context: DeviceContext,
    scope: BTreeSet<DocId>,
    belief: Belief,
    /// The digest of `belief`, kept up to date.
    digest: zoufang_schemas::wire::Digest,
    /// The first stamp not yet seen by the device; `None` until a complete sync (and after
    /// its scope changed), when the whole scope is compared.
    cursor: Option<u64>,
}

/// A server holding every document in memory.
#[derive(Debug, Default)]
pub struct MemoryServer {
    docs: BTreeMap<DocId, Automerge>,
    devices: BTreeMap<String, Device>,
    /// Every conflict recorded, in order.
    pub conflicts: Vec<(DocId, Conflict)>,
    /// The villages households may be moved to (those of the households created).
    villages: std::sync::Arc<BTreeSet<String>>,
    /// Number of documents loaded for requests (0 for an up-to-date check).
    pub loads: usize,
    /// Documents compared for requests: the whole scope, or what changed since the
    /// device's cursor and what the request named.
    pub compared: usize,
    actor: Option<ActorId>,
    /// The last change stamp given; each document keeps the stamp of its last change.
    clock: u64,
    stamps: BTreeMap<DocId, u64>,
    /// Compare whole scopes on every request instead of following the change feed.
    whole_scopes: bool,
    /// Every reply sent, in order.
    pub replies: Vec<Vec<u8>>,
}

impl MemoryServer {
    /// An empty server whose own changes are signed by `actor`. Like the real server, it
    /// keeps each device's digest and a change feed, and compares only what changed since
    /// a device's last complete sync.
    pub fn new(actor: ActorId) -> Self {
        Self {
            actor: Some(actor),
            ..Self::default()
        }
    }

    /// A server that compares each device's whole scope on every request: the reference
    /// the change feed must agree with.
    pub fn comparing_whole_scopes(actor: ActorId) -> Self {
        Self {
            whole_scopes: true,
            ..Self::new(actor)
        }
    }

    fn stamp(&mut self, id: DocId) {
        self.clock += 1;
        self.stamps.insert(id, self.clock);
    }

    /// Creates a household document from a record.
    pub fn create(
        &mut self,
        id: DocId,
        record: &HouseholdRecord,
        time: i64,
    ) -> Result<(), DocError> {
        let actor = self.actor.clone().unwrap_or_else(ActorId::random);
        let doc = HouseholdDoc::create(record, actor, time)?;
        std::sync::Arc::make_mut(&mut self.villages)
            .insert(record.household.region_code.as_str().to_owned());
        self.docs.insert(id, doc.into_automerge());
        self.stamp(id);
        Ok(())
    }

    /// Stores a document from saved bytes (e.g. restoring a backup).
    pub fn insert_saved(&mut self, id: DocId, bytes: &[u8]) -> Result<(), DocError> {
        let doc = Automerge::load(bytes).map_err(|e| DocError::Load(e.to_string()))?;
        self.docs.insert(id, doc);
        self.stamp(id);
        Ok(())
    }

    /// Registers a device with its role, actors and the documents in its scope.
    pub fn register(
        &mut self,
        device: &str,
        role: Role,
        actors: &[ActorId],
        scope: impl IntoIterator<Item = DocId>,
    ) {
        self.devices.insert(
            device.to_owned(),
            Device {
                context: DeviceContext {
                    role,
                    actors: std::sync::Arc::new(actors.iter().cloned().collect::<HashSet<_>>()),
                    villages: std::sync::Arc::default(),
                },
                scope: scope.into_iter().collect(),
                belief: Belief::new(),
                digest: Default::default(),
                cursor: None,
            },
        );
    }

    /// Changes a device's scope.
    pub fn set_scope(&mut self, device: &str, scope: impl IntoIterator<Item = DocId>) {
        if let Some(d) = self.devices.get_mut(device) {
            d.scope = scope.into_iter().collect();
            // As when a user's scope changes: the next sync compares the whole scope.
            d.cursor = None;
        }
    }

    /// A document as the server has it.
    pub fn doc(&self, id: &DocId) -> Option<HouseholdDoc> {
        self.docs
            .get(id)
            .map(|d| HouseholdDoc::from_automerge(d.clone()))
    }

    /// Edits a document as the server (e.g. a supervisor's resolution).
    pub fn edit<O>(
        &mut self,
        id: &DocId,
        time: i64,
        f: impl FnOnce(&mut Editor<'_, '_>) -> Result<O, DocError>,
    ) -> Result<O, DocError> {
        let doc = self
            .docs
            .remove(id)
            .ok_or_else(|| DocError::Load(format!("no document {id}")))?;
        let mut household = HouseholdDoc::from_automerge(doc);
        let result = household.edit(time, f);
        self.docs.insert(*id, household.into_automerge());
        self.stamp(*id);
        result.map(|(o, _)| o)
    }

    /// Handles one encoded request from `device` and returns the encoded reply.
    pub fn handle(&mut self, device: &str, bytes: &[u8]) -> Result<Vec<u8>, ProtocolError> {
        let decoded = decode_request(bytes, &Limits::default())?;
        let Some(mut dev) = self.devices.get(device).cloned() else {
            return Err(ProtocolError::Malformed(format!("unknown device {device}")));
        };
        if crate::authority::may_move_households(dev.context.role) {
            dev.context.villages = self.villages.clone();
        }
        let horizon = self.clock + 1;
        let (scope, known) = self.view(&dev, &decoded);
        self.compared += scope.len();
        let plan = plan(&decoded, &scope, &known);
        let mut loaded: BTreeMap<DocId, Automerge> = plan
            .load
            .iter()
            .filter_map(|id| self.docs.get(id).map(|d| (*id, d.clone())))
            .collect();
        self.loads += loaded.len();
        let stored = |id: &DocId| self.docs.get(id).cloned();
        let outcome = respond(&plan, decoded, &mut loaded, &dev.context, stored);
        for MergedDoc { doc, conflicts, .. } in &outcome.merged {
            if let Some(merged) = loaded.remove(doc) {
                self.docs.insert(*doc, merged);
                self.stamp(*doc);
            }
            self.conflicts
                .extend(conflicts.iter().map(|c| (*doc, c.clone())));
        }
        if let Some(d) = self.devices.get_mut(device) {
            outcome.belief.apply_to(&mut d.belief);
            d.digest = outcome.belief.digest;
            if plan.digest_matches && !self.whole_scopes {
                d.cursor = Some(horizon);
            }
        }
        let reply = encode(&outcome.reply);
        self.replies.push(reply.clone());
        Ok(reply)
    }

    /// What a request is planned against: for a device with a cursor, the documents
    /// changed since it and those the request names; otherwise everything.
    fn view(&self, dev: &Device, decoded: &crate::codec::DecodedRequest) -> (Scope, Known) {
        let heads_of = |id: &DocId| self.docs.get(id).map(|d| to_wire(&d.get_heads()));
        let cursor = match dev.cursor {
            Some(cursor) if decoded.request.held.is_none() => cursor,
            _ => {
                let scope = dev
                    .scope
                    .iter()
                    .filter_map(|id| heads_of(id).map(|h| (*id, h)))
                    .collect();
                return (scope, Known::whole(dev.belief.clone()));
            }
        };
        let concerned: BTreeSet<DocId> = dev
            .scope
            .iter()
            .filter(|id| self.stamps.get(id).is_some_and(|s| *s >= cursor))
            .copied()
            .chain(decoded.request.updates.iter().map(|u| u.doc))
            .collect();
        let scope = concerned
            .iter()
            .filter(|id| dev.scope.contains(id))
            .filter_map(|id| heads_of(id).map(|h| (*id, h)))
            .collect();
        let belief = concerned
            .iter()
            .filter_map(|id| dev.belief.get(id).map(|h| (*id, h.clone())))
            .collect();
        (
            scope,
            Known {
                belief,
                digest: dev.digest,
            },
        )
    }
}

/// Figures of one sync session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncStats {
    /// HTTP round trips.
    pub round_trips: usize,
    /// Request bytes.
    pub bytes_up: usize,
    /// Reply bytes.
    pub bytes_down: usize,
    /// Documents with changes sent.
    pub docs_sent: usize,
    /// Documents received (changes or whole).
    pub docs_received: usize,
}

/// A tablet holding its documents in memory.
#[derive(Debug)]
pub struct MemoryTablet {
    /// The device name registered with the server.
    pub device: String,
    actor: ActorId,
    docs: BTreeMap<DocId, HouseholdDoc>,
    state: ClientState,
    /// Refusals received, in order.
    pub refused: Vec<Refusal>,
}

impl MemoryTablet {
    /// A tablet signing with `actor`.
    pub fn new(device: &str, actor: ActorId) -> Self {
        Self {
            device: device.to_owned(),
            actor,
            docs: BTreeMap::new(),
            state: ClientState::default(),
            refused: Vec::new(),
        }
    }

    /// The tablet's actor.
    pub fn actor(&self) -> &ActorId {
        &self.actor
    }

    /// A document the tablet holds.
    pub fn doc(&self, id: &DocId) -> Option<&HouseholdDoc> {
        self.docs.get(id)
    }

    /// Documents held.
    pub fn doc_ids(&self) -> Vec<DocId> {
        self.docs.keys().copied().collect()
    }

    /// Forgets the sync state (as after a reinstall that kept the documents).
    pub fn forget_sync_state(&mut self) {
        self.state = ClientState::default();
    }

    /// Edits a held document offline.
    pub fn edit<O>(
        &mut self,
        id: &DocId,
        time: i64,
        f: impl FnOnce(&mut Editor<'_, '_>) -> Result<O, DocError>,
    ) -> Result<(O, Option<Head>), DocError> {
        let doc = self
            .docs
            .get_mut(id)
            .ok_or_else(|| DocError::Load(format!("no document {id}")))?;
        doc.edit(time, f)
    }

    fn held(&self) -> BTreeMap<DocId, Vec<Head>> {
        self.docs.iter().map(|(id, d)| (*id, d.heads())).collect()
    }

    /// Builds the next request.
    pub fn request(
        &self,
    ) -> (
        zoufang_schemas::wire::SyncRequest,
        BTreeMap<DocId, Vec<Head>>,
    ) {
        let held = self.held();
        let request = build_request(&self.state, &held, |id, since| {
            self.docs
                .get(id)
                .map_or_else(Vec::new, |d| changes_since(d.automerge(), since))
        });
        (request, held)
    }

    /// Applies a reply; returns whether another round trip is needed.
    pub fn receive(
        &mut self,
        request: &zoufang_schemas::wire::SyncRequest,
        held: &BTreeMap<DocId, Vec<Head>>,
        reply_bytes: &[u8],
    ) -> Result<(bool, usize), ProtocolError> {
        let reply = decode_reply(reply_bytes, &Limits::default())?;
        let plan = plan_reply(&self.state, request, held, reply);
        let received = plan
            .ops
            .iter()
            .filter(|op| !matches!(op, ClientOp::Purge { .. }))
            .count();
        for op in plan.ops {
            match op {
                ClientOp::Apply { doc, changes } => {
                    if let Some(d) = self.docs.get_mut(&doc) {
                        d.apply_changes(&changes)
                            .map_err(|e| ProtocolError::Malformed(e.to_string()))?;
                    }
                }
                ClientOp::Replace { doc, bytes } => {
                    let loaded = HouseholdDoc::load(&bytes, self.actor.clone())
                        .map_err(|e| ProtocolError::Malformed(e.to_string()))?;
                    self.docs.insert(doc, loaded);
                }
                ClientOp::Purge { doc, if_heads } => {
                    if self.docs.get(&doc).is_some_and(|d| d.heads() == if_heads) {
                        self.docs.remove(&doc);
                    }
                }
            }
        }
        self.refused.extend(plan.refused);
        self.state = plan.state;
        Ok((plan.again, received))
    }

    /// Syncs with `server` until nothing more is needed (at most four round trips).
    pub fn sync(&mut self, server: &mut MemoryServer) -> Result<SyncStats, ProtocolError> {
        let mut stats = SyncStats::default();
        for _ in 0..4 {
            let (request, held) = self.request();
            stats.docs_sent += request.updates.len();
            let bytes = encode(&request);
            stats.bytes_up += bytes.len();
            let reply = server.handle(&self.device, &bytes)?;
            stats.bytes_down += reply.len();
            stats.round_trips += 1;
            let (again, received) = self.receive(&request, &held, &reply)?;
            stats.docs_received += received;
            if !again {
                break;
            }
        }
        Ok(stats)
    }
}

/// Changes of `doc` not covered by `since`; heads the document does not know are ignored,
/// so the result is then a superset (the server drops what it has).
pub fn changes_since(doc: &Automerge, since: &[Head]) -> Vec<Vec<u8>> {
    let known: Vec<_> = from_wire(since)
        .into_iter()
        .filter(|h| doc.get_change_meta_by_hash(h).is_some())
        .collect();
    doc.get_changes(&known)
        .into_iter()
        .map(|mut c| c.bytes().into_owned())
        .collect()
}
