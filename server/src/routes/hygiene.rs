//! What every response carries and every request is held to: no content sniffing, no
//! framing, a content-security policy that lets nothing run, `no-store` unless a handler
//! says otherwise; request bodies compressed only where the body is read under a limit
//! after inflating it (the sync endpoint); and JSON errors with a code for routes that do
//! not exist or methods a route does not take.

use crate::error::ApiError;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use std::sync::LazyLock;

/// The policy of API responses: nothing may load or run, nothing may frame them.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

/// Bodies shorter than this many bytes go out uncompressed.
const COMPRESSED_FROM: u64 = 512;

/// The one route that reads compressed request bodies (under its limit after inflating).
const INFLATING_ROUTES: &[&str] = &["/api/v1/sync"];

/// The middleware: refuses compressed bodies where they are not read under a limit, and
/// sets the security headers on the response.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let encoded = req
        .headers()
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
    let mut response = if encoded && !INFLATING_ROUTES.contains(&req.path()) {
        let refused = ApiError::UnsupportedMedia(
            "content-encoding-unsupported",
            "this endpoint takes uncompressed bodies".into(),
        );
        req.into_response(refused.error_response())
            .map_into_right_body()
    } else {
        next.call(req).await?.map_into_left_body()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_CSP),
        );
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    // A short body is sent as it is: compressing it costs the compressor's set-up (hundreds
    // of KiB cleared) and makes it longer (gzip's header and trailer alone are 18 bytes).
    let short = matches!(
        response.response().body().size(),
        actix_web::body::BodySize::Sized(n) if n < COMPRESSED_FROM
    );
    let headers = response.headers_mut();
    if short && !headers.contains_key(header::CONTENT_ENCODING) {
        headers.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static("identity"),
        );
    }
    Ok(response)
}

/// A route of the API: its path segments (`{name}` matches any one segment) and methods.
struct Route {
    segments: Vec<String>,
    methods: Vec<String>,
}

impl Route {
    fn matches(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        parts.len() == self.segments.len()
            && parts
                .iter()
                .zip(&self.segments)
                .all(|(part, segment)| segment.starts_with('{') || part == segment)
    }
}

/// Every documented route with its methods, from the OpenAPI description.
static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| {
    use utoipa::OpenApi;
    let spec = serde_json::to_value(super::openapi::ApiDoc::openapi()).unwrap_or_default();
    let Some(paths) = spec.get("paths").and_then(|p| p.as_object()) else {
        return Vec::new();
    };
    paths
        .iter()
        .map(|(path, item)| Route {
            segments: path.split('/').map(str::to_owned).collect(),
            methods: item
                .as_object()
                .map(|ops| ops.keys().map(|m| m.to_ascii_uppercase()).collect())
                .unwrap_or_default(),
        })
        .collect()
});

/// The answer for a request no route takes: 405 with `Allow` when the path exists with
/// other methods, 404 otherwise; both with a JSON error body.
pub async fn not_routed(req: HttpRequest) -> HttpResponse {
    let methods: Vec<&str> = ROUTES
        .iter()
        .filter(|r| r.matches(req.path()))
        .flat_map(|r| r.methods.iter().map(String::as_str))
        .collect();
    if methods.is_empty() {
        return ApiError::NotFound(format!("no route {}", req.path())).error_response();
    }
    let mut response =
        ApiError::MethodNotAllowed(format!("{} takes {}", req.path(), methods.join(", ")))
            .error_response();
    if let Ok(allow) = HeaderValue::from_str(&methods.join(", ")) {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}
