//! The owner's service pages: book (offered slots when full), my appointments (with
//! reschedule and cancel with a reason), and progress on the unguessable owner link
//! with approve/decline of estimate lines and, once delivered, the electronic bill,
//! online payment through the provider's checkout, and the rating.
//!
//! The owner link needs no sign-in: its token is the credential. Its forms carry a
//! per-browser form token (double submit: a `SameSite=Strict` cookie scoped to the
//! link's path and a hidden field), so another site cannot make the owner's browser
//! approve, pay or rate.

use crate::AppState;
use crate::api::service::track::{OwnerTrack, owner_track};
use crate::api::service::{client_ip, parse_instant};
use crate::console::chrome::show_time;
use crate::console::form::{FormData, render};
use crate::error::page_error;
use crate::extract::{SESSION_COOKIE, constant_time_eq, cookie};
use crate::i18n::{I18n, Lang, tables};
use app::AppError;
use app::auth::Session;
use app::payment::rating::RatingInput;
use app::service::appointment::BookInput;
use app::service::capacity::SlotQuery;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::appointment::ServiceType;
use domain::money::Money;
use domain::permission::Action;

/// Routes of the owner's service pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/owner/book", get(book_page).post(book))
        .route("/owner/appointments", get(my_appointments))
        .route("/owner/appointments/{id}/reschedule", post(reschedule))
        .route("/owner/appointments/{id}/cancel", post(cancel))
        .route("/owner/track/{token}", get(track))
        .route("/owner/track/{token}/lines/{no}", post(decide))
        .route("/owner/track/{token}/pay", post(pay))
        .route("/owner/track/{token}/rating", post(rate))
}

/// The owner's service page (book, list or progress).
#[derive(Template, Default)]
#[template(path = "owner_service_page.html")]
struct Page {
    lang: Lang,
    t: Option<&'static I18n>,
    title: String,
    kind: &'static str,
    signed_in: bool,
    notice: Option<String>,
    error: Option<String>,
    csrf: String,
    vehicles: Vec<(i64, String)>,
    service_types: Vec<(String, String)>,
    vehicle_id: i64,
    service_type: String,
    station_id: String,
    start: String,
    concern: String,
    offers: Vec<(i64, String, String)>,
    items: Vec<Item>,
    token: String,
    track: Option<OwnerTrack>,
    eta: String,
    promised: String,
    stage_keys: Vec<String>,
    status_keys: Vec<String>,
    decision_keys: Vec<String>,
    bill: Option<BillShow>,
    rating: Option<RatingShow>,
    /// An online payment provider is configured (today: the sandbox).
    online_pay: bool,
}

/// One of the owner's appointments as listed.
#[derive(Default)]
struct Item {
    id: i64,
    text: String,
    /// Still booked: may be rescheduled or cancelled.
    open: bool,
}

/// The electronic bill as the owner's page shows it.
#[derive(Default)]
struct BillShow {
    number: String,
    /// Name, quantity, amount, and whether the line is a free comeback.
    lines: Vec<(String, String, String, bool)>,
    net: String,
    vat_rate: String,
    vat: String,
    gross: String,
    outstanding: String,
    paid: bool,
    paid_at: String,
    /// The last online payment failed or was left pending.
    last_failed: bool,
}

/// The owner's rating once given.
#[derive(Default)]
struct RatingShow {
    stars: String,
    comment: String,
}

impl Page {
    fn new(lang: Lang, title_key: &str, kind: &'static str) -> Page {
        Page {
            lang,
            t: Some(tables()),
            title: tables().t(lang, title_key).to_string(),
            kind,
            ..Default::default()
        }
    }
}

/// Template helper: the tables (always set).
trait Tables {
    fn tr<'a>(&'a self, lang: &Lang, key: &'a str) -> &'a str;
}

impl Tables for Option<&'static I18n> {
    fn tr<'a>(&'a self, lang: &Lang, key: &'a str) -> &'a str {
        match self {
            Some(t) => t.tr(lang, key),
            None => key,
        }
    }
}

async fn owner(s: &AppState, parts: &Parts) -> Option<Session> {
    let token = cookie(parts, SESSION_COOKIE)?;
    let session = app::auth::session(&s.app, token).await.ok()??;
    session.principal.grant(Action::AppointmentBook).ok()?;
    (session.principal.role == domain::role::Role::Owner).then_some(session)
}

