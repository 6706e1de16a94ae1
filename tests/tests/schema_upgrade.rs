//! A database written by the previous release upgrades without losing a household: the
//! snapshots move from `documents` to `document_snapshots`, each document loads with every
//! change it had (its snapshot and the changes stored after it), the old columns are gone,
//! and the step undone puts each snapshot back where it was.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use zoufang_e2e::{Backend, bound, drop_postgres, fresh_database, on_both_databases};
use zoufang_migrations::{Migrator, MigratorTrait};
use zoufang_schemas::RegionCode;
use zoufang_schemas::sample::{SampleRng, household};
use zoufang_schemas::wire::DocId;
use zoufang_server::store::documents;
use zoufang_sync::HouseholdDoc;
use zoufang_sync::automerge::{ActorId, ROOT, transaction::Transactable};

/// A fresh database of `backend`, its temporary folder and PostgreSQL name (to drop).
async fn fresh(
    backend: Backend,
) -> Option<(DatabaseConnection, tempfile::TempDir, Option<String>)> {
    let (url, name, dir) = fresh_database(backend).await?;
    Some((Database::connect(url).await.unwrap(), dir, name))
}

/// Stores a household as the previous schema held it: the snapshot in its `documents` row
/// and one change after it in the log. Returns the snapshot and the document's heads.
async fn store_old(db: &DatabaseConnection, id: &DocId, seed: u64) -> (Vec<u8>, String) {
    let backend = db.get_database_backend();
    let village = RegionCode::parse("652822100201").unwrap();
    let record = household(&mut SampleRng::new(seed), &village);
    let mut doc = HouseholdDoc::create(&record, ActorId::from([seed as u8; 16]), 1_700_000_000)
        .unwrap()
        .into_automerge();
    let snapshot = doc.save();
    let before = doc.get_heads();
    let mut tx = doc.transaction();
    tx.put(ROOT, "upgrade_probe", seed as i64).unwrap();
    tx.commit();
    let later = doc.get_changes(&before);
    assert_eq!(later.len(), 1);
    let change = later[0].clone();
    let heads = documents::heads_to_text(&zoufang_sync::heads::to_wire(&doc.get_heads()));
    let key = id.to_uuid_string();
    db.execute_raw(bound(
        backend,
        "INSERT INTO doc_changes (doc_id, region_code, hash, actor, seq, time, device_id, \
         user_id, bytes, received_at) VALUES ($1, '652822100201', $2, $3, 2, 0, NULL, NULL, $4, 0)",
        [
            key.clone().into(),
            change.hash().to_string().into(),
            change.actor_id().to_hex_string().into(),
            change.raw_bytes().to_vec().into(),
        ],
    ))
    .await
    .unwrap();
    db.execute_raw(bound(
        backend,
        "INSERT INTO documents (doc_id, region_code, county_code, snapshot, snapshot_upto, \
         heads, version, changes_since_snapshot, updated_at, change_seq, needs_validation) \
         VALUES ($1, '652822100201', '652822', $2, 0, $3, 2, 1, 0, 0, FALSE)",
        [key.into(), snapshot.clone().into(), heads.clone().into()],
    ))
    .await
    .unwrap();
    (snapshot, heads)
}

on_both_databases! {
    async fn households_stored_before_the_snapshots_moved_load_whole_after_it(backend: Backend) {
        let Some((db, _dir, name)) = fresh(backend).await else { return };
        let steps = Migrator::migrations().len() as u32;
        Migrator::up(&db, Some(steps - 1)).await.unwrap();
        let ids: Vec<DocId> = (0..3).map(|_| DocId(*uuid::Uuid::new_v4().as_bytes())).collect();
        let mut old = Vec::new();
        for (n, id) in ids.iter().enumerate() {
            old.push(store_old(&db, id, n as u64 + 1).await);
        }

        Migrator::up(&db, None).await.unwrap();
        for (id, (_, heads)) in ids.iter().zip(&old) {
            let loaded = documents::load(&db, id).await.unwrap().expect("the household loads");
            let now = zoufang_sync::heads::to_wire(&loaded.doc.get_heads());
            let now = documents::heads_to_text(&now);
            assert_eq!(&now, heads, "the snapshot and the change after it, both");
            assert_eq!(loaded.version, 2);
            assert_eq!(loaded.region_code, "652822100201");
        }
        let gone = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT snapshot FROM documents",
            ))
            .await;
        assert!(gone.is_err(), "the documents' rows no longer hold snapshots: {gone:?}");
        // The step undone: each snapshot back in its row, as it was.
        Migrator::down(&db, Some(1)).await.unwrap();
        for (id, (snapshot, _)) in ids.iter().zip(&old) {
            let row = db
                .query_one_raw(bound(
                    db.get_database_backend(),
                    "SELECT snapshot, snapshot_upto FROM documents WHERE doc_id = $1",
                    [id.to_uuid_string().into()],
                ))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(&row.try_get::<Vec<u8>>("", "snapshot").unwrap(), snapshot);
            assert_eq!(row.try_get::<i64>("", "snapshot_upto").unwrap(), 0);
        }
        Migrator::up(&db, None).await.unwrap();
        assert!(documents::load(&db, &ids[0]).await.unwrap().is_some());
        drop(db);
        if let Some(name) = name {
            drop_postgres(&name).await;
        }
    }
}
