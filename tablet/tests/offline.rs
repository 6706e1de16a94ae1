//! The tablet library without a server: the store survives reopening, edits are checked
//! against the form, replies are carried out atomically, a wipe leaves nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use zoufang_schemas::sample::{SampleRng, household};
use zoufang_schemas::wire::{DocId, Refusal};
use zoufang_schemas::{PhotoSubject, RegionCode, Task, TaskKind};
use zoufang_sync::HouseholdDoc;
use zoufang_sync::automerge::ActorId;
use zoufang_sync::client::{ClientOp, ClientState};
use zoufang_tablet::store::Account;
use zoufang_tablet::{Tablet, TabletError};

const VILLAGE: &str = "652822100201";

/// A logged-in tablet holding `n` households created by a server actor.
async fn tablet_with(home: &std::path::Path, n: usize) -> (Tablet, Vec<DocId>, ActorId) {
    let tablet = Tablet::open(home).await.unwrap();
    let actor = ActorId::random();
    tablet
        .store()
        .set_account(&Account {
            server: "http://127.0.0.1:9".into(),
            username: "helper".into(),
            role: "helper".into(),
            scope: VILLAGE.into(),
            device_id: "device-1".into(),
            actor: actor.to_hex_string(),
            access_token: "a".into(),
            refresh_token: "r".into(),
        })
        .await
        .unwrap();
    let mut rng = SampleRng::new(7);
    let mut ids = Vec::new();
    for i in 0..n {
        let record = household(&mut rng, &RegionCode::parse(VILLAGE).unwrap());
        let doc = HouseholdDoc::create(&record, ActorId::random(), 1_700_000_000).unwrap();
        let id = DocId([i as u8 + 1; 16]);
        tablet.store().save_doc(&id, &doc).await.unwrap();
        ids.push(id);
    }
    (tablet, ids, actor)
}

#[tokio::test]
async fn the_store_keeps_everything_across_reopening() {
    let home = tempfile::tempdir().unwrap();
    let (tablet, ids, _) = tablet_with(home.path(), 2).await;
    let id = ids[0].to_string();
    tablet
        .set(&id, "household.phone", "13511112222")
        .await
        .unwrap();
    drop(tablet);

    let reopened = Tablet::open(home.path()).await.unwrap();
    let status = reopened.status().await.unwrap();
    assert_eq!(status.username.as_deref(), Some("helper"));
    assert_eq!(status.documents, 2);
    assert_eq!(
        status.pending_documents, 2,
        "never acknowledged by a server: all pending"
    );
    let shown = reopened.show(&id[..6]).await.unwrap();
    assert_eq!(shown.record["household"]["phone"], "13511112222");
}

#[tokio::test]
async fn set_takes_the_forms_types_and_refuses_what_the_form_does_not_have() {
    let home = tempfile::tempdir().unwrap();
    let (tablet, ids, _) = tablet_with(home.path(), 1).await;
    let id = ids[0].to_string();
    let phone = tablet
        .set(&id, "household.phone", "13900000000")
        .await
        .unwrap();
    assert_eq!(
        phone.value,
        serde_json::json!("13900000000"),
        "digits stay text"
    );
    let area = tablet.set(&id, "housing.floor_area", "85").await.unwrap();
    assert_eq!(
        area.value,
        serde_json::json!(85.0),
        "a decimal field gets a float"
    );
    let flag = tablet
        .set(&id, "household.no_labour", "true")
        .await
        .unwrap();
    assert_eq!(flag.value, serde_json::json!(true));
    let quoted = tablet
        .set(&id, "household.address", "\"123\"")
        .await
        .unwrap();
    assert_eq!(quoted.value, serde_json::json!("123"));
    let again = tablet
        .set(&id, "household.address", "\"123\"")
        .await
        .unwrap();
    assert!(!again.changed, "writing the value shown changes nothing");
    let cleared = tablet.set(&id, "household.address", "null").await.unwrap();
    assert_eq!(cleared.value, serde_json::Value::Null);

    for (path, value) in [
        ("household.invented", "x"),
        ("housing.floor_area", "big"),
        ("housing.danger_grade", "Z"),
        ("household", "x"),
    ] {
        let err = tablet.set(&id, path, value).await.unwrap_err();
        assert_eq!(err.code(), "edit-refused", "{path}={value}: {err}");
    }
    let err = tablet.set(&id, "bad..path", "1").await.unwrap_err();
    assert_eq!(err.code(), "invalid-argument");
    let err = tablet
        .set("0000", "household.phone", "1")
        .await
        .unwrap_err();
    assert!(matches!(err, TabletError::UnknownHousehold(_)));
}

