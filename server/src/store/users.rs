//! Accounts.

use super::entities::user;
use super::now;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use zoufang_schemas::{RegionCode, Role};

/// A new account's fields.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Login name.
    pub username: &'a str,
    /// Password hash (from the password scheme).
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Region-code prefix.
    pub scope: &'a RegionCode,
}

/// Creates an account; `None` if the username is taken.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    new: NewUser<'_>,
) -> Result<Option<user::Model>, sea_orm::DbErr> {
    if find_by_username(db, new.username).await?.is_some() {
        return Ok(None);
    }
    let model = user::ActiveModel {
        username: Set(new.username.to_owned()),
        password_hash: Set(new.password_hash),
        role: Set(new.role.code().to_owned()),
        scope: Set(new.scope.as_str().to_owned()),
        disabled: Set(false),
        created_at: Set(now()),
        ..Default::default()
    };
    model.insert(db).await.map(Some)
}

/// The account with this username.
pub async fn find_by_username<C: ConnectionTrait>(
    db: &C,
    username: &str,
) -> Result<Option<user::Model>, sea_orm::DbErr> {
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await
}

/// The account with this id.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<user::Model>, sea_orm::DbErr> {
    user::Entity::find_by_id(id).one(db).await
}

/// Replaces the password hash; `false` if no such user.
pub async fn set_password<C: ConnectionTrait>(
    db: &C,
    username: &str,
    hash: String,
) -> Result<bool, sea_orm::DbErr> {
    let Some(found) = find_by_username(db, username).await? else {
        return Ok(false);
    };
    let mut model: user::ActiveModel = found.into();
    model.password_hash = Set(hash);
    model.update(db).await?;
    Ok(true)
}

/// Enables or disables an account; `false` if no such user.
pub async fn set_disabled<C: ConnectionTrait>(
    db: &C,
    username: &str,
    disabled: bool,
) -> Result<bool, sea_orm::DbErr> {
    let Some(found) = find_by_username(db, username).await? else {
        return Ok(false);
    };
    let mut model: user::ActiveModel = found.into();
    model.disabled = Set(disabled);
    model.update(db).await?;
    Ok(true)
}

/// Number of accounts.
pub async fn count<C: ConnectionTrait>(db: &C) -> Result<u64, sea_orm::DbErr> {
    use sea_orm::PaginatorTrait;
    user::Entity::find().count(db).await
}

/// Accounts whose scope lies under a region prefix, by username.
pub async fn under<C: ConnectionTrait>(
    db: &C,
    prefix: &str,
) -> Result<Vec<user::Model>, sea_orm::DbErr> {
    use sea_orm::QueryOrder;
    user::Entity::find()
        .filter(super::in_region(user::Column::Scope, prefix))
        .order_by_asc(user::Column::Username)
        .all(db)
        .await
}

/// Sets a department account's department.
pub async fn set_department<C: ConnectionTrait>(
    db: &C,
    username: &str,
    department: &str,
) -> Result<(), sea_orm::DbErr> {
    user::Entity::update_many()
        .col_expr(
            user::Column::Department,
            sea_orm::sea_query::Expr::value(department),
        )
        .filter(user::Column::Username.eq(username))
        .exec(db)
        .await?;
    Ok(())
}
