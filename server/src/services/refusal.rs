//! Why a workflow step is refused, as the pure transitions say it: a stable code, a
//! message and the HTTP status it answers with.

use crate::error::ApiError;

/// A refused step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Stable code.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// 403 (the caller may not), 409 (the state) or 400 (the content).
    pub status: u16,
}

/// A refusal with `status`, `code` and `message`.
pub fn refuse(status: u16, code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
        status,
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match r.status {
            403 => ApiError::Forbidden(r.code, r.message),
            409 => ApiError::Conflict(r.code, r.message),
            _ => ApiError::BadRequest(r.code, r.message),
        }
    }
}
