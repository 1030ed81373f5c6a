//! The cashier's pages: a bill with its payments and refunds and the refund form
//! ([`bill`]), the payment-notice ledger ([`notice`]) and the daily reconciliation
//! ([`reconciliation`]).

pub mod bill;
pub mod notice;
pub mod reconciliation;

use crate::AppState;
use axum::Router;

/// Routes of the billing pages.
pub fn router() -> Router<AppState> {
    notice::router()
        .merge(bill::router())
        .merge(reconciliation::router())
}
