use super::Belief;
use super::plan::{Plan, UpdateDisposition};
use crate::authority::{AuthorityError, WriterRights, check_actors, check_patches};
use crate::codec::DecodedRequest;
use crate::conflicts::{
    Conflict, conflicts_after_linear_merge, conflicts_after_merge, extends_linearly,
};
use crate::heads::Toggle;
use crate::heads::{canonical, from_wire, to_wire};
use crate::parallel::{cores, map_in_order};
use automerge::{ActorId, Automerge, Change, ChangeHash};
use serde_bytes::ByteBuf;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use zoufang_schemas::Role;
use zoufang_schemas::wire::{
    DocChanges, DocHeads, DocId, Head, PROTOCOL_VERSION, Refusal, ReplyStatus, SyncReply, WholeDoc,
};

/// Who is syncing: the user's role, the actor ids registered to the device, and the
/// villages the user may move households to.
#[derive(Debug, Clone)]
pub struct DeviceContext {
    /// The role of the device's user.
    pub role: Role,
    /// Actor ids the device signs changes with.
    pub actors: std::sync::Arc<HashSet<ActorId>>,
    /// Existing villages inside the user's scope (empty for roles that may not move
    /// households).
    pub villages: std::sync::Arc<BTreeSet<String>>,
}

/// A change newly merged into a document: what the change log stores.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedChange {
    /// Change hash.
    pub hash: Head,
    /// Hex actor id.
    pub actor: String,
    /// Sequence number of the change for its actor.
    pub seq: u64,
    /// The change's time (Unix seconds, writer's clock).
    pub time: i64,
    /// The change bytes as received.
    pub bytes: Vec<u8>,
}

impl AppliedChange {
    /// What the change log stores of `change`.
    pub fn of(mut change: Change) -> Self {
        Self {
            hash: Head(change.hash().0),
            actor: change.actor_id().to_hex_string(),
            seq: change.seq(),
            time: change.timestamp(),
            bytes: change.bytes().into_owned(),
        }
    }
}

/// A document that received new changes in this request.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedDoc {
    /// The document.
    pub doc: DocId,
    /// Heads before the merge.
    pub heads_before: Vec<Head>,
    /// Heads after the merge.
    pub heads: Vec<Head>,
    /// The new changes, in the order applied.
    pub changes: Vec<AppliedChange>,
    /// Same-field conflicts on the keys the new changes wrote.
    pub conflicts: Vec<Conflict>,
    /// The section keys the merge wrote, as `section.key` (`household.phone`,
    /// `members.<entry id>`), so that projections can skip what did not change. (A merge
    /// that writes a section itself is refused: sections are containers.)
    pub fields: BTreeSet<String>,
}

impl MergedDoc {
    /// Whether the merge wrote anything in `section` (`household`, `members`, ...).
    pub fn changed_section(&self, section: &str) -> bool {
        let prefix = format!("{section}.");
        self.fields
            .range(prefix.clone()..)
            .next()
            .is_some_and(|field| field.starts_with(&prefix))
    }
}

/// How the server's belief about a device moves with a request: per document the heads
/// the device will hold, or `None` when it will no longer hold the document; and the
/// digest of the whole belief after them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BeliefChanges {
    /// Documents whose believed heads moved.
    pub changed: BTreeMap<DocId, Option<Vec<Head>>>,
    /// The digest of the whole belief after the changes.
    pub digest: zoufang_schemas::wire::Digest,
}

impl BeliefChanges {
    /// The changes from `before` to `after` (both whole, or both the same part of the
    /// belief), and the digest `digest` (of the whole of `before`) moved by them.
    pub fn between(before: &Belief, after: &Belief, digest: zoufang_schemas::wire::Digest) -> Self {
        let mut changes = BeliefChanges {
            changed: BTreeMap::new(),
            digest,
        };
        for (doc, heads) in after {
            if before.get(doc) != Some(heads) {
                changes.changed.insert(*doc, Some(heads.clone()));
            }
        }
        for doc in before.keys() {
            if !after.contains_key(doc) {
                changes.changed.insert(*doc, None);
            }
        }
        for (doc, now) in &changes.changed {
            if let Some(old) = before.get(doc) {
                changes.digest.toggle(doc, old);
            }
            if let Some(new) = now {
                changes.digest.toggle(doc, new);
            }
        }
        changes
    }

