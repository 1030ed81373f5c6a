//! Helpers for queries whose conditions are built at run time.

use crate::error::StoreResult;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// A value bound to a dynamically built query.
#[derive(Debug, Clone)]
pub enum Bind {
    /// An integer.
    I(i64),
    /// A text.
    S(String),
}

/// Binds every value in order.
pub fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for b in binds {
        q = match b {
            Bind::I(i) => q.bind(*i),
            Bind::S(s) => q.bind(s.as_str()),
        };
    }
    q
}

/// Runs a `SELECT COUNT(*)` with the given binds.
pub async fn count(conn: &mut AnyConnection, sql: &str, binds: &[Bind]) -> StoreResult<i64> {
    let row = bind_all(sqlx::query(AssertSqlSafe(sql.to_string())), binds)
        .fetch_one(conn)
        .await?;
    Ok(row.try_get(0)?)
}
