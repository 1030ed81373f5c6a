//! Replacement or refund requests (三包 Arts 25–29) on staff pages: the agent's form
//! on a vehicle (citing one of its rights that give replacement or refund, with its
//! evidence), the list of requests within reach (the waiting ones first, the
//! deadline's status today), and one request with its deadlines, its answer forms
//! (accept, refuse with a reason, done with the Art 27 usage charge) and its timeline.

use super::{article, evidence, right_kind, subject_label, t};
use crate::AppState;
use crate::console::chrome::Chrome;
use crate::console::form::{FormData, error_page, render};
use crate::console::session::{ConsoleUser, grant};
use crate::console::table::{TRow, TablePage};
use crate::console::toast;
use crate::error::{FieldError, field_errors, page_error};
use crate::i18n::Lang;
use app::AppError;
use app::guarantee::request::{FileInput, StepInput};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use domain::permission::Action;
use serde_json::Value;
use std::collections::HashMap;

/// Routes of the request pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/three-guarantees/requests", get(list))
        .route(
            "/console/three-guarantees/requests/{id}",
            get(detail).post(step),
        )
        .route(
            "/console/vehicles/{id}/three-guarantees/requests/new",
            get(new_form).post(file),
        )
}

fn state_label(lang: Lang, state: &str, deadline: &str) -> String {
    let s = t(lang, &format!("gt2.request_state.{state}"));
    match deadline {
        "due_today" | "overdue" => {
            format!("{s} · {}", t(lang, &format!("gt3.deadline.{deadline}")))
        }
        _ => s,
    }
}

async fn list(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = user.lang;
    let chrome = user.chrome("vehicles").crumb(
        "/console/three-guarantees/requests",
        t(lang, "gt2.requests"),
    );
    let g = match grant(&user, Action::RepairOrderRead) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let parts = &app::guarantee::main_part::names(&s.app)
        .await
        .unwrap_or_default();
    let state = q
        .get("state")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let items = match app::guarantee::request::read::list(
        &s.app,
        &g,
        Some(state.as_str()).filter(|s| !s.is_empty()),
    )
    .await
    {
        Ok(i) => i,
        Err(e) => return error_page(chrome, &e),
    };
    let rows = items
        .iter()
        .map(|i| {
            let r = &i.request;
            TRow {
                id: r.id,
                href: format!("/console/three-guarantees/requests/{}", r.id),
                cells: vec![
                    format!("#{}", r.id),
                    i.plate.clone().unwrap_or_else(|| i.vin.clone()),
                    t(lang, &format!("gt2.request.{}", r.kind)),
                    format!(
                        "{} · {}",
                        article(lang, &r.article),
                        subject_label(lang, parts, &r.subject)
                    ),
                    r.filed_on.clone(),
                    r.perform_by.clone().unwrap_or_else(|| r.answer_by.clone()),
                    state_label(lang, &r.state, &r.deadline_status),
                ],
                alert: matches!(r.deadline_status.as_str(), "due_today" | "overdue"),
                buttons: vec![],
            }
        })
        .collect();
    let page = TablePage {
        title: t(lang, "gt2.requests"),
        notice: None,
        error: None,
        // The state is filtered by link (`?state=filed`), not typed: no codes to type.
        filter: None,
        new_link: None,
        headers: vec![
            t(lang, "gt3.request_no"),
            t(lang, "gt2.plate"),
            t(lang, "gt2.request_kind"),
            t(lang, "gt2.right"),
            t(lang, "gt2.filed_on"),
            t(lang, "gt2.answer_by"),
            t(lang, "gt2.state"),
        ],
        sort: vec![],
        pager: None,
        rows,
        chart: None,
        chrome,
    };
    render(&page, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "guarantee_request.html")]
struct DetailPage {
    chrome: Chrome,
    title: String,
    error: Option<String>,
    facts: Vec<(String, String)>,
    vehicle_href: String,
    action: String,
    can_answer: bool,
    can_perform: bool,
    /// A replacement: the new car's VIN and dates are asked for (Art 29).
    is_replacement: bool,
    /// The car that replaced the vehicle: (its page, its VIN).
    replacement: Option<(String, String)>,
    timeline: Vec<(String, String, String, String)>,
    errors: Vec<FieldError>,
    values: FormData,
}

impl DetailPage {
    fn err(&self, field: &str) -> Option<String> {
        let m: Vec<&str> = self
            .errors
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
            .collect();
        (!m.is_empty()).then(|| m.join("; "))
    }

    fn val(&self, field: &str) -> String {
        self.values.get(field).to_string()
    }
}

