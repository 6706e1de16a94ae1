//! A script's statements on PostgreSQL in few round trips. PostgreSQL takes one statement
//! with parameters per message, but one statement may hold several writes as data-modifying
//! `WITH` parts: `WITH w0 AS (INSERT … RETURNING 1), w1 AS (UPDATE … RETURNING 1) SELECT
//! (SELECT count(*) FROM w0) + (SELECT count(*) FROM w1)`, the sum being the rows they
//! changed.
//!
//! Those parts all see the database as it was before the statement and must not touch the
//! same row twice, while a script's statements run in order, each seeing what the ones
//! before it wrote. So only consecutive plain writes (`INSERT INTO`, `UPDATE`, `DELETE
//! FROM`, without a `WITH` or `RETURNING` of their own) to *different* tables are joined;
//! a write to a table already written in the group starts the next group, and anything
//! else runs alone.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};

/// Runs `statements` in order, joined where they may be, and returns the rows they changed.
pub(super) async fn run<C: ConnectionTrait>(
    db: &C,
    statements: Vec<Statement>,
) -> Result<u64, DbErr> {
    let mut changed = 0;
    for group in groups(statements) {
        changed += match <[Statement; 1]>::try_from(group) {
            Ok([alone]) => db.execute_raw(alone).await?.rows_affected(),
            Err(group) => {
                let row = db.query_one_raw(joined(group)).await?;
                let sum: i64 = match row {
                    Some(row) => row.try_get("", "changed")?,
                    None => 0,
                };
                u64::try_from(sum).unwrap_or(0)
            }
        };
    }
    Ok(changed)
}

/// The table a plain write changes (`None`: not a plain write, it runs alone).
fn written_table(sql: &str) -> Option<String> {
    let sql = sql.trim_start();
    let upper = sql.to_ascii_uppercase();
    if upper.contains("RETURNING") {
        return None;
    }
    let rest = if upper.starts_with("INSERT INTO ") || upper.starts_with("DELETE FROM ") {
        &sql[12..]
    } else if upper.starts_with("UPDATE ") {
        &sql[7..]
    } else {
        return None;
    };
    let table: String = rest
        .trim_start()
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '(')
        .filter(|c| *c != '"')
        .collect();
    (!table.is_empty()).then_some(table)
}

/// Whether `sql` names `table` (as a whole identifier, quoted or not).
fn names(sql: &str, table: &str) -> bool {
    let identifier = |c: char| c.is_ascii_alphanumeric() || c == '_';
    sql.match_indices(table).any(|(at, _)| {
        let before = sql[..at].chars().next_back();
        let after = sql[at + table.len()..].chars().next();
        !before.is_some_and(identifier) && !after.is_some_and(identifier)
    })
}

/// Statements in groups that run as one: consecutive plain writes to different tables.
fn groups(statements: Vec<Statement>) -> Vec<Vec<Statement>> {
    let starts = group_starts(&statements);
    let mut groups: Vec<Vec<Statement>> = Vec::new();
    for (statement, starts) in statements.into_iter().zip(starts) {
        if starts {
            groups.push(Vec::new());
        }
        if let Some(group) = groups.last_mut() {
            group.push(statement);
        }
    }
    groups
}

/// Whether `statements` run as one statement (one group).
pub(super) fn run_as_one(statements: &[Statement]) -> bool {
    group_starts(statements)
        .iter()
        .filter(|starts| **starts)
        .count()
        == 1
}

/// Per statement, whether it starts a group of [`groups`].
fn group_starts(statements: &[Statement]) -> Vec<bool> {
    let mut starts = Vec::with_capacity(statements.len());
    let mut tables: Vec<String> = Vec::new();
    for statement in statements {
        let table = written_table(&statement.sql);
        // A part sees none of the others' writes: a statement naming a table written
        // before it in the group (reading it, say) starts the next group.
        let joins = table.is_some()
            && !tables.is_empty()
            && !tables.iter().any(|t| names(&statement.sql, t));
        if !joins {
            tables.clear();
        }
        starts.push(!joins);
        match table {
            Some(table) => tables.push(table),
            // Nothing joins a statement that runs alone.
            None => tables.clear(),
        }
    }
    starts
}

