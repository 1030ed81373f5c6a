//! Aftersales over HTTP: the JSON API under `/api/v1` (described by OpenAPI), the
//! staff console and the owner pages, all server-rendered, every asset inside the binary.

pub mod api;
pub mod client;
pub mod console;
pub mod error;
pub mod extract;
pub mod headers;
pub mod i18n;
pub mod idempotency;
pub mod openapi;
pub mod ops;
pub mod owner;
pub mod state;

pub use state::AppState;

use axum::Router;
use axum::extract::DefaultBodyLimit;

/// Largest request body accepted (photos have their own, larger limit where needed).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let mut routes = Router::new().merge(api::appointment::feed::public_router());
    if state.app.settings.online_payment() {
        routes = routes.merge(api::billing::sandbox_router());
    }
    if state.demo_clock.is_some() {
        routes = routes.merge(api::demo::router());
    }
    routes
        .merge(ops::router())
        .merge(openapi::router())
        .nest("/api/v1", api::router())
        .merge(console::router())
        .merge(owner::router())
        .fallback(ops::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            console::error_page::friendly,
        ))
        .layer(axum::middleware::from_fn(console::toast::clear))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::form_guard,
        ))
        .layer(axum::middleware::from_fn(ops::track_metrics))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::secure,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            client::resolve,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// Serves until the process is stopped.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    // The sandbox providers' APIs answer on this very server: their clients learn
    // where once it listens.
    if let Ok(mut addr) = listener.local_addr() {
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        app::billing::provider_sandbox::serve_sandboxes_at(&state.app, &format!("http://{addr}"));
    }
    // The peer address is kept so approvals can record where they came from.
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await
}
