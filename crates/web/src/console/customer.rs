//! Customer pages: masked list, detail with vehicles and an audited reveal, new, edit.

use super::chrome::{Chrome, ListQuery, show_time};
use super::form::{
    DetailPage, FormData, FormPage, ListPage, RevealBox, Row, Section, answer, error_page,
    read_input, render, violations_text,
};
use super::post::{begin, begin_edit};
use super::session::ConsoleUser;
use crate::AppState;
use crate::i18n::tables;
use app::Page;
use app::customer::CustomerFilter;
use app::customer::CustomerInput;
use app::privacy::consent::ConsentInput;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::permission::Action;
use std::collections::HashMap;

/// Routes of the customer pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/customers", get(list))
        .route("/console/customers/new", get(new_form).post(create))
        .route("/console/customers/{id}", get(detail))
        .route("/console/customers/{id}/edit", get(edit_form).post(update))
        .route("/console/customers/{id}/reveal", post(reveal))
        .route("/console/customers/{id}/consent", post(record_consent))
}

const FIELDS: &[(&str, &str)] = &[
    ("name", "text"),
    ("phone", "text"),
    ("id_number", "text"),
    ("station_id", "number"),
    ("channel", "select"),
    ("quiet_hours", "text"),
    ("consent_service", "checkbox"),
    ("consent_marketing", "checkbox"),
];

fn channels(user: &ConsoleUser) -> Vec<(String, String)> {
    let chrome = user.chrome("customers");
    domain::customer::Channel::ALL
        .iter()
        .map(|c| (c.code().to_string(), channel_label(&chrome, c.code())))
        .collect()
}

/// A contact channel's name in the user's language (the stored code if unknown).
fn channel_label(chrome: &Chrome, code: &str) -> String {
    let key = format!("channel.{code}");
    let label = chrome.t(&key);
    if label == key {
        code.to_string()
    } else {
        label
    }
}

async fn list(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let chrome = user.chrome("customers");
    let Ok(grant) = user.session.principal.grant(Action::CustomerRead) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let lq = ListQuery::read(
        "/console/customers",
        &q,
        app::customer::CUSTOMER_ORDERS,
        &[],
    );
    let filter = CustomerFilter {
        q: Some(lq.text.clone()),
        station_id: None,
    };
    // A refused search (a whole number, say) keeps the list page and its search box,
    // with no rows and the rule that refused it.
    let listed = app::customer::list_ordered(&s.app, &grant, &filter, lq.page(), lq.order).await;
    let (result, error) = match listed {
        Ok(r) => (r, None),
        Err(e @ app::AppError::Invalid(_)) => {
            let empty = app::Paged {
                items: Vec::new(),
                total: 0,
                page: 1,
                per_page: lq.size,
            };
            (empty, violations_text(&chrome, &e))
        }
        Err(e) => return error_page(chrome, &e),
    };
    let pages = result.pages();
    let can_write = user.session.principal.grant(Action::CustomerWrite).is_ok();
    let title = chrome.t("nav.customers");
    let columns: Vec<(String, Option<&'static str>)> = [
        ("id", Some("created")),
        ("name", Some("name")),
        ("phone", None),
        ("station_id", Some("station")),
        ("channel", None),
        ("consent_marketing", None),
    ]
    .iter()
    .map(|(h, k)| (chrome.t(&format!("field.{h}")), *k))
    .collect();
    let headers = columns.iter().map(|(h, _)| h.clone()).collect();
    let sort = lq.headers(columns);
    let yes_no = |b: bool| chrome.t(if b { "yes" } else { "no" });
    let en = user.lang == crate::i18n::Lang::En;
    let ids: Vec<i64> = result.items.iter().map(|c| c.station_id).collect();
    let names = app::network::unit_names(&s.app, &ids)
        .await
        .unwrap_or_default();
    let rows = result
        .items
        .iter()
        .map(|c| Row {
            href: format!("/console/customers/{}", c.id),
            cells: vec![
                c.id.to_string(),
                c.name.clone(),
                c.phone.clone(),
                names.station(c.station_id, en),
                channel_label(&chrome, &c.channel),
                yes_no(c.consent_marketing),
            ],
            links: vec![],
        })
        .collect();
    let page = ListPage {
        pager: lq.pager(user.lang, result.total, result.page, pages),
        chrome: chrome.crumb("/console/customers", title.clone()),
        title,
        q: lq.text,
        new_href: can_write.then(|| "/console/customers/new".to_string()),
        headers,
        sort,
        rows,
        error,
    };
    let status = if page.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(&page, status)
}

fn form_page(
    user: &ConsoleUser,
    action: String,
    values: &serde_json::Value,
    editing: bool,
) -> FormPage {
    let chrome = user.chrome("customers");
    let title = chrome.t(if editing { "action.edit" } else { "action.new" });
    let list = chrome.t("nav.customers");
    FormPage::new(
        chrome.crumb("/console/customers", list),
        title,
        action,
        FIELDS,
        values,
    )
    .options("channel", channels(user))
}

