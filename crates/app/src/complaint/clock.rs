//! The clocks of a complaint on the job machinery: [`recompute`] computes every
//! checkpoint of the stages not yet met from the stored segments and pauses, writes
//! the deadlines and the queue's summary, and arms one timer per checkpoint (a timer
//! key per complaint, clock, stage and step) — or disarms it when its stage is met or
//! the clock is paused. [`Tick`] is the timer kind: it writes the notice (once, by the
//! notice's unique key), marks a breach and queues the outbox messages (the webhook; an escalation also SMS
//! and WeChat to the level's people, [`super::escalate`]). Deadlines are
//! rows; a restart loses nothing and a second worker fires nothing twice.

use crate::job::handler::{BoxFuture, Ctx, Handler, Outcome};
use crate::{AppError, AppResult};
use domain::calendar::{ClockMode, WorkingCalendar};
use domain::complaint::Severity;
use domain::complaint::category::CategoryCode;
use domain::complaint::sla::{self, Clock, Level, Pause, Policy, Segment, Stage};
use domain::permission::Reach;
use jiff::Timestamp;
use sqlx::AnyConnection;
use std::collections::HashMap;
use store::complaint::ComplaintRow;
use store::job::Claimed;

/// The current version of a category × severity's policy, `(id, policy)`; the SPEC
/// defaults (business hours) are stored as version 1 the first time one is needed.
pub async fn policy_in_force(
    conn: &mut AnyConnection,
    category: &CategoryCode,
    severity: Severity,
    now: i64,
) -> AppResult<(i64, Policy)> {
    if let Some(row) =
        store::complaint::clock::current_policy(conn, category.as_str(), severity.level()).await?
    {
        let p = serde_json::from_str(&row.body).map_err(|e| AppError::Internal(e.to_string()))?;
        return Ok((row.id, p));
    }
    let p = Policy::spec_default(ClockMode::Business);
    let body = serde_json::to_string(&p).map_err(|e| AppError::Internal(e.to_string()))?;
    let id = store::complaint::clock::insert_policy(
        conn,
        category.as_str(),
        severity.level(),
        "business",
        &body,
        now,
        0,
    )
    .await?;
    Ok((id, p))
}

/// The timer kind of a complaint's checkpoints.
pub const KIND: &str = "complaint.clock";

/// The timer key of one checkpoint.
pub fn timer_key(id: i64, clock_no: i64, stage: Stage, percent: u32) -> String {
    format!("{KIND}:{id}:{clock_no}:{}:{percent}", stage.code())
}

fn ts(ms: i64) -> AppResult<Timestamp> {
    Timestamp::from_millisecond(ms).map_err(|e| AppError::Internal(e.to_string()))
}

fn mode_code(m: ClockMode) -> &'static str {
    match m {
        ClockMode::Business => "business",
        ClockMode::Calendar => "calendar",
    }
}

/// The mode of a stored code.
pub fn mode_of(code: &str) -> ClockMode {
    if code == "calendar" {
        ClockMode::Calendar
    } else {
        ClockMode::Business
    }
}

/// Stored mode code of a mode.
pub fn mode_str(m: ClockMode) -> &'static str {
    mode_code(m)
}

/// The policy a complaint runs under.
pub async fn policy_of(conn: &mut AnyConnection, policy_id: i64) -> AppResult<Policy> {
    let row = store::complaint::clock::policy(conn, policy_id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("complaint policy {policy_id}")))?;
    serde_json::from_str(&row.body).map_err(|e| AppError::Internal(e.to_string()))
}

/// Everything computed about the current clock.
pub struct Computed {
    /// Every checkpoint of the unmet stages.
    pub checkpoints: Vec<sla::Checkpoint>,
    /// The stages met, with when.
    pub met: Vec<(Stage, i64)>,
    /// Deadline (100 %) per stage, when it has one.
    pub deadlines: Vec<(Stage, Option<i64>)>,
    /// Counted minutes from each met stage's origin to when it was met (what the
    /// analysis' response rates and mean times read).
    pub counted: Vec<(Stage, i64)>,
    /// The policy.
    pub policy: Policy,
    /// The instants (deadlines and checkpoints, UTC ms) that reach past the loaded
    /// holiday plan: computed on the regular week, provisional (SPEC §6).
    pub provisional: Vec<i64>,
}

impl Computed {
    /// Whether the instant `at` (UTC ms) is provisional.
    pub fn is_provisional(&self, at: Option<i64>) -> bool {
        at.is_some_and(|t| self.provisional.contains(&t))
    }
}

