//! Statements sent together. SQLite runs in the server's process, each statement handed to
//! the connection's thread and its answer handed back (two thread wake-ups, more than the
//! statement itself costs for a one-row write): a script goes over as one multi-statement
//! query, a single hand-off. PostgreSQL cannot take several statements with parameters in
//! one message: consecutive writes to different tables go as one statement of
//! data-modifying `WITH` parts, one round trip (see [`postgres`]).
//!
//! For writes whose individual outcome nobody reads: the script reports the rows all its
//! statements changed, summed.

mod postgres;

use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryTrait, Statement, Value};

/// Statements to run in order, in one round trip where the database allows.
#[derive(Debug, Clone)]
pub struct Script {
    backend: DbBackend,
    statements: Vec<Statement>,
}

impl Script {
    /// An empty script for `backend`.
    pub fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            statements: Vec::new(),
        }
    }

    /// The database the script is written for.
    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    /// Adds a statement (written for the script's database).
    pub fn push(&mut self, statement: Statement) {
        self.statements.push(statement);
    }

    /// Adds a query built for the script's database.
    pub fn push_query(&mut self, query: &impl QueryTrait) {
        let statement = query.build(self.backend);
        self.push(statement);
    }

    /// Whether there is nothing to run.
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// Adds `other`'s statements after these.
    pub fn extend(&mut self, other: Script) {
        self.statements.extend(other.statements);
    }

    /// Whether the script runs as one statement (atomic by itself, outside a transaction).
    pub fn is_one_statement(&self) -> bool {
        match self.backend {
            DbBackend::Postgres => postgres::run_as_one(&self.statements),
            _ => self.statements.len() == 1,
        }
    }

    /// How many values the statements bind.
    pub fn values(&self) -> usize {
        self.statements
            .iter()
            .filter_map(|s| s.values.as_ref())
            .map(|v| v.0.len())
            .sum()
    }

    /// Runs the statements in order and returns the rows they changed, summed.
    pub async fn run<C: ConnectionTrait>(self, db: &C) -> Result<u64, DbErr> {
        if self.backend == DbBackend::Sqlite && self.statements.len() > 1 {
            return Ok(db
                .execute_raw(joined(self.statements))
                .await?
                .rows_affected());
        }
        if self.backend == DbBackend::Postgres && self.statements.len() > 1 {
            return postgres::run(db, self.statements).await;
        }
        let mut changed = 0;
        for statement in self.statements {
            changed += db.execute_raw(statement).await?.rows_affected();
        }
        Ok(changed)
    }
}

/// SQLite's statements as one query: their texts in order, their `?` parameters' values in
/// the same order (SQLite binds each statement's parameters from where the previous one's
/// ended).
fn joined(statements: Vec<Statement>) -> Statement {
    let mut sql = String::new();
    let mut values: Vec<Value> = Vec::new();
    for statement in statements {
        sql.push_str(statement.sql.trim().trim_end_matches(';'));
        sql.push_str(";\n");
        if let Some(v) = statement.values {
            values.extend(v.0);
        }
    }
    Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)
}
