//! The daily reconciliation page (`/console/reconciliation?day=YYYY-MM-DD`) for the
//! cashier (own station) and head office (everything), and its CSV export
//! (`/console/reconciliation.csv`). The day defaults to yesterday in Shanghai.

use super::super::chrome::Chrome;
use super::super::form::{error_page, render};
use super::super::session::{ConsoleUser, grant};
use crate::AppState;
use crate::error::page_error;
use crate::i18n::yuan;
use app::billing::READ;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;

/// Routes of the reconciliation page and export.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/reconciliation", get(page))
        .route("/console/reconciliation.csv", get(export_csv))
        .route("/console/reconciliation.xlsx", get(export_xlsx))
}

/// A line as shown: code, label, tone, provider reference, bill (its number and
/// its repair order, for the links to the bill and the order), ours, theirs.
type LineShown = (
    String,
    String,
    &'static str,
    String,
    Option<(String, i64)>,
    String,
    String,
);

#[derive(Template)]
#[template(path = "reconciliation.html")]
struct ReconPage {
    chrome: Chrome,
    title: String,
    day: String,
    all_matched: bool,
    /// Code, label, tone, count.
    counts: Vec<(String, String, &'static str, usize)>,
    /// Code, label, tone, provider reference, bill, ours, theirs.
    lines: Vec<LineShown>,
    /// The link text of a bill's repair order.
    order_label: String,
    /// What the nightly job found, one sentence per provider.
    nightly: Vec<String>,
    error: Option<String>,
}

fn tone(outcome: &str) -> &'static str {
    match outcome {
        "matched" => "active",
        _ => "suspended",
    }
}

/// The day asked for, or yesterday in Shanghai.
fn day_of(s: &AppState, q: &HashMap<String, String>) -> String {
    q.get("day")
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| {
            let now = jiff::Timestamp::from_millisecond(s.app.now_ms()).unwrap_or_default();
            let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC);
            now.to_zoned(tz)
                .date()
                .yesterday()
                .map(|d| d.to_string())
                .unwrap_or_default()
        })
}

async fn page(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let chrome = user.chrome("reconciliation");
    let g = match grant(&user, READ) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let title = chrome.t("recon.title");
    let chrome = chrome.crumb("/console/reconciliation", title.clone());
    let day = day_of(&s, &q);
    let (r, error, status) = match app::billing::reconciliation::day(&s.app, &g, &day).await {
        Ok(r) => (Some(r), None, StatusCode::OK),
        Err(e) => {
            let (msg, status) = page_error(user.lang, &e);
            (None, Some(msg), status)
        }
    };
    let label = |o: &str| chrome.t(&format!("recon.outcome.{o}"));
    let money = |f: Option<i64>| f.map(yuan).unwrap_or_default();
    let page = ReconPage {
        title,
        day,
        all_matched: r.as_ref().is_some_and(|r| r.all_matched()),
        counts: r
            .as_ref()
            .map(|r| {
                r.counts
                    .iter()
                    .map(|(c, n)| (c.clone(), label(c), tone(c), *n))
                    .collect()
            })
            .unwrap_or_default(),
        lines: r
            .as_ref()
            .map(|r| {
                r.lines
                    .iter()
                    .map(|l| {
                        (
                            l.outcome.clone(),
                            label(&l.outcome),
                            tone(&l.outcome),
                            l.provider_ref.clone(),
                            l.bill_number.clone().zip(l.repair_order_id),
                            money(l.ours_fen),
                            money(l.theirs_fen),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        nightly: r
            .as_ref()
            .map(|r| {
                r.nightly
                    .iter()
                    .map(|n| {
                        let at = jiff::Timestamp::from_millisecond(n.ran_at)
                            .ok()
                            .and_then(|t| {
                                jiff::tz::TimeZone::get("Asia/Shanghai")
                                    .ok()
                                    .map(|z| t.to_zoned(z).strftime("%Y-%m-%d %H:%M").to_string())
                            })
                            .unwrap_or_default();
                        format!(
                            "{} · {} {} · {}: {} · {}: {} · {}: {} · {}: {}",
                            chrome.t(&format!("recon.provider.{}", n.provider)),
                            chrome.t("recon.nightly_at"),
                            at,
                            label("matched"),
                            n.matched,
                            label("amount_mismatch"),
                            n.amount_mismatch,
                            label("missing"),
                            n.missing,
                            label("extra"),
                            n.extra
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        error,
        order_label: chrome.t("svc.order"),
        chrome,
    };
    render(&page, status)
}

/// The day's reconciliation as CSV (UTF-8 with a BOM).
async fn export_csv(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    export(s, user, q, Format::Csv).await
}

/// The day's reconciliation as an XLSX workbook.
async fn export_xlsx(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    export(s, user, q, Format::Xlsx).await
}

/// The two export formats; both neutralise cells a spreadsheet would evaluate.
#[derive(Clone, Copy)]
enum Format {
    Csv,
    Xlsx,
}

async fn export(s: AppState, user: ConsoleUser, q: HashMap<String, String>, f: Format) -> Response {
    let chrome = user.chrome("reconciliation");
    let g = match grant(&user, READ) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let day = day_of(&s, &q);
    let r = match app::billing::reconciliation::day(&s.app, &g, &day).await {
        Ok(r) => r,
        Err(e) => return error_page(chrome, &e),
    };
    let heads = [
        chrome.t("recon.outcome"),
        chrome.t("field.provider_ref"),
        chrome.t("field.payment_ref"),
        chrome.t("field.bill_number"),
        chrome.t("recon.ours"),
        chrome.t("recon.theirs"),
    ];
    let (made, mime, ext) = match f {
        Format::Csv => (
            app::billing::reconciliation::csv(&r, &heads),
            "text/csv; charset=utf-8",
            "csv",
        ),
        Format::Xlsx => (
            app::billing::reconciliation::xlsx(&r, &heads),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    match made {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, mime.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"reconciliation-{}.{ext}\"", r.day),
                ),
            ],
            body,
        )
            .into_response(),
        Err(e) => error_page(chrome, &e),
    }
}