/// One statement of data-modifying `WITH` parts, counting the rows they changed.
fn joined(group: Vec<Statement>) -> Statement {
    let mut sql = String::from("WITH ");
    let mut values: Vec<Value> = Vec::new();
    let mut counts = Vec::with_capacity(group.len());
    for (n, statement) in group.into_iter().enumerate() {
        if n > 0 {
            sql.push_str(", ");
        }
        let body = statement.sql.trim().trim_end_matches(';');
        sql.push_str(&format!(
            "w{n} AS ({} RETURNING 1)",
            shift_placeholders(body, values.len())
        ));
        counts.push(format!("(SELECT count(*) FROM w{n})"));
        if let Some(v) = statement.values {
            values.extend(v.0);
        }
    }
    sql.push_str(&format!(" SELECT {} AS changed", counts.join(" + ")));
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// `sql` with its parameters `$1`, `$2`, … numbered from `offset + 1` (quoted text and
/// identifiers left as they are).
fn shift_placeholders(sql: &str, offset: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut digits = String::new();
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    digits.push(d);
                }
                let number: usize = digits.parse().unwrap_or(0);
                out.push_str(&format!("${}", number + offset));
            }
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(sql: &str, values: usize) -> Statement {
        Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            (0..values).map(|n| Value::from(n as i64)),
        )
    }

    #[test]
    fn placeholders_move_past_the_parts_before() {
        assert_eq!(
            shift_placeholders("UPDATE t SET a = $1, b = '$2' WHERE \"$3\" = $12", 4),
            "UPDATE t SET a = $5, b = '$2' WHERE \"$3\" = $16"
        );
        assert_eq!(shift_placeholders("SELECT $ || $a", 3), "SELECT $ || $a");
    }

    #[test]
    fn only_plain_writes_name_their_table() {
        for (sql, table) in [
            (
                "INSERT INTO \"audit_log\" (a) VALUES ($1)",
                Some("audit_log"),
            ),
            ("  update device_docs SET x = 1", Some("device_docs")),
            ("DELETE FROM \"t\" WHERE a = $1", Some("t")),
            ("INSERT INTO t(a) VALUES (1)", Some("t")),
            ("WITH v AS (VALUES (1)) UPDATE t SET a = 1", None),
            ("INSERT INTO t (a) VALUES (1) RETURNING id", None),
            ("SELECT 1", None),
            ("BEGIN", None),
        ] {
            assert_eq!(written_table(sql).as_deref(), table, "{sql}");
        }
    }

    #[test]
    fn tables_are_named_as_whole_identifiers() {
        assert!(names("UPDATE b SET x = (SELECT max(x) FROM a)", "a"));
        assert!(names("SELECT 1 FROM \"a\"", "a"));
        assert!(!names("UPDATE b SET area = 1, data = 2", "a"));
        assert!(!names("INSERT INTO audit_log_x VALUES (1)", "audit_log"));
    }

    #[test]
    fn writes_to_other_tables_join_and_a_second_write_to_one_waits() {
        let sizes = |statements: Vec<Statement>| -> Vec<usize> {
            groups(statements).iter().map(Vec::len).collect()
        };
        assert_eq!(
            sizes(vec![
                statement("INSERT INTO a VALUES ($1)", 1),
                statement("INSERT INTO b VALUES ($1)", 1),
                statement("UPDATE c SET x = $1", 1),
                // a again: after the group that wrote it.
                statement("UPDATE a SET x = $1", 1),
                statement("DELETE FROM b WHERE x = $1", 1),
                // Reads a, written before it in the group.
                statement("INSERT INTO f SELECT x FROM \"a\"", 0),
                // Not a plain write: alone, and nothing joins it.
                statement("WITH v AS (VALUES (1)) UPDATE d SET x = 1", 0),
                statement("INSERT INTO e VALUES ($1)", 1),
            ]),
            [3, 2, 1, 1, 1]
        );
        assert_eq!(sizes(Vec::new()), Vec::<usize>::new());
        assert!(run_as_one(&[
            statement("INSERT INTO a VALUES ($1)", 1),
            statement("UPDATE b SET x = $1 FROM (VALUES (1)) AS v(y)", 1),
        ]));
        assert!(run_as_one(&[statement(
            "WITH v AS (VALUES (1)) UPDATE d SET x = 1",
            0
        )]));
        assert!(!run_as_one(&[]));
        assert!(!run_as_one(&[
            statement("INSERT INTO a VALUES ($1)", 1),
            statement("UPDATE a SET x = $1", 1),
        ]));
    }

    #[test]
    fn a_joined_group_numbers_its_values_in_order() {
        let joined = joined(vec![
            statement("INSERT INTO a (x, y) VALUES ($1, $2);", 2),
            statement("UPDATE b SET x = $1", 1),
        ]);
        assert_eq!(
            joined.sql,
            "WITH w0 AS (INSERT INTO a (x, y) VALUES ($1, $2) RETURNING 1), \
             w1 AS (UPDATE b SET x = $3 RETURNING 1) \
             SELECT (SELECT count(*) FROM w0) + (SELECT count(*) FROM w1) AS changed"
        );
        assert_eq!(joined.values.map(|v| v.0.len()), Some(3));
    }
}
