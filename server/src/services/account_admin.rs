//! Managing accounts from the API and the console: administrators manage every account;
//! county officers manage the helpers, township supervisors and department accounts of
//! their own county. Nobody disables themselves. Every change is audited (by
//! [`accounts`]).

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::services::accounts;
use crate::state::AppState;
use crate::store::entities::user;
use crate::store::{devices, regions, sync_states, users};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use zoufang_schemas::{RegionCode, Role};

/// Roles that manage accounts.
pub const MANAGERS: &[Role] = &[Role::Admin, Role::CountyOfficer];

/// An account as managers see it (never its password hash).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserView {
    /// Username.
    pub username: String,
    /// Role code.
    pub role: String,
    /// The role in Chinese.
    pub role_zh: String,
    /// Region-code prefix.
    pub scope: String,
    /// Disabled accounts cannot sign in.
    pub disabled: bool,
    /// Created at (Unix seconds).
    pub created_at: i64,
    /// A department account's department.
    pub department: Option<String>,
}

impl From<user::Model> for UserView {
    fn from(u: user::Model) -> Self {
        Self {
            role_zh: Role::from_code(&u.role)
                .map_or("", Role::label_zh)
                .to_owned(),
            username: u.username,
            role: u.role,
            scope: u.scope,
            disabled: u.disabled,
            created_at: u.created_at,
            department: u.department,
        }
    }
}

/// A new account.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewAccount {
    /// Login name: 2–64 letters, digits, `_`, `-` or `.`.
    pub username: String,
    /// At least 8 characters.
    pub password: String,
    /// Role code (`HELPER`, `TOWNSHIP_SUPERVISOR`, ...).
    pub role: String,
    /// Region-code prefix inside the manager's scope.
    pub scope: String,
    /// For a `DEPARTMENT` account, its department (`HEALTH`, `MEDICAL_INSURANCE`, ...).
    #[serde(default)]
    pub department: Option<String>,
}

/// A device with its owner, as managers see it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ManagedDevice {
    /// Device id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Owner's username.
    pub owner: String,
    /// Revoked devices must wipe their data.
    pub revoked: bool,
    /// Registered at (Unix seconds).
    pub created_at: i64,
    /// Last successful sync.
    pub last_sync_at: Option<i64>,
}

/// The roles a manager may give and take away.
pub fn manageable_roles(manager: Role) -> &'static [Role] {
    match manager {
        Role::Admin => &[
            Role::Helper,
            Role::TownshipSupervisor,
            Role::CountyOfficer,
            Role::PrefectureOfficer,
            Role::Department,
            Role::Admin,
        ],
        Role::CountyOfficer => &[Role::Helper, Role::TownshipSupervisor, Role::Department],
        _ => &[],
    }
}

/// Whether `manager` may disable an account (one they manage, never their own).
pub fn may_disable(manager: &AuthUser, account: &UserView) -> bool {
    account.username != manager.name
        && manages(manager, Role::from_code(&account.role), &account.scope)
}

/// Whether `manager` manages an account of `role` in `scope`.
fn manages(manager: &AuthUser, role: Option<Role>, scope: &str) -> bool {
    role.is_some_and(|r| manageable_roles(manager.role).contains(&r)) && manager.sees(scope)
}

fn out_of_reach(username: &str) -> ApiError {
    ApiError::Forbidden(
        "account-out-of-scope",
        format!("the account {username} is not one you manage"),
    )
}

