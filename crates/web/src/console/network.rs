//! Station pages: list, detail with history, new, edit.

use super::chrome::show_time;
use super::form::{
    DetailPage, FormData, FormPage, ListPage, Row, Section, answer, error_page, read_input, render,
};
use super::post::{begin, begin_edit};
use super::session::ConsoleUser;
use crate::AppState;
use app::network::StationFilter;
use app::network::StationInput;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use domain::permission::Action;
use std::collections::HashMap;

/// Routes of the station pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/stations", get(list))
        .route("/console/stations/new", get(new_form).post(create))
        .route("/console/stations/{id}", get(detail))
        .route("/console/stations/{id}/edit", get(edit_form).post(update))
}

const FIELDS: &[(&str, &str)] = &[
    ("code", "text"),
    ("name_zh", "text"),
    ("name_en", "text"),
    ("region_id", "number"),
    ("address", "text"),
    ("adcode", "text"),
    ("city", "text"),
    ("lon", "text"),
    ("lat", "text"),
    ("opening_hours", "text"),
    ("bays", "number"),
    ("capabilities", "text"),
    ("labour_rate_fen", "number"),
];

async fn list(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let chrome = user.chrome("stations");
    let Ok(grant) = user.session.principal.grant(Action::NetworkRead) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let lq = crate::console::chrome::ListQuery::read(
        "/console/stations",
        &q,
        app::network::STATION_ORDERS,
        &[],
    );
    let (text, order) = (lq.text.clone(), lq.order);
    let filter = StationFilter {
        q: Some(text.clone()),
        ..Default::default()
    };
    let result =
        match app::network::stations_ordered(&s.app, &grant, &filter, lq.page(), order).await {
            Ok(r) => r,
            Err(e) => return error_page(chrome, &e),
        };
    let pages = result.pages();
    let can_write = user.session.principal.grant(Action::NetworkWrite).is_ok();
    let title = chrome.t("nav.stations");
    let zh = user.lang == crate::i18n::Lang::ZhCn;
    let names = app::network::unit_names(&s.app, &[])
        .await
        .unwrap_or_default();
    let headers: Vec<String> = ["code", "name", "city", "region_id", "bays", "status"]
        .iter()
        .map(|h| chrome.t(&format!("field.{h}")))
        .collect();
    let rows = result
        .items
        .iter()
        .map(|st| Row {
            href: format!("/console/stations/{}", st.id),
            cells: vec![
                st.code.clone(),
                if zh {
                    st.name_zh.clone()
                } else {
                    st.name_en.clone()
                },
                st.city.clone(),
                names.region(st.region_id, !zh),
                st.bays.to_string(),
                chrome.t(&format!("status.{}", st.status)),
            ],
            links: vec![],
        })
        .collect();
    let sort = lq.headers(
        headers
            .iter()
            .cloned()
            .zip([
                Some("code"),
                Some("name"),
                Some("city"),
                Some("region"),
                Some("bays"),
                Some("status"),
            ])
            .collect(),
    );
    let pager = lq.pager(user.lang, result.total, result.page, pages);
    let page = ListPage {
        pager,
        chrome: chrome.crumb("/console/stations", title.clone()),
        title,
        q: text,
        new_href: can_write.then(|| "/console/stations/new".to_string()),
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
    let chrome = user.chrome("stations");
    let title = chrome.t(if editing { "action.edit" } else { "action.new" });
    let list = chrome.t("nav.stations");
    FormPage::new(
        chrome.crumb("/console/stations", list),
        title,
        action,
        FIELDS,
        values,
    )
}

async fn new_form(user: ConsoleUser) -> Response {
    let values = serde_json::json!({ "opening_hours": "08:30-18:00", "labour_rate_fen": "18000", "capabilities": "maintenance,mechanical" });
    render(
        &form_page(&user, "/console/stations/new".into(), &values, false),
        StatusCode::OK,
    )
}

async fn create(State(s): State<AppState>, user: ConsoleUser, form: FormData) -> Response {
    let post = match begin(&user, &form, Action::NetworkWrite, |v| {
        form_page(&user, "/console/stations/new".into(), v, false)
    }) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let result = match read_input::<StationInput>(&form) {
        Ok(input) => app::network::create_station(&s.app, &post.grant, &input).await,
        Err(e) => Err(e),
    };
    answer(post.page, result, |id| format!("/console/stations/{id}"))
}

async fn detail(State(s): State<AppState>, user: ConsoleUser, Path(id): Path<String>) -> Response {
    let chrome = user.chrome("stations");
    let Ok(grant) = user.session.principal.grant(Action::NetworkRead) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &app::AppError::NotFound);
    };
    let st = match app::network::station(&s.app, &grant, id).await {
        Ok(st) => st,
        Err(e) => return error_page(chrome, &e),
    };
    let events = app::network::station_events(&s.app, &grant, id)
        .await
        .unwrap_or_default();
    let en = user.lang == crate::i18n::Lang::En;
    let names = app::network::unit_names(&s.app, &[])
        .await
        .unwrap_or_default();
    let facts = vec![
        (chrome.t("field.code"), st.code.clone()),
        (chrome.t("field.name_zh"), st.name_zh.clone()),
        (chrome.t("field.name_en"), st.name_en.clone()),
        (chrome.t("field.region_id"), names.region(st.region_id, en)),
        (chrome.t("field.address"), st.address.clone()),
        (
            chrome.t("field.city"),
            format!("{} ({})", st.city, st.adcode),
        ),
        (
            chrome.t("field.lon"),
            format!("{:.6}, {:.6}", st.lon, st.lat),
        ),
        (chrome.t("field.opening_hours"), st.opening_hours.clone()),
        (chrome.t("field.bays"), st.bays.to_string()),
        (chrome.t("field.capabilities"), st.capabilities.join(", ")),
        (
            chrome.t("field.status"),
            chrome.t(&format!("status.{}", st.status)),
        ),
        (
            chrome.t("field.star_rating"),
            "★".repeat(st.star_rating.clamp(0, 5) as usize),
        ),
        (
            chrome.t("field.labour_rate_fen"),
            domain::money::Money::from_fen(st.labour_rate_fen).to_string(),
        ),
    ];
    let history = Section {
        title: chrome.t("section.history"),
        headers: vec![
            chrome.t("field.at"),
            chrome.t("field.what"),
            chrome.t("field.reason"),
        ],
        rows: events
            .iter()
            .map(|e| {
                vec![
                    show_time(e.at),
                    chrome.t(&format!("station.event.{}", e.kind)),
                    e.reason.clone().unwrap_or_default(),
                ]
            })
            .collect(),
    };
    let can_write = user.session.principal.grant(Action::NetworkWrite).is_ok();
    let list = chrome.t("nav.stations");
    let page = DetailPage {
        title: format!(
            "{} {}",
            st.code,
            if user.lang == crate::i18n::Lang::ZhCn {
                &st.name_zh
            } else {
                &st.name_en
            }
        ),
        facts,
        edit_href: can_write.then(|| format!("/console/stations/{id}/edit")),
        // The capacity page, for those who may publish it.
        links: user
            .session
            .principal
            .grant(Action::CapacityAdmin)
            .is_ok()
            .then(|| {
                (
                    format!("/console/stations/{id}/capacity"),
                    chrome.t("cap.link"),
                )
            })
            .into_iter()
            .collect(),
        reveal: None,
        consent: None,
        sections: vec![history],
        notice: None,
        error: None,
        chrome: chrome.crumb("/console/stations", list),
    };
    render(&page, StatusCode::OK)
}

async fn edit_form(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
) -> Response {
    let chrome = user.chrome("stations");
    let Ok(grant) = user.session.principal.grant(Action::NetworkRead) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &app::AppError::NotFound);
    };
    match app::network::station(&s.app, &grant, id).await {
        Ok(st) => {
            let values = serde_json::to_value(&st).unwrap_or_default();
            render(
                &form_page(&user, format!("/console/stations/{id}/edit"), &values, true),
                StatusCode::OK,
            )
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
    let edit = format!("/console/stations/{raw}/edit");
    let (post, id) = match begin_edit(&user, &form, Action::NetworkWrite, &raw, |v| {
        form_page(&user, edit, v, true)
    }) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let result = match read_input::<StationInput>(&form) {
        Ok(input) => app::network::update_station(&s.app, &post.grant, id, &input).await,
        Err(e) => Err(e),
    };
    answer(post.page, result, |()| format!("/console/stations/{id}"))
}
