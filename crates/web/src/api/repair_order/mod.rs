//! Repair orders (工单): open from an appointment or as a walk-in, the board, the order
//! view (`app::repair_order::view`), checkpoints, concern classification, stages, technician work on
//! lines, and the owner's transparent-workshop link ([`track`]) (SPEC §4–§5). Every
//! write names the rule it broke in a problem document; bodies are read only after the
//! caller's grant was checked.

pub mod track;

use super::{Created, path_id};
use crate::AppState;
use crate::api::{grant_any, line_of, stage_of};
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use app::AppError;
use app::repair_order::view::{self, BoardItem, Job, OrderDetail};
use app::repair_order::{ClassifyInput, OpenInput, WalkInInput};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::Violation;
use domain::permission::{Action, Grant};
use domain::role::Role;
use serde::{Deserialize, Serialize};

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        open_from_appointment,
        open_walk_in,
        station_board,
        get_order,
        check,
        set_applicable,
        classify_concern,
        start_stage,
        complete_stage,
        assign,
        start_work,
        finish_work,
        fit_part,
        issue_link,
        revoke_link,
        my_jobs,
        track::track,
        track::owner_approve,
        track::owner_decline,
    ),
    components(schemas(
        OpenBody,
        WalkInBody,
        CheckInput,
        ApplicableInput,
        ClassifyBody,
        AssignInput,
        LinkIssued
    ))
)]
pub struct RepairOrderApi;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/stations/{id}/repair-orders", get(station_board))
        .route(
            "/appointments/{id}/repair-order",
            post(open_from_appointment),
        )
        .route("/repair-orders", post(open_walk_in))
        .route("/repair-orders/{id}", get(get_order))
        .route("/repair-orders/{id}/checkpoints", post(check))
        .route("/repair-orders/{id}/applicable", post(set_applicable))
        .route("/repair-orders/{id}/concern", post(classify_concern))
        .route(
            "/repair-orders/{id}/stages/{stage}/start",
            post(start_stage),
        )
        .route(
            "/repair-orders/{id}/stages/{stage}/complete",
            post(complete_stage),
        )
        .route("/repair-orders/{id}/lines/{no}/assign", post(assign))
        .route("/repair-orders/{id}/lines/{no}/start", post(start_work))
        .route("/repair-orders/{id}/lines/{no}/finish", post(finish_work))
        .route("/repair-orders/{id}/lines/{no}/fit", post(fit_part))
        .route(
            "/repair-orders/{id}/owner-link",
            post(issue_link).delete(revoke_link),
        )
        .route("/my/jobs", get(my_jobs))
        .merge(track::router())
}

/// How an order is opened from an appointment.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenBody {
    /// The owner's concern (the appointment's when empty).
    #[serde(default)]
    pub concern: Option<String>,
    /// Coded concern.
    #[serde(default)]
    pub concern_code: Option<String>,
    /// Why a second order is opened while the vehicle has an open one (without it,
    /// 409 `repair_order.open_exists` naming the open order).
    #[serde(default)]
    pub second_order_reason: Option<String>,
}

/// Checks the car in and opens its repair order; reception starts now.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/repair-order", tag = "service", params(("id" = i64, Path)), request_body = OpenBody, responses((status = 201, body = Created), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn open_from_appointment(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<OpenBody>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let id = app::repair_order::open_from_appointment(
        &s.app,
        &g,
        id,
        &OpenInput {
            second_order_reason: input.second_order_reason,
            concern: input.concern,
            concern_code: input.concern_code,
        },
    )
    .await
    .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// A walk-in.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WalkInBody {
    /// Station.
    #[serde(default)]
    pub station_id: i64,
    /// Vehicle (or give `vin` instead).
    #[serde(default)]
    pub vehicle_id: i64,
    /// The vehicle's VIN, when `vehicle_id` is not given; any vehicle of the network.
    #[serde(default)]
    pub vin: Option<String>,
    /// The owner's concern.
    #[serde(default)]
    pub concern: String,
    /// Coded concern.
    #[serde(default)]
    pub concern_code: Option<String>,
    /// Service type (`repair` when absent): `maintenance`, `repair`, `warranty`,
    /// `recall`, `accident_body`, `ev_battery_check`. Only `repair` and `warranty`
    /// count toward the three-guarantees counters.
    #[serde(default)]
    pub service_type: Option<String>,
    /// Why a second order is opened while the vehicle has an open one (without it,
    /// 409 `repair_order.open_exists` naming the open order).
    #[serde(default)]
    pub second_order_reason: Option<String>,
}

/// Opens a repair order for a walk-in.
#[utoipa::path(post, path = "/api/v1/repair-orders", tag = "service", request_body = WalkInBody, responses((status = 201, body = Created), (status = 409, description = "The vehicle has an open order and no `second_order_reason` was given", body = crate::error::ProblemDoc), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn open_walk_in(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<WalkInBody>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let input = input?;
    let id = app::repair_order::open_walk_in(
        &s.app,
        &g,
        &WalkInInput {
            second_order_reason: input.second_order_reason,
            station_id: input.station_id,
            vehicle_id: input.vehicle_id,
            vin: input.vin,
            concern: input.concern,
            concern_code: input.concern_code,
            service_type: input.service_type,
        },
    )
    .await
    .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// The board: a station's open orders with the stage they are in and overruns.
