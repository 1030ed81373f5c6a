//! Vehicle pages: list, detail with owners and odometer, new, edit. The forms find the
//! owner by phone tail, name or plate (a lookup field: search, then pick from a
//! select labelled with name and masked phone) instead of asking for a typed id, and
//! the station from a searchable select (name, code, city), never a typed number.

use super::chrome::{ListQuery, show_time};
use super::form::{
    DetailPage, FormData, FormPage, ListPage, Row, Section, answer, error_page, read_input, render,
};
use super::post::{begin, begin_edit};
use super::session::ConsoleUser;
use crate::AppState;
use app::vehicle::VehicleFilter;
use app::vehicle::VehicleInput;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use domain::permission::Action;
use std::collections::HashMap;

/// Routes of the vehicle pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/vehicles", get(list))
        .route("/console/vehicles/new", get(new_form).post(create))
        .route("/console/vehicles/{id}", get(detail))
        .route("/console/vehicles/{id}/edit", get(edit_form).post(update))
}

const FIELDS: &[(&str, &str)] = &[
    ("vin", "text"),
    ("brand", "text"),
    ("model", "text"),
    ("model_year", "number"),
    ("plate", "text"),
    ("purchase_date", "date"),
    ("warranty_start", "date"),
    ("warranty_end", "date"),
    ("warranty_km", "number"),
    ("is_ev", "checkbox"),
    ("owner_id", "lookup"),
    ("station_id", "search"),
    ("km", "number"),
];

async fn list(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let chrome = user.chrome("vehicles");
    let Ok(grant) = user.session.principal.grant(Action::VehicleRead) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let lq = ListQuery::read("/console/vehicles", &q, app::vehicle::VEHICLE_ORDERS, &[]);
    let filter = VehicleFilter {
        q: Some(lq.text.clone()),
        ..Default::default()
    };
    let result =
        match app::vehicle::list_ordered(&s.app, &grant, &filter, lq.page(), lq.order).await {
            Ok(r) => r,
            Err(e) => return error_page(chrome, &e),
        };
    let pages = result.pages();
    let can_write = user.session.principal.grant(Action::VehicleWrite).is_ok();
    let title = chrome.t("nav.vehicles");
    let columns: Vec<(String, Option<&'static str>)> = [
        ("vin", Some("vin")),
        ("plate", Some("plate")),
        ("brand", None),
        ("model", Some("model")),
        ("model_year", Some("model_year")),
        ("owner", None),
        ("station_id", Some("station")),
    ]
    .iter()
    .map(|(h, k)| (chrome.t(&format!("field.{h}")), *k))
    .collect();
    let headers = columns.iter().map(|(h, _)| h.clone()).collect();
    let sort = lq.headers(columns);
    let en = user.lang == crate::i18n::Lang::En;
    let ids: Vec<i64> = result.items.iter().map(|v| v.station_id).collect();
    let names = app::network::unit_names(&s.app, &ids)
        .await
        .unwrap_or_default();
    let owner_ids: Vec<i64> = result.items.iter().map(|v| v.owner_id).collect();
    let owners = app::vehicle::owner_names(&s.app, &grant, &owner_ids)
        .await
        .unwrap_or_default();
    let can_read_customers = user.session.principal.grant(Action::CustomerRead).is_ok();
    let rows = result
        .items
        .iter()
        .map(|v| {
            let owner = owners.get(&v.owner_id);
            Row {
                href: format!("/console/vehicles/{}", v.id),
                cells: vec![
                    v.vin.clone(),
                    v.plate.clone().unwrap_or_default(),
                    v.brand.clone(),
                    v.model.clone(),
                    v.model_year.to_string(),
                    owner
                        .map(app::vehicle::OwnerName::label)
                        .unwrap_or_default(),
                    names.station(v.station_id, en),
                ],
                links: owner
                    .filter(|_| can_read_customers)
                    .map(|o| (5, format!("/console/customers/{}", o.id)))
                    .into_iter()
                    .collect(),
            }
        })
        .collect();
    let page = ListPage {
        pager: lq.pager(user.lang, result.total, result.page, pages),
        chrome: chrome.crumb("/console/vehicles", title.clone()),
        title,
        q: lq.text,
        new_href: can_write.then(|| "/console/vehicles/new".to_string()),
        headers,
        sort,
        rows,
        error: None,
    };
    render(&page, StatusCode::OK)
}

