//! The walk-in form: a car that comes in without an appointment gets an order at the
//! desk, and a second open order for the same car asks for a reason first.

use crate::AppState;
use crate::console::form::{FormData, FormPage, answer, render, t};
use crate::console::session::{ConsoleUser, grant};
use crate::console::table::station_param;
use app::AppError;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::appointment::ServiceType;
use domain::permission::Action;
use std::collections::HashMap;

/// Inputs of the walk-in form: the same names as the API's walk-in body.
const WALK_IN_FIELDS: &[(&str, &str)] = &[
    ("station_id", "number"),
    ("vin", "text"),
    ("service_type", "select"),
    ("concern", "text"),
    ("concern_code", "text"),
];

fn walk_in_page(user: &ConsoleUser, values: &serde_json::Value) -> FormPage {
    let chrome = user.chrome("board");
    let lang = user.lang;
    let title = t(lang, "svc.walk_in");
    let chrome = chrome.crumb("/console/board", t(lang, "svc.board"));
    let types = ServiceType::ALL
        .iter()
        .map(|st| {
            (
                st.code().to_string(),
                t(lang, &format!("svc.type.{}", st.code())),
            )
        })
        .collect();
    FormPage::new(
        chrome,
        title,
        "/console/orders/new".into(),
        WALK_IN_FIELDS,
        values,
    )
    .options("service_type", types)
}

/// The desk opens an order for a car that came without an appointment.
pub(super) async fn walk_in_form(
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let station = station_param(&user, &q)
        .map(|s| s.to_string())
        .unwrap_or_default();
    let values = serde_json::json!({
        "station_id": station,
        "vin": q.get("vin").cloned().unwrap_or_default(),
        "service_type": "repair",
    });
    render(&walk_in_page(&user, &values), StatusCode::OK)
}

pub(super) async fn walk_in(
    State(s): State<AppState>,
    user: ConsoleUser,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let page = walk_in_page(&user, &form.to_json());
    let result = match grant(&user, Action::RepairOrderWrite) {
        Ok(g) => match form.get("station_id").trim().parse::<i64>() {
            Ok(station_id) => {
                let input = app::repair_order::WalkInInput {
                    station_id,
                    vehicle_id: 0,
                    vin: Some(form.get("vin").to_string()),
                    concern: form.get("concern").to_string(),
                    concern_code: Some(form.get("concern_code").to_string()),
                    service_type: Some(form.get("service_type").to_string()),
                    second_order_reason: Some(form.get("second_order_reason").to_string())
                        .filter(|r| !r.trim().is_empty()),
                };
                app::repair_order::open_walk_in(&s.app, &g, &input).await
            }
            Err(_) => Err(AppError::Invalid(
                domain::Violation::new("station_id", "type.integer").into(),
            )),
        },
        Err(e) => Err(e),
    };
    // The vehicle already has an open order: say which, and ask why a second one.
    if let Err(AppError::Refused(v)) = &result
        && let Some(open) = v.0.iter().find(|x| x.rule == "repair_order.open_exists")
    {
        let open_id = open
            .detail
            .as_deref()
            .and_then(|d| d.rsplit('/').next())
            .and_then(|n| n.parse::<i64>().ok())
            .unwrap_or(0);
        return second_order_page(&user, &form, open_id, None);
    }
    if let Err(AppError::Invalid(v)) = &result
        && let Some(bad) = v.0.iter().find(|x| x.field == "second_order_reason")
    {
        let msg = crate::i18n::tables().violation(user.lang, bad);
        return second_order_page(&user, &form, 0, Some(msg));
    }
    answer(page, result, |id| format!("/console/orders/{id}"))
}

/// The warning shown instead of opening a second order for a car already in the shop.
#[derive(askama::Template)]
#[template(path = "second_order.html")]
struct SecondOrderPage {
    chrome: crate::console::Chrome,
    title: String,
    warning: String,
    open_href: String,
    open_label: String,
    fields: Vec<(String, String)>,
    reason_error: Option<String>,
}

fn second_order_page(
    user: &ConsoleUser,
    form: &FormData,
    open_id: i64,
    reason_error: Option<String>,
) -> Response {
    let lang = user.lang;
    let page = SecondOrderPage {
        chrome: user
            .chrome("board")
            .crumb("/console/board", t(lang, "svc.board")),
        title: t(lang, "svc.walk_in"),
        warning: t(lang, "svc.open_order_exists"),
        open_href: if open_id > 0 {
            format!("/console/orders/{open_id}")
        } else {
            "/console/board".into()
        },
        open_label: if open_id > 0 {
            format!("{} #{open_id}", t(lang, "svc.order"))
        } else {
            t(lang, "svc.board")
        },
        fields: form
            .0
            .iter()
            .filter(|(k, _)| k != "second_order_reason" && k != crate::idempotency::FORM_FIELD)
            .cloned()
            .collect(),
        reason_error,
    };
    render(&page, StatusCode::CONFLICT)
}
