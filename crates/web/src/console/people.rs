//! Staff pages: list, detail with certificates, new.

use super::form::{
    DetailPage, FormData, FormPage, ListPage, Row, Section, answer, error_page, read_input, render,
    t,
};
use super::post::begin;
use super::session::ConsoleUser;
use crate::AppState;
use crate::i18n::Lang;
use app::people::StaffFilter;
use app::people::{StaffInput, StaffUpdateInput};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use domain::permission::Action;
use domain::role::Role;
use std::collections::HashMap;

/// Routes of the staff pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/staff", get(list))
        .route("/console/staff/new", get(new_form).post(create))
        .route("/console/staff/{id}", get(detail))
        .route("/console/staff/{id}/edit", get(edit_form).post(update))
        .route("/console/staff/{id}/reveal", post(reveal))
}

const FIELDS: &[(&str, &str)] = &[
    ("username", "text"),
    ("name", "text"),
    ("role", "select"),
    ("station_id", "number"),
    ("region_id", "number"),
    ("phone", "text"),
    ("wechat_id", "text"),
    ("password", "password"),
];

async fn list(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let chrome = user.chrome("staff");
    let Ok(grant) = user.session.principal.grant(Action::StaffRead) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let lq = crate::console::chrome::ListQuery::read(
        "/console/staff",
        &q,
        app::people::STAFF_ORDERS,
        &[],
    );
    let (text, order) = (lq.text.clone(), lq.order);
    let filter = StaffFilter {
        q: Some(text.clone()),
        ..Default::default()
    };
    let result =
        match app::people::staff_list_ordered(&s.app, &grant, &filter, lq.page(), order).await {
            Ok(r) => r,
            Err(e) => return error_page(chrome, &e),
        };
    let pages = result.pages();
    let can_write = user.session.principal.grant(Action::StaffWrite).is_ok();
    let title = chrome.t("nav.staff");
    let headers: Vec<String> = [
        "username",
        "name",
        "role",
        "station_id",
        "region_id",
        "phone",
        "wechat_id",
    ]
    .iter()
    .map(|h| chrome.t(&format!("field.{h}")))
    .collect();
    let en = user.lang == crate::i18n::Lang::En;
    let ids: Vec<i64> = result.items.iter().filter_map(|st| st.station_id).collect();
    let names = app::network::unit_names(&s.app, &ids)
        .await
        .unwrap_or_default();
    let rows = result
        .items
        .iter()
        .map(|st| Row {
            href: format!("/console/staff/{}", st.id),
            cells: vec![
                st.username.clone(),
                st.name.clone(),
                chrome.t(&format!("role.{}", st.role)),
                st.station_id
                    .map(|x| names.station(x, en))
                    .unwrap_or_default(),
                st.region_id
                    .map(|x| names.region(x, en))
                    .unwrap_or_default(),
                st.phone.clone(),
                st.wechat_id.clone().unwrap_or_default(),
            ],
            links: vec![],
        })
        .collect();
    let sort = lq.headers(
        headers
            .iter()
            .cloned()
            .zip([
                Some("username"),
                Some("name"),
                Some("role"),
                Some("station"),
                Some("region"),
                None,
                None,
            ])
            .collect(),
    );
    let pager = lq.pager(user.lang, result.total, result.page, pages);
    let page = ListPage {
        pager,
        chrome: chrome.crumb("/console/staff", title.clone()),
        title,
        q: text,
        new_href: can_write.then(|| "/console/staff/new".to_string()),
        headers,
        sort,
        rows,
        error: None,
    };
    render(&page, StatusCode::OK)
}

fn form_page(user: &ConsoleUser, values: &serde_json::Value) -> FormPage {
    let chrome = user.chrome("staff");
    let title = chrome.t("action.new");
    let list = chrome.t("nav.staff");
    let roles = Role::staff()
        .map(|r| {
            (
                r.code().to_string(),
                chrome.t(&format!("role.{}", r.code())),
            )
        })
        .collect();
    FormPage::new(
        chrome.crumb("/console/staff", list),
        title,
        "/console/staff/new".into(),
        FIELDS,
        values,
    )
    .options("role", roles)
}

