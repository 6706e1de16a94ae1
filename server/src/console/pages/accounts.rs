//! Accounts and devices: administrators and county officers add users, disable them, list
//! and revoke devices, within what they manage.

use crate::console::pages::local_time;
use crate::console::render::{self, see_other};
use crate::console::session::{ConsoleError, ConsoleUser};
use crate::services::account_admin::{self, MANAGERS, NewAccount, manageable_roles};
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;

/// The accounts and devices the user manages.
#[get("/console/accounts")]
pub async fn list(
    state: web::Data<AppState>,
    who: ConsoleUser,
) -> Result<HttpResponse, ConsoleError> {
    who.user.require(MANAGERS)?;
    let users: Vec<_> = account_admin::list(&state, &who.user)
        .await?
        .into_iter()
        .map(|u| {
            let manageable = account_admin::may_disable(&who.user, &u);
            minijinja::context! { manageable, ..minijinja::Value::from_serialize(&u) }
        })
        .collect();
    let devices: Vec<_> = account_admin::devices(&state, &who.user)
        .await?
        .into_iter()
        .map(|d| {
            minijinja::context! {
                id => d.id,
                name => d.name,
                owner => d.owner,
                revoked => d.revoked,
                last_sync => d.last_sync_at.map(local_time),
            }
        })
        .collect();
    let roles: Vec<_> = manageable_roles(who.user.role)
        .iter()
        .map(|r| minijinja::context! { code => r.code(), label => r.label_zh() })
        .collect();
    let departments: Vec<_> = zoufang_schemas::Department::ALL
        .iter()
        .map(|d| minijinja::context! { code => d.code(), label => d.label_zh() })
        .collect();
    Ok(render::page(
        Some(&who),
        who.lang,
        "accounts.html",
        minijinja::context! { users, devices, roles, departments, scope => who.user.scope.as_str() },
    ))
}

/// A new account from the form.
#[derive(Debug, Deserialize)]
pub struct AddForm {
    csrf: String,
    username: String,
    password: String,
    role: String,
    region: String,
    #[serde(default)]
    department: String,
}

/// Adds an account.
#[post("/console/accounts")]
pub async fn add(
    state: web::Data<AppState>,
    who: ConsoleUser,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, ConsoleError> {
    who.check_csrf(&form.csrf)?;
    let new = NewAccount {
        username: form.username.clone(),
        password: form.password.clone(),
        role: form.role.clone(),
        scope: form.region.clone(),
        department: Some(form.department.trim().to_owned()).filter(|d| !d.is_empty()),
    };
    account_admin::add(&state, &who.user, &new).await?;
    Ok(see_other(&who, "/console/accounts"))
}

/// A form that carries only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Disables an account.
#[post("/console/accounts/{username}/disable")]
pub async fn disable(
    state: web::Data<AppState>,
    who: ConsoleUser,
    username: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ConsoleError> {
    who.check_csrf(&form.csrf)?;
    account_admin::disable(&state, &who.user, &username).await?;
    Ok(see_other(&who, "/console/accounts"))
}

/// Revokes a device.
#[post("/console/devices/{id}/revoke")]
pub async fn revoke_device(
    state: web::Data<AppState>,
    who: ConsoleUser,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ConsoleError> {
    who.check_csrf(&form.csrf)?;
    account_admin::revoke_device(&state, &who.user, &id).await?;
    Ok(see_other(&who, "/console/accounts"))
}
