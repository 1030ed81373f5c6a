//! Health, readiness, metrics, and the not-found answer.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::header_lang;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::time::Instant;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .route("/assets/console.css", get(css))
        .route(
            "/assets/live.js",
            get(|| script(include_str!("../assets/live.js"))),
        )
        .route(
            "/assets/select.js",
            get(|| script(include_str!("../assets/select.js"))),
        )
        .route(
            "/assets/book.js",
            get(|| script(include_str!("../assets/book.js"))),
        )
        .route(
            "/assets/complaint.js",
            get(|| script(include_str!("../assets/complaint.js"))),
        )
        .route(
            "/assets/confirm.js",
            get(|| script(include_str!("../assets/confirm.js"))),
        )
        .route("/favicon.ico", get(favicon))
        .route("/assets/favicon.svg", get(favicon))
        .route(
            "/assets/api-docs.js",
            get(|| script(include_str!("../assets/api-docs.js"))),
        )
}

/// Our own scripts, served from the binary (the CSP allows no inline script).
async fn script(body: &'static str) -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "max-age=3600"),
        ],
        body,
    )
        .into_response()
}

async fn ready(State(s): State<AppState>) -> Response {
    if s.app.database_ready().await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
    }
}

async fn metrics(State(s): State<AppState>) -> Response {
    match &s.metrics {
        Some(h) => {
            // Queue gauges are read from the database at scrape time, so every server
            // reports the whole queue whichever process runs the workers.
            if let Err(e) = app::job::refresh_metrics(&s.app).await {
                tracing::warn!(error = %e, "job metrics");
            }
            s.app.record_pool_metrics();
            (
                [(
                    axum::http::header::CONTENT_TYPE,
                    "text/plain; version=0.0.4",
                )],
                h.render(),
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "metrics are off").into_response(),
    }
}

/// The icon browsers ask for on every page (an SVG; browsers take it at /favicon.ico).
async fn favicon() -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "image/svg+xml"),
            (axum::http::header::CACHE_CONTROL, "max-age=86400"),
        ],
        include_str!("../assets/favicon.svg"),
    )
        .into_response()
}

async fn css() -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../assets/console.css"),
    )
        .into_response()
}

/// Answers unknown paths: a problem document under /api, plain text elsewhere.
pub async fn not_found(req: Request) -> Response {
    let (parts, _) = req.into_parts();
    if parts.uri.path().starts_with("/api") {
        ApiError::app(app::AppError::NotFound, header_lang(&parts)).into_response()
    } else {
        (StatusCode::NOT_FOUND, "404").into_response()
    }
}

/// Counts requests and their latency per route.
pub async fn track_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    res
}
