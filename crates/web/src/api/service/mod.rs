//! Appointments, capacity, repair orders, estimates and approvals, the transparent
//! workshop, KPIs (SPEC §4–§5). Every write names the rule it broke in a problem
//! document; bodies are read only after the caller's grant was checked.

pub mod track;
pub mod view;

use super::{Created, ListQuery, ReasonInput, path_id};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use crate::i18n::Lang;
use app::AppError;
use app::service::appointment::BookInput;
use app::service::capacity::{SlotOffer, SlotQuery};
use app::service::estimate::{DecisionInput, LineInput};
use app::service::repair_order::{ClassifyInput, OpenInput, WalkInInput};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::Violation;
use domain::appointment::ServiceType;
use domain::certification::{Qualification, Requirement, TechnicianGrade};
use domain::guarantee::MajorPart;
use domain::kpi::{StationMonth, YearMonth};
use domain::labour::LabourOperation;
use domain::permission::{Action, Grant};
use domain::repair_order::{Stage, StageStandard};
use domain::role::Role;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use store::service::appointment::AppointmentRow;
use store::service::labour::LabourOperationRow;
use view::{BoardItem, Job, OrderDetail};

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        list_parts,
        upsert_part,
        holiday_plan,
        replace_holiday_plan,
        list_operations,
        upsert_operation,
        current_stage_standard,
        publish_stage_standard,
        publish_capacity,
        find_slots,
        station_appointments,
        book,
        get_appointment,
        reschedule,
        cancel,
        no_show,
        open_from_appointment,
        open_walk_in,
        station_board,
        get_order,
        check,
        set_applicable,
        classify_concern,
        start_stage,
        complete_stage,
        add_line,
        approve_line,
        decline_line,
        reoffer_line,
        assign,
        start_work,
        finish_work,
        fit_part,
        issue_link,
        revoke_link,
        my_jobs,
        station_kpis,
        track::track,
        track::owner_approve,
        track::owner_decline,
    ),
    components(schemas(
        LabourOpInput,
        PublishInput,
        BookBody,
        RescheduleInput,
        OpenBody,
        WalkInBody,
        CheckInput,
        ApplicableInput,
        ClassifyBody,
        LineBody,
        DeskDecision,
        AssignInput,
        LinkIssued,
        BookedAnswer
    ))
)]
pub struct ServiceApi;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/labour-operations",
            get(list_operations).post(upsert_operation),
        )
        .route("/stage-standards/current", get(current_stage_standard))
        .route("/stage-standards", post(publish_stage_standard))
        .route("/parts", get(list_parts).post(upsert_part))
        .route(
            "/calendar/holidays",
            get(holiday_plan).put(replace_holiday_plan),
        )
        .route("/stations/{id}/capacity", post(publish_capacity))
        .route("/stations/{id}/slots", get(find_slots))
        .route("/stations/{id}/appointments", get(station_appointments))
        .route("/stations/{id}/repair-orders", get(station_board))
        .route("/stations/{id}/kpis", get(station_kpis))
        .route("/appointments", post(book))
        .route("/appointments/{id}", get(get_appointment))
        .route("/appointments/{id}/reschedule", post(reschedule))
        .route("/appointments/{id}/cancel", post(cancel))
        .route("/appointments/{id}/no-show", post(no_show))
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
        .route("/repair-orders/{id}/lines", post(add_line))
        .route("/repair-orders/{id}/lines/{no}/approve", post(approve_line))
        .route("/repair-orders/{id}/lines/{no}/decline", post(decline_line))
        .route("/repair-orders/{id}/lines/{no}/reoffer", post(reoffer_line))
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

/// A grant for the first of `actions` the caller holds, or 403.
pub fn grant_any(c: &Caller, actions: &[Action]) -> Result<Grant, ApiError> {
    actions
        .iter()
        .find_map(|a| c.principal.grant(*a).ok())
        .ok_or_else(|| ApiError::app(AppError::Forbidden, c.lang))
}

pub use crate::client::{ClientIp, client_ip};

fn invalid(field: &str, rule: &'static str, lang: Lang) -> ApiError {
    ApiError::app(AppError::Invalid(Violation::new(field, rule).into()), lang)
}

/// A stage from its path code; unknown codes name the rule.
pub fn stage_of(code: &str, lang: Lang) -> Result<Stage, ApiError> {
    Stage::from_code(code).ok_or_else(|| invalid("stage", "repair_order.stage_unknown", lang))
}

