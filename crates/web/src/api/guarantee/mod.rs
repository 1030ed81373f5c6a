//! The three guarantees (三包, 2021 regulation): a vehicle's rights, counters and
//! requests; an order's clock, excluded intervals, classified faults and exclusions;
//! the maker's policy (head office). Bodies are read only after the caller's grant was
//! checked. Bad input answers 422 naming the field, the rule and the article.

pub mod main_part;

use super::{Created, path_id};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use app::guarantee::record::{ClockInput, DeliveryInput, ExcludedInput, ExclusionInput, LineInput};
use app::guarantee::request::{FileInput, RequestView, StepInput};
use app::guarantee::{OrderGuarantee, PolicyInput, PolicySetting, ThreeGuarantees};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use domain::permission::Action;

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        vehicle_three_guarantees,
        put_guarantee_delivery,
        vehicle_guarantee_requests,
        file_guarantee_request,
        guarantee_request_step,
        order_three_guarantees,
        put_guarantee_clock,
        add_guarantee_excluded,
        remove_guarantee_excluded,
        classify_guarantee_line,
        put_guarantee_exclusion,
        delete_guarantee_exclusion,
        get_guarantee_policy,
        put_guarantee_policy,
        get_fade_promises,
        put_fade_promise,
        add_battery_check
    ),
    components(schemas(
        ThreeGuarantees,
        OrderGuarantee,
        PolicySetting,
        PolicyInput,
        RequestView,
        FileInput,
        StepInput,
        ClockInput,
        DeliveryInput,
        ExcludedInput,
        ExclusionInput,
        LineInput,
        app::guarantee::view::RightView,
        app::guarantee::view::WarningView,
        app::guarantee::view::KeyCount,
        app::guarantee::view::CountersView,
        app::guarantee::view::CoverageView,
        app::guarantee::view::OrderClock,
        app::guarantee::battery::PromiseInput,
        app::guarantee::battery::PromiseView,
        app::guarantee::battery::CheckInput,
        app::guarantee::battery::CheckView,
        app::guarantee::battery::BatteryView,
    ))
)]
pub struct GuaranteeApi;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/vehicles/{id}/three-guarantees",
            get(vehicle_three_guarantees),
        )
        .route(
            "/vehicles/{id}/three-guarantees/delivery",
            put(put_guarantee_delivery),
        )
        .route(
            "/vehicles/{id}/three-guarantees/requests",
            get(vehicle_guarantee_requests).post(file_guarantee_request),
        )
        .route(
            "/three-guarantees/requests/{id}/steps",
            post(guarantee_request_step),
        )
        .route(
            "/repair-orders/{id}/three-guarantees",
            get(order_three_guarantees),
        )
        .route(
            "/repair-orders/{id}/three-guarantees/clock",
            put(put_guarantee_clock),
        )
        .route(
            "/repair-orders/{id}/three-guarantees/excluded",
            post(add_guarantee_excluded),
        )
        .route(
            "/repair-orders/{id}/three-guarantees/excluded/{eid}",
            delete(remove_guarantee_excluded),
        )
        .route(
            "/repair-orders/{id}/three-guarantees/faults",
            post(classify_guarantee_line),
        )
        .route(
            "/repair-orders/{id}/three-guarantees/faults/{fid}/exclusion",
            put(put_guarantee_exclusion).delete(delete_guarantee_exclusion),
        )
        .route(
            "/settings/three-guarantees",
            get(get_guarantee_policy).put(put_guarantee_policy),
        )
        .route(
            "/settings/three-guarantees/fade-promises",
            get(get_fade_promises).put(put_fade_promise),
        )
        .route(
            "/vehicles/{id}/three-guarantees/battery-checks",
            post(add_battery_check),
        )
        .merge(main_part::router())
}

/// Every model's traction-battery capacity-fade promise (its 三包凭证's figure).
#[utoipa::path(get, path = "/api/v1/settings/three-guarantees/fade-promises", tag = "three-guarantees", responses((status = 200, body = Vec<app::guarantee::battery::PromiseView>)))]
pub async fn get_fade_promises(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<Vec<app::guarantee::battery::PromiseView>>, ApiError> {
    let g = c.grant(Action::NetworkRead)?;
    let v = app::guarantee::battery::promises(&s.app, &g)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(v))
}

