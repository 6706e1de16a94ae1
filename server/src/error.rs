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
    Db(#[from] sea_orm::DbErr),
    /// Stored data could not be read.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Another writer changed a document meanwhile; retry.
    #[error("a document changed meanwhile")]
    Contention,
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
    /// The database is unreachable or overloaded.
    #[error("service unavailable")]
    Unavailable(String),
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
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        ApiError::from(StoreError::Db(err))
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
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TooManyRequests(..) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(detail) | ApiError::Unavailable(detail) = self {
            tracing::error!(code = self.code(), %detail, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        if let ApiError::TooManyRequests(_, _, wait) = self {
            response.insert_header(("retry-after", wait.max(&1).to_string()));
        }
        response.json(ErrorBody {
            code: self.code().to_owned(),
            message: self.to_string(),
            message_zh: self.message_zh().to_owned(),
        })
    }
}
