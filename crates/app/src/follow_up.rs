//! The follow-up call (回访): every delivered order gets a task due 3 days after the
//! hand-over (created by the database in the delivering transaction, see
//! `store::follow_up`); customer relations lists the open ones by due time
//! and records each call.

use crate::input::{Loose, opt_text, text};
use crate::network::expect;
use crate::shared::required;
use crate::{App, AppResult, actor, conn};
use domain::permission::{Action, Grant};
use domain::{Violation, Violations};
use serde::{Deserialize, Serialize};
use store::follow_up::FollowUpRow;

/// The action that reads follow-up calls.
pub const READ: Action = Action::FollowUpRead;
/// The action that records a follow-up call.
pub const WRITE: Action = Action::FollowUpWrite;

/// How long after delivery the call is due (SPEC §5: within 3 days).
pub const DUE_AFTER_MS: i64 = 3 * 24 * 60 * 60 * 1000;

/// Outcomes of a call.
pub const OUTCOMES: [&str; 3] = ["reached", "unreachable", "declined"];

/// A follow-up with whether it is overdue now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FollowUpView {
    /// The task.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub task: FollowUpRow,
    /// Past its due time and still open.
    pub overdue: bool,
}

/// Open follow-ups within reach due before `due_before` (UTC ms; default: now plus
/// 3 days, i.e. every open task), optionally of one station, most urgent first.
/// Needs [`READ`].
pub async fn due(
    app: &App,
    grant: &Grant,
    station_id: Option<i64>,
    due_before: Option<i64>,
) -> AppResult<Vec<FollowUpView>> {
    expect(grant, READ)?;
    let now = app.now_ms();
    let before = due_before.unwrap_or(now + DUE_AFTER_MS + 1);
    let rows =
        store::follow_up::open_due(&mut *conn(app).await?, grant.reach(), before, station_id)
            .await?;
    Ok(rows
        .into_iter()
        .map(|task| FollowUpView {
            overdue: task.state == "open" && task.due_at < now,
            task,
        })
        .collect())
}

/// The follow-up of a delivered order within reach. Needs [`READ`].
pub async fn for_order(app: &App, grant: &Grant, order_id: i64) -> AppResult<FollowUpRow> {
    expect(grant, READ)?;
    let mut c = conn(app).await?;
    store::repair_order::get(&mut c, grant.reach(), order_id).await?;
    store::follow_up::by_order(&mut c, order_id)
        .await?
        .ok_or(crate::AppError::NotFound)
}

/// A call made.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CallInput {
    /// `reached`, `unreachable` or `declined` (one of [`OUTCOMES`]).
    #[schema(value_type = String, required = true, pattern = "^(reached|unreachable|declined)$")]
    pub outcome: Loose,
    /// Note, optional.
    #[schema(schema_with = crate::schema::opt_line::<1000>)]
    pub note: Loose,
}

/// Records the follow-up call; a task already done is refused (`follow_up.done`).
/// Needs [`WRITE`].
pub async fn complete(app: &App, grant: &Grant, id: i64, input: &CallInput) -> AppResult<()> {
    expect(grant, WRITE)?;
    let mut v = Violations::new();
    let outcome = text(&mut v, "outcome", &input.outcome, 20);
    if let Some(o) = &outcome
        && !OUTCOMES.contains(&o.as_str())
    {
        v.push(Violation::new("outcome", "follow_up.outcome").with_detail(OUTCOMES.join(", ")));
    }
    let note = opt_text(&mut v, "note", &input.note, 1000);
    v.into_result()?;
    let (outcome, note) = (required(outcome)?, required(note)?);
    let now = app.now_ms();
    let (note, outcome) = (&note, &outcome);
    crate::transaction::run(app, "follow_up.complete", move |mut tx| async move {
    let task = store::follow_up::get(&mut tx, grant.reach(), id).await?;
    store::follow_up::complete(
        &mut tx,
        id,
        grant.principal().id,
        outcome,
        note.as_deref(),
        now,
    )
    .await?;
    store::event::record(
        &mut tx,
        now,
        actor(grant),
        "follow_up",
        id,
        "done",
        &serde_json::json!({"repair_order_id": task.repair_order_id, "outcome": outcome, "late": now > task.due_at}),
        note.as_deref(),
    )
    .await?;
        Ok((tx, ()))
    })
    .await
}
