//! Token families and refresh tokens. A family is one login and every refresh that follows
//! from it (and the devices registered with it); revoking the family ends all of them at
//! once: on logout, on the reuse of a spent refresh token, when its device is revoked or
//! its user disabled.

use super::entities::{refresh_token, token_family};
use super::now;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Set,
    Statement,
};

/// Why a family was revoked (stored, and shown in the audit log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeReason {
    /// The user logged out.
    Logout,
    /// A spent refresh token came back: it was copied.
    RefreshReused,
    /// A device registered with the family was revoked.
    DeviceRevoked,
    /// The user was disabled.
    UserDisabled,
}

impl RevokeReason {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            RevokeReason::Logout => "logout",
            RevokeReason::RefreshReused => "refresh-token-reused",
            RevokeReason::DeviceRevoked => "device-revoked",
            RevokeReason::UserDisabled => "user-disabled",
        }
    }
}

/// Starts a family for a new login.
pub async fn start_family<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
) -> Result<String, sea_orm::DbErr> {
    let id = uuid::Uuid::new_v4().to_string();
    token_family::ActiveModel {
        id: Set(id.clone()),
        user_id: Set(user_id),
        revoked: Set(false),
        revoked_reason: Set(None),
        created_at: Set(now()),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// Revokes one family; `false` if it was unknown or already revoked.
pub async fn revoke_family<C: ConnectionTrait>(
    db: &C,
    family: &str,
    reason: RevokeReason,
) -> Result<bool, sea_orm::DbErr> {
    let done = token_family::Entity::update_many()
        .col_expr(token_family::Column::Revoked, Expr::value(true))
        .col_expr(
            token_family::Column::RevokedReason,
            Expr::value(reason.code()),
        )
        .filter(token_family::Column::Id.eq(family))
        .filter(token_family::Column::Revoked.eq(false))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// Revokes every family of a user.
pub async fn revoke_user_families<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    reason: RevokeReason,
) -> Result<u64, sea_orm::DbErr> {
    let done = token_family::Entity::update_many()
        .col_expr(token_family::Column::Revoked, Expr::value(true))
        .col_expr(
            token_family::Column::RevokedReason,
            Expr::value(reason.code()),
        )
        .filter(token_family::Column::UserId.eq(user_id))
        .filter(token_family::Column::Revoked.eq(false))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// Whether a session is live, read on every request: its family is not revoked and its
/// user exists and is not disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// Live.
    Live,
    /// The family was revoked, or never existed.
    Revoked,
    /// The family was revoked with the device registered with it: that device must wipe.
    DeviceRevoked,
    /// The user was disabled (or removed).
    UserDisabled,
}

/// One indexed read: the family joined with its user.
pub async fn liveness<C: ConnectionTrait>(
    db: &C,
    family: &str,
    user_id: i64,
) -> Result<Liveness, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT f.revoked AS revoked, f.revoked_reason AS reason, u.disabled AS disabled \
             FROM token_families f JOIN users u ON u.id = f.user_id \
             WHERE f.id = $1 AND f.user_id = $2"
        }
        _ => {
            "SELECT f.revoked AS revoked, f.revoked_reason AS reason, u.disabled AS disabled \
             FROM token_families f JOIN users u ON u.id = f.user_id \
             WHERE f.id = ? AND f.user_id = ?"
        }
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [family.into(), user_id.into()],
        ))
        .await?;
    let Some(row) = row else {
        return Ok(Liveness::Revoked);
    };
    Ok(liveness_of(
        Some(row.try_get("", "revoked")?),
        row.try_get("", "reason")?,
        row.try_get("", "disabled")?,
    ))
}

/// Liveness from the family's revocation (`None`: no such family of the user) and reason,
/// and whether the user is disabled.
pub fn liveness_of(revoked: Option<bool>, reason: Option<String>, disabled: bool) -> Liveness {
    match (revoked, disabled) {
        (_, true) => Liveness::UserDisabled,
        (None, false) => Liveness::Revoked,
        (Some(true), false) if reason.as_deref() == Some(RevokeReason::DeviceRevoked.code()) => {
            Liveness::DeviceRevoked
        }
        (Some(true), false) => Liveness::Revoked,
        (Some(false), false) => Liveness::Live,
    }
}

/// Stores a refresh token's hash in its family.
pub async fn store_refresh<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    family: &str,
    token_hash: String,
    expires_at: i64,
) -> Result<(), sea_orm::DbErr> {
    refresh_token::ActiveModel {
        user_id: Set(user_id),
        token_hash: Set(token_hash),
        expires_at: Set(expires_at),
        revoked: Set(false),
        created_at: Set(now()),
        family_id: Set(Some(family.to_owned())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// What presenting a refresh token came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Spent {
    /// Live: it is now spent; its family and user may continue.
    Live {
        /// The user.
        user_id: i64,
        /// The family.
        family: String,
    },
    /// Already spent (or revoked): a copy of it is in someone's hands.
    Reused {
        /// Its family, if it has one.
        family: Option<String>,
    },
    /// Of a family revoked with its device: the device must wipe.
    DeviceRevoked,
    /// Unknown, expired, of a revoked family, or of no family.
    Invalid,
}

/// Spends a refresh token: each may be used once.
pub async fn spend_refresh<C: ConnectionTrait>(
    db: &C,
    token_hash: &str,
) -> Result<Spent, sea_orm::DbErr> {
    let Some(found) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(token_hash))
        .one(db)
        .await?
    else {
        return Ok(Spent::Invalid);
    };
    if found.revoked {
        return Ok(Spent::Reused {
            family: found.family_id,
        });
    }
    let updated = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::Revoked, Expr::value(true))
        .filter(refresh_token::Column::Id.eq(found.id))
        .filter(refresh_token::Column::Revoked.eq(false))
        .exec(db)
        .await?;
    if updated.rows_affected != 1 {
        // Spent by a concurrent request with the same token.
        return Ok(Spent::Reused {
            family: found.family_id,
        });
    }
    let Some(family) = found.family_id else {
        return Ok(Spent::Invalid);
    };
    let Some(state) = token_family::Entity::find_by_id(family.clone())
        .one(db)
        .await?
    else {
        return Ok(Spent::Invalid);
    };
    if state.revoked_reason.as_deref() == Some(RevokeReason::DeviceRevoked.code()) {
        return Ok(Spent::DeviceRevoked);
    }
    if found.expires_at <= now() || state.revoked {
        return Ok(Spent::Invalid);
    }
    Ok(Spent::Live {
        user_id: found.user_id,
        family,
    })
}

/// The family a refresh token belongs to (for logout).
pub async fn family_of_refresh<C: ConnectionTrait>(
    db: &C,
    token_hash: &str,
) -> Result<Option<String>, sea_orm::DbErr> {
    Ok(refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(token_hash))
        .one(db)
        .await?
        .and_then(|t| t.family_id))
}
