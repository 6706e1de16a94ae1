//! Writes sent together: a script's statements run in order and count together (on
//! PostgreSQL, writes to other tables joined in one statement, a later statement still
//! seeing what they wrote), one that fails leaves nothing once its transaction rolls back;
//! documents advanced with a writer's last script, one that moved on since it was read
//! failing the script; the audit chainer chains hundreds of entries a few statements at a
//! time and the chain verifies, with tampering found; a transaction the database aborts
//! for a concurrent one (a deadlock) is contention, which writers retry.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use zoufang_e2e::{TestApp, bound, first_document, on_both_databases};
use zoufang_server::store::audit::{self, Event};
use zoufang_server::store::documents;
use zoufang_server::store::script::Script;

async fn count(db: &impl ConnectionTrait, sql: &str) -> i64 {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// Creates the table the scripts write: `script_probe (k, v)`.
async fn create_probe(db: &impl ConnectionTrait) {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_string(
        backend,
        "CREATE TABLE script_probe (k TEXT PRIMARY KEY, v BIGINT NOT NULL)",
    ))
    .await
    .unwrap();
}

fn insert(backend: sea_orm::DbBackend, key: &str, value: i64) -> Statement {
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "INSERT INTO script_probe (k, v) VALUES ($1, $2)",
        _ => "INSERT INTO script_probe (k, v) VALUES (?, ?)",
    };
    Statement::from_sql_and_values(backend, sql, [key.into(), value.into()])
}

/// Counts the document `key` if its heads are the test's head of 32 bytes `byte` (hex).
fn at_heads(key: &str, byte: &str) -> String {
    format!(
        "SELECT COUNT(*) FROM documents WHERE doc_id = '{key}' AND heads LIKE '%{}%'",
        byte.repeat(32)
    )
}