async fn vehicles(s: &AppState, session: &Session) -> Vec<store::vehicle::Vehicle> {
    let Ok(g) = session.principal.grant(Action::OwnDataExport) else {
        return vec![];
    };
    let filter = store::vehicle::VehicleFilter {
        owner_id: Some(session.principal.id),
        ..Default::default()
    };
    match s.app.db.pool.acquire().await {
        Ok(mut c) => store::vehicle::list(&mut c, g.reach(), &filter, store::Page::new(1, 50))
            .await
            .map(|p| p.items)
            .unwrap_or_default(),
        Err(_) => vec![],
    }
}

async fn book_form(s: &AppState, session: &Session, form: Option<&FormData>) -> Page {
    let lang = Lang::from_tag(&session.lang);
    let mut p = Page::new(lang, "own.book", "book");
    p.signed_in = true;
    p.csrf = session.csrf.clone();
    let vs = vehicles(s, session).await;
    p.vehicles = vs
        .iter()
        .map(|v| {
            (
                v.id,
                format!(
                    "{} {} {}",
                    v.brand,
                    v.model,
                    v.plate.clone().unwrap_or_default()
                ),
            )
        })
        .collect();
    p.service_types = ServiceType::ALL
        .iter()
        .map(|st| {
            (
                st.code().to_string(),
                tables()
                    .t(lang, &format!("svc.type.{}", st.code()))
                    .to_string(),
            )
        })
        .collect();
    match form {
        Some(f) => {
            p.vehicle_id = f.get("vehicle_id").parse().unwrap_or_default();
            p.service_type = f.get("service_type").to_string();
            p.station_id = f.get("station_id").to_string();
            p.start = f.get("start").to_string();
            p.concern = f.get("concern").to_string();
        }
        None => {
            if let Some(v) = vs.first() {
                p.vehicle_id = v.id;
                p.station_id = v.station_id.to_string();
            }
            p.service_type = "maintenance".into();
        }
    }
    p
}

async fn book_page(State(s): State<AppState>, parts: Parts) -> Response {
    let Some(session) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    render(&book_form(&s, &session, None).await, StatusCode::OK)
}

async fn book(State(s): State<AppState>, parts: Parts, form: FormData) -> Response {
    let Some(session) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    let mut page = book_form(&s, &session, Some(&form)).await;
    if !constant_time_eq(form.get("csrf").as_bytes(), session.csrf.as_bytes()) {
        page.error = Some(tables().t(lang, "error.csrf").into());
        return render(&page, StatusCode::FORBIDDEN);
    }
    let Ok(g) = session.principal.grant(Action::AppointmentBook) else {
        return Redirect::to("/owner/login").into_response();
    };
    let station_id: i64 = form.get("station_id").trim().parse().unwrap_or_default();
    if station_id > 0 {
        let _ = crate::api::service::view::ensure_ready(&s.app, station_id).await;
    }
    let input = BookInput {
        station_id,
        vehicle_id: page.vehicle_id,
        service_type: form.get("service_type").to_string(),
        channel: "owner_app".into(),
        start: serde_json::Value::String(form.get("start").to_string()),
        operation_codes: vec![],
        duration_minutes: None,
        concern: Some(form.get("concern").trim().to_string()).filter(|c| !c.is_empty()),
    };
    match app::service::appointment::book(&s.app, &g, &input).await {
        Ok(_) => Redirect::to("/owner/appointments?booked=1").into_response(),
        Err(e) => {
            let (msg, status) = page_error(lang, &e);
            page.error = Some(msg);
            let full = matches!(&e, AppError::Refused(v) if v.0.iter().any(|x| x.rule.starts_with("capacity.no_")));
            if full {
                page.offers = offers(&s, &g, station_id, &input, lang).await;
            }
            render(&page, status)
        }
    }
}