    /// Records that the device will hold `doc` at `heads` (a document sent whole outside
    /// [`settle`]); `known` is the belief the changes were made from.
    pub fn hold(&mut self, doc: DocId, heads: Vec<Head>, known: &Belief) {
        let old = match self.changed.get(&doc) {
            Some(now) => now.clone(),
            None => known.get(&doc).cloned(),
        };
        if let Some(old) = &old {
            self.digest.toggle(&doc, old);
        }
        self.digest.toggle(&doc, &heads);
        self.changed.insert(doc, Some(heads));
    }

    /// Applies the changes to a whole belief.
    pub fn apply_to(&self, belief: &mut Belief) {
        for (doc, heads) in &self.changed {
            match heads {
                Some(heads) => belief.insert(*doc, heads.clone()),
                None => belief.remove(doc),
            };
        }
    }
}

/// The result of one request: the reply (without blobs and tasks, which the caller adds),
/// how the belief about the device moves, and what was merged (to persist in one
/// transaction).
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The reply to encode.
    pub reply: SyncReply,
    /// How the belief about the device moves once it has applied the reply.
    pub belief: BeliefChanges,
    /// Documents that changed; `docs` passed to [`respond`] holds their new state.
    pub merged: Vec<MergedDoc>,
}

/// Authorises and merges the updates, then builds the reply. `docs` must hold every document
/// in `plan.load`; merged documents are updated in place. `stored` reads a document again
/// as it was before the request, for those a failed merge left unusable.
pub fn respond(
    plan: &Plan,
    request: DecodedRequest,
    docs: &mut BTreeMap<DocId, Automerge>,
    device: &DeviceContext,
    stored: impl FnMut(&DocId) -> Option<Automerge>,
) -> Outcome {
    let Updates { order, mut pending } = updates(plan, &request);
    // Merge every update first, in parallel across documents (each merge touches one
    // document only), then settle the results in request order.
    let mut work: Vec<(DocId, &mut Automerge, Vec<Change>)> = docs
        .iter_mut()
        .filter_map(|(id, doc)| pending.remove(id).map(|changes| (*id, doc, changes)))
        .collect();
    let mut results = merge_all(&mut work, device);
    drop(work);
    restore_lost(&mut results, docs, stored);
    settle(plan, &order, results, docs)
}

/// The updates of one request to merge: the request's order, and the changes of every
/// document in scope (or leaving it with a final upload).
#[derive(Debug)]
pub struct Updates {
    /// Every updated document, in request order (including those out of scope).
    pub order: Vec<DocId>,
    /// The changes to merge per document; out-of-scope documents are not here.
    pub pending: BTreeMap<DocId, Vec<Change>>,
}

/// Splits the request's updates into what to merge and the order to settle them in.
pub fn updates(plan: &Plan, request: &DecodedRequest) -> Updates {
    let dispositions: BTreeMap<DocId, UpdateDisposition> = plan.updates.iter().copied().collect();
    let mut order = Vec::with_capacity(request.changes.len());
    let mut pending = BTreeMap::new();
    for (doc_id, changes) in &request.changes {
        let doc_id = *doc_id;
        order.push(doc_id);
        let disposition = dispositions
            .get(&doc_id)
            .copied()
            .unwrap_or(UpdateDisposition::OutOfScope);
        if disposition != UpdateDisposition::OutOfScope {
            pending.insert(doc_id, changes.clone());
        }
    }
    Updates { order, pending }
}

