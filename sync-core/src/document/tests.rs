use super::*;
use zoufang_schemas::sample::{SampleRng, household};
use zoufang_schemas::*;

const T0: i64 = 1_700_000_000;

fn village() -> RegionCode {
    RegionCode::parse("652822100201").unwrap()
}

fn new_doc() -> (HouseholdDoc, HouseholdRecord) {
    let record = household(&mut SampleRng::new(3), &village());
    let doc = HouseholdDoc::create(&record, ActorId::from([9u8; 16]), T0).unwrap();
    (doc, record)
}

fn path(p: &str) -> DocPath {
    DocPath::parse(p).unwrap()
}

#[test]
fn the_template_creates_every_container_even_empty_ones() {
    let empty = HouseholdRecord::new(village(), HouseholdType::General);
    let doc = HouseholdDoc::create(&empty, ActorId::from([9u8; 16]), T0).unwrap();
    for container in [
        "household",
        "members",
        "income",
        "guarantees",
        "housing",
        "water",
        "monitoring",
        "measures",
        "events",
        "visits",
        "evidence",
        "household.risk_types",
        "housing.photos",
        "water.photos",
    ] {
        let value = doc.get(&path(container)).unwrap();
        assert!(
            matches!(value, Some(Json::Object(_))),
            "{container} missing: {value:?}"
        );
    }
    assert_eq!(doc.read().unwrap(), empty);
}

#[test]
fn a_created_document_reads_back_as_its_record() {
    let (doc, record) = new_doc();
    assert_eq!(doc.read().unwrap(), record);
    assert_eq!(doc.region_code().unwrap(), village());
    let saved = doc.save();
    let loaded = HouseholdDoc::load(&saved, ActorId::from([1u8; 16])).unwrap();
    assert_eq!(loaded.read().unwrap(), record);
    assert_eq!(loaded.heads(), doc.heads());
}

#[test]
fn typed_writes_by_path_are_read_back_typed() {
    let (mut doc, _) = new_doc();
    let (_, hash) = doc
        .edit(T0 + 60, |e| {
            e.put(&path("housing.danger_grade"), &DangerGrade::C)?;
            e.put(&path("income.wage"), &12_345.5)?;
            e.set_flag(
                &path("household.risk_types"),
                RiskType::HousingUnsafe.code(),
                true,
            )
        })
        .unwrap();
    assert!(hash.is_some());
    assert_eq!(
        doc.get_as::<DangerGrade>(&path("housing.danger_grade"))
            .unwrap(),
        Some(DangerGrade::C)
    );
    let record = doc.read().unwrap();
    assert_eq!(record.income.wage, Some(12_345.5));
    assert!(
        record
            .household
            .risk_types
            .contains(&RiskType::HousingUnsafe)
    );
    doc.edit(T0 + 61, |e| {
        e.set_flag(&path("household.risk_types"), "HOUSING_UNSAFE", false)
    })
    .unwrap();
    assert!(doc.read().unwrap().household.risk_types.is_empty());
}

#[test]
fn a_failed_edit_writes_nothing() {
    let (mut doc, record) = new_doc();
    let heads = doc.heads();
    let err = doc
        .edit(T0 + 60, |e| {
            e.put(&path("household.phone"), &"13800000000")?;
            e.put(&path("nowhere.field"), &1)
        })
        .unwrap_err();
    assert_eq!(err.code(), "path-not-found");
    assert_eq!(doc.heads(), heads);
    assert_eq!(doc.read().unwrap(), record);
}

#[test]
fn containers_cannot_be_overwritten_with_scalars() {
    let (mut doc, _) = new_doc();
    let err = doc
        .edit(T0, |e| e.put(&path("household.risk_types"), &"ILLNESS"))
        .unwrap_err();
    assert_eq!(err.code(), "container-not-writable");
    let err = doc.edit(T0, |e| e.put(&path("members"), &1)).unwrap_err();
    assert_eq!(err.code(), "container-not-writable");
    let err = doc
        .edit(T0, |e| {
            e.put(&path("household.phone"), &serde_json::json!({"a": 1}))
        })
        .unwrap_err();
    assert_eq!(err.code(), "value-not-scalar");
}

