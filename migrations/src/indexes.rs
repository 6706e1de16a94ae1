//! Building indexes, for the migrations after the first ones (which keep their own copies:
//! migrations never change once released).

use sea_orm_migration::prelude::*;

/// An index on `columns` of `table`.
pub fn index(name: &str, table: &str, columns: &[&str], unique: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(Alias::new(table));
    for column in columns {
        index.col(Alias::new(*column));
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}
