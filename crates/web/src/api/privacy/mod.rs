//! Personal information: the consent ledger and the privacy officer's audit search.

pub mod audit_search;
pub mod consent;

use crate::AppState;
use axum::Router;

/// The OpenAPI description of this area.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    consent::of_customer,
    consent::record,
    consent::own,
    audit_search::search,
    audit_search::export
))]
pub struct PrivacyApi;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(consent::router())
        .merge(audit_search::router())
}
