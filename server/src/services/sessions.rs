//! Sessions: login (throttled per account and per address, unknown users as slow as known
//! ones), refresh (each refresh token once; a spent one presented again revokes its whole
//! family) and logout.

use crate::auth::Claims;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::audit::{self, Event};
use crate::store::entities::user;
use crate::store::throttle::{self, Policy};
use crate::store::tokens::{self, RevokeReason, Spent};
use crate::store::{now, users};
use base64::Engine as _;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

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

/// Signs an access token and stores a new refresh token of `family` through `db` (the
/// caller's write transaction).
async fn issue<C: sea_orm::ConnectionTrait>(
    state: &AppState,
    db: &C,
    account: &user::Model,
    family: &str,
) -> Result<TokenPair, ApiError> {
    let iat = now();
    let ttl = state.settings.auth.access_ttl_secs;
    let claims = Claims {
        sub: account.id,
        role: account.role.clone(),
        scope: account.scope.clone(),
        name: account.username.clone(),
        fam: family.to_owned(),
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
    tokens::store_refresh(
        db,
        account.id,
        family,
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

/// The throttling keys of a login attempt and their policies.
fn throttle_keys(
    state: &AppState,
    username: &str,
    address: Option<IpAddr>,
) -> Vec<(String, Policy)> {
    let t = &state.settings.auth.throttle;
    let policy = |free_failures| Policy {
        free_failures,
        base_delay_secs: t.base_delay_secs,
        max_delay_secs: t.max_delay_secs,
        forget_after_secs: t.forget_after_secs,
    };
    let mut keys = vec![(
        format!("account:{}", username.trim().to_lowercase()),
        policy(t.account_free_failures),
    )];
    if let Some(address) = address {
        keys.push((
            format!("address:{address}"),
            policy(t.address_free_failures),
        ));
    }
    keys
}

fn throttled(wait: i64) -> ApiError {
    ApiError::TooManyRequests(
        "login-throttled",
        format!("too many failed logins; try again in {wait} s"),
        wait,
    )
}

/// Checks a password and hands out tokens in a new family.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    address: Option<IpAddr>,
) -> Result<TokenPair, ApiError> {
    let keys = throttle_keys(state, username, address);
    let at = now();
    for (key, _) in &keys {
        let wait = throttle::wait_left(&state.db, key, at).await?;
        if wait > 0 {
            return Err(throttled(wait));
        }
    }
    let account = users::find_by_username(&state.db, username).await?;
    let verified = verify_password(state, password, account.as_ref()).await?;
    match account {
        Some(account) if verified => {
            // One write transaction, queued behind the writers before it (SQLite).
            let txn = crate::store::begin_write(&state.db).await?;
            throttle::clear(&txn, &keys[0].0).await?;
            if account.disabled {
                txn.commit().await?;
                return Err(ApiError::Unauthorized("user-disabled"));
            }
            let family = tokens::start_family(&txn, account.id).await?;
            let pair = issue(state, &txn, &account, &family).await?;
            txn.commit().await?;
            Ok(pair)
        }
        _ => {
            let txn = crate::store::begin_write(&state.db).await?;
            for (key, policy) in &keys {
                throttle::record_failure(&txn, key, policy, at).await?;
            }
            txn.commit().await?;
            Err(ApiError::Unauthorized("credentials-invalid"))
        }
    }
}

/// Runs the password check off the async workers, a few at a time (Argon2 is slow and
/// memory-hard on purpose). An unknown user is checked against the decoy hash, so that
/// the answer takes as long as for a known one.
async fn verify_password(
    state: &AppState,
    password: &str,
    account: Option<&user::Model>,
) -> Result<bool, ApiError> {
    let known = account.is_some();
    let hash = account.map_or_else(
        || state.decoy_password_hash.as_str().to_owned(),
        |a| a.password_hash.clone(),
    );
    let passwords = state.passwords.clone();
    let password = password.to_owned();
    let _permit = state
        .password_checks
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let verified = tokio::task::spawn_blocking(move || passwords.verify(&password, &hash))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(known && verified)
}

/// Exchanges a live refresh token for a new pair in the same family. A spent token
/// presented again means it was copied: its whole family is revoked.
pub async fn refresh(state: &AppState, refresh_token: &str) -> Result<TokenPair, ApiError> {
    let hash = refresh_hash(state, refresh_token);
    // Spending the old token and storing the new one is one write transaction.
    let txn = crate::store::begin_write(&state.db).await?;
    let (user_id, family) = match tokens::spend_refresh(&txn, &hash).await? {
        Spent::Live { user_id, family } => (user_id, family),
        refused => {
            txn.commit().await?;
            return Err(match refused {
                Spent::Reused { family } => {
                    if let Some(family) = family {
                        revoke_reused(state, &family).await?;
                    }
                    ApiError::Unauthorized("refresh-token-reused")
                }
                Spent::DeviceRevoked => ApiError::DeviceRevoked,
                Spent::Live { .. } | Spent::Invalid => {
                    ApiError::Unauthorized("refresh-token-invalid")
                }
            });
        }
    };
    let account = users::find(&txn, user_id)
        .await?
        .ok_or(ApiError::Unauthorized("refresh-token-invalid"))?;
    if account.disabled {
        txn.commit().await?;
        return Err(ApiError::Unauthorized("user-disabled"));
    }
    let pair = issue(state, &txn, &account, &family).await?;
    txn.commit().await?;
    Ok(pair)
}

async fn revoke_reused(state: &AppState, family: &str) -> Result<(), ApiError> {
    let txn = crate::store::begin_write(&state.db).await?;
    if tokens::revoke_family(&txn, family, RevokeReason::RefreshReused).await? {
        audit::append(
            &txn,
            Event {
                actor: "system".into(),
                action: "session.revoke",
                subject: format!("family:{family}"),
                detail: serde_json::json!({ "reason": RevokeReason::RefreshReused.code() }),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Ends the session the refresh token belongs to (its access tokens stop working too).
pub async fn logout(state: &AppState, refresh_token: &str) -> Result<(), ApiError> {
    let hash = refresh_hash(state, refresh_token);
    if let Some(family) = tokens::family_of_refresh(&state.db, &hash).await? {
        let txn = crate::store::begin_write(&state.db).await?;
        tokens::revoke_family(&txn, &family, RevokeReason::Logout).await?;
        txn.commit().await?;
    }
    Ok(())
}
