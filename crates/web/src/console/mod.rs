//! The staff console: server-rendered pages that work without JavaScript.

// Machinery: the frame, friendly error pages, forms, sign-in, the shared table page,
// the searchable select and status tag, and timeline rows.
pub mod billing;
pub mod chrome;
pub mod error_page;
pub mod form;
pub mod home;
pub mod job;
pub mod post;
pub mod select;
pub mod session;
pub mod table;
pub mod timeline;
pub mod toast;

// Business areas, named as in every other layer.
pub mod appointment;
pub mod capacity;
pub mod complaint;
pub mod customer;
pub mod estimate;
pub mod guarantee;
pub mod kpi;
pub mod network;
pub mod people;
pub mod pickup;
pub mod privacy;
pub mod quality_audit;
pub mod repair_order;
pub mod survey;
pub mod vehicle;

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
        .route("/console", get(home::home))
        .route(
            "/console/login",
            get(session::login_page).post(session::login),
        )
        .route("/console/logout", axum::routing::post(session::logout))
        .route("/lang/{tag}", get(session::switch_lang))
        .merge(network::router())
        .merge(people::router())
        .merge(customer::router())
        .merge(vehicle::router())
        .merge(guarantee::router())
        .merge(appointment::router())
        .merge(capacity::router())
        .merge(repair_order::router())
        .merge(estimate::router())
        .merge(kpi::router())
        .merge(pickup::router())
        .merge(job::router())
        .merge(privacy::request::router())
        .merge(billing::router())
        .merge(privacy::router())
        .merge(complaint::router())
        .merge(survey::router())
        .merge(quality_audit::router())
}
