//! A sync costs what changed: after its first sync a device reads only what changed in its
//! scope since its cursor (and what it names), its belief rows move only where its
//! documents moved, households moving between villages leave and arrive through the feed,
//! a write that commits after a device's read is still delivered at its next sync, and the
//! read, which checks the session in the same statement, reads no document for a session
//! or device that fails the checks.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::BTreeMap;
use zoufang_e2e::{Backend, TestApp, on_both_databases};
use zoufang_schemas::wire::DocId;
use zoufang_server::store::entities::device_doc;
use zoufang_sync::DocPath;
use zoufang_sync::automerge::ActorId;

fn path(p: &str) -> DocPath {
    DocPath::parse(p).unwrap()
}

/// The device's belief rows: document → heads.
async fn belief_rows(app: &TestApp, device: &str) -> BTreeMap<String, String> {
    device_doc::Entity::find()
        .filter(device_doc::Column::DeviceId.eq(device))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.doc_id, row.heads))
        .collect()
}

/// Copies a household's stored document under a new id into `village`, stamped as if it
/// had not changed since the beginning: only a whole read of the scope finds it.
async fn unchanged_copy(app: &TestApp, of: &DocId, village: &str) -> DocId {
    use sea_orm::ConnectionTrait;
    let id = DocId(*uuid::Uuid::new_v4().as_bytes());
    let backend = app.state.db.get_database_backend();
    let sql = "INSERT INTO documents (doc_id, region_code, county_code, \
               heads, version, changes_since_snapshot, updated_at, change_seq) \
               SELECT $1, $2, county_code, heads, version, 0, updated_at, 0 \
               FROM documents WHERE doc_id = $3";
    app.state
        .db
        .execute_raw(zoufang_e2e::bound(
            backend,
            sql,
            [
                id.to_uuid_string().into(),
                village.into(),
                of.to_uuid_string().into(),
            ],
        ))
        .await
        .unwrap();
    let snapshot = "INSERT INTO document_snapshots (doc_id, snapshot, snapshot_upto) \
                    SELECT $1, snapshot, snapshot_upto FROM document_snapshots WHERE doc_id = $2";
    app.state
        .db
        .execute_raw(zoufang_e2e::bound(
            backend,
            snapshot,
            [id.to_uuid_string().into(), of.to_uuid_string().into()],
        ))
        .await
        .unwrap();
    id
}