/// A line number from the path; anything else is not found.
pub fn line_of(raw: &str, lang: Lang) -> Result<u32, ApiError> {
    raw.parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::app(AppError::NotFound, lang))
}

// ----- labour operations -----

/// A labour operation of the catalogue.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabourOpInput {
    /// Code, e.g. `BRAKE-PAD`.
    #[serde(default)]
    pub code: String,
    /// Chinese name.
    #[serde(default)]
    pub name_zh: String,
    /// English name.
    #[serde(default)]
    pub name_en: String,
    /// Standard hours in hundredths (150 = 1.5 h).
    #[serde(default)]
    pub standard_hundredths: i64,
    /// Lowest technician grade (1–4), if any.
    #[serde(default)]
    pub min_grade: Option<i64>,
    /// Qualification code needed, e.g. `ev_high_voltage`.
    #[serde(default)]
    pub qualification: Option<String>,
    /// Main part the operation replaces, for the three-guarantees counters:
    /// `engine`, `transmission`, `traction_battery` or `drive_motor`.
    #[serde(default)]
    pub major_part: Option<String>,
}

/// The labour-operation catalogue.
#[utoipa::path(get, path = "/api/v1/labour-operations", tag = "service", responses((status = 200, description = "Every catalogue entry")))]
pub async fn list_operations(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<Vec<LabourOperationRow>>, ApiError> {
    let g = c.grant(Action::NetworkRead)?;
    Ok(Json(
        app::service::labour::operations(&s.app, &g)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Creates or changes a catalogue entry by code (head office).
#[utoipa::path(post, path = "/api/v1/labour-operations", tag = "service", request_body = LabourOpInput, responses((status = 201, body = Created), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn upsert_operation(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<LabourOpInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let g = c.grant(Action::NetworkWrite)?;
    let input = input?;
    let min_grade = match input.min_grade {
        None => None,
        Some(l) => Some(
            TechnicianGrade::from_level(l)
                .ok_or_else(|| invalid("min_grade", "number.range", c.lang))?,
        ),
    };
    let qualification = match input.qualification.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(q) => Some(
            Qualification::from_code(q)
                .ok_or_else(|| invalid("qualification", "labour.qualification_unknown", c.lang))?,
        ),
    };
    let major_part = match input.major_part.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => Some(
            MajorPart::from_code(p)
                .ok_or_else(|| invalid("major_part", "labour.major_part_unknown", c.lang))?,
        ),
    };
    let op = LabourOperation::new(
        &input.code,
        &input.name_zh,
        &input.name_en,
        input.standard_hundredths,
        Requirement {
            min_grade,
            qualification,
        },
    )
    .map_err(|e| c.err(AppError::Invalid(Violation::from(e).into())))?
    .with_major_part(major_part);
    let id = app::service::labour::upsert_operation(&s.app, &g, &op)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

// ----- stage standards -----

/// The stage standard new repair orders run under (stages, standard times and
/// checkpoints, SPEC §5).
#[utoipa::path(get, path = "/api/v1/stage-standards/current", tag = "service", responses((status = 200, description = "The current stage standard")))]
pub async fn current_stage_standard(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<StageStandard>, ApiError> {
    let g = c.grant(Action::NetworkRead)?;
    Ok(Json(
        app::service::stage_standard::read_current(&s.app, &g)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Publishes the next version of the stage standard (head office only); orders
/// already open keep the version they were opened with.
#[utoipa::path(post, path = "/api/v1/stage-standards", tag = "service", request_body(content = Object, description = "The stage standard, version = current + 1"), responses((status = 201, description = "Published"), (status = 403, body = crate::error::ProblemDoc), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn publish_stage_standard(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<StageStandard>,
) -> Result<(StatusCode, Json<StageStandard>), ApiError> {
    let g = c.grant(Action::NetworkWrite)?;
    let input = input?;
    let published = app::service::stage_standard::publish(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(published)))
}

// ----- capacity and slots -----

/// What to publish.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishInput {
    /// First day, `YYYY-MM-DD`.
    #[serde(default)]
    pub first_day: String,
    /// Number of days (1–92).
    #[serde(default)]
    pub days: u32,
}

/// How many slots were published.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Published {
    /// Slots published.
    pub slots: usize,
}

/// Publishes a station's capacity from its bays and its certified technicians.
#[utoipa::path(post, path = "/api/v1/stations/{id}/capacity", tag = "service", params(("id" = i64, Path)), request_body = PublishInput, responses((status = 200, description = "Slots published"), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn publish_capacity(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<PublishInput>,
) -> Result<Json<Published>, ApiError> {
    let g = c.grant(Action::CapacityAdmin)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let day: jiff::civil::Date = input
        .first_day
        .trim()
        .parse()
        .map_err(|_| invalid("first_day", "date.format", c.lang))?;
    let slots = app::service::capacity::publish(&s.app, &g, id, day, input.days, None)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(Published { slots }))
}