fn form_page(
    user: &ConsoleUser,
    action: String,
    values: &serde_json::Value,
    editing: bool,
) -> FormPage {
    let chrome = user.chrome("vehicles");
    let title = chrome.t(if editing { "action.edit" } else { "action.new" });
    let list = chrome.t("nav.vehicles");
    let chrome = chrome.crumb("/console/vehicles", list);
    FormPage::new(chrome, title, action, FIELDS, values)
}

/// Most owners a lookup offers.
const MAX_OWNERS: i64 = 20;

/// The button of the owner lookup (`find=owner_id`): the form comes back with the
/// owners found, the values kept, nothing saved.
fn is_lookup(form: &FormData) -> bool {
    form.get("find") == "owner_id"
}

/// The form's fields without the lookup's own (search text, button), which are not
/// part of the vehicle.
fn without_lookup(form: &FormData) -> FormData {
    FormData(
        form.0
            .iter()
            .filter(|(k, _)| k != "owner_id_q" && k != "find")
            .cloned()
            .collect(),
    )
}

/// Fills the owner select: the owner chosen already, then the customers whose name or
/// phone tail matches the search and the owners of the vehicles whose plate or VIN
/// matches, each as "name (138****5678)" (masked as the policy says). A search that
/// finds nobody, or one the rules refuse (a whole number), says so beside the field.
async fn with_owners(s: &AppState, user: &ConsoleUser, mut page: FormPage) -> FormPage {
    let Ok(vg) = user.session.principal.grant(Action::VehicleRead) else {
        return page;
    };
    let current = page
        .fields
        .iter()
        .find(|f| f.name == "owner_id")
        .and_then(|f| f.value.trim().parse::<i64>().ok());
    let q = page.lookup_q.trim().to_string();
    let mut ids: Vec<i64> = current.into_iter().collect();
    let mut plates: HashMap<i64, String> = HashMap::new();
    let mut refused = None;
    if !q.is_empty() {
        let first = app::Page::new(1, MAX_OWNERS);
        if let Ok(cg) = user.session.principal.grant(Action::CustomerRead) {
            let cf = app::customer::CustomerFilter {
                q: Some(q.clone()),
                station_id: None,
            };
            match app::customer::list(&s.app, &cg, &cf, first).await {
                Ok(p) => ids.extend(p.items.iter().map(|c| c.id)),
                Err(e) => refused = Some(crate::error::page_error(user.lang, &e).0),
            }
        }
        let vf = VehicleFilter {
            q: Some(q.clone()),
            ..Default::default()
        };
        if let Ok(p) = app::vehicle::list(&s.app, &vg, &vf, first).await {
            for v in p.items {
                ids.push(v.owner_id);
                if let Some(plate) = v.plate {
                    plates.entry(v.owner_id).or_insert(plate);
                }
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    let names = app::vehicle::owner_names(&s.app, &vg, &ids)
        .await
        .unwrap_or_default();
    let options: Vec<(String, String)> = ids
        .iter()
        .filter_map(|id| {
            names.get(id).map(|o| {
                let label = match plates.get(id) {
                    Some(p) => format!("{} · {p}", o.label()),
                    None => o.label(),
                };
                (id.to_string(), label)
            })
        })
        .collect();
    let found_none = !q.is_empty() && options.len() == usize::from(current.is_some());
    let only = options
        .first()
        .filter(|_| current.is_none() && options.len() == 1)
        .map(|o| o.0.clone());
    let lang = user.lang;
    if let Some(f) = page.fields.iter_mut().find(|f| f.name == "owner_id") {
        if let Some(one) = only {
            f.value = one;
        }
        if found_none && f.error.is_none() {
            f.error = Some(refused.unwrap_or_else(|| super::form::t(lang, "lookup.none")));
        }
        f.options = options;
    }
    page
}

/// The form's choices: the owners found (see [`with_owners`]) and the stations.
async fn with_choices(s: &AppState, user: &ConsoleUser, page: FormPage) -> FormPage {
    let page = with_owners(s, user, page).await;
    with_stations(s, user, page).await
}

/// Fills the station select (the searchable one, `/assets/select.js`): every active
/// station the user may register a vehicle at, as "name · code · city" in the page's
/// language; a station chosen before that is no longer offered (closed) stays, by
/// name, so editing a vehicle does not silently move it.
async fn with_stations(s: &AppState, user: &ConsoleUser, page: FormPage) -> FormPage {
    let Ok(g) = user.session.principal.grant(Action::VehicleWrite) else {
        return page;
    };
    let en = user.lang == crate::i18n::Lang::En;
    let list = app::vehicle::station_options(&s.app, &g)
        .await
        .unwrap_or_default();
    let mut options: Vec<(String, String)> = list
        .iter()
        .map(|st| {
            let name = if en { &st.name_en } else { &st.name_zh };
            (
                st.id.to_string(),
                format!("{name} · {} · {}", st.code, st.city),
            )
        })
        .collect();
    let current = page
        .fields
        .iter()
        .find(|f| f.name == "station_id")
        .and_then(|f| f.value.trim().parse::<i64>().ok());
    if let Some(id) = current.filter(|id| !list.iter().any(|st| st.id == *id))
        && let Ok(names) = app::network::unit_names(&s.app, &[id]).await
    {
        options.insert(0, (id.to_string(), names.station(id, en)));
    }
    page.options("station_id", options)
}

async fn new_form(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let station = match user.session.principal.unit {
        domain::permission::Unit::Station(s, _) => s.to_string(),
        _ => String::new(),
    };
    // `?owner=<id>` (from a customer's page) chooses the owner; `?owner_id_q=` searches.
    let values = serde_json::json!({
        "station_id": station,
        "warranty_km": "100000",
        "owner_id": q.get("owner").cloned().unwrap_or_default(),
        "owner_id_q": q.get("owner_id_q").cloned().unwrap_or_default(),
    });
    let page = form_page(&user, "/console/vehicles/new".into(), &values, false);
    render(&with_choices(&s, &user, page).await, StatusCode::OK)
}

async fn create(State(s): State<AppState>, user: ConsoleUser, form: FormData) -> Response {
    let post = match begin(&user, &form, Action::VehicleWrite, |v| {
        form_page(&user, "/console/vehicles/new".into(), v, false)
    }) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let page = with_choices(&s, &user, post.page).await;
    if is_lookup(&form) {
        return render(&page, StatusCode::OK);
    }
    let result = match read_input::<VehicleInput>(&without_lookup(&form)) {
        Ok(input) => app::vehicle::create(&s.app, &post.grant, &input).await,
        Err(e) => Err(e),
    };
    answer(page, result, |id| format!("/console/vehicles/{id}"))
}

async fn detail(State(s): State<AppState>, user: ConsoleUser, Path(id): Path<String>) -> Response {
    let chrome = user.chrome("vehicles");
    let Ok(grant) = user.session.principal.grant(Action::VehicleRead) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &app::AppError::NotFound);
    };
    let d = match app::vehicle::detail(&s.app, &grant, id).await {
        Ok(d) => d,
        Err(e) => return error_page(chrome, &e),
    };
    let v = &d.vehicle;
    let en = user.lang == crate::i18n::Lang::En;
    let names = app::network::unit_names(&s.app, &[v.station_id])
        .await
        .unwrap_or_default();
    let yes_no = |b: bool| chrome.t(if b { "yes" } else { "no" });
    // Owners by name and masked phone, never by id (this one and earlier ones).
    let mut owner_ids: Vec<i64> = d.ownerships.iter().map(|o| o.customer_id).collect();
    owner_ids.push(v.owner_id);
    let owners = app::vehicle::owner_names(&s.app, &grant, &owner_ids)
        .await
        .unwrap_or_default();
    let owner_label = |id: i64| {
        owners
            .get(&id)
            .map(app::vehicle::OwnerName::label)
            .unwrap_or_else(|| "—".to_string())
    };
    let mut links = vec![];
    if user.session.principal.grant(Action::CustomerRead).is_ok()
        && let Some(o) = owners.get(&v.owner_id)
    {
        links.push((format!("/console/customers/{}", o.id), o.label()));
    }
    let facts = vec![
        (chrome.t("field.vin"), v.vin.clone()),
        (chrome.t("field.plate"), v.plate.clone().unwrap_or_default()),
        (chrome.t("field.brand"), v.brand.clone()),
        (chrome.t("field.model"), v.model.clone()),
        (chrome.t("field.model_year"), v.model_year.to_string()),
        (chrome.t("field.purchase_date"), v.purchase_date.clone()),
        (
            chrome.t("field.warranty_end"),
            format!("{} / {} km", v.warranty_end, v.warranty_km),
        ),
        (chrome.t("field.is_ev"), yes_no(v.is_ev)),
        (chrome.t("field.owner"), owner_label(v.owner_id)),
        (
            chrome.t("field.station_id"),
            names.station(v.station_id, en),
        ),
    ];
    let mut sections = vec![
        Section {
            title: chrome.t("section.ownerships"),
            headers: vec![
                chrome.t("field.owner"),
                chrome.t("field.from"),
                chrome.t("field.to"),
            ],
            rows: d
                .ownerships
                .iter()
                .map(|o| {
                    vec![
                        owner_label(o.customer_id),
                        show_time(o.from_at),
                        o.to_at.map(show_time).unwrap_or_default(),
                    ]
                })
                .collect(),
        },
        Section {
            title: chrome.t("section.odometer"),
            headers: vec![
                chrome.t("field.km"),
                chrome.t("field.source"),
                chrome.t("field.at"),
            ],
            rows: d
                .odometer
                .iter()
                .map(|r| {
                    // The source is a code (`advisor`, `telematics`, …): shown in words.
                    vec![
                        r.km.to_string(),
                        chrome.t(&format!("odometer.source.{}", r.source)),
                        show_time(r.recorded_at),
                    ]
                })
                .collect(),
        },
    ];
    // The dossier is linked where the three-guarantees section is shown.
    if let Ok(g) = user.session.principal.grant(Action::RepairOrderRead) {
        match app::guarantee::for_vehicle(&s.app, &g, id).await {
            Ok(tg) => {
                let parts = app::guarantee::main_part::names(&s.app)
                    .await
                    .unwrap_or_default();
                sections.extend(super::guarantee::vehicle_sections(user.lang, &parts, &tg));
                links.extend(super::guarantee::vehicle_links(&user, id, &tg));
            }
            Err(e) => return error_page(chrome, &e),
        }
    }
    let can_write = user.session.principal.grant(Action::VehicleWrite).is_ok();
    let list = chrome.t("nav.vehicles");
    let page = DetailPage {
        title: v.vin.clone(),
        facts,
        edit_href: can_write.then(|| format!("/console/vehicles/{id}/edit")),
        links,
        reveal: None,
        consent: None,
        sections,
        notice: None,
        error: None,
        chrome: chrome.crumb("/console/vehicles", list),
    };
    render(&page, StatusCode::OK)
}

async fn edit_form(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
) -> Response {
    let chrome = user.chrome("vehicles");
    let Ok(grant) = user.session.principal.grant(Action::VehicleRead) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &app::AppError::NotFound);
    };
    match app::vehicle::detail(&s.app, &grant, id).await {
        Ok(d) => {
            let mut values = serde_json::to_value(&d.vehicle).unwrap_or_default();
            values["is_ev"] = serde_json::Value::Bool(d.vehicle.is_ev);
            let page = form_page(&user, format!("/console/vehicles/{id}/edit"), &values, true);
            render(&with_choices(&s, &user, page).await, StatusCode::OK)
        }
        Err(e) => error_page(chrome, &e),
    }
}

async fn update(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(raw): Path<String>,
    form: FormData,
) -> Response {
    let edit = format!("/console/vehicles/{raw}/edit");
    let (post, id) = match begin_edit(&user, &form, Action::VehicleWrite, &raw, |v| {
        form_page(&user, edit, v, true)
    }) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let page = with_choices(&s, &user, post.page).await;
    if is_lookup(&form) {
        return render(&page, StatusCode::OK);
    }
    let result = match read_input::<VehicleInput>(&without_lookup(&form)) {
        Ok(input) => app::vehicle::update(&s.app, &post.grant, id, &input).await,
        Err(e) => Err(e),
    };
    answer(page, result, |()| format!("/console/vehicles/{id}"))
}