fn valid_username(name: &str) -> bool {
    (2..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The accounts in the manager's scope.
pub async fn list(state: &AppState, manager: &AuthUser) -> Result<Vec<UserView>, ApiError> {
    manager.require(MANAGERS)?;
    Ok(users::under(&state.db, manager.scope.as_str())
        .await?
        .into_iter()
        .map(UserView::from)
        .collect())
}

/// Adds an account the manager may manage, in a region that exists.
pub async fn add(
    state: &AppState,
    manager: &AuthUser,
    new: &NewAccount,
) -> Result<UserView, ApiError> {
    manager.require(MANAGERS)?;
    let username = new.username.trim();
    if !valid_username(username) {
        return Err(ApiError::BadRequest(
            "username-invalid",
            "a username has 2–64 letters, digits, `_`, `-` or `.`".into(),
        ));
    }
    let role = Role::from_code(&new.role).ok_or_else(|| {
        ApiError::BadRequest("role-invalid", format!("`{}` is not a role", new.role))
    })?;
    let scope = RegionCode::parse(new.scope.trim())
        .map_err(|e| ApiError::BadRequest("region-invalid", e.to_string()))?;
    if !manages(manager, Some(role), scope.as_str()) {
        return Err(ApiError::Forbidden(
            "account-out-of-scope",
            format!(
                "you may not create a {} account in {}",
                role.code(),
                scope.as_str()
            ),
        ));
    }
    if regions::under(&state.db, scope.as_str()).await?.is_empty() {
        return Err(ApiError::BadRequest(
            "region-unknown",
            format!("no region {} is known", scope.as_str()),
        ));
    }
    let department = match (role, new.department.as_deref().map(str::trim)) {
        (Role::Department, Some(code)) => Some(
            zoufang_schemas::Department::from_code(code)
                .or_else(|| {
                    zoufang_schemas::code_of("Department", code)
                        .and_then(zoufang_schemas::Department::from_code)
                })
                .ok_or_else(|| {
                    ApiError::BadRequest(
                        "department-invalid",
                        format!("`{code}` is not a department"),
                    )
                })?,
        ),
        (Role::Department, None) => {
            return Err(ApiError::BadRequest(
                "department-missing",
                "a department account needs its department".into(),
            ));
        }
        _ => None,
    };
    let actor = format!("user:{}", manager.name);
    let mut created =
        accounts::add_user(state, &actor, username, &new.password, role, &scope).await?;
    if let Some(department) = department {
        accounts::set_department(state, &actor, username, department).await?;
        created.department = Some(department.code().to_owned());
    }
    Ok(created.into())
}

/// Disables an account the manager manages (never their own).
pub async fn disable(state: &AppState, manager: &AuthUser, username: &str) -> Result<(), ApiError> {
    manager.require(MANAGERS)?;
    let account = users::find_by_username(&state.db, username)
        .await?
        .filter(|u| manages(manager, Role::from_code(&u.role), &u.scope))
        .ok_or_else(|| out_of_reach(username))?;
    if account.id == manager.id {
        return Err(ApiError::Conflict(
            "account-is-yours",
            "you cannot disable your own account".into(),
        ));
    }
    accounts::disable_user(state, &format!("user:{}", manager.name), username).await
}

/// The devices of the accounts in the manager's scope.
pub async fn devices(state: &AppState, manager: &AuthUser) -> Result<Vec<ManagedDevice>, ApiError> {
    manager.require(MANAGERS)?;
    let owners: BTreeMap<i64, String> = users::under(&state.db, manager.scope.as_str())
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let found = devices::of_users(&state.db, owners.keys().copied().collect()).await?;
    let synced =
        sync_states::last_syncs(&state.db, found.iter().map(|d| d.id.clone()).collect()).await?;
    Ok(found
        .into_iter()
        .map(|d| ManagedDevice {
            last_sync_at: synced.get(&d.id).copied(),
            owner: owners.get(&d.user_id).cloned().unwrap_or_default(),
            id: d.id,
            name: d.name,
            revoked: d.revoked,
            created_at: d.created_at,
        })
        .collect())
}

/// Revokes a device of an account the manager manages (or of their own).
pub async fn revoke_device(state: &AppState, manager: &AuthUser, id: &str) -> Result<(), ApiError> {
    manager.require(MANAGERS)?;
    let refused = || ApiError::NotFound(format!("device {id}"));
    let device = devices::find(&state.db, id).await?.ok_or_else(refused)?;
    let owner = users::find(&state.db, device.user_id)
        .await?
        .ok_or_else(refused)?;
    let own = owner.id == manager.id;
    if !own && !manages(manager, Role::from_code(&owner.role), &owner.scope) {
        return Err(refused());
    }
    accounts::revoke_device(state, &format!("user:{}", manager.name), id).await
}