on_both_databases! {
    async fn after_its_first_sync_a_device_reads_what_changed_not_its_whole_scope(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut helper = app.tablet("helper_a").await;
        helper.sync().await.unwrap();
        assert_eq!(helper.tablet.doc_ids().len(), 3);
        // A household stored without a change stamp since the device's cursor: a read of
        // the change feed cannot see it, a whole read of the scope would.
        let hidden = unchanged_copy(&app, &app.village_a[0], "652822100201").await;
        let id = app.village_a[1];
        helper.tablet.edit(&id, 1_800_000_000, |e| e.put(&path("household.phone"), &"13700000000")).unwrap();
        helper.sync().await.unwrap();
        assert!(helper.tablet.doc(&hidden).is_none(), "the feed does not walk the scope");
        // A reinstalled tablet lists what it holds: the whole scope is compared then.
        helper.tablet.forget_sync_state();
        helper.sync().await.unwrap();
        assert!(helper.tablet.doc(&hidden).is_some(), "a whole read finds it");
        app.teardown().await;
    }

    async fn belief_rows_move_only_where_the_device_s_documents_moved(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut helper = app.tablet("helper_a").await;
        helper.sync().await.unwrap();
        let device = helper.device_id().to_owned();
        let before = belief_rows(&app, &device).await;
        assert_eq!(before.len(), 3, "one row per household held");
        let id = app.village_a[2];
        helper.tablet.edit(&id, 1_800_000_000, |e| e.put(&path("housing.fuel"), &"电")).unwrap();
        helper.sync().await.unwrap();
        let after = belief_rows(&app, &device).await;
        let moved: Vec<&String> = after.iter().filter(|(doc, heads)| before.get(*doc) != Some(heads)).map(|(doc, _)| doc).collect();
        assert_eq!(moved, [&id.to_uuid_string()]);
        app.teardown().await;
    }

    async fn households_leave_and_arrive_through_the_feed(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut a = app.tablet("helper_a").await;
        let mut b = app.tablet("helper_b").await;
        let mut county = app.tablet("county").await;
        for t in [&mut a, &mut b, &mut county] {
            t.sync().await.unwrap();
        }
        let id = app.village_a[0];
        county.tablet.edit(&id, 1_800_000_000, |e| e.put(&path("household.region_code"), &"652822100202")).unwrap();
        county.sync().await.unwrap();
        a.sync().await.unwrap();
        b.sync().await.unwrap();
        assert!(a.tablet.doc(&id).is_none(), "it left village A's tablet");
        assert!(b.tablet.doc(&id).is_some(), "and reached village B's");
        assert_eq!(belief_rows(&app, a.device_id()).await.len(), 2);
        // Edits by others reach every holder through the feed too.
        b.tablet.edit(&id, 1_800_000_100, |e| e.put(&path("household.phone"), &"13600000000")).unwrap();
        b.sync().await.unwrap();
        county.sync().await.unwrap();
        let phone = county.tablet.doc(&id).unwrap().get_as::<String>(&path("household.phone")).unwrap();
        assert_eq!(phone.as_deref(), Some("13600000000"));
        app.teardown().await;
    }

    async fn a_write_committed_after_a_devices_read_reaches_it_at_the_next_sync(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut helper = app.tablet("helper_a").await;
        helper.sync().await.unwrap();
        let id = app.village_a[0];
        // Another writer's transaction changes the household and stays open.
        let stored = zoufang_server::store::documents::load(&app.state.db, &id).await.unwrap().unwrap();
        let mut doc = zoufang_sync::HouseholdDoc::from_automerge(stored.doc.clone().with_actor(ActorId::random()));
        let heads_before = stored.doc.get_heads();
        doc.edit(1_800_000_000, |e| e.put(&path("household.address"), &"新址")).unwrap();
        let changes: Vec<_> = doc.automerge_mut().get_changes(&heads_before).into_iter().map(|mut c| zoufang_sync::server::AppliedChange {
            hash: zoufang_schemas::wire::Head(c.hash().0),
            actor: c.actor_id().to_hex_string(),
            seq: c.seq(),
            time: c.timestamp(),
            bytes: c.bytes().into_owned(),
        }).collect();
        let txn = zoufang_server::store::begin_write(&app.state.db).await.unwrap();
        let origin = zoufang_server::store::documents::Origin { device_id: None, user_id: None };
        zoufang_server::store::documents::append(&txn, &id, &stored.region_code, stored.version, &changes, &doc.heads(), origin).await.unwrap();
        // The device syncs meanwhile (on SQLite it waits for the writer's lock).
        let other = app.village_a[1];
        helper.tablet.edit(&other, 1_800_000_001, |e| e.put(&path("housing.fuel"), &"煤")).unwrap();
        let syncing = tokio::spawn(async move {
            helper.sync().await.unwrap();
            helper
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        txn.commit().await.unwrap();
        let mut helper = syncing.await.unwrap();
        helper.sync().await.unwrap();
        let address = helper.tablet.doc(&id).unwrap().get_as::<String>(&path("household.address")).unwrap();
        assert_eq!(address.as_deref(), Some("新址"), "the late commit reached the device");
        app.teardown().await;
    }
}

/// A value bound to the feed's statement, written as an SQL literal.
fn literal(value: &sea_orm::Value) -> String {
    match value {
        sea_orm::Value::String(Some(s)) => format!("'{}'", s.replace('\'', "''")),
        sea_orm::Value::BigInt(Some(n)) => n.to_string(),
        sea_orm::Value::Bool(Some(b)) => b.to_string(),
        other => panic!("the feed binds no {other:?}"),
    }
}

/// The plan the sync's connections run the feed's first statement by, as text.
async fn feed_plan(app: &TestApp, named: &[DocId]) -> String {
    use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
    use zoufang_server::store::feed::{FeedQuery, first_statement};
    let db = &app.state.sync_reads;
    let backend = db.get_database_backend();
    let counties = ["652822".to_owned()];
    let statement = first_statement(
        backend,
        FeedQuery {
            device_id: "a-device",
            user_id: 5,
            family: "a-family",
            scope: "652822100",
            counties: &counties,
            named,
        },
    );
    let values = statement
        .values
        .as_ref()
        .map(|v| v.0.clone())
        .unwrap_or_default();
    let rows = if backend == sea_orm::DbBackend::Postgres {
        // The plan made without the values, on one session of the sync's connections.
        let txn = db.begin().await.unwrap();
        txn.execute_unprepared(&format!("PREPARE feed AS {}", statement.sql))
            .await
            .unwrap();
        let args: Vec<String> = values.iter().map(literal).collect();
        let explain = format!("EXPLAIN EXECUTE feed({})", args.join(", "));
        let rows = txn
            .query_all_raw(Statement::from_string(backend, explain))
            .await
            .unwrap();
        // A prepared statement outlives the transaction, and the session goes back to the pool.
        txn.execute_unprepared("DEALLOCATE feed").await.unwrap();
        txn.rollback().await.unwrap();
        rows
    } else {
        let explain = format!("EXPLAIN QUERY PLAN {}", statement.sql);
        db.query_all_raw(Statement::from_sql_and_values(backend, explain, values))
            .await
            .unwrap()
    };
    let column = if backend == sea_orm::DbBackend::Postgres {
        "QUERY PLAN"
    } else {
        "detail"
    };
    rows.iter()
        .map(|row| row.try_get::<String>("", column).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

on_both_databases! {
    async fn the_feed_is_planned_once_and_found_by_the_county_and_stamp_index(backend: Backend) {
        use sea_orm::{ConnectionTrait, Statement};
        let Some(app) = TestApp::spawn(backend).await else { return };
        if backend == Backend::Postgres {
            let mode = |db: sea_orm::DatabaseConnection| async move {
                let row = db
                    .query_one_raw(Statement::from_string(sea_orm::DbBackend::Postgres, "SHOW plan_cache_mode"))
                    .await
                    .unwrap()
                    .unwrap();
                row.try_get::<String>("", "plan_cache_mode").unwrap()
            };
            assert_eq!(mode(app.state.sync_reads.clone()).await, "force_generic_plan");
            assert_eq!(mode(app.state.db.clone()).await, "auto", "other statements keep choosing");
            // A county's worth of households, analysed: a plan made without the values could
            // take the region index and walk the whole scope for a sync that changed one.
            app.state
                .db
                .execute_raw(Statement::from_sql_and_values(
                    sea_orm::DbBackend::Postgres,
                    "INSERT INTO documents (doc_id, region_code, county_code, \
                     heads, version, changes_since_snapshot, updated_at, change_seq) \
                     SELECT md5(g::text), region_code, county_code, \
                     heads, version, 0, updated_at, g \
                     FROM documents, generate_series(1, 60000) g WHERE doc_id = $1",
                    [app.village_a[0].to_uuid_string().into()],
                ))
                .await
                .unwrap();
            app.state.db.execute_unprepared("ANALYZE").await.unwrap();
        }
        for named in [vec![], vec![app.village_a[0]]] {
            let plan = feed_plan(&app, &named).await;
            assert!(plan.contains("idx_documents_feed"), "{plan}");
            assert!(!plan.contains("idx_documents_region"), "{plan}");
            if backend == Backend::Postgres {
                // PostgreSQL sets up every part of the statement on every sync: the
                // per-document columns and their subqueries appear once, however many ways
                // a document is found.
                assert_eq!(plan.matches("on conflicts x").count(), 1, "{plan}");
                assert_eq!(plan.matches("on reviews r").count(), 1, "{plan}");
            }
        }
        app.teardown().await;
    }
}

/// The user's id and the family of its one session.
async fn session_of(app: &TestApp, username: &str) -> (i64, String) {
    use zoufang_server::store::entities::{token_family, user};
    let user = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let families = token_family::Entity::find()
        .filter(token_family::Column::UserId.eq(user.id))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(families.len(), 1, "one sign-in of {username}");
    (user.id, families[0].id.clone())
}

on_both_databases! {
    async fn the_feed_reads_no_document_for_a_session_or_device_that_fails_the_checks(backend: Backend) {
        use sea_orm::{ConnectionTrait, Statement};
        use zoufang_server::store::feed::{FeedQuery, read};
        use zoufang_server::store::tokens::Liveness;
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut helper = app.tablet("helper_a").await;
        helper.sync().await.unwrap();
        let other = app.tablet("helper_b").await;
        let device = helper.device_id().to_owned();
        let (user_id, family) = session_of(&app, "helper_a").await;
        let (other_id, other_family) = session_of(&app, "helper_b").await;
        let named = [app.village_a[0]];
        let counties = ["652822".to_owned()];
        let query = |user_id, family, device, scope| FeedQuery {
            device_id: device,
            user_id,
            family,
            scope,
            counties: &counties,
            named: &named,
        };
        let db = &app.state.sync_reads;
        let scope = "652822100201";
        // The device's own user and session, for the scope its cursor was built for.
        let feed = read(db, query(user_id, &family, &device, scope)).await.unwrap();
        assert!(feed.gate);
        assert_eq!(feed.session.liveness, Liveness::Live);
        assert_eq!(feed.session.device, Some((user_id, false)));
        // The named household (with whatever else was stamped since the cursor).
        assert!(feed.docs.iter().any(|d| d.id == named[0]), "the named household");
        let cases = [
            ("a family that is not the user's", query(user_id, &other_family, &device, scope), Liveness::Revoked),
            ("an unknown family", query(user_id, "no-such-family", &device, scope), Liveness::Revoked),
            ("another user's device", query(other_id, &other_family, &device, scope), Liveness::Live),
            ("another scope than the cursor's", query(user_id, &family, &device, "652822100202"), Liveness::Live),
            ("an unknown device", query(user_id, &family, "no-such-device", scope), Liveness::Live),
            ("an unknown user", query(99_999, &family, &device, scope), Liveness::UserDisabled),
        ];
        for (case, query, liveness) in cases {
            let feed = read(db, query).await.unwrap();
            assert!(!feed.gate, "{case}");
            assert!(feed.docs.is_empty(), "{case}: no document read");
            assert_eq!(feed.session.liveness, liveness, "{case}");
        }
        drop(other);
        // A revoked device, and a disabled user: the session says which.
        let p = |n: usize| if backend == Backend::Postgres { format!("${n}") } else { "?".to_owned() };
        let update = |sql: String, value: sea_orm::Value| {
            let db = app.state.db.clone();
            async move {
                db.execute_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, [value]))
                    .await
                    .unwrap();
            }
        };
        update(format!("UPDATE devices SET revoked = TRUE WHERE id = {}", p(1)), device.clone().into()).await;
        let feed = read(db, query(user_id, &family, &device, scope)).await.unwrap();
        assert!(!feed.gate && feed.docs.is_empty());
        assert_eq!(feed.session.device, Some((user_id, true)));
        update(format!("UPDATE devices SET revoked = FALSE WHERE id = {}", p(1)), device.clone().into()).await;
        update(format!("UPDATE users SET disabled = TRUE WHERE id = {}", p(1)), user_id.into()).await;
        let feed = read(db, query(user_id, &family, &device, scope)).await.unwrap();
        assert!(!feed.gate && feed.docs.is_empty());
        assert_eq!(feed.session.liveness, Liveness::UserDisabled);
        app.teardown().await;
    }
}
