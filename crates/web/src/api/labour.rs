//! The labour-operation catalogue (工时目录): head-office data every station prices from.

use super::Created;
use crate::AppState;
use crate::api::invalid;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use app::AppError;
use app::labour::LabourOperationRow;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use domain::Violation;
use domain::certification::{Qualification, Requirement, TechnicianGrade};
use domain::guarantee::main_part::System;
use domain::labour::LabourOperation;
use domain::permission::Action;
use serde::Deserialize;

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_operations, upsert_operation),
    components(schemas(LabourOpInput))
)]
pub struct LabourApi;

/// Routes of this area.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/labour-operations",
        get(list_operations).post(upsert_operation),
    )
}

/// The labour-operation catalogue.
#[utoipa::path(get, path = "/api/v1/labour-operations", tag = "service", responses((status = 200, description = "Every catalogue entry")))]
pub async fn list_operations(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<Vec<LabourOperationRow>>, ApiError> {
    let g = c.grant(Action::NetworkRead)?;
    Ok(Json(
        app::labour::operations(&s.app, &g)
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
        Some(l) => Some(TechnicianGrade::from_level(l).ok_or_else(|| {
            ApiError::app(
                AppError::Invalid(
                    Violation::new("min_grade", "number.range")
                        .with_detail("1..4")
                        .into(),
                ),
                c.lang,
            )
        })?),
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
            System::from_code(p)
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
    let id = app::labour::upsert_operation(&s.app, &g, &op)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// A labour operation of the catalogue.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabourOpInput {
    /// Code, e.g. `BRAKE-PAD`.
    #[serde(default)]
    #[schema(schema_with = app::schema::labour_code, required = true)]
    pub code: String,
    /// Chinese name.
    #[serde(default)]
    #[schema(schema_with = app::schema::line::<{ domain::labour::MAX_NAME }>, required = true)]
    pub name_zh: String,
    /// English name.
    #[serde(default)]
    #[schema(schema_with = app::schema::line::<{ domain::labour::MAX_NAME }>, required = true)]
    pub name_en: String,
    /// Standard hours in hundredths (150 = 1.5 h).
    #[serde(default)]
    #[schema(required = true, minimum = 1, maximum = 10_000)]
    pub standard_hundredths: i64,
    /// Lowest technician grade (1–4), if any.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 4)]
    pub min_grade: Option<i64>,
    /// Qualification code needed, e.g. `ev_high_voltage`.
    #[serde(default)]
    #[schema(schema_with = app::schema::qualification_or_none)]
    pub qualification: Option<String>,
    /// Main part the operation replaces, for the three-guarantees counters:
    /// `engine`, `transmission`, `traction_battery` or `drive_motor`.
    #[serde(default)]
    #[schema(schema_with = app::schema::major_part_or_none)]
    pub major_part: Option<String>,
}