/// Builds the reply and the new belief from the merge results, in request order. `docs`
/// must hold every document in `plan.load`, merged ones in their new state and lost ones
/// read again ([`restore_lost`]); an update without a result (its document is not in
/// `docs`) is refused as out of scope.
pub fn settle(
    plan: &Plan,
    order: &[DocId],
    mut results: BTreeMap<DocId, MergeResult>,
    docs: &BTreeMap<DocId, Automerge>,
) -> Outcome {
    let mut settling = Settling {
        expected: plan.expected.clone(),
        reply: empty_reply(if plan.digest_matches {
            ReplyStatus::Complete
        } else {
            ReplyStatus::NeedHeld
        }),
        merged: Vec::new(),
        settled: BTreeSet::new(),
        leaving: plan.leaving.clone(),
    };
    let dispositions: BTreeMap<DocId, UpdateDisposition> = plan.updates.iter().copied().collect();
    for &doc_id in order {
        let disposition = dispositions
            .get(&doc_id)
            .copied()
            .unwrap_or(UpdateDisposition::OutOfScope);
        match (results.remove(&doc_id), docs.get(&doc_id)) {
            (Some(result), Some(doc)) => settling.update(doc_id, disposition, result, doc),
            _ => settling.out_of_scope(doc_id),
        }
    }
    if plan.digest_matches {
        for doc_id in &plan.load {
            if let Some(doc) = docs.get(doc_id) {
                settling.send(*doc_id, doc, plan.assign.contains(doc_id));
            }
        }
    }
    let Settling {
        mut expected,
        mut reply,
        merged,
        leaving,
        ..
    } = settling;
    for doc in &leaving {
        expected.remove(doc);
    }
    reply.leaving = leaving.into_iter().collect();
    // A listed `held` replaces the whole belief; otherwise only the part the request
    // concerned moves (the rest of the known belief is unchanged and left out).
    let belief = BeliefChanges::between(&plan.known.belief, &expected, plan.known.digest);
    Outcome {
        reply,
        belief,
        merged,
    }
}

/// The reply and the belief while [`settle`] builds them.
struct Settling {
    /// What the device will hold once it applied the reply.
    expected: Belief,
    reply: SyncReply,
    merged: Vec<MergedDoc>,
    /// Documents whose update was answered with a refusal or a resend: nothing more of
    /// them goes out.
    settled: BTreeSet<DocId>,
    /// Documents the device must drop.
    leaving: BTreeSet<DocId>,
}

impl Settling {
    /// An update of a document the request may not touch (or that does not exist).
    fn out_of_scope(&mut self, doc_id: DocId) {
        self.reply.refused.push(refusal(
            doc_id,
            "document-out-of-scope",
            "this household is not in your scope",
            None,
        ));
        self.expected.remove(&doc_id);
        self.leaving.insert(doc_id);
        self.settled.insert(doc_id);
    }

    /// An update's merge result: merged, unchanged, missing dependencies (the device
    /// resends), or refused (with the server's copy when the device holds the document).
    fn update(
        &mut self,
        doc_id: DocId,
        disposition: UpdateDisposition,
        result: MergeResult,
        doc: &Automerge,
    ) {
        let (code, message) = match result {
            MergeResult::Merged(m) => {
                self.merged.push(MergedDoc { doc: doc_id, ..m });
                return;
            }
            MergeResult::Unchanged => return,
            MergeResult::MissingDependencies => {
                self.reply.resend.push(DocHeads {
                    doc: doc_id,
                    heads: to_wire(&doc.get_heads()),
                });
                self.settled.insert(doc_id);
                return;
            }
            MergeResult::Unprocessable | MergeResult::Lost => (
                "change-invalid",
                "the changes could not be applied".to_owned(),
            ),
            MergeResult::Refused(err) => (err.code(), err.to_string()),
        };
        let copy = (disposition == UpdateDisposition::Merge).then(|| whole(doc_id, doc));
        match &copy {
            Some(copy) => self.expected.insert(doc_id, copy.heads.clone()),
            None => self.expected.remove(&doc_id),
        };
        self.reply
            .refused
            .push(refusal(doc_id, code, &message, copy));
        self.settled.insert(doc_id);
    }

    /// What the device lacks of a loaded document: the whole of it when newly `assigned`,
    /// the changes after what it holds, or a request to resend when what it holds is
    /// unknown to the server. Nothing for a document settled or leaving.
    fn send(&mut self, doc_id: DocId, doc: &Automerge, assigned: bool) {
        if self.settled.contains(&doc_id) || self.leaving.contains(&doc_id) {
            return;
        }
        let server_heads = to_wire(&doc.get_heads());
        if assigned {
            self.reply.assigned.push(whole(doc_id, doc));
            self.expected.insert(doc_id, server_heads);
            return;
        }
        let client_has = self.expected.get(&doc_id).cloned().unwrap_or_default();
        if canonical(&client_has) == server_heads {
            return;
        }
        let known = from_wire(&client_has);
        if !known
            .iter()
            .all(|h| doc.get_change_meta_by_hash(h).is_some())
        {
            self.reply.resend.push(DocHeads {
                doc: doc_id,
                heads: server_heads,
            });
            return;
        }
        let changes = doc
            .get_changes(&known)
            .into_iter()
            .map(|mut c| ByteBuf::from(c.bytes().into_owned()))
            .collect();
        self.reply.changes.push(DocChanges {
            doc: doc_id,
            heads: server_heads.clone(),
            changes,
        });
        self.expected.insert(doc_id, server_heads);
    }
}

