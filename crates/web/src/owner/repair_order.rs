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
use crate::i18n::{I18n, Lang, tables, yuan};
use app::AppError;
use app::rating::RatingInput;
use app::repair_order::track::owner_track;
use askama::Template;
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

/// The owner's progress page: the car, station, order number and total first, then
/// the bill with its pay button, the estimate lines to decide, and the stages
/// collapsed to one line each (the current one open).
#[derive(Template, Default)]
#[template(path = "owner_track.html")]
struct TrackPage {
    lang: Lang,
    t: Option<&'static I18n>,
    title_key: &'static str,
    /// This page's path, for the language switch and the refresh link.
    self_path: String,
    notice: Option<String>,
    error: Option<String>,
    /// The link is unknown, revoked or expired: say what to do instead.
    gone: bool,
    token: String,
    csrf: String,
    vehicle: String,
    station: String,
    order_id: i64,
    stage_now: String,
    eta: String,
    promised: String,
    total: String,
    delivered: bool,
    awaiting: usize,
    lines: Vec<LineShow>,
    stages: Vec<StageShow>,
    bill: Option<BillShow>,
    rating: Option<RatingShow>,
    /// An online payment provider is configured (today: the sandbox).
    online_pay: bool,
    /// The payment channels the owner may pick besides the server's first
    /// (`wechat`, `alipay`), with their names.
    channels: Vec<(&'static str, String)>,
}

/// An estimate line as the owner reads it: a name, never a code or part number.
struct LineShow {
    no: i64,
    name: String,
    amount: String,
    decision: String,
    decision_label: String,
    proposed: bool,
}

/// A stage in one line (name, status, checks done) with its checks.
struct StageShow {
    code: String,
    name: String,
    status: String,
    status_label: String,
    count: String,
    current: bool,
    checks: Vec<String>,
}

fn stage_show(lang: Lang, st: &app::repair_order::view::StageView, current: bool) -> StageShow {
    let t = tables();
    let en = lang == Lang::En;
    let done = st.checkpoints.iter().filter(|c| c.checked).count();
    StageShow {
        code: st.stage.clone(),
        name: t.t(lang, &format!("svc.stage.{}", st.stage)).to_string(),
        status: st.status.clone(),
        status_label: t.t(lang, &format!("svc.status.{}", st.status)).to_string(),
        count: t.fill(
            lang,
            "owner.track.checkpoints",
            &[
                ("done", &done.to_string()),
                ("all", &st.checkpoints.len().to_string()),
            ],
        ),
        current,
        checks: st
            .checkpoints
            .iter()
            .filter(|c| c.checked)
            .map(|c| {
                let label = if en { &c.label_en } else { &c.label_zh };
                match &c.note {
                    Some(n) => format!("{label} — {n}"),
                    None => label.clone(),
                }
            })
            .collect(),
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
    let t = tables();
    let mut page = TrackPage {
        lang,
        t: Some(t),
        title_key: "own.progress",
        self_path: format!("/owner/track/{}", query_escape(token)),
        notice,
        error,
        ..Default::default()
    };
    let tr = match owner_track(&s.app, token, lang == Lang::En).await {
        Ok(tr) => tr,
        Err(e) => {
            // Unknown, revoked and expired links answer alike: what to do next.
            if matches!(e, AppError::NotFound) {
                page.gone = true;
                page.title_key = "owner.link.title";
                page.error = None;
                return render(&page, StatusCode::NOT_FOUND);
            }
            let (msg, status) = page_error(lang, &e);
            page.gone = true;
            page.error = Some(msg);
            return render(&page, status);
        }
    };
    page.token = token.to_string();
    page.csrf = form_token(parts);
    page.vehicle = tr.vehicle.clone();
    page.station = tr.station.clone();
    page.order_id = tr.order_id;
    page.total = yuan(tr.total_fen);
    page.eta = tr.eta.map(show_time).unwrap_or_default();
    page.promised = tr.promised_at.map(show_time).unwrap_or_default();
    page.delivered = tr.state == "delivered";
    page.awaiting = tr.awaiting;
    page.stage_now = match (&tr.current_stage, page.delivered) {
        (_, true) => t.t(lang, "owner.order_state.delivered").to_string(),
        (Some(st), false) => t.t(lang, &format!("svc.stage.{st}")).to_string(),
        (None, false) => t.t(lang, "owner.order_state.open").to_string(),
    };
    page.stages = tr
        .stages
        .iter()
        .map(|st| {
            stage_show(
                lang,
                st,
                tr.current_stage.as_deref() == Some(st.stage.as_str()),
            )
        })
        .collect();
    page.lines = tr
        .lines
        .iter()
        .map(|l| LineShow {
            no: l.line_no,
            name: l.name.clone().unwrap_or_else(|| l.code.clone()),
            amount: yuan(l.amount_fen),
            decision: l.decision.clone(),
            decision_label: t
                .t(lang, &format!("svc.decision.{}", l.decision))
                .to_string(),
            proposed: l.decision == "proposed",
        })
        .collect();
    if page.delivered {
        match app::billing::owner_view(&s.app, token).await {
            Ok(b) => {
                let names: Vec<(i64, String)> = tr
                    .lines
                    .iter()
                    .map(|l| (l.line_no, l.name.clone().unwrap_or_else(|| l.code.clone())))
                    .collect();
                page.bill = Some(bill_show(&b, &names));
                page.online_pay = s.app.settings.online_payment();
                let settings = &s.app.settings;
                page.channels = [
                    ("wechat", settings.wechat.is_some(), "own.pay_wechat"),
                    ("alipay", settings.alipay.is_some(), "own.pay_alipay"),
                ]
                .into_iter()
                .filter(|c| c.1)
                .map(|(code, _, key)| (code, t.t(lang, key).to_string()))
                .collect();
                page.rating = b.rating.map(|r| RatingShow {
                    stars: "★".repeat(r.stars.clamp(0, 5) as usize),
                    comment: r.comment.unwrap_or_default(),
                });
            }
            Err(e) => tracing::warn!(error = %e, "owner page: no bill"),
        }
    }
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
    // The order's shape suits the owner's device (the browser's User-Agent):
    // Alipay's phone or computer cashier, WeChat Pay's QR code.
    let back = format!("/owner/track/{token}");
    let payer = app::billing::Payer {
        device: domain::billing::channel::device_of(
            parts
                .headers
                .get(axum::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok()),
        ),
        back: Some(&back),
    };
    match app::billing::owner_start_online_from(&s.app, &token, provider, &payer).await {
        Ok(p) => {
            // Our sandbox checkout comes back to the page by its `return`; a
            // provider's cashier by the `return_url` it was signed with.
            let to = if p.pay_url.starts_with("/sandbox-pay/") {
                let sep = if p.pay_url.contains('?') { '&' } else { '?' };
                format!("{}{sep}return={}", p.pay_url, query_escape(&back))
            } else {
                p.pay_url
            };
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
