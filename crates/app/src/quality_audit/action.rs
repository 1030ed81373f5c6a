//! Corrective actions: opened by a submitted visit for each failed checkpoint, worked
//! by the station (cause, measure with evidence), verified or sent back by an auditor,
//! then standardised. Each has an overdue timer on the job machinery at the end of its
//! due day (Shanghai), which marks it overdue once if the station still owes work.

use super::{ActionEventRow, ActionRow, VisitRow, covers};
use crate::job::handler::{BoxFuture, Ctx, Handler, Outcome};
use crate::transaction::run;
use crate::{App, AppError, AppResult, conn};
use domain::Violation;
use domain::permission::{Action, Grant, Reach};
use domain::quality_audit::action::{ActionState, ActionStep, allowed, next};
use serde::Serialize;
use sqlx::AnyConnection;
use store::job::Claimed;
use store::quality_audit::action::StepWrite;

/// The station's step as sent: its code and its words (`text` is the cause, the measure, the
/// verification note, the reason for sending it back or the standardisation note;
/// `evidence` goes with the measure).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AuditStepInput)]
pub struct StepInput {
    /// `record_cause`, `close_with_evidence`, `verify`, `reject` or `standardise`.
    #[serde(default)]
    #[schema(required = true, pattern = "^(record_cause|close_with_evidence)$")]
    pub step: String,
    /// The step's words.
    #[serde(default)]
    #[schema(schema_with = crate::schema::lines::<2000>, required = true)]
    pub text: String,
    /// The evidence (closing only).
    #[serde(default)]
    #[schema(schema_with = crate::schema::opt_lines::<2000>)]
    pub evidence: Option<String>,
}

impl StepInput {
    /// The domain's step, or the violation naming an unknown step.
    pub fn to_step(&self) -> Result<ActionStep, Violation> {
        let text = self.text.clone();
        Ok(match self.step.trim() {
            "record_cause" => ActionStep::RecordCause { cause: text },
            "close_with_evidence" => ActionStep::CloseWithEvidence {
                measure: text,
                evidence: self.evidence.clone().unwrap_or_default(),
            },
            "verify" => ActionStep::Verify { note: text },
            "reject" => ActionStep::Reject { reason: text },
            "standardise" => ActionStep::Standardise { note: text },
            other => {
                return Err(Violation::new("step", "quality_audit.step_unknown")
                    .with_detail(other.to_string()));
            }
        })
    }
}

/// The auditor's review as sent: `verify`, `reject` or `standardise` with its words.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// `verify`, `reject` or `standardise`.
    #[serde(default)]
    #[schema(required = true, pattern = "^(verify|reject|standardise)$")]
    pub step: String,
    /// The verification note, the reason for sending it back, or where it became standard.
    #[serde(default)]
    #[schema(schema_with = crate::schema::lines::<2000>, required = true)]
    pub text: String,
}

impl From<ReviewInput> for StepInput {
    fn from(r: ReviewInput) -> StepInput {
        StepInput {
            step: r.step,
            text: r.text,
            evidence: None,
        }
    }
}

/// The timer kind that marks an action overdue.
pub const KIND: &str = "quality_audit.action_due";

fn timer_key(id: i64) -> String {
    format!("{KIND}:{id}")
}

/// The first instant after the due day in Shanghai, UTC ms.
fn end_of_day_ms(day: jiff::civil::Date) -> AppResult<i64> {
    let next = day
        .tomorrow()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let z = next
        .to_zoned(domain::calendar::shanghai())
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(z.timestamp().as_millisecond())
}

/// Opens one action on the caller's transaction with its overdue timer.
pub(crate) async fn open(
    tx: &mut AnyConnection,
    visit: &VisitRow,
    code: &str,
    problem: &str,
    due: jiff::civil::Date,
    now: i64,
    by: i64,
) -> AppResult<i64> {
    let due_s = due.to_string();
    let id = store::quality_audit::action::insert(
        tx,
        visit.id,
        visit.station_id,
        visit.region_id,
        code,
        problem,
        &due_s,
        now,
    )
    .await?;
    store::quality_audit::action::add_event(tx, id, now, by, "opened", Some(problem)).await?;
    let payload = serde_json::json!({ "action_id": id });
    crate::job::arm(tx, &timer_key(id), KIND, end_of_day_ms(due)?, &payload, now).await?;
    Ok(id)
}