async fn offers(
    s: &AppState,
    g: &domain::permission::Grant,
    station_id: i64,
    input: &BookInput,
    _lang: Lang,
) -> Vec<(i64, String, String)> {
    let Some(service_type) = ServiceType::from_code(&input.service_type) else {
        return vec![];
    };
    let Ok(tz) = app::service::appointment::zone_of(&s.app, station_id).await else {
        return vec![];
    };
    let Some(preferred) = input.start.as_str().and_then(|t| parse_instant(t, &tz)) else {
        return vec![];
    };
    let q = SlotQuery {
        station_id,
        service_type,
        operation_codes: vec![],
        preferred,
        limit: 4,
        nearby_stations: 2,
    };
    let Ok(offer) = app::service::capacity::find_slots(&s.app, g, &q).await else {
        return vec![];
    };
    let local = |t: jiff::Timestamp| {
        t.to_zoned(tz.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    };
    std::iter::once(&offer.here)
        .chain(offer.nearby.iter())
        .flat_map(|st| {
            st.slots.iter().map(move |t| {
                (
                    st.station_id,
                    local(*t),
                    format!(
                        "#{} · {:.1} km · {}",
                        st.station_id,
                        st.distance_km,
                        local(*t)
                    ),
                )
            })
        })
        .collect()
}

async fn my_appointments(State(s): State<AppState>, parts: Parts) -> Response {
    let Some(session) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    let q = parts.uri.query().unwrap_or("");
    let notice = ["booked", "rescheduled", "cancelled"]
        .into_iter()
        .find(|k| q.split('&').any(|p| p == format!("{k}=1")))
        .map(|k| tables().t(lang, &format!("own.{k}")).to_string());
    list_page(&s, &session, notice, None, StatusCode::OK).await
}

async fn list_page(
    s: &AppState,
    session: &Session,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = Lang::from_tag(&session.lang);
    let mut page = Page::new(lang, "own.my_appointments", "list");
    page.signed_in = true;
    page.csrf = session.csrf.clone();
    page.notice = notice;
    page.error = error;
    let Ok(g) = session.principal.grant(Action::AppointmentBook) else {
        return Redirect::to("/owner/login").into_response();
    };
    let vs = vehicles(s, session).await;
    let mut stations: Vec<i64> = vs.iter().map(|v| v.station_id).collect();
    if let Ok(mut c) = s.app.db.pool.acquire().await {
        if let Ok(msgs) = store::outbox::inbox(&mut c, session.principal.id, 50).await {
            for m in msgs {
                if let Some(st) = serde_json::to_value(&m)
                    .ok()
                    .and_then(|v| v["payload"]["station_id"].as_i64())
                {
                    stations.push(st);
                }
            }
        }
        stations.sort_unstable();
        stations.dedup();
        let now = s.app.now_ms();
        let mut rows = vec![];
        for st in stations {
            // The owner's reach: appointments booked for them, of vehicles still theirs.
            if let Ok(list) = store::service::appointment::list(
                &mut c,
                g.reach(),
                st,
                now - 30 * 86_400_000,
                now + 120 * 86_400_000,
            )
            .await
            {
                rows.extend(list);
            }
        }
        rows.sort_by_key(|a| a.start_at);
        page.items = rows
            .iter()
            .map(|a| Item {
                id: a.id,
                text: format!(
                    "{} · #{} · {} · {}",
                    show_time(a.start_at),
                    a.station_id,
                    tables().t(lang, &format!("svc.type.{}", a.service_type)),
                    tables().t(lang, &format!("svc.appt.{}", a.state)),
                ),
                open: a.state == "booked" && a.start_at > now,
            })
            .collect();
    }
    render(&page, status)
}

async fn change_appointment(
    s: &AppState,
    parts: &Parts,
    id: &str,
    form: &FormData,
    cancel: bool,
) -> Response {
    let Some(session) = owner(s, parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    if !constant_time_eq(form.get("csrf").as_bytes(), session.csrf.as_bytes()) {
        let msg = tables().t(lang, "error.csrf").to_string();
        return list_page(s, &session, None, Some(msg), StatusCode::FORBIDDEN).await;
    }
    let Ok(g) = session.principal.grant(Action::AppointmentBook) else {
        return Redirect::to("/owner/login").into_response();
    };
    let Ok(id) = id.parse::<i64>() else {
        let msg = tables().t(lang, "error.not_found").to_string();
        return list_page(s, &session, None, Some(msg), StatusCode::NOT_FOUND).await;
    };
    let done = if cancel {
        app::service::appointment::cancel(&s.app, &g, id, form.get("reason")).await
    } else {
        let start = serde_json::Value::String(form.get("start").trim().to_string());
        app::service::appointment::reschedule(&s.app, &g, id, &start).await
    };
    match done {
        Ok(()) => {
            let to = if cancel { "cancelled" } else { "rescheduled" };
            Redirect::to(&format!("/owner/appointments?{to}=1")).into_response()
        }
        Err(e) => {
            let (msg, status) = page_error(lang, &e);
            list_page(s, &session, None, Some(msg), status).await
        }
    }
}

async fn reschedule(
    State(s): State<AppState>,
    parts: Parts,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    change_appointment(&s, &parts, &id, &form, false).await
}

async fn cancel(
    State(s): State<AppState>,
    parts: Parts,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    change_appointment(&s, &parts, &id, &form, true).await
}

fn lang_of(parts: &Parts) -> Lang {
    crate::console::session::visitor_lang(parts)
}

/// Cookie holding the owner link's form token (double submit).
const TRACK_FORM_COOKIE: &str = "as_track_form";

/// The browser's form token for the owner link: the one it already holds, or a new one.
fn form_token(parts: &Parts) -> String {
    cookie(parts, TRACK_FORM_COOKIE)
        .filter(|t| t.len() >= 32 && t.len() <= 128 && t.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(str::to_string)
        .unwrap_or_else(app::auth::new_secret)
}

/// Whether a posted owner-link form carries the browser's form token.
fn form_token_ok(parts: &Parts, form: &FormData) -> bool {
    let expected = cookie(parts, TRACK_FORM_COOKIE).unwrap_or("");
    !expected.is_empty() && constant_time_eq(form.get("csrf").as_bytes(), expected.as_bytes())
}

fn bill_show(b: &app::payment::bill::BillView, names: &[(i64, String)]) -> BillShow {
    let money = |fen: i64| Money::from_fen(fen).to_string();
    let lines = b
        .bill
        .lines
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|l| {
            let no = l["line_no"].as_i64().unwrap_or_default();
            let code = l["code"].as_str().unwrap_or_default();
            let name = names
                .iter()
                .find(|(n, _)| *n == no)
                .map(|(_, name)| name.clone())
                .unwrap_or_else(|| code.to_string());
            let qty = l["quantity_hundredths"].as_i64().unwrap_or_default();
            let qty = if qty % 100 == 0 {
                format!("{}", qty / 100)
            } else {
                format!("{}.{:02}", qty / 100, qty % 100)
            };
            (
                name,
                qty,
                money(l["amount_fen"].as_i64().unwrap_or_default()),
                l["comeback"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    let vat_bp = b.bill.vat_bp;
    BillShow {
        number: b.bill.number.clone(),
        lines,
        net: money(b.bill.net_fen),
        vat_rate: if vat_bp % 100 == 0 {
            format!("{}%", vat_bp / 100)
        } else {
            format!("{}.{:02}%", vat_bp / 100, vat_bp % 100)
        },
        vat: money(b.bill.vat_fen),
        gross: money(b.bill.gross_fen),
        outstanding: money(b.outstanding_fen),
        paid: b.bill.state == "paid",
        paid_at: b.bill.paid_at.map(show_time).unwrap_or_default(),
        last_failed: b.bill.state != "paid"
            && b.payments.last().is_some_and(|p| p.state == "failed"),
    }
}

async fn track_page(
    s: &AppState,
    parts: &Parts,
    token: &str,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = lang_of(parts);
    let mut page = Page::new(lang, "own.progress", "track");
    match owner_track(&s.app, token, lang == Lang::En).await {
        Ok(tr) => {
            page.token = token.to_string();
            page.csrf = form_token(parts);
            page.eta = tr.eta.map(show_time).unwrap_or_default();
            page.promised = tr.promised_at.map(show_time).unwrap_or_default();
            page.stage_keys = tr
                .stages
                .iter()
                .map(|s| format!("svc.stage.{}", s.stage))
                .collect();
            page.status_keys = tr
                .stages
                .iter()
                .map(|s| format!("svc.status.{}", s.status))
                .collect();
            page.decision_keys = tr
                .lines
                .iter()
                .map(|l| format!("svc.decision.{}", l.decision))
                .collect();
            if tr.state == "delivered" {
                match app::payment::bill::owner_view(&s.app, token).await {
                    Ok(b) => {
                        let names: Vec<(i64, String)> = tr
                            .lines
                            .iter()
                            .map(|l| (l.line_no, l.name.clone().unwrap_or_else(|| l.code.clone())))
                            .collect();
                        page.bill = Some(bill_show(&b, &names));
                        page.online_pay = s.app.settings.online_payment();
                        page.rating = b.rating.map(|r| RatingShow {
                            stars: "★".repeat(r.stars.clamp(0, 5) as usize),
                            comment: r.comment.unwrap_or_default(),
                        });
                    }
                    Err(e) => tracing::warn!(error = %e, "owner page: no bill"),
                }
            }
            page.track = Some(tr);
            page.notice = notice;
            page.error = error;
            let mut r = render(&page, status);
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{TRACK_FORM_COOKIE}={}; Path=/owner/track/{token}; HttpOnly; SameSite=Strict{}",
                page.csrf,
                if s.secure_cookies { "; Secure" } else { "" }
            )) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => {
            let (msg, status) = page_error(lang, &e);
            page.error = Some(msg);
            render(&page, status)
        }
    }
}

async fn track(State(s): State<AppState>, parts: Parts, Path(token): Path<String>) -> Response {
    let lang = lang_of(&parts);
    let q = parts.uri.query().unwrap_or("");
    let notice = q
        .split('&')
        .any(|p| p == "rated=1")
        .then(|| tables().t(lang, "own.thanks").to_string());
    track_page(&s, &parts, &token, notice, None, StatusCode::OK).await
}

/// A refused owner-link form: the page again with the rule, or 403 for a bad form token.
async fn track_refused(s: &AppState, parts: &Parts, token: &str, e: AppError) -> Response {
    let (msg, status) = page_error(lang_of(parts), &e);
    track_page(s, parts, token, None, Some(msg), status).await
}

async fn forged(s: &AppState, parts: &Parts, token: &str) -> Response {
    let msg = tables().t(lang_of(parts), "error.csrf").to_string();
    track_page(s, parts, token, None, Some(msg), StatusCode::FORBIDDEN).await
}

async fn decide(
    State(s): State<AppState>,
    parts: Parts,
    Path((token, no)): Path<(String, String)>,
    form: FormData,
) -> Response {
    let Ok(no) = no.parse::<u32>() else {
        return track_page(&s, &parts, &token, None, None, StatusCode::NOT_FOUND).await;
    };
    if !form_token_ok(&parts, &form) {
        return forged(&s, &parts, &token).await;
    }
    let approve = form.get("decision") != "decline";
    let ip = client_ip(&parts);
    match app::service::estimate::owner_decide(&s.app, &token, no, approve, ip.as_deref()).await {
        Ok(()) => Redirect::to(&format!("/owner/track/{token}")).into_response(),
        Err(e) => track_refused(&s, &parts, &token, e).await,
    }
}

/// Starts an online payment of what is owed and sends the owner to the provider's
/// checkout, which comes back to this page.
async fn pay(
    State(s): State<AppState>,
    parts: Parts,
    Path(token): Path<String>,
    form: FormData,
) -> Response {
    if !form_token_ok(&parts, &form) {
        return forged(&s, &parts, &token).await;
    }
    if !s.app.settings.online_payment() {
        // No online provider is configured: its checkout would lead nowhere.
        let msg = tables().t(lang_of(&parts), "own.pay_at_desk").to_string();
        return track_page(&s, &parts, &token, None, Some(msg), StatusCode::CONFLICT).await;
    }
    match app::payment::bill::owner_start_online(&s.app, &token, None).await {
        Ok(p) => {
            let back = format!("/owner/track/{token}");
            let sep = if p.pay_url.contains('?') { '&' } else { '?' };
            let to = format!("{}{sep}return={}", p.pay_url, query_escape(&back));
            Redirect::to(&to).into_response()
        }
        Err(e) => track_refused(&s, &parts, &token, e).await,
    }
}

/// Percent-encodes a query value.
fn query_escape(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Records the owner's rating (1–5 stars and a comment, once).
async fn rate(
    State(s): State<AppState>,
    parts: Parts,
    Path(token): Path<String>,
    form: FormData,
) -> Response {
    if !form_token_ok(&parts, &form) {
        return forged(&s, &parts, &token).await;
    }
    let input = RatingInput {
        stars: crate::console::form::form_int(form.get("stars")),
        comment: serde_json::Value::String(form.get("comment").to_string()),
    };
    match app::payment::rating::rate_by_owner(&s.app, &token, &input).await {
        Ok(_) => Redirect::to(&format!("/owner/track/{token}?rated=1")).into_response(),
        Err(e) => track_refused(&s, &parts, &token, e).await,
    }
}