/// Sets one model's capacity-fade promise (head office): the least share of the rated
/// capacity kept, for so many years or kilometres. Battery checks of that model's
/// cars are judged against it from then on.
#[utoipa::path(put, path = "/api/v1/settings/three-guarantees/fade-promises", tag = "three-guarantees", request_body = app::guarantee::battery::PromiseInput, responses((status = 200, body = app::guarantee::battery::PromiseView), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn put_fade_promise(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<app::guarantee::battery::PromiseInput>,
) -> Result<Json<app::guarantee::battery::PromiseView>, ApiError> {
    let g = c.grant(Action::NetworkWrite)?;
    let input = input?;
    let v = app::guarantee::battery::set_promise(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(v))
}

/// Records a battery check (state of health) of an EV; the vehicle page and the
/// dossier judge it against the model's promise. 409 for a car that is not an EV.
#[utoipa::path(post, path = "/api/v1/vehicles/{id}/three-guarantees/battery-checks", tag = "three-guarantees", params(("id" = i64, Path)), request_body = app::guarantee::battery::CheckInput, responses((status = 201, body = super::Created), (status = 409, body = crate::error::ProblemDoc), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn add_battery_check(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<app::guarantee::battery::CheckInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let new = app::guarantee::battery::record_check(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(Created { id: new })))
}

/// A vehicle's windows, counters, every right that arose (article, date, evidence) and
/// the warnings near a line.
#[utoipa::path(get, path = "/api/v1/vehicles/{id}/three-guarantees", tag = "three-guarantees", params(("id" = i64, Path)), responses((status = 200, body = ThreeGuarantees), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn vehicle_three_guarantees(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<ThreeGuarantees>, ApiError> {
    let g = c.grant(Action::RepairOrderRead)?;
    let id = path_id(&id, c.lang)?;
    let v = app::guarantee::for_vehicle(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(v))
}

/// Records (or clears) the vehicle's delivery date, from which its periods run (Art 18).
#[utoipa::path(put, path = "/api/v1/vehicles/{id}/three-guarantees/delivery", tag = "three-guarantees", params(("id" = i64, Path)), request_body = DeliveryInput, responses((status = 204), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn put_guarantee_delivery(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<DeliveryInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::VehicleWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::guarantee::record::set_delivered_on(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The vehicle's replacement or refund requests, with their deadlines.
#[utoipa::path(get, path = "/api/v1/vehicles/{id}/three-guarantees/requests", tag = "three-guarantees", params(("id" = i64, Path)), responses((status = 200, body = Vec<RequestView>), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn vehicle_guarantee_requests(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<RequestView>>, ApiError> {
    let g = c.grant(Action::RepairOrderRead)?;
    let id = path_id(&id, c.lang)?;
    let v = app::guarantee::request::of_vehicle(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(v))
}

/// Files a replacement or refund request citing a right that arose (Arts 25–29); the
/// answer is due in 10 working days on the station's calendar. An agent files for any
/// vehicle within reach, an owner for their own.
#[utoipa::path(post, path = "/api/v1/vehicles/{id}/three-guarantees/requests", tag = "three-guarantees", params(("id" = i64, Path)), request_body = FileInput, responses((status = 201, body = RequestView), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn file_guarantee_request(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<FileInput>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    let owner = c.principal.role == domain::role::Role::Owner;
    let g = if owner {
        c.grant(Action::OwnDataExport)?
    } else {
        c.grant(Action::VehicleWrite)?
    };
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let v = if owner {
        app::guarantee::request::file_as_owner(&s.app, &g, id, &input).await
    } else {
        app::guarantee::request::file(&s.app, &g, id, &input).await
    }
    .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Accepts (20 working days to perform), refuses (with a reason) or performs a request
/// (with the Art 27 usage charge when a price is given).
#[utoipa::path(post, path = "/api/v1/three-guarantees/requests/{id}/steps", tag = "three-guarantees", params(("id" = i64, Path)), request_body = StepInput, responses((status = 200, body = RequestView), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn guarantee_request_step(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<StepInput>,
) -> Result<Json<RequestView>, ApiError> {
    let g = c.grant(Action::VehicleWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let v = app::guarantee::request::step(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(v))
}

/// An order's clock, excluded intervals, classified faults, courtesy-car duty and the
/// vehicle's position.
#[utoipa::path(get, path = "/api/v1/repair-orders/{id}/three-guarantees", tag = "three-guarantees", params(("id" = i64, Path)), responses((status = 200, body = OrderGuarantee), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn order_three_guarantees(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<OrderGuarantee>, ApiError> {
    let g = c.grant(Action::RepairOrderRead)?;
    let id = path_id(&id, c.lang)?;
    let v = app::guarantee::for_order(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(v))
}

