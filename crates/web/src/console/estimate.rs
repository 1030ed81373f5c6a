//! Estimate lines on the order page: add a line, record the owner's decision taken at
//! the desk.

use super::form::FormData;
use super::session::ConsoleUser;
use crate::AppState;
use crate::console::repair_order::{confirm_page, outcome};
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
    // Part prices are typed in yuan (stored in fen); quantities as plain numbers.
    let price = form.get("unit_price_yuan").trim();
    let qty = form.get("quantity").trim();
    let r = match grant(&user, Action::RepairOrderWrite) {
        Ok(g) => {
            let mut bad = vec![];
            let unit_price_fen = match price {
                "" => None,
                p => match domain::money::Money::parse_yuan(p) {
                    Ok(m) => Some(m.fen()),
                    Err(_) => {
                        bad.push(domain::Violation::new("unit_price_yuan", "money.format"));
                        None
                    }
                },
            };
            let hundredths = match qty {
                "" => None,
                q => match q.parse::<f64>() {
                    Ok(v) if v.is_finite() && v > 0.0 && v <= 10_000.0 => {
                        Some((v * 100.0).round() as i64)
                    }
                    _ => {
                        bad.push(domain::Violation::new("quantity", "type.number"));
                        None
                    }
                },
            };
            if bad.is_empty() {
                let input = LineInput {
                    kind: form.get("kind").trim().to_string(),
                    code: form.get("code").trim().to_string(),
                    hundredths,
                    unit_price_fen,
                };
                app::estimate::add_line(&s.app, &g, id, &input)
                    .await
                    .map(|_| ())
            } else {
                Err(AppError::Invalid(domain::Violations(bad)))
            }
        }
        Err(e) => Err(e),
    };
    outcome(&s, &user, id, r, &form).await
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
    // Declining is irreversible: without JavaScript's dialog, ask on a page first.
    if form.get("decision") == "decline" && form.get("confirmed") != "1" {
        return confirm_page(&user, &form, "svc.confirm_decline");
    }
    let r = match grant(&user, Action::RepairOrderWrite) {
        Ok(g) if form.get("decision") == "decline" => {
            app::estimate::decline(&s.app, &g, id, no, &input).await
        }
        Ok(g) => app::estimate::approve(&s.app, &g, id, no, &input).await,
        Err(e) => Err(e),
    };
    outcome(&s, &user, id, r, &form).await
}
