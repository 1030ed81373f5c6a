//! Payments through a provider interface with signed callbacks (a local sandbox provider ships), pick-up and delivery with photos, iCalendar feeds.

use crate::AppState;
use axum::Router;

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub struct PaymentApi;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new()
}
