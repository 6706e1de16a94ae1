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

/// The bearer token's user, if the token verifies and its session is live: the token's
/// family not revoked (logout, device revoked, refresh token reused) and its user not
/// disabled. Checked on every request, so revocation takes effect at once.
async fn extract(req: &HttpRequest) -> Result<AuthUser, ApiError> {
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
    let user = AuthUser::from_claims(claims).ok_or(ApiError::Unauthorized("token-invalid"))?;
    match tokens::liveness(&state.db, &user.family, user.id).await? {
        Liveness::Live => Ok(user),
        Liveness::Revoked => Err(ApiError::Unauthorized("session-revoked")),
        Liveness::DeviceRevoked => Err(ApiError::DeviceRevoked),
        Liveness::UserDisabled => Err(ApiError::Unauthorized("user-disabled")),
    }
}
