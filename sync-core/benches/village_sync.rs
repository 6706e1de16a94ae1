//! Bytes on the wire and round trips for one village of 300 households, Zoufang's batch
//! protocol against automerge's per-document sync protocol on the same documents.
//!
//! Run: `cargo bench -p zoufang-sync --bench village_sync`

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark code: a failure should stop it

use automerge::sync::{self, SyncDoc};
use automerge::{ActorId, Automerge};
use std::time::Instant;
use zoufang_schemas::sample::{EDITED_FIELDS, SampleRng, household};
use zoufang_schemas::wire::DocId;
use zoufang_schemas::{RegionCode, Role};
use zoufang_sync::DocPath;
use zoufang_sync::memory::{MemoryServer, MemoryTablet, SyncStats};

const HOUSEHOLDS: usize = 300;
const CHANGED: usize = 30;
/// Eight of the ten fields a visit corrects.
const EDITS: &[&str] = EDITED_FIELDS.split_at(8).0;

fn doc_id(n: usize) -> DocId {
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&(n as u64).to_be_bytes());
    id[6] |= 0x40;
    DocId(id)
}

/// Ten field edits, each its own change as a tablet saves them one by one.
fn edit_household(tablet: &mut MemoryTablet, id: &DocId, round: i64) {
    let record = tablet.doc(id).unwrap().read().unwrap();
    let member = record.members.keys().next().unwrap().clone();
    let mut time = 1_750_000_000 + round * 100;
    for (i, field) in EDITS.iter().enumerate() {
        time += 1;
        let path = DocPath::parse(field).unwrap();
        let value = serde_json::json!(match i {
            2..=5 => serde_json::json!(10_000.0 + (round * 37 + i as i64) as f64),
            _ => serde_json::json!(format!("{field}-{round}")),
        });
        tablet.edit(id, time, |e| e.put(&path, &value)).unwrap();
    }
    let phone = DocPath::from_keys(["members", member.as_str(), "phone"]);
    tablet
        .edit(id, time + 1, |e| {
            e.put(&phone, &format!("1390000{round:04}"))
        })
        .unwrap();
    let months = DocPath::from_keys(["members", member.as_str(), "months_worked"]);
    tablet
        .edit(id, time + 2, |e| e.put(&months, &(round % 12 + 1)))
        .unwrap();
}

/// Automerge's own protocol: one `sync::State` per document, messages until both are quiet.
#[derive(Default, Clone, Copy)]
struct PerDoc {
    messages: usize,
    bytes: usize,
    round_trips: usize,
}

fn automerge_sync(
    server: &mut Automerge,
    server_state: &mut sync::State,
    tablet: &mut Automerge,
    tablet_state: &mut sync::State,
) -> PerDoc {
    let mut out = PerDoc::default();
    loop {
        let mut moved = false;
        if let Some(msg) = tablet.generate_sync_message(tablet_state) {
            let bytes = msg.encode();
            out.bytes += bytes.len();
            out.messages += 1;
            out.round_trips += 1;
            server
                .receive_sync_message(server_state, sync::Message::decode(&bytes).unwrap())
                .unwrap();
            moved = true;
        }
        if let Some(msg) = server.generate_sync_message(server_state) {
            let bytes = msg.encode();
            out.bytes += bytes.len();
            out.messages += 1;
            tablet
                .receive_sync_message(tablet_state, sync::Message::decode(&bytes).unwrap())
                .unwrap();
            moved = true;
        }
        if !moved {
            return out;
        }
    }
}

/// Persisted states, as a tablet keeps them between sessions.
fn reopen(state: &sync::State) -> sync::State {
    sync::State::decode(&state.encode()).unwrap()
}

fn row(name: &str, ours: SyncStats, theirs: PerDoc) {
    let ours_bytes = ours.bytes_up + ours.bytes_down;
    println!(
        "| {name} | {} | {} | {} | {} | {} | {:.1}× |",
        ours.round_trips,
        ours_bytes,
        theirs.round_trips,
        theirs.messages,
        theirs.bytes,
        theirs.bytes as f64 / ours_bytes.max(1) as f64
    );
}