/// Records the order's agreed-repair and repair-complete instants (Art 40).
#[utoipa::path(put, path = "/api/v1/repair-orders/{id}/three-guarantees/clock", tag = "three-guarantees", params(("id" = i64, Path)), request_body = ClockInput, responses((status = 204), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn put_guarantee_clock(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ClockInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::guarantee::record::set_clock(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Records an excluded interval (transport, rescue travel, owner wait) with evidence;
/// it must lie inside the repair and overlap no other.
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/three-guarantees/excluded", tag = "three-guarantees", params(("id" = i64, Path)), request_body = ExcludedInput, responses((status = 201, body = Created), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn add_guarantee_excluded(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ExcludedInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let id = app::guarantee::record::add_excluded(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Removes an excluded interval.
#[utoipa::path(delete, path = "/api/v1/repair-orders/{id}/three-guarantees/excluded/{eid}", tag = "three-guarantees", params(("id" = i64, Path), ("eid" = i64, Path)), responses((status = 204), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn remove_guarantee_excluded(
    State(s): State<AppState>,
    c: Caller,
    Path((id, eid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let (id, eid) = (path_id(&id, c.lang)?, path_id(&eid, c.lang)?);
    app::guarantee::record::remove_excluded(&s.app, &g, id, eid)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Records one fault of the order as diagnosed: quality or not, the smallest part, its
/// system and listed main part, what was done, and optionally its Art 32 exclusion.
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/three-guarantees/faults", tag = "three-guarantees", params(("id" = i64, Path)), request_body = LineInput, responses((status = 201, body = Created), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn classify_guarantee_line(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<LineInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let id = app::guarantee::record::classify(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Records the Art 32 exclusion of a classified fault: ground, explanation and evidence.
#[utoipa::path(put, path = "/api/v1/repair-orders/{id}/three-guarantees/faults/{fid}/exclusion", tag = "three-guarantees", params(("id" = i64, Path), ("fid" = i64, Path)), request_body = ExclusionInput, responses((status = 204), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn put_guarantee_exclusion(
    State(s): State<AppState>,
    c: Caller,
    Path((id, lid)): Path<(String, String)>,
    JsonBody(input): JsonBody<ExclusionInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let input = input?;
    let (id, lid) = (path_id(&id, c.lang)?, path_id(&lid, c.lang)?);
    app::guarantee::record::set_exclusion(&s.app, &g, id, lid, Some(&input))
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Clears the Art 32 exclusion of a classified fault.
#[utoipa::path(delete, path = "/api/v1/repair-orders/{id}/three-guarantees/faults/{fid}/exclusion", tag = "three-guarantees", params(("id" = i64, Path), ("fid" = i64, Path)), responses((status = 204), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn delete_guarantee_exclusion(
    State(s): State<AppState>,
    c: Caller,
    Path((id, lid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let (id, lid) = (path_id(&id, c.lang)?, path_id(&lid, c.lang)?);
    app::guarantee::record::set_exclusion(&s.app, &g, id, lid, None)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The maker's three-guarantees policy in force (the regulation until head office
/// promises more).
#[utoipa::path(get, path = "/api/v1/settings/three-guarantees", tag = "three-guarantees", responses((status = 200, body = PolicySetting)))]
pub async fn get_guarantee_policy(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<PolicySetting>, ApiError> {
    let g = c.grant(Action::NetworkRead)?;
    let v = app::guarantee::setting(&s.app, &g)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(v))
}

/// Replaces the policy (head office only); a value less generous than the regulation
/// answers 422 naming the field and the article.
#[utoipa::path(put, path = "/api/v1/settings/three-guarantees", tag = "three-guarantees", request_body = PolicyInput, responses((status = 200, body = PolicySetting), (status = 403, body = crate::error::ProblemDoc), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn put_guarantee_policy(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<PolicyInput>,
) -> Result<Json<PolicySetting>, ApiError> {
    let g = c.grant(Action::NetworkWrite)?;
    let input = input?;
    let v = app::guarantee::set_policy(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(v))
}
