//! Working a complaint: the workflow events, the first response, the analysis, pauses
//! while waiting for the customer, reassignment and severity changes (which rebase
//! the clock keeping the time counted), the three zeros, the follow-up and goodwill. Each is one transaction with its event; the clock is recomputed in it.

use super::clock;
use crate::transaction::run;
use crate::{App, AppError, AppResult, conn};
use domain::complaint::closure::{self, FollowUp, Zero, ZeroStatus};
use domain::complaint::sla::Stage;
use domain::complaint::{self as rules, Event, Responsibility, Severity, State};
use domain::permission::{Action, Grant, Reach};
use domain::{Violation, Violations};
use serde::Deserialize;
use sqlx::AnyConnection;
use store::complaint::ComplaintRow;

/// Free text sent with an action.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    /// What was said or done.
    #[serde(default)]
    #[schema(schema_with = crate::schema::lines::<{ domain::complaint::MAX_TEXT_CHARS }>, required = true)]
    pub note: String,
}

/// The analysis.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalysisInput {
    /// `station`, `parts`, `product_quality`, `head_office`, `customer`.
    #[serde(default)]
    #[schema(schema_with = crate::schema::code::<domain::complaint::Responsibility>, required = true)]
    pub responsibility: String,
    /// The cause found.
    #[serde(default)]
    #[schema(schema_with = crate::schema::lines::<{ domain::complaint::MAX_TEXT_CHARS }>, required = true)]
    pub cause: String,
    /// The part the complaint is about, a number of the parts catalogue (blank or
    /// absent: none); an unknown number is 422 `complaint.part_unknown`.
    #[serde(default)]
    #[schema(schema_with = crate::schema::part_number)]
    pub part_number: Option<String>,
}

/// One zero.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ZeroInput {
    /// `complaint`, `management`, `technical`.
    #[serde(default)]
    #[schema(schema_with = crate::schema::code::<domain::complaint::closure::Zero>, required = true)]
    pub zero: String,
    /// `done` or `not_applicable`.
    #[serde(default)]
    #[schema(schema_with = crate::schema::zero_status, required = true)]
    pub status: String,
    /// Evidence (done) or reason (not applicable).
    #[serde(default)]
    #[schema(schema_with = crate::schema::lines::<{ domain::complaint::MAX_TEXT_CHARS }>, required = true)]
    pub text: String,
}

/// The follow-up call.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpInput {
    /// 1–5.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 5, required = true)]
    pub satisfaction: i64,
    /// Whether the customer accepts the closure.
    #[serde(default)]
    #[schema(required = true)]
    pub accepts_closure: bool,
    /// Notes of the call.
    #[serde(default)]
    #[schema(schema_with = crate::schema::blank_or_lines::<{ domain::complaint::MAX_TEXT_CHARS }>)]
    pub note: String,
}

/// Goodwill to grant.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoodwillInput {
    /// `money`, `parts`, `free_service`.
    #[serde(default)]
    #[schema(schema_with = crate::schema::code::<domain::complaint::goodwill::GoodwillKind>, required = true)]
    pub kind: String,
    /// Value in fen, at least 1 and at most the caller's approval limit (customer
    /// relations 500 yuan, station manager 2,000, regional manager 10,000,
    /// administrators without a limit; above it 422 `complaint.goodwill_over_limit`).
    #[serde(default)]
    #[schema(minimum = 1, required = true)]
    pub value: i64,
    /// What exactly.
    #[serde(default)]
    #[schema(schema_with = crate::schema::lines::<{ domain::complaint::MAX_TEXT_CHARS }>, required = true)]
    pub note: String,
}

/// A move to another station.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReassignInput {
    /// The new station.
    #[serde(default)]
    #[schema(minimum = 1, required = true)]
    pub station_id: i64,
}

/// A severity change.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeverityInput {
    /// `normal` or `urgent`.
    #[serde(default)]
    #[schema(schema_with = crate::schema::severity_level, required = true)]
    pub severity: String,
    /// `safety`, `media`, `repeated` (urgent only).
    #[serde(default)]
    #[schema(schema_with = crate::schema::code_or_none::<domain::complaint::UrgentReason>)]
    pub urgent_reason: Option<String>,
}

