//! Estimate lines on the order page: add a line, record the owner's decision taken at
//! the desk.

use super::form::FormData;
use super::session::ConsoleUser;
use crate::AppState;
use crate::console::repair_order::outcome;
use crate::console::session::grant;
use app::AppError;
use app::estimate::{DecisionInput, LineInput};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::post;
use domain::permission::Action;

/// Routes of these pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/orders/{id}/lines", post(add_line))
        .route("/console/orders/{id}/lines/{no}/decide", post(decide))
}

async fn add_line(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let price = form.get("unit_price_fen").trim();
    let r = match grant(&user, Action::RepairOrderWrite) {
        Ok(g) => {
            let input = LineInput {
                kind: form.get("kind").trim().to_string(),
                code: form.get("code").trim().to_string(),
                hundredths: None,
                unit_price_fen: price.parse().ok(),
            };
            if !price.is_empty() && input.unit_price_fen.is_none() {
                Err(AppError::Invalid(
                    domain::Violation::new("unit_price_fen", "type.integer").into(),
                ))
            } else {
                app::estimate::add_line(&s.app, &g, id, &input)
                    .await
                    .map(|_| ())
            }
        }
        Err(e) => Err(e),
    };
    outcome(&s, &user, id, r).await
}

async fn decide(
    State(s): State<AppState>,
    user: ConsoleUser,
    parts: Parts,
    Path((id, no)): Path<(i64, u32)>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let input = DecisionInput {
        by: form.get("by").trim().to_string(),
        channel: "desk_signature".into(),
        ip: crate::api::client_ip(&parts),
        signature_ref: Some(form.get("signature").trim().to_string()).filter(|s| !s.is_empty()),
        promised_at: None,
    };
    let r = match grant(&user, Action::RepairOrderWrite) {
        Ok(g) if form.get("decision") == "decline" => {
            app::estimate::decline(&s.app, &g, id, no, &input).await
        }
        Ok(g) => app::estimate::approve(&s.app, &g, id, no, &input).await,
        Err(e) => Err(e),
    };
    outcome(&s, &user, id, r).await
}
