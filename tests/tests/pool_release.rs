//! Connections the pool takes back: one that finished everything asked of it goes back as
//! it is, unpinged; one left with work outstanding (a dropped transaction's rollback) is
//! flushed first, so that the rollback releases its locks at once; one whose session ended
//! is dropped after its first failure, not handed out again.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};
use std::time::Duration;
use zoufang_e2e::{Backend, TestApp, first_document, on_both_databases};

async fn backend_pid(db: &DatabaseConnection) -> Result<i32, sea_orm::DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT pg_backend_pid() AS pid",
        ))
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("pid".into()))?;
    row.try_get("", "pid")
}

on_both_databases! {
    async fn a_dropped_transaction_releases_its_locks_when_its_connection_goes_back(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let db = &app.state.db;
        let (key, _, _) = first_document(db).await;
        let update = format!("UPDATE documents SET updated_at = updated_at + 1 WHERE doc_id = '{key}'");
        // Another connection, held before the dropped transaction's goes back.
        let other = db.begin().await.unwrap();
        if db.get_database_backend() == sea_orm::DbBackend::Postgres {
            other.execute_unprepared("SET LOCAL lock_timeout = '5s'").await.unwrap();
        }
        let dropped = db.begin().await.unwrap();
        dropped.execute_unprepared(&update).await.unwrap();
        // Dropped without commit or rollback, as a cancelled request's transaction is: its
        // rollback waits in the connection, which the pool takes back.
        drop(dropped);
        other
            .execute_unprepared(&update)
            .await
            .expect("the dropped transaction's lock was released");
        other.commit().await.unwrap();
        app.teardown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_whose_session_ended_is_dropped_after_its_first_failure() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let pool = zoufang_server::store::connect(&app.database_url(), 1)
        .await
        .unwrap();
    let pid = backend_pid(&pool).await.unwrap();
    // Ended from another session, as a restarted database or a firewall would end it, while
    // the pool holds it idle (unpinged: it went back having finished its work).
    app.state
        .db
        .execute_unprepared(&format!("SELECT pg_terminate_backend({pid})"))
        .await
        .unwrap();
    for _ in 0..100 {
        let gone = app
            .state
            .db
            .query_one_raw(Statement::from_string(
                sea_orm::DbBackend::Postgres,
                format!("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE pid = {pid}"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap()
            == 0;
        if gone {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        backend_pid(&pool).await.is_err(),
        "the ended session failed once"
    );
    let again = backend_pid(&pool)
        .await
        .expect("a new session after the failure");
    assert_ne!(again, pid);
    pool.close().await.unwrap();
    app.teardown().await;
}
