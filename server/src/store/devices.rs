//! Devices and the actor ids they sign changes with.

use super::entities::{device, device_actor};
use super::now;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

/// Registers a device with its actors. `Err(actor)` if an actor already belongs to a device.
pub async fn register<C: ConnectionTrait>(
    db: &C,
    id: &str,
    user_id: i64,
    name: &str,
    actors: &[String],
    token_family: &str,
) -> Result<Result<device::Model, String>, sea_orm::DbErr> {
    for actor in actors {
        if device_actor::Entity::find_by_id(actor.clone())
            .one(db)
            .await?
            .is_some()
        {
            return Ok(Err(actor.clone()));
        }
    }
    let model = device::ActiveModel {
        id: Set(id.to_owned()),
        user_id: Set(user_id),
        name: Set(name.to_owned()),
        revoked: Set(false),
        created_at: Set(now()),
        last_sync_at: Set(None),
        token_family: Set(Some(token_family.to_owned())),
    }
    .insert(db)
    .await?;
    let rows = actors.iter().map(|a| device_actor::ActiveModel {
        actor: Set(a.clone()),
        device_id: Set(id.to_owned()),
    });
    device_actor::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(Ok(model))
}

/// A device.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    id: &str,
) -> Result<Option<device::Model>, sea_orm::DbErr> {
    device::Entity::find_by_id(id.to_owned()).one(db).await
}

/// Devices, all or one user's.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    user_id: Option<i64>,
) -> Result<Vec<device::Model>, sea_orm::DbErr> {
    let mut query = device::Entity::find().order_by_asc(device::Column::CreatedAt);
    if let Some(user) = user_id {
        query = query.filter(device::Column::UserId.eq(user));
    }
    query.all(db).await
}

/// Actor ids of a device.
pub async fn actors<C: ConnectionTrait>(
    db: &C,
    device_id: &str,
) -> Result<Vec<String>, sea_orm::DbErr> {
    Ok(device_actor::Entity::find()
        .filter(device_actor::Column::DeviceId.eq(device_id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.actor)
        .collect())
}

/// Device ids of actors (actors of no device are left out).
pub async fn devices_of_actors<C: ConnectionTrait>(
    db: &C,
    actors: Vec<String>,
) -> Result<Vec<device_actor::Model>, sea_orm::DbErr> {
    device_actor::Entity::find()
        .filter(device_actor::Column::Actor.is_in(actors))
        .all(db)
        .await
}

/// Revokes a device; `false` if unknown.
pub async fn revoke<C: ConnectionTrait>(db: &C, id: &str) -> Result<bool, sea_orm::DbErr> {
    let Some(found) = find(db, id).await? else {
        return Ok(false);
    };
    let mut model: device::ActiveModel = found.into();
    model.revoked = Set(true);
    model.update(db).await?;
    Ok(true)
}

/// The devices of some users, oldest first.
pub async fn of_users<C: ConnectionTrait>(
    db: &C,
    user_ids: Vec<i64>,
) -> Result<Vec<device::Model>, sea_orm::DbErr> {
    device::Entity::find()
        .filter(device::Column::UserId.is_in(user_ids))
        .order_by_asc(device::Column::CreatedAt)
        .all(db)
        .await
}