/// Computes the clock of `c` from the stored segments, pauses and stages.
pub async fn compute(conn: &mut AnyConnection, c: &ComplaintRow) -> AppResult<Computed> {
    let policy = policy_of(conn, c.policy_id).await?;
    let segs = store::complaint::clock::segments(conn, c.id, c.clock_no).await?;
    let mut calendars: HashMap<i64, WorkingCalendar> = HashMap::new();
    for s in &segs {
        if let std::collections::hash_map::Entry::Vacant(e) = calendars.entry(s.station_id) {
            let st = store::network::station(conn, &Reach::All, s.station_id).await?;
            e.insert(crate::calendar::station::station_calendar(conn, &st).await?);
        }
    }
    let mut segments = Vec::new();
    for s in &segs {
        let cal = calendars
            .get(&s.station_id)
            .ok_or_else(|| AppError::Internal("segment calendar".into()))?;
        segments.push(Segment {
            from: ts(s.from_at)?,
            calendar: cal,
            mode: mode_of(&s.mode),
        });
    }
    let mut pauses = Vec::new();
    for (from, to) in store::complaint::clock::pauses(conn, c.id, c.clock_no).await? {
        pauses.push(Pause {
            from: ts(from)?,
            to: to.map(ts).transpose()?,
        });
    }
    let clock = Clock { segments, pauses };
    let stages = store::complaint::clock::stages(conn, c.id, c.clock_no).await?;
    let met: Vec<(Stage, i64)> = stages
        .iter()
        .filter_map(|s| Some((Stage::from_code(&s.stage)?, s.met_at?)))
        .collect();
    let met_stages: Vec<Stage> = met.iter().map(|m| m.0).collect();
    let analysed = c.analysed_at.map(ts).transpose()?;
    let err = |e: domain::calendar::CalendarError| AppError::Internal(e.to_string());
    let checkpoints = sla::checkpoints(&clock, &policy, &met_stages, analysed).map_err(err)?;
    let mut counted = Vec::new();
    if let Some(start) = clock.start() {
        for (stage, at) in &met {
            if let Some(origin) = sla::stage_origin(*stage, start, analysed) {
                let at = ts(*at)?;
                if at >= origin {
                    counted.push((*stage, clock.counted(origin, at).map_err(err)?));
                }
            }
        }
    }
    let mut deadlines = Vec::new();
    let breach = sla::Step {
        percent: 100,
        escalate_to: Some(Level::StationManager),
    };
    if let Some(start) = clock.start() {
        for stage in Stage::ALL {
            let d = match sla::stage_origin(*stage, start, analysed) {
                Some(origin) => clock
                    .step_at(origin, policy.targets.of(*stage), breach)
                    .map_err(err)?
                    .map(|t| t.as_millisecond()),
                None => None,
            };
            deadlines.push((*stage, d));
        }
    }
    let mut provisional = Vec::new();
    for t in deadlines
        .iter()
        .filter_map(|d| d.1)
        .chain(checkpoints.iter().map(|c| c.due.as_millisecond()))
    {
        if !provisional.contains(&t) && clock.is_provisional(ts(t)?) {
            provisional.push(t);
        }
    }
    Ok(Computed {
        checkpoints,
        met,
        deadlines,
        counted,
        policy,
        provisional,
    })
}

/// Recomputes the open clock of complaint `id` and arms or disarms its timers, on
/// the caller's transaction. A closed complaint's timers are all disarmed.
pub async fn recompute(conn: &mut AnyConnection, id: i64, now: i64) -> AppResult<()> {
    let c = store::complaint::get(conn, &Reach::All, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let comp = compute(conn, &c).await?;
    let open = c.state != "closed";
    for (stage, d) in &comp.deadlines {
        store::complaint::clock::set_deadline(conn, c.id, c.clock_no, stage.code(), *d).await?;
        store::complaint::clock::set_stage_provisional(
            conn,
            c.id,
            c.clock_no,
            stage.code(),
            // A met stage's deadline no longer moves.
            comp.is_provisional(*d) && !comp.met.iter().any(|m| m.0 == *stage),
        )
        .await?;
    }
    for (stage, minutes) in &comp.counted {
        store::complaint::clock::set_counted(conn, c.id, c.clock_no, stage.code(), *minutes)
            .await?;
    }
    for stage in Stage::ALL {
        for step in comp.policy.steps() {
            let key = timer_key(c.id, c.clock_no, *stage, step.percent);
            let due = comp
                .checkpoints
                .iter()
                .find(|cp| cp.stage == *stage && cp.step.percent == step.percent)
                .map(|cp| cp.due.as_millisecond());
            match due {
                Some(due) if open => {
                    let payload = serde_json::json!({
                        "complaint_id": c.id, "clock_no": c.clock_no,
                        "stage": stage.code(), "percent": step.percent, "due": due,
                    });
                    crate::job::arm(conn, &key, KIND, due, &payload, now).await?;
                }
                _ => {
                    crate::job::disarm(conn, &key, now).await?;
                }
            }
        }
    }
    let next = if open {
        sla::next_deadline(&comp.checkpoints)
    } else {
        None
    };
    store::complaint::set_summary(
        conn,
        c.id,
        next.map(|n| n.1.as_millisecond()),
        next.map(|n| n.0.code()),
    )
    .await?;
    let next_provisional = comp.is_provisional(next.map(|n| n.1.as_millisecond()));
    store::complaint::set_provisional(conn, c.id, next_provisional).await?;
    Ok(())
}

/// The level code a step's notice is for: warnings go to the station.
pub fn level_code(step: &sla::Step) -> &'static str {
    match step.escalate_to {
        None => "station",
        Some(l) => l.code(),
    }
}

