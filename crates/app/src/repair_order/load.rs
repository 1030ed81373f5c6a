//! Loading and saving a repair order with everything the domain needs. A file of its
//! own so that areas that act on an order (billing, rating, estimate) depend on it
//! without depending on the order's workflow, which itself issues the bill.

use crate::calendar::station_calendar;
use crate::shared::ts;
use crate::{AppError, AppResult};
use domain::estimate::{
    ApprovalChannel, ApprovalRecord, Decision, Estimate, EstimateLine, LineItem,
};
use domain::money::Money;
use domain::permission::Reach;
use domain::repair_order::{RepairOrder, Stage, StageEvent, StageProgress, WorkLine, WorkStatus};
use std::collections::{BTreeMap, BTreeSet};
use store::estimate::EstimateLineRow;
use store::repair_order::RepairOrderRow;
use store::repair_order::{CheckpointRow, Progress, ProgressEvent, WholeOrder};

/// Entity name of repair orders in the event log.
pub const ENTITY: &str = store::repair_order::ENTITY;

/// An order with everything the domain needs, loaded in one go.
pub(crate) struct Loaded {
    pub row: RepairOrderRow,
    pub order: RepairOrder,
    pub estimate: Estimate,
    pub lines: Vec<EstimateLineRow>,
    pub checkpoints: Vec<CheckpointRow>,
    pub events: Vec<StageEvent>,
}

pub(crate) fn decision_of(code: &str) -> AppResult<Decision> {
    match code {
        "proposed" => Ok(Decision::Proposed),
        "approved" => Ok(Decision::Approved),
        "declined" => Ok(Decision::Declined),
        other => Err(AppError::Internal(format!("decision {other}"))),
    }
}

/// Stable code of a work status.
pub fn work_code(w: WorkStatus) -> &'static str {
    match w {
        WorkStatus::NotStarted => "not_started",
        WorkStatus::InProgress => "in_progress",
        WorkStatus::Done => "done",
    }
}

pub(crate) fn work_of(code: &str) -> WorkStatus {
    match code {
        "in_progress" => WorkStatus::InProgress,
        "done" => WorkStatus::Done,
        _ => WorkStatus::NotStarted,
    }
}

/// The domain form of a stored estimate line.
pub(crate) fn estimate_line(l: &EstimateLineRow) -> AppResult<EstimateLine> {
    let item = if l.kind == "labour" {
        LineItem::Labour {
            operation_code: l.code.clone(),
            hundredths: l.hundredths,
            hourly_rate: Money::from_fen(l.unit_price_fen),
        }
    } else {
        LineItem::Part {
            part_number: l.code.clone(),
            quantity_hundredths: l.hundredths,
            unit_price: Money::from_fen(l.unit_price_fen),
        }
    };
    let record = match (&l.decided_by, l.decided_at) {
        (Some(by), Some(at)) => Some(ApprovalRecord {
            by: by.clone(),
            at: ts(at)?,
            channel: l
                .decision_channel
                .as_deref()
                .and_then(ApprovalChannel::from_code)
                .unwrap_or(ApprovalChannel::InPerson),
            ip: l.decision_ip.clone(),
            signature_ref: l.signature_ref.clone(),
        }),
        _ => None,
    };
    Ok(EstimateLine {
        no: u32::try_from(l.line_no).map_err(|_| AppError::Internal("line number".into()))?,
        item,
        decision: decision_of(&l.decision)?,
        record,
        reoffer_of: l.reoffer_of.and_then(|n| u32::try_from(n).ok()),
        comeback: l.comeback,
        done: l.done,
    })
}

/// The event kinds an order's stage progress is rebuilt from (the rest of its timeline
/// is not needed to act on it).
const STAGE_EVENT_KINDS: &[&str] = &["stage_started", "stage_completed"];

