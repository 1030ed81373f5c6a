//! Callback surveys (issue 11): the questionnaire, invitations and calls, the monthly
//! sample, hot alerts and the month's CSI/NPS figures; and the owner's one-time link
//! (the token is the credential).

use super::path_id;
use crate::AppState;
use crate::api::json;
use crate::error::{ApiError, ProblemDoc};
use crate::extract::{ApiLang, Caller, JsonBody};
use app::survey::answer::{CallInput, LinkStatus, OwnerSurvey};
use app::survey::report::Report;
use app::survey::{InvitationView, ListQuery, POLICY, READ, WRITE};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        current_questionnaire,
        publish_questionnaire,
        list_surveys,
        get_survey,
        call_survey,
        start_sample,
        list_alerts,
        close_alert,
        alert_to_complaint,
        month_report,
        owner_survey,
        owner_answer
    ),
    components(schemas(
        ProblemDoc,
        CallInput,
        PublishInput,
        SampleInput,
        CloseInput,
        ComplaintInput,
        OwnerAnswerInput,
        OwnerAnswered
    ))
)]
pub struct SurveyApi;

/// Routes of this area under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/survey-questionnaires/current", get(current_questionnaire))
        .route("/survey-questionnaires", post(publish_questionnaire))
        .route("/surveys", get(list_surveys))
        .route("/surveys/{id}", get(get_survey))
        .route("/surveys/{id}/call", post(call_survey))
        .route("/survey-samples", post(start_sample))
        .route("/survey-alerts", get(list_alerts))
        .route("/survey-alerts/{id}/close", post(close_alert))
        .route("/survey-alerts/{id}/complaint", post(alert_to_complaint))
        .route("/survey-reports/{month}", get(month_report))
        .route("/owner-surveys/{token}", get(owner_survey))
        .route("/owner-surveys/{token}/answers", post(owner_answer))
}

/// The current questionnaire: version and questions (each with factor, scale,
/// weight in basis points, wording).
#[utoipa::path(get, path = "/api/v1/survey-questionnaires/current", tag = "surveys", responses((status = 200, description = "`{version, questions}`")))]
pub async fn current_questionnaire(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(READ)?;
    let q = app::survey::current(&s.app, &g)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(
        serde_json::json!({ "version": q.version, "questions": q.questions() }),
    ))
}

/// A new questionnaire version.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = QuestionnairePublishInput)]
pub struct PublishInput {
    /// 12–15 questions: `key`, `factor` (appointment, reception, facility, value,
    /// team, quality; null for the recommend and text questions), `scale` (five,
    /// ten, recommend, text), `weight_bp` (basis points; the scored questions' sum
    /// 10000), `text_zh`, `text_en`.
    #[schema(value_type = Vec<Object>)]
    pub questions: Vec<domain::survey::Question>,
}

/// Publishes the next questionnaire version; a question breaking its own rules is 422,
/// a rule across the questions (weights not summing to 100 % …) 409, each naming the
/// rule, nothing stored.
#[utoipa::path(post, path = "/api/v1/survey-questionnaires", tag = "surveys", request_body = PublishInput, responses((status = 201, description = "`{version, questions}`"), (status = 409, description = "A rule across the questions: keys once, one recommend question, every factor asked, weights adding up to 10000", body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn publish_questionnaire(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<PublishInput>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let g = c.grant(POLICY)?;
    let input = input?;
    let q = app::survey::publish(&s.app, &g, input.questions)
        .await
        .map_err(|e| c.err(e))?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "version": q.version, "questions": q.questions() })),
    ))
}

/// Invitations within reach, newest first (at most 200).
#[utoipa::path(get, path = "/api/v1/surveys", tag = "surveys", params(ListQuery), responses((status = 200, body = Vec<InvitationView>), (status = 422, body = ProblemDoc)))]
pub async fn list_surveys(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Vec<InvitationView>>, ApiError> {
    let g = c.grant(READ)?;
    let lq = super::ListQuery(q);
    let query = ListQuery {
        station_id: lq.int("station_id", c.lang)?,
        state: lq.given("state"),
        reason: lq.given("reason"),
    };
    Ok(Json(
        app::survey::list(&s.app, &g, &query)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// One invitation with its saved answers.
#[utoipa::path(get, path = "/api/v1/surveys/{id}", tag = "surveys", params(("id" = i64, Path)), responses((status = 200, description = "`{invitation, answers}`"), (status = 404, body = ProblemDoc)))]
pub async fn get_survey(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(READ)?;
    let id = path_id(&id, c.lang)?;
    let v = app::survey::get(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    let (_, answers) = app::survey::answer::answers(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(
        serde_json::json!({ "invitation": v, "answers": answers }),
    ))
}

/// The state after a call.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CallState {
    /// `answered`, `partial`, `refused` or `unreachable`.
    #[schema(schema_with = app::survey::state_codes)]
    pub state: String,
}

/// Records the call-centre agent's call: answers (finished or partial), a refusal,
/// or unreachable with a reason. A finished invitation is 409 `survey.closed`.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/call", tag = "surveys", params(("id" = i64, Path)), request_body = CallInput, responses((status = 200, body = CallState), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn call_survey(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<CallInput>,
) -> Result<Json<CallState>, ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let st = app::survey::answer::call(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(CallState {
        state: st.code().to_string(),
    }))
}

/// Which month to sample.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SampleInput {
    /// `YYYY-MM`, a month that has ended (default: last month).
    #[schema(pattern = "^[0-9]{4}-[0-9]{2}$")]
    pub month: Option<String>,
    /// Network-wide sample size (default 5000).
    #[schema(minimum = 1, maximum = 100000)]
    pub total: Option<u32>,
}

/// Queues the monthly sample (`survey.monthly_sample`); `queued` is false when the
/// month was queued or drawn already (nobody is asked twice).
#[utoipa::path(post, path = "/api/v1/survey-samples", tag = "surveys", request_body = SampleInput, responses((status = 202, description = "`{queued}`"), (status = 422, body = ProblemDoc)))]
pub async fn start_sample(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<SampleInput>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let g = c.grant(POLICY)?;
    let input = input?;
    let queued = app::survey::sample::start(
        &s.app,
        &g,
        input.month.as_deref(),
        input.total.map(|t| t as usize),
    )
    .await
    .map_err(|e| c.err(e))?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "queued": queued })),
    ))
}

