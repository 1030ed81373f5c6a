//! The owner's service pages: book (offered slots when full), my appointments, and
//! progress on the unguessable owner link with approve/decline of estimate lines.

use crate::AppState;
use crate::api::service::track::{OwnerTrack, owner_track};
use crate::api::service::{client_ip, parse_instant};
use crate::console::chrome::show_time;
use crate::console::form::{FormData, render};
use crate::extract::{SESSION_COOKIE, constant_time_eq, cookie};
use crate::i18n::{I18n, Lang, tables};
use app::AppError;
use app::auth::Session;
use app::service::appointment::BookInput;
use app::service::capacity::SlotQuery;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::appointment::ServiceType;
use domain::permission::{Action, Reach};

/// Routes of the owner's service pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/owner/book", get(book_page).post(book))
        .route("/owner/appointments", get(my_appointments))
        .route("/owner/track/{token}", get(track))
        .route("/owner/track/{token}/lines/{no}", post(decide))
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
    items: Vec<String>,
    token: String,
    track: Option<OwnerTrack>,
    eta: String,
    promised: String,
    stage_keys: Vec<String>,
    status_keys: Vec<String>,
    decision_keys: Vec<String>,
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

fn message(lang: Lang, e: &AppError) -> String {
    match e {
        AppError::Invalid(v) | AppError::Refused(v) => {
            v.0.iter()
                .map(|x| tables().violation(lang, x))
                .collect::<Vec<_>>()
                .join("; ")
        }
        AppError::NotFound => tables().t(lang, "error.not_found").into(),
        _ => tables().t(lang, "error.internal").into(),
    }
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
            page.error = Some(message(lang, &e));
            let full = matches!(&e, AppError::Refused(v) if v.0.iter().any(|x| x.rule.starts_with("capacity.no_")));
            if full {
                page.offers = offers(&s, &g, station_id, &input, lang).await;
            }
            let (status, ..) = crate::error::describe(&crate::error::Problem::App(e));
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
    let mut page = Page::new(lang, "own.my_appointments", "list");
    page.signed_in = true;
    if parts.uri.query().is_some_and(|q| q.contains("booked=1")) {
        page.notice = Some(tables().t(lang, "own.booked").into());
    }
    let vs = vehicles(&s, &session).await;
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
            if let Ok(list) = store::service::appointment::list(
                &mut c,
                &Reach::All,
                st,
                now - 30 * 86_400_000,
                now + 120 * 86_400_000,
            )
            .await
            {
                rows.extend(
                    list.into_iter()
                        .filter(|a| a.customer_id == session.principal.id),
                );
            }
        }
        rows.sort_by_key(|a| a.start_at);
        page.items = rows
            .iter()
            .map(|a| {
                format!(
                    "{} · #{} · {} · {}",
                    show_time(a.start_at),
                    a.station_id,
                    tables().t(lang, &format!("svc.type.{}", a.service_type)),
                    tables().t(lang, &format!("svc.appt.{}", a.state)),
                )
            })
            .collect();
    }
    render(&page, StatusCode::OK)
}

fn lang_of(parts: &Parts) -> Lang {
    crate::console::session::visitor_lang(parts)
}

async fn track_page(
    s: &AppState,
    lang: Lang,
    token: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let mut page = Page::new(lang, "own.progress", "track");
    match owner_track(&s.app, token, lang == Lang::En).await {
        Ok(tr) => {
            page.token = token.to_string();
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
            page.track = Some(tr);
            page.error = error;
            render(&page, status)
        }
        Err(e) => {
            page.error = Some(message(lang, &e));
            let (status, ..) = crate::error::describe(&crate::error::Problem::App(e));
            render(&page, status)
        }
    }
}

async fn track(State(s): State<AppState>, parts: Parts, Path(token): Path<String>) -> Response {
    track_page(&s, lang_of(&parts), &token, None, StatusCode::OK).await
}

async fn decide(
    State(s): State<AppState>,
    parts: Parts,
    Path((token, no)): Path<(String, String)>,
    form: FormData,
) -> Response {
    let lang = lang_of(&parts);
    let Ok(no) = no.parse::<u32>() else {
        return track_page(&s, lang, &token, None, StatusCode::NOT_FOUND).await;
    };
    let approve = form.get("decision") != "decline";
    let ip = client_ip(&parts);
    match app::service::estimate::owner_decide(&s.app, &token, no, approve, ip.as_deref()).await {
        Ok(()) => Redirect::to(&format!("/owner/track/{token}")).into_response(),
        Err(e) => {
            let (status, ..) = crate::error::describe(&crate::error::Problem::App(match &e {
                AppError::Refused(v) => AppError::Refused(v.clone()),
                AppError::Invalid(v) => AppError::Invalid(v.clone()),
                AppError::NotFound => AppError::NotFound,
                _ => AppError::Internal(String::new()),
            }));
            track_page(&s, lang, &token, Some(message(lang, &e)), status).await
        }
    }
}