/// The timer of one checkpoint.
#[derive(Debug, Clone, Copy)]
pub struct Tick;

async fn fire(ctx: &Ctx, conn: &mut AnyConnection, job: &Claimed) -> AppResult<()> {
    let v: serde_json::Value =
        serde_json::from_str(&job.payload).map_err(|e| AppError::Internal(e.to_string()))?;
    let id = v["complaint_id"].as_i64().unwrap_or(0);
    let clock_no = v["clock_no"].as_i64().unwrap_or(0);
    let percent = v["percent"].as_u64().unwrap_or(0) as u32;
    let Some(stage) = v["stage"].as_str().and_then(Stage::from_code) else {
        return Ok(());
    };
    let Some(c) = store::complaint::get(conn, &Reach::All, id).await? else {
        return Ok(());
    };
    // A stale timer (another clock, a closed or paused complaint) does nothing.
    if c.clock_no != clock_no || c.state == "closed" || c.paused_since.is_some() {
        return Ok(());
    }
    let stages = store::complaint::clock::stages(conn, id, clock_no).await?;
    if stages
        .iter()
        .any(|s| s.stage == stage.code() && s.met_at.is_some())
    {
        return Ok(());
    }
    let policy = policy_of(conn, c.policy_id).await?;
    let Some(step) = policy.steps().into_iter().find(|s| s.percent == percent) else {
        return Ok(());
    };
    let now = ctx.app.now_ms();
    let level = level_code(&step);
    let step_code = step.code();
    let new = store::complaint::notice::insert(
        conn,
        &store::complaint::notice::NewNotice {
            complaint_id: id,
            clock_no,
            stage: stage.code(),
            step: &step_code,
            level,
            station_id: c.station_id,
            region_id: c.region_id,
            due_at: v["due"].as_i64().unwrap_or(now),
        },
        now,
    )
    .await?;
    if !new {
        return Ok(());
    }
    let kind = if step.escalate_to.is_some() {
        store::complaint::mark_breached(conn, id).await?;
        "escalated"
    } else {
        "warned"
    };
    let detail = serde_json::json!({ "stage": stage.code(), "step": step_code, "level": level });
    store::complaint::add_event(conn, id, now, kind, "system", 0, &detail).await?;
    let key = timer_key(id, clock_no, stage, percent);
    let payload = serde_json::json!({
        "complaint_id": id, "stage": stage.code(), "step": step_code, "level": level,
        "station_id": c.station_id, "region_id": c.region_id,
    });
    store::outbox::enqueue(
        conn,
        &format!("outbox:{key}"),
        "webhook",
        level,
        None,
        "complaint_notice",
        &payload,
        now,
    )
    .await?;
    if step.escalate_to.is_some() {
        super::escalate::queue(conn, &c, &key, level, stage.code(), &step_code, now).await?;
    }
    metrics::counter!("complaint_notices_total", "level" => level).increment(1);
    Ok(())
}

impl Handler for Tick {
    fn inside<'a>(
        &'a self,
        ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        job: &'a Claimed,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move { fire(ctx, conn, job).await.map_err(|e| e.to_string()) })
    }
}

/// Starts a new clock segment from `now` (another station's calendar and/or another
/// policy version), keeping the time counted so far, and recomputes the deadlines.
pub(crate) async fn rebase(
    tx: &mut AnyConnection,
    id: i64,
    station: Option<(i64, i64)>,
    policy_id: Option<i64>,
    now: i64,
    role: &str,
    by: i64,
) -> AppResult<()> {
    let c = store::complaint::get(tx, &Reach::All, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some((s, r)) = station {
        store::complaint::set_station(tx, id, s, r).await?;
    }
    let pid = policy_id.unwrap_or(c.policy_id);
    if let Some(p) = policy_id {
        store::complaint::set_severity(tx, id, &c.severity, c.urgent_reason.as_deref(), p).await?;
    }
    let mode = policy_of(tx, pid).await?.mode;
    let st = station.map_or(c.station_id, |s| s.0);
    store::complaint::clock::add_segment(tx, id, c.clock_no, now, st, mode_str(mode)).await?;
    let detail = serde_json::json!({ "station_id": st, "policy_id": pid });
    store::complaint::add_event(tx, id, now, "rebased", role, by, &detail).await?;
    recompute(tx, id, now).await
}