/// Merges each document's update, spreading the documents over the available cores. A
/// document whose merge came out [`MergeResult::Lost`] is empty afterwards.
fn merge_all(
    work: &mut [(DocId, &mut Automerge, Vec<Change>)],
    device: &DeviceContext,
) -> BTreeMap<DocId, MergeResult> {
    let threads = cores().min(work.len() / 8).max(1);
    map_in_order(work, threads, |(id, doc, changes)| {
        (*id, merge_document(doc, std::mem::take(changes), device))
    })
    .into_iter()
    .flatten()
    .collect()
}

/// What merging one document's update came to.
#[derive(Debug, Clone, PartialEq)]
pub enum MergeResult {
    /// New changes merged; the document holds them.
    Merged(MergedDoc),
    /// The changes parse but automerge cannot apply them; the document is as it was.
    Unprocessable,
    /// automerge failed or panicked part-way through applying the changes: the document
    /// was replaced by an empty one and must be read again from storage before it is used
    /// (see [`restore_lost`]). Refused like [`MergeResult::Unprocessable`].
    Lost,
    /// The server already had every change.
    Unchanged,
    /// Some change depends on a change neither side sent: the device must resend.
    MissingDependencies,
    /// The device may not make these changes.
    Refused(AuthorityError),
}

/// Authorises and merges one document's update, applying it to `doc` in place (a copy of
/// every document merged would cost more than the merge of a small change). On a refusal
/// the document is rebuilt as it was. When automerge fails or panics part-way (crafted
/// change bytes can make it), the document cannot be trusted and is replaced by an empty
/// one: the result is [`MergeResult::Lost`], and the caller reads the document again
/// from storage. Pure and independent per document: callers may run documents on
/// different threads.
pub fn merge_document(
    doc: &mut Automerge,
    changes: Vec<Change>,
    device: &DeviceContext,
) -> MergeResult {
    let result = match crate::guard::contain(|| merge_update(doc, changes, device)) {
        Some(Ok(result)) => result,
        Some(Err(refused)) => MergeResult::Refused(refused),
        None => MergeResult::Lost,
    };
    if result == MergeResult::Lost {
        *doc = Automerge::new();
    }
    result
}

/// Puts back every document whose merge was [`MergeResult::Lost`], as `stored` reads it
/// (the state before the request: nothing was stored for it since), and refuses its update as
/// unprocessable. A document `stored` cannot read stays out of `docs` (its update is then
/// refused as out of scope).
pub fn restore_lost(
    results: &mut BTreeMap<DocId, MergeResult>,
    docs: &mut BTreeMap<DocId, Automerge>,
    mut stored: impl FnMut(&DocId) -> Option<Automerge>,
) {
    for (id, result) in results.iter_mut() {
        if *result != MergeResult::Lost {
            continue;
        }
        match stored(id) {
            Some(doc) => {
                docs.insert(*id, doc);
                *result = MergeResult::Unprocessable;
            }
            None => {
                docs.remove(id);
            }
        }
    }
}

fn merge_update(
    doc: &mut Automerge,
    changes: Vec<Change>,
    device: &DeviceContext,
) -> Result<MergeResult, AuthorityError> {
    let (fresh, batch) = new_to(doc, changes);
    if fresh.is_empty() {
        return Ok(MergeResult::Unchanged);
    }
    // Only changes new to the server need the device's signature: a device may hand back
    // changes it received from the server.
    check_actors(&fresh, &device.actors)?;
    let deps_known = fresh
        .iter()
        .flat_map(|c| c.deps().iter())
        .all(|dep| batch.contains(dep) || doc.get_change_meta_by_hash(dep).is_some());
    if !deps_known {
        return Ok(MergeResult::MissingDependencies);
    }
    let before = doc.get_heads();
    // Applied in place: the document is not copied first. A refusal below rebuilds it as
    // it was; an error or panic part-way leaves it unusable (`Lost`, see `merge_document`).
    let mut log = automerge::PatchLog::active();
    if doc
        .apply_changes_log_patches(fresh.iter().cloned(), &mut log)
        .is_err()
    {
        return Ok(MergeResult::Lost);
    }
    let after = doc.get_heads();
    let patches = doc.make_patches(&mut log);
    let rights = WriterRights {
        role: device.role,
        villages: &device.villages,
    };
    if let Err(refused) = check_patches(rights, doc, &before, &patches) {
        return match rebuild_at(doc, &before) {
            Some(()) => Err(refused),
            None => Ok(MergeResult::Lost),
        };
    }
    let conflicts = if extends_linearly(&before, &fresh) {
        conflicts_after_linear_merge(doc, &fresh)
    } else {
        conflicts_after_merge(doc, &fresh)
    };
    let fields = written_fields(&patches);
    let changes = fresh.into_iter().map(AppliedChange::of).collect();
    Ok(MergeResult::Merged(MergedDoc {
        doc: DocId([0; 16]),
        heads_before: to_wire(&before),
        heads: to_wire(&after),
        changes,
        conflicts,
        fields,
    }))
}

