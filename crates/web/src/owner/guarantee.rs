//! The owner's three-guarantees page (三包) for one of their cars: how much of the
//! 三包有效期 and the 包修期 is left (days and km), the repair-time counter against the
//! 30-day line, the current repair's days, every right that arose (with its article
//! and date), the car's requests with their answer deadlines, and a form filing a
//! replacement or refund request citing a right that allows one. For an EV, the
//! traction battery: the model's capacity-fade promise and every battery check with
//! the promise it is held to and whether it kept it (a broken one is the check the
//! right to a restored battery arose from, shown among the rights with its evidence).
//! Another owner's car answers exactly like a missing one.

use crate::AppState;
use crate::console::form::{FormData, render, t};
use crate::console::guarantee::{article, fade_evidence, permille, right_kind, subject_label};
use crate::error::page_error;
use crate::extract::{SESSION_COOKIE, constant_time_eq, cookie};
use crate::i18n::{I18n, Lang, tables};
use app::AppError;
use app::auth::Session;
use app::guarantee::request::FileInput;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::permission::Grant;

/// Routes of the owner's three-guarantees page.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/owner/vehicles/{id}/three-guarantees",
        get(page).post(file),
    )
}

/// One battery check as the owner sees it.
struct OwnerCheck {
    /// Day and odometer.
    when: String,
    /// Measured share kept.
    share: String,
    /// The promise it is held to, in words.
    held: String,
    /// Kept, broken (with the shortfall), outside the window or no promise.
    verdict: String,
    /// `kept`, `broken`, `outside` or `no_promise` (for the page's tag).
    code: String,
    /// The right to a restored battery arose from this check.
    raised: bool,
}

/// An EV's battery section: the promise and the checks, newest first.
struct OwnerBattery {
    promise: String,
    checks: Vec<OwnerCheck>,
}

/// The battery section of an EV's position in the page's language.
fn battery_of(lang: Lang, b: &app::guarantee::battery::BatteryView) -> OwnerBattery {
    let promise = match &b.promise {
        Some(p) => {
            let mut s = format!(
                "≥ {} · {} {} / {} km",
                permille(p.min_share_permille),
                p.years,
                t(lang, "gt4.years"),
                p.km
            );
            if let Some(u) = &b.promise_until {
                s.push_str(&format!(" ({} {u})", t(lang, "gt4.until")));
            }
            s
        }
        None => t(lang, "gt4.no_promise"),
    };
    let checks = b
        .checks
        .iter()
        .rev()
        .map(|c| {
            let mut verdict = t(lang, &format!("gt4.verdict.{}", c.verdict));
            if let Some(short) = c.short_by_permille {
                verdict = format!("{verdict} (−{})", permille(short));
            }
            OwnerCheck {
                when: format!("{} · {} km", c.checked_on, c.odometer_km),
                share: permille(c.share_permille),
                held: c
                    .promise_permille
                    .map(|p| format!("{} ≥ {}", t(lang, "gt4.held_to"), permille(p)))
                    .unwrap_or_else(|| t(lang, "gt4.verdict.no_promise")),
                verdict,
                code: c.verdict.clone(),
                raised: b.first_broken == Some(c.id),
            }
        })
        .collect();
    OwnerBattery { promise, checks }
}

/// A right the owner may cite.
struct Citable {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "owner_guarantee.html")]
struct OwnerPage {
    lang: Lang,
    t: &'static I18n,
    title: String,
    csrf: String,
    notice: Option<String>,
    error: Option<String>,
    /// The refusal of the cited right, shown beside its field.
    right_error: Option<String>,
    /// The refusal of the kind, shown beside its field.
    kind_error: Option<String>,
    car: String,
    /// (label, value) of the periods and counters.
    status: Vec<(String, String)>,
    /// (right, article · subject, arose on, evidence of a broken fade promise).
    rights: Vec<(String, String, String, String)>,
    /// The traction battery of an EV.
    battery: Option<OwnerBattery>,
    /// (kind, right, filed on, answer by, state).
    requests: Vec<(String, String, String, String, String)>,
    citable: Vec<Citable>,
    courtesy_car: bool,
}