async fn new_form(user: ConsoleUser) -> Response {
    let station = match user.session.principal.unit {
        domain::permission::Unit::Station(s, _) => s.to_string(),
        _ => String::new(),
    };
    let values =
        serde_json::json!({ "station_id": station, "channel": "sms", "consent_service": true });
    render(
        &form_page(&user, "/console/customers/new".into(), &values, false),
        StatusCode::OK,
    )
}

async fn create(State(s): State<AppState>, user: ConsoleUser, form: FormData) -> Response {
    let post = match begin(&user, &form, Action::CustomerWrite, |v| {
        form_page(&user, "/console/customers/new".into(), v, false)
    }) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let result = match read_input::<CustomerInput>(&form) {
        Ok(input) => app::customer::create(&s.app, &post.grant, &input).await,
        Err(e) => Err(e),
    };
    answer(post.page, result, |id| format!("/console/customers/{id}"))
}

/// The customer page, with a revealed field or an error message when a form on it
/// was just sent.
pub(crate) async fn show(
    s: &AppState,
    user: &ConsoleUser,
    id: &str,
    revealed: Option<app::customer::Revealed>,
    error: Option<String>,
) -> Response {
    let chrome = user.chrome("customers");
    let Ok(grant) = user.session.principal.grant(Action::CustomerRead) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &app::AppError::NotFound);
    };
    let c = match app::customer::get(&s.app, &grant, id).await {
        Ok(c) => c,
        Err(e) => return error_page(chrome, &e),
    };
    let yes_no = |b: bool| chrome.t(if b { "yes" } else { "no" });
    // A revealed field replaces its masked value on this one answer only; the page
    // says until when it may stay on screen.
    let whole = |field: &str, masked: Option<String>| match &revealed {
        Some(r) if r.field == field => r.value.clone().unwrap_or_default(),
        _ => masked.unwrap_or_default(),
    };
    let en = user.lang == crate::i18n::Lang::En;
    let names = app::network::unit_names(&s.app, &[c.station_id])
        .await
        .unwrap_or_default();
    let phone = whole("phone", Some(c.phone.clone()));
    let id_number = whole("id_number", c.id_number.clone());
    let mut facts = vec![
        (chrome.t("field.name"), c.name.clone()),
        (chrome.t("field.phone"), phone),
        (chrome.t("field.id_number"), id_number),
        (
            chrome.t("field.station_id"),
            names.station(c.station_id, en),
        ),
        (
            chrome.t("field.channel"),
            channel_label(&chrome, &c.channel),
        ),
        (
            chrome.t("field.quiet_hours"),
            c.quiet_hours.clone().unwrap_or_default(),
        ),
        (chrome.t("field.club_member"), yes_no(c.club_member)),
        (chrome.t("field.created_at"), show_time(c.created_at)),
    ];
    if let Some(r) = &revealed {
        facts.push((chrome.t("field.visible_until"), show_time(r.visible_until)));
    }
    let mut sections = Vec::new();
    // Each car opens its own page, and books a visit in one step: the vehicles table
    // below only lists them.
    let mut car_links = Vec::new();
    let may_book = user
        .session
        .principal
        .grant(Action::AppointmentBook)
        .is_ok();
    if let Ok(vg) = user.session.principal.grant(Action::VehicleRead) {
        let f = app::vehicle::VehicleFilter {
            owner_id: Some(id),
            ..Default::default()
        };
        if let Ok(vs) = app::vehicle::list(&s.app, &vg, &f, Page::new(1, 50)).await {
            for v in vs.items.iter().take(5) {
                let plate = v.plate.clone().unwrap_or_else(|| v.vin.clone());
                car_links.push((format!("/console/vehicles/{}", v.id), plate.clone()));
                if may_book {
                    car_links.push((
                        format!("/console/appointments/new?vehicle={}", v.id),
                        tables().fill(user.lang, "lookup.book_for", &[("plate", &plate)]),
                    ));
                }
            }
            sections.push(Section {
                title: chrome.t("section.vehicles"),
                headers: vec![
                    chrome.t("field.vin"),
                    chrome.t("field.plate"),
                    chrome.t("field.model"),
                ],
                rows: vs
                    .items
                    .iter()
                    .map(|v| {
                        vec![
                            v.vin.clone(),
                            v.plate.clone().unwrap_or_default(),
                            format!("{} {}", v.brand, v.model),
                        ]
                    })
                    .collect(),
            });
        }
    }
    // Consent per purpose, its history and the messages it held back (the old
    // yes/no facts are the ledger's projection and no longer shown on their own).
    let (consent_sections, consent) = super::privacy::consent::sections(s, user, &chrome, id).await;
    sections.extend(consent_sections);
    let can_write = user.session.principal.grant(Action::CustomerWrite).is_ok();
    let can_reveal = user
        .session
        .principal
        .grant(Action::PersonalDataReveal)
        .is_ok()
        && revealed.is_none();
    let list = chrome.t("nav.customers");
    let page = DetailPage {
        title: c.name.clone(),
        facts,
        edit_href: can_write.then(|| format!("/console/customers/{id}/edit")),
        // A car for this customer: the vehicle form with them chosen as the owner.
        links: car_links
            .into_iter()
            .chain(
                user.session
                    .principal
                    .grant(Action::VehicleWrite)
                    .is_ok()
                    .then(|| {
                        (
                            format!("/console/vehicles/new?owner={id}"),
                            chrome.t("lookup.add_vehicle"),
                        )
                    }),
            )
            .collect(),
        reveal: can_reveal.then(|| RevealBox {
            action: format!("/console/customers/{id}/reveal"),
            fields: ["phone", "id_number"]
                .iter()
                .map(|f| (f.to_string(), chrome.t(&format!("field.{f}"))))
                .collect(),
            purposes: domain::privacy::reveal::RevealPurpose::ALL
                .iter()
                .map(|p| {
                    (
                        p.code().to_string(),
                        chrome.t(&format!("privacy.purpose.{}", p.code())),
                    )
                })
                .collect(),
        }),
        consent,
        sections,
        notice: None,
        error,
        chrome: chrome.crumb("/console/customers", list),
    };
    render(&page, StatusCode::OK)
}