#[utoipa::path(get, path = "/api/v1/stations/{id}/repair-orders", tag = "service", params(("id" = i64, Path)), responses((status = 200, description = "Open orders")))]
pub async fn station_board(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<BoardItem>>, ApiError> {
    let g = c.grant(Action::RepairOrderRead)?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        view::board(&s.app, &g, id).await.map_err(|e| c.err(e))?,
    ))
}

/// An order: stages with timings, checkpoints, estimate with approvals, ETA and the
/// timeline of every change.
#[utoipa::path(get, path = "/api/v1/repair-orders/{id}", tag = "service", params(("id" = i64, Path)), responses((status = 200, description = "The order"), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn get_order(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<OrderDetail>, ApiError> {
    let g = c.grant(Action::RepairOrderRead)?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        view::order_detail(&s.app, &g, id)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// A checkpoint ticked.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInput {
    /// Checkpoint code, e.g. `reception.walk_around`.
    #[serde(default)]
    pub code: String,
    /// A note (shown to the owner).
    #[serde(default)]
    pub note: Option<String>,
}

/// Ticks a checkpoint of the stage in progress, with an optional note.
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/checkpoints", tag = "service", params(("id" = i64, Path)), request_body = CheckInput, responses((status = 204), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn check(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<CheckInput>,
) -> Result<StatusCode, ApiError> {
    let g = grant_any(&c, &[Action::RepairOrderWrite, Action::WorkshopWork])?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    if input.note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(c.err(AppError::Invalid(
            Violation::new("note", "text.length")
                .with_detail("500")
                .into(),
        )));
    }
    app::repair_order::check(&s.app, &g, id, input.code.trim(), input.note.as_deref())
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// How diagnosis classifies the concern.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyBody {
    /// Coded concern (symptom or fault code, up to 32 characters); empty clears it.
    #[serde(default)]
    pub concern_code: Option<String>,
    /// Whether it is a serious safety fault (严重安全性能故障): counted by the
    /// three-guarantees counters.
    #[serde(default)]
    pub safety_fault: bool,
    /// Why; required when an earlier classification changes.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Classifies the concern after diagnosis: its code and whether it is a serious
