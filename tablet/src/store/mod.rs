//! The tablet's local store: one SQLite file in the home folder holding the account, the
//! documents, the sync state, the photo queue and the tasks. Photos themselves are files in
//! `photos/` named by their hash. Every multi-row change is one transaction, so a crash
//! leaves either the old state or the new one.

mod documents;
mod findings;
mod photos;
mod proposals;
mod schema;
mod settings;
mod tasks;

pub use documents::StoredDoc;
pub use findings::QueuedFinding;
pub use photos::{QueuedPhoto, UploadState};
pub use proposals::QueuedProposal;
pub use settings::{Account, LastSync};

use crate::error::TabletError;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement, Value};
use std::path::{Path, PathBuf};

/// The local store of one tablet.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    home: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the store in `home`.
    pub async fn open(home: &Path) -> Result<Self, TabletError> {
        std::fs::create_dir_all(home.join("photos"))?;
        let path = home.join("tablet.db");
        let mut options = ConnectOptions::new(format!("sqlite://{}?mode=rwc", path.display()));
        options.max_connections(1).sqlx_logging(false);
        let db = Database::connect(options).await?;
        for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL"] {
            db.execute_unprepared(pragma).await?;
        }
        schema::create(&db).await?;
        Ok(Self {
            db,
            home: home.to_path_buf(),
        })
    }

    /// The home folder.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Where a queued photo's bytes are kept.
    pub fn photo_path(&self, hash: &str) -> PathBuf {
        self.home.join("photos").join(hash)
    }

    /// Erases everything this device holds: documents, sync state, photos, tasks and the
    /// login (after the server revoked the device).
    pub async fn wipe(&self) -> Result<(), TabletError> {
        let txn = sea_orm::TransactionTrait::begin(&self.db).await?;
        for table in ["documents", "photos", "tasks", "refusals", "settings"] {
            txn.execute_unprepared(&format!("DELETE FROM {table}"))
                .await?;
        }
        txn.commit().await?;
        let photos = self.home.join("photos");
        if photos.exists() {
            std::fs::remove_dir_all(&photos)?;
            std::fs::create_dir_all(&photos)?;
        }
        self.db.execute_unprepared("VACUUM").await?;
        Ok(())
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }
}

/// A statement with `?` placeholders.
pub(crate) fn sql(text: &str, values: impl IntoIterator<Item = Value>) -> Statement {
    Statement::from_sql_and_values(
        sea_orm::DbBackend::Sqlite,
        text,
        values.into_iter().collect::<Vec<_>>(),
    )
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