/// Stage starts and completions from the order's events.
pub(crate) fn stage_events(events: &[store::event::Event]) -> AppResult<Vec<StageEvent>> {
    let mut by_stage: BTreeMap<Stage, StageEvent> = BTreeMap::new();
    for e in events {
        let Some(stage) = e
            .data
            .get("stage")
            .and_then(|s| s.as_str())
            .and_then(Stage::from_code)
        else {
            continue;
        };
        let at = ts(e.at)?;
        match e.kind.as_str() {
            "stage_started" => {
                by_stage.insert(
                    stage,
                    StageEvent {
                        stage,
                        started_at: at,
                        completed_at: None,
                    },
                );
            }
            "stage_completed" => {
                if let Some(s) = by_stage.get_mut(&stage) {
                    s.completed_at = Some(at);
                }
            }
            _ => {}
        }
    }
    Ok(by_stage.into_values().collect())
}

/// Loads an order within reach and rebuilds its domain state: the order and its
/// children in one statement ([`store::repair_order::whole`]).
pub(crate) async fn load(c: &mut sqlx::AnyConnection, reach: &Reach, id: i64) -> AppResult<Loaded> {
    let whole = store::repair_order::whole(c, reach, id, ENTITY, STAGE_EVENT_KINDS).await?;
    restore(c, whole).await
}

/// The domain state of an order from what is stored of it.
async fn restore(c: &mut sqlx::AnyConnection, whole: WholeOrder) -> AppResult<Loaded> {
    let WholeOrder {
        row,
        lines,
        checkpoints,
        events: log,
    } = whole;
    let standard = crate::stage_standard::by_version(c, row.standard_version).await?;
    let events = stage_events(&log)?;
    let mut work = Vec::new();
    let mut est = Vec::new();
    for l in &lines {
        let line = estimate_line(l)?;
        if l.kind == "labour" {
            work.push(WorkLine {
                no: line.no,
                operation_code: l.code.clone(),
                hundredths: l.hundredths,
                decision: line.decision,
                extra: l.extra,
                work: work_of(&l.work),
            });
        }
        est.push(line);
    }
    let applicable: BTreeSet<String> = row
        .applicable
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let promised = row.promised_at.map(ts).transpose()?;
    let order = RepairOrder::restore(
        standard,
        |stage| {
            let e = events.iter().find(|e| e.stage == stage);
            StageProgress {
                stage,
                started_at: e.map(|e| e.started_at),
                completed_at: e.and_then(|e| e.completed_at),
                checked: checkpoints
                    .iter()
                    .filter(|c| c.stage == stage.code())
                    .map(|c| c.code.clone())
                    .collect(),
            }
        },
        work,
        applicable,
        promised,
    );
    let estimate = Estimate::restore(est, row.vat_bp)
        .map_err(|e| AppError::Internal(format!("stored estimate of order {}: {e}", row.id)))?;
    Ok(Loaded {
        row,
        order,
        estimate,
        lines,
        checkpoints,
        events,
    })
}

/// The rule a version-guarded save fails with when the order changed after it was
/// read (`store::repair_order::save_progress`).
const CHANGED_MEANWHILE: &str = "repair_order.changed_meanwhile";

/// Whether a use case failed only because the order changed after it was read.
fn changed_meanwhile(e: &AppError) -> bool {
    matches!(e, AppError::Refused(v) if v.0.iter().any(|x| x.rule == CHANGED_MEANWHILE))
}

/// Acts on an order read outside the write transaction: loads it on a reading
/// connection, hands both to `attempt` (which applies the domain rule and writes,
/// through the transaction runner saving with [`save`], or with [`advance`] on that
/// connection; either is guarded on the version read), and when the save finds the
/// order changed meanwhile, reads it again and runs `attempt` again, up to
/// [`store::transaction::ATTEMPTS`] times.
///
/// Why: on SQLite a write transaction holds the one writer connection, and reading
/// the order, its lines, checkpoints and stage events inside it kept every other
/// writer waiting through four reads. Read outside, the writer is held for the update
/// and the event only. Everything that changes an order's lines or progress bumps its
/// version, so a stale read cannot slip through; checkpoints are only ever added, so
/// a stale read of them can only refuse what a fresh one would allow.
pub(crate) async fn act<T, F, Fut>(
    app: &crate::App,
    reach: &Reach,
    id: i64,
    mut attempt: F,
) -> AppResult<T>
where
    F: FnMut(Loaded, Conn) -> Fut,
    Fut: std::future::Future<Output = AppResult<T>>,
{
    let mut n = 1;
    loop {
        let mut c = crate::conn(app).await?;
        let l = load(&mut c, reach, id).await?;
        match attempt(l, c).await {
            Err(e) if changed_meanwhile(&e) && n < store::transaction::ATTEMPTS => n += 1,
            other => return other,
        }
    }
}

