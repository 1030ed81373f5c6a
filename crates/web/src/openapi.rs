//! The OpenAPI description of the API and a viewer for it, built into the binary.

use crate::AppState;
use crate::api;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Aftersales API",
        description = "After-sales service platform. Errors are application/problem+json naming the field and the rule, in zh-CN or en by Accept-Language."
    ),
    paths(
        api::auth::login,
        api::auth::logout,
        api::auth::owner_code,
        api::auth::owner_verify,
        api::auth::me,
        api::auth::create_token,
        api::network::list_regions,
        api::network::create_region,
        api::network::list_stations,
        api::network::create_station,
        api::network::get_station,
        api::network::update_station,
        api::network::change_status,
        api::network::station_events,
        api::network::list_depots,
        api::network::list_units,
        api::network::create_unit,
        api::people::list_staff,
        api::people::create_staff,
        api::people::get_staff,
        api::people::update_staff,
        api::people::add_certificate,
        api::customer::list_customers,
        api::customer::create_customer,
        api::customer::get_customer,
        api::customer::update_customer,
        api::customer::reveal,
        api::customer::audit,
        api::customer::own_data,
        api::vehicle::list_vehicles,
        api::vehicle::create_vehicle,
        api::vehicle::by_vin,
        api::vehicle::get_vehicle,
        api::vehicle::update_vehicle,
        api::vehicle::transfer,
        api::vehicle::add_reading,
    ),
    components(schemas(crate::error::ProblemDoc, crate::error::FieldError))
)]
pub struct ApiDoc;

/// Routes for the description and its viewer.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(spec))
        .route("/api/docs", get(viewer))
}

/// The whole description: the foundation's paths and each area's.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(api::labour::LabourApi::openapi());
    doc.merge(api::stage_standard::StageStandardApi::openapi());
    doc.merge(api::part::PartApi::openapi());
    doc.merge(api::calendar::CalendarApi::openapi());
    doc.merge(api::capacity::CapacityApi::openapi());
    doc.merge(api::appointment::AppointmentApi::openapi());
    doc.merge(api::appointment::feed::FeedApi::openapi());
    doc.merge(api::repair_order::RepairOrderApi::openapi());
    doc.merge(api::estimate::EstimateApi::openapi());
    doc.merge(api::kpi::KpiApi::openapi());
    doc.merge(api::billing::BillingApi::openapi());
    doc.merge(api::billing::sandbox::SandboxApi::openapi());
    doc.merge(api::rating::RatingApi::openapi());
    doc.merge(api::pickup::PickupApi::openapi());
    doc.merge(api::follow_up::FollowUpApi::openapi());
    doc.merge(api::export::ExportApi::openapi());
    doc.merge(api::guarantee::GuaranteeApi::openapi());
    doc
}

async fn spec() -> impl IntoResponse {
    Json(document())
}

/// A small viewer: the operations grouped by tag with their parameters, bodies and
/// answers, rendered by a few lines of our own script from /api/openapi.json.
async fn viewer() -> Html<&'static str> {
    Html(include_str!("../assets/api-docs.html"))
}
