//! The server's HTTP API as the tablet uses it: login, refresh, device registration, sync.

use crate::error::TabletError;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::io::Write;
use std::time::Duration;

/// Tokens returned by login and refresh.
#[derive(Debug, Clone, Deserialize)]
pub struct Tokens {
    /// Bearer token.
    pub access_token: String,
    /// Single-use refresh token.
    pub refresh_token: String,
    /// The user's role.
    pub role: String,
    /// The user's region scope.
    pub scope: String,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Debug, Deserialize)]
struct Device {
    id: String,
}

/// Request bodies above this size are sent gzip-compressed.
const COMPRESS_ABOVE: usize = 4 * 1024;

/// A client of one server.
#[derive(Debug, Clone)]
pub struct ServerApi {
    base: String,
    http: reqwest::Client,
}

impl ServerApi {
    /// A client of the server at `base` (`http://host:port`).
    pub fn new(base: &str) -> Result<Self, TabletError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(300))
            // Below the server's keep-alive, so a connection it is closing is never reused.
            .pool_idle_timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| TabletError::Invalid(format!("HTTP client: {e}")))?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
        })
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.http
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Logs in with a password.
    pub async fn login(&self, username: &str, password: &str) -> Result<Tokens, TabletError> {
        #[derive(Serialize)]
        struct Login<'a> {
            username: &'a str,
            password: &'a str,
        }
        let request = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .json(&Login { username, password });
        self.json(request).await
    }

    /// Exchanges a refresh token for new tokens.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, TabletError> {
        let request = self
            .http
            .post(self.url("/api/v1/auth/refresh"))
            .json(&serde_json::json!({ "refresh_token": refresh_token }));
        self.json(request).await
    }

    /// Registers this tablet as a device signing with `actor`; returns the device id.
    pub async fn register_device(
        &self,
        token: &str,
        name: &str,
        actor: &str,
    ) -> Result<String, TabletError> {
        let request = self
            .http
            .post(self.url("/api/v1/devices"))
            .bearer_auth(token)
            .json(&serde_json::json!({ "name": name, "actors": [actor] }));
        let device: Device = self.json(request).await?;
        Ok(device.id)
    }

    /// One sync exchange: CBOR request in, CBOR reply out.
    pub async fn sync(
        &self,
        token: &str,
        device_id: &str,
        body: &[u8],
    ) -> Result<Vec<u8>, TabletError> {
        let mut request = self
            .http
            .post(self.url("/api/v1/sync"))
            .bearer_auth(token)
            .header("x-zoufang-device", device_id)
            .header("content-type", "application/cbor");
        request = if body.len() > COMPRESS_ABOVE {
            request.header("content-encoding", "gzip").body(gzip(body)?)
        } else {
            request.body(body.to_vec())
        };
        let response = self.send(request).await?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| TabletError::Interrupted(e.to_string()))?;
        Ok(bytes.to_vec())
    }

    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, TabletError> {
        let response = self.send(request).await?;
        response
            .json()
            .await
            .map_err(|e| TabletError::Interrupted(e.to_string()))
    }

    /// Sends a request and turns failures into [`TabletError`]s with the server's code.
    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, TabletError> {
        let response = request.send().await.map_err(|e| {
            if e.is_connect() || e.is_timeout() && !e.is_body() {
                TabletError::Unreachable(self.base.clone())
            } else {
                TabletError::Interrupted(e.to_string())
            }
        })?;
        let status = response.status().as_u16();
        if response.status().is_success() {
            return Ok(response);
        }
        let text = response.text().await.unwrap_or_default();
        let body: ErrorBody = serde_json::from_str(&text).unwrap_or(ErrorBody {
            code: format!("http-{status}"),
            message: text,
        });
        Err(match (status, body.code.as_str()) {
            (410, _) | (_, "device-revoked") => TabletError::DeviceRevoked,
            (401, code) => TabletError::LoginRefused(code.to_owned()),
            _ => TabletError::Server {
                status,
                code: body.code,
                message: body.message,
            },
        })
    }
}

fn gzip(body: &[u8]) -> Result<Vec<u8>, TabletError> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(body)?;
    Ok(encoder.finish()?)
}
