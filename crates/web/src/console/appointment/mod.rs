//! Appointment pages: the day / week view of a station's capacity and appointments
//! (slots with booked / free bays, the appointments in them by plate and customer
//! name), the booking form with its slot picker ([`book`]), opening a repair order
//! from an appointment, cancel with a reason and no-show (both confirmed first).

pub mod book;

use super::chrome::{Chrome, ListQuery, Pager, SortHeader};
use super::form::{FormData, error_page, render, t};
use super::select::{SearchSelect, StatusTag};
use super::session::ConsoleUser;
use crate::AppState;
use crate::console::session::grant;
use crate::error::page_error;
use crate::i18n::Lang;
use app::AppError;
use app::appointment::view::StationChoice;
use app::repair_order::OpenInput;
use app::repair_order::view::{self};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::permission::{Action, Grant};
use std::collections::HashMap;

/// Routes of these pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/appointments", get(appointments))
        .route(
            "/console/appointments/new",
            get(book::book_page).post(book::book),
        )
        .route("/console/appointments/{id}", get(book::confirmation))
        .route("/console/appointments/{id}/open", post(open_order))
        .route("/console/appointments/{id}/cancel", post(cancel))
        .route("/console/appointments/{id}/no-show", post(no_show))
}

/// The day / week view of a station's capacity and appointments.
#[derive(Template)]
#[template(path = "appointment_view.html")]
struct ViewPage {
    chrome: Chrome,
    title: String,
    notice: Option<String>,
    error: Option<String>,
    /// The station picker (people who reach more than one station).
    station_select: Option<SearchSelect>,
    /// The station's name.
    station_name: String,
    station_id: i64,
    week: bool,
    /// The week as a sortable, paged list (`view=list`) instead of the boards.
    list: Option<ListView>,
    /// The list view's headings as sort links: the list's column heads, and on the day
    /// and week boards (a calendar, not a table) the "sort by" row leading to the
    /// week's list in that order.
    sort: Vec<SortHeader>,
    list_href: String,
    date: String,
    prev: String,
    next: String,
    today: String,
    day_href: String,
    week_href: String,
    /// This view's own link, where the actions come back to.
    back: String,
    new_href: Option<String>,
    /// The station's capacity page, for those who may publish capacity.
    capacity_href: Option<String>,
    days: Vec<DayCol>,
}

/// The list view: headings, one page of appointments and the pager.
struct ListView {
    items: Vec<Item>,
    pager: Pager,
}

/// One day as the template shows it.
struct DayCol {
    date: String,
    heading: String,
    booked: usize,
    free: i64,
    closed: bool,
    slots: Vec<SlotLine>,
}

/// One slot: time, counts and its appointments.
struct SlotLine {
    time: String,
    bays: i64,
    used: i64,
    free: i64,
    items: Vec<Item>,
}

/// One appointment row with its actions.
struct Item {
    id: i64,
    /// The day, `12-01 周二` (shown in the list view).
    day: String,
    time: String,
    plate: String,
    model: String,
    customer: String,
    service: String,
    concern: String,
    tag: StatusTag,
    order_href: Option<String>,
    can_receive: bool,
    can_pickup: bool,
    can_cancel: bool,
    can_no_show: bool,
}

/// The station's name in the page's language.
pub(crate) fn station_name(lang: Lang, s: &StationChoice) -> String {
    match lang {
        Lang::ZhCn => s.name_zh.clone(),
        Lang::En => s.name_en.clone(),
    }
}

/// The station select of a page (name and code, searchable), or `None` when the user
/// reaches only their own station; and the station to show (the asked one, the
/// user's own, else the first within reach).
pub(crate) async fn pick_station(
    s: &AppState,
    user: &ConsoleUser,
    g: &Grant,
    asked: Option<i64>,
) -> (Option<SearchSelect>, Option<i64>) {
    let own = view::station_of(&user.session.principal);
    if let Some(own) = own {
        return (None, Some(own));
    }
    let lang = user.lang;
    let list = app::appointment::view::stations(&s.app, g, None, None, None, 5_000)
        .await
        .unwrap_or_default();
    let chosen = asked
        .filter(|a| list.iter().any(|s| s.id == *a))
        .or_else(|| list.first().map(|s| s.id));
    let select = SearchSelect {
        name: "station".into(),
        label: t(lang, "book.station"),
        hint: t(lang, "select.filter"),
        options: list
            .iter()
            .map(|st| {
                (
                    st.id.to_string(),
                    format!("{} · {} · {}", station_name(lang, st), st.code, st.city),
                )
            })
            .collect(),
        selected: chosen.map(|c| c.to_string()).unwrap_or_default(),
        empty: None,
        submit_on_change: true,
    };
    (Some(select), chosen)
}