#[tokio::test]
async fn a_reply_is_carried_out_whole_tasks_kept_and_changed_documents_not_purged() {
    let home = tempfile::tempdir().unwrap();
    let (tablet, ids, actor) = tablet_with(home.path(), 2).await;
    let store = tablet.store();
    let docs = store.docs(&actor).await.unwrap();
    let heads_before: Vec<_> = docs.iter().map(|d| d.doc.heads()).collect();
    // The second household is edited after the request was built: its purge must wait.
    tablet
        .set(&ids[1].to_string(), "household.phone", "13000000000")
        .await
        .unwrap();
    let task = Task {
        id: "clue-1".into(),
        kind: TaskKind::VerifyRiskClue,
        household: Some(ids[0].to_string()),
        title: "核实医疗支出".into(),
        detail: None,
        due: None,
        quarter: None,
        clue: None,
        closed: false,
    };
    let refusal = Refusal {
        doc: ids[0],
        code: "field-forbidden".into(),
        message: "helpers may not change the category".into(),
        server_copy: None,
    };
    let ops = vec![
        ClientOp::Purge {
            doc: ids[0],
            if_heads: heads_before[0].clone(),
        },
        ClientOp::Purge {
            doc: ids[1],
            if_heads: heads_before[1].clone(),
        },
    ];
    let applied = store
        .apply_reply(
            &actor,
            ops,
            &ClientState::default(),
            &[refusal],
            Some(std::slice::from_ref(&task)),
        )
        .await
        .unwrap();
    assert_eq!((applied.purged, applied.kept), (1, 1));
    assert_eq!(store.doc_ids().await.unwrap(), vec![ids[1]]);
    assert_eq!(store.tasks().await.unwrap(), vec![task.clone()]);
    assert_eq!(store.refusals().await.unwrap()[0].1, "field-forbidden");

    // The same task again, updated: replaced, not duplicated.
    let updated = Task {
        title: "核实医疗支出(已更新)".into(),
        ..task
    };
    store
        .apply_reply(
            &actor,
            Vec::new(),
            &ClientState::default(),
            &[],
            Some(std::slice::from_ref(&updated)),
        )
        .await
        .unwrap();
    assert_eq!(store.tasks().await.unwrap(), vec![updated]);

    // A reply whose changes do not apply stores nothing of itself.
    let bad = vec![
        ClientOp::Purge {
            doc: ids[1],
            if_heads: store.doc(&ids[1], &actor).await.unwrap().heads(),
        },
        ClientOp::Replace {
            doc: DocId([9; 16]),
            bytes: b"not automerge".to_vec(),
        },
    ];
    let err = store
        .apply_reply(&actor, bad, &ClientState::default(), &[], None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "protocol-error");
    assert_eq!(
        store.doc_ids().await.unwrap(),
        vec![ids[1]],
        "the purge in the failed reply was rolled back"
    );
}

