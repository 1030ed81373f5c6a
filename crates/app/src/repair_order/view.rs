//! Read models of repair orders shared by the API, the console and the owner pages:
//! an order's detail with stages, checkpoints, timeline and ETA; the board of open
//! orders; a technician's jobs; a station's readiness (holidays and capacity). Each
//! authorises through the use cases it calls, so the web layer reads through here and
//! never reaches the store itself.

use crate::{App, AppError, AppResult};
use domain::calendar::ClockMode;
use domain::estimate::Totals;
use domain::permission::{Action, Grant, Principal, Reach, Unit};
use domain::repair_order::{CheckRule, Stage, StageEvent, StageStandard, StageTiming, eta};
use domain::role::Role;
use serde::Serialize;
use store::estimate::EstimateLineRow;
use store::repair_order::RepairOrderRow;

/// Entity name of repair orders in the event log.
pub use super::load::ENTITY;

/// One checkpoint of a stage as shown.
#[derive(Debug, Clone, Serialize)]
pub struct CheckpointView {
    /// Code, e.g. `reception.walk_around`.
    pub code: String,
    /// Label in Chinese.
    pub label_zh: String,
    /// Label in English.
    pub label_en: String,
    /// Whether completing the stage needs it.
    pub required: bool,
    /// Whether it was checked.
    pub checked: bool,
    /// When it was checked, UTC ms.
    pub checked_at: Option<i64>,
    /// Note left with it.
    pub note: Option<String>,
}

/// One stage as shown: timing against its standard and its checkpoints.
#[derive(Debug, Clone, Serialize)]
pub struct StageView {
    /// Stage code.
    pub stage: String,
    /// `pending`, `in_progress` or `done`.
    pub status: String,
    /// Minutes elapsed (to completion or now).
    pub elapsed_minutes: Option<i64>,
    /// Standard minutes.
    pub standard_minutes: Option<i64>,
    /// Elapsed beyond standard.
    pub overrun: bool,
    /// Checkpoints.
    pub checkpoints: Vec<CheckpointView>,
}

/// One entry of an order's timeline (from the event log).
#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    /// When, UTC ms.
    pub at: i64,
    /// Who: role code.
    pub actor_role: String,
    /// Who: id.
    pub actor_id: i64,
    /// What happened.
    pub kind: String,
    /// Details.
    pub data: serde_json::Value,
    /// Why, when given.
    pub reason: Option<String>,
}

/// A repair order with everything the detail page and API show.
#[derive(Debug, Clone, Serialize)]
pub struct OrderDetail {
    /// The stored order.
    pub order: RepairOrderRow,
    /// Stages in order with timings and checkpoints.
    pub stages: Vec<StageView>,
    /// Timings of started stages.
    pub timings: Vec<StageTiming>,
    /// Estimate lines with their approval records.
    pub lines: Vec<EstimateLineRow>,
    /// Totals of what is quoted (proposed or approved).
    pub quoted: Totals,
    /// Totals of what is approved.
    pub approved: Totals,
    /// Expected hand-over, UTC ms, while open.
    pub eta: Option<i64>,
    /// Every change, oldest first.
    pub timeline: Vec<TimelineEntry>,
}

/// Stage starts and completions from an order's events.
pub fn stage_events(events: &[store::event::Event]) -> Vec<StageEvent> {
    let mut out: Vec<StageEvent> = Vec::new();
    for e in events {
        let Some(stage) = e
            .data
            .get("stage")
            .and_then(|s| s.as_str())
            .and_then(Stage::from_code)
        else {
            continue;
        };
        let Ok(at) = jiff::Timestamp::from_millisecond(e.at) else {
            continue;
        };
        match e.kind.as_str() {
            "stage_started" => {
                out.retain(|x| x.stage != stage);
                out.push(StageEvent {
                    stage,
                    started_at: at,
                    completed_at: None,
                });
            }
            "stage_completed" => {
                if let Some(s) = out.iter_mut().find(|x| x.stage == stage) {
                    s.completed_at = Some(at);
                }
            }
            _ => {}
        }
    }
    out.sort_by_key(|e| e.stage.index());
    out
}

