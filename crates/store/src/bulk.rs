//! Multi-row inserts: many rows per statement, so loading a million rows takes seconds,
//! not minutes. The one helper behind the demo builder, the CSV import and the
//! network simulator: [`Bulk`] collects values row by row and flushes full
//! statements; [`insert_all`] writes a slice of rows through it with one closure
//! that binds a row.

use crate::Backend;
use crate::error::{StoreError, StoreResult};
use sqlx::any::AnyArguments;
use sqlx::{AnyConnection, Arguments, AssertSqlSafe};
use std::sync::Arc;

/// Most bind parameters put in one statement. PostgreSQL allows 65,535 and SQLite
/// 32,766; staying well below both keeps statements a sensible size.
const MAX_PARAMS: usize = 16_000;

/// Most rows put in one statement.
const MAX_ROWS: usize = 1_000;

/// Collects rows for one table and writes them as `INSERT … VALUES (…),(…)`.
pub struct Bulk {
    head: String,
    numbered: bool,
    cols: usize,
    per_stmt: usize,
    full_sql: Arc<str>,
    args: AnyArguments,
    rows: usize,
    written: u64,
}

impl Bulk {
    /// A collector for `table` and its `cols`, in the order values will be pushed.
    ///
    /// PostgreSQL gets numbered placeholders (`$1`); SQLite gets anonymous ones (`?`),
    /// because SQLite looks a numbered parameter's name up by walking a list, which makes
    /// binding thousands of them per statement quadratic.
    pub fn new(backend: Backend, table: &str, cols: &[&str]) -> Bulk {
        let numbered = backend == Backend::Postgres;
        let per_stmt = (MAX_PARAMS / cols.len().max(1)).clamp(1, MAX_ROWS);
        let head = format!("INSERT INTO {table} ({}) VALUES ", cols.join(","));
        let full_sql: Arc<str> = Arc::from(values_sql(&head, numbered, cols.len(), per_stmt));
        Bulk {
            head,
            numbered,
            cols: cols.len(),
            per_stmt,
            full_sql,
            args: AnyArguments::default(),
            rows: 0,
            written: 0,
        }
    }

    /// Adds an integer to the current row.
    pub fn i(&mut self, v: i64) -> StoreResult<()> {
        self.args.add(v).map_err(bind_err)
    }

    /// Adds a nullable integer to the current row.
    pub fn oi(&mut self, v: Option<i64>) -> StoreResult<()> {
        self.args.add(v).map_err(bind_err)
    }

    /// Adds a text to the current row.
    pub fn s(&mut self, v: impl Into<String>) -> StoreResult<()> {
        self.args.add(v.into()).map_err(bind_err)
    }

    /// Adds a nullable text to the current row.
    pub fn os(&mut self, v: Option<String>) -> StoreResult<()> {
        self.args.add(v).map_err(bind_err)
    }

    /// Ends the current row; true when a statement is full and should be flushed.
    pub fn end_row(&mut self) -> bool {
        self.rows += 1;
        self.rows >= self.per_stmt
    }

    /// Rows written so far (flushed).
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Writes the collected rows, if any.
    pub async fn flush(&mut self, conn: &mut AnyConnection) -> StoreResult<()> {
        if self.rows == 0 {
            return Ok(());
        }
        if self.args.len() != self.rows * self.cols {
            // A binder that pushed too few or too many values: a bug, never a row.
            return Err(StoreError::Database(sqlx::Error::Protocol(format!(
                "bulk insert: {} values for {} rows of {} columns",
                self.args.len(),
                self.rows,
                self.cols
            ))));
        }
        let args = std::mem::take(&mut self.args);
        if self.rows == self.per_stmt {
            sqlx::query_with(AssertSqlSafe(self.full_sql.clone()), args)
                .execute(conn)
                .await?;
        } else {
            let sql = values_sql(&self.head, self.numbered, self.cols, self.rows);
            sqlx::query_with(AssertSqlSafe(sql), args)
                .execute(conn)
                .await?;
        }
        self.written += self.rows as u64;
        self.rows = 0;
        Ok(())
    }

    /// Ends the current row and flushes when the statement is full.
    pub async fn row_then_flush(&mut self, conn: &mut AnyConnection) -> StoreResult<()> {
        if self.end_row() {
            self.flush(conn).await?;
        }
        Ok(())
    }
}

/// Inserts every row of `rows` into `table` (columns `cols`) in multi-row statements;
/// `bind` pushes one row's values in column order. Answers the rows written.
pub async fn insert_all<T>(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
    cols: &[&str],
    rows: impl IntoIterator<Item = T>,
    mut bind: impl FnMut(&mut Bulk, T) -> StoreResult<()>,
) -> StoreResult<u64> {
    let mut b = Bulk::new(backend, table, cols);
    for r in rows {
        bind(&mut b, r)?;
        b.row_then_flush(conn).await?;
    }
    b.flush(conn).await?;
    Ok(b.written())
}

fn bind_err(e: sqlx::error::BoxDynError) -> StoreError {
    StoreError::Database(sqlx::Error::Encode(e))
}

/// `head` followed by `rows` groups of `cols` placeholders, numbered or not.
fn values_sql(head: &str, numbered: bool, cols: usize, rows: usize) -> String {
    let mut sql = String::with_capacity(head.len() + rows * cols * 7);
    sql.push_str(head);
    let mut n = 1;
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..cols {
            if c > 0 {
                sql.push(',');
            }
            if numbered {
                sql.push('$');
                sql.push_str(&n.to_string());
            } else {
                sql.push('?');
            }
            n += 1;
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_across_rows() {
        assert_eq!(
            values_sql("INSERT INTO t (a,b) VALUES ", true, 2, 2),
            "INSERT INTO t (a,b) VALUES ($1,$2),($3,$4)"
        );
        assert_eq!(
            values_sql("INSERT INTO t (a) VALUES ", false, 1, 2),
            "INSERT INTO t (a) VALUES (?),(?)"
        );
        let b = Bulk::new(Backend::Sqlite, "t", &["a"; 20]);
        assert_eq!(b.per_stmt, 800);
    }
}