/// An action with everything its page shows.
#[derive(Debug, Clone, Serialize)]
pub struct ActionDetail {
    /// The action.
    pub action: ActionRow,
    /// Its station's name in Chinese and English.
    pub station_name: (String, String),
    /// The checkpoint's text in Chinese and English.
    pub checkpoint: (String, String),
    /// The visit's day and kind.
    pub visit: VisitRow,
    /// Every step, oldest first, with the actor's name.
    pub events: Vec<(ActionEventRow, String)>,
    /// The steps the caller may take now.
    pub allowed: Vec<&'static str>,
}

/// One action with its history and what the caller may do next.
pub async fn detail(app: &App, grant: &Grant, id: i64) -> AppResult<ActionDetail> {
    crate::network::expect(grant, Action::QualityAuditRead)?;
    view(app, grant, id).await
}

/// The action's page for a grant already checked (read, or the step just taken).
async fn view(app: &App, grant: &Grant, id: i64) -> AppResult<ActionDetail> {
    let mut c = conn(app).await?;
    let action = store::quality_audit::action::get(&mut c, grant.reach(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let visit = store::quality_audit::visit(&mut c, &Reach::All, action.visit_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let station = store::network::station(&mut c, &Reach::All, action.station_id).await?;
    let raw = store::quality_audit::action::events(&mut c, id).await?;
    let mut events = Vec::with_capacity(raw.len());
    for e in raw {
        let name = if e.actor_id == 0 {
            String::new()
        } else {
            store::people::staff(&mut c, &Reach::All, e.actor_id)
                .await
                .map(|s| s.name)
                .unwrap_or_default()
        };
        events.push((e, name));
    }
    drop(c);
    let list = super::checklist::of_visit(app, &visit).await?;
    let checkpoint = list
        .checkpoint(&action.code)
        .map(|c| (c.text_zh.clone(), c.text_en.clone()))
        .unwrap_or_default();
    let role = grant.principal().role;
    let auditor = domain::permission::role_allows(role, Action::QualityAuditWrite);
    let station_side = domain::permission::role_allows(role, Action::CorrectiveActionWrite);
    let state = ActionState::from_code(&action.state).unwrap_or(ActionState::Standardised);
    let allowed = allowed(state)
        .iter()
        .copied()
        .filter(|s| {
            let auditors = matches!(*s, "verify" | "reject" | "standardise");
            if auditors { auditor } else { station_side }
        })
        .collect();
    Ok(ActionDetail {
        action,
        station_name: (station.name_zh, station.name_en),
        checkpoint,
        visit,
        events,
        allowed,
    })
}

/// Actions within the caller's reach, optionally in one state, nearest due first.
pub async fn list(
    app: &App,
    grant: &Grant,
    state: Option<&str>,
    station_id: Option<i64>,
    page: store::Page,
) -> AppResult<store::Paged<ActionRow>> {
    crate::network::expect(grant, Action::QualityAuditRead)?;
    let state = match state.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            ActionState::parse(s)
                .map_err(|v| AppError::Invalid(v.into()))?
                .code(),
        ),
    };
    let mut c = conn(app).await?;
    let (items, total) = store::quality_audit::action::list(
        &mut c,
        grant.reach(),
        state,
        station_id,
        page.per_page,
        page.offset(),
    )
    .await?;
    Ok(store::Paged {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// Takes one step and answers the action's page as it now stands (what the console,
/// the phone form and the API show after a step): see [`take`] for the rules.
pub async fn step(app: &App, grant: &Grant, id: i64, step: ActionStep) -> AppResult<ActionDetail> {
    take(app, grant, id, step).await?;
    view(app, grant, id).await
}

/// Takes one step without reading the page back (the network simulator's thousands of
/// steps, each of which [`step`] would follow with the page's six or more reads): the
/// station's (cause, close with evidence) need `CorrectiveActionWrite`, the auditor's
/// (verify, reject, standardise) `QualityAuditWrite`. Closing without evidence, a step
/// the state does not allow or a step lost to a concurrent one is refused with the
/// rule named; nothing changes.
pub async fn take(app: &App, grant: &Grant, id: i64, step: ActionStep) -> AppResult<()> {
    let needed = if step.is_auditors() {
        Action::QualityAuditWrite
    } else {
        Action::CorrectiveActionWrite
    };
    crate::network::expect(grant, needed)?;
    let step = step.checked().map_err(|v| AppError::Invalid(v.into()))?;
    let mut c = conn(app).await?;
    let action = store::quality_audit::action::get(&mut c, grant.reach(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(c);
    covers(grant, action.station_id, action.region_id)?;
    let from =
        ActionState::parse(&action.state).map_err(|v| AppError::Internal(v.rule.to_string()))?;
    let to = next(from, &step).map_err(|v| AppError::Refused(v.into()))?;
    let now = app.now_ms();
    let who = grant.principal().id;
    let due: jiff::civil::Date = action
        .due_on
        .parse()
        .map_err(|_| AppError::Internal("due_on".into()))?;
    run(app, "quality_audit.action_step", |mut tx| {
        let step = step.clone();
        async move {
            let (write, note): (StepWrite<'_>, Option<String>) = match &step {
                ActionStep::RecordCause { cause } => (StepWrite::Cause(cause), Some(cause.clone())),
                ActionStep::CloseWithEvidence { measure, evidence } => (
                    StepWrite::Measure(measure, evidence),
                    Some(format!("{measure}\n{evidence}")),
                ),
                ActionStep::Verify { note } => (StepWrite::Verify(note), Some(note.clone())),
                ActionStep::Reject { reason } => (StepWrite::Reject, Some(reason.clone())),
                ActionStep::Standardise { note } => (StepWrite::Standard(note), Some(note.clone())),
            };
            if !store::quality_audit::action::step(&mut tx, id, from.code(), to.code(), write, now)
                .await?
            {
                return Err(AppError::Refused(
                    Violation::new("step", "quality_audit.action_changed").into(),
                ));
            }
            store::quality_audit::action::add_event(
                &mut tx,
                id,
                now,
                who,
                step.code(),
                note.as_deref(),
            )
            .await?;
            if !to.is_due() {
                crate::job::disarm(&mut tx, &timer_key(id), now).await?;
            } else if from == ActionState::Closed {
                // Sent back after its due day: it is overdue at once.
                let at = end_of_day_ms(due)?.max(now);
                crate::job::arm(
                    &mut tx,
                    &timer_key(id),
                    KIND,
                    at,
                    &serde_json::json!({ "action_id": id }),
                    now,
                )
                .await?;
            }
            Ok((tx, ()))
        }
    })
    .await?;
    app.wake_jobs();
    Ok(())
}

/// The overdue timer of one action.
#[derive(Debug, Clone, Copy)]
pub struct Due;

async fn fire(ctx: &Ctx, conn: &mut AnyConnection, job: &Claimed) -> AppResult<()> {
    let v: serde_json::Value =
        serde_json::from_str(&job.payload).map_err(|e| AppError::Internal(e.to_string()))?;
    let id = v["action_id"].as_i64().unwrap_or(0);
    let now = ctx.app.now_ms();
    if store::quality_audit::action::mark_overdue(conn, id, now).await? {
        store::quality_audit::action::add_event(conn, id, now, 0, "overdue", None).await?;
        metrics::counter!("corrective_actions_overdue_total").increment(1);
    }
    Ok(())
}

impl Handler for Due {
    fn inside<'a>(
        &'a self,
        ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        job: &'a Claimed,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move { fire(ctx, conn, job).await.map_err(|e| e.to_string()) })
    }
}
