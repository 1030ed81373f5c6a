//! Quality audits: checklist versions, audit visits (start, answer, submit, score),
//! corrective actions and their steps, the quarterly depot ratings, and the photos of
//! failed checkpoints ([`photo`]).

pub mod photo;

use super::{ListQuery, json, path_id};
use crate::AppState;
use crate::error::{ApiError, ProblemDoc};
use crate::extract::{Caller, JsonBody};
use app::quality_audit::action::{ReviewInput, StepInput};
use app::quality_audit::checklist::PublishInput;
use app::quality_audit::depot::RateInput;
use app::quality_audit::{AnswersInput, SubmitInput, VisitInput};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::permission::Action;
use std::collections::HashMap;

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        checklists,
        publish,
        visits,
        start,
        visit,
        answer,
        submit,
        actions,
        action,
        step,
        review,
        depot_quarter,
        rate_depot,
        photo::add_photo,
        photo::photos,
        photo::photo
    ),
    components(schemas(
        ProblemDoc,
        PublishInput,
        VisitInput,
        AnswersInput,
        SubmitInput,
        StepInput,
        ReviewInput,
        RateInput
    ))
)]
pub struct QualityAuditApi;

/// Routes of this area under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit-checklists", get(checklists).post(publish))
        .route("/audit-visits", get(visits).post(start))
        .route("/audit-visits/{id}", get(visit))
        .route("/audit-visits/{id}/answers", post(answer))
        .route("/audit-visits/{id}/submit", post(submit))
        .route(
            "/audit-visits/{id}/photos",
            get(photo::photos).put(photo::add_photo),
        )
        .route("/audit-visits/{id}/photos/{photo_id}", get(photo::photo))
        .route("/corrective-actions", get(actions))
        .route("/corrective-actions/{id}", get(action))
        .route("/corrective-actions/{id}/steps", post(step))
        .route("/corrective-actions/{id}/reviews", post(review))
        .route("/depot-ratings", get(depot_quarter).post(rate_depot))
}

type Answer = Result<Json<serde_json::Value>, ApiError>;
type Created = Result<(StatusCode, Json<serde_json::Value>), ApiError>;

/// Every checklist version, newest first, with its checkpoints (before the first
/// visit: the shipped checklist that visit will use, as version 0).
#[utoipa::path(get, path = "/api/v1/audit-checklists", operation_id = "quality_audit_checklists", tag = "quality", responses((status = 200, description = "`[{checklist, checkpoints}]`"), (status = 403, body = ProblemDoc)))]
pub async fn checklists(State(s): State<AppState>, c: Caller) -> Answer {
    let g = c.grant(Action::QualityAuditRead)?;
    let v = app::quality_audit::checklist::versions(&s.app, &g)
        .await
        .map_err(|e| c.err(e))?;
    let items: Vec<_> = v
        .into_iter()
        .map(|(r, cps)| serde_json::json!({ "checklist": r, "checkpoints": cps }))
        .collect();
    Ok(json(&items))
}

/// Publishes a new checklist version (head office auditors). 422 names a repeated
/// code, a step split in two, an empty text.
#[utoipa::path(post, path = "/api/v1/audit-checklists", operation_id = "quality_audit_publish", tag = "quality", request_body = PublishInput, responses((status = 201, description = "The version"), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn publish(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<PublishInput>,
) -> Created {
    let g = c.grant(Action::QualityAuditWrite)?;
    let input = input?;
    let r = app::quality_audit::checklist::publish(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, json(&r)))
}

/// Audit visits, newest first: filter `station_id`; `page`, `per_page`.
#[utoipa::path(get, path = "/api/v1/audit-visits", operation_id = "quality_audit_visits", tag = "quality", params(("station_id" = Option<i64>, Query), ("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query)), responses((status = 200, description = "`{items, total, page, per_page}`"), (status = 422, body = ProblemDoc)))]
pub async fn visits(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let g = c.grant(Action::QualityAuditRead)?;
    let q = ListQuery(q);
    let page = q.page(c.lang)?;
    let r = app::quality_audit::list(&s.app, &g, q.int("station_id", c.lang)?, page)
        .await
        .map_err(|e| c.err(e))?;
    Ok(json(&r))
}

/// Starts a draft visit on the current checklist. 409 for a closed station; 422 for an
/// unknown kind or a day in the future.
#[utoipa::path(post, path = "/api/v1/audit-visits", operation_id = "quality_audit_start", tag = "quality", request_body = VisitInput, responses((status = 201, description = "The visit"), (status = 403, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn start(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<VisitInput>,
) -> Created {
    let g = c.grant(Action::QualityAuditWrite)?;
    let input = input?;
    let r = app::quality_audit::start(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, json(&r)))
}

