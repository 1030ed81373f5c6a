//! The capacity page of a station: publish its slots from its bays and certified
//! technicians. A publication below what is booked is never silent: the page lists
//! the appointments that would lose their place (plate, owner, time) and asks to
//! confirm the "move these" step, which moves each to the nearest free time or
//! cancels it, telling the owner; the result lists what happened to each.

use super::chrome::show_time;
use super::form::{DetailPage, FormData, FormPage, Section, error_page, render};
use super::session::ConsoleUser;
use crate::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use domain::permission::Action;

/// Routes of this page.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/console/stations/{id}/capacity",
        get(publish_form).post(publish),
    )
}

/// The inputs: the same names as the API's.
const FIELDS: &[(&str, &str)] = &[
    ("first_day", "date"),
    ("days", "number"),
    ("move_affected", "checkbox"),
];

fn form_page(user: &ConsoleUser, id: i64, values: &serde_json::Value) -> FormPage {
    let chrome = user.chrome("stations");
    let title = chrome.t("cap.publish");
    let station = chrome.t("nav.stations");
    FormPage::new(
        chrome.crumb(format!("/console/stations/{id}"), station),
        title,
        format!("/console/stations/{id}/capacity"),
        FIELDS,
        values,
    )
}

async fn publish_form(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
) -> Response {
    let today = jiff::Timestamp::from_millisecond(s.app.now_ms())
        .map(|t| {
            t.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC))
                .date()
                .to_string()
        })
        .unwrap_or_default();
    let values = serde_json::json!({"first_day": today, "days": "30"});
    let page = form_page(&user, id, &values);
    if user.session.principal.grant(Action::CapacityAdmin).is_err() {
        return error_page(page.chrome, &app::AppError::Forbidden);
    }
    render(&page, StatusCode::OK)
}

async fn publish(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let mut page = form_page(&user, id, &form.to_json());
    let Ok(grant) = user.session.principal.grant(Action::CapacityAdmin) else {
        return error_page(page.chrome, &app::AppError::Forbidden);
    };
    let lang = user.lang;
    let first_day: Option<jiff::civil::Date> = form.get("first_day").trim().parse().ok();
    let days: Option<u32> = form.get("days").trim().parse().ok();
    let (Some(first_day), Some(days)) = (first_day, days) else {
        let e = app::AppError::Invalid(
            domain::Violation::new(
                if first_day.is_none() {
                    "first_day"
                } else {
                    "days"
                },
                if first_day.is_none() {
                    "date.format"
                } else {
                    "number.range"
                },
            )
            .into(),
        );
        let (page, status) = page.with_error(&e);
        return render(&page, status);
    };
    let move_affected = form.get("move_affected") == "on";
    match app::capacity::publish_moving(&s.app, &grant, id, first_day, days, None, move_affected)
        .await
    {
        Ok(done) => {
            let chrome = page.chrome.clone();
            let rows = done
                .relocated
                .iter()
                .map(|r| {
                    vec![
                        r.plate.clone().unwrap_or_default(),
                        r.customer_name.clone(),
                        show_time(r.from),
                        r.to.map_or_else(|| chrome.t("cap.cancelled"), show_time),
                        chrome.t(if r.owner_notified { "yes" } else { "no" }),
                    ]
                })
                .collect();
            let moved = Section {
                title: chrome.t("cap.relocated"),
                headers: vec![
                    chrome.t("field.plate"),
                    chrome.t("cap.owner"),
                    chrome.t("cap.from"),
                    chrome.t("cap.to"),
                    chrome.t("field.owner_notified"),
                ],
                rows,
            };
            render(
                &DetailPage {
                    title: chrome.t("cap.publish"),
                    facts: vec![(chrome.t("cap.slots"), done.slots.to_string())],
                    edit_href: None,
                    links: vec![],
                    reveal: None,
                    consent: None,
                    sections: vec![moved],
                    notice: Some(chrome.t("cap.published")),
                    error: None,
                    chrome,
                },
                StatusCode::OK,
            )
        }
        Err(e) if is_below_booked(&e) => {
            // The confirmation: who would lose their place, and the step to tick.
            let affected = app::capacity::affected(&s.app, &grant, id, first_day, days)
                .await
                .unwrap_or_default();
            let list: Vec<String> = affected
                .iter()
                .map(|a| {
                    format!(
                        "{} {} {}",
                        a.plate
                            .clone()
                            .unwrap_or_else(|| format!("#{}", a.appointment_id)),
                        a.customer_name,
                        show_time(a.start_at)
                    )
                })
                .collect();
            page.error = Some(format!(
                "{} {}",
                crate::i18n::tables().t(lang, "cap.confirm_move"),
                list.join("; ")
            ));
            render(&page, StatusCode::CONFLICT)
        }
        Err(e) => {
            let (page, status) = page.with_error(&e);
            render(&page, status)
        }
    }
}

fn is_below_booked(e: &app::AppError) -> bool {
    matches!(e, app::AppError::Refused(v)
        if v.0.iter().any(|x| x.rule == "capacity.below_booked"))
}
