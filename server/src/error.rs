//! One error type for the HTTP layer. Every variant maps to a status and a stable
//! kebab-case `code` that clients branch on, with a message in Chinese and English.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// Errors of the store and services.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database: {0}")]
    Db(sea_orm::DbErr),
    /// Stored data could not be read.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Another writer changed a document meanwhile; retry.
    #[error("a document changed meanwhile")]
    Contention,
}

impl From<sea_orm::DbErr> for StoreError {
    /// A transaction the database aborted to let a concurrent one through (a deadlock, or a
    /// serialisation failure) is contention like any other: nothing of it was written, and
    /// the writer retries.
    fn from(err: sea_orm::DbErr) -> Self {
        if transaction_aborted_for_another(&err) {
            StoreError::Contention
        } else {
            StoreError::Db(err)
        }
    }
}

/// Whether `err` is PostgreSQL aborting the transaction in favour of a concurrent one:
/// `deadlock_detected` (40P01) or `serialization_failure` (40001).
pub fn transaction_aborted_for_another(err: &sea_orm::DbErr) -> bool {
    matches!(database_code(err).as_deref(), Some("40P01" | "40001"))
}

/// The code the database gave a failed statement (PostgreSQL's SQLSTATE, SQLite's
/// extended result code).
fn database_code(err: &sea_orm::DbErr) -> Option<std::borrow::Cow<'_, str>> {
    use sea_orm::{DbErr, RuntimeErr};
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err
    else {
        return None;
    };
    match e.as_ref() {
        sea_orm::sqlx::Error::Database(db) => db.code(),
        _ => None,
    }
}

/// What an API call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No or bad credentials.
    #[error("authentication required")]
    Unauthorized(&'static str),
    /// Authenticated but not allowed.
    #[error("forbidden: {1}")]
    Forbidden(&'static str, String),
    /// The device was revoked: the tablet must wipe its data.
    #[error("this device has been revoked")]
    DeviceRevoked,
    /// Nothing there.
    #[error("not found: {0}")]
    NotFound(String),
    /// The input is wrong.
    #[error("{1}")]
    BadRequest(&'static str, String),
    /// The state does not allow it.
    #[error("{1}")]
    Conflict(&'static str, String),
    /// The body is too large.
    #[error("request body exceeds {0} bytes")]
    PayloadTooLarge(usize),
    /// Something is larger than allowed (a photo, an upload chunk).
    #[error("{1}")]
    TooLarge(&'static str, String),
    /// A media type the server does not take.
    #[error("{1}")]
    UnsupportedMedia(&'static str, String),
    /// Well-formed but unacceptable content (a hash that does not match, an image that
    /// does not decode).
    #[error("{1}")]
    Unprocessable(&'static str, String),
    /// The server failed.
    #[error("internal error")]
    Internal(String),
    /// Contention or overload: retry.
    #[error("service unavailable")]
    Unavailable(String),
    /// The database cannot be reached (stopped, restarting, the network to it down):
    /// nothing was written; retry later.
    #[error("the database is unreachable")]
    DatabaseUnreachable(String),
    /// The disk under the database or the photo store is full: nothing was written.
    #[error("the server's storage is full")]
    StorageFull(String),
    /// The database or the photo store cannot be written (read-only, no permission).
    #[error("the server's storage cannot be written")]
    StorageUnwritable(String),
    /// The route exists but does not take this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// Too many attempts: wait this many seconds.
    #[error("{1}")]
    TooManyRequests(&'static str, String, i64),
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Contention => ApiError::Unavailable("document contention, retry".into()),
            StoreError::Db(err) if database_unreachable(&err) => {
                ApiError::DatabaseUnreachable(err.to_string())
            }
            StoreError::Db(err) => match database_storage_trouble(&err) {
                Some(StorageTrouble::Full) => ApiError::StorageFull(err.to_string()),
                Some(StorageTrouble::Unwritable) => ApiError::StorageUnwritable(err.to_string()),
                None => ApiError::Internal(StoreError::Db(err).to_string()),
            },
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        ApiError::from(StoreError::from(err))
    }
}

/// Whether `err` says the database could not be reached (rather than that a statement
/// failed): no connection to be had, a connection lost or refused, or the server shutting
/// down or starting (SQLSTATE classes 08 and 57P).
pub fn database_unreachable(err: &sea_orm::DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{DbErr, RuntimeErr};
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                Sqlx::Io(_)
                | Sqlx::Tls(_)
                | Sqlx::PoolTimedOut
                | Sqlx::PoolClosed
                | Sqlx::WorkerCrashed => true,
                Sqlx::Database(db) => db
                    .code()
                    .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
                _ => false,
            }
        }
        _ => false,
    }
}

/// What a failed write says about the storage beneath it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageTrouble {
    /// No space left.
    Full,
    /// Read-only or not permitted.
    Unwritable,
}

/// The storage trouble behind a database error: SQLite's FULL, READONLY and CANTOPEN
/// (extended codes included), PostgreSQL's `disk_full` (53100).
pub fn database_storage_trouble(err: &sea_orm::DbErr) -> Option<StorageTrouble> {
    let code = database_code(err)?;
    if code == "53100" {
        return Some(StorageTrouble::Full);
    }
    match code.parse::<i64>().ok()? & 0xff {
        13 => Some(StorageTrouble::Full),
        8 | 14 => Some(StorageTrouble::Unwritable),
        _ => None,
    }
}

/// The storage trouble behind an I/O error anywhere in `err`'s chain of sources.
pub fn io_storage_trouble(err: &(dyn std::error::Error + 'static)) -> Option<StorageTrouble> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                    return Some(StorageTrouble::Full);
                }
                std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => {
                    return Some(StorageTrouble::Unwritable);
                }
                _ => {}
            }
        }
        next = e.source();
    }
    None
}