async fn owner(s: &AppState, parts: &Parts) -> Option<(Session, Grant)> {
    let token = cookie(parts, SESSION_COOKIE)?;
    let session = app::auth::session(&s.app, token).await.ok()??;
    if session.principal.role != domain::role::Role::Owner {
        return None;
    }
    let grant = session.principal.grant(app::pickup::OWNER).ok()?;
    Some((session, grant))
}

/// Days from today to `until` (both local dates), never negative.
fn days_left(today: jiff::civil::Date, until: &str) -> i64 {
    until
        .parse::<jiff::civil::Date>()
        .ok()
        .and_then(|u| today.until(u).ok())
        .map(|s| i64::from(s.get_days()).max(0))
        .unwrap_or(0)
}

/// A refusal as the page shows it: beside the field it names, the rest at the top.
#[derive(Debug, Default)]
struct Refusal {
    top: Option<String>,
    right: Option<String>,
    kind: Option<String>,
}

impl Refusal {
    /// At the top only.
    fn top(msg: String) -> Refusal {
        Refusal {
            top: Some(msg),
            ..Refusal::default()
        }
    }

    /// A use case's refusal, each violation beside the field it names.
    fn of(lang: Lang, e: &AppError) -> (Refusal, StatusCode) {
        let (msg, status) = page_error(lang, e);
        let (AppError::Invalid(v) | AppError::Refused(v)) = e else {
            return (Refusal::top(msg), status);
        };
        let mut out = Refusal::default();
        let mut top = Vec::new();
        for f in crate::error::field_errors(lang, &v.0) {
            let slot = match f.field.as_str() {
                "kind" => &mut out.kind,
                "article" | "subject" | "right" => &mut out.right,
                _ => {
                    top.push(f.message);
                    continue;
                }
            };
            *slot = Some(match slot.take() {
                Some(before) => format!("{before}; {}", f.message),
                None => f.message,
            });
        }
        if !top.is_empty() {
            out.top = Some(top.join("; "));
        }
        (out, status)
    }
}

