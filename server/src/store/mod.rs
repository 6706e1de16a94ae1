//! Persistence: sea-orm entities and the services that read and write them. Handlers
//! never build queries; they call these functions.

pub mod audit;
pub mod clock;
pub mod clues;
mod commit_group;
pub mod conflicts;
mod db;
pub mod devices;
pub mod documents;
pub mod elimination;
pub mod entities;
pub mod feed;
pub mod findings;
pub mod identification;
pub mod imports;
pub mod leases;
pub mod photos;
pub mod plans;
pub mod regions;
pub mod reviews;
pub mod script;
pub mod server_actors;
pub mod sync_states;
pub mod tasks;
pub mod throttle;
pub mod tokens;
pub mod users;
mod write_batches;
mod write_turn;

pub use db::{connect, connect_sync_reads, connect_waiting, migrate};

pub use write_turn::WriteTxn;

/// Starts a transaction that will write. On SQLite it waits its turn behind the writers
/// before it, then takes the write lock at once (`BEGIN IMMEDIATE`): it never polls a
/// locked database, and never fails with `SQLITE_BUSY` when another writer commits between
/// its first read and its first write.
pub async fn begin_write(db: &sea_orm::DatabaseConnection) -> Result<WriteTxn, sea_orm::DbErr> {
    write_turn::begin(db).await
}

/// Rows whose region code starts with `prefix`, as a range (`>= prefix`, `< prefix + "~"`)
/// that both databases answer from an index; `LIKE 'prefix%'` uses none under their default
/// collations. Region codes are digits, which sort below `~`.
pub fn in_region<C: sea_orm::ColumnTrait>(column: C, prefix: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(column.gte(prefix))
        .add(column.lt(format!("{prefix}~")))
}

/// `items` in slices of `max`, the rest in slices of powers of two: bulk statements built
/// from them come in a few shapes only (at most one per power of two below `max`), so the
/// drivers' prepared-statement caches hold a few statements, not one per batch size.
pub fn shaped<T>(items: &[T], max: usize) -> impl Iterator<Item = &[T]> {
    let max = max.max(1);
    let mut rest = items;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let take = if rest.len() >= max {
            max
        } else {
            1 << (usize::BITS - 1 - rest.len().leading_zeros())
        };
        let (head, tail) = rest.split_at(take);
        rest = tail;
        Some(head)
    })
}

/// The rows of a `VALUES` list of `rows` rows, each column's placeholder cast to its type in
/// `casts` (`""`: left as bound), numbered for PostgreSQL (`$1, $2, ...` row after row),
/// `?` for SQLite: bind the values row after row.
pub fn values_rows(backend: sea_orm::DbBackend, rows: usize, casts: &[&str]) -> String {
    let mut n = 0;
    let mut placeholder = |cast: &str| {
        n += 1;
        let p = match backend {
            sea_orm::DbBackend::Postgres => format!("${n}"),
            _ => "?".to_owned(),
        };
        match cast {
            "" => p,
            cast => format!("CAST({p} AS {cast})"),
        }
    };
    (0..rows)
        .map(|_| {
            let row: Vec<String> = casts.iter().map(|cast| placeholder(cast)).collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Current Unix time in seconds.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    #[test]
    fn bulk_slices_come_in_few_shapes() {
        let items: Vec<u32> = (0..1234).collect();
        let sizes: Vec<usize> = super::shaped(&items, 500).map(<[u32]>::len).collect();
        assert_eq!(sizes, [500, 500, 128, 64, 32, 8, 2]);
        assert_eq!(sizes.iter().sum::<usize>(), 1234);
        let flat: Vec<u32> = super::shaped(&items, 500).flatten().copied().collect();
        assert_eq!(flat, items);
        assert_eq!(super::shaped(&items[..0], 500).count(), 0);
        assert_eq!(
            super::shaped(&items[..3], 0)
                .map(<[u32]>::len)
                .collect::<Vec<_>>(),
            [1, 1, 1]
        );
    }

    #[test]
    fn values_rows_number_placeholders_row_after_row() {
        use sea_orm::DbBackend;
        assert_eq!(
            super::values_rows(DbBackend::Postgres, 2, &["", "BIGINT"]),
            "($1, CAST($2 AS BIGINT)), ($3, CAST($4 AS BIGINT))"
        );
        assert_eq!(
            super::values_rows(DbBackend::Sqlite, 2, &["TEXT", ""]),
            "(CAST(? AS TEXT), ?), (CAST(? AS TEXT), ?)"
        );
        assert_eq!(super::values_rows(DbBackend::Sqlite, 0, &["TEXT"]), "");
    }
}