/// Hot alerts within reach, open first by deadline: `station_id`, `state` (`open`,
/// `done`, empty for both).
#[utoipa::path(get, path = "/api/v1/survey-alerts", tag = "surveys", params(("station_id" = Option<i64>, Query), ("state" = Option<String>, Query, description = "`open`, `done` or empty")), responses((status = 200, body = Vec<app::survey::alert::AlertView>), (status = 422, body = ProblemDoc)))]
pub async fn list_alerts(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Vec<app::survey::alert::AlertView>>, ApiError> {
    let g = c.grant(READ)?;
    let lq = super::ListQuery(q);
    let station = lq.int("station_id", c.lang)?;
    let state = lq.given("state");
    Ok(Json(
        app::survey::alert::list(&s.app, &g, station, state.as_deref())
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// What was done about an alert.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    /// 1–1000 characters.
    #[schema(min_length = 1, max_length = 1000)]
    pub note: String,
}

/// Closes an open alert (its timers are disarmed); a closed one is 409.
#[utoipa::path(post, path = "/api/v1/survey-alerts/{id}/close", tag = "surveys", params(("id" = i64, Path)), request_body = CloseInput, responses((status = 204), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn close_alert(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<CloseInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::survey::alert::close(&s.app, &g, id, &input.note)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The complaint's category.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ComplaintInput {
    /// A complaint category code (default `other`).
    pub category: Option<String>,
}

/// Turns an open alert into a complaint (one click), linked both ways; answers the
/// complaint's id.
#[utoipa::path(post, path = "/api/v1/survey-alerts/{id}/complaint", tag = "surveys", params(("id" = i64, Path)), request_body = ComplaintInput, responses((status = 201, description = "`{complaint_id}`"), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn alert_to_complaint(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ComplaintInput>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let cid = app::survey::alert::to_complaint(&s.app, &g, id, input.category.as_deref())
        .await
        .map_err(|e| c.err(e))?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "complaint_id": cid })),
    ))
}

/// CSI and NPS of a month per network, region and station with sample sizes and
/// 95 % intervals, and the importance–performance points.
#[utoipa::path(get, path = "/api/v1/survey-reports/{month}", tag = "surveys", params(("month" = String, Path, description = "`YYYY-MM`", pattern = "^2[0-9]{3}-(0[1-9]|1[0-2])$")), responses((status = 200, body = Report), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn month_report(
    State(s): State<AppState>,
    c: Caller,
    Path(month): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(READ)?;
    let r = app::survey::report::month(&s.app, &g, &month)
        .await
        .map_err(|e| c.err(e))?;
    Ok(json(&r))
}

/// The survey of a one-time link: `open` with its questions and saved answers, or
/// `done` / `expired`.
#[utoipa::path(get, path = "/api/v1/owner-surveys/{token}", tag = "surveys", params(("token" = String, Path)), responses((status = 200, body = OwnerSurvey), (status = 404, body = ProblemDoc)))]
pub async fn owner_survey(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    Path(token): Path<String>,
) -> Result<Json<OwnerSurvey>, ApiError> {
    Ok(Json(
        app::survey::answer::owner_view(&s.app, &token)
            .await
            .map_err(|e| ApiError::app(e, lang))?,
    ))
}

/// Answers on the one-time link.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnerAnswerInput {
    /// Answers by question key, as text (scores as digits).
    pub answers: BTreeMap<String, String>,
    /// Finish the survey (else saved as partial).
    #[serde(default)]
    pub finish: bool,
}

/// Where the link stands after saving.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OwnerAnswered {
    /// `open` (partial, may go on) or `done`.
    pub status: LinkStatus,
}

/// Saves the owner's answers; an answer outside its scale is 422 naming the
/// question, a used link 409 `survey.closed`, an expired one 409 `survey.expired`.
#[utoipa::path(post, path = "/api/v1/owner-surveys/{token}/answers", tag = "surveys", params(("token" = String, Path)), request_body = OwnerAnswerInput, responses((status = 200, body = OwnerAnswered), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn owner_answer(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    Path(token): Path<String>,
    JsonBody(input): JsonBody<OwnerAnswerInput>,
) -> Result<Json<OwnerAnswered>, ApiError> {
    let input = input?;
    let status = app::survey::answer::owner_answer(&s.app, &token, &input.answers, input.finish)
        .await
        .map_err(|e| ApiError::app(e, lang))?;
    Ok(Json(OwnerAnswered { status }))
}
