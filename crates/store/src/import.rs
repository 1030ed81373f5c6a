//! Resume points of CSV imports (`app::import`): one row per file and kind, keyed by
//! the file's SHA-256, holding the last data row whose batch is committed. The row is
//! updated in the same transaction as the batch it counts, so after a crash it names
//! exactly the rows that are in the database.

use crate::error::StoreResult;
use sqlx::{AnyConnection, Row};

/// Where an import of one file stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRun {
    /// Its id.
    pub id: i64,
    /// The last data row (counting from 1 after the header) whose batch is committed.
    pub rows_done: u64,
    /// `writing` while batches are being written, `done` when the whole file is in.
    pub state: String,
}

/// The state of a run whose batches are being written.
pub const WRITING: &str = "writing";
/// The state of a run whose whole file is in.
pub const DONE: &str = "done";

/// The run of the file with `file_hash` as `kind`, if one was started.
pub async fn find(
    conn: &mut AnyConnection,
    file_hash: &str,
    kind: &str,
) -> StoreResult<Option<ImportRun>> {
    let row = sqlx::query(
        "SELECT id, rows_done, state FROM import_runs WHERE file_hash = $1 AND kind = $2",
    )
    .bind(file_hash)
    .bind(kind)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(ImportRun {
            id: r.try_get("id")?,
            rows_done: u64::try_from(r.try_get::<i64, _>("rows_done")?).unwrap_or(0),
            state: r.try_get("state")?,
        })
    })
    .transpose()
}

/// Starts the run of a checked file: `writing`, no rows done. A concurrent start of
/// the same file fails on the unique key instead of writing the rows twice.
pub async fn start(
    conn: &mut AnyConnection,
    file_hash: &str,
    kind: &str,
    now: i64,
) -> StoreResult<ImportRun> {
    let row = sqlx::query(
        "INSERT INTO import_runs (file_hash, kind, rows_done, state, started_at, updated_at) \
         VALUES ($1, $2, 0, $3, $4, $4) RETURNING id",
    )
    .bind(file_hash)
    .bind(kind)
    .bind(WRITING)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(ImportRun {
        id: row.try_get("id")?,
        rows_done: 0,
        state: WRITING.to_string(),
    })
}

/// Records that every data row up to `rows_done` is committed (call it inside the
/// batch's transaction), and the state.
pub async fn advance(
    conn: &mut AnyConnection,
    id: i64,
    rows_done: u64,
    state: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE import_runs SET rows_done = $1, state = $2, updated_at = $3 WHERE id = $4")
        .bind(i64::try_from(rows_done).unwrap_or(i64::MAX))
        .bind(state)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
