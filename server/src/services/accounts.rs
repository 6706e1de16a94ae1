//! Accounts, tokens and devices.

use crate::auth::{AuthUser, Claims};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::audit::{self, Event};
use crate::store::entities::{device, user};
use crate::store::{devices, now, users};
use base64::Engine as _;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zoufang_schemas::{RegionCode, Role};

/// Tokens handed out at login and refresh.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenPair {
    /// Short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Long-lived token for `POST /api/v1/auth/refresh`; single use.
    pub refresh_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Access token lifetime in seconds.
    pub expires_in: i64,
    /// The user's role.
    pub role: String,
    /// The user's region scope.
    pub scope: String,
}

fn refresh_hash(state: &AppState, token: &str) -> String {
    hex::encode(state.digest.digest(token.as_bytes()))
}

async fn issue(state: &AppState, account: &user::Model) -> Result<TokenPair, ApiError> {
    let iat = now();
    let ttl = state.settings.auth.access_ttl_secs;
    let claims = Claims {
        sub: account.id,
        role: account.role.clone(),
        scope: account.scope.clone(),
        name: account.username.clone(),
        iat,
        exp: iat + ttl,
    };
    let access_token = state
        .tokens
        .sign(&claims)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let refresh_token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    devices::store_refresh(
        &state.db,
        account.id,
        refresh_hash(state, &refresh_token),
        iat + state.settings.auth.refresh_ttl_secs,
    )
    .await?;
    Ok(TokenPair {
        access_token,
        refresh_token,
        token_type: "Bearer".into(),
        expires_in: ttl,
        role: account.role.clone(),
        scope: account.scope.clone(),
    })
}

/// Checks a password and hands out tokens.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
) -> Result<TokenPair, ApiError> {
    let account = users::find_by_username(&state.db, username).await?;
    let passwords = state.passwords.clone();
    let (password, hash) = (
        password.to_owned(),
        account.as_ref().map(|a| a.password_hash.clone()),
    );
    // Argon2 is deliberately slow and memory-hard: off the async workers, a few at a time.
    let _permit = state
        .password_checks
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let verified =
        tokio::task::spawn_blocking(move || hash.is_some_and(|h| passwords.verify(&password, &h)))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
    match account {
        Some(account) if verified && !account.disabled => issue(state, &account).await,
        Some(account) if verified && account.disabled => {
            Err(ApiError::Unauthorized("user-disabled"))
        }
        _ => Err(ApiError::Unauthorized("credentials-invalid")),
    }
}

/// Exchanges a live refresh token for a new pair; the old one is revoked.
pub async fn refresh(state: &AppState, refresh_token: &str) -> Result<TokenPair, ApiError> {
    let taken = devices::take_refresh(&state.db, &refresh_hash(state, refresh_token))
        .await?
        .ok_or(ApiError::Unauthorized("refresh-token-invalid"))?;
    let account = users::find(&state.db, taken.user_id)
        .await?
        .ok_or(ApiError::Unauthorized("refresh-token-invalid"))?;
    if account.disabled {
        return Err(ApiError::Unauthorized("user-disabled"));
    }
    issue(state, &account).await
}

/// Revokes a refresh token.
pub async fn logout(state: &AppState, refresh_token: &str) -> Result<(), ApiError> {
    devices::take_refresh(&state.db, &refresh_hash(state, refresh_token)).await?;
    Ok(())
}

/// A device registration.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceRegistration {
    /// A name the user recognises ("村委会平板1").
    pub name: String,
    /// Hex automerge actor ids the device will sign changes with (16–32 bytes each).
    pub actors: Vec<String>,
}

/// A registered device.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceView {
    /// Device id (send as `X-Zoufang-Device`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Owner's user id.
    pub user_id: i64,
    /// Revoked devices must wipe their data.
    pub revoked: bool,
    /// Registered at (Unix seconds).
    pub created_at: i64,
    /// Last successful sync.
    pub last_sync_at: Option<i64>,
}

impl From<device::Model> for DeviceView {
    fn from(d: device::Model) -> Self {
        Self {
            id: d.id,
            name: d.name,
            user_id: d.user_id,
            revoked: d.revoked,
            created_at: d.created_at,
            last_sync_at: d.last_sync_at,
        }
    }
}