async fn detail_page(
    s: &AppState,
    user: &ConsoleUser,
    id: i64,
    error: Option<String>,
    errors: Vec<FieldError>,
    values: FormData,
    status: StatusCode,
) -> Response {
    let lang = user.lang;
    let chrome = user.chrome("vehicles").crumb(
        "/console/three-guarantees/requests",
        t(lang, "gt2.requests"),
    );
    let g = match grant(user, Action::RepairOrderRead) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let parts = &app::guarantee::main_part::names(&s.app)
        .await
        .unwrap_or_default();
    let d = match app::guarantee::request::read::detail(&s.app, &g, id).await {
        Ok(d) => d,
        Err(e) => return error_page(chrome, &e),
    };
    let r = &d.request;
    let mut facts = vec![
        (t(lang, "gt2.vin"), d.vin.clone()),
        (t(lang, "gt2.plate"), d.plate.clone().unwrap_or_default()),
        (
            t(lang, "gt2.request_kind"),
            t(lang, &format!("gt2.request.{}", r.kind)),
        ),
        (t(lang, "gt2.article"), article(lang, &r.article)),
        (t(lang, "gt2.about"), subject_label(lang, parts, &r.subject)),
        (
            t(lang, "gt3.channel"),
            t(lang, &format!("gt3.channel.{}", r.channel)),
        ),
        (t(lang, "gt2.filed_on"), r.filed_on.clone()),
        (t(lang, "gt3.answer_by"), r.answer_by.clone()),
        (
            t(lang, "gt2.state"),
            state_label(lang, &r.state, &r.deadline_status),
        ),
    ];
    if let Some(on) = &d.answered_on {
        facts.push((t(lang, "gt3.answered_on"), on.clone()));
    }
    if let Some(by) = &r.perform_by {
        facts.push((t(lang, "gt3.perform_by"), by.clone()));
    }
    if let Some(why) = &d.refusal {
        facts.push((t(lang, "gt3.refusal"), why.clone()));
    }
    if let Some(on) = &d.performed_on {
        facts.push((t(lang, "gt3.performed_on"), on.clone()));
    }
    if let Some(fen) = r.usage_charge_fen {
        facts.push((t(lang, "gt3.usage_charge"), crate::i18n::yuan(fen)));
    }
    // The new car (Art 29): its VIN links to its page, where its dossier is.
    let replacement = d.replacement.as_ref().map(|car| {
        (
            format!("/console/vehicles/{}/dossier", car.vehicle_id),
            car.vin.clone(),
        )
    });
    if let Some(car) = &d.replacement {
        if let Some(on) = &car.sanbao_until {
            facts.push((t(lang, "gt3.new_sanbao_until"), on.clone()));
        }
        if let Some(on) = &car.warranty_until {
            facts.push((t(lang, "gt3.new_warranty_until"), on.clone()));
        }
    }
    let timeline = super::request_timeline::rows(lang, parts, &d);
    let can_write = user.session.principal.grant(Action::VehicleWrite).is_ok();
    let page = DetailPage {
        title: format!(
            "{} #{id} · {}",
            t(lang, "gt3.request"),
            d.plate.clone().unwrap_or(d.vin.clone())
        ),
        chrome: chrome.crumb(
            format!("/console/three-guarantees/requests/{id}"),
            format!("#{id}"),
        ),
        error,
        facts,
        vehicle_href: format!("/console/vehicles/{}", r.vehicle_id),
        action: format!("/console/three-guarantees/requests/{id}"),
        can_answer: can_write && r.state == "filed",
        can_perform: can_write && r.state == "accepted",
        is_replacement: r.kind == "replacement",
        replacement,
        timeline,
        errors,
        values,
    };
    render(&page, status)
}

async fn detail(State(s): State<AppState>, user: ConsoleUser, Path(id): Path<String>) -> Response {
    let Ok(id) = id.trim().parse::<i64>() else {
        return error_page(user.chrome("vehicles"), &AppError::NotFound);
    };
    detail_page(
        &s,
        &user,
        id,
        None,
        vec![],
        FormData::default(),
        StatusCode::OK,
    )
    .await
}

/// The form's text fields as JSON strings, the money in yuan as fen, the coefficient
/// in per cent as basis points.
fn step_input(form: &FormData) -> Result<StepInput, domain::Violation> {
    let mut m = serde_json::Map::new();
    for f in [
        "step",
        "reason",
        "km_driven",
        "new_vin",
        "new_purchase_date",
        "new_delivered_on",
    ] {
        let v = form.get(f).trim();
        if !v.is_empty() {
            let val = if f == "km_driven" {
                v.parse::<i64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| Value::String(v.into()))
            } else {
                Value::String(v.into())
            };
            m.insert(f.into(), val);
        }
    }
    let price = form.get("price_yuan").trim();
    if !price.is_empty() {
        let fen = domain::money::Money::parse_yuan(price)
            .map_err(|_| domain::Violation::new("price_yuan", "money.format"))?;
        m.insert("price_fen".into(), Value::from(fen.fen()));
    }
    let coef = form.get("coefficient_percent").trim();
    if !coef.is_empty() {
        let bp = coef
            .parse::<f64>()
            .ok()
            .filter(|c| c.is_finite() && *c >= 0.0 && *c < 100.0)
            .map(|c| (c * 100.0).round() as i64)
            .ok_or_else(|| domain::Violation::new("coefficient_percent", "type.number"))?;
        m.insert("coefficient_bp".into(), Value::from(bp));
    }
    Ok(serde_json::from_value(Value::Object(m)).unwrap_or_default())
}

