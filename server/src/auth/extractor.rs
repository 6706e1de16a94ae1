use super::Claims;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::tokens::{self, Liveness};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use zoufang_schemas::{RegionCode, Role};

/// The authenticated caller, from `Authorization: Bearer <access token>`.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// User id.
    pub id: i64,
    /// Username.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Region-code prefix.
    pub scope: RegionCode,
    /// The token family of the session.
    pub family: String,
}

impl AuthUser {
    /// The user of verified claims, if the session is live (`Ok(None)` for claims that do
    /// not describe a user; an error for a session that ended).
    pub async fn from_claims_checked(
        state: &AppState,
        claims: Claims,
    ) -> Result<Option<Self>, ApiError> {
        let Some(user) = Self::from_claims(claims) else {
            return Ok(None);
        };
        let liveness = tokens::liveness(&state.db, &user.family, user.id).await?;
        match refused_session(liveness) {
            None => Ok(Some(user)),
            Some(ApiError::DeviceRevoked) => Err(ApiError::Unauthorized("session-revoked")),
            Some(refused) => Err(refused),
        }
    }

    fn from_claims(claims: Claims) -> Option<Self> {
        Some(Self {
            id: claims.sub,
            name: claims.name,
            role: Role::from_code(&claims.role)?,
            scope: RegionCode::parse(&claims.scope).ok()?,
            family: claims.fam,
        })
    }

    /// Whether a region lies in the caller's scope.
    pub fn sees(&self, region: &str) -> bool {
        region.starts_with(self.scope.as_str())
    }

    /// Fails unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "role-not-allowed",
                format!("a {} may not do this", self.role),
            ))
        }
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { extract(&req).await })
    }
}

/// The bearer token's user, its signature and expiry verified, its session not checked
/// yet: for the one handler that checks the session in its own first read (the sync).
/// Everything else takes [`AuthUser`].
#[derive(Debug, Clone)]
pub struct UncheckedUser(pub AuthUser);

impl FromRequest for UncheckedUser {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(verified(req).map(UncheckedUser))
    }
}

/// The user a bearer token names, if it verifies.
fn verified(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal("no state".into()))?;
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::Unauthorized("token-missing"))?;
    let token = header
        .strip_prefix("Bearer ")
        .ok_or(ApiError::Unauthorized("token-missing"))?;
    let claims = state
        .tokens
        .verify(token)
        .ok_or(ApiError::Unauthorized("token-invalid"))?;
    AuthUser::from_claims(claims).ok_or(ApiError::Unauthorized("token-invalid"))
}

/// The error for a session that is not live.
pub fn refused_session(liveness: Liveness) -> Option<ApiError> {
    match liveness {
        Liveness::Live => None,
        Liveness::Revoked => Some(ApiError::Unauthorized("session-revoked")),
        Liveness::DeviceRevoked => Some(ApiError::DeviceRevoked),
        Liveness::UserDisabled => Some(ApiError::Unauthorized("user-disabled")),
    }
}

/// The bearer token's user, if the token verifies and its session is live: the token's
/// family not revoked (logout, device revoked, refresh token reused) and its user not
/// disabled. Checked on every request, so revocation takes effect at once.
async fn extract(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal("no state".into()))?;
    let user = verified(req)?;
    let liveness = tokens::liveness(&state.db, &user.family, user.id).await?;
    match refused_session(liveness) {
        None => Ok(user),
        Some(refused) => Err(refused),
    }
}