on_both_databases! {
    async fn a_script_runs_its_statements_in_order_and_counts_their_rows(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let db = &app.state.db;
        let backend = db.get_database_backend();
        create_probe(db).await;

        let mut script = Script::new(backend);
        assert!(script.is_empty());
        script.push(insert(backend, "a", 1));
        script.push(insert(backend, "b", 2));
        // Reads what the statements before it wrote: they ran first.
        let double = match backend {
            sea_orm::DbBackend::Postgres => "UPDATE script_probe SET v = v * $1 WHERE v <= $2",
            _ => "UPDATE script_probe SET v = v * ? WHERE v <= ?",
        };
        script.push(Statement::from_sql_and_values(backend, double, [10i64.into(), 2i64.into()]));
        assert_eq!(script.run(db).await.unwrap(), 4, "two inserts and two updated rows");
        assert_eq!(count(db, "SELECT CAST(SUM(v) AS BIGINT) FROM script_probe").await, 30);

        // A statement that fails stops the script with its error; rolled back, the
        // transaction keeps nothing of the statements before it.
        let txn = db.begin().await.unwrap();
        let mut failing = Script::new(backend);
        failing.push(insert(backend, "c", 3));
        failing.push(insert(backend, "a", 4));
        failing.push(insert(backend, "d", 5));
        let err = failing.run(&txn).await.unwrap_err();
        assert!(err.to_string().to_lowercase().contains("unique") || err.to_string().contains("duplicate"), "{err}");
        txn.rollback().await.unwrap();
        assert_eq!(count(db, "SELECT COUNT(*) FROM script_probe").await, 2);
        assert_eq!(count(db, "SELECT COUNT(*) FROM script_probe WHERE k IN ('c', 'd')").await, 0);
        app.teardown().await;
    }

    async fn writes_to_other_tables_go_together_and_later_ones_see_them(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let db = &app.state.db;
        let backend = db.get_database_backend();
        for table in ["script_probe", "script_other"] {
            db.execute_raw(Statement::from_string(backend, format!("CREATE TABLE {table} (k TEXT PRIMARY KEY, v BIGINT NOT NULL)")))
                .await
                .unwrap();
        }
        let mut script = Script::new(backend);
        script.push(insert(backend, "a", 1));
        script.push(bound(backend, "INSERT INTO script_other (k, v) VALUES ($1, $2)", ["x".into(), 7i64.into()]));
        // A row already there: nothing changed, nothing counted.
        script.push(bound(
            backend,
            "INSERT INTO script_other (k, v) VALUES ($1, $2) ON CONFLICT (k) DO NOTHING",
            ["x".into(), 9i64.into()],
        ));
        // Reads what the statements before it wrote to another table.
        script.push(bound(
            backend,
            "UPDATE script_probe SET v = v + (SELECT v FROM script_other WHERE k = $1)",
            ["x".into()],
        ));
        script.push(insert(backend, "b", 2));
        assert_eq!(script.run(db).await.unwrap(), 4, "three inserted rows and one updated");
        assert_eq!(count(db, "SELECT v FROM script_probe WHERE k = 'a'").await, 8);
        assert_eq!(count(db, "SELECT v FROM script_other WHERE k = 'x'").await, 7);
        assert_eq!(count(db, "SELECT v FROM script_probe WHERE k = 'b'").await, 2);
        app.teardown().await;
    }

    async fn a_transaction_aborted_for_a_concurrent_one_is_contention_and_a_failed_write_is_not(backend: Backend) {
        use zoufang_server::error::{ApiError, StoreError};
        let Some(app) = TestApp::spawn(backend).await else { return };
        let db = &app.state.db;
        let backend = db.get_database_backend();
        create_probe(db).await;
        for (key, value) in [("a", 0), ("b", 0)] {
            db.execute_raw(insert(backend, key, value)).await.unwrap();
        }
        // A write that fails on its own (a key already there) is the database's error.
        let duplicate = db.execute_raw(insert(backend, "a", 1)).await.unwrap_err();
        assert!(matches!(StoreError::from(duplicate), StoreError::Db(_)));
        if backend == sea_orm::DbBackend::Postgres {
            // Two transactions taking the same two rows in opposite orders: PostgreSQL
            // aborts one of them (40P01) so the other can go on.
            let set = |key: &str, value: i64| bound(backend, "UPDATE script_probe SET v = $1 WHERE k = $2", [value.into(), key.into()]);
            let first = db.begin().await.unwrap();
            let second = db.begin().await.unwrap();
            first.execute_raw(set("a", 1)).await.unwrap();
            second.execute_raw(set("b", 2)).await.unwrap();
            let (one, other) = tokio::join!(first.execute_raw(set("b", 1)), second.execute_raw(set("a", 2)));
            let aborted = match (one, other) {
                (Err(err), Ok(_)) => { second.commit().await.unwrap(); first.rollback().await.unwrap(); err }
                (Ok(_), Err(err)) => { first.commit().await.unwrap(); second.rollback().await.unwrap(); err }
                other => panic!("one of the two must be aborted: {other:?}"),
            };
            assert!(zoufang_server::error::transaction_aborted_for_another(&aborted), "{aborted}");
            // Contention, which writers retry, and a 503 asking the client to retry if
            // they run out of attempts: not an internal error.
            let api = ApiError::from(StoreError::from(aborted));
            assert!(matches!(api, ApiError::Unavailable(_)), "{api:?}");
            assert_eq!(count(db, "SELECT COUNT(*) FROM script_probe WHERE v = 0").await, 0, "the winner wrote both rows");
        }
        app.teardown().await;
    }

    async fn documents_advance_with_the_last_script_unless_one_moved_on(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let db = &app.state.db;
        let backend = db.get_database_backend();
        let (key, id, version) = first_document(db).await;
        let heads = [zoufang_schemas::wire::Head([7u8; 32])];
        let version_now = format!("SELECT version FROM documents WHERE doc_id = '{key}'");

        // Read at an older version: the script fails, says why, and leaves nothing once
        // rolled back (the statement before it included).
        let txn = zoufang_server::store::begin_write(db).await.unwrap();
        let mut script = Script::new(backend);
        script.push(bound(backend, "CREATE TABLE advance_probe (k BIGINT)", []));
        documents::advance_into(&mut script, &[(id, version - 1, &heads, 1)]);
        let err = txn.run_closing(script).await.unwrap_err();
        assert!(documents::moved_meanwhile(&err), "{err}");
        txn.rollback().await.unwrap();
        assert_eq!(count(db, &version_now).await, version);
        assert_eq!(count(db, &at_heads(&key, "07")).await, 0);

        // At the version read: advanced to the heads, with the writes before it.
        let txn = zoufang_server::store::begin_write(db).await.unwrap();
        let mut script = Script::new(backend);
        script.push(bound(backend, "CREATE TABLE advance_probe (k BIGINT)", []));
        documents::advance_into(&mut script, &[(id, version, &heads, 1)]);
        txn.run_closing(script).await.unwrap();
        // The writer's work ended with its last script: nothing more is written in it.
        let late = txn.execute_unprepared("INSERT INTO advance_probe VALUES (1)").await;
        assert!(late.is_err(), "a write after the last script was refused");
        txn.commit().await.unwrap();
        assert_eq!(count(db, &version_now).await, version + 1);
        assert_eq!(count(db, &at_heads(&key, "07")).await, 1);
        assert_eq!(count(db, "SELECT COUNT(*) FROM advance_probe").await, 0);
        app.teardown().await;
    }

    async fn a_writer_whose_whole_work_is_its_last_script_writes_it_whole_or_not_at_all(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let db = &app.state.db;
        let backend = db.get_database_backend();
        db.execute_raw(Statement::from_string(backend, "CREATE TABLE alone_probe (k BIGINT)"))
            .await
            .unwrap();
        let (key, id, version) = first_document(db).await;
        let heads = [zoufang_schemas::wire::Head([9u8; 32])];
        let version_now = format!("SELECT version FROM documents WHERE doc_id = '{key}'");
        let script_at = |version: i64| {
            let mut script = Script::new(backend);
            script.push(bound(backend, "INSERT INTO alone_probe (k) VALUES ($1)", [version.into()]));
            documents::advance_into(&mut script, &[(id, version, &heads, 1)]);
            script
        };
        // PostgreSQL sends these writes to two tables as one statement, on its own.
        if backend == sea_orm::DbBackend::Postgres {
            assert!(script_at(version).is_one_statement());
        }

        // Nothing else written: a document that moved on fails the script, and nothing of
        // it stays, though the writer never rolls back.
        let txn = zoufang_server::store::begin_write(db).await.unwrap();
        let err = txn.run_closing(script_at(version - 1)).await.unwrap_err();
        assert!(documents::moved_meanwhile(&err), "{err}");
        drop(txn);
        assert_eq!(count(db, "SELECT COUNT(*) FROM alone_probe").await, 0);
        assert_eq!(count(db, &version_now).await, version);

        // At the version read: written whole; the writer takes nothing more, and commits.
        let txn = zoufang_server::store::begin_write(db).await.unwrap();
        txn.run_closing(script_at(version)).await.unwrap();
        let late = txn.execute_unprepared("INSERT INTO alone_probe VALUES (0)").await;
        assert!(late.is_err(), "a write after the last script was refused");
        let again = txn.run_closing(script_at(version + 1)).await;
        assert!(again.is_err(), "a second last script was refused");
        txn.commit().await.unwrap();
        assert_eq!(count(db, "SELECT COUNT(*) FROM alone_probe").await, 1);
        assert_eq!(count(db, &version_now).await, version + 1);
        assert_eq!(count(db, &at_heads(&key, "09")).await, 1);

        // Written after a statement of its own: in the writer's transaction, with it.
        let txn = zoufang_server::store::begin_write(db).await.unwrap();
        txn.execute_unprepared("INSERT INTO alone_probe VALUES (-1)").await.unwrap();
        txn.run_closing(script_at(version + 1)).await.unwrap();
        let late = txn.execute_unprepared("INSERT INTO alone_probe VALUES (0)").await;
        assert!(late.is_err(), "a write after the last script was refused");
        txn.commit().await.unwrap();
        assert_eq!(count(db, "SELECT COUNT(*) FROM alone_probe").await, 3);
        assert_eq!(count(db, &version_now).await, version + 2);
        app.teardown().await;
    }

    async fn hundreds_of_audit_entries_chain_in_a_few_statements_and_verify(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let db = &app.state.db;
        let digest = app.state.digest.clone();
        let before = audit::verify(db, digest.as_ref()).await.unwrap();
        assert!(before.is_intact(), "{before:?}");
        // More than two statements' worth of entries, and a remainder.
        let mut script = Script::new(db.get_database_backend());
        for n in 0..601 {
            audit::append_into(&mut script, Event {
                actor: "system".into(),
                action: "probe.entry",
                subject: format!("entry-{n}"),
                detail: serde_json::json!({ "n": n }),
            });
        }
        assert_eq!(script.run(db).await.unwrap(), 601);
        assert_eq!(audit::chain_all(db, digest.as_ref()).await.unwrap(), 601);
        assert_eq!(audit::chain_all(db, digest.as_ref()).await.unwrap(), 0, "nothing left to chain");
        let after = audit::verify(db, digest.as_ref()).await.unwrap();
        assert!(after.is_intact(), "{after:?}");
        assert_eq!(after.entries, before.entries + 601);

        // Tampering with one of them is found at its place in the chain.
        let backend = db.get_database_backend();
        db.execute_raw(Statement::from_string(backend, "UPDATE audit_log SET subject = 'forged' WHERE subject = 'entry-300'"))
            .await
            .unwrap();
        let tampered = audit::verify(db, digest.as_ref()).await.unwrap();
        assert_eq!(tampered.problem.as_deref(), Some("entry was altered"));
        assert_eq!(tampered.first_bad, Some(before.entries as i64 + 301));
        app.teardown().await;
    }
}