async fn appointments(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let chrome = user.chrome("appointments");
    let lang = user.lang;
    let g = match grant(&user, Action::AppointmentRead) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let asked = q.get("station").and_then(|v| v.trim().parse().ok());
    let (station_select, station) = pick_station(&s, &user, &g, asked).await;
    let Some(station) = station else {
        return error_page(chrome, &AppError::NotFound);
    };
    let listed = q.get("view").is_some_and(|v| v == "list");
    let week = listed || q.get("view").is_some_and(|v| v == "week");
    let date_text = q
        .get("date")
        .or_else(|| q.get("day"))
        .map(|d| d.trim())
        .filter(|d| !d.is_empty());
    let date = match date_text.map(|d| d.parse::<jiff::civil::Date>()) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => {
            let e = AppError::Invalid(domain::Violation::new("date", "date.format").into());
            return error_page(chrome, &e);
        }
    };
    let span: u8 = if week { 7 } else { 1 };
    let v = match app::appointment::view::day_view(&s.app, &g, station, date, span).await {
        Ok(v) => v,
        Err(e) => return error_page(chrome, &e),
    };
    let first = v.days.first().map(|d| d.date).unwrap_or(v.today);
    let step = jiff::Span::new().days(i64::from(span));
    let prev = first.checked_sub(step).unwrap_or(first);
    let next = first.checked_add(step).unwrap_or(first);
    let link = |d: jiff::civil::Date, view: &str| {
        format!("/console/appointments?station={station}&view={view}&date={d}")
    };
    let mode = if listed {
        "list"
    } else if week {
        "week"
    } else {
        "day"
    };
    let can_book = grant(&user, Action::AppointmentBook).is_ok();
    let can_open = grant(&user, Action::RepairOrderWrite).is_ok();
    let can_pickup = grant(&user, app::pickup::WRITE).is_ok();
    let item = |a: &app::appointment::view::AppointmentCard| {
        let booked = a.state == "booked";
        Item {
            id: a.id,
            day: day_heading(lang, a.date),
            time: a.time.clone(),
            plate: a.plate.clone(),
            model: a.model.clone(),
            customer: a.customer.clone(),
            service: t(lang, &format!("svc.type.{}", a.service_type)),
            concern: a.concern.clone(),
            tag: StatusTag {
                state: a.state.clone(),
                label: t(lang, &format!("svc.appt.{}", a.state)),
            },
            order_href: a.repair_order_id.map(|r| format!("/console/orders/{r}")),
            can_receive: booked && can_open,
            can_pickup: booked && can_pickup,
            can_cancel: booked && can_book,
            can_no_show: booked && can_book && a.started,
        }
    };
    // The list's query: on the boards, the same station and week shown as the list.
    let mut lq_params = q.clone();
    lq_params.insert("station".into(), station.to_string());
    lq_params.insert("view".into(), "list".into());
    lq_params.insert("date".into(), first.to_string());
    let lq = ListQuery::read(
        "/console/appointments",
        &lq_params,
        app::appointment::list::APPOINTMENT_ORDERS,
        &["station", "view", "date"],
    );
    let sort = lq.headers(
        [
            ("book.when", Some("start")),
            ("book.plate", Some("plate")),
            ("book.customer", Some("customer")),
            ("svc.service_type", Some("service")),
            ("book.state", Some("state")),
            ("table.actions", None),
        ]
        .iter()
        .map(|(k, key)| (t(lang, k), *key))
        .collect(),
    );
    let list = listed.then(|| {
        let found = app::appointment::list::sorted_page(
            app::appointment::list::cards(&v),
            lq.order,
            lq.page(),
        );
        ListView {
            items: found.items.iter().map(item).collect(),
            pager: lq.pager(lang, found.total, found.page, found.pages()),
        }
    });
    let days = v
        .days
        .iter()
        .map(|d| DayCol {
            date: d.date.to_string(),
            heading: day_heading(lang, d.date),
            booked: d.booked(),
            free: d.free(),
            closed: d.slots.is_empty(),
            slots: d
                .slots
                .iter()
                .map(|sl| {
                    (
                        sl.time.clone(),
                        sl.bays,
                        sl.used,
                        sl.free(),
                        &sl.appointments,
                    )
                })
                .chain((!d.unslotted.is_empty()).then(|| (String::new(), 0, 0, 0, &d.unslotted)))
                .filter(|(_, bays, _, _, items)| *bays > 0 || !items.is_empty())
                .map(|(time, bays, used, free, items)| SlotLine {
                    time,
                    bays,
                    used,
                    free,
                    items: items.iter().map(item).collect(),
                })
                .collect(),
        })
        .collect();
    let name = station_name(lang, &v.station);
    let title = format!("{} · {name}", t(lang, "book.board"));
    let page = ViewPage {
        chrome: chrome.crumb("/console/appointments", t(lang, "svc.appointments")),
        title,
        notice: q.get("notice").map(|n| t(lang, n)),
        error: q.get("error").cloned(),
        station_select,
        station_name: name,
        station_id: station,
        week,
        list,
        sort,
        list_href: link(first, "list"),
        date: first.to_string(),
        prev: link(prev, mode),
        next: link(next, mode),
        today: link(v.today, mode),
        back: link(first, mode),
        day_href: link(first, "day"),
        week_href: link(first, "week"),
        new_href: can_book.then(|| format!("/console/appointments/new?station={station}")),
        capacity_href: user
            .session
            .principal
            .grant(Action::CapacityAdmin)
            .is_ok()
            .then(|| format!("/console/stations/{station}/capacity")),
        days,
    };
    render(&page, StatusCode::OK)
}

