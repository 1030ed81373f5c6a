//! Personal information in the console: the consent section of the customer page and
//! the privacy officer's audit search.

pub mod audit_search;
pub mod consent;

use crate::AppState;
use axum::Router;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(consent::router())
        .merge(audit_search::router())
}