/// safety fault. Refused once the car is delivered.
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/concern", tag = "service", params(("id" = i64, Path)), request_body = ClassifyBody, responses((status = 204), (status = 409, body = crate::error::ProblemDoc), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn classify_concern(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ClassifyBody>,
) -> Result<StatusCode, ApiError> {
    let g = grant_any(&c, &[Action::RepairOrderWrite, Action::WorkshopWork])?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::repair_order::classify_concern(
        &s.app,
        &g,
        id,
        &ClassifyInput {
            concern_code: input.concern_code,
            safety_fault: input.safety_fault,
            reason: input.reason,
        },
    )
    .await
    .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which quality-inspection checkpoints apply.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicableInput {
    /// Checkpoint codes.
    #[serde(default)]
    pub codes: Vec<String>,
}

/// Marks the quality-inspection checkpoints that apply to this job.
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/applicable", tag = "service", params(("id" = i64, Path)), request_body = ApplicableInput, responses((status = 204), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn set_applicable(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ApplicableInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let codes: Vec<&str> = input.codes.iter().map(|s| s.trim()).collect();
    app::repair_order::set_applicable(&s.app, &g, id, &codes)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts a stage, which must be the next one (`reception`, `diagnosis`, `repair`,
/// `quality_inspection`, `delivery`).
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/stages/{stage}/start", tag = "service", params(("id" = i64, Path), ("stage" = String, Path)), responses((status = 204), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn start_stage(
    State(s): State<AppState>,
    c: Caller,
    Path((id, stage)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let id = path_id(&id, c.lang)?;
    let stage = stage_of(&stage, c.lang)?;
    app::repair_order::start_stage(&s.app, &g, id, stage)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Completes the stage in progress; refused while a required checkpoint is unticked
/// or (repair) work awaits the owner's decision or is unfinished.
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/stages/{stage}/complete", tag = "service", params(("id" = i64, Path), ("stage" = String, Path)), responses((status = 200, description = "What completing led to (late hand-over, courtesy car)"), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn complete_stage(
    State(s): State<AppState>,
    c: Caller,
    Path((id, stage)): Path<(String, String)>,
) -> Result<Json<app::repair_order::Completed>, ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let id = path_id(&id, c.lang)?;
    let stage = stage_of(&stage, c.lang)?;
    Ok(Json(
        app::repair_order::complete_stage(&s.app, &g, id, stage)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// A technician for a labour line.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    /// Staff id of the technician.
    #[serde(default)]
    pub technician_id: i64,
}

/// Assigns a technician whose valid certificates cover the operation (先认证后上岗).
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/lines/{no}/assign", tag = "service", params(("id" = i64, Path), ("no" = u32, Path)), request_body = AssignInput, responses((status = 204), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn assign(
    State(s): State<AppState>,
    c: Caller,
    Path((id, no)): Path<(String, String)>,
    JsonBody(input): JsonBody<AssignInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let no = line_of(&no, c.lang)?;
    app::repair_order::assign_technician(&s.app, &g, id, no, input.technician_id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A technician works only on the lines assigned to them.
pub async fn check_assigned(app: &app::App, g: &Grant, id: i64, no: u32) -> Result<(), AppError> {
    if g.principal().role != Role::Technician {
        return Ok(());
    }
    let read = g
        .principal()
        .grant(Action::RepairOrderRead)
        .map_err(|_| AppError::Forbidden)?;
    let v = app::repair_order::get(app, &read, id).await?;
    let mine = v
        .lines
        .iter()
        .any(|l| l.line_no == i64::from(no) && l.technician_id == Some(g.principal().id));
    if mine {
        Ok(())
    } else {
        Err(AppError::Refused(
            Violation::new(format!("lines[{no}]"), "repair_order.not_assigned").into(),
        ))
    }
}

pub(crate) async fn work(
    s: &AppState,
    c: &Caller,
    id: &str,
    no: &str,
    what: WorkStep,
) -> Result<StatusCode, ApiError> {
    let g = grant_any(c, &[Action::WorkshopWork, Action::RepairOrderWrite])?;
    let id = path_id(id, c.lang)?;
    let no = line_of(no, c.lang)?;
    if !matches!(what, WorkStep::Fit) {
        check_assigned(&s.app, &g, id, no)
            .await
            .map_err(|e| c.err(e))?;
    }
    match what {
        WorkStep::Start => app::repair_order::start_work(&s.app, &g, id, no).await,
        WorkStep::Finish => app::repair_order::finish_work(&s.app, &g, id, no).await,
        WorkStep::Fit => app::repair_order::fit_part(&s.app, &g, id, no).await,
    }
    .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A step of workshop work.
#[derive(Debug, Clone, Copy)]
pub enum WorkStep {
    /// Start labour.
    Start,
    /// Finish labour.
    Finish,
    /// Fit a part.
    Fit,
}

/// Starts work on an approved labour line (technicians: only their own lines).
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/lines/{no}/start", tag = "service", params(("id" = i64, Path), ("no" = u32, Path)), responses((status = 204), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn start_work(
    State(s): State<AppState>,
    c: Caller,
    Path((id, no)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    work(&s, &c, &id, &no, WorkStep::Start).await
}

/// Finishes work on a labour line.
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/lines/{no}/finish", tag = "service", params(("id" = i64, Path), ("no" = u32, Path)), responses((status = 204), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn finish_work(
    State(s): State<AppState>,
    c: Caller,
    Path((id, no)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    work(&s, &c, &id, &no, WorkStep::Finish).await
}

/// Records an approved part line as fitted.
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/lines/{no}/fit", tag = "service", params(("id" = i64, Path), ("no" = u32, Path)), responses((status = 204), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn fit_part(
    State(s): State<AppState>,
    c: Caller,
    Path((id, no)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    work(&s, &c, &id, &no, WorkStep::Fit).await
}

/// A new owner link.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LinkIssued {
    /// The token (256 random bits; shown once).
    pub token: String,
    /// The owner's page.
    pub url: String,
}

/// Issues the owner's transparent-workshop link; an earlier one stops working.
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/owner-link", tag = "service", params(("id" = i64, Path)), responses((status = 201, body = LinkIssued), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn issue_link(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<LinkIssued>), ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let id = path_id(&id, c.lang)?;
    let token = app::repair_order::issue_owner_link(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok((
        StatusCode::CREATED,
        Json(LinkIssued {
            url: format!("/owner/track/{token}"),
            token,
        }),
    ))
}

/// Revokes the owner link.
#[utoipa::path(delete, path = "/api/v1/repair-orders/{id}/owner-link", tag = "service", params(("id" = i64, Path)), responses((status = 204), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn revoke_link(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let id = path_id(&id, c.lang)?;
    app::repair_order::revoke_owner_link(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's jobs: labour lines assigned to them on open orders of their station.
#[utoipa::path(get, path = "/api/v1/my/jobs", tag = "service", responses((status = 200, description = "Assigned lines")))]
pub async fn my_jobs(State(s): State<AppState>, c: Caller) -> Result<Json<Vec<Job>>, ApiError> {
    c.grant(Action::WorkshopWork)?;
    let g = c.grant(Action::RepairOrderRead)?;
    let Some(station) = view::station_of(&c.principal) else {
        return Ok(Json(vec![]));
    };
    Ok(Json(
        view::jobs(&s.app, &g, station, c.principal.id)
            .await
            .map_err(|e| c.err(e))?,
    ))
}
