//! The cashier's pages: a bill with its payments and refunds and the refund form
//! ([`bill`]), and the payment-notice ledger ([`notice`]).

pub mod bill;
pub mod notice;

use crate::AppState;
use axum::Router;

/// Routes of the billing pages.
pub fn router() -> Router<AppState> {
    notice::router().merge(bill::router())
}
