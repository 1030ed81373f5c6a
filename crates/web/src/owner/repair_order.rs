//! The owner's progress page on the unguessable owner link: approve/decline of
//! estimate lines and, once delivered, the electronic bill, online payment through
//! the provider's checkout, and the rating.
//!
//! The owner link needs no sign-in: its token is the credential. Its forms carry a
//! per-browser form token (double submit: a `SameSite=Strict` cookie scoped to the
//! link's path and a hidden field), so another site cannot make the owner's browser
//! approve, pay or rate.

use super::page::*;
use crate::AppState;
use crate::api::client_ip;
use crate::console::chrome::show_time;
use crate::console::form::{FormData, render};
use crate::error::page_error;
use crate::extract::{constant_time_eq, cookie};
use crate::i18n::{I18n, Lang, tables};
use app::AppError;
use app::rating::RatingInput;
use app::repair_order::track::owner_track;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::money::Money;

/// Routes of the owner-link pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/owner/track/{token}", get(track))
        .route("/owner/track/{token}/lines/{no}", post(decide))
        .route("/owner/track/{token}/pay", post(pay))
        .route("/owner/track/{token}/rating", post(rate))
}

impl Tables for Option<&'static I18n> {
    fn tr<'a>(&'a self, lang: &Lang, key: &'a str) -> &'a str {
        match self {
            Some(t) => t.tr(lang, key),
            None => key,
        }
    }
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

fn bill_show(b: &app::billing::BillView, names: &[(i64, String)]) -> BillShow {
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
                match app::billing::owner_view(&s.app, token).await {
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
            // `Secure` is added behind TLS by `crate::headers`, as for every cookie.
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{TRACK_FORM_COOKIE}={}; Path=/owner/track/{token}; HttpOnly; SameSite=Strict",
                page.csrf,
            )) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => {
            let (mut msg, status) = page_error(lang, &e);
            // Unknown, revoked and expired links answer alike, pointing to sign-in.
            if matches!(e, AppError::NotFound) {
                msg = tables().t(lang, "own.link_gone").to_string();
            }
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
    match app::estimate::owner_decide(&s.app, &token, no, approve, ip.as_deref()).await {
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
    // The provider the owner picked (`wechat`, `alipay`), or the server's first.
    let provider = Some(form.get("provider")).filter(|p| !p.is_empty());
    match app::billing::owner_start_online(&s.app, &token, provider).await {
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
    match app::rating::rate_by_owner(&s.app, &token, &input).await {
        Ok(_) => Redirect::to(&format!("/owner/track/{token}?rated=1")).into_response(),
        Err(e) => track_refused(&s, &parts, &token, e).await,
    }
}
