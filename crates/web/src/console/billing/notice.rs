//! The payment-notice ledger page (`/console/payment-notices`) for the cashier and
//! head office: every notice the provider posted, newest first, filtered by bill and
//! verdict, the verdict shown as a status tag.

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
    bill_id: String,
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
    bill_id: String,
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
    let verdict = text("verdict");
    let f = NoticeFilterInput {
        bill_id: bill_id.as_deref().and_then(|b| b.parse().ok()),
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
                bill_id: n.bill_id.map(|b| b.to_string()).unwrap_or_default(),
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
        bill_id: bill_id.unwrap_or_default(),
        prev: (view.page > 1).then(|| link(view.page - 1)),
        next: view.more.then(|| link(view.page + 1)),
        chrome,
    };
    render(&page, StatusCode::OK)
}
