//! Appointments, capacity, repair orders, estimates and approvals, the transparent workshop, KPIs (SPEC §4–§5).

use crate::AppState;
use axum::Router;

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub struct ServiceApi;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new()
}