/// Reads an instant: UTC ms, RFC 3339, or `YYYY-MM-DD HH:MM` in `tz`.
pub fn parse_instant(text: &str, tz: &jiff::tz::TimeZone) -> Option<jiff::Timestamp> {
    let t = text.trim();
    if let Ok(ms) = t.parse::<i64>() {
        return jiff::Timestamp::from_millisecond(ms).ok();
    }
    t.parse::<jiff::Timestamp>().ok().or_else(|| {
        t.replace('T', " ")
            .parse::<jiff::civil::DateTime>()
            .ok()
            .and_then(|dt| tz.to_timestamp(dt).ok())
    })
}

/// Searches free slots; `service_type`, `preferred` (required), `operation_codes`
/// (comma-separated), `limit`, `nearby`.
pub async fn slot_offer(
    app: &app::App,
    g: &Grant,
    station_id: i64,
    q: &ListQuery,
    lang: Lang,
) -> Result<SlotOffer, ApiError> {
    let st = q
        .text("service_type")
        .unwrap_or_else(|| "maintenance".into());
    let service_type = ServiceType::from_code(&st)
        .ok_or_else(|| invalid("service_type", "appointment.service_type_unknown", lang))?;
    let tz = app::service::appointment::zone_of(app, station_id)
        .await
        .map_err(|e| ApiError::app(e, lang))?;
    let preferred = q
        .text("preferred")
        .ok_or_else(|| invalid("preferred", "required", lang))?;
    let preferred = parse_instant(&preferred, &tz)
        .ok_or_else(|| invalid("preferred", "datetime.format", lang))?;
    let limit = q.int("limit", lang)?.unwrap_or(5).clamp(1, 20) as usize;
    let nearby = q.int("nearby", lang)?.unwrap_or(3).clamp(0, 5) as usize;
    let operation_codes = q
        .text("operation_codes")
        .map(|s| {
            s.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default();
    app::service::capacity::find_slots(
        app,
        g,
        &SlotQuery {
            station_id,
            service_type,
            operation_codes,
            preferred,
            limit,
            nearby_stations: nearby,
        },
    )
    .await
    .map_err(|e| ApiError::app(e, lang))
}

/// Free slots: the preferred time first when free, else the nearest at that station,
/// plus the nearest free starts at nearby stations (by distance).
#[utoipa::path(get, path = "/api/v1/stations/{id}/slots", tag = "service", params(("id" = i64, Path), ("preferred" = String, Query, description = "UTC ms, RFC 3339 or `YYYY-MM-DD HH:MM` local"), ("service_type" = Option<String>, Query), ("operation_codes" = Option<String>, Query), ("limit" = Option<i64>, Query), ("nearby" = Option<i64>, Query)), responses((status = 200, description = "Offered slots"), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn find_slots(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<SlotOffer>, ApiError> {
    let g = grant_any(&c, &[Action::AppointmentRead, Action::AppointmentBook])?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        slot_offer(&s.app, &g, id, &ListQuery(q), c.lang).await?,
    ))
}

/// Start and end (UTC ms) of a station's day `YYYY-MM-DD` (today when empty).
pub async fn day_range(
    app: &app::App,
    station_id: i64,
    day: Option<&str>,
    lang: Lang,
) -> Result<(jiff::civil::Date, i64, i64), ApiError> {
    let tz = app::service::appointment::zone_of(app, station_id)
        .await
        .map_err(|e| ApiError::app(e, lang))?;
    let date = match day {
        Some(d) => d
            .trim()
            .parse::<jiff::civil::Date>()
            .map_err(|_| invalid("day", "date.format", lang))?,
        None => tz.to_datetime(app.clock.now()).date(),
    };
    let from = tz
        .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
        .map_err(|_| invalid("day", "date.format", lang))?;
    let next = date
        .tomorrow()
        .map_err(|_| invalid("day", "date.format", lang))?;
    let to = tz
        .to_timestamp(next.to_datetime(jiff::civil::Time::midnight()))
        .map_err(|_| invalid("day", "date.format", lang))?;
    Ok((date, from.as_millisecond(), to.as_millisecond()))
}