impl ApiError {
    /// A failed write to the photo store: full or unwritable storage gets its own code,
    /// anything else is an internal error.
    pub fn photo_store(err: object_store::Error) -> ApiError {
        match io_storage_trouble(&err) {
            Some(StorageTrouble::Full) => ApiError::StorageFull(format!("photo store: {err}")),
            Some(StorageTrouble::Unwritable) => {
                ApiError::StorageUnwritable(format!("photo store: {err}"))
            }
            None => ApiError::Internal(format!("photo store: {err}")),
        }
    }
}

/// The JSON body of every error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine code.
    pub code: String,
    /// English message.
    pub message: String,
    /// Chinese message.
    pub message_zh: String,
}

impl ApiError {
    /// Stable machine code.
    pub fn code(&self) -> &str {
        match self {
            ApiError::Unauthorized(code) => code,
            ApiError::Forbidden(code, _) => code,
            ApiError::DeviceRevoked => "device-revoked",
            ApiError::NotFound(_) => "not-found",
            ApiError::BadRequest(code, _) => code,
            ApiError::Conflict(code, _) => code,
            ApiError::PayloadTooLarge(_) => "payload-too-large",
            ApiError::TooLarge(code, _) => code,
            ApiError::UnsupportedMedia(code, _) => code,
            ApiError::Unprocessable(code, _) => code,
            ApiError::Internal(_) => "internal-error",
            ApiError::Unavailable(_) => "service-unavailable",
            ApiError::DatabaseUnreachable(_) => "database-unreachable",
            ApiError::StorageFull(_) => "storage-full",
            ApiError::StorageUnwritable(_) => "storage-unwritable",
            ApiError::TooManyRequests(code, ..) => code,
            ApiError::MethodNotAllowed(_) => "method-not-allowed",
        }
    }

    fn message_zh(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) => "请先登录",
            ApiError::Forbidden(..) => "无权进行此操作",
            ApiError::DeviceRevoked => "此设备已被注销,请清除本机数据",
            ApiError::NotFound(_) => "未找到",
            ApiError::BadRequest(..) => "请求有误",
            ApiError::Conflict(..) => "当前状态不允许此操作",
            ApiError::PayloadTooLarge(_) | ApiError::TooLarge(..) => "数据过大",
            ApiError::UnsupportedMedia(..) => "不支持的文件类型",
            ApiError::Unprocessable(..) => "内容无法处理",
            ApiError::Internal(_) => "服务器内部错误",
            ApiError::Unavailable(_) => "服务暂不可用,请稍后重试",
            ApiError::DatabaseUnreachable(_) => "数据库暂不可用,请稍后重试",
            ApiError::StorageFull(_) => "服务器存储空间已满,数据未保存,请联系管理员",
            ApiError::StorageUnwritable(_) => "服务器存储不可写,数据未保存,请联系管理员",
            ApiError::TooManyRequests(..) => "尝试次数过多,请稍后再试",
            ApiError::MethodNotAllowed(_) => "不支持此请求方法",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(..) => StatusCode::FORBIDDEN,
            ApiError::DeviceRevoked => StatusCode::GONE,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(..) => StatusCode::BAD_REQUEST,
            ApiError::Conflict(..) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) | ApiError::TooLarge(..) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMedia(..) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(..) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unavailable(_)
            | ApiError::DatabaseUnreachable(_)
            | ApiError::StorageUnwritable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::StorageFull(_) => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::TooManyRequests(..) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(detail)
        | ApiError::Unavailable(detail)
        | ApiError::DatabaseUnreachable(detail)
        | ApiError::StorageFull(detail)
        | ApiError::StorageUnwritable(detail) = self
        {
            tracing::error!(code = self.code(), %detail, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        match self {
            ApiError::TooManyRequests(_, _, wait) => {
                response.insert_header(("retry-after", wait.max(&1).to_string()));
            }
            ApiError::DatabaseUnreachable(_) => {
                response.insert_header(("retry-after", "5"));
            }
            _ => {}
        }
        response.json(ErrorBody {
            code: self.code().to_owned(),
            message: self.to_string(),
            message_zh: self.message_zh().to_owned(),
        })
    }
}
