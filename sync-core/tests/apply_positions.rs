#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
//! Property: the server's copy of a household, taking the tablets' changes a few at a time
//! (each change's ops landing at many positions of the document's columns, spliced in at
//! once), holds exactly the document the tablets' whole history loads to: the same saved
//! bytes, the same values. Two tablets edit concurrently and sometimes take the server's
//! copy, so changes overwrite ops of the same batch, of the server's history and of each
//! other.

use automerge::{ActorId, Automerge, ReadDoc};
use proptest::prelude::*;
use zoufang_schemas::sample::{EDITED_FIELDS, SampleRng, household};
use zoufang_schemas::{EntryId, Member, RegionCode, Relation, Sex};
use zoufang_sync::{DocPath, EntrySection, HouseholdDoc};

#[derive(Debug, Clone)]
enum Step {
    /// A tablet's change of the fields whose bits are set.
    Edit { tablet: usize, fields: u16, n: u16 },
    /// A tablet adds a member (keys new to the members' map), or marks one removed.
    Member { tablet: usize, n: u16, remove: bool },
    /// The server takes a tablet's changes it lacks, in one batch.
    Sync { tablet: usize },
    /// A tablet takes the server's copy.
    Pull { tablet: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..2usize, 1..1024u16, any::<u16>())
            .prop_map(|(tablet, fields, n)| Step::Edit { tablet, fields, n }),
        1 => (0..2usize, any::<u16>(), any::<bool>())
            .prop_map(|(tablet, n, remove)| Step::Member { tablet, n, remove }),
        2 => (0..2usize).prop_map(|tablet| Step::Sync { tablet }),
        1 => (0..2usize).prop_map(|tablet| Step::Pull { tablet }),
    ]
}

fn edit(tablet: &mut HouseholdDoc, fields: u16, n: u16) {
    tablet
        .edit(1_750_000_000 + i64::from(n), |e| {
            for (i, field) in EDITED_FIELDS.iter().enumerate() {
                if fields & (1 << i) == 0 {
                    continue;
                }
                let path = DocPath::parse(field).unwrap();
                match *field {
                    "household.phone" | "household.address" | "housing.fuel" | "water.source" => {
                        e.put(&path, &format!("{field}-{n}"))?
                    }
                    _ => e.put(&path, &(f64::from(n) + i as f64))?,
                }
            }
            Ok(())
        })
        .unwrap();
}

/// The changes of `from` that `to` lacks, in `from`'s order.
fn missing(from: &mut HouseholdDoc, to: &Automerge) -> Vec<automerge::Change> {
    from.automerge_mut()
        .get_changes(&[])
        .into_iter()
        .filter(|c| to.get_change_by_hash(&c.hash()).is_none())
        .collect()
}

/// Adds a member under an id made from `n`, or marks that member removed when `remove`
/// and the tablet has it.
fn member(tablet: &mut HouseholdDoc, n: u16, remove: bool) {
    let id = EntryId::from_random_bits(u128::from(n % 8) + 1);
    let has = {
        let doc = tablet.automerge_mut();
        let members = doc
            .get(automerge::ROOT, "members")
            .unwrap()
            .map(|(_, obj)| obj);
        members.is_some_and(|m| doc.get(&m, id.as_str()).unwrap().is_some())
    };
    let time = 1_750_000_000 + i64::from(n);
    match (has, remove) {
        (true, true) => {
            tablet
                .edit(time, |e| e.remove_entry(EntrySection::Members, id.as_str()))
                .unwrap();
        }
        (false, _) => {
            let member = Member::new("新成员", Sex::Female, Relation::Other);
            tablet.edit(time, |e| e.add_member(&id, &member)).unwrap();
        }
        (true, false) => edit(tablet, 0b11, n),
    }
}

fn check(server: &Automerge) -> Result<(), TestCaseError> {
    // The same changes taken one at a time, and the document loaded back from its bytes
    // (which rebuilds every column from the saved ones), hold what the batches built.
    let mut one_by_one = Automerge::new();
    for change in server.get_changes(&[]) {
        one_by_one.apply_changes([change]).unwrap();
    }
    let saved = server.save();
    prop_assert_eq!(&saved, &one_by_one.save(), "saved bytes differ");
    let reloaded = Automerge::load(&saved).unwrap();
    prop_assert_eq!(&saved, &reloaded.save(), "bytes differ once loaded back");
    prop_assert_eq!(fields(server), fields(&reloaded));
    prop_assert_eq!(json(server), json(&reloaded));
    Ok(())
}

/// The whole household as JSON (each field's winning value).
fn json(doc: &Automerge) -> serde_json::Value {
    HouseholdDoc::from_automerge(doc.clone()).to_json(None)
}

/// Every value (conflicting ones included, with the ops that wrote them) of the edited
/// fields.
fn fields(doc: &Automerge) -> Vec<Vec<(automerge::Value<'static>, automerge::ObjId)>> {
    EDITED_FIELDS
        .iter()
        .map(|field| {
            let path: Vec<&str> = field.split('.').collect();
            let (_, section) = doc.get(automerge::ROOT, path[0]).unwrap().unwrap();
            doc.get_all(&section, path[1])
                .unwrap()
                .into_iter()
                .map(|(value, id)| (value.to_owned(), id))
                .collect()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_batch_of_changes_lands_where_applying_them_one_by_one_puts_it(
        steps in prop::collection::vec(step(), 1..40)
    ) {
        let village: RegionCode = "652822100201".parse().unwrap();
        let record = household(&mut SampleRng::new(11), &village);
        let first = HouseholdDoc::create(&record, ActorId::random(), 1_750_000_000).unwrap();
        let mut second = first.clone();
        second.automerge_mut().set_actor(ActorId::random());
        let mut tablets = [first, second];
        let mut server = tablets[0].clone().automerge_mut().clone();
        for step in steps {
            match step {
                Step::Edit { tablet, fields, n } => edit(&mut tablets[tablet], fields, n),
                Step::Member { tablet, n, remove } => member(&mut tablets[tablet], n, remove),
                Step::Sync { tablet } => {
                    let changes = missing(&mut tablets[tablet], &server);
                    server.apply_changes(changes).unwrap();
                }
                Step::Pull { tablet } => {
                    tablets[tablet].automerge_mut().merge(&mut server.clone()).unwrap();
                }
            }
            check(&server)?;
        }
        // Everything synced both ways: the three copies are one document.
        for tablet in &mut tablets {
            let changes = missing(tablet, &server);
            server.apply_changes(changes).unwrap();
        }
        for tablet in &mut tablets {
            tablet.automerge_mut().merge(&mut server.clone()).unwrap();
            prop_assert_eq!(tablet.automerge_mut().get_heads(), server.get_heads());
            prop_assert_eq!(fields(tablet.automerge_mut()), fields(&server));
            prop_assert_eq!(json(tablet.automerge_mut()), json(&server));
        }
        check(&server)?;
    }
}
