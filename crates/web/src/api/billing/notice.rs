//! The payment-notice ledger over JSON: every notice a provider posted, with the
//! verdict it got, for the cashier (their station's bills) and head office (all).

use crate::AppState;
use crate::api::ListQuery;
use crate::error::{ApiError, ProblemDoc};
use crate::extract::Caller;
use app::billing::{NoticeFilterInput, NoticePage, READ};
use axum::Json;
use axum::extract::{Query, State};
use std::collections::HashMap;

/// The payment notices within reach, newest first, 50 a page: `bill_id` or
/// `bill_number` (the number printed on the bill), `verdict`
/// (`applied`, `duplicate`, `paid_late`, `signature_invalid`, `signature_stale`,
/// `amount_mismatch`, `unknown_payment`, …), `page` from 1. A station sees the
/// notices of its own bills; notices naming no known payment only head office.
#[utoipa::path(get, path = "/api/v1/payment-notices", tag = "payments", params(("bill_id" = Option<i64>, Query, minimum = 1), ("bill_number" = Option<String>, Query, max_length = 40), ("verdict" = Option<String>, Query), ("page" = Option<i64>, Query)), responses((status = 200, body = NoticePage), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn list_notices(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<NoticePage>, ApiError> {
    let g = c.grant(READ)?;
    let q = ListQuery(q);
    let f = NoticeFilterInput {
        bill_id: q.int("bill_id", c.lang)?,
        bill_number: q.text("bill_number"),
        verdict: q.text("verdict"),
        page: q.int("page", c.lang)?,
    };
    Ok(Json(
        app::billing::notices(&s.app, &g, &f)
            .await
            .map_err(|e| c.err(e))?,
    ))
}
