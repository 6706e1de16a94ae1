//! Accounts and devices.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::audit::{self, Event};
use crate::store::entities::{device, user};
use crate::store::tokens::{self, RevokeReason};
use crate::store::{devices, server_actors, users};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use zoufang_schemas::{RegionCode, Role};

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
    let distinct: BTreeSet<&String> = registration.actors.iter().collect();
    if distinct.len() != registration.actors.len() {
        return Err(ApiError::BadRequest(
            "actor-repeated",
            "each actor id may be given once".into(),
        ));
    }
    let taken = |actor: String| {
        ApiError::Conflict(
            "actor-taken",
            format!("actor {actor} already signs for another device or the server"),
        )
    };
    let id = uuid::Uuid::new_v4().to_string();
    let txn = crate::store::begin_write(&state.db).await?;
    if let Some(actor) = server_actors::first_of(&txn, &registration.actors).await? {
        return Err(taken(actor));
    }
    let device = devices::register(&txn, &id, user.id, name, &registration.actors, &user.family)
        .await?
        .map_err(taken)?;
    audit::append(
        &txn,
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

/// The caller's devices (all devices for an admin), with when each last synced.
pub async fn list_devices(state: &AppState, user: &AuthUser) -> Result<Vec<DeviceView>, ApiError> {
    let owner = (user.role != Role::Admin).then_some(user.id);
    let found = devices::list(&state.db, owner).await?;
    let synced = crate::store::sync_states::last_syncs(
        &state.db,
        found.iter().map(|d| d.id.clone()).collect(),
    )
    .await?;
    Ok(found
        .into_iter()
        .map(|d| {
            let last_sync_at = synced.get(&d.id).copied();
            DeviceView {
                last_sync_at,
                ..DeviceView::from(d)
            }
        })
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
    txn: crate::store::WriteTxn,
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
    audit::append(&txn, event).await?;
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
    commit_audited(txn, actor, "user.passwd", username).await
}

/// Sets the department of a `DEPARTMENT` account.
pub async fn set_department(
    state: &AppState,
    actor: &str,
    username: &str,
    department: zoufang_schemas::Department,
) -> Result<(), ApiError> {
    let txn = crate::store::begin_write(&state.db).await?;
    let Some(account) = users::find_by_username(&txn, username).await? else {
        return Err(ApiError::NotFound(format!("user {username}")));
    };
    if Role::from_code(&account.role) != Some(Role::Department) {
        return Err(ApiError::BadRequest(
            "department-not-applicable",
            format!("{username} is not a department account"),
        ));
    }
    users::set_department(&txn, username, department.code()).await?;
    commit_audited(txn, actor, "user.department", username).await
}

/// Disables an account: its sessions end at their next request.
pub async fn disable_user(state: &AppState, actor: &str, username: &str) -> Result<(), ApiError> {
    let txn = crate::store::begin_write(&state.db).await?;
    let Some(account) = users::find_by_username(&txn, username).await? else {
        return Err(ApiError::NotFound(format!("user {username}")));
    };
    users::set_disabled(&txn, username, true).await?;
    tokens::revoke_user_families(&txn, account.id, RevokeReason::UserDisabled).await?;
    commit_audited(txn, actor, "user.disable", username).await
}

/// Revokes a device: its next sync is refused with `device-revoked`, and the session it
/// was registered with ends (its refresh tokens and access tokens stop working).
pub async fn revoke_device(state: &AppState, actor: &str, id: &str) -> Result<(), ApiError> {
    let txn = crate::store::begin_write(&state.db).await?;
    let Some(found) = devices::find(&txn, id).await? else {
        return Err(ApiError::NotFound(format!("device {id}")));
    };
    devices::revoke(&txn, id).await?;
    if let Some(family) = &found.token_family {
        tokens::revoke_family(&txn, family, RevokeReason::DeviceRevoked).await?;
    }
    commit_audited(txn, actor, "device.revoke", id).await
}