/// A pooled connection, as [`act`] hands it on.
pub(crate) type Conn = sqlx::pool::PoolConnection<sqlx::Any>;

/// Saves the order's progress from its domain state, guarded on its version.
pub(crate) async fn save(
    c: &mut sqlx::AnyConnection,
    l: &Loaded,
    late_minutes: Option<i64>,
    courtesy_car: bool,
    now: i64,
) -> AppResult<()> {
    let p = progress(l, late_minutes, courtesy_car);
    store::repair_order::save_progress(c, l.row.id, l.row.version, &p, now).await?;
    Ok(())
}

/// Saves the order's progress from its domain state, guarded on its version, with
/// the one event of the change, both or neither, without a transaction of the
/// caller's ([`store::repair_order::advance`]: committed with the other stage changes
/// waiting): a stage change that writes nothing else. The reading connection goes
/// back to the pool first.
pub(crate) async fn advance(
    app: &crate::App,
    c: Conn,
    l: &Loaded,
    event: ProgressEvent<'_>,
    now: i64,
) -> AppResult<()> {
    drop(c);
    let p = progress(l, l.row.late_minutes, l.row.courtesy_car);
    store::repair_order::advance(&app.db, l.row.id, l.row.version, &p, now, event).await?;
    Ok(())
}

/// The order's progress fields from its domain state.
fn progress(l: &Loaded, late_minutes: Option<i64>, courtesy_car: bool) -> Progress {
    let o = &l.order;
    Progress {
        state: if o.delivered_at().is_some() {
            "delivered".into()
        } else {
            "open".into()
        },
        current_stage: o.current_stage().map(|s| s.code().to_string()),
        applicable: o.applicable().iter().cloned().collect::<Vec<_>>().join(","),
        promised_at: o.promised_at().map(|t| t.as_millisecond()),
        delivered_at: o.delivered_at().map(|t| t.as_millisecond()),
        late_minutes,
        courtesy_car,
    }
}

/// The order of an owner-link token. A link expires
/// `owner_link_days_after_payment` days after its order is both delivered and paid:
/// it then answers like an unknown link ([`AppError::NotFound`]), so the history of a
/// finished order is read through the owner's signed-in pages, not a forwarded URL.
pub(crate) async fn owner_order(
    app: &crate::App,
    c: &mut sqlx::AnyConnection,
    token: &str,
) -> AppResult<Loaded> {
    if token.len() < 32 {
        return Err(AppError::NotFound);
    }
    let row = store::repair_order::by_token_hash(c, &crate::auth::hash_secret(token)).await?;
    if let Some(delivered) = row.delivered_at
        && let Ok(bill) = store::billing::by_order_unscoped(c, row.id).await
        && let Some(paid) = bill.paid_at.filter(|_| bill.state == "paid")
    {
        let days = app.settings.owner_link_days_after_payment.max(0);
        let ends = delivered
            .max(paid)
            .saturating_add(days.saturating_mul(86_400_000));
        if app.now_ms() >= ends {
            return Err(AppError::NotFound);
        }
    }
    // The link is the capability: the order is read whatever the reach.
    load(c, &Reach::All, row.id).await
}

/// The working calendar of an order's station (for ETAs).
pub(crate) async fn order_calendar(
    c: &mut sqlx::AnyConnection,
    station_id: i64,
) -> AppResult<domain::calendar::WorkingCalendar> {
    let station = store::network::station(c, &Reach::All, station_id).await?;
    station_calendar(c, &station).await
}
