//! Errors of the use cases, each one mapping to a clear answer for the caller.

use domain::{Violation, Violations};
use store::StoreError;
use store::transaction::Transient;

/// Why a use case did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input broke rules; every violation is listed.
    #[error("invalid input: {0}")]
    Invalid(Violations),
    /// Not signed in, or the credentials are wrong.
    #[error("not signed in")]
    Unauthenticated,
    /// Signed in but not allowed.
    #[error("not allowed")]
    Forbidden,
    /// No such record within the caller's reach.
    #[error("not found")]
    NotFound,
    /// A rule of the business refuses the change (state machine, capacity, …); the
    /// violation names the field and the rule.
    #[error("refused: {0}")]
    Refused(Violations),
    /// Too many attempts; try again after the given UTC ms.
    #[error("too many attempts")]
    TooManyAttempts {
        /// When to try again, UTC ms.
        retry_at: i64,
    },
    /// The database kept losing races for this use case and the transaction runner
    /// gave up; nothing was written. Answered 503 with `Retry-After`.
    #[error("busy: {0}")]
    Busy(&'static str),
    /// The database failed.
    #[error("storage: {0}")]
    Store(StoreError),
    /// Something unexpected that is not the caller's fault.
    #[error("internal: {0}")]
    Internal(String),
}

/// Result of a use case.
pub type AppResult<T> = Result<T, AppError>;

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            // A well-formed value another record already holds: the records refuse it
            // (409), as the API document declares for a schema-valid request.
            StoreError::Duplicate(field) => {
                AppError::Refused(Violation::new(field, "unique").into())
            }
            StoreError::Conflict(rule) => AppError::Refused(Violation::new("state", rule).into()),
            StoreError::Busy(use_case) => AppError::Busy(use_case),
            other => AppError::Store(other),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::from(StoreError::from(e))
    }
}

impl From<Violations> for AppError {
    fn from(v: Violations) -> Self {
        AppError::Invalid(v)
    }
}

impl From<Violation> for AppError {
    fn from(v: Violation) -> Self {
        AppError::Invalid(v.into())
    }
}

impl From<domain::permission::Denied> for AppError {
    fn from(_: domain::permission::Denied) -> Self {
        AppError::Forbidden
    }
}

impl Transient for AppError {
    fn transient(&self) -> bool {
        matches!(self, AppError::Store(e) if e.transient())
    }
}