/// Minutes of the approved labour lines' standard hours.
pub fn labour_minutes(lines: &[EstimateLineRow]) -> i64 {
    domain::labour::hundredths_to_minutes(
        lines
            .iter()
            .filter(|l| l.kind == "labour" && l.decision == "approved")
            .map(|l| l.hundredths)
            .sum(),
    )
}

/// The stages of an order with their checkpoints, from the order's own `standard` (the
/// version it was opened with) and what was checked.
pub fn stages(
    standard: &StageStandard,
    order: &RepairOrderRow,
    timings: &[StageTiming],
    checked: &[store::repair_order::CheckpointRow],
) -> Vec<StageView> {
    let applicable: Vec<&str> = order.applicable.split(',').collect();
    standard
        .stages
        .iter()
        .map(|spec| {
            let t = timings.iter().find(|t| t.stage == spec.stage);
            let status = match t {
                None => "pending",
                Some(t) if t.completed => "done",
                Some(_) => "in_progress",
            };
            StageView {
                stage: spec.stage.code().into(),
                status: status.into(),
                elapsed_minutes: t.map(|t| t.elapsed_minutes),
                standard_minutes: t.map(|t| t.standard_minutes),
                overrun: t.is_some_and(|t| t.overrun),
                checkpoints: spec
                    .checkpoints
                    .iter()
                    .map(|c| {
                        let done = checked.iter().find(|x| x.code == c.code);
                        CheckpointView {
                            code: c.code.clone(),
                            label_zh: c.label_zh.clone(),
                            label_en: c.label_en.clone(),
                            required: match c.rule {
                                CheckRule::Required => true,
                                CheckRule::Optional => false,
                                CheckRule::WhenApplicable => applicable.contains(&c.code.as_str()),
                            },
                            checked: done.is_some(),
                            checked_at: done.map(|d| d.checked_at),
                            note: done.and_then(|d| d.note.clone()),
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The expected hand-over of an open order under its own standard, on the station's
/// business hours.
pub async fn order_eta(
    app: &App,
    order: &RepairOrderRow,
    lines: &[EstimateLineRow],
    events: &[StageEvent],
    now: jiff::Timestamp,
) -> Option<i64> {
    if order.state != "open" {
        return None;
    }
    let mut c = crate::conn(app).await.ok()?;
    let station = store::network::station(&mut c, &Reach::All, order.station_id)
        .await
        .ok()?;
    let cal = crate::calendar::station_calendar(&mut c, &station)
        .await
        .ok()?;
    let standard = crate::stage_standard::by_version(&mut c, order.standard_version)
        .await
        .ok()?;
    eta(
        &standard,
        labour_minutes(lines),
        events,
        now,
        &cal,
        ClockMode::Business,
    )
    .ok()
    .map(|t| t.as_millisecond())
}

/// An order's detail; `grant` must be for `RepairOrderRead`.
pub async fn order_detail(app: &App, grant: &Grant, id: i64) -> AppResult<OrderDetail> {
    let v = crate::repair_order::get(app, grant, id).await?;
    let est = crate::estimate::view(app, grant, id).await?;
    let (log, standard) = {
        let mut c = crate::conn(app).await?;
        let log = store::event::for_entity(&mut c, ENTITY, id).await?;
        let standard = crate::stage_standard::by_version(&mut c, v.order.standard_version).await?;
        (log, standard)
    };
    let events = stage_events(&log);
    let eta = order_eta(app, &v.order, &v.lines, &events, app.clock.now()).await;
    let role = grant.principal().role;
    Ok(OrderDetail {
        stages: stages(&standard, &v.order, &v.timings, &v.checkpoints),
        timings: v.timings,
        lines: v.lines,
        quoted: est.quoted,
        approved: est.approved,
        eta,
        timeline: log
            .into_iter()
            .map(|e| TimelineEntry {
                at: e.at,
                actor_role: e.actor_role,
                actor_id: e.actor_id,
                // A phone typed into a comment or a reason is masked on the order
                // page and in the API (issue 21, finding 4); approvers as on the lines.
                data: crate::privacy::event_data_view(role, &e.kind, e.data),
                kind: e.kind,
                reason: e.reason.as_deref().map(domain::privacy::text::mask_numbers),
            })
            .collect(),
        order: v.order,
    })
}

/// One open order on the board.
#[derive(Debug, Clone, Serialize)]
pub struct BoardItem {
    /// Order id.
    pub id: i64,
    /// Vehicle id.
    pub vehicle_id: i64,
    /// Plate, if registered.
    pub plate: Option<String>,
    /// The owner's concern.
    pub concern: String,
    /// Stage in progress, if any (else waiting for the next stage).
    pub current_stage: Option<String>,
    /// The last stage completed, when none is in progress.
    pub last_done: Option<String>,
    /// Minutes in the current stage.
    pub elapsed_minutes: Option<i64>,
    /// Standard minutes of the current stage.
    pub standard_minutes: Option<i64>,
    /// The current stage overran its standard.
    pub overrun: bool,
    /// Lines awaiting the owner's decision.
    pub awaiting_approval: usize,
    /// Promised hand-over, UTC ms.
    pub promised_at: Option<i64>,
    /// Reception, UTC ms.
    pub received_at: i64,
    /// Estimate lines (for the jobs of technicians).
    #[serde(skip)]
    pub lines: Vec<EstimateLineRow>,
}

/// The open orders of a station within reach; `grant` must be for `RepairOrderRead`.
pub async fn board(app: &App, grant: &Grant, station_id: i64) -> AppResult<Vec<BoardItem>> {
    let rows = {
        let mut c = crate::conn(app).await?;
        store::network::station(&mut c, grant.reach(), station_id).await?;
        store::repair_order::kpi_rows(&mut c, station_id).await?
    };
    let mut out = Vec::new();
    for r in rows
        .iter()
        .filter(|r| r.station_id == station_id && r.delivered_at.is_none())
    {
        let v = crate::repair_order::get(app, grant, r.id).await?;
        let current = v
            .timings
            .iter()
            .find(|t| !t.completed && t.stage != Stage::FollowUp);
        let last_done = v
            .timings
            .iter()
            .filter(|t| t.completed)
            .map(|t| t.stage.code().to_string())
            .next_back();
        let mut c = crate::conn(app).await?;
        let plate = store::vehicle::get(&mut c, &Reach::All, v.order.vehicle_id)
            .await
            .ok()
            .and_then(|x| x.plate);
        out.push(BoardItem {
            id: v.order.id,
            vehicle_id: v.order.vehicle_id,
            plate,
            concern: v.order.concern.clone(),
            current_stage: v.order.current_stage.clone(),
            last_done,
            elapsed_minutes: current.map(|t| t.elapsed_minutes),
            standard_minutes: current.map(|t| t.standard_minutes),
            overrun: current.is_some_and(|t| t.overrun),
            awaiting_approval: v.lines.iter().filter(|l| l.decision == "proposed").count(),
            promised_at: v.order.promised_at,
            received_at: v.order.received_at,
            lines: v.lines,
        });
    }
    Ok(out)
}

/// One labour line assigned to a technician.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    /// Order id.
    pub order_id: i64,
    /// Plate.
    pub plate: Option<String>,
    /// Stage in progress.
    pub current_stage: Option<String>,
    /// Line number.
    pub line_no: i64,
    /// Labour operation code.
    pub code: String,
    /// Standard hours in hundredths.
    pub hundredths: i64,
    /// `proposed`, `approved`, `declined`.
    pub decision: String,
    /// `not_started`, `in_progress`, `done`.
    pub work: String,
}

/// The station a principal works at, if any.
pub fn station_of(p: &Principal) -> Option<i64> {
    match p.unit {
        Unit::Station(s, _) => Some(s.get()),
        _ => None,
    }
}

/// The labour lines assigned to the technician `staff_id` on open orders of `station_id`.
pub async fn jobs(app: &App, grant: &Grant, station_id: i64, staff_id: i64) -> AppResult<Vec<Job>> {
    let items = board(app, grant, station_id).await?;
    Ok(items
        .into_iter()
        .flat_map(|b| {
            let (plate, stage, id) = (b.plate.clone(), b.current_stage.clone(), b.id);
            b.lines
                .into_iter()
                .filter(move |l| l.technician_id == Some(staff_id) && l.kind == "labour")
                .map(move |l| Job {
                    order_id: id,
                    plate: plate.clone(),
                    current_stage: stage.clone(),
                    line_no: l.line_no,
                    code: l.code,
                    hundredths: l.hundredths,
                    decision: l.decision,
                    work: l.work,
                })
        })
        .collect())
}

/// The columns a technician's job list may be sorted by: (key in the page's link,
/// the field). The list is built from one station's open orders (a few dozen lines
/// at most), so it is sorted and cut into pages here, by whitelisted key only.
pub const JOB_ORDERS: &[(&str, &str)] = &[
    ("order", "order_id"),
    ("plate", "plate"),
    ("stage", "current_stage"),
    ("work", "work"),
];

/// One page of [`jobs`], in the order a person chose from [`JOB_ORDERS`] (the
/// board's order otherwise), with the count of all of them.
pub async fn jobs_page(
    app: &App,
    grant: &Grant,
    station_id: i64,
    staff_id: i64,
    order: Option<crate::Order>,
    page: crate::Page,
) -> AppResult<crate::Paged<Job>> {
    let mut all = jobs(app, grant, station_id, staff_id).await?;
    if let Some(o) = order {
        all.sort_by(|a, b| {
            let by = match o.key {
                "plate" => a.plate.cmp(&b.plate),
                "stage" => a.current_stage.cmp(&b.current_stage),
                "work" => a.work.cmp(&b.work),
                _ => a.order_id.cmp(&b.order_id),
            };
            let by = if o.desc { by.reverse() } else { by };
            by.then(a.order_id.cmp(&b.order_id))
                .then(a.line_no.cmp(&b.line_no))
        });
    }
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let skip = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let take = usize::try_from(page.per_page).unwrap_or(0);
    Ok(crate::Paged {
        items: all.into_iter().skip(skip).take(take).collect(),
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// Publishes 30 days of capacity for a station that has none in the next 14 days, so
/// booking works from a station's first day. A bootstrap step, taken as the system
/// administrator. (The holiday plan needs no seeding here: an empty plan reads as
/// China's published one, and re-seeding would undo dates head office removed.)
pub async fn ensure_ready(app: &App, station_id: i64) -> AppResult<()> {
    let now = app.clock.now();
    let mut c = crate::conn(app).await?;
    let to = now.as_millisecond() + 14 * 24 * 3_600_000;
    let slots =
        store::capacity::slots_between(&mut c, station_id, now.as_millisecond(), to).await?;
    if !slots.is_empty() {
        return Ok(());
    }
    let tz = crate::calendar::station_zone(&mut c, station_id).await?;
    drop(c);
    let system = Principal {
        kind: domain::permission::ActorKind::Person,
        id: 0,
        name: "system".into(),
        role: Role::Administrator,
        unit: Unit::HeadOffice,
    };
    let grant = system
        .grant(Action::CapacityAdmin)
        .map_err(|_| AppError::Forbidden)?;
    let today = tz.to_datetime(now).date();
    crate::capacity::publish(app, &grant, station_id, today, 30, None).await?;
    Ok(())
}