/// `11-24 周二` / `Tue 11-24`.
fn day_heading(lang: Lang, d: jiff::civil::Date) -> String {
    let wd = t(
        lang,
        &format!("book.weekday.{}", d.weekday().to_monday_one_offset()),
    );
    match lang {
        Lang::ZhCn => format!("{} {wd}", d.strftime("%m-%d")),
        Lang::En => format!("{wd} {}", d.strftime("%m-%d")),
    }
}

/// Back to the view the action was taken from (post–redirect–get): the form's `back`
/// field when it is an appointments view, with the refusal as `error` when refused.
fn back_to_appointments(form: &FormData, e: Option<(Lang, AppError)>) -> Response {
    let back = form.get("back");
    let back = if back.starts_with("/console/appointments?") && !back.contains("://") {
        back.to_string()
    } else {
        "/console/appointments?".to_string()
    };
    match e {
        None => Redirect::to(&back).into_response(),
        Some((lang, e)) => Redirect::to(&format!(
            "{back}&error={}",
            super::chrome::urlencode(&page_error(lang, &e).0)
        ))
        .into_response(),
    }
}

async fn open_order(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match grant(&user, Action::RepairOrderWrite) {
        Ok(g) => {
            app::repair_order::open_from_appointment(&s.app, &g, id, &OpenInput::default()).await
        }
        Err(e) => Err(e),
    };
    match r {
        Ok(ro) => Redirect::to(&format!("/console/orders/{ro}")).into_response(),
        Err(e) => back_to_appointments(&form, Some((user.lang, e))),
    }
}

async fn cancel(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match grant(&user, Action::AppointmentBook) {
        Ok(g) => app::appointment::cancel(&s.app, &g, id, form.get("reason")).await,
        Err(e) => Err(e),
    };
    back_to_appointments(&form, r.err().map(|e| (user.lang, e)))
}

async fn no_show(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match grant(&user, Action::AppointmentBook) {
        Ok(g) => app::appointment::no_show(&s.app, &g, id).await,
        Err(e) => Err(e),
    };
    back_to_appointments(&form, r.err().map(|e| (user.lang, e)))
}