async fn step(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let lang = user.lang;
    let input = match step_input(&form) {
        Ok(i) => i,
        Err(v) => {
            let errors = field_errors(lang, &[v]);
            let msg = errors.first().map(|e| e.message.clone());
            return detail_page(
                &s,
                &user,
                id,
                msg,
                errors,
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let r = match grant(&user, Action::VehicleWrite) {
        Ok(g) => app::guarantee::request::step(&s.app, &g, id, &input).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => toast::redirect(
            &format!("/console/three-guarantees/requests/{id}#answer"),
            "toast.saved",
        ),
        Err(e) => {
            let (msg, status) = page_error(lang, &e);
            let errors = violations(lang, &e);
            detail_page(&s, &user, id, Some(msg), errors, form, status).await
        }
    }
}

fn violations(lang: Lang, e: &AppError) -> Vec<FieldError> {
    match e {
        AppError::Invalid(v) | AppError::Refused(v) => field_errors(lang, &v.0),
        _ => vec![],
    }
}

/// A right the request may cite.
struct Citable {
    value: String,
    label: String,
    arose_on: String,
    evidence: String,
}

#[derive(Template)]
#[template(path = "guarantee_request_new.html")]
struct NewPage {
    chrome: Chrome,
    title: String,
    error: Option<String>,
    action: String,
    vehicle_href: String,
    rights: Vec<Citable>,
    chosen: String,
    kind: String,
    errors: Vec<FieldError>,
}

impl NewPage {
    fn err(&self, field: &str) -> Option<String> {
        let m: Vec<&str> = self
            .errors
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
            .collect();
        (!m.is_empty()).then(|| m.join("; "))
    }
}

async fn new_page(
    s: &AppState,
    user: &ConsoleUser,
    vehicle_id: i64,
    form: Option<(&FormData, &AppError)>,
) -> Response {
    let lang = user.lang;
    let chrome = user.chrome("vehicles");
    let g = match grant(user, Action::VehicleWrite)
        .and_then(|_| grant(user, Action::RepairOrderRead))
    {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let parts = &app::guarantee::main_part::names(&s.app)
        .await
        .unwrap_or_default();
    let tg = match app::guarantee::for_vehicle(&s.app, &g, vehicle_id).await {
        Ok(tg) => tg,
        Err(e) => return error_page(chrome, &e),
    };
    let rights = tg
        .rights
        .iter()
        .filter(|r| r.kind == "replacement_or_refund")
        .map(|r| Citable {
            value: format!("{}|{}", r.article, r.subject),
            label: format!(
                "{} · {} · {}",
                right_kind(lang, &r.kind, r.system.as_deref()),
                article(lang, &r.article),
                subject_label(lang, parts, &r.subject)
            ),
            arose_on: r.arose_on.clone(),
            evidence: evidence(&r.evidence),
        })
        .collect::<Vec<_>>();
    let (error, errors, status, chosen, kind) = match form {
        Some((f, e)) => {
            let (msg, status) = page_error(lang, e);
            (
                Some(msg),
                violations(lang, e),
                status,
                f.get("right").to_string(),
                f.get("kind").to_string(),
            )
        }
        None => (
            None,
            vec![],
            StatusCode::OK,
            rights.first().map(|r| r.value.clone()).unwrap_or_default(),
            "replacement".to_string(),
        ),
    };
    let page = NewPage {
        title: format!("{} · {}", t(lang, "gt3.file_request"), tg.vin),
        chrome: chrome
            .crumb(format!("/console/vehicles/{vehicle_id}"), tg.vin.clone())
            .crumb(
                format!("/console/vehicles/{vehicle_id}/three-guarantees/requests/new"),
                t(lang, "gt3.file_request"),
            ),
        error,
        action: format!("/console/vehicles/{vehicle_id}/three-guarantees/requests/new"),
        vehicle_href: format!("/console/vehicles/{vehicle_id}"),
        rights,
        chosen,
        kind,
        errors,
    };
    render(&page, status)
}

async fn new_form(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.trim().parse::<i64>() else {
        return error_page(user.chrome("vehicles"), &AppError::NotFound);
    };
    new_page(&s, &user, id, None).await
}

async fn file(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let (art, subject) = form.get("right").split_once('|').unwrap_or(("", ""));
    let input: FileInput = serde_json::from_value(serde_json::json!({
        "kind": form.get("kind").trim(),
        "article": art,
        "subject": subject,
    }))
    .unwrap_or_default();
    let r = match grant(&user, Action::VehicleWrite) {
        Ok(g) => app::guarantee::request::file(&s.app, &g, id, &input).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(v) => toast::redirect(
            &format!("/console/three-guarantees/requests/{}", v.id),
            "toast.gt_request_filed",
        ),
        Err(e) => {
            // The right is chosen from a list: a missing article or subject is the
            // right's field on this form.
            let e = match e {
                AppError::Invalid(mut v) => {
                    for x in v.0.iter_mut() {
                        if x.field == "article" || x.field == "subject" {
                            x.field = "right".into();
                        }
                    }
                    AppError::Invalid(v)
                }
                other => other,
            };
            new_page(&s, &user, id, Some((&form, &e))).await
        }
    }
}