/// A station's appointments of one day (`day`, default today in the station's zone).
#[utoipa::path(get, path = "/api/v1/stations/{id}/appointments", tag = "service", params(("id" = i64, Path), ("day" = Option<String>, Query)), responses((status = 200, description = "Appointments by start")))]
pub async fn station_appointments(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Vec<AppointmentRow>>, ApiError> {
    let g = c.grant(Action::AppointmentRead)?;
    let id = path_id(&id, c.lang)?;
    let q = ListQuery(q);
    let (_, from, to) = day_range(&s.app, id, q.text("day").as_deref(), c.lang).await?;
    Ok(Json(
        app::service::appointment::list(&s.app, &g, id, from, to)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

// ----- appointments -----

/// A booking.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookBody {
    /// Station.
    #[serde(default)]
    pub station_id: i64,
    /// Vehicle (its owner is the customer).
    #[serde(default)]
    pub vehicle_id: i64,
    /// `maintenance`, `repair`, `warranty`, `recall`, `accident_body`, `ev_battery_check`.
    #[serde(default)]
    pub service_type: String,
    /// `owner_app`, `hotline`, `walk_in` (owners: always `owner_app`).
    #[serde(default)]
    pub channel: String,
    /// Start: UTC ms, RFC 3339, or `YYYY-MM-DD HH:MM` in the station's zone.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub start: serde_json::Value,
    /// Labour operation codes, if known.
    #[serde(default)]
    pub operation_codes: Vec<String>,
    /// Duration in minutes when no operation is named.
    #[serde(default)]
    pub duration_minutes: Option<i64>,
    /// The owner's concern.
    #[serde(default)]
    pub concern: Option<String>,
}

/// A booking's outcome.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BookedAnswer {
    /// Appointment id.
    pub id: i64,
}

/// Books an appointment against the station's capacity; refused (409, naming the
/// rule) in the past, on a holiday, outside hours, or when full.
#[utoipa::path(post, path = "/api/v1/appointments", tag = "service", request_body = BookBody, responses((status = 201, body = Created), (status = 409, body = crate::error::ProblemDoc), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn book(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<BookBody>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let g = c.grant(Action::AppointmentBook)?;
    let input = input?;
    let channel = if c.principal.role == Role::Owner {
        "owner_app".to_string()
    } else {
        input.channel
    };
    let id = app::service::appointment::book(
        &s.app,
        &g,
        &BookInput {
            station_id: input.station_id,
            vehicle_id: input.vehicle_id,
            service_type: input.service_type,
            channel,
            start: input.start,
            operation_codes: input.operation_codes,
            duration_minutes: input.duration_minutes,
            concern: input.concern,
        },
    )
    .await
    .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// One appointment.
#[utoipa::path(get, path = "/api/v1/appointments/{id}", tag = "service", params(("id" = i64, Path)), responses((status = 200, description = "The appointment"), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn get_appointment(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<AppointmentRow>, ApiError> {
    let g = c.grant(Action::AppointmentRead)?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        app::service::appointment::get(&s.app, &g, id)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// A new start.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleInput {
    /// Start: UTC ms, RFC 3339, or `YYYY-MM-DD HH:MM` in the station's zone.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub start: serde_json::Value,
}

/// Moves a booked appointment; the old places are released.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/reschedule", tag = "service", params(("id" = i64, Path)), request_body = RescheduleInput, responses((status = 204), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn reschedule(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<RescheduleInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::AppointmentBook)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::service::appointment::reschedule(&s.app, &g, id, &input.start)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Cancels with a reason; the places are released.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/cancel", tag = "service", params(("id" = i64, Path)), request_body = ReasonInput, responses((status = 204), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn cancel(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ReasonInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::AppointmentBook)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::service::appointment::cancel(&s.app, &g, id, &input.reason)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Records that the owner did not come (only after the start).
#[utoipa::path(post, path = "/api/v1/appointments/{id}/no-show", tag = "service", params(("id" = i64, Path)), responses((status = 204), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn no_show(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::AppointmentBook)?;
    let id = path_id(&id, c.lang)?;
    app::service::appointment::no_show(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

// ----- repair orders -----

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
    let id = app::service::repair_order::open_from_appointment(
        &s.app,
        &g,
        id,
        &OpenInput {
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
}

/// Opens a repair order for a walk-in.
#[utoipa::path(post, path = "/api/v1/repair-orders", tag = "service", request_body = WalkInBody, responses((status = 201, body = Created), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn open_walk_in(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<WalkInBody>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let input = input?;
    let id = app::service::repair_order::open_walk_in(
        &s.app,
        &g,
        &WalkInInput {
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
    app::service::repair_order::check(&s.app, &g, id, input.code.trim(), input.note.as_deref())
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
    app::service::repair_order::classify_concern(
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
    app::service::repair_order::set_applicable(&s.app, &g, id, &codes)
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
    app::service::repair_order::start_stage(&s.app, &g, id, stage)
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
) -> Result<Json<app::service::repair_order::Completed>, ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let id = path_id(&id, c.lang)?;
    let stage = stage_of(&stage, c.lang)?;
    Ok(Json(
        app::service::repair_order::complete_stage(&s.app, &g, id, stage)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// An estimate line.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineBody {
    /// `labour` or `part`.
    #[serde(default)]
    pub kind: String,
    /// Labour operation code or part number.
    #[serde(default)]
    pub code: String,
    /// Hours or quantity in hundredths.
    #[serde(default)]
    pub hundredths: Option<i64>,
    /// Part unit price in fen.
    #[serde(default)]
    pub unit_price_fen: Option<i64>,
}

/// Line number of an added line.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LineAdded {
    /// Line number.
    pub line_no: u32,
}

/// Adds a proposed estimate line (labour at the station rate, or a part). Added during
/// repair, it is extra work that blocks completing repair until the owner decides.
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/lines", tag = "service", params(("id" = i64, Path)), request_body = LineBody, responses((status = 201, description = "The line number"), (status = 409, body = crate::error::ProblemDoc), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn add_line(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<LineBody>,
) -> Result<(StatusCode, Json<LineAdded>), ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let line_no = app::service::estimate::add_line(
        &s.app,
        &g,
        id,
        &LineInput {
            kind: input.kind.trim().to_string(),
            code: input.code,
            hundredths: input.hundredths,
            unit_price_fen: input.unit_price_fen,
        },
    )
    .await
    .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(LineAdded { line_no })))
}

/// The owner's decision at the desk.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeskDecision {
    /// Who decided (the owner's name).
    #[serde(default)]
    pub by: String,
    /// The signature as captured (text or a stored image reference).
    #[serde(default)]
    pub signature: Option<String>,
    /// Promised completion (UTC ms), set with the first approval; the ETA otherwise.
    #[serde(default)]
    pub promised_at: Option<i64>,
}

