//! Console sessions by cookie: the access token and the refresh token of a login, each
//! HttpOnly and SameSite=Strict (Secure over HTTPS), the access token renewed from the
//! refresh token when it expires; the same liveness checks as the API; a CSRF token per
//! session that every form carries.

use super::i18n::Lang;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::services::sessions::{self, TokenPair};
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use futures_util::future::LocalBoxFuture;

/// The access token's cookie.
pub const ACCESS: &str = "zf_access";
/// The refresh token's cookie.
pub const REFRESH: &str = "zf_refresh";
/// The language's cookie.
pub const LANG: &str = "zf_lang";

/// The signed-in console user.
#[derive(Debug, Clone)]
pub struct ConsoleUser {
    /// The user.
    pub user: AuthUser,
    /// Tokens renewed for this request, to set on the response.
    pub renewed: Option<TokenPair>,
    /// The language of the pages.
    pub lang: Lang,
    https: bool,
    csrf: String,
}

impl ConsoleUser {
    /// The session's CSRF token: forms carry it, posts are refused without it.
    pub fn csrf(&self) -> String {
        self.csrf.clone()
    }

    /// Fails unless `token` is the session's CSRF token.
    pub fn check_csrf(&self, token: &str) -> Result<(), ConsoleError> {
        if crate::crypto::constant_time_eq(token.as_bytes(), self.csrf().as_bytes()) {
            Ok(())
        } else {
            Err(ConsoleError::Api(ApiError::Forbidden(
                "csrf-token-invalid",
                "the form is stale or was not sent by this console".into(),
            )))
        }
    }

    /// Sets renewed tokens on a response.
    pub fn keep(&self, response: &mut HttpResponse) {
        if let Some(pair) = &self.renewed {
            set_tokens(response, pair, self.https);
        }
    }
}

/// A session cookie.
fn cookie(name: &'static str, value: String, https: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(https)
        .finish()
}

/// Sets a login's tokens on a response.
pub fn set_tokens(response: &mut HttpResponse, pair: &TokenPair, https: bool) {
    let _ = response.add_cookie(&cookie(ACCESS, pair.access_token.clone(), https));
    let _ = response.add_cookie(&cookie(REFRESH, pair.refresh_token.clone(), https));
}

/// Clears the session's cookies on a response.
pub fn clear_tokens(response: &mut HttpResponse) {
    for name in [ACCESS, REFRESH] {
        let mut gone = cookie(name, String::new(), false);
        gone.make_removal();
        let _ = response.add_cookie(&gone);
    }
}

/// Whether the request came over HTTPS.
pub fn is_https(req: &HttpRequest) -> bool {
    req.connection_info().scheme() == "https"
}

/// The language a request asks for.
pub fn lang_of(req: &HttpRequest) -> Lang {
    Lang::from_cookie(req.cookie(LANG).as_ref().map(|c| c.value()))
}

/// What a console request fails with: a page to sign in first, or an API error shown as a
/// page.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No live session: sign in.
    #[error("sign in first")]
    SignIn,
    /// Anything else.
    #[error("{0}")]
    Api(ApiError),
}

impl From<ApiError> for ConsoleError {
    fn from(err: ApiError) -> Self {
        match err {
            ApiError::Unauthorized(_) => ConsoleError::SignIn,
            other => ConsoleError::Api(other),
        }
    }
}

impl From<crate::error::StoreError> for ConsoleError {
    fn from(err: crate::error::StoreError) -> Self {
        ConsoleError::Api(err.into())
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        match self {
            ConsoleError::SignIn => actix_web::http::StatusCode::SEE_OTHER,
            ConsoleError::Api(err) => err.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ConsoleError::SignIn => {
                let mut response = HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, "/console/login"))
                    .finish();
                clear_tokens(&mut response);
                response
            }
            ConsoleError::Api(err) => super::render::error_page(err),
        }
    }
}

impl FromRequest for ConsoleUser {
    type Error = ConsoleError;
    type Future = LocalBoxFuture<'static, Result<Self, ConsoleError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { extract(&req).await })
    }
}

async fn extract(req: &HttpRequest) -> Result<ConsoleUser, ConsoleError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ConsoleError::Api(ApiError::Internal("no state".into())))?;
    let https = is_https(req);
    let lang = lang_of(req);
    if let Some(access) = req.cookie(ACCESS)
        && let Some(claims) = state.tokens.verify(access.value())
        && let Some(user) = AuthUser::from_claims_checked(state, claims).await?
    {
        return Ok(ConsoleUser {
            csrf: state.tokens.csrf(&user.family),
            user,
            renewed: None,
            lang,
            https,
        });
    }
    // The access token expired (or is gone): the refresh token renews the session.
    let refresh = req.cookie(REFRESH).ok_or(ConsoleError::SignIn)?;
    let pair = sessions::refresh(state, refresh.value()).await?;
    let claims = state
        .tokens
        .verify(&pair.access_token)
        .ok_or(ConsoleError::SignIn)?;
    let user = AuthUser::from_claims_checked(state, claims)
        .await?
        .ok_or(ConsoleError::SignIn)?;
    Ok(ConsoleUser {
        csrf: state.tokens.csrf(&user.family),
        user,
        renewed: Some(pair),
        lang,
        https,
    })
}