/// The changes not in `doc` yet, each once, in the order sent, and their hashes.
fn new_to(doc: &Automerge, changes: Vec<Change>) -> (Vec<Change>, HashSet<ChangeHash>) {
    let mut batch: HashSet<ChangeHash> = HashSet::new();
    let mut fresh = Vec::new();
    for change in changes {
        if doc.get_change_meta_by_hash(&change.hash()).is_none() && batch.insert(change.hash()) {
            fresh.push(change);
        }
    }
    (fresh, batch)
}

/// The section keys the patches wrote, as `section.key`.
fn written_fields(patches: &[automerge::Patch]) -> BTreeSet<String> {
    let mut fields = BTreeSet::new();
    for patch in patches {
        let key = match &patch.action {
            automerge::PatchAction::PutMap { key, .. }
            | automerge::PatchAction::DeleteMap { key } => Some(key.as_str()),
            automerge::PatchAction::Conflict {
                prop: automerge::Prop::Map(key),
            } => Some(key.as_str()),
            _ => None,
        };
        let mut keys = patch
            .path
            .iter()
            .filter_map(|(_, prop)| match prop {
                automerge::Prop::Map(k) => Some(k.as_str()),
                automerge::Prop::Seq(_) => None,
            })
            .chain(key);
        if let (Some(section), Some(field)) = (keys.next(), keys.next()) {
            fields.insert(format!("{section}.{field}"));
        }
    }
    fields
}

/// Puts `doc` back as it was at `heads` (before changes it applied were refused), rebuilt
/// from its own history and signing with the same actor; `None` if it cannot be.
fn rebuild_at(doc: &mut Automerge, heads: &[ChangeHash]) -> Option<()> {
    let mut rebuilt = doc.fork_at(heads).ok()?;
    rebuilt.set_actor(doc.get_actor().clone());
    *doc = rebuilt;
    Some(())
}

fn whole(doc_id: DocId, doc: &Automerge) -> WholeDoc {
    WholeDoc {
        doc: doc_id,
        heads: to_wire(&doc.get_heads()),
        bytes: ByteBuf::from(doc.save()),
    }
}

fn refusal(doc: DocId, code: &str, message: &str, server_copy: Option<WholeDoc>) -> Refusal {
    Refusal {
        doc,
        code: code.to_owned(),
        message: message.to_owned(),
        server_copy,
    }
}

fn empty_reply(status: ReplyStatus) -> SyncReply {
    SyncReply {
        v: PROTOCOL_VERSION,
        status,
        changes: Vec::new(),
        assigned: Vec::new(),
        refused: Vec::new(),
        leaving: Vec::new(),
        resend: Vec::new(),
        missing_blobs: Vec::new(),
        tasks: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_changed_only_when_a_key_inside_it_was_written() {
        let merged = MergedDoc {
            doc: DocId([0; 16]),
            heads_before: Vec::new(),
            heads: Vec::new(),
            changes: Vec::new(),
            conflicts: Vec::new(),
            fields: ["household.phone", "income.wage"]
                .into_iter()
                .map(String::from)
                .collect(),
        };
        assert!(merged.changed_section("household"));
        assert!(merged.changed_section("income"));
        assert!(!merged.changed_section("house"));
        assert!(!merged.changed_section("members"));
        assert!(!merged.changed_section("incomes"));
    }
}
