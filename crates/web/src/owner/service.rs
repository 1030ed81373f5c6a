//! The owner's service pages: book, my appointments, progress, approve the estimate, pay, rate.

use crate::AppState;
use axum::Router;

/// Routes of the owner's service pages.
pub fn router() -> Router<AppState> {
    Router::new()
}