pub(super) async fn load(
    tx: &mut AnyConnection,
    grant: &Grant,
    id: i64,
) -> AppResult<ComplaintRow> {
    let c = store::complaint::get(tx, &Reach::All, id)
        .await?
        .ok_or(AppError::NotFound)?;
    super::covers(grant, c.station_id, c.region_id)?;
    Ok(c)
}

pub(super) fn state_of(c: &ComplaintRow) -> AppResult<State> {
    State::from_code(&c.state)
        .ok_or_else(|| AppError::Internal(format!("complaint state {}", c.state)))
}

pub(super) fn open(c: &ComplaintRow) -> AppResult<()> {
    if c.state == "closed" {
        return Err(AppError::Refused(
            Violation::new("state", "complaint.closed").into(),
        ));
    }
    Ok(())
}

pub(super) async fn event(
    tx: &mut AnyConnection,
    grant: &Grant,
    id: i64,
    now: i64,
    kind: &str,
    detail: serde_json::Value,
) -> AppResult<()> {
    let p = grant.principal();
    store::complaint::add_event(tx, id, now, kind, p.role.code(), p.id, &detail).await?;
    Ok(())
}

pub(super) async fn finish(app: &App, id: i64) -> AppResult<ComplaintRow> {
    app.wake_jobs();
    let mut c = conn(app).await?;
    store::complaint::get(&mut c, &Reach::All, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Moves a complaint by a workflow event (`acknowledge`, `start_analysis`,
/// `propose_solution`, `customer_accepts`, `customer_rejects`, `start_work`,
/// `finish_work`, `close`, `reopen`). Going backwards is `complaint.transition`;
/// proposing needs the analysis; closing needs the three zeros and an accepting
/// follow-up; reopening starts a new clock and keeps the history.
pub async fn act(
    app: &App,
    grant: &Grant,
    id: i64,
    event_code: &str,
    input: &NoteInput,
) -> AppResult<ComplaintRow> {
    crate::network::expect(grant, Action::ComplaintWrite)?;
    let ev = Event::parse(event_code).map_err(|v| AppError::Invalid(v.into()))?;
    let note = input.note.trim().to_string();
    if note.chars().count() > rules::MAX_TEXT_CHARS {
        return Err(AppError::Invalid(
            Violation::new("note", "text.length").into(),
        ));
    }
    let now = app.now_ms();
    let note = &note;
    run(app, "complaint.act", move |mut tx| async move {
        let c = load(&mut tx, grant, id).await?;
        let kpi_before = crate::kpi::record::complaint_parts(&mut tx, id).await?;
        let from = state_of(&c)?;
        let to = rules::transition(from, ev).map_err(|v| AppError::Refused(v.into()))?;
        let n = c.clock_no;
        match ev {
            Event::ProposeSolution if c.analysed_at.is_none() => {
                return Err(AppError::Refused(
                    Violation::new("responsibility", "complaint.analysis_missing").into(),
                ));
            }
            Event::Close => {
                let zeros = store::complaint::closure::zeros(&mut tx, id, n).await?;
                let parsed: Vec<(Zero, ZeroStatus)> = zeros
                    .iter()
                    .filter_map(|z| {
                        let k = Zero::from_code(&z.zero)?;
                        Some((k, ZeroStatus::parse(k, &z.status, &z.text).ok()?))
                    })
                    .collect();
                let fu = store::complaint::closure::follow_up(&mut tx, id, n)
                    .await?
                    .and_then(|f| FollowUp::new(f.satisfaction, f.accepts_closure).ok());
                closure::may_close(&parsed, fu).map_err(AppError::Refused)?;
            }
            _ => {}
        }
        if ev == Event::Reopen {
            if !store::complaint::reopen(&mut tx, id, now).await? {
                return Err(AppError::Refused(
                    Violation::new("state", "complaint.transition").into(),
                ));
            }
            let mode = clock::policy_of(&mut tx, c.policy_id).await?.mode;
            store::complaint::clock::add_segment(
                &mut tx,
                id,
                n + 1,
                now,
                c.station_id,
                clock::mode_str(mode),
            )
            .await?;
        } else {
            let closed_at = (to == State::Closed).then_some(now);
            if !store::complaint::set_state(&mut tx, id, from.code(), to.code(), closed_at).await? {
                return Err(AppError::Refused(
                    Violation::new("state", "complaint.transition").into(),
                ));
            }
            if to == State::Closed && c.paused_since.is_some() {
                store::complaint::clock::resume(&mut tx, id, n, now).await?;
                store::complaint::set_paused(&mut tx, id, None).await?;
            }
        }
        let met: &[Stage] = match ev {
            Event::Acknowledge => &[Stage::FirstResponse, Stage::FullRecord],
            Event::ProposeSolution => &[Stage::Solution],
            Event::Close => &[Stage::Closure],
            _ => &[],
        };
        for s in met {
            store::complaint::clock::meet(&mut tx, id, n, s.code(), now).await?;
        }
        event(
            &mut tx,
            grant,
            id,
            now,
            ev.code(),
            serde_json::json!({ "from": from.code(), "to": to.code(), "note": note }),
        )
        .await?;
        clock::recompute(&mut tx, id, now).await?;
        crate::kpi::record::complaint_changed(&mut tx, id, &kpi_before).await?;
        Ok((tx, ()))
    })
    .await?;
    finish(app, id).await
}

/// Records a response to the customer (the first one meets the 1-hour target).
pub async fn respond(
    app: &App,
    grant: &Grant,
    id: i64,
    input: &NoteInput,
) -> AppResult<ComplaintRow> {
    crate::network::expect(grant, Action::ComplaintWrite)?;
    let note = rules::text("note", &input.note).map_err(|v| AppError::Invalid(v.into()))?;
    let now = app.now_ms();
    let note = &note;
    run(app, "complaint.respond", move |mut tx| async move {
        let c = load(&mut tx, grant, id).await?;
        open(&c)?;
        let kpi_before = crate::kpi::record::complaint_parts(&mut tx, id).await?;
        store::complaint::clock::meet(&mut tx, id, c.clock_no, Stage::FirstResponse.code(), now)
            .await?;
        event(
            &mut tx,
            grant,
            id,
            now,
            "responded",
            serde_json::json!({ "note": note }),
        )
        .await?;
        clock::recompute(&mut tx, id, now).await?;
        crate::kpi::record::complaint_changed(&mut tx, id, &kpi_before).await?;
        Ok((tx, ()))
    })
    .await?;
    finish(app, id).await
}

/// Records the analysis (state `analysing`): responsibility and cause. Meets the
/// analysis target and starts the solution target.
pub async fn analyse(
    app: &App,
    grant: &Grant,
    id: i64,
    input: &AnalysisInput,
) -> AppResult<ComplaintRow> {
    crate::network::expect(grant, Action::ComplaintWrite)?;
    let mut v = Violations::new();
    let resp = v.field(
        "responsibility",
        Responsibility::parse(&input.responsibility),
    );
    let cause = v.field("cause", rules::text("cause", &input.cause));
    let part = super::parse_part(&mut v, input.part_number.as_deref());
    v.clone().into_result().map_err(AppError::Invalid)?;
    let (Some(resp), Some(cause), Some(part)) = (resp, cause, part) else {
        return Err(AppError::Invalid(v));
    };
    let now = app.now_ms();
    let (cause, part) = (&cause, &part);
    run(app, "complaint.analyse", move |mut tx| async move {
        super::part_known(&mut tx, part.as_ref()).await?;
        let c = load(&mut tx, grant, id).await?;
        if state_of(&c)? != State::Analysing {
            return Err(AppError::Refused(
                Violation::new("state", "complaint.not_analysing").into(),
            ));
        }
        store::complaint::set_analysis(&mut tx, id, resp.code(), cause, part.as_deref(), now)
            .await?;
        store::complaint::clock::meet(&mut tx, id, c.clock_no, Stage::Analysis.code(), now).await?;
        event(
            &mut tx,
            grant,
            id,
            now,
            "analysed",
            serde_json::json!({ "responsibility": resp.code(), "cause": cause, "part_number": part }),
        )
        .await?;
        clock::recompute(&mut tx, id, now).await?;
        Ok((tx, ()))
    })
    .await?;
    finish(app, id).await
}

/// Stops (`waiting = true`) or restarts the clocks while waiting for the customer.
pub async fn wait_for_customer(
    app: &App,
    grant: &Grant,
    id: i64,
    waiting: bool,
) -> AppResult<ComplaintRow> {
    crate::network::expect(grant, Action::ComplaintWrite)?;
    let now = app.now_ms();
    run(app, "complaint.pause", move |mut tx| async move {
        let c = load(&mut tx, grant, id).await?;
        open(&c)?;
        match (waiting, c.paused_since) {
            (true, None) => {
                store::complaint::clock::pause(&mut tx, id, c.clock_no, now).await?;
                store::complaint::set_paused(&mut tx, id, Some(now)).await?;
            }
            (false, Some(_)) => {
                store::complaint::clock::resume(&mut tx, id, c.clock_no, now).await?;
                store::complaint::set_paused(&mut tx, id, None).await?;
            }
            _ => {
                return Err(AppError::Refused(
                    Violation::new("waiting", "complaint.pause_unchanged").into(),
                ));
            }
        }
        event(
            &mut tx,
            grant,
            id,
            now,
            if waiting { "paused" } else { "resumed" },
            serde_json::json!({}),
        )
        .await?;
        clock::recompute(&mut tx, id, now).await?;
        Ok((tx, ()))
    })
    .await?;
    finish(app, id).await
}

/// Moves an open complaint to another station (both within the caller's reach); the
/// time counted so far is kept and the rest counts on the new station's calendar.
pub async fn reassign(
    app: &App,
    grant: &Grant,
    id: i64,
    input: &ReassignInput,
) -> AppResult<ComplaintRow> {
    crate::network::expect(grant, Action::ComplaintWrite)?;
    let mut c = conn(app).await?;
    let st = store::network::station(&mut c, &Reach::All, input.station_id)
        .await
        .map_err(|_| {
            AppError::Refused(Violation::new("station_id", "complaint.station_unknown").into())
        })?;
    drop(c);
    super::covers(grant, st.id, st.region_id)?;
    let now = app.now_ms();
    let p = grant.principal().clone();
    run(app, "complaint.reassign", move |mut tx| async move {
        let c = load(&mut tx, grant, id).await?;
        open(&c)?;
        let kpi_before = crate::kpi::record::complaint_parts(&mut tx, id).await?;
        clock::rebase(
            &mut tx,
            id,
            Some((st.id, st.region_id)),
            None,
            now,
            p.role.code(),
            p.id,
        )
        .await?;
        crate::kpi::record::complaint_changed(&mut tx, id, &kpi_before).await?;
        Ok((tx, ()))
    })
    .await?;
    finish(app, id).await
}

/// Changes the severity of an open complaint: the clock moves onto the current policy
/// of the new severity, keeping the time counted so far.
pub async fn change_severity(
    app: &App,
    grant: &Grant,
    id: i64,
    input: &SeverityInput,
) -> AppResult<ComplaintRow> {
    crate::network::expect(grant, Action::ComplaintWrite)?;
    let sev = Severity::parse(&input.severity, input.urgent_reason.as_deref())
        .map_err(|v| AppError::Invalid(v.into()))?;
    let now = app.now_ms();
    let p = grant.principal().clone();
    run(app, "complaint.change_severity", move |mut tx| async move {
        let c = load(&mut tx, grant, id).await?;
        open(&c)?;
        let cat = domain::complaint::category::CategoryCode::parse(&c.category)
            .map_err(|_| AppError::Internal(format!("complaint category {}", c.category)))?;
        let (pid, _) = super::clock::policy_in_force(&mut tx, &cat, sev, now).await?;
        store::complaint::set_severity(&mut tx, id, sev.level(), sev.reason(), pid).await?;
        clock::rebase(&mut tx, id, None, Some(pid), now, p.role.code(), p.id).await?;
        store::complaint::set_severity(&mut tx, id, sev.level(), sev.reason(), pid).await?;
        Ok((tx, ()))
    })
    .await?;
    finish(app, id).await
}
