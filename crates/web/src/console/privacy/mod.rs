//! Personal information in the console: the consent section of the customer page,
//! the privacy officer's audit search and head office's queue of owners' requests.

pub mod audit_search;
pub mod consent;
pub mod request;

use crate::AppState;
use axum::Router;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new().merge(audit_search::router())
}
