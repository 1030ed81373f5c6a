//! Booking at the desk or the call centre, one page in three steps that each stay a
//! plain link or form (works without JavaScript, every step has its own URL):
//! find the customer's vehicle (phone tail, plate, VIN or name), pick the station
//! (agents: searchable by name; advisors: their own), the service and a slot from the
//! real free capacity (soonest first, days as tabs), then confirm. The booking posts,
//! then redirects to its confirmation page (post–redirect–get).

use super::{pick_station, station_name};
use crate::AppState;
use crate::console::chrome::{Chrome, urlencode};
use crate::console::form::{FormData, error_page, render, t};
use crate::console::select::SearchSelect;
use crate::console::session::{ConsoleUser, grant};
use crate::error::page_error;
use app::AppError;
use app::appointment::BookInput;
use app::appointment::view::FreeSlot;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::appointment::ServiceType;
use domain::permission::Action;
use domain::role::Role;
use std::collections::HashMap;

/// Most vehicles a search lists.
const MAX_MATCHES: i64 = 20;

/// A vehicle found by the search, shown by plate, model and owner name.
struct VehicleChoice {
    href: String,
    plate: String,
    model: String,
    owner: String,
}

/// One free start as a link.
struct SlotLink {
    href: String,
    time: String,
    value: String,
}

/// One day tab.
struct DayTab {
    href: String,
    label: String,
    count: usize,
    on: bool,
    date: String,
}

/// The booking page.
#[derive(Template)]
#[template(path = "appointment_book.html")]
struct BookPage {
    chrome: Chrome,
    title: String,
    error: Option<String>,
    q: String,
    matches: Option<Vec<VehicleChoice>>,
    /// The chosen vehicle: (id, plate and model, owner).
    vehicle: Option<(i64, String, String)>,
    restart_href: String,
    station_select: Option<SearchSelect>,
    station_name: String,
    station_id: Option<i64>,
    service_types: Vec<(String, String)>,
    service_type: String,
    best: Vec<SlotLink>,
    tabs: Vec<DayTab>,
    times: Vec<SlotLink>,
    /// The chosen start: (form value, text).
    start: Option<(String, String)>,
    no_slots: bool,
}

/// Who books for the channel: the call centre on the hotline, the desk at the counter.
fn channel_of(role: Role) -> &'static str {
    match role {
        Role::CallCentreAgent => "hotline",
        _ => "walk_in",
    }
}

fn plate_of(v: &app::vehicle::Vehicle) -> String {
    v.plate
        .clone()
        .unwrap_or_else(|| v.vin[v.vin.len().saturating_sub(6)..].to_string())
}

