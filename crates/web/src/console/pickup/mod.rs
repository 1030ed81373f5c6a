//! Pick-up and delivery pages (上门取送车): a station's hand-overs by day, the form to
//! schedule one for an appointment (pick-up to the station) or a repair order (return
//! to the owner), and the hand-over page: driver, checklist, photos (a plain
//! `multipart/form-data` upload, checked like the API: type, size, magic bytes), the
//! owner's confirmation at the car with a signature reference, cancel with a reason,
//! and the history. Everything works without JavaScript. The day's list and the
//! schedule form are here; the hand-over page is in `handover`.

mod address;
mod handover;
mod named;
mod reveal;

use crate::console::appointment::pick_station;
use crate::console::chrome::{Chrome, ListQuery, Pager, SortHeader, show_time};
use crate::console::select::SearchSelect;
use handover::*;
pub use handover::{
    UPLOAD_READ_LIMIT, Upload, photo_response, photo_status, read_file_upload, read_upload,
};

use crate::console::form::{FormData, FormPage, answer, error_page, read_input, render, t};

use crate::console::session::ConsoleUser;

use crate::AppState;

use crate::console::session::grant;

use crate::error::{Problem, page_error};

use app::AppError;

use app::pickup::PickupInput;

use app::pickup::{READ, WRITE};

use askama::Template;

use axum::Router;

use axum::extract::{DefaultBodyLimit, Query, State};

use axum::http::StatusCode;

use axum::response::Response;

use axum::routing::{get, post};

use domain::permission::Grant;

use domain::Violation;

use std::collections::HashMap;

/// Routes of the pick-up pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/pickups", get(list).post(create))
        .route("/console/pickups/new", get(new_page).post(new_from_button))
        .route("/console/pickups/{id}", get(detail))
        .route("/console/pickups/{id}/driver", post(driver))
        .route("/console/pickups/{id}/checklist", post(checklist))
        .route(
            "/console/pickups/{id}/photos",
            post(upload).layer(DefaultBodyLimit::max(UPLOAD_READ_LIMIT)),
        )
        .route("/console/pickups/{id}/photos/{photo_id}", get(photo))
        .route("/console/pickups/{id}/confirm", post(confirm))
        .route("/console/pickups/{id}/cancel", post(cancel))
        .route("/console/pickups/{id}/reveal", post(reveal::reveal))
}

/// `2026-11-24 17:00–19:00` (the end with its date when on another day).
pub(crate) fn window(start: i64, end: i64) -> String {
    let (s, e) = (show_time(start), show_time(end));
    match (s.split_once(' '), e.split_once(' ')) {
        (Some((sd, _)), Some((ed, et))) if sd == ed => format!("{s}–{et}"),
        _ => format!("{s} – {e}"),
    }
}

/// The pick-ups of a repair order as rows for its page: (link, kind, window, state).
pub(crate) async fn of_order_rows(
    s: &AppState,
    grant: &Grant,
    lang: crate::i18n::Lang,
    order_id: i64,
) -> Vec<(String, String, String, String)> {
    match app::pickup::of_order(&s.app, grant, order_id).await {
        Ok(list) => list
            .into_iter()
            .map(|p| {
                (
                    format!("/console/pickups/{}", p.id),
                    t(lang, &format!("pk.kind.{}", p.kind)),
                    window(p.window_start, p.window_end),
                    t(lang, &format!("pk.state.{}", p.state)),
                )
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "order page: no pick-ups");
            vec![]
        }
    }
}

/// Active staff of a station, for the driver choice.
async fn drivers(s: &AppState, lang: crate::i18n::Lang, station_id: i64) -> Vec<(i64, String)> {
    crate::console::people::choices(s, lang, station_id, None).await
}

// ----- list -----

/// One hand-over in the day's list.
struct ListRow {
    id: i64,
    window: String,
    kind: String,
    address: String,
    driver: String,
    state: String,
    state_code: String,
}

/// The day's pick-ups and deliveries of a station.
#[derive(Template)]
#[template(path = "pickup_list.html")]
struct ListPage {
    chrome: Chrome,
    title: String,
    day: String,
    /// The station picker (people who reach more than one station).
    station_select: Option<SearchSelect>,
    station: String,
    can_write: bool,
    /// Column headings, the sortable ones as links with `aria-sort`.
    sort: Vec<SortHeader>,
    rows: Vec<ListRow>,
    pager: Option<Pager>,
    error: Option<String>,
}

