//! The owner's transparent-workshop link (掌上车间) as JSON: no sign-in, the
//! unguessable token is the capability. Unknown, tampered or revoked tokens are 404.

use super::view::{self, StageView};
use crate::AppState;
use crate::api::ClientIp;
use crate::error::ApiError;
use crate::extract::ApiLang;
use app::{App, AppError, AppResult};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use store::estimate::EstimateLineRow;

/// Routes of the owner link.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/track/{token}", get(track))
        .route("/track/{token}/lines/{no}/approve", post(owner_approve))
        .route("/track/{token}/lines/{no}/decline", post(owner_decline))
}

/// An estimate line as the owner sees it.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerLine {
    /// Line number.
    pub line_no: i64,
    /// `labour` or `part`.
    pub kind: String,
    /// Operation code or part number.
    pub code: String,
    /// Name of the operation, when it is one.
    pub name: Option<String>,
    /// Hours or quantity in hundredths.
    pub hundredths: i64,
    /// Amount before VAT, fen.
    pub amount_fen: i64,
    /// `proposed`, `approved`, `declined`.
    pub decision: String,
    /// Found during repair.
    pub extra: bool,
    /// Work state.
    pub work: String,
}

/// What the owner link shows.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerTrack {
    /// Order id.
    pub order_id: i64,
    /// `open` or `delivered`.
    pub state: String,
    /// Stage in progress.
    pub current_stage: Option<String>,
    /// Every stage with its timing and checkpoints (with the technicians' notes).
    pub stages: Vec<StageView>,
    /// Promised completion, UTC ms.
    pub promised_at: Option<i64>,
    /// Expected hand-over, UTC ms, while open.
    pub eta: Option<i64>,
    /// Estimate lines.
    pub lines: Vec<OwnerLine>,
    /// Lines awaiting the owner's decision.
    pub awaiting: usize,
}

fn owner_line(
    l: EstimateLineRow,
    names: &[store::labour::LabourOperationRow],
    en: bool,
) -> OwnerLine {
    let name = (l.kind == "labour")
        .then(|| names.iter().find(|n| n.code == l.code))
        .flatten()
        .map(|n| {
            if en {
                n.name_en.clone()
            } else {
                n.name_zh.clone()
            }
        });
    OwnerLine {
        line_no: l.line_no,
        kind: l.kind,
        code: l.code,
        name,
        hundredths: l.hundredths,
        amount_fen: l.amount_fen,
        decision: l.decision,
        extra: l.extra,
        work: l.work,
    }
}

/// The order behind an owner-link token.
pub async fn owner_track(app: &App, token: &str, en: bool) -> AppResult<OwnerTrack> {
    let v = app::repair_order::owner_view(app, token).await?;
    let (log, names, order, standard) = {
        let mut c = view::acquire!(app);
        let log = store::event::for_entity(&mut c, view::ENTITY, v.order_id).await?;
        let names = store::labour::list(&mut c).await?;
        let order =
            store::repair_order::get(&mut c, &domain::permission::Reach::All, v.order_id).await?;
        let standard = app::stage_standard::by_version(&mut c, order.standard_version).await?;
        (log, names, order, standard)
    };
    let events = view::stage_events(&log);
    let eta = view::order_eta(app, &order, &v.lines, &events, app.clock.now()).await;
    Ok(OwnerTrack {
        order_id: v.order_id,
        state: v.state,
        current_stage: v.current_stage,
        stages: view::stages(&standard, &order, &v.timings, &v.checkpoints),
        promised_at: v.promised_at,
        eta,
        awaiting: v.lines.iter().filter(|l| l.decision == "proposed").count(),
        lines: v
            .lines
            .into_iter()
            .map(|l| owner_line(l, &names, en))
            .collect(),
    })
}

/// The owner's view of the order: every stage, notes, ETA, the estimate.
#[utoipa::path(get, path = "/api/v1/track/{token}", tag = "owner link", params(("token" = String, Path)), responses((status = 200, description = "The order as the owner sees it"), (status = 404, body = crate::error::ProblemDoc)))]
pub async fn track(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    Path(token): Path<String>,
) -> Result<Json<OwnerTrack>, ApiError> {
    Ok(Json(
        owner_track(&s.app, &token, lang == crate::i18n::Lang::En)
            .await
            .map_err(|e| ApiError::app(e, lang))?,
    ))
}

async fn decide(
    s: &AppState,
    lang: crate::i18n::Lang,
    token: &str,
    no: &str,
    approve: bool,
    ip: Option<String>,
) -> Result<StatusCode, ApiError> {
    let no = no
        .parse::<u32>()
        .map_err(|_| ApiError::app(AppError::NotFound, lang))?;
    app::estimate::owner_decide(&s.app, token, no, approve, ip.as_deref())
        .await
        .map_err(|e| ApiError::app(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The owner approves a line from the link (channel `owner_page`, client IP kept).
#[utoipa::path(post, path = "/api/v1/track/{token}/lines/{no}/approve", tag = "owner link", params(("token" = String, Path), ("no" = u32, Path)), responses((status = 204), (status = 404, body = crate::error::ProblemDoc), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn owner_approve(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    ip: ClientIp,
    Path((token, no)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    decide(&s, lang, &token, &no, true, ip.0).await
}

/// The owner declines a line from the link; it is kept for a later offer.
#[utoipa::path(post, path = "/api/v1/track/{token}/lines/{no}/decline", tag = "owner link", params(("token" = String, Path), ("no" = u32, Path)), responses((status = 204), (status = 404, body = crate::error::ProblemDoc), (status = 409, body = crate::error::ProblemDoc)))]
pub async fn owner_decline(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    ip: ClientIp,
    Path((token, no)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    decide(&s, lang, &token, &no, false, ip.0).await
}
