//! The staff console: server-rendered pages that work without JavaScript.

pub mod chrome;
pub mod customers;
pub mod form;
pub mod job;
pub mod pickups;
pub mod service;
pub mod session;
pub mod staff;
pub mod stations;
pub mod timeline;
pub mod vehicles;

use crate::AppState;
use axum::Router;
use axum::routing::get;

pub use chrome::{Chrome, Pager};
pub use session::ConsoleUser;

/// Every console route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/console") }),
        )
        .route("/console", get(session::home))
        .route(
            "/console/login",
            get(session::login_page).post(session::login),
        )
        .route("/console/logout", axum::routing::post(session::logout))
        .route("/lang/{tag}", get(session::switch_lang))
        .merge(stations::router())
        .merge(staff::router())
        .merge(customers::router())
        .merge(vehicles::router())
        .merge(service::router())
        .merge(pickups::router())
        .merge(job::router())
}