fn main() {
    let village = RegionCode::parse("652822100201").unwrap();
    let mut rng = SampleRng::new(2026);
    let ids: Vec<DocId> = (0..HOUSEHOLDS).map(doc_id).collect();
    let mut server = MemoryServer::new(ActorId::from([0u8; 16]));
    for id in &ids {
        server
            .create(*id, &household(&mut rng, &village), 1_700_000_000)
            .unwrap();
    }
    let tablet_actor = ActorId::from([1u8; 16]);
    server.register(
        "tablet",
        Role::Helper,
        std::slice::from_ref(&tablet_actor),
        ids.clone(),
    );
    let mut tablet = MemoryTablet::new("tablet", tablet_actor.clone());

    // Automerge per-document peers on the same documents.
    let mut am_server: Vec<Automerge> = ids
        .iter()
        .map(|id| server.doc(id).unwrap().into_automerge())
        .collect();
    let mut am_tablet: Vec<Automerge> = ids
        .iter()
        .map(|_| Automerge::new().with_actor(ActorId::from([2u8; 16])))
        .collect();
    let mut server_states: Vec<sync::State> = ids.iter().map(|_| sync::State::new()).collect();
    let mut tablet_states: Vec<sync::State> = ids.iter().map(|_| sync::State::new()).collect();
    let sum = |am_server: &mut Vec<Automerge>,
               am_tablet: &mut Vec<Automerge>,
               which: &[usize],
               ss: &mut Vec<sync::State>,
               ts: &mut Vec<sync::State>| {
        let mut total = PerDoc::default();
        for &i in which {
            let r = automerge_sync(&mut am_server[i], &mut ss[i], &mut am_tablet[i], &mut ts[i]);
            total.messages += r.messages;
            total.bytes += r.bytes;
            total.round_trips += r.round_trips;
        }
        total
    };
    let all: Vec<usize> = (0..HOUSEHOLDS).collect();

    println!(
        "Village of {HOUSEHOLDS} households (4–6 members each); {CHANGED} changed households × 10 field edits.\n"
    );
    println!(
        "| case | zoufang round trips | zoufang bytes | automerge round trips | automerge messages | automerge bytes | automerge / zoufang |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");

    let t = Instant::now();
    let first = tablet.sync(&mut server).unwrap();
    let first_time = t.elapsed();
    let am_first = sum(
        &mut am_server,
        &mut am_tablet,
        &all,
        &mut server_states,
        &mut tablet_states,
    );
    row("first download", first, am_first);

    // New session: persisted automerge states, nothing changed.
    let mut server_states: Vec<sync::State> = server_states.iter().map(reopen).collect();
    let mut tablet_states: Vec<sync::State> = tablet_states.iter().map(reopen).collect();
    let check = tablet.sync(&mut server).unwrap();
    let am_check = sum(
        &mut am_server,
        &mut am_tablet,
        &all,
        &mut server_states,
        &mut tablet_states,
    );
    row("up-to-date check", check, am_check);

    // 30 households edited offline, on both kinds of tablet.
    let changed: Vec<usize> = (0..CHANGED).map(|i| i * (HOUSEHOLDS / CHANGED)).collect();
    let mut raw_change_bytes = 0usize;
    for (round, &i) in changed.iter().enumerate() {
        let before = tablet.doc(&ids[i]).unwrap().automerge().get_heads();
        edit_household(&mut tablet, &ids[i], round as i64);
        let doc = tablet.doc(&ids[i]).unwrap().automerge().clone();
        let new_changes = doc.get_changes(&before);
        raw_change_bytes += new_changes
            .iter()
            .map(|c| c.clone().bytes().len())
            .sum::<usize>();
        am_tablet[i].apply_changes(new_changes).unwrap();
    }
    let mut server_states: Vec<sync::State> = server_states.iter().map(reopen).collect();
    let mut tablet_states: Vec<sync::State> = tablet_states.iter().map(reopen).collect();
    let t = Instant::now();
    let upload = tablet.sync(&mut server).unwrap();
    let upload_time = t.elapsed();
    let mut server_states_changed = server_states.clone();
    let mut tablet_states_changed = tablet_states.clone();
    let mut am_server_copy = am_server.clone();
    let mut am_tablet_copy = am_tablet.clone();
    let am_changed_only = sum(
        &mut am_server_copy,
        &mut am_tablet_copy,
        &changed,
        &mut server_states_changed,
        &mut tablet_states_changed,
    );
    let am_upload = sum(
        &mut am_server,
        &mut am_tablet,
        &all,
        &mut server_states,
        &mut tablet_states,
    );
    row("upload 30 changed households", upload, am_upload);
    row(
        "  (automerge: only the 30 changed documents)",
        upload,
        am_changed_only,
    );

    let ours = upload.bytes_up + upload.bytes_down;
    let overhead = ours as f64 / raw_change_bytes as f64 - 1.0;
    let am_overhead = am_changed_only.bytes as f64 / raw_change_bytes as f64 - 1.0;
    println!();
    println!(
        "Raw automerge change bytes uploaded: {raw_change_bytes} ({} changes)",
        CHANGED * 10
    );
    println!(
        "Protocol overhead on changed documents (request + reply − raw changes) / raw changes: zoufang {:.1} %, automerge sync (30 documents only) {:.1} %   target < 50 %",
        overhead * 100.0,
        am_overhead * 100.0
    );
    println!(
        "Up-to-date check: {} round trip(s), {} bytes for the whole village   target: 1 round trip, < 1024 bytes",
        check.round_trips,
        check.bytes_up + check.bytes_down
    );
    println!(
        "Wall time in this process (in-memory server, no network): first download {:.1} ms, upload {:.1} ms",
        first_time.as_secs_f64() * 1e3,
        upload_time.as_secs_f64() * 1e3
    );
    let ok = check.round_trips == 1 && check.bytes_up + check.bytes_down < 1024 && overhead < 0.5;
    println!("Targets met: {}", if ok { "yes" } else { "NO" });
}
