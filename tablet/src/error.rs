//! The tablet's one error enum. Every variant has a stable kebab-case code that scripts and
//! apps branch on, and a message for the helper in Chinese and English.

use thiserror::Error;

/// Why a tablet operation failed. Nothing local is lost by any of these.
#[derive(Debug, Error)]
pub enum TabletError {
    /// No login has been done in this home folder.
    #[error("this tablet is not logged in: run `login` first")]
    NotLoggedIn,
    /// The server could not be reached (no network, server down).
    #[error("the server at {0} cannot be reached; your work is kept and will sync later")]
    Unreachable(String),
    /// The connection broke during an exchange.
    #[error("the connection broke during the exchange ({0}); run the command again to resume")]
    Interrupted(String),
    /// The login was refused or has expired for good.
    #[error("the server refused the login ({0}); log in again")]
    LoginRefused(String),
    /// The server revoked this device; the local store has been wiped.
    #[error("this device was revoked by the server; its local data has been wiped")]
    DeviceRevoked,
    /// The server answered with an error.
    #[error("the server refused the request: {code} (HTTP {status}): {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The server's stable code.
        code: String,
        /// The server's message.
        message: String,
    },
    /// The reply could not be understood.
    #[error("the server's reply could not be read: {0}")]
    Protocol(String),
    /// No such household on this tablet.
    #[error("household {0} is not on this tablet")]
    UnknownHousehold(String),
    /// An argument is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// A document could not be edited.
    #[error("the edit was not made: {0}")]
    Edit(String),
    /// A file could not be read or written.
    #[error("file error: {0}")]
    File(#[from] std::io::Error),
    /// The local database failed.
    #[error("local store error: {0}")]
    Store(String),
}

impl TabletError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotLoggedIn => "not-logged-in",
            Self::Unreachable(_) => "server-unreachable",
            Self::Interrupted(_) => "sync-interrupted",
            Self::LoginRefused(_) => "login-refused",
            Self::DeviceRevoked => "device-revoked",
            Self::Server { .. } => "server-error",
            Self::Protocol(_) => "protocol-error",
            Self::UnknownHousehold(_) => "household-unknown",
            Self::Invalid(_) => "invalid-argument",
            Self::Edit(_) => "edit-refused",
            Self::File(_) => "file-error",
            Self::Store(_) => "store-error",
        }
    }

    /// A short message for the helper, in Chinese.
    pub fn message_zh(&self) -> &'static str {
        match self {
            Self::NotLoggedIn => "请先登录",
            Self::Unreachable(_) => "无法连接服务器,数据已保存在本机,有网络后再同步",
            Self::Interrupted(_) => "同步中断,数据未丢失,请重新同步",
            Self::LoginRefused(_) => "登录失效,请重新登录",
            Self::DeviceRevoked => "此设备已被注销,本机数据已清除",
            Self::Server { .. } => "服务器拒绝了请求",
            Self::Protocol(_) => "服务器回复无法识别",
            Self::UnknownHousehold(_) => "本机没有该户",
            Self::Invalid(_) => "输入有误",
            Self::Edit(_) => "修改未保存",
            Self::File(_) => "文件读写失败",
            Self::Store(_) => "本机数据库错误",
        }
    }
}

impl From<sea_orm::DbErr> for TabletError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Store(err.to_string())
    }
}

impl From<zoufang_sync::DocError> for TabletError {
    fn from(err: zoufang_sync::DocError) -> Self {
        Self::Edit(err.to_string())
    }
}

impl From<serde_json::Error> for TabletError {
    fn from(err: serde_json::Error) -> Self {
        Self::Store(format!("stored value unreadable: {err}"))
    }
}
