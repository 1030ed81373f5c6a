//! Complaints: intake, the queue sorted by the nearest deadline, the detail with its
//! timeline, the workflow and its actions, the inbox of warnings and escalations,
//! the service-level policies, the evidence files ([`attachment`]), and the owner's
//! own filing and follow-up answer.

pub mod attachment;
pub mod category;

use super::{ListQuery, json, path_id};
use crate::AppState;
use crate::error::{ApiError, ProblemDoc};
use crate::extract::{Caller, JsonBody};
use app::complaint::action::{
    AnalysisInput, FollowUpInput, GoodwillInput, NoteInput, ReassignInput, SeverityInput, ZeroInput,
};
use app::complaint::policy::{PolicyInput, PolicyView};
use app::complaint::{FileInput, QueueFilter};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::permission::Action;
use serde::Deserialize;
use std::collections::HashMap;

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        queue,
        file,
        detail,
        act,
        respond,
        analyse,
        pause,
        resume,
        reassign,
        severity,
        part,
        zero,
        follow_up,
        goodwill,
        attachment::attach,
        attachment::attach_own,
        attachment::list,
        attachment::file,
        inbox,
        policies,
        publish_policy,
        goodwill_limits,
        set_goodwill_limits,
        file_own,
        answer_own
    ),
    components(schemas(
        ProblemDoc,
        FileInput,
        ActInput,
        app::complaint::goodwill::GoodwillLimitsInput,
        app::complaint::goodwill::GoodwillLimitsView,
        NoteInput,
        AnalysisInput,
        ReassignInput,
        SeverityInput,
        ZeroInput,
        FollowUpInput,
        GoodwillInput,
        PolicyInput,
        app::complaint::policy::LadderStepInput,
        PolicyView,
        app::complaint::part::PartInput
    ))
)]
pub struct ComplaintApi;

/// Routes of this area under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/complaints", get(queue).post(file))
        .route("/complaints/inbox", get(inbox))
        .route("/complaints/{id}", get(detail))
        .route("/complaints/{id}/actions", post(act))
        .route("/complaints/{id}/respond", post(respond))
        .route("/complaints/{id}/analysis", post(analyse))
        .route("/complaints/{id}/pause", post(pause))
        .route("/complaints/{id}/resume", post(resume))
        .route("/complaints/{id}/reassign", post(reassign))
        .route("/complaints/{id}/severity", post(severity))
        .route("/complaints/{id}/part", post(part))
        .route("/complaints/{id}/zeros", post(zero))
        .route("/complaints/{id}/follow-up", post(follow_up))
        .route("/complaints/{id}/goodwill", post(goodwill))
        .route(
            "/complaints/{id}/attachments",
            get(attachment::list).post(attachment::attach),
        )
        .route(
            "/complaints/{id}/attachments/{attachment_id}",
            get(attachment::file),
        )
        .route("/complaint-policies", get(policies).post(publish_policy))
        .route(
            "/complaint-goodwill-limits",
            get(goodwill_limits).put(set_goodwill_limits),
        )
        .route("/me/complaints", post(file_own))
        .route("/me/complaints/{id}/follow-up", post(answer_own))
        .route(
            "/me/complaints/{id}/attachments",
            post(attachment::attach_own),
        )
        .merge(category::router())
}

/// A workflow event with its note.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ActInput {
    /// `acknowledge`, `start_analysis`, `propose_solution`, `customer_accepts`,
    /// `customer_rejects`, `start_work`, `finish_work`, `close`, `reopen`.
    #[serde(default)]
    #[schema(schema_with = app::schema::code::<domain::complaint::Event>, required = true)]
    pub event: String,
    /// What was said or done.
    #[serde(default)]
    #[schema(schema_with = app::schema::blank_or_lines::<{ domain::complaint::MAX_TEXT_CHARS }>)]
    pub note: String,
}

