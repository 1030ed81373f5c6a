//! What the one transaction runner ([`crate::db::Db::run`]) retries, and how: every
//! write of a use case runs as a closure that gets a fresh transaction and hands it
//! back to be committed. When the database answers
//! that the transaction lost a race it could not see coming — PostgreSQL's deadlock
//! (`40P01`) or serialization failure (`40001`), SQLite's busy or locked — the whole
//! closure runs again on a fresh transaction, after a short jittered pause, up to
//! [`ATTEMPTS`] times. Only then does the caller get [`StoreError::Busy`], which the
//! web layer answers with 503 and `Retry-After`, never a 500.
//!
//! Retries and give-ups are counted in `/metrics` by use case
//! (`db_transaction_retries_total`, `db_transaction_give_ups_total`).
//!
//! Lock order. Runs that lock the same rows in the same order cannot deadlock, so the
//! rows that bookings fight over are always locked in one order: capacity slots by
//! station, then slot start (see [`crate::capacity::lock`]); within a slot the bay
//! row before the technician rows.

use crate::error::StoreError;
use std::time::Duration;

/// Attempts of one transaction before the caller is told to come back later.
pub const ATTEMPTS: u32 = 6;

/// The first pause between attempts, in milliseconds; it doubles each attempt.
const BASE_PAUSE_MS: u64 = 4;

/// The longest pause between attempts, in milliseconds.
const MAX_PAUSE_MS: u64 = 200;

/// Seconds a caller is told to wait after the runner gave up.
pub const RETRY_AFTER_SECS: u32 = 1;

/// Errors that may say "this transaction lost a race; run it again".
pub trait Transient {
    /// Whether running the same transaction again may succeed.
    fn transient(&self) -> bool;
}

impl Transient for StoreError {
    fn transient(&self) -> bool {
        match self {
            StoreError::Database(e) => is_transient(e),
            _ => false,
        }
    }
}

impl Transient for sqlx::Error {
    fn transient(&self) -> bool {
        is_transient(self)
    }
}

/// Whether a database error is a deadlock, a serialization failure or a busy/locked
/// database: the transaction was rolled back and may be run again as it is.
pub fn is_transient(e: &sqlx::Error) -> bool {
    let sqlx::Error::Database(d) = e else {
        return false;
    };
    match d.code().as_deref() {
        // PostgreSQL: deadlock detected, serialization failure.
        Some("40P01" | "40001") => true,
        // SQLite primary and extended result codes of SQLITE_BUSY (5) and SQLITE_LOCKED (6).
        Some("5" | "6" | "261" | "262" | "517" | "773") => true,
        _ => {
            let m = d.message();
            m.contains("database is locked") || m.contains("database table is locked")
        }
    }
}

/// The pause before attempt `n + 1` (n ≥ 1): exponential with full jitter, so runs
/// that collided do not collide again in step.
pub fn pause(n: u32, unit: f64) -> Duration {
    let ceiling = (BASE_PAUSE_MS << n.min(8)).min(MAX_PAUSE_MS);
    Duration::from_micros((ceiling as f64 * 1000.0 * unit.clamp(0.0, 1.0)) as u64 + 500)
}

/// A uniform number in `[0, 1)` for the jitter.
fn jitter() -> f64 {
    rand::random::<f64>()
}

/// After the `n`th attempt of `use_case` failed with a transient error: counts it and
/// pauses before the next attempt, or counts the give-up and answers `false` when
/// that was the last of [`ATTEMPTS`].
pub(crate) async fn again(use_case: &'static str, n: u32) -> bool {
    if n >= ATTEMPTS {
        metrics::counter!("db_transaction_give_ups_total", "use_case" => use_case).increment(1);
        tracing::warn!(use_case, attempts = n, "transaction gave up after retries");
        return false;
    }
    metrics::counter!("db_transaction_retries_total", "use_case" => use_case).increment(1);
    tracing::debug!(
        use_case,
        attempt = n,
        "transient database conflict; running again"
    );
    tokio::time::sleep(pause(n, jitter())).await;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_and_stay_bounded() {
        assert!(pause(1, 1.0) < pause(3, 1.0));
        assert!(pause(30, 1.0) <= Duration::from_millis(MAX_PAUSE_MS + 1));
        assert!(pause(1, 0.0) > Duration::ZERO);
    }

    #[test]
    fn jitter_is_a_unit_fraction() {
        for _ in 0..100 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }

    #[test]
    fn only_database_races_are_transient() {
        assert!(!StoreError::NotFound.transient());
        assert!(!StoreError::Conflict("x").transient());
        assert!(!StoreError::Database(sqlx::Error::RowNotFound).transient());
    }
}
