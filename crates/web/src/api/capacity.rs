//! Slot capacity: a station publishes its places per slot; callers search free slots.

use super::{ListQuery, path_id};
use crate::AppState;
use crate::api::{grant_any, invalid};
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use crate::i18n::Lang;
use app::capacity::{SlotOffer, SlotQuery};
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::appointment::ServiceType;
use domain::permission::{Action, Grant};
use serde::Deserialize;
use std::collections::HashMap;

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(publish_capacity, find_slots),
    components(schemas(PublishInput, Published, app::capacity::Relocated))
)]
pub struct CapacityApi;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/stations/{id}/capacity", post(publish_capacity))
        .route("/stations/{id}/slots", get(find_slots))
}

/// What a publication did: how many slots, and the appointments moved or cancelled
/// by the "move these" step.
pub use app::capacity::Published;

/// Publishes a station's capacity from its bays and its certified technicians.
/// Less capacity than is already booked is refused (409 `capacity.below_booked`, the
/// detail listing the affected appointments; nothing changed) unless
/// `move_affected` is true: then each appointment that no longer fits is moved to the
/// nearest free start of the station, or cancelled where none is free, and its owner
/// told — in the same transaction, listed in `relocated`.
#[utoipa::path(post, path = "/api/v1/stations/{id}/capacity", tag = "service", params(("id" = i64, Path)), request_body = PublishInput, responses((status = 200, description = "Slots published (and appointments relocated)", body = Published), (status = 409, description = "Below what is booked (`capacity.below_booked`), without `move_affected`", body = crate::error::ProblemDoc), (status = 422, body = crate::error::ProblemDoc)))]
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
    let published =
        app::capacity::publish_moving(&s.app, &g, id, day, input.days, None, input.move_affected)
            .await
            .map_err(|e| c.err(e))?;
    Ok(Json(published))
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
    let tz = app::appointment::zone_of(app, station_id)
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
    app::capacity::find_slots(
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
    let tz = app::appointment::zone_of(app, station_id)
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

/// What to publish.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishInput {
    /// First day, `YYYY-MM-DD`.
    #[serde(default)]
    #[schema(format = Date, required = true)]
    pub first_day: String,
    /// Number of days (1–92, `app::capacity::MAX_PUBLISH_DAYS`).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 92, required = true)]
    pub days: u32,
    /// The explicit "move these" step: where the new capacity is below what is
    /// booked, move each appointment that no longer fits to the nearest free start
    /// (or cancel it when none is free), telling its owner. Without it such a
    /// publication is refused with the list.
    #[serde(default)]
    pub move_affected: bool,
}