async fn show(
    s: &AppState,
    session: &Session,
    grant: &Grant,
    id: i64,
    notice: Option<String>,
    refusal: Refusal,
    status: StatusCode,
) -> Response {
    let lang = Lang::from_tag(&session.lang);
    let parts = &app::guarantee::main_part::names(&s.app)
        .await
        .unwrap_or_default();
    let p = match app::guarantee::owner::position(&s.app, grant, id).await {
        Ok(p) => p,
        Err(e) => {
            let (msg, st) = page_error(lang, &e);
            return (st, msg).into_response();
        }
    };
    let tg = &p.position;
    let today = jiff::Timestamp::from_millisecond(s.app.now_ms())
        .map(|t| {
            t.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC))
                .date()
        })
        .unwrap_or(jiff::civil::Date::MIN);
    let cov = &tg.coverage;
    let period = |until: &str, km: u32, within: bool| {
        if within {
            tables().fill(
                lang,
                "gt3.own.left",
                &[
                    ("until", until),
                    ("days", &days_left(today, until).to_string()),
                    ("km", &km.to_string()),
                ],
            )
        } else {
            t(lang, "gt2.ended")
        }
    };
    let mut status_rows = vec![
        (
            t(lang, "gt2.sanbao"),
            period(&cov.sanbao_until, cov.sanbao_km, tg.within_sanbao),
        ),
        (
            t(lang, "gt2.warranty"),
            period(&cov.warranty_until, cov.warranty_km, tg.within_warranty),
        ),
        (
            t(lang, "gt2.repair_days"),
            format!(
                "{} / {}",
                tg.counters.repair_days, tg.policy.cumulative_repair_days
            ),
        ),
    ];
    if let Some(d) = tg.counters.current_repair_days {
        status_rows.push((t(lang, "gt2.current_repair_days"), d.to_string()));
    }
    let rights = tg
        .rights
        .iter()
        .map(|r| {
            (
                right_kind(lang, &r.kind, r.system.as_deref()),
                format!(
                    "{} · {}",
                    article(lang, &r.article),
                    subject_label(lang, parts, &r.subject)
                ),
                r.arose_on.clone(),
                r.fade
                    .as_ref()
                    .map(|f| fade_evidence(lang, f))
                    .unwrap_or_default(),
            )
        })
        .collect();
    let battery = tg.battery.as_ref().map(|b| battery_of(lang, b));
    let requests = p
        .requests
        .iter()
        .map(|r| {
            (
                t(lang, &format!("gt2.request.{}", r.kind)),
                format!(
                    "{} · {}",
                    article(lang, &r.article),
                    subject_label(lang, parts, &r.subject)
                ),
                r.filed_on.clone(),
                r.perform_by.clone().unwrap_or_else(|| r.answer_by.clone()),
                t(lang, &format!("gt2.request_state.{}", r.state)),
            )
        })
        .collect();
    let open: Vec<(&str, &str)> = p
        .requests
        .iter()
        .filter(|r| r.state == "filed" || r.state == "accepted")
        .map(|r| (r.article.as_str(), r.subject.as_str()))
        .collect();
    let citable: Vec<Citable> = tg
        .rights
        .iter()
        .filter(|r| r.kind == "replacement_or_refund")
        .filter(|r| !open.contains(&(r.article.as_str(), r.subject.as_str())))
        .map(|r| Citable {
            value: format!("{}|{}", r.article, r.subject),
            label: format!(
                "{} · {}",
                article(lang, &r.article),
                subject_label(lang, parts, &r.subject)
            ),
        })
        .collect();
    // Without the form there is no field to stand beside: everything at the top.
    let mut refusal = refusal;
    if citable.is_empty() {
        let all: Vec<String> = [
            refusal.top.take(),
            refusal.right.take(),
            refusal.kind.take(),
        ]
        .into_iter()
        .flatten()
        .collect();
        refusal.top = (!all.is_empty()).then(|| all.join("; "));
    }
    let page = OwnerPage {
        lang,
        t: tables(),
        title: t(lang, "gt3.own.title"),
        csrf: session.csrf.clone(),
        notice,
        error: refusal.top,
        right_error: refusal.right,
        kind_error: refusal.kind,
        car: format!(
            "{} · {}",
            p.model,
            p.plate.clone().unwrap_or_else(|| tg.vin.clone())
        ),
        status: status_rows,
        rights,
        battery,
        requests,
        citable,
        courtesy_car: tg
            .rights
            .iter()
            .any(|r| r.kind == "courtesy_car" && tg.counters.current_repair_days.is_some()),
    };
    render(&page, status)
}

async fn page(State(s): State<AppState>, parts: Parts, Path(id): Path<String>) -> Response {
    let Some((session, grant)) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    let Ok(id) = id.trim().parse::<i64>() else {
        let (msg, st) = page_error(lang, &AppError::NotFound);
        return (st, msg).into_response();
    };
    let filed = parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .any(|p| p == "filed=1");
    let notice = filed.then(|| t(lang, "gt3.own.filed"));
    show(
        &s,
        &session,
        &grant,
        id,
        notice,
        Refusal::default(),
        StatusCode::OK,
    )
    .await
}

async fn file(
    State(s): State<AppState>,
    parts: Parts,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    let Some((session, grant)) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    if !constant_time_eq(form.get("csrf").as_bytes(), session.csrf.as_bytes()) {
        let msg = t(lang, "error.csrf");
        return show(
            &s,
            &session,
            &grant,
            id,
            None,
            Refusal::top(msg),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let (art, subject) = form.get("right").split_once('|').unwrap_or(("", ""));
    let input: FileInput = serde_json::from_value(serde_json::json!({
        "kind": form.get("kind").trim(),
        "article": art,
        "subject": subject,
    }))
    .unwrap_or_default();
    match app::guarantee::request::file_as_owner(&s.app, &grant, id, &input).await {
        Ok(_) => {
            Redirect::to(&format!("/owner/vehicles/{id}/three-guarantees?filed=1")).into_response()
        }
        Err(e) => {
            let (refusal, status) = Refusal::of(lang, &e);
            show(&s, &session, &grant, id, None, refusal, status).await
        }
    }
}
