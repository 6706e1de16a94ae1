//! The actors the server signs its own changes with: one current actor kept in the
//! database (every node of a deployment signs with it; the optimistic version check on each
//! document orders their writes), and those of earlier servers. No device may register any
//! of them.

use super::entities::server_actor;
use super::now;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

/// The current server actor (hex), created on first start. Nodes starting together on a
/// new database may each create one; all then take the oldest.
pub async fn current<C: ConnectionTrait>(db: &C) -> Result<String, sea_orm::DbErr> {
    if let Some(actor) = oldest_current(db).await? {
        return Ok(actor);
    }
    server_actor::ActiveModel {
        actor: Set(hex::encode(uuid::Uuid::new_v4().as_bytes())),
        current: Set(true),
        created_at: Set(now()),
    }
    .insert(db)
    .await?;
    oldest_current(db)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("server actor".into()))
}

async fn oldest_current<C: ConnectionTrait>(db: &C) -> Result<Option<String>, sea_orm::DbErr> {
    Ok(server_actor::Entity::find()
        .filter(server_actor::Column::Current.eq(true))
        .order_by_asc(server_actor::Column::CreatedAt)
        .order_by_asc(server_actor::Column::Actor)
        .one(db)
        .await?
        .map(|row| row.actor))
}

/// Of `actors`, the first the server signs (or signed) with.
pub async fn first_of<C: ConnectionTrait>(
    db: &C,
    actors: &[String],
) -> Result<Option<String>, sea_orm::DbErr> {
    Ok(server_actor::Entity::find()
        .filter(server_actor::Column::Actor.is_in(actors.iter().cloned()))
        .one(db)
        .await?
        .map(|row| row.actor))
}