#[test]
fn members_are_added_under_fresh_ids_and_removed_by_status() {
    let (mut doc, record) = new_doc();
    let id = SampleRng::new(99).entry_id();
    let mut baby = Member::new("阿依古丽•艾力", Sex::Female, Relation::Granddaughter);
    baby.birth_date = chrono::NaiveDate::from_ymd_opt(2026, 5, 1);
    doc.edit(T0 + 10, |e| e.add_member(&id, &baby)).unwrap();
    let again = doc.edit(T0 + 11, |e| e.add_member(&id, &baby)).unwrap_err();
    assert_eq!(again.code(), "entry-exists");
    let read = doc.read().unwrap();
    assert_eq!(read.members.len(), record.members.len() + 1);
    assert_eq!(
        read.members[&id].name, "阿依古丽·艾力",
        "names are normalised"
    );

    doc.edit(T0 + 12, |e| {
        e.remove_entry(EntrySection::Members, id.as_str())
    })
    .unwrap();
    let read = doc.read().unwrap();
    assert_eq!(
        read.members[&id].status,
        EntryStatus::Removed,
        "removal keeps the member"
    );
    let missing = doc.edit(T0, |e| {
        e.remove_entry(
            EntrySection::Members,
            "00000000-0000-4000-8000-000000000000",
        )
    });
    assert_eq!(missing.unwrap_err().code(), "path-not-found");
}

#[test]
fn natural_changes_add_or_remove_members_with_the_event() {
    let (mut doc, record) = new_doc();
    let mut rng = SampleRng::new(5);
    let (birth_event, baby_id) = (rng.entry_id(), rng.entry_id());
    let birth = NaturalChange {
        status: EntryStatus::Active,
        kind: NaturalChangeKind::Birth,
        member: baby_id.clone(),
        date: chrono::NaiveDate::from_ymd_opt(2026, 6, 1),
        note: None,
    };
    let baby = Member::new("艾力", Sex::Male, Relation::Grandson);
    doc.edit(T0, |e| {
        e.record_natural_change(&birth_event, &birth, Some(&baby))
    })
    .unwrap();

    let (death_event, elder) = (
        rng.entry_id(),
        record.members.keys().next().unwrap().clone(),
    );
    let death = NaturalChange {
        kind: NaturalChangeKind::Death,
        member: elder.clone(),
        ..birth.clone()
    };
    doc.edit(T0 + 1, |e| {
        e.record_natural_change(&death_event, &death, None)
    })
    .unwrap();

    let read = doc.read().unwrap();
    assert_eq!(read.events.len(), 2);
    assert_eq!(
        read.members[&baby_id].change_event.as_ref(),
        Some(&birth_event)
    );
    assert_eq!(read.members[&elder].status, EntryStatus::Removed);
    assert_eq!(
        read.members[&elder].change_event.as_ref(),
        Some(&death_event)
    );
    let no_member = doc.edit(T0 + 2, |e| {
        e.record_natural_change(&rng.entry_id(), &birth, None)
    });
    assert_eq!(no_member.unwrap_err().code(), "schema-mismatch");
}

#[test]
fn photos_are_keyed_by_hash_and_linked_from_the_check() {
    let (mut doc, _) = new_doc();
    let hash = PhotoHash::parse(&"ab".repeat(32)).unwrap();
    let photo = PhotoRef {
        status: EntryStatus::Active,
        subject: PhotoSubject::Housing,
        visit: None,
        size: Some(2_400_000),
        taken_at: Some("2026-06-01T10:00:00+08:00".into()),
        caption: None,
    };
    doc.edit(T0, |e| {
        e.add_photo(&hash, &photo, Some(&path("housing.photos")))
    })
    .unwrap();
    assert_eq!(doc.photo_hashes(), vec![hash.clone()]);
    let read = doc.read().unwrap();
    assert!(read.housing.photos.contains(&hash));
    assert_eq!(read.evidence[&hash], photo);
}

#[test]
fn reads_at_earlier_heads_see_the_earlier_record() {
    let (mut doc, record) = new_doc();
    let pinned = doc.heads();
    doc.edit(T0 + 5, |e| e.put(&path("household.phone"), &"13911112222"))
        .unwrap();
    assert_eq!(doc.read_at(&pinned).unwrap(), record);
    assert_eq!(
        doc.read().unwrap().household.phone.as_deref(),
        Some("13911112222")
    );
}

#[test]
fn loading_garbage_is_an_error_not_a_panic() {
    let err = HouseholdDoc::load(b"not an automerge document", ActorId::random()).unwrap_err();
    assert_eq!(err.code(), "document-unreadable");
}
