//! A group on SQLite's one writer: `BEGIN IMMEDIATE`, each write's statement,
//! `COMMIT`.

use super::{Counters, Request, Write, all_busy, retried};
use crate::error::StoreResult;
use sqlx::AnyPool;

/// Commits a group, retried while the database is busy (each caller told it is busy
/// when the retries run out); on any other failure runs each write alone.
pub(super) async fn commit(writer: &AnyPool, counters: &Counters, batch: Vec<Request>) {
    let writes: Vec<&Write> = batch.iter().map(|r| &r.write).collect();
    match retried(|| run(writer, &writes)).await {
        Err(_) => all_busy(batch),
        Ok(Ok(counts)) => {
            counters.committed(batch.len());
            for (r, count) in batch.into_iter().zip(counts) {
                let _ = r.reply.send(Ok(count));
            }
        }
        Ok(Err(_)) => {
            counters.failed();
            for r in batch {
                let outcome = alone(writer, &r.write).await;
                let _ = r.reply.send(outcome);
            }
        }
    }
}

/// One write in a transaction of its own, retried while the database is busy.
async fn alone(writer: &AnyPool, write: &Write) -> StoreResult<u64> {
    let writes = [write];
    let counts = retried(|| run(writer, &writes)).await??;
    Ok(counts.into_iter().sum())
}

/// The writes in one transaction; their row counts, in order.
async fn run(writer: &AnyPool, writes: &[&Write]) -> Result<Vec<u64>, sqlx::Error> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    let mut counts = Vec::with_capacity(writes.len());
    for w in writes {
        let r = super::bind(sqlx::query(w.sql), &w.args)
            .execute(&mut *tx)
            .await?;
        counts.push(r.rows_affected());
    }
    tx.commit().await?;
    Ok(counts)
}
