//! The owner's phone-sized pages: sign in with a one-time code, my vehicles, my data.

use crate::AppState;
use crate::api::auth::session_cookie;
use crate::client::SignInOrigin;
use crate::console::chrome::show_time;
use crate::console::form::{FormData, render};
use crate::console::session::visitor_lang;
use crate::error::page_error;
use crate::extract::{SESSION_COOKIE, constant_time_eq, cookie};
use crate::i18n::{I18n, Lang, tables, yuan};
use app::AppError;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::permission::Action;

// Machinery: the page the owner's service pages share.
pub(crate) mod page;

// Business areas, named as in every other layer.
pub mod appointment;
pub mod complaint;
pub mod guarantee;
pub mod pickup;
pub mod privacy;
pub mod repair_order;
pub mod survey;

/// Cookie with the CSRF token of the owner's sign-in forms (double submit).
const OWNER_CSRF_COOKIE: &str = "as_owner_csrf";
/// The number a sign-in code was just sent to, for the form the browser is sent back
/// to after asking (post–redirect–get: reloading the page never posts again, and the
/// address bar never holds `/owner/code`, which only takes posts). Ten minutes, the
/// owner pages only, unreadable by scripts; digits and `+` only.
const OWNER_PHONE_COOKIE: &str = "as_owner_phone";

/// Routes of the owner pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/owner", get(home))
        .route("/owner/login", get(login_page).post(login))
        .route("/owner/code", post(send_code))
        .route("/owner/logout", post(logout))
        .merge(appointment::router())
        .merge(guarantee::router())
        .merge(repair_order::router())
        .merge(survey::router())
        .merge(pickup::router())
        .merge(complaint::router())
        .merge(privacy::consent::router())
        .merge(privacy::export::router())
        .merge(privacy::request::router())
}

#[derive(Template)]
#[template(path = "owner_login.html")]
struct LoginPage {
    lang: Lang,
    t: &'static I18n,
    csrf: String,
    phone: String,
    error: Option<String>,
    notice: Option<String>,
}

