//! Per device, the heads the server believes the device holds (CBOR of the belief map).

use super::entities::device_sync_state;
use super::now;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use zoufang_sync::server::Belief;

/// The stored belief; empty when none (a new device, or an unreadable record).
pub async fn load<C: ConnectionTrait>(db: &C, device_id: &str) -> Result<Belief, sea_orm::DbErr> {
    let row = device_sync_state::Entity::find_by_id(device_id.to_owned())
        .one(db)
        .await?;
    Ok(row
        .and_then(|r| ciborium::from_reader(r.belief.as_slice()).ok())
        .unwrap_or_default())
}

/// Stores the belief.
pub async fn save<C: ConnectionTrait>(
    db: &C,
    device_id: &str,
    belief: &Belief,
) -> Result<(), sea_orm::DbErr> {
    let bytes = zoufang_sync::codec::encode(belief);
    let model = device_sync_state::ActiveModel {
        device_id: Set(device_id.to_owned()),
        belief: Set(bytes),
        updated_at: Set(now()),
    };
    device_sync_state::Entity::insert(model)
        .on_conflict(
            OnConflict::column(device_sync_state::Column::DeviceId)
                .update_columns([
                    device_sync_state::Column::Belief,
                    device_sync_state::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}
