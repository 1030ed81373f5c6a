//! The cashier's page of a bill (`/console/orders/{id}/bill`): totals, what is paid,
//! the reconciliation flag and the overpayment to refund, the lines with what was
//! credited on each, the payments and refunds, and the refund form (for roles that
//! may give money back; the approval limit is checked by the use case).

use super::super::chrome::{Chrome, show_time};
use super::super::form::{FormData, Section, error_page, render};
use super::super::session::{ConsoleUser, grant};
use crate::AppState;
use crate::error::page_error;
use crate::i18n::yuan;
use app::billing::refund::REFUND_METHODS;
use app::billing::{BillView, READ, REFUND, RefundInput, RefundLineInput};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::money::Money;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Routes of the bill page.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/orders/{id}/bill", get(page))
        .route("/console/orders/{id}/bill/refund", post(refund))
}

#[derive(Template)]
#[template(path = "bill.html")]
struct BillPage {
    chrome: Chrome,
    title: String,
    base: String,
    bill_id: i64,
    facts: Vec<(String, String)>,
    reconcile: bool,
    /// Number, item, amount, credited.
    lines: Vec<(i64, String, String, String)>,
    can_refund: bool,
    methods: Vec<(String, String)>,
    sections: Vec<Section>,
    notice: Option<String>,
    error: Option<String>,
}

fn credited_on(v: &BillView, no: i64) -> i64 {
    v.refunds
        .iter()
        .filter(|r| r.state != "failed")
        .flat_map(|r| r.lines.as_array().cloned().unwrap_or_default())
        .filter(|l| l["line_no"].as_i64() == Some(no))
        .map(|l| l["amount_fen"].as_i64().unwrap_or_default())
        .sum()
}

async fn show(
    s: &AppState,
    user: &ConsoleUser,
    id: i64,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let chrome = user.chrome("payment_notices");
    let g = match grant(user, READ) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let v = match app::billing::view(&s.app, &g, id).await {
        Ok(v) => v,
        Err(e) => return error_page(chrome, &e),
    };
    let title = format!("{} {}", chrome.t("bill.title"), v.bill.number);
    let chrome = chrome
        .crumb(format!("/console/orders/{id}"), format!("#{id}"))
        .crumb(format!("/console/orders/{id}/bill"), title.clone());
    let b = &v.bill;
    let facts = vec![
        (chrome.t("bill.number"), b.number.clone()),
        (
            chrome.t("bill.state"),
            chrome.t(&format!("bill.state.{}", b.state)),
        ),
        (chrome.t("bill.gross"), yuan(b.gross_fen)),
        (chrome.t("bill.paid"), yuan(b.paid_fen)),
        (chrome.t("bill.outstanding"), yuan(v.outstanding_fen)),
        (chrome.t("bill.refunded"), yuan(b.refunded_fen)),
        (chrome.t("bill.refund_due"), yuan(b.refund_fen)),
    ];
    let lines = b
        .lines
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|l| {
            let no = l["line_no"].as_i64().unwrap_or_default();
            let item = format!(
                "{} {}",
                l["kind"].as_str().unwrap_or_default(),
                l["code"].as_str().unwrap_or_default()
            );
            let net = l["amount_fen"].as_i64().unwrap_or_default();
            let gross = domain::billing::line_gross(net, b.vat_bp);
            (no, item, yuan(gross), yuan(credited_on(&v, no)))
        })
        .collect();
    let payments = Section {
        title: chrome.t("bill.payments"),
        headers: [
            "field.method",
            "field.provider_ref",
            "field.amount_fen",
            "bill.state",
        ]
        .iter()
        .map(|k| chrome.t(k))
        .collect(),
        rows: v
            .payments
            .iter()
            .map(|p| {
                vec![
                    chrome.t(&format!("payment.method.{}", p.method)),
                    p.provider_ref
                        .clone()
                        .or(p.reference.clone())
                        .unwrap_or_default(),
                    yuan(p.amount_fen),
                    chrome.t(&format!("payment.state.{}", p.state)),
                ]
            })
            .collect(),
    };
    let refunds = Section {
        title: chrome.t("bill.refunds"),
        headers: [
            "notice.received",
            "field.method",
            "field.amount_fen",
            "field.reason",
            "bill.state",
        ]
        .iter()
        .map(|k| chrome.t(k))
        .collect(),
        rows: v
            .refunds
            .iter()
            .map(|r| {
                vec![
                    show_time(r.created_at),
                    chrome.t(&format!("refund.method.{}", r.method)),
                    yuan(r.amount_fen),
                    r.reason.clone(),
                    chrome.t(&format!("refund.state.{}", r.state)),
                ]
            })
            .collect(),
    };
    let can_refund = user.session.principal.grant(REFUND).is_ok() && b.paid_fen > 0;
    let page = BillPage {
        title,
        base: format!("/console/orders/{id}/bill"),
        bill_id: b.id,
        facts,
        reconcile: b.needs_reconciliation,
        lines,
        can_refund,
        methods: REFUND_METHODS
            .iter()
            .map(|m| (m.to_string(), chrome.t(&format!("refund.method.{m}"))))
            .collect(),
        sections: vec![payments, refunds],
        notice,
        error,
        chrome,
    };
    render(&page, status)
}

async fn page(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let notice = q
        .contains_key("refunded")
        .then(|| user.chrome("payment_notices").t("bill.refund_done"));
    show(&s, &user, id, notice, None, StatusCode::OK).await
}

/// Yuan as typed at the desk ("12.5") to fen; anything else is passed on as text so
/// the use case names the field and the rule.
fn fen_of(s: &str) -> Value {
    match Money::parse_yuan(s.trim()) {
        Ok(m) => json!(m.fen()),
        Err(_) => json!(s),
    }
}

async fn refund(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let lines = form
        .0
        .iter()
        .filter_map(|(k, val)| {
            let no: i64 = k.strip_prefix("line_")?.parse().ok()?;
            (!val.trim().is_empty()).then(|| RefundLineInput {
                line_no: json!(no),
                amount_fen: fen_of(val),
            })
        })
        .collect();
    let excess = form.get("excess");
    let input = RefundInput {
        lines,
        full: Value::Null,
        excess_fen: if excess.trim().is_empty() {
            Value::Null
        } else {
            fen_of(excess)
        },
        method: json!(form.get("method")),
        reason: json!(form.get("reason")),
    };
    let r = match grant(&user, REFUND) {
        Ok(g) => app::billing::refund(&s.app, &g, id, &input).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Redirect::to(&format!("/console/orders/{id}/bill?refunded=1")).into_response(),
        Err(e) => {
            let (msg, status) = page_error(user.lang, &e);
            show(&s, &user, id, None, Some(msg), status).await
        }
    }
}
