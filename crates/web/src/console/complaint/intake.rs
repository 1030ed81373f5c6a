//! The agent's intake (`/console/complaints/new`), keyboard-first: the search box has
//! the focus; the caller is found by phone tail, name or plate, and their vehicles,
//! open orders and open complaints show BEFORE anything is filed; choosing a vehicle
//! (a link) fills the links of the form (customer, vehicle, open order, its station);
//! the form takes channel (with the source link for social media and regulators),
//! category, severity (urgent needs its reason) and the description.

use super::super::form::{Field, FormData, error_page, render, t};
use super::super::select::SearchSelect;
use super::super::session::ConsoleUser;
use super::super::toast;
use crate::AppState;
use crate::console::chrome::{show_time, urlencode};
use crate::i18n::Lang;
use app::AppError;
use app::complaint::FileInput;
use app::complaint::intake::Caller;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::complaint::{Channel, UrgentReason};
use domain::permission::Action;
use std::collections::HashMap;

/// One vehicle of a caller as the page shows it.
pub struct VehicleLine {
    /// "Model · plate".
    pub text: String,
    /// Link choosing it.
    pub choose: String,
    /// The open order, if any: (link, text).
    pub order: Option<(String, String)>,
    /// Whether it is the chosen one.
    pub chosen: bool,
}

/// One caller as the page shows it.
pub struct CallerCard {
    /// Name (masked as the policy says).
    pub name: String,
    /// Phone (masked).
    pub phone: String,
    /// Link to the customer's page.
    pub href: String,
    /// Vehicles.
    pub vehicles: Vec<VehicleLine>,
    /// Open complaints: (link, text).
    pub open: Vec<(String, String)>,
}

