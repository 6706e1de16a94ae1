//! Leases on deployment-wide duties: the first node to ask holds a duty until its lease
//! expires and keeps it by asking again in time; another node takes it over only once the
//! lease has run out (its holder stopped or died). One statement each, so that two nodes
//! asking at once cannot both win.

use super::entities::lease;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

/// Takes or keeps the lease `name` for `holder` until `now + ttl_secs`; `false` when
/// another holder's lease has not run out. A write transaction of its own (on SQLite, in
/// turn with the other writers).
pub async fn try_hold(
    db: &DatabaseConnection,
    name: &str,
    holder: &str,
    now: i64,
    ttl_secs: i64,
) -> Result<bool, sea_orm::DbErr> {
    let txn = super::begin_write(db).await?;
    let held = hold_in(&txn, name, holder, now, ttl_secs).await?;
    txn.commit().await?;
    Ok(held)
}

async fn hold_in<C: ConnectionTrait>(
    db: &C,
    name: &str,
    holder: &str,
    now: i64,
    ttl_secs: i64,
) -> Result<bool, sea_orm::DbErr> {
    let inserted = lease::Entity::insert(lease::ActiveModel {
        name: Set(name.to_owned()),
        holder: Set(holder.to_owned()),
        expires_at: Set(now + ttl_secs),
    })
    .on_conflict(
        OnConflict::column(lease::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if inserted == 1 {
        return Ok(true);
    }
    let taken = lease::Entity::update_many()
        .col_expr(lease::Column::Holder, Expr::value(holder))
        .col_expr(lease::Column::ExpiresAt, Expr::value(now + ttl_secs))
        .filter(lease::Column::Name.eq(name))
        .filter(
            sea_orm::Condition::any()
                .add(lease::Column::Holder.eq(holder))
                .add(lease::Column::ExpiresAt.lt(now)),
        )
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}
