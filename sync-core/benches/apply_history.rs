//! What applying one tablet change (ten field edits, as the `tablets_online` benchmark
//! makes) costs the server's copy of a household, against how many such changes the
//! household took before: automerge keeps every op, so the cost follows the history.
//!
//! Run: `cargo bench -p zoufang-sync --bench apply_history`

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark code: a failure should stop it

use automerge::{ActorId, Automerge};
use std::time::Instant;
use zoufang_schemas::RegionCode;
use zoufang_schemas::sample::{EDITED_FIELDS, SampleRng, household};
use zoufang_sync::{DocPath, HouseholdDoc};

/// Changes timed at each point of the history.
const TIMED: i64 = 50;

fn main() {
    let village: RegionCode = "652822100201".parse().unwrap();
    let record = household(&mut SampleRng::new(7), &village);
    let mut tablet = HouseholdDoc::create(&record, ActorId::random(), 1_750_000_000).unwrap();
    let mut server = tablet.automerge_mut().clone();
    let mut made = 0;
    println!("| changes before | µs to apply one change | saved document bytes |");
    println!("|---:|---:|---:|");
    for history in [0, 20, 50, 100, 200, 400] {
        while made < history {
            apply(&mut tablet, &mut server, made);
            made += 1;
        }
        let bytes = server.save().len();
        let mut seconds = 0.0;
        for _ in 0..TIMED {
            seconds += apply(&mut tablet, &mut server, made);
            made += 1;
        }
        println!(
            "| {history} | {:.1} | {bytes} |",
            seconds / TIMED as f64 * 1e6
        );
    }
}

/// Makes change number `n` on the tablet and applies it to the server's copy; returns the
/// seconds the server's apply took.
fn apply(tablet: &mut HouseholdDoc, server: &mut Automerge, n: i64) -> f64 {
    let before = tablet.automerge_mut().get_heads();
    tablet
        .edit(1_750_000_100 + n, |e| {
            for (i, field) in EDITED_FIELDS.iter().enumerate() {
                let path = DocPath::parse(field).unwrap();
                match *field {
                    "household.phone" | "household.address" | "housing.fuel" | "water.source" => {
                        e.put(&path, &format!("{field}-{n}"))?
                    }
                    _ => e.put(&path, &(1_000.0 + (n * 10 + i as i64) as f64))?,
                }
            }
            Ok(())
        })
        .unwrap();
    let changes = tablet.automerge_mut().get_changes(&before);
    let started = Instant::now();
    server.apply_changes(changes).unwrap();
    started.elapsed().as_secs_f64()
}
