//! Personal information: the consent ledger, the privacy officer's audit search and
//! the owner's rights (requests; the complete export is `GET /api/v1/me/data` in
//! `customer`).

pub mod audit_search;
pub mod consent;
pub mod request;

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