fn desk(input: DeskDecision, ip: Option<String>) -> DecisionInput {
    DecisionInput {
        by: input.by,
        channel: "desk_signature".into(),
        ip,
        signature_ref: input
            .signature
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        promised_at: input.promised_at,
    }
}

/// Approves a line at the desk (channel `desk_signature`, with the signature and the
/// client's IP kept).
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/lines/{no}/approve", tag = "service", params(("id" = i64, Path), ("no" = u32, Path)), request_body = DeskDecision, responses((status = 204), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn approve_line(
    State(s): State<AppState>,
    c: Caller,
    ip: ClientIp,
    Path((id, no)): Path<(String, String)>,
    JsonBody(input): JsonBody<DeskDecision>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let no = line_of(&no, c.lang)?;
    app::service::estimate::approve(&s.app, &g, id, no, &desk(input, ip.0))
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Declines a line at the desk; it is kept for a later offer.
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/lines/{no}/decline", tag = "service", params(("id" = i64, Path), ("no" = u32, Path)), request_body = DeskDecision, responses((status = 204), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn decline_line(
    State(s): State<AppState>,
    c: Caller,
    ip: ClientIp,
    Path((id, no)): Path<(String, String)>,
    JsonBody(input): JsonBody<DeskDecision>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let no = line_of(&no, c.lang)?;
    app::service::estimate::decline(&s.app, &g, id, no, &desk(input, ip.0))
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Offers a declined line again as a new proposed line.
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/lines/{no}/reoffer", tag = "service", params(("id" = i64, Path), ("no" = u32, Path)), responses((status = 201, description = "The new line number"), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn reoffer_line(
    State(s): State<AppState>,
    c: Caller,
    Path((id, no)): Path<(String, String)>,
) -> Result<(StatusCode, Json<LineAdded>), ApiError> {
    let g = c.grant(Action::RepairOrderWrite)?;
    let id = path_id(&id, c.lang)?;
    let no = line_of(&no, c.lang)?;
    let line_no = app::service::estimate::reoffer(&s.app, &g, id, no)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(LineAdded { line_no })))
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
    app::service::repair_order::assign_technician(&s.app, &g, id, no, input.technician_id)
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
    let v = app::service::repair_order::get(app, &read, id).await?;
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