fn valid_actor(actor: &str) -> bool {
    (32..=64).contains(&actor.len())
        && actor.len().is_multiple_of(2)
        && actor
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Registers a device of the caller.
pub async fn register_device(
    state: &AppState,
    user: &AuthUser,
    registration: DeviceRegistration,
) -> Result<DeviceView, ApiError> {
    let name = registration.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::BadRequest(
            "device-name-invalid",
            "a device needs a name of 1–100 characters".into(),
        ));
    }
    if registration.actors.is_empty()
        || registration.actors.len() > 16
        || !registration.actors.iter().all(|a| valid_actor(a))
    {
        return Err(ApiError::BadRequest(
            "actor-invalid",
            "give 1–16 actor ids, lowercase hex of 16–32 bytes".into(),
        ));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let txn = crate::store::begin_write(&state.db).await?;
    let device = devices::register(&txn, &id, user.id, name, &registration.actors)
        .await?
        .map_err(|actor| {
            ApiError::Conflict(
                "actor-taken",
                format!("actor {actor} already belongs to a device"),
            )
        })?;
    audit::append(
        &txn,
        state.digest.as_ref(),
        Event {
            actor: format!("user:{}", user.name),
            action: "device.register",
            subject: id.clone(),
            detail: serde_json::json!({ "name": name, "actors": registration.actors }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(device.into())
}

/// The caller's devices (all devices for an admin).
pub async fn list_devices(state: &AppState, user: &AuthUser) -> Result<Vec<DeviceView>, ApiError> {
    let owner = (user.role != Role::Admin).then_some(user.id);
    Ok(devices::list(&state.db, owner)
        .await?
        .into_iter()
        .map(DeviceView::from)
        .collect())
}

/// Creates an account (CLI and demo).
pub async fn add_user(
    state: &AppState,
    actor: &str,
    username: &str,
    password: &str,
    role: Role,
    scope: &RegionCode,
) -> Result<user::Model, ApiError> {
    if username.trim().is_empty() || password.chars().count() < 8 {
        return Err(ApiError::BadRequest(
            "account-invalid",
            "a username and a password of at least 8 characters are needed".into(),
        ));
    }
    let hash = state.passwords.hash(password).map_err(ApiError::Internal)?;
    let txn = crate::store::begin_write(&state.db).await?;
    let created = users::create(
        &txn,
        users::NewUser {
            username,
            password_hash: hash,
            role,
            scope,
        },
    )
    .await?
    .ok_or_else(|| ApiError::Conflict("username-taken", format!("user {username} exists")))?;
    audit::append(
        &txn,
        state.digest.as_ref(),
        Event {
            actor: actor.to_owned(),
            action: "user.add",
            subject: username.to_owned(),
            detail: serde_json::json!({ "role": role.code(), "scope": scope.as_str() }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Records `action` on `subject` in the audit log and commits the transaction that made it.
async fn commit_audited(
    txn: sea_orm::DatabaseTransaction,
    state: &AppState,
    actor: &str,
    action: &str,
    subject: &str,
) -> Result<(), ApiError> {
    let event = Event {
        actor: actor.to_owned(),
        action,
        subject: subject.to_owned(),
        detail: serde_json::json!({}),
    };
    audit::append(&txn, state.digest.as_ref(), event).await?;
    txn.commit().await?;
    Ok(())
}

/// Sets a new password.
pub async fn set_password(
    state: &AppState,
    actor: &str,
    username: &str,
    password: &str,
) -> Result<(), ApiError> {
    if password.chars().count() < 8 {
        return Err(ApiError::BadRequest(
            "password-too-short",
            "a password needs at least 8 characters".into(),
        ));
    }
    let hash = state.passwords.hash(password).map_err(ApiError::Internal)?;
    let txn = crate::store::begin_write(&state.db).await?;
    if !users::set_password(&txn, username, hash).await? {
        return Err(ApiError::NotFound(format!("user {username}")));
    }
    commit_audited(txn, state, actor, "user.passwd", username).await
}

/// Disables an account.
pub async fn disable_user(state: &AppState, actor: &str, username: &str) -> Result<(), ApiError> {
    let txn = crate::store::begin_write(&state.db).await?;
    if !users::set_disabled(&txn, username, true).await? {
        return Err(ApiError::NotFound(format!("user {username}")));
    }
    commit_audited(txn, state, actor, "user.disable", username).await
}

/// Revokes a device: its next sync is refused with `device-revoked`.
pub async fn revoke_device(state: &AppState, actor: &str, id: &str) -> Result<(), ApiError> {
    let txn = crate::store::begin_write(&state.db).await?;
    if !devices::revoke(&txn, id).await? {
        return Err(ApiError::NotFound(format!("device {id}")));
    }
    commit_audited(txn, state, actor, "device.revoke", id).await
}