fn login_form(
    lang: Lang,
    phone: &str,
    error: Option<String>,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let csrf = app::auth::new_secret();
    let page = LoginPage {
        lang,
        t: tables(),
        csrf: csrf.clone(),
        phone: phone.to_string(),
        error,
        notice,
    };
    let mut r = render(&page, status);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{OWNER_CSRF_COOKIE}={csrf}; Path=/owner; HttpOnly; SameSite=Strict"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

fn csrf_ok(parts: &Parts, form: &FormData) -> bool {
    let expected = cookie(parts, OWNER_CSRF_COOKIE).unwrap_or("");
    !expected.is_empty() && constant_time_eq(form.get("csrf").as_bytes(), expected.as_bytes())
}

async fn login_page(parts: Parts) -> Response {
    let lang = visitor_lang(&parts);
    let sent = parts
        .uri
        .query()
        .is_some_and(|q| q.split('&').any(|kv| kv == "sent=1"));
    if !sent {
        return login_form(lang, "", None, None, StatusCode::OK);
    }
    let phone: String = cookie(&parts, OWNER_PHONE_COOKIE)
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .take(20)
        .collect();
    login_form(
        lang,
        &phone,
        None,
        Some(tables().t(lang, "owner.code_sent").into()),
        StatusCode::OK,
    )
}

async fn send_code(State(s): State<AppState>, parts: Parts, form: FormData) -> Response {
    let lang = visitor_lang(&parts);
    if !csrf_ok(&parts, &form) {
        return login_form(
            lang,
            form.get("phone"),
            Some(tables().t(lang, "error.csrf").into()),
            None,
            StatusCode::FORBIDDEN,
        );
    }
    let origin = SignInOrigin::of(&parts);
    match app::auth::request_owner_code(&s.app, form.get("phone"), origin.as_app()).await {
        Ok(()) => {
            let phone: String = form
                .get("phone")
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .take(20)
                .collect();
            let mut r = Redirect::to("/owner/login?sent=1").into_response();
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{OWNER_PHONE_COOKIE}={phone}; Path=/owner; Max-Age=600; HttpOnly; SameSite=Strict"
            )) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => login_form(
            lang,
            form.get("phone"),
            Some(page_error(lang, &e).0),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

async fn login(State(s): State<AppState>, parts: Parts, form: FormData) -> Response {
    let lang = visitor_lang(&parts);
    if !csrf_ok(&parts, &form) {
        return login_form(
            lang,
            form.get("phone"),
            Some(tables().t(lang, "error.csrf").into()),
            None,
            StatusCode::FORBIDDEN,
        );
    }
    let origin = SignInOrigin::of(&parts);
    match app::auth::verify_owner_code(
        &s.app,
        form.get("phone"),
        form.get("code"),
        lang.tag(),
        origin.as_app(),
    )
    .await
    {
        Ok(session) => {
            let mut r = Redirect::to("/owner").into_response();
            r.headers_mut().insert(
                header::SET_COOKIE,
                session_cookie(&session.token, s.app.settings.session_minutes * 60),
            );
            r
        }
        Err(e) => login_form(
            lang,
            form.get("phone"),
            Some(match e {
                // A wrong or expired code (the API answers 401): say so at the field.
                AppError::Unauthenticated => {
                    tables().violation(lang, &domain::Violation::new("code", "otp.invalid"))
                }
                e => page_error(lang, &e).0,
            }),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

/// One of the owner's orders as the home lists it: the car in the shop or a bill.
struct OrderShow {
    id: i64,
    vehicle: String,
    station: String,
    /// Translated state, or the stage in progress while open.
    status: String,
    promised: String,
    open: bool,
    /// Bill number, total and whether it is paid.
    bill: Option<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "owner_home.html")]
struct HomePage {
    lang: Lang,
    t: &'static I18n,
    hello: String,
    csrf: String,
    vehicles: Vec<app::vehicle::Vehicle>,
    orders: Vec<OrderShow>,
    /// Some order is open (the car is in the shop).
    any_open: bool,
    /// Some order has a bill.
    any_bill: bool,
    /// Upcoming appointments, one line each.
    bookings: Vec<String>,
    messages: Vec<String>,
}

async fn home(State(s): State<AppState>, parts: Parts) -> Response {
    let to_login = || Redirect::to("/owner/login").into_response();
    let Some(token) = cookie(&parts, SESSION_COOKIE) else {
        return to_login();
    };
    let Ok(Some(session)) = app::auth::session(&s.app, token).await else {
        return to_login();
    };
    let Ok(grant) = session.principal.grant(Action::OwnDataExport) else {
        return to_login();
    };
    let lang = Lang::from_tag(&session.lang);
    let t = tables();
    let vehicles = app::vehicle::owned(&s.app, &grant)
        .await
        .unwrap_or_default();
    let orders: Vec<OrderShow> = app::repair_order::mine::owner_orders(&s.app, &grant)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|o| OrderShow {
            id: o.order_id,
            vehicle: o.vehicle,
            station: if lang == Lang::En {
                o.station_en
            } else {
                o.station_zh
            },
            status: match (&o.current_stage, o.state.as_str()) {
                (Some(stage), "open") => t.t(lang, &format!("svc.stage.{stage}")).to_string(),
                _ => t
                    .t(lang, &format!("owner.order_state.{}", o.state))
                    .to_string(),
            },
            promised: o.promised_at.map(show_time).unwrap_or_default(),
            open: o.state == "open",
            bill: o.bill.map(|b| (b.number, yuan(b.gross_fen), b.paid)),
        })
        .collect();
    let bookings = match session.principal.grant(Action::AppointmentBook) {
        Ok(g) => {
            let stations: Vec<i64> = vehicles.iter().map(|v| v.station_id).collect();
            let now = s.app.now_ms();
            app::appointment::owner::owned(&s.app, &g, &stations)
                .await
                .unwrap_or_default()
                .into_iter()
                .filter(|a| a.state == "booked" && a.start_at > now)
                .map(|a| {
                    let car = vehicles
                        .iter()
                        .find(|v| v.id == a.vehicle_id)
                        .map(|v| v.plate.clone().unwrap_or_else(|| v.model.clone()))
                        .unwrap_or_default();
                    format!(
                        "{} · {} · {}",
                        show_time(a.start_at),
                        car,
                        t.t(lang, &format!("svc.type.{}", a.service_type)),
                    )
                })
                .collect()
        }
        Err(_) => Vec::new(),
    };
    let messages = app::customer::inbox(&s.app, &grant, 20)
        .await
        .map(|m| {
            m.into_iter()
                .map(|m| {
                    format!(
                        "{} · {}",
                        show_time(m.created_at),
                        t.t(lang, &format!("template.{}", m.template))
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let page = HomePage {
        lang,
        t,
        hello: t.fill(lang, "owner.hello", &[("name", &session.principal.name)]),
        csrf: session.csrf.clone(),
        vehicles,
        any_open: orders.iter().any(|o| o.open),
        any_bill: orders.iter().any(|o| o.bill.is_some()),
        orders,
        bookings,
        messages,
    };
    render(&page, StatusCode::OK)
}

/// Signs the owner out (the session's CSRF token must come with the form) and goes
/// back to the sign-in page; a stale or forged form just lands there too.
async fn logout(State(s): State<AppState>, parts: Parts, form: FormData) -> Response {
    if let Some(token) = cookie(&parts, SESSION_COOKIE)
        && let Ok(Some(session)) = app::auth::session(&s.app, token).await
        && constant_time_eq(form.get("csrf").as_bytes(), session.csrf.as_bytes())
        && let Err(e) = app::auth::logout(&s.app, token).await
    {
        tracing::warn!(error = %e, "owner sign-out failed");
    }
    let mut r = Redirect::to("/owner/login").into_response();
    r.headers_mut()
        .append(header::SET_COOKIE, session_cookie("", 0));
    r
}
