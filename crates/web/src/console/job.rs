//! The job queue page for administrators (`/console/queue`): the open dead-letter
//! alerts (send all of a kind again, or acknowledge), how many jobs and timers of
//! each kind are in each state, the dead letters with their last error and a button
//! to send each round again, and the waiting rows with a button to cancel.
//! (`/console/jobs` is the workshop's job list, hence the other path.)

use super::chrome::{Chrome, show_time};
use super::form::{FormData, error_page, render, t};
use super::session::ConsoleUser;
use super::session::grant;
use crate::AppState;
use app::job::{JobRow, Queue};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::job::JobState;
use domain::permission::Action;
use std::collections::HashMap;

/// Routes of the queue page.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/queue", get(page))
        .route("/console/queue/{queue}/{id}/retry", post(retry))
        .route("/console/queue/{queue}/{id}/cancel", post(cancel))
        .route("/console/queue/alerts/{id}/retry", post(alert_retry))
        .route(
            "/console/queue/alerts/{id}/acknowledge",
            post(alert_acknowledge),
        )
}

/// One open alert as the page shows it.
pub struct AlertLine {
    /// Alert id (the forms' address).
    pub id: i64,
    /// The sentence: kind, count, since, latest.
    pub text: String,
    /// The latest dead letter's error.
    pub error: String,
}

/// The label of a job kind: its translation when it has one, else its code (the
/// queue is a technical page; kinds without a label are shown as the code).
pub fn kind_label(chrome: &Chrome, kind: &str) -> String {
    let key = format!("job.kind.{kind}");
    match chrome.t(&key) {
        label if label != key => label,
        _ => kind.to_string(),
    }
}

/// The lines of the open alerts.
pub fn alert_lines(chrome: &Chrome, alerts: &[app::job::JobAlert]) -> Vec<AlertLine> {
    alerts
        .iter()
        .map(|a| AlertLine {
            id: a.id,
            text: crate::i18n::tables().fill(
                chrome.lang,
                "job.alert.text",
                &[
                    ("kind", &kind_label(chrome, &a.kind)),
                    ("count", &a.dead_count.to_string()),
                    ("first", &show_time(a.first_at)),
                    ("last", &show_time(a.last_at)),
                ],
            ),
            error: a.last_error.clone(),
        })
        .collect()
}

/// One line of the counts table.
struct CountLine {
    queue: String,
    /// The kind's code (the row's `data-kind`).
    kind: String,
    /// The kind's label.
    kind_label: String,
    counts: Vec<i64>,
}

/// One dead or waiting row.
struct ItemLine {
    /// The queue's code (the forms' address).
    queue: &'static str,
    /// The queue's name in the reader's language.
    queue_label: String,
    id: i64,
    /// The kind's label (its code only when it has none).
    kind: String,
    key: String,
    state: String,
    attempts: String,
    when: String,
    error: String,
}

#[derive(Template)]
#[template(path = "job_queue.html")]
struct QueuePage {
    chrome: Chrome,
    title: String,
    notice: Option<String>,
    alerts: Vec<AlertLine>,
    states: Vec<String>,
    counts: Vec<CountLine>,
    dead: Vec<ItemLine>,
    waiting: Vec<ItemLine>,
}

fn line(chrome: &Chrome, r: &JobRow, when: i64) -> ItemLine {
    ItemLine {
        queue: r.queue.table(),
        queue_label: chrome.t(&format!("job.queue.{}", r.queue.table())),
        id: r.id,
        kind: kind_label(chrome, &r.kind),
        key: r.key.clone().unwrap_or_default(),
        state: chrome.t(&format!("job.state.{}", r.state)),
        attempts: format!("{}/{}", r.attempts, r.max_attempts),
        when: show_time(when),
        error: r.last_error.clone().unwrap_or_default(),
    }
}

async fn page(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = user.lang;
    let chrome = user.chrome("queue");
    let g = match grant(&user, Action::JobAdmin) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let chrome = chrome.crumb("/console/queue", t(lang, "job.title"));
    let view = match app::job::overview(&s.app, &g).await {
        Ok(v) => v,
        Err(e) => return error_page(chrome, &e),
    };
    let notice = match q.get("done").map(String::as_str) {
        Some("retried") => Some(t(lang, "job.retried")),
        Some("cancelled") => Some(t(lang, "job.cancelled")),
        Some("acknowledged") => Some(t(lang, "job.alert.acknowledged")),
        Some("retried_all") => Some(crate::i18n::tables().fill(
            lang,
            "job.alert.retried",
            &[("count", q.get("count").map(String::as_str).unwrap_or("0"))],
        )),
        _ => None,
    };
    let page = QueuePage {
        title: chrome.t("job.title"),
        notice,
        alerts: alert_lines(&chrome, &view.alerts),
        states: JobState::ALL
            .iter()
            .map(|st| chrome.t(&format!("job.state.{}", st.code())))
            .collect(),
        counts: view
            .counts
            .iter()
            .map(|k| CountLine {
                queue: chrome.t(&format!("job.queue.{}", k.queue.table())),
                kind: k.kind.clone(),
                kind_label: kind_label(&chrome, &k.kind),
                counts: k.by_state.to_vec(),
            })
            .collect(),
        dead: view
            .dead
            .iter()
            .map(|r| line(&chrome, r, r.finished_at.unwrap_or(r.due_at)))
            .collect(),
        waiting: view
            .waiting
            .iter()
            .map(|r| line(&chrome, r, r.due_at))
            .collect(),
        chrome,
    };
    render(&page, StatusCode::OK)
}

async fn change(
    s: AppState,
    user: ConsoleUser,
    form: FormData,
    queue: String,
    id: i64,
    retry: bool,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let chrome = user.chrome("queue");
    let g = match grant(&user, Action::JobAdmin) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let Some(queue) = Queue::from_code(&queue) else {
        return error_page(chrome, &app::AppError::NotFound);
    };
    let result = if retry {
        app::job::retry(&s.app, &g, queue, id).await
    } else {
        app::job::cancel(&s.app, &g, queue, id).await
    };
    match result {
        Ok(_) => Redirect::to(if retry {
            "/console/queue?done=retried"
        } else {
            "/console/queue?done=cancelled"
        })
        .into_response(),
        Err(e) => error_page(chrome, &e),
    }
}

async fn retry(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path((queue, id)): Path<(String, i64)>,
    form: FormData,
) -> Response {
    change(s, user, form, queue, id, true).await
}

async fn cancel(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path((queue, id)): Path<(String, i64)>,
    form: FormData,
) -> Response {
    change(s, user, form, queue, id, false).await
}

/// `POST /console/queue/alerts/{id}/retry`: every dead letter of the alert's kind
/// sent round again, the alert acknowledged.
async fn alert_retry(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let chrome = user.chrome("queue");
    let g = match grant(&user, Action::JobAdmin) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    match app::job::alert::retry_all(&s.app, &g, id).await {
        Ok(n) => {
            Redirect::to(&format!("/console/queue?done=retried_all&count={n}")).into_response()
        }
        Err(e) => error_page(chrome, &e),
    }
}

/// `POST /console/queue/alerts/{id}/acknowledge`.
async fn alert_acknowledge(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let chrome = user.chrome("queue");
    let g = match grant(&user, Action::JobAdmin) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    match app::job::alert::acknowledge(&s.app, &g, id).await {
        Ok(()) => Redirect::to("/console/queue?done=acknowledged").into_response(),
        Err(e) => error_page(chrome, &e),
    }
}
