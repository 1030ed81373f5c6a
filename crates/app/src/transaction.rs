//! The use cases' side of the one transaction runner ([`store::transaction`]): a use
//! case hands its whole transaction to [`run`] as a closure, which runs it again on a
//! deadlock, serialization failure or busy database and answers [`AppError::Busy`]
//! (503 with `Retry-After`) when it keeps losing.
//!
//! Lock order for slots: by station, then slot start, bay row before technician rows
//! ([`store::capacity::lock`]). A use case that changes slot counters locks every slot
//! it will touch — old and new ones alike — in that order before it reads the counts.

use crate::{App, AppError, AppResult};
use std::future::Future;
pub use store::transaction::{ATTEMPTS, RETRY_AFTER_SECS};

/// The use cases that run through the runner, by the name their counters carry.
pub const USE_CASES: [&str; 8] = [
    "appointment.book",
    "appointment.reschedule",
    "appointment.cancel",
    "appointment.no_show",
    "capacity.publish",
    "job.complete",
    "idempotency.claim",
    "idempotency.finish",
];

/// Runs one use case's transaction through the runner (see the module doc).
pub(crate) async fn run<T, F, Fut>(app: &App, use_case: &'static str, attempt: F) -> AppResult<T>
where
    F: FnMut(store::Tx) -> Fut,
    Fut: Future<Output = Result<(store::Tx, T), AppError>>,
{
    app.db.run(use_case, attempt).await
}

/// Describes the runner's counters and starts them at zero for every use case.
pub(crate) fn describe_metrics() {
    metrics::describe_counter!(
        "db_transaction_retries_total",
        "Transactions run again after a deadlock, serialization failure or busy database, by use case"
    );
    metrics::describe_counter!(
        "db_transaction_give_ups_total",
        "Transactions given up after every attempt lost (answered 503), by use case"
    );
    for use_case in USE_CASES {
        metrics::counter!("db_transaction_retries_total", "use_case" => use_case).increment(0);
        metrics::counter!("db_transaction_give_ups_total", "use_case" => use_case).increment(0);
    }
}