/// One visit: checklist, answers, the score by step and the corrective actions.
#[utoipa::path(get, path = "/api/v1/audit-visits/{id}", operation_id = "quality_audit_visit", tag = "quality", params(("id" = i64, Path)), responses((status = 200, description = "The visit"), (status = 404, body = ProblemDoc)))]
pub async fn visit(State(s): State<AppState>, c: Caller, Path(id): Path<String>) -> Answer {
    let g = c.grant(Action::QualityAuditRead)?;
    let id = path_id(&id, c.lang)?;
    Ok(json(
        &app::quality_audit::detail(&s.app, &g, id)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Saves answers of a draft visit (a failed checkpoint needs its finding).
#[utoipa::path(post, path = "/api/v1/audit-visits/{id}/answers", operation_id = "quality_audit_answer", tag = "quality", params(("id" = i64, Path)), request_body = AnswersInput, responses((status = 200, description = "The visit"), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn answer(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<AnswersInput>,
) -> Answer {
    let g = c.grant(Action::QualityAuditWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    Ok(json(
        &app::quality_audit::answer(&s.app, &g, id, &input.answers)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Submits a visit: scored, and a corrective action opened per failed checkpoint.
/// 409 when a checkpoint is unanswered or it was submitted already.
#[utoipa::path(post, path = "/api/v1/audit-visits/{id}/submit", operation_id = "quality_audit_submit", tag = "quality", params(("id" = i64, Path)), request_body = SubmitInput, responses((status = 200, description = "The visit"), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn submit(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<SubmitInput>,
) -> Answer {
    let g = c.grant(Action::QualityAuditWrite)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    Ok(json(
        &app::quality_audit::submit(&s.app, &g, id, &input)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Corrective actions, nearest due first: filters `state`, `station_id`; `page`, `per_page`.
#[utoipa::path(get, path = "/api/v1/corrective-actions", operation_id = "quality_audit_actions", tag = "quality", params(("state" = Option<String>, Query), ("station_id" = Option<i64>, Query), ("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query)), responses((status = 200, description = "`{items, total, page, per_page}`"), (status = 422, body = ProblemDoc)))]
pub async fn actions(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let g = c.grant(Action::QualityAuditRead)?;
    let q = ListQuery(q);
    let page = q.page(c.lang)?;
    let state = q.text("state");
    let r = app::quality_audit::action::list(
        &s.app,
        &g,
        state.as_deref(),
        q.int("station_id", c.lang)?,
        page,
    )
    .await
    .map_err(|e| c.err(e))?;
    Ok(json(&r))
}

/// One corrective action with its history and the steps the caller may take.
#[utoipa::path(get, path = "/api/v1/corrective-actions/{id}", operation_id = "quality_audit_action", tag = "quality", params(("id" = i64, Path)), responses((status = 200, description = "The action"), (status = 404, body = ProblemDoc)))]
pub async fn action(State(s): State<AppState>, c: Caller, Path(id): Path<String>) -> Answer {
    let g = c.grant(Action::QualityAuditRead)?;
    let id = path_id(&id, c.lang)?;
    Ok(json(
        &app::quality_audit::action::detail(&s.app, &g, id)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// The station's step: `record_cause` or `close_with_evidence` (with `evidence`).
/// 409 for a step the state does not allow; 422 for closing without evidence.
#[utoipa::path(post, path = "/api/v1/corrective-actions/{id}/steps", operation_id = "quality_audit_step", tag = "quality", params(("id" = i64, Path)), request_body = StepInput, responses((status = 200, description = "The action"), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn step(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<StepInput>,
) -> Answer {
    take(s, c, id, input, Action::CorrectiveActionWrite).await
}

/// The auditor's review: `verify`, `reject` (back to the station) or `standardise`.
#[utoipa::path(post, path = "/api/v1/corrective-actions/{id}/reviews", operation_id = "quality_audit_review", tag = "quality", params(("id" = i64, Path)), request_body = ReviewInput, responses((status = 200, description = "The action"), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn review(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ReviewInput>,
) -> Answer {
    take(
        s,
        c,
        id,
        input.map(StepInput::from),
        Action::QualityAuditWrite,
    )
    .await
}

async fn take(
    s: AppState,
    c: Caller,
    id: String,
    input: Result<StepInput, ApiError>,
    needed: Action,
) -> Answer {
    let g = c.grant(needed)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let step = input
        .to_step()
        .map_err(|v| c.err(app::AppError::Invalid(v.into())))?;
    if step.is_auditors() != (needed == Action::QualityAuditWrite) {
        let v = domain::Violation::new("step", "quality_audit.step_unknown")
            .with_detail(input.step.clone());
        return Err(c.err(app::AppError::Invalid(v.into())));
    }
    Ok(json(
        &app::quality_audit::action::step(&s.app, &g, id, step)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Every depot's ratings by its stations for `quarter` (`YYYYQn`).
#[utoipa::path(get, path = "/api/v1/depot-ratings", operation_id = "quality_audit_depot_quarter", tag = "quality", params(("quarter" = String, Query, pattern = "^20[0-9]{2}Q[1-4]$")), responses((status = 200, description = "`[{depot_id, name_zh, name_en, ratings, score_sum}]`"), (status = 422, body = ProblemDoc)))]
pub async fn depot_quarter(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let g = c.grant(Action::QualityAuditRead)?;
    let quarter = ListQuery(q).given("quarter").unwrap_or_default();
    Ok(json(
        &app::quality_audit::depot::quarter(&s.app, &g, &quarter)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// The signed-in station rates its region's depot for the current or previous
/// quarter, once. 409 when already rated.
#[utoipa::path(post, path = "/api/v1/depot-ratings", operation_id = "quality_audit_rate_depot", tag = "quality", request_body = RateInput, responses((status = 201, description = "Recorded"), (status = 403, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn rate_depot(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<RateInput>,
) -> Created {
    let g = c.grant(Action::DepotRate)?;
    let input = input?;
    app::quality_audit::depot::rate(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((
        StatusCode::CREATED,
        json(&serde_json::json!({ "quarter": input.quarter, "score": input.score })),
    ))
}