/// The intake page.
#[derive(askama::Template)]
#[template(path = "complaint_intake.html")]
pub struct IntakePage {
    /// Frame.
    pub chrome: crate::console::Chrome,
    /// Heading.
    pub title: String,
    /// The search typed.
    pub q: String,
    /// Callers found.
    pub callers: Vec<CallerCard>,
    /// Whether a search was made.
    pub searched: bool,
    /// Hidden links: (name, value).
    pub hidden: Vec<(&'static str, String)>,
    /// The station (searchable).
    pub station: SearchSelect,
    /// Error of the station.
    pub station_error: Option<String>,
    /// The inputs.
    pub fields: Vec<Field>,
    /// Error on top.
    pub error: Option<String>,
}

fn field(
    lang: Lang,
    name: &'static str,
    kind: &'static str,
    options: Vec<(String, String)>,
) -> Field {
    Field {
        name,
        label: t(lang, &format!("complaint.in.{name}")),
        kind,
        value: String::new(),
        options,
        error: None,
    }
}

fn opts(
    lang: Lang,
    prefix: &str,
    codes: impl IntoIterator<Item = &'static str>,
) -> Vec<(String, String)> {
    codes
        .into_iter()
        .map(|c| (c.to_string(), t(lang, &format!("{prefix}.{c}"))))
        .collect()
}

/// Builds the page from the query (search and choice) and what was typed.
async fn build(
    s: &AppState,
    user: &ConsoleUser,
    q: &HashMap<String, String>,
    typed: Option<&FormData>,
    error: Option<&AppError>,
) -> Result<(IntakePage, StatusCode), AppError> {
    let lang = user.lang;
    let en = lang == Lang::En;
    let grant = user
        .session
        .principal
        .grant(Action::ComplaintWrite)
        .map_err(|_| AppError::Forbidden)?;
    let get = |k: &str| {
        typed
            .map(|f| f.get(k).to_string())
            .or_else(|| q.get(k).cloned())
            .unwrap_or_default()
    };
    let search = q.get("q").cloned().unwrap_or_default();
    let (found, search_error) = match app::complaint::intake::find(&s.app, &grant, &search).await {
        Ok(f) => (f, None),
        Err(e) => (vec![], Some(e)),
    };
    let customer = get("customer_id");
    let vehicle = get("vehicle_id");
    let mut order = get("repair_order_id");
    let mut station_pick = get("station_id");
    let ids: Vec<i64> = found
        .iter()
        .flat_map(|c| c.open_complaints.iter().map(|x| x.station_id))
        .collect();
    let names = app::network::unit_names(&s.app, &ids)
        .await
        .unwrap_or_default();
    let base = format!("/console/complaints/new?q={}", urlencode(&search));
    let callers = found
        .iter()
        .map(|c: &Caller| CallerCard {
            name: c.customer.name.clone(),
            phone: c.customer.phone.clone(),
            href: format!("/console/customers/{}", c.customer.id),
            vehicles: c
                .vehicles
                .iter()
                .map(|v| {
                    let chosen = vehicle == v.vehicle.id.to_string();
                    if chosen && typed.is_none() {
                        order = v.open_order.map(|o| o.to_string()).unwrap_or_default();
                        if station_pick.is_empty() {
                            station_pick = v.vehicle.station_id.to_string();
                        }
                    }
                    VehicleLine {
                        text: format!(
                            "{} {} · {}",
                            v.vehicle.brand,
                            v.vehicle.model,
                            v.vehicle
                                .plate
                                .clone()
                                .unwrap_or_else(|| v.vehicle.vin.clone())
                        ),
                        choose: format!(
                            "{base}&customer_id={}&vehicle_id={}#file",
                            c.customer.id, v.vehicle.id
                        ),
                        order: v.open_order.map(|o| {
                            (
                                format!("/console/orders/{o}"),
                                t(lang, "complaint.in.open_order"),
                            )
                        }),
                        chosen,
                    }
                })
                .collect(),
            open: c
                .open_complaints
                .iter()
                .map(|x| {
                    (
                        format!("/console/complaints/{}", x.id),
                        format!(
                            "{} · {} · {} · {}",
                            show_time(x.received_at),
                            names.station(x.station_id, en),
                            t(lang, &format!("complaint.category.{}", x.category)),
                            t(lang, &format!("complaint.state.{}", x.state)),
                        ),
                    )
                })
                .collect(),
        })
        .collect();
    let stations = app::complaint::reach::stations(&s.app, &grant, en).await?;
    let cats = super::cats::Cats::load(&s.app, &user.session.principal, lang).await;
    let mut fields = vec![
        field(
            lang,
            "channel",
            "select",
            opts(
                lang,
                "complaint.channel",
                Channel::ALL
                    .iter()
                    .filter(|c| **c != Channel::App)
                    .map(|c| c.code()),
            ),
        ),
        field(lang, "source_link", "text", vec![]),
        field(lang, "category", "select", cats.active()),
        field(
            lang,
            "severity",
            "select",
            opts(lang, "complaint.severity", ["normal", "urgent"]),
        ),
        field(
            lang,
            "urgent_reason",
            "select",
            std::iter::once((String::new(), "—".to_string()))
                .chain(opts(
                    lang,
                    "complaint.urgent",
                    UrgentReason::ALL
                        .iter()
                        .filter(|r| **r != UrgentReason::Repeated)
                        .map(|r| r.code()),
                ))
                .collect(),
        ),
        field(lang, "description", "textarea", vec![]),
        field(lang, "part_number", "text", vec![]),
    ];
    for f in &mut fields {
        f.value = get(f.name);
    }
    let mut station_error = None;
    let mut top = None;
    let mut status = StatusCode::OK;
    for e in error.into_iter().chain(search_error.as_ref()) {
        let (st, _, title_key, violations) = crate::error::describe_app(e);
        if error.is_some() {
            status = st;
        }
        let mut general = Vec::new();
        for fe in crate::error::field_errors(lang, &violations) {
            if fe.field == "station_id" {
                station_error = Some(fe.message);
            } else if let Some(f) = fields.iter_mut().find(|f| f.name == fe.field) {
                f.error = Some(fe.message);
            } else {
                general.push(fe.message);
            }
        }
        let mut msg = t(lang, title_key);
        if !general.is_empty() {
            msg = format!("{msg}: {}", general.join("; "));
        }
        top = Some(msg);
    }
    let chrome = user.chrome("complaints");
    let title = chrome.t("complaint.intake");
    Ok((
        IntakePage {
            title,
            q: search.clone(),
            searched: !search.trim().is_empty(),
            callers,
            hidden: vec![
                ("customer_id", customer),
                ("vehicle_id", vehicle),
                ("repair_order_id", order),
                ("q", search),
            ],
            station: SearchSelect {
                name: "station_id".into(),
                label: t(lang, "complaint.in.station_id"),
                hint: t(lang, "select.filter"),
                options: stations
                    .iter()
                    .map(|(id, n)| (id.to_string(), n.clone()))
                    .collect(),
                selected: station_pick,
                empty: Some(t(lang, "complaint.field.choose")),
                submit_on_change: false,
            },
            station_error,
            fields,
            error: top,
            chrome: chrome.crumb("/console/complaints", t(lang, "complaint.nav")),
        },
        status,
    ))
}

/// `GET /console/complaints/new?q=&customer_id=&vehicle_id=`.
pub(super) async fn page(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match build(&s, &user, &q, None, None).await {
        Ok((p, st)) => render(&p, st),
        Err(e) => error_page(user.chrome("complaints"), &e),
    }
}

fn id_of(form: &FormData, k: &str) -> Option<i64> {
    form.get(k).trim().parse().ok().filter(|v: &i64| *v > 0)
}

/// `POST /console/complaints/new`: files the complaint and opens its page, or shows
/// the form again with each error beside its field.
pub(super) async fn file(State(s): State<AppState>, user: ConsoleUser, form: FormData) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let Ok(grant) = user.session.principal.grant(Action::ComplaintWrite) else {
        return error_page(user.chrome("complaints"), &AppError::Forbidden);
    };
    let reason = form.get("urgent_reason").trim().to_string();
    let link = form.get("source_link").trim().to_string();
    let input = FileInput {
        station_id: id_of(&form, "station_id").unwrap_or(0),
        customer_id: id_of(&form, "customer_id"),
        vehicle_id: id_of(&form, "vehicle_id"),
        repair_order_id: id_of(&form, "repair_order_id"),
        channel: form.get("channel").to_string(),
        source_link: (!link.is_empty()).then_some(link),
        category: form.get("category").to_string(),
        severity: form.get("severity").to_string(),
        urgent_reason: (!reason.is_empty()).then_some(reason),
        description: form.get("description").to_string(),
        part_number: Some(form.get("part_number").to_string()),
    };
    match app::complaint::file(&s.app, &grant, &input).await {
        Ok(c) => toast::redirect(
            &format!("/console/complaints/{}", c.id),
            "toast.complaint.filed",
        ),
        Err(e @ (AppError::Invalid(_) | AppError::Refused(_))) => {
            let q: HashMap<String, String> = [("q".to_string(), form.get("q").to_string())].into();
            match build(&s, &user, &q, Some(&form), Some(&e)).await {
                Ok((p, st)) => render(&p, st),
                Err(e) => error_page(user.chrome("complaints"), &e),
            }
        }
        Err(e) => error_page(user.chrome("complaints"), &e),
    }
}