/// The queue, nearest deadline first: filters `station_id`, `region_id`, `category`,
/// `severity`, `state`, `breached` (`true`/`false`), `closed` (`true` includes
/// closed ones); `page`, `per_page`. Owners see their own complaints.
#[utoipa::path(get, path = "/api/v1/complaints", operation_id = "complaint_queue", tag = "complaints", params(("station_id" = Option<i64>, Query), ("region_id" = Option<i64>, Query), ("category" = Option<String>, Query), ("severity" = Option<String>, Query), ("state" = Option<String>, Query), ("breached" = Option<bool>, Query), ("closed" = Option<bool>, Query), ("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query)), responses((status = 200, description = "`{items, total}`"), (status = 422, body = ProblemDoc)))]
pub async fn queue(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(Action::ComplaintRead)?;
    let q = ListQuery(q);
    let page = q.page(c.lang)?;
    let flag = |k: &str| -> Result<Option<bool>, ApiError> {
        match q.text(k).as_deref() {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(c.err(app::AppError::Invalid(
                domain::Violation::new(k, "type.boolean").into(),
            ))),
        }
    };
    let filter = QueueFilter {
        station_id: q.int("station_id", c.lang)?,
        region_id: q.int("region_id", c.lang)?,
        category: q.text("category"),
        severity: q.text("severity"),
        state: q.text("state"),
        breached: flag("breached")?,
        include_closed: flag("closed")?.unwrap_or(false),
    };
    let (items, total) = app::complaint::queue(&s.app, &g, &filter, page.per_page, page.offset())
        .await
        .map_err(|e| c.err(e))?;
    Ok(json(&serde_json::json!({ "items": items, "total": total })))
}

/// Files a complaint (agent, station desk). 422 names each bad field: unknown
/// category or channel, urgent without a reason, social media or regulator without
/// the source link.
#[utoipa::path(post, path = "/api/v1/complaints", tag = "complaints", request_body = FileInput, responses((status = 201, description = "The complaint"), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn file(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<FileInput>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let g = c.grant(Action::ComplaintWrite)?;
    let input = input?;
    let r = app::complaint::file(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, json(&r)))
}