async fn new_form(user: ConsoleUser) -> Response {
    let station = match user.session.principal.unit {
        domain::permission::Unit::Station(s, _) => s.to_string(),
        _ => String::new(),
    };
    render(
        &form_page(
            &user,
            &serde_json::json!({ "station_id": station, "role": "service_advisor" }),
        ),
        StatusCode::OK,
    )
}

async fn create(State(s): State<AppState>, user: ConsoleUser, form: FormData) -> Response {
    // The password sent is never shown again.
    let post = match begin(&user, &form, Action::StaffWrite, |v| {
        let mut values = v.clone();
        values["password"] = serde_json::Value::String(String::new());
        form_page(&user, &values)
    }) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let result = match read_input::<StaffInput>(&form) {
        Ok(input) => app::people::create_staff(&s.app, &post.grant, &input).await,
        Err(e) => Err(e),
    };
    answer(post.page, result, |id| format!("/console/staff/{id}"))
}

async fn detail(State(s): State<AppState>, user: ConsoleUser, Path(id): Path<String>) -> Response {
    show(&s, &user, &id, None, None).await
}

/// Shows the phone whole for a purpose from the list (audited, time-limited).
async fn reveal(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let Ok(grant) = user.session.principal.grant(Action::StaffWrite) else {
        return error_page(user.chrome("staff"), &app::AppError::Forbidden);
    };
    let Ok(sid) = id.parse::<i64>() else {
        return error_page(user.chrome("staff"), &app::AppError::NotFound);
    };
    let input = app::customer::RevealInput {
        field: "staff_phone".into(),
        purpose: form.get("purpose").to_string(),
        note: form.get("note").to_string(),
    };
    match app::people::reveal_phone(&s.app, &grant, sid, &input).await {
        Ok(r) => show(&s, &user, &id, Some(r), None).await,
        Err(e @ app::AppError::Invalid(_)) => {
            let chrome = user.chrome("staff");
            let msg = super::form::violations_text(&chrome, &e);
            show(&s, &user, &id, None, msg).await
        }
        Err(e) => error_page(user.chrome("staff"), &e),
    }
}