async fn detail(State(s): State<AppState>, user: ConsoleUser, Path(id): Path<String>) -> Response {
    show(&s, &user, &id, None, None).await
}

async fn reveal(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let Ok(grant) = user.session.principal.grant(Action::PersonalDataReveal) else {
        return error_page(user.chrome("customers"), &app::AppError::Forbidden);
    };
    let Ok(cid) = id.parse::<i64>() else {
        return error_page(user.chrome("customers"), &app::AppError::NotFound);
    };
    let input = app::customer::RevealInput {
        field: form.get("field").to_string(),
        purpose: form.get("purpose").to_string(),
        note: form.get("note").to_string(),
    };
    match app::customer::reveal(&s.app, &grant, cid, &input).await {
        Ok(r) => show(&s, &user, &id, Some(r), None).await,
        Err(app::AppError::Invalid(v)) => {
            let msg =
                v.0.iter()
                    .map(|x| tables().violation(user.lang, x))
                    .collect::<Vec<_>>()
                    .join("; ");
            show(&s, &user, &id, None, Some(msg)).await
        }
        Err(e) => error_page(user.chrome("customers"), &e),
    }
}

async fn edit_form(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
) -> Response {
    let chrome = user.chrome("customers");
    let (Ok(read), Ok(_)) = (
        user.session.principal.grant(Action::CustomerRead),
        user.session.principal.grant(Action::CustomerWrite),
    ) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let Ok(cid) = id.parse::<i64>() else {
        return error_page(chrome, &app::AppError::NotFound);
    };
    let c = match app::customer::get(&s.app, &read, cid).await {
        Ok(c) => c,
        Err(e) => return error_page(chrome, &e),
    };
    // Editing does not show the phone or ID number whole: the fields start empty and
    // a field left empty keeps the stored value (issue 21, finding 6).
    let mut values = serde_json::to_value(&c).unwrap_or_default();
    values["phone"] = serde_json::Value::String(String::new());
    values["id_number"] = serde_json::Value::Null;
    render(
        &form_page(
            &user,
            format!("/console/customers/{cid}/edit"),
            &values,
            true,
        ),
        StatusCode::OK,
    )
}

async fn update(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(raw): Path<String>,
    form: FormData,
) -> Response {
    let edit = format!("/console/customers/{raw}/edit");
    let (post, cid) = match begin_edit(&user, &form, Action::CustomerWrite, &raw, |v| {
        form_page(&user, edit, v, true)
    }) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let result = match read_input::<CustomerInput>(&form) {
        Ok(input) => app::customer::update(&s.app, &post.grant, cid, &input).await,
        Err(e) => Err(e),
    };
    answer(post.page, result, |()| format!("/console/customers/{cid}"))
}

/// Records a change of consent from the consent form of the customer page; a
/// refused change shows the page again with the rules broken.
async fn record_consent(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let chrome = user.chrome("customers");
    let Ok(grant) = user.session.principal.grant(app::privacy::consent::WRITE) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let Ok(cid) = id.parse::<i64>() else {
        return error_page(chrome, &app::AppError::NotFound);
    };
    let text = |k: &str| match form.get(k).trim() {
        "" => serde_json::Value::Null,
        v => serde_json::Value::String(v.to_string()),
    };
    let input = ConsentInput {
        purpose: text("purpose"),
        granted: match form.get("granted") {
            "yes" => serde_json::Value::Bool(true),
            "no" => serde_json::Value::Bool(false),
            _ => serde_json::Value::Null,
        },
        source: text("source"),
        evidence: text("evidence"),
    };
    match app::privacy::consent::record(&s.app, &grant, cid, &input).await {
        Ok(()) => Redirect::to(&format!("/console/customers/{cid}")).into_response(),
        Err(app::AppError::Invalid(v)) => {
            let msg =
                v.0.iter()
                    .map(|x| tables().violation(user.lang, x))
                    .collect::<Vec<_>>()
                    .join("; ");
            show(&s, &user, &id, None, Some(msg)).await
        }
        Err(e) => error_page(chrome, &e),
    }
}