async fn work(
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
        WorkStep::Start => app::service::repair_order::start_work(&s.app, &g, id, no).await,
        WorkStep::Finish => app::service::repair_order::finish_work(&s.app, &g, id, no).await,
        WorkStep::Fit => app::service::repair_order::fit_part(&s.app, &g, id, no).await,
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
    let token = app::service::repair_order::issue_owner_link(&s.app, &g, id)
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
    app::service::repair_order::revoke_owner_link(&s.app, &g, id)
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

/// A month `YYYY-MM`.
pub fn parse_month(text: &str, lang: Lang) -> Result<YearMonth, ApiError> {
    let bad = || invalid("month", "date.format", lang);
    let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
    let year: i16 = y.parse().map_err(|_| bad())?;
    let month: i8 = m.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&month) || !(2000..=2100).contains(&year) {
        return Err(bad());
    }
    Ok(YearMonth { year, month })
}

/// The current month in a station's zone.
pub async fn this_month(app: &app::App, station_id: i64) -> Result<YearMonth, AppError> {
    let tz = app::service::appointment::zone_of(app, station_id).await?;
    let d = tz.to_datetime(app.clock.now()).date();
    Ok(YearMonth {
        year: d.year(),
        month: d.month(),
    })
}

/// A station's KPIs for a month of delivery (`month`, default this month): first-time
/// fix, mean repair duration, on-time delivery (SPEC §12).
#[utoipa::path(get, path = "/api/v1/stations/{id}/kpis", tag = "service", params(("id" = i64, Path), ("month" = Option<String>, Query)), responses((status = 200, description = "The station's month"), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn station_kpis(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<StationMonth>, ApiError> {
    let g = c.grant(Action::KpiRead)?;
    let id = path_id(&id, c.lang)?;
    let q = ListQuery(q);
    let month = match q.text("month") {
        Some(m) => parse_month(&m, c.lang)?,
        None => this_month(&s.app, id).await.map_err(|e| c.err(e))?,
    };
    Ok(Json(
        app::service::repair_order::station_kpis(&s.app, &g, id, month)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// The public-holiday plan as text.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolidayPlanText {
    /// One entry per line: `2026-02-15..2026-02-23 holiday 春节` or `2026-02-14 workday`
    /// (a weekend day worked, 调休); `#` starts a comment.
    pub plan: String,
}

/// The working-day calendar every clock uses: China's holidays and adjusted workdays.
#[utoipa::path(get, path = "/api/v1/calendar/holidays", tag = "service", responses((status = 200, body = HolidayPlanText)))]
pub async fn holiday_plan(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<HolidayPlanText>, ApiError> {
    let g = c.grant(Action::NetworkRead)?;
    let plan = app::service::calendar::plan_text(&s.app, &g)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(HolidayPlanText { plan }))
}

/// Replaces the holiday plan (head office). A bad line is reported with its number and nothing changes.
#[utoipa::path(put, path = "/api/v1/calendar/holidays", tag = "service", request_body = HolidayPlanText, responses((status = 204), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn replace_holiday_plan(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<HolidayPlanText>,
) -> Result<axum::http::StatusCode, ApiError> {
    let g = c.grant(Action::NetworkWrite)?;
    let input = input?;
    app::service::calendar::replace_plan(&s.app, &g, &input.plan)
        .await
        .map_err(|e| c.err(e))?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The parts catalogue with catalogue prices (fen).
#[utoipa::path(get, path = "/api/v1/parts", tag = "service", responses((status = 200, description = "Catalogue entries")))]
pub async fn list_parts(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(Action::NetworkRead)?;
    let parts = app::service::parts::list(&s.app, &g)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(serde_json::json!({ "items": parts })))
}

/// Adds a part to the catalogue or changes its price (head office); estimates then price the part from it.
#[utoipa::path(post, path = "/api/v1/parts", tag = "service", request_body = app::service::parts::PartInput, responses((status = 204), (status = 422, body = crate::error::ProblemDoc)))]
pub async fn upsert_part(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<app::service::parts::PartInput>,
) -> Result<axum::http::StatusCode, ApiError> {
    let g = c.grant(Action::NetworkWrite)?;
    let input = input?;
    app::service::parts::upsert(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