async fn list(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = user.lang;
    let chrome = user
        .chrome("pickups")
        .crumb("/console/pickups", t(lang, "pk.title"));
    let g = match grant(&user, READ) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let asked = q.get("station").and_then(|v| v.trim().parse::<i64>().ok());
    // Head office and regions pick the station by name (the stations in reach).
    let (station_select, station) = match grant(&user, domain::permission::Action::AppointmentRead)
    {
        Ok(ag) => pick_station(&s, &user, &ag, asked).await,
        Err(_) => (
            None,
            asked.or_else(|| app::repair_order::view::station_of(&user.session.principal)),
        ),
    };
    let lq = ListQuery::read(
        "/console/pickups",
        &q,
        app::pickup::PICKUP_ORDERS,
        &["station", "day"],
    );
    let sort = lq.headers(
        [
            ("pk.window", Some("window")),
            ("pk.kind", Some("kind")),
            ("pk.address", None),
            ("pk.driver", Some("driver")),
            ("pk.state", Some("state")),
        ]
        .iter()
        .map(|(k, key)| (t(lang, k), *key))
        .collect(),
    );
    let mut page = ListPage {
        title: t(lang, "pk.title"),
        day: String::new(),
        station_select,
        station: station.map(|s| s.to_string()).unwrap_or_default(),
        can_write: grant(&user, WRITE).is_ok(),
        sort,
        rows: vec![],
        pager: None,
        error: None,
        chrome,
    };
    let Some(station) = station else {
        // Nothing in reach to pick from.
        return render(&page, StatusCode::OK);
    };
    let day = q.get("day").map(|d| d.trim()).filter(|d| !d.is_empty());
    let (date, from, to) = match crate::api::capacity::day_range(&s.app, station, day, lang).await {
        Ok(r) => r,
        Err(e) => {
            let e = match e.problem {
                Problem::App(e) => e,
                _ => AppError::Invalid(Violation::new("day", "date.format").into()),
            };
            let (msg, status) = page_error(lang, &e);
            page.error = Some(msg);
            return render(&page, status);
        }
    };
    page.day = date.to_string();
    page.title = format!("{} · {date}", t(lang, "pk.title"));
    let found =
        match app::pickup::list_page(&s.app, &g, station, from, to, lq.order, lq.page()).await {
            Ok(r) => r,
            Err(e) => return error_page(page.chrome, &e),
        };
    page.pager = Some(lq.pager(lang, found.total, found.page, found.pages()));
    let rows = found.items;
    let names = drivers(&s, lang, station).await;
    page.rows = rows
        .iter()
        .map(|p| ListRow {
            id: p.id,
            window: window(p.window_start, p.window_end),
            kind: t(lang, &format!("pk.kind.{}", p.kind)),
            address: p.address.clone(),
            driver: p
                .driver_id
                .map(|d| {
                    names
                        .iter()
                        .find(|n| n.0 == d)
                        .map(|n| n.1.clone())
                        .unwrap_or_else(|| format!("#{d}"))
                })
                .unwrap_or_else(|| t(lang, "pk.no_driver")),
            state: t(lang, &format!("pk.state.{}", p.state)),
            state_code: p.state.clone(),
        })
        .collect();
    render(&page, StatusCode::OK)
}

// ----- schedule -----

const FORM_FIELDS: [(&str, &str); 6] = [
    ("appointment_id", "number"),
    ("repair_order_id", "number"),
    ("address", "text"),
    ("window_start", "text"),
    ("window_end", "text"),
    ("driver_id", "select"),
];

/// The schedule form, filled from `values`, with the station's staff as drivers when
/// the station is known.
async fn schedule_form(
    s: &AppState,
    user: &ConsoleUser,
    values: &serde_json::Value,
) -> Result<FormPage, AppError> {
    let lang = user.lang;
    let g = grant(user, READ)?;
    let chrome = user
        .chrome("pickups")
        .crumb("/console/pickups", t(lang, "pk.title"));
    let mut values = values.clone();
    let id_of = |k: &str| {
        values
            .get(k)
            .and_then(|v| v.as_str())
            .and_then(|v| v.trim().parse::<i64>().ok())
    };
    // The station (for the driver list), and a window ending at the appointment.
    let mut station = app::repair_order::view::station_of(&user.session.principal);
    let appointment = id_of("appointment_id");
    let order = if appointment.is_none() {
        id_of("repair_order_id")
    } else {
        None
    };
    if let Ok(Some((st, start))) = app::pickup::source(&s.app, &g, appointment, order).await {
        station = Some(st);
        if let Some(start) = start
            && values.get("window_end").and_then(|v| v.as_str()).is_none()
        {
            values["window_start"] = show_time(start - 2 * 3_600_000).into();
            values["window_end"] = show_time(start).into();
        }
    }
    let mut options = vec![(String::new(), t(lang, "pk.no_driver"))];
    if let Some(st) = station {
        options.extend(
            drivers(s, lang, st)
                .await
                .into_iter()
                .map(|(id, n)| (id.to_string(), n)),
        );
    }
    Ok(FormPage::new(
        chrome,
        t(lang, "pk.new"),
        "/console/pickups".into(),
        &FORM_FIELDS,
        &values,
    )
    .options("driver_id", options))
}

/// The values a schedule form starts from: the ids it was opened with.
fn prefill(get: impl Fn(&str) -> Option<String>) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for k in ["appointment_id", "repair_order_id"] {
        if let Some(v) = get(k).filter(|v| !v.trim().is_empty()) {
            m.insert(k.into(), v.trim().to_string().into());
        }
    }
    serde_json::Value::Object(m)
}

async fn new_page(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let values = prefill(|k| q.get(k).cloned());
    match schedule_form(&s, &user, &values).await {
        Ok(page) => render(&page, StatusCode::OK),
        Err(e) => error_page(user.chrome("pickups"), &e),
    }
}

/// The "pick-up" button of an appointment row posts here: the form, filled in.
async fn new_from_button(State(s): State<AppState>, user: ConsoleUser, form: FormData) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let values = prefill(|k| Some(form.get(k).to_string()));
    match schedule_form(&s, &user, &values).await {
        Ok(page) => render(&page, StatusCode::OK),
        Err(e) => error_page(user.chrome("pickups"), &e),
    }
}

async fn create(State(s): State<AppState>, user: ConsoleUser, form: FormData) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let values = form.to_json();
    let page = match schedule_form(&s, &user, &values).await {
        Ok(p) => p,
        Err(e) => return error_page(user.chrome("pickups"), &e),
    };
    let result = match grant(&user, WRITE) {
        Ok(g) => match read_input::<PickupInput>(&form) {
            Ok(input) => app::pickup::schedule(&s.app, &g, &input).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    answer(page, result, |id| {
        format!("/console/pickups/{id}?notice=scheduled")
    })
}
