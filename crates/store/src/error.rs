//! Errors of the store.

/// What can go wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such record (or not within the caller's reach).
    #[error("not found")]
    NotFound,
    /// A unique value is taken; names the field.
    #[error("{0} is already taken")]
    Duplicate(&'static str),
    /// A concurrent change got there first, or a guarded update matched nothing.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The transaction kept losing races (deadlock, serialization failure, busy
    /// database) and the runner gave up; names the use case. Try again shortly.
    #[error("busy: {0} gave up after retries")]
    Busy(&'static str),
    /// The database said no.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// Maps a unique-constraint failure to [`StoreError::Duplicate`] naming `field`.
    pub fn unique_as(field: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Duplicate(field),
            _ => StoreError::Database(e),
        }
    }
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;
