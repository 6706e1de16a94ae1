//! Failed logins per key (`account:<name>`, `address:<ip>`): after a number of free
//! failures each further one doubles the wait before the next attempt, up to a ceiling.
//! Kept in the database so that several server nodes throttle together.

use super::entities::login_throttle;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

/// How failures turn into waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures without any wait.
    pub free_failures: i32,
    /// The first wait, in seconds; each further failure doubles it.
    pub base_delay_secs: i64,
    /// The longest wait.
    pub max_delay_secs: i64,
    /// Failures older than this are forgotten.
    pub forget_after_secs: i64,
}

impl Policy {
    /// The wait after `failures` failures in a row.
    pub fn delay_after(&self, failures: i32) -> i64 {
        let over = failures - self.free_failures;
        if over <= 0 {
            return 0;
        }
        let doublings = u32::try_from(over - 1).unwrap_or(0).min(30);
        self.base_delay_secs
            .saturating_mul(1i64 << doublings)
            .min(self.max_delay_secs)
    }
}

/// Seconds until `key` may try again (0: now).
pub async fn wait_left<C: ConnectionTrait>(
    db: &C,
    key: &str,
    now: i64,
) -> Result<i64, sea_orm::DbErr> {
    Ok(login_throttle::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .map_or(0, |row| (row.locked_until - now).max(0)))
}

/// Records a failure of `key`; returns the wait it imposes.
pub async fn record_failure<C: ConnectionTrait>(
    db: &C,
    key: &str,
    policy: &Policy,
    now: i64,
) -> Result<i64, sea_orm::DbErr> {
    let previous = login_throttle::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .filter(|row| now - row.updated_at <= policy.forget_after_secs)
        .map_or(0, |row| row.failures);
    let failures = previous.saturating_add(1);
    let wait = policy.delay_after(failures);
    let row = login_throttle::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(failures),
        locked_until: Set(now + wait),
        updated_at: Set(now),
    };
    login_throttle::Entity::insert(row)
        .on_conflict(
            OnConflict::column(login_throttle::Column::Key)
                .update_columns([
                    login_throttle::Column::Failures,
                    login_throttle::Column::LockedUntil,
                    login_throttle::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(wait)
}

/// Forgets the failures of `key` (after a successful login).
pub async fn clear<C: ConnectionTrait>(db: &C, key: &str) -> Result<(), sea_orm::DbErr> {
    login_throttle::Entity::delete_by_id(key.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_start_after_the_free_failures_and_double_up_to_the_ceiling() {
        let policy = Policy {
            free_failures: 5,
            base_delay_secs: 1,
            max_delay_secs: 60,
            forget_after_secs: 3600,
        };
        let waits: Vec<i64> = (1..=14).map(|n| policy.delay_after(n)).collect();
        assert_eq!(waits, [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(policy.delay_after(i32::MAX), 60);
    }
}