/// One complaint: clock stages, timeline, zeros, follow-up, goodwill, notices.
#[utoipa::path(get, path = "/api/v1/complaints/{id}", tag = "complaints", params(("id" = i64, Path)), responses((status = 200, description = "The complaint"), (status = 404, body = ProblemDoc)))]
pub async fn detail(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(Action::ComplaintRead)?;
    let id = path_id(&id, c.lang)?;
    let d = app::complaint::detail(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(json(&d))
}

macro_rules! write_action {
    ($(#[$m:meta])* $name:ident, $path:literal, $input:ty, |$app:ident, $g:ident, $id:ident, $i:ident| $call:expr) => {
        $(#[$m])*
        #[utoipa::path(post, path = $path, tag = "complaints", params(("id" = i64, Path)), request_body = $input, responses((status = 200, description = "The complaint"), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
        pub async fn $name(
            State(s): State<AppState>,
            c: Caller,
            Path(id): Path<String>,
            JsonBody(input): JsonBody<$input>,
        ) -> Result<Json<serde_json::Value>, ApiError> {
            let $g = c.grant(Action::ComplaintWrite)?;
            let $i = input?;
            let $id = path_id(&id, c.lang)?;
            let $app = &s.app;
            let r = $call.await.map_err(|e| c.err(e))?;
            Ok(json(&r))
        }
    };
}

write_action!(
    /// Moves the complaint by a workflow event. Going backwards is 409
    /// `complaint.transition`; closing without the three zeros and an accepting
    /// follow-up is 409 naming each missing piece.
    act, "/api/v1/complaints/{id}/actions", ActInput,
    |a, g, id, i| app::complaint::action::act(a, &g, id, &i.event, &NoteInput { note: i.note.clone() })
);
write_action!(
    /// Records a response to the customer (the first meets the 1-hour target).
    respond, "/api/v1/complaints/{id}/respond", NoteInput,
    |a, g, id, i| app::complaint::action::respond(a, &g, id, &i)
);
write_action!(
    /// Records the analysis: responsibility and cause.
    analyse, "/api/v1/complaints/{id}/analysis", AnalysisInput,
    |a, g, id, i| app::complaint::action::analyse(a, &g, id, &i)
);
write_action!(
    /// Names (or clears, blank) the part the complaint is about, at any time; an
    /// unknown part number is 422 `complaint.part_unknown`. Audited in the timeline.
    part, "/api/v1/complaints/{id}/part", app::complaint::part::PartInput,
    |a, g, id, i| app::complaint::part::name_part(a, &g, id, &i)
);
write_action!(
    /// Stops the clocks while waiting for the customer.
    pause, "/api/v1/complaints/{id}/pause", NoteInput,
    |a, g, id, _i| app::complaint::action::wait_for_customer(a, &g, id, true)
);
write_action!(
    /// Restarts the clocks.
    resume, "/api/v1/complaints/{id}/resume", NoteInput,
    |a, g, id, _i| app::complaint::action::wait_for_customer(a, &g, id, false)
);
write_action!(
    /// Moves the complaint to another station, keeping the time counted.
    reassign, "/api/v1/complaints/{id}/reassign", ReassignInput,
    |a, g, id, i| app::complaint::action::reassign(a, &g, id, &i)
);
write_action!(
    /// Changes the severity; the clock moves onto the new policy keeping time counted.
    severity, "/api/v1/complaints/{id}/severity", SeverityInput,
    |a, g, id, i| app::complaint::action::change_severity(a, &g, id, &i)
);
write_action!(
    /// Records one of the three zeros (done with evidence, or not applicable with a reason).
    zero, "/api/v1/complaints/{id}/zeros", ZeroInput,
    |a, g, id, i| app::complaint::closure::set_zero(a, &g, id, &i)
);
write_action!(
    /// Records the follow-up call: satisfaction 1–5 and whether the customer accepts.
    follow_up, "/api/v1/complaints/{id}/follow-up", FollowUpInput,
    |a, g, id, i| app::complaint::closure::follow_up(a, &g, id, &i)
);
write_action!(
    /// Grants goodwill up to the caller's approval limit.
    goodwill, "/api/v1/complaints/{id}/goodwill", GoodwillInput,
    |a, g, id, i| app::complaint::closure::grant_goodwill(a, &g, id, &i)
);

/// The caller's inbox of warnings and escalations, newest first.
#[utoipa::path(get, path = "/api/v1/complaints/inbox", tag = "complaints", responses((status = 200, description = "Notices")))]
pub async fn inbox(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(Action::ComplaintRead)?;
    let n = app::complaint::inbox(&s.app, &g, 100)
        .await
        .map_err(|e| c.err(e))?;
    Ok(json(&n))
}

/// The current version of every published policy.
#[utoipa::path(get, path = "/api/v1/complaint-policies", tag = "complaints", responses((status = 200, body = Vec<PolicyView>)))]
pub async fn policies(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<Vec<PolicyView>>, ApiError> {
    let g = c.grant(Action::ComplaintRead)?;
    Ok(Json(
        app::complaint::policy::list(&s.app, &g)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Publishes the next version of a category × severity's policy; open complaints move
/// onto it keeping the time counted. Zero or negative targets are 422 naming them.
#[utoipa::path(post, path = "/api/v1/complaint-policies", tag = "complaints", request_body = PolicyInput, responses((status = 201, body = PolicyView), (status = 409, description = "A category the catalogue does not hold (`complaint.category_unknown`) or a ladder whose steps do not rise (`complaint.ladder_not_rising`)", body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn publish_policy(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<PolicyInput>,
) -> Result<(StatusCode, Json<PolicyView>), ApiError> {
    let g = c.grant(Action::ComplaintPolicy)?;
    let input = input?;
    let v = app::complaint::policy::publish(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// The signed-in owner files a complaint (channel `app`).
#[utoipa::path(post, path = "/api/v1/me/complaints", tag = "complaints", request_body = FileInput, responses((status = 201, description = "The complaint"), (status = 422, body = ProblemDoc)))]
pub async fn file_own(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<FileInput>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let g = c.grant(Action::ComplaintOwnerFile)?;
    let input = input?;
    let r = app::complaint::file_own(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, json(&r)))
}

/// The signed-in owner answers the follow-up of their complaint.
#[utoipa::path(post, path = "/api/v1/me/complaints/{id}/follow-up", tag = "complaints", params(("id" = i64, Path)), request_body = FollowUpInput, responses((status = 200, description = "The complaint"), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn answer_own(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<FollowUpInput>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(Action::ComplaintOwnerFile)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let r = app::complaint::closure::answer_follow_up(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(json(&r))
}

/// The goodwill approval limits per role in force (fen; the administrator has none).
#[utoipa::path(get, path = "/api/v1/complaint-goodwill-limits", tag = "complaints", responses((status = 200, body = app::complaint::goodwill::GoodwillLimitsView)))]
pub async fn goodwill_limits(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<app::complaint::goodwill::GoodwillLimitsView>, ApiError> {
    let g = c.grant(Action::ComplaintRead)?;
    let v = app::complaint::goodwill::limits(&s.app, &g)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(v))
}

/// Sets the goodwill approval limits (head office): each 0 to 1,000,000 yuan in fen,
/// rising from customer relations to the station manager to the regional manager.
#[utoipa::path(put, path = "/api/v1/complaint-goodwill-limits", tag = "complaints", request_body = app::complaint::goodwill::GoodwillLimitsInput, responses((status = 200, body = app::complaint::goodwill::GoodwillLimitsView), (status = 422, body = ProblemDoc)))]
pub async fn set_goodwill_limits(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<app::complaint::goodwill::GoodwillLimitsInput>,
) -> Result<Json<app::complaint::goodwill::GoodwillLimitsView>, ApiError> {
    let g = c.grant(Action::ComplaintPolicy)?;
    let input = input?;
    let v = app::complaint::goodwill::set_limits(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(v))
}