#[tokio::test]
async fn photos_are_copied_linked_and_queued_and_a_wipe_removes_everything() {
    let home = tempfile::tempdir().unwrap();
    let (tablet, ids, _) = tablet_with(home.path(), 1).await;
    let id = ids[0].to_string();
    let file = home.path().join("camera.jpg");
    std::fs::write(&file, b"\xff\xd8\xff jpeg bytes").unwrap();
    let hash = tablet
        .add_photo(&id, PhotoSubject::Water, &file)
        .await
        .unwrap();
    std::fs::remove_file(&file).unwrap();
    assert!(tablet.store().photo_path(hash.as_str()).exists());
    let shown = tablet.show(&id).await.unwrap();
    assert_eq!(shown.record["water"]["photos"][hash.as_str()], true);
    assert_eq!(shown.record["evidence"][hash.as_str()]["subject"], "WATER");
    assert_eq!(shown.photos.len(), 1);
    let err = tablet
        .add_photo(&id, PhotoSubject::Visit, &home.path().join("camera.jpg"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "file-error");
    let status = tablet.status().await.unwrap();
    assert_eq!(status.pending_photos, 1);
    assert_eq!(status.pending_photo_bytes, 14);

    tablet.store().wipe().await.unwrap();
    let status = tablet.status().await.unwrap();
    assert_eq!(status.username, None);
    assert_eq!((status.documents, status.pending_photos), (0, 0));
    assert!(!tablet.store().photo_path(hash.as_str()).exists());
    assert_eq!(tablet.list().await.unwrap_err().code(), "not-logged-in");
}

#[tokio::test]
async fn births_and_deaths_change_the_members() {
    let home = tempfile::tempdir().unwrap();
    let (tablet, ids, _) = tablet_with(home.path(), 1).await;
    let id = ids[0].to_string();
    let birth = zoufang_tablet::ChangeInput {
        kind: zoufang_schemas::NaturalChangeKind::Birth,
        member: None,
        new_member: Some(zoufang_tablet::MemberInput {
            name: "古丽 · 艾力".into(),
            sex: zoufang_schemas::Sex::Female,
            relation: zoufang_schemas::Relation::Granddaughter,
            birth_date: chrono::NaiveDate::from_ymd_opt(2026, 10, 1),
            id_number: None,
        }),
        date: chrono::NaiveDate::from_ymd_opt(2026, 10, 1),
        note: None,
    };
    let (event, baby) = tablet.record_change(&id, &birth).await.unwrap();
    let shown = tablet.show(&id).await.unwrap();
    assert_eq!(shown.record["members"][baby.as_str()]["name"], "古丽·艾力");
    assert_eq!(shown.record["events"][event.as_str()]["kind"], "BIRTH");
    let death = zoufang_tablet::ChangeInput {
        kind: zoufang_schemas::NaturalChangeKind::Death,
        member: Some(baby.to_string()),
        new_member: None,
        date: None,
        note: Some("误录后更正".into()),
    };
    tablet.record_change(&id, &death).await.unwrap();
    let shown = tablet.show(&id).await.unwrap();
    assert_eq!(shown.record["members"][baby.as_str()]["status"], "REMOVED");
    let missing = zoufang_tablet::ChangeInput {
        member: None,
        ..death
    };
    assert_eq!(
        tablet
            .record_change(&id, &missing)
            .await
            .unwrap_err()
            .code(),
        "invalid-argument"
    );
}

#[tokio::test]
async fn the_tasks_command_lists_what_the_server_sent_in_due_order() {
    use clap::Parser;
    let home = tempfile::tempdir().unwrap();
    let (tablet, ids, actor) = tablet_with(home.path(), 1).await;
    let task = |id: &str, due: u32, title: &str| Task {
        id: id.into(),
        kind: TaskKind::VerifyRiskClue,
        household: Some(ids[0].to_string()),
        title: title.into(),
        detail: None,
        due: chrono::NaiveDate::from_ymd_opt(2026, 12, due),
        quarter: None,
        clue: None,
        closed: false,
    };
    let tasks = [
        task("b", 20, "核实大病医疗支出"),
        task("a", 25, "核实残疾等级变化"),
    ];
    tablet
        .store()
        .apply_reply(
            &actor,
            Vec::new(),
            &ClientState::default(),
            &[],
            Some(&tasks),
        )
        .await
        .unwrap();
    let cli = zoufang_tablet::cli::Cli::try_parse_from([
        "zoufang-tablet",
        "--json",
        "--home",
        home.path().to_str().unwrap(),
        "tasks",
    ])
    .unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let status = zoufang_tablet::cli::run(cli, &mut std::io::empty(), &mut out, &mut err).await;
    assert_eq!(status, 0, "{}", String::from_utf8_lossy(&err));
    let listed: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let titles: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["核实大病医疗支出", "核实残疾等级变化"],
        "due on the 20th first"
    );
    assert_eq!(listed[0]["kind"], "VERIFY_RISK_CLUE");
}
