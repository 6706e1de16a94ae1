//! Real data in: the region tree and the households of the national system's and the
//! regional platform's exports, from CSV or XLSX files with Chinese headers, from the
//! command line and the console. Every refused row is kept with its row number, column and
//! a stable code, and can be downloaded as CSV or XLSX.

pub mod columns;
pub mod grouping;
pub mod households;
pub mod numbers;
pub mod plan;
pub mod regions;
pub mod report;
pub mod table;

use crate::auth::AuthUser;
use crate::error::ApiError;
use std::path::Path;
use zoufang_schemas::Role;

/// Roles that import.
pub const IMPORTERS: &[Role] = &[Role::CountyOfficer, Role::PrefectureOfficer, Role::Admin];

/// Who imports, and into which region.
#[derive(Debug, Clone)]
pub struct Importer {
    /// For the audit log and the change log: `user:name` or `cli`.
    pub actor: String,
    /// The user, when a user imports.
    pub user_id: Option<i64>,
    /// The region prefix the file is for: rows elsewhere are refused, and households of it
    /// the file does not list are flagged.
    pub region: String,
}

impl Importer {
    /// A user importing into `region` (default: their scope); refused out of role or scope.
    pub fn user(user: &AuthUser, region: Option<&str>) -> Result<Self, ApiError> {
        user.require(IMPORTERS)?;
        let region = crate::services::review::region_in_scope(user, region)?.to_owned();
        Ok(Self {
            actor: format!("user:{}", user.name),
            user_id: Some(user.id),
            region,
        })
    }

    /// The command line, into `region`.
    pub fn cli(region: &str) -> Result<Self, ApiError> {
        let region = zoufang_schemas::RegionCode::parse(region)
            .map_err(|e| ApiError::BadRequest("region-invalid", e.to_string()))?;
        Ok(Self {
            actor: "cli".into(),
            user_id: None,
            region: region.as_str().to_owned(),
        })
    }
}

/// The SHA-256 of a file (hex), read in chunks.
pub async fn file_sha256(path: &Path) -> Result<String, ApiError> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        use sha2::Digest;
        use std::io::Read;
        let mut file = std::fs::File::open(&path)?;
        let mut hasher = sha2::Sha256::new();
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = file.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
        }
        Ok::<_, std::io::Error>(hex::encode(hasher.finalize()))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(|e| ApiError::BadRequest("file-unreadable", e.to_string()))
}

/// A file name as given, for the record: control characters dropped, at most 200
/// characters, `fallback` when nothing is left.
pub fn clean_file_name(name: Option<&str>, fallback: &str) -> String {
    name.map(|n| {
        n.chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect::<String>()
    })
    .filter(|n| !n.trim().is_empty())
    .unwrap_or_else(|| fallback.to_owned())
}

/// An import run as the API shows it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ImportView {
    /// Run id.
    pub id: i64,
    /// `REGIONS` or `HOUSEHOLDS`.
    pub kind: String,
    /// The file's name.
    pub file_name: String,
    /// The file's SHA-256.
    pub file_sha256: String,
    /// The region the file is for.
    pub region: String,
    /// Who imported it.
    pub actor: String,
    /// `RUNNING`, `DONE` or `FAILED`.
    pub status: String,
    /// Data rows read.
    pub rows: i64,
    /// Created.
    pub created: i64,
    /// Changed.
    pub updated: i64,
    /// Left as they were.
    pub unchanged: i64,
    /// Rows refused.
    pub rejected: i64,
    /// Households of the region the file did not list.
    pub absent: i64,
    /// For a failed run: the row to resume from.
    pub resume_row: Option<i64>,
    /// For a failed run: why.
    pub error: Option<String>,
    /// Started (Unix seconds).
    pub started_at: i64,
    /// Ended.
    pub finished_at: Option<i64>,
}

impl From<crate::store::entities::import_run::Model> for ImportView {
    fn from(m: crate::store::entities::import_run::Model) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            file_name: m.file_name,
            file_sha256: m.file_sha256,
            region: m.region,
            actor: m.actor,
            status: m.status,
            rows: m.rows,
            created: m.created,
            updated: m.updated,
            unchanged: m.unchanged,
            rejected: m.rejected,
            absent: m.absent,
            resume_row: m.resume_row,
            error: m.error,
            started_at: m.started_at,
            finished_at: m.finished_at,
        }
    }
}

/// Saves an uploaded byte stream to a temporary file, refusing more than `max_bytes`
/// (413 `file-too-large`).
pub async fn save_upload<S, E>(
    mut stream: S,
    max_bytes: u64,
) -> Result<tempfile::NamedTempFile, ApiError>
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    use futures_util::StreamExt;
    use std::io::Write;
    let mut file = tempfile::NamedTempFile::new().map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut size = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest("upload-broken", e.to_string()))?;
        size += chunk.len() as u64;
        if size > max_bytes {
            return Err(ApiError::TooLarge(
                "file-too-large",
                format!("a file may have at most {max_bytes} bytes"),
            ));
        }
        file.write_all(&chunk)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
    }
    file.flush()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(file)
}

/// A run, if its region is in the user's scope (404 otherwise).
pub async fn run_in_scope(
    state: &crate::state::AppState,
    user: &AuthUser,
    id: i64,
) -> Result<ImportView, ApiError> {
    user.require(IMPORTERS)?;
    crate::store::imports::find(&state.db, id)
        .await?
        .filter(|r| user.sees(&r.region))
        .map(ImportView::from)
        .ok_or_else(|| ApiError::NotFound(format!("import {id}")))
}

/// The runs in the user's scope, newest first.
pub async fn runs(
    state: &crate::state::AppState,
    user: &AuthUser,
) -> Result<Vec<ImportView>, ApiError> {
    user.require(IMPORTERS)?;
    Ok(
        crate::store::imports::list(&state.db, user.scope.as_str(), 100)
            .await?
            .into_iter()
            .map(ImportView::from)
            .collect(),
    )
}

/// Starts importing an uploaded household file: the file is checked now (a refusal is the
/// answer), the rows are imported in the background; the run tells how it goes.
pub async fn start_households(
    state: &crate::state::AppState,
    importer: Importer,
    file: tempfile::NamedTempFile,
    file_name: &str,
) -> Result<ImportView, ApiError> {
    let prepared = households::prepare(state, &importer, file.path(), file_name).await?;
    let view = ImportView::from(prepared.run.clone());
    let state = state.clone();
    tokio::spawn(async move {
        let mut quiet = |_: &crate::store::imports::Counts| {};
        if let Err(e) = households::run(&state, &importer, prepared, None, &mut quiet).await {
            tracing::error!(error = %e, "household import failed");
        }
        drop(file);
    });
    Ok(view)
}