async fn show(
    s: &AppState,
    user: &ConsoleUser,
    id: &str,
    revealed: Option<app::customer::Revealed>,
    error: Option<String>,
) -> Response {
    let chrome = user.chrome("staff");
    let Ok(grant) = user.session.principal.grant(Action::StaffRead) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &app::AppError::NotFound);
    };
    let (st, certs) = match app::people::staff(&s.app, &grant, id).await {
        Ok(x) => x,
        Err(e) => return error_page(chrome, &e),
    };
    let en = user.lang == crate::i18n::Lang::En;
    let names = app::network::unit_names(&s.app, &[st.station_id.unwrap_or_default()])
        .await
        .unwrap_or_default();
    let facts = vec![
        (chrome.t("field.username"), st.username.clone()),
        (chrome.t("field.name"), st.name.clone()),
        (
            chrome.t("field.role"),
            chrome.t(&format!("role.{}", st.role)),
        ),
        (
            chrome.t("field.station_id"),
            st.station_id
                .map(|x| names.station(x, en))
                .unwrap_or_default(),
        ),
        (
            chrome.t("field.region_id"),
            st.region_id
                .map(|x| names.region(x, en))
                .unwrap_or_default(),
        ),
        (
            chrome.t("field.phone"),
            revealed
                .as_ref()
                .and_then(|r| r.value.clone())
                .unwrap_or_else(|| st.phone.clone()),
        ),
        (
            chrome.t("field.wechat_id"),
            st.wechat_id
                .clone()
                .unwrap_or_else(|| chrome.t("staff.wechat_none")),
        ),
        (
            chrome.t("field.active"),
            chrome.t(if st.active { "yes" } else { "no" }),
        ),
    ];
    let mut facts = facts;
    if let Some(r) = &revealed {
        facts.push((
            chrome.t("field.visible_until"),
            super::chrome::show_time(r.visible_until),
        ));
    }
    let section = Section {
        title: chrome.t("section.certificates"),
        headers: vec![
            chrome.t("field.credential"),
            chrome.t("field.issued_on"),
            chrome.t("field.expires_on"),
        ],
        rows: certs
            .iter()
            .map(|c| {
                vec![
                    c.credential.clone(),
                    c.issued_on.clone(),
                    c.expires_on.clone(),
                ]
            })
            .collect(),
    };
    let list = chrome.t("nav.staff");
    let can_write = user.session.principal.grant(Action::StaffWrite).is_ok();
    let page = DetailPage {
        title: st.name.clone(),
        facts,
        edit_href: can_write.then(|| format!("/console/staff/{id}/edit")),
        links: vec![],
        reveal: (can_write && revealed.is_none()).then(|| super::form::RevealBox {
            action: format!("/console/staff/{id}/reveal"),
            fields: vec![("staff_phone".into(), chrome.t("field.phone"))],
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
        consent: None,
        sections: vec![section],
        notice: None,
        error,
        chrome: chrome.crumb("/console/staff", list),
    };
    render(&page, StatusCode::OK)
}

const EDIT_FIELDS: &[(&str, &str)] = &[
    ("name", "text"),
    ("role", "select"),
    ("station_id", "number"),
    ("region_id", "number"),
    ("phone", "text"),
    ("wechat_id", "text"),
    ("clear_wechat_id", "checkbox"),
    ("active", "checkbox"),
];

fn edit_page(user: &ConsoleUser, id: i64, values: &serde_json::Value) -> FormPage {
    let chrome = user.chrome("staff");
    let title = chrome.t("action.edit");
    let list = chrome.t("nav.staff");
    let roles = Role::staff()
        .map(|r| {
            (
                r.code().to_string(),
                chrome.t(&format!("role.{}", r.code())),
            )
        })
        .collect();
    let mut page = FormPage::new(
        chrome.crumb("/console/staff", list),
        title,
        format!("/console/staff/{id}/edit"),
        EDIT_FIELDS,
        values,
    )
    .options("role", roles);
    // Like the phone, the stored WeChat id is not shown whole: the label says an
    // empty field keeps it.
    if let Some(f) = page.fields.iter_mut().find(|f| f.name == "wechat_id") {
        f.label = page.chrome.t("field.wechat_id_keep");
    }
    page
}

async fn edit_form(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
) -> Response {
    let chrome = user.chrome("staff");
    if user.session.principal.grant(Action::StaffWrite).is_err() {
        return error_page(chrome, &app::AppError::Forbidden);
    }
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &app::AppError::NotFound);
    };
    let read = match user.session.principal.grant(Action::StaffRead) {
        Ok(g) => g,
        Err(_) => return error_page(chrome, &app::AppError::Forbidden),
    };
    let (st, _) = match app::people::staff(&s.app, &read, id).await {
        Ok(x) => x,
        Err(e) => return error_page(chrome, &e),
    };
    // The phone is not shown whole to edit the account: the field starts empty and
    // an empty field keeps the stored number (issue 21, finding 3).
    let mut values = serde_json::to_value(&st).unwrap_or_default();
    values["phone"] = serde_json::Value::String(String::new());
    values["wechat_id"] = serde_json::Value::String(String::new());
    render(&edit_page(&user, id, &values), StatusCode::OK)
}

async fn update(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let Ok(sid) = id.parse::<i64>() else {
        return error_page(user.chrome("staff"), &app::AppError::NotFound);
    };
    let page = edit_page(&user, sid, &form.to_json());
    let Ok(grant) = user.session.principal.grant(Action::StaffWrite) else {
        return error_page(page.chrome, &app::AppError::Forbidden);
    };
    let result = match read_input::<StaffUpdateInput>(&form) {
        Ok(input) => app::people::update_staff(&s.app, &grant, sid, &input).await,
        Err(e) => Err(e),
    };
    answer(page, result, |()| format!("/console/staff/{sid}"))
}

/// Active staff of a station, optionally of one role, as (id, "name · role"): the
/// choices of a driver or technician select. The caller has already loaded a record
/// of that station within its reach, so the list is read network-wide.
pub(crate) async fn choices(
    s: &AppState,
    lang: Lang,
    station_id: i64,
    role: Option<&str>,
) -> Vec<(i64, String)> {
    // "name · role": a person is chosen by who they are, never by a sign-in name.
    app::people::station_choices(&s.app, station_id, role)
        .await
        .map(|list| {
            list.into_iter()
                .map(|s| {
                    let role = t(lang, &format!("role.{}", s.role));
                    (s.id, format!("{} · {role}", s.name))
                })
                .collect()
        })
        .unwrap_or_default()
}