/// Vehicles matching `q`: by plate, VIN or model, and the vehicles of the customers whose
/// name or phone tail matches. A refused customer search (a whole number) is reported.
async fn search(
    s: &AppState,
    user: &ConsoleUser,
    q: &str,
    base: &str,
) -> (Vec<VehicleChoice>, Option<String>) {
    let mut found: Vec<app::vehicle::Vehicle> = vec![];
    let mut error = None;
    let page = app::Page::new(1, MAX_MATCHES);
    let Ok(vg) = grant(user, Action::VehicleRead) else {
        return (vec![], None);
    };
    let f = app::vehicle::VehicleFilter {
        q: Some(q.to_string()),
        owner_id: None,
        station_id: None,
    };
    if let Ok(p) = app::vehicle::list(&s.app, &vg, &f, page).await {
        found.extend(p.items);
    }
    let mut owners: HashMap<i64, String> = HashMap::new();
    if let Ok(cg) = grant(user, Action::CustomerRead) {
        let cf = app::customer::CustomerFilter {
            q: Some(q.to_string()),
            station_id: None,
        };
        match app::customer::list(&s.app, &cg, &cf, page).await {
            Ok(p) => {
                for c in p.items {
                    let f = app::vehicle::VehicleFilter {
                        q: None,
                        owner_id: Some(c.id),
                        station_id: None,
                    };
                    if let Ok(vs) = app::vehicle::list(&s.app, &vg, &f, page).await {
                        found.extend(vs.items);
                    }
                    owners.insert(c.id, c.name);
                }
            }
            Err(AppError::Invalid(_)) | Err(AppError::Refused(_)) if !found.is_empty() => {}
            Err(e) => error = Some(page_error(user.lang, &e).0),
        }
        for v in &found {
            if !owners.contains_key(&v.owner_id)
                && let Ok(c) = app::customer::get(&s.app, &cg, v.owner_id).await
            {
                owners.insert(c.id, c.name);
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    found.retain(|v| seen.insert(v.id));
    found.truncate(usize::try_from(MAX_MATCHES).unwrap_or(20));
    let list = found
        .iter()
        .map(|v| VehicleChoice {
            href: format!("{base}&vehicle={}", v.id),
            plate: plate_of(v),
            model: format!("{} {}", v.brand, v.model),
            owner: owners.get(&v.owner_id).cloned().unwrap_or_default(),
        })
        .collect();
    (list, error)
}

/// `GET /console/appointments/new`: the booking page at the step its query names.
pub async fn book_page(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = user.lang;
    let chrome = user
        .chrome("appointments")
        .crumb("/console/appointments", t(lang, "svc.appointments"))
        .crumb("/console/appointments/new", t(lang, "book.new"));
    let g = match grant(&user, Action::AppointmentBook) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let text = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let query = text("q");
    let asked_station = text("station").parse::<i64>().ok();
    let (station_select, station) = pick_station(&s, &user, &g, asked_station).await;
    let service_type = ServiceType::from_code(&text("service_type"))
        .unwrap_or(ServiceType::Maintenance)
        .code()
        .to_string();
    let station_part = station.map(|s| format!("&station={s}")).unwrap_or_default();
    let search_base = format!(
        "/console/appointments/new?q={}{station_part}&service_type={service_type}",
        urlencode(&query)
    );
    let mut error = q.get("error").cloned();
    let matches = if query.is_empty() {
        None
    } else {
        let (m, e) = search(&s, &user, &query, &search_base).await;
        error = error.or(e);
        Some(m)
    };
    let vehicle_id = text("vehicle").parse::<i64>().ok();
    let mut vehicle = None;
    if let Some(id) = vehicle_id {
        let v = match grant(&user, Action::VehicleRead) {
            Ok(vg) => app::vehicle::detail(&s.app, &vg, id).await,
            Err(e) => Err(e),
        };
        match v {
            Ok(d) => {
                let owner = match grant(&user, Action::CustomerRead) {
                    Ok(cg) => app::customer::get(&s.app, &cg, d.vehicle.owner_id)
                        .await
                        .map(|c| c.name)
                        .unwrap_or_default(),
                    Err(_) => String::new(),
                };
                vehicle = Some((
                    id,
                    format!(
                        "{} · {} {}",
                        plate_of(&d.vehicle),
                        d.vehicle.brand,
                        d.vehicle.model
                    ),
                    owner,
                ));
            }
            Err(e) => return error_page(chrome, &e),
        }
    }
    let mut page = BookPage {
        title: t(lang, "book.new"),
        error,
        q: query.clone(),
        matches,
        restart_href: format!(
            "/console/appointments/new?{}",
            station_part.trim_start_matches('&')
        ),
        station_select,
        station_name: String::new(),
        station_id: station,
        service_types: ServiceType::ALL
            .iter()
            .map(|st| {
                (
                    st.code().to_string(),
                    t(lang, &format!("svc.type.{}", st.code())),
                )
            })
            .collect(),
        service_type: service_type.clone(),
        best: vec![],
        tabs: vec![],
        times: vec![],
        start: None,
        no_slots: false,
        vehicle: None,
        chrome,
    };
    if let (Some(v), Some(station)) = (&vehicle, station) {
        let st = ServiceType::from_code(&service_type).unwrap_or(ServiceType::Maintenance);
        let picker = match app::appointment::view::slot_picker(&s.app, &g, station, st).await {
            Ok(p) => p,
            Err(e) => return error_page(page.chrome, &e),
        };
        page.station_name = station_name(lang, &picker.station);
        let base = format!(
            "/console/appointments/new?vehicle={}&station={station}&service_type={service_type}",
            v.0
        );
        let chosen_start = text("start");
        let link = |f: &FreeSlot, with_day: bool| SlotLink {
            href: format!("{base}&day={}&start={}", f.date, urlencode(&f.value)),
            time: if with_day {
                format!("{} {}", super::day_heading(lang, f.date), f.time)
            } else {
                f.time.clone()
            },
            value: f.value.clone(),
        };
        let choice = picker.choose(&text("day"), &chosen_start);
        page.best = choice.best.iter().map(|f| link(f, true)).collect();
        page.tabs = choice
            .tabs
            .iter()
            .map(|d| DayTab {
                href: format!("{base}&day={}", d.date),
                label: super::day_heading(lang, d.date),
                count: d.count,
                on: d.on,
                date: d.date.to_string(),
            })
            .collect();
        page.times = choice.times.iter().map(|f| link(f, false)).collect();
        page.no_slots = choice.no_slots;
        page.start = choice.start.as_ref().map(|f| {
            (
                f.value.clone(),
                format!("{} {}", super::day_heading(lang, f.date), f.time),
            )
        });
        if choice.gone && page.error.is_none() {
            page.error = Some(t(lang, "book.slot_gone"));
        }
    }
    page.vehicle = vehicle;
    render(&page, StatusCode::OK)
}

/// `POST /console/appointments/new`: books, then shows the confirmation; a refusal
/// (the slot taken meanwhile, a closed day) goes back to the slot picker with the rule.
pub async fn book(State(s): State<AppState>, user: ConsoleUser, form: FormData) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let station: i64 = form.get("station").trim().parse().unwrap_or_default();
    let vehicle: i64 = form.get("vehicle").trim().parse().unwrap_or_default();
    let input = BookInput {
        station_id: station,
        vehicle_id: vehicle,
        service_type: form.get("service_type").to_string(),
        channel: channel_of(user.session.principal.role).into(),
        start: serde_json::Value::String(form.get("start").to_string()),
        operation_codes: vec![],
        duration_minutes: None,
        concern: Some(form.get("concern").trim().to_string()).filter(|c| !c.is_empty()),
    };
    let r = match grant(&user, Action::AppointmentBook) {
        Ok(g) => app::appointment::book(&s.app, &g, &input).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(id) => Redirect::to(&format!("/console/appointments/{id}?booked=1")).into_response(),
        Err(e) => Redirect::to(&format!(
            "/console/appointments/new?vehicle={vehicle}&station={station}&service_type={}&error={}",
            urlencode(form.get("service_type")),
            urlencode(&page_error(user.lang, &e).0)
        ))
        .into_response(),
    }
}

/// The confirmation of a booking.
#[derive(Template)]
#[template(path = "appointment_done.html")]
struct DonePage {
    chrome: Chrome,
    title: String,
    notice: Option<String>,
    facts: Vec<(String, String)>,
    day_href: String,
    again_href: String,
    state: String,
    state_label: String,
}

/// `GET /console/appointments/{id}`: one booking, by names (the confirmation page).
pub async fn confirmation(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = user.lang;
    let chrome = user
        .chrome("appointments")
        .crumb("/console/appointments", t(lang, "svc.appointments"));
    let Ok(id) = id.trim().parse::<i64>() else {
        return error_page(chrome, &AppError::NotFound);
    };
    let b = match grant(&user, Action::AppointmentRead) {
        Ok(g) => app::appointment::view::booking(&s.app, &g, id).await,
        Err(e) => Err(e),
    };
    let b = match b {
        Ok(b) => b,
        Err(e) => return error_page(chrome, &e),
    };
    let c = &b.card;
    let facts = vec![
        (t(lang, "book.station"), station_name(lang, &b.station)),
        (
            t(lang, "book.when"),
            format!("{} {}", super::day_heading(lang, c.date), c.time),
        ),
        (
            t(lang, "book.vehicle"),
            format!("{} · {}", c.plate, c.model),
        ),
        (t(lang, "book.customer"), c.customer.clone()),
        (
            t(lang, "svc.service_type"),
            t(lang, &format!("svc.type.{}", c.service_type)),
        ),
        (t(lang, "svc.concern"), c.concern.clone()),
    ];
    let page = DonePage {
        chrome,
        title: t(lang, "book.confirmation"),
        notice: q.contains_key("booked").then(|| t(lang, "book.booked_ok")),
        facts,
        day_href: format!(
            "/console/appointments?station={}&view=day&date={}",
            b.station.id, c.date
        ),
        again_href: format!("/console/appointments/new?station={}", b.station.id),
        state: c.state.clone(),
        state_label: t(lang, &format!("svc.appt.{}", c.state)),
    };
    render(&page, StatusCode::OK)
}
