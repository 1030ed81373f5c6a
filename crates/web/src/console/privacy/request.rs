//! Head office's queue of owners' correction and deletion requests
//! (`/console/privacy-requests`): waiting ones first, earliest due first, escalated
//! ones marked, or sorted by a column heading; numbered pages of a chosen size; each
//! with a form to complete or refuse it with an answer.

use crate::AppState;
use crate::console::chrome::{Chrome, ListQuery, Pager, SortHeader};
use crate::console::form::{FormData, error_page, render, t};
use crate::console::session::{ConsoleUser, grant};
use crate::owner::privacy::export::{RequestShow, request_show};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::permission::Action;
use std::collections::HashMap;

/// Routes of the queue page.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/privacy-requests", get(page))
        .route("/console/privacy-requests/{id}/complete", post(complete))
        .route("/console/privacy-requests/{id}/refuse", post(refuse))
}

/// One request in the queue.
struct Line {
    show: RequestShow,
    customer: String,
    detail: String,
    ground: String,
    waiting: bool,
    escalated: bool,
}

#[derive(Template)]
#[template(path = "privacy_requests.html")]
struct QueuePage {
    chrome: Chrome,
    title: String,
    notice: Option<String>,
    /// Column headings, the sortable ones as links with `aria-sort`.
    sort: Vec<SortHeader>,
    lines: Vec<Line>,
    pager: Pager,
}

async fn page(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = user.lang;
    let chrome = user.chrome("privacy_requests");
    let g = match grant(&user, Action::PrivacyRequestHandle) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let chrome = chrome.crumb("/console/privacy-requests", t(lang, "privacy.req.queue"));
    let lq = ListQuery::read(
        "/console/privacy-requests",
        &q,
        app::privacy::request::REQUEST_ORDERS,
        &[],
    );
    let found = match app::privacy::request::queue_page(&s.app, &g, lq.page(), lq.order).await {
        Ok(v) => v,
        Err(e) => return error_page(chrome, &e),
    };
    let notice = q.get("done").map(|_| t(lang, "privacy.req.answered"));
    let sort = lq.headers(
        [
            ("privacy.req.kind", Some("kind")),
            ("book.customer", None),
            ("privacy.req.state", Some("state")),
            ("privacy.req.filed_at", Some("filed")),
            ("privacy.req.due_at", Some("due")),
            ("table.actions", None),
        ]
        .iter()
        .map(|(k, key)| (t(lang, k), *key))
        .collect(),
    );
    let page = QueuePage {
        title: chrome.t("privacy.req.queue"),
        notice,
        sort,
        pager: lq.pager(lang, found.total, found.page, found.pages()),
        lines: found
            .items
            .iter()
            .map(|r| Line {
                show: request_show(lang, r),
                customer: r.customer.clone(),
                detail: domain::privacy::text::mask_numbers(&r.detail),
                ground: r
                    .ground
                    .as_deref()
                    .map(|g| t(lang, &format!("privacy.ground.{g}")))
                    .unwrap_or_default(),
                waiting: r.state == "open" || r.state == "escalated",
                escalated: r.state == "escalated",
            })
            .collect(),
        chrome,
    };
    render(&page, StatusCode::OK)
}

async fn answer(s: AppState, user: ConsoleUser, form: FormData, id: i64, done: bool) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let chrome = user.chrome("privacy_requests");
    let g = match grant(&user, Action::PrivacyRequestHandle) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let input = app::privacy::request::AnswerInput {
        answer: form.get("answer").to_string(),
    };
    let result = if done {
        app::privacy::request::complete(&s.app, &g, id, &input).await
    } else {
        app::privacy::request::refuse(&s.app, &g, id, &input).await
    };
    match result {
        Ok(_) => Redirect::to("/console/privacy-requests?done=1").into_response(),
        Err(e) => error_page(chrome, &e),
    }
}

async fn complete(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    answer(s, user, form, id, true).await
}

async fn refuse(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    answer(s, user, form, id, false).await
}
