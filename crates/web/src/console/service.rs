//! Service-loop pages: today's appointments, the board of open orders by stage, order detail, my jobs.

use crate::AppState;
use axum::Router;

/// Routes of the service-loop pages.
pub fn router() -> Router<AppState> {
    Router::new()
}
