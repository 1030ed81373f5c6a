//! The payment-notice ledger page (`/console/payment-notices`) for the cashier and
//! head office: every notice the provider posted, newest first, filtered by bill
//! number (or by bill, from the bill page's link) and verdict; each names its bill
//! by number with links to the bill and its order; the verdict is a status tag.

use super::super::chrome::{Chrome, show_time};
use super::super::form::{error_page, render};
use super::super::session::{ConsoleUser, grant};
use crate::AppState;
use app::billing::notice::VERDICTS;
use app::billing::{NoticeFilterInput, READ};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use std::collections::HashMap;

/// Routes of the ledger page.
pub fn router() -> Router<AppState> {
    Router::new().route("/console/payment-notices", get(page))
}

/// One notice as shown.
struct Line {
    id: i64,
    when: String,
    /// The bill's number and repair order, when the notice names a known payment.
    bill: Option<(String, i64)>,
    payment_ref: String,
    verdict: String,
    verdict_label: String,
    tone: &'static str,
    client_addr: String,
}

/// A verdict offered in the filter.
struct Choice {
    code: &'static str,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "payment_notices.html")]
struct NoticesPage {
    chrome: Chrome,
    title: String,
    lines: Vec<Line>,
    choices: Vec<Choice>,
    /// The bill number asked for (or that of the bill id asked for).
    bill_number: String,
    /// The bill id asked for by the bill page's link, kept in the form.
    bill_id: String,
    order_label: String,
    prev: Option<String>,
    next: Option<String>,
}

/// The status tag's tone of a verdict: applied money green, what the cashier must
/// look at amber, refusals grey.
fn tone(verdict: &str) -> &'static str {
    match verdict {
        "applied" | "duplicate" => "active",
        "paid_late" | "amount_mismatch" | "provider_ref_used" | "error" => "suspended",
        _ => "closed",
    }
}

async fn page(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let chrome = user.chrome("payment_notices");
    let g = match grant(&user, READ) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let title = chrome.t("notice.title");
    let chrome = chrome.crumb("/console/payment-notices", title.clone());
    let text = |k: &str| {
        q.get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let bill_id = text("bill_id");
    let bill_number = text("bill_number");
    let verdict = text("verdict");
    let f = NoticeFilterInput {
        bill_id: bill_id.as_deref().and_then(|b| b.parse().ok()),
        bill_number: bill_number.clone(),
        verdict: verdict.clone(),
        page: text("page").and_then(|p| p.parse().ok()),
    };
    let view = match app::billing::notices(&s.app, &g, &f).await {
        Ok(v) => v,
        Err(e) => return error_page(chrome, &e),
    };
    let link = |page: i64| {
        let mut qs = vec![format!("page={page}")];
        if let Some(b) = &f.bill_id {
            qs.push(format!("bill_id={b}"));
        }
        if let Some(n) = &f.bill_number {
            qs.push(format!(
                "bill_number={}",
                form_urlencoded::byte_serialize(n.as_bytes()).collect::<String>()
            ));
        }
        if let Some(v) = &verdict {
            qs.push(format!("verdict={v}"));
        }
        format!("/console/payment-notices?{}", qs.join("&"))
    };
    let page = NoticesPage {
        title,
        lines: view
            .notices
            .iter()
            .map(|n| Line {
                id: n.id,
                when: show_time(n.received_at),
                bill: n.bill_number.clone().zip(n.repair_order_id),
                payment_ref: n.payment_ref.clone().unwrap_or_default(),
                verdict: n.verdict.clone(),
                verdict_label: chrome.t(&format!("notice.verdict.{}", n.verdict)),
                tone: tone(&n.verdict),
                client_addr: n.client_addr.clone().unwrap_or_default(),
            })
            .collect(),
        choices: VERDICTS
            .iter()
            .map(|c| Choice {
                code: c,
                label: chrome.t(&format!("notice.verdict.{c}")),
                selected: verdict.as_deref() == Some(*c),
            })
            .collect(),
        bill_number: bill_number
            .or_else(|| {
                // Came from a bill page's link: show that bill's number in the box.
                f.bill_id
                    .and_then(|_| view.notices.iter().find_map(|n| n.bill_number.clone()))
            })
            .unwrap_or_default(),
        bill_id: if f.bill_number.is_some() {
            String::new()
        } else {
            bill_id.unwrap_or_default()
        },
        order_label: chrome.t("svc.order"),
        prev: (view.page > 1).then(|| link(view.page - 1)),
        next: view.more.then(|| link(view.page + 1)),
        chrome,
    };
    render(&page, StatusCode::OK)
}
