//! One station-month of the simulator: the month's planned orders walked through
//! the repair-order state machine, their survey answers checked by the
//! questionnaire and their complaints moved by the complaint workflow ([`plan`],
//! no database), then written table by table (parents before children) in
//! multi-row statements, in one transaction ([`write`]).
//!
//! The two halves are apart so that the run can plan the next batch while earlier
//! ones are written, and write two at once on PostgreSQL (each batch's rows point
//! only to its own rows and to the network, so batches never wait on each other).
//! Ids come from [`Ids`], handed out in planning order, so the rows do not depend on
//! which write finishes first.

use super::model::{DAY_MS, MIN_MS, Shared, Station, Summary, VAT_BP, internal};
use super::rows::{ComplaintRow, LineRow, OrderRow, Rows, write as write_rows};
use super::walk::{Walked, walk};
use crate::AppResult;
use crate::shared::refused;
use domain::complaint::workflow::{Event as Move, State as Stage6, transition};
use domain::estimate::LineItem;
use domain::repair_order::Stage;
use domain::simulation::Params;
use domain::simulation::order::{MonthSpec, OrderPlan, month_orders};
use sqlx::{AnyConnection, Row};
use std::collections::HashSet;
use std::sync::Arc;
use store::Db;

/// The path every simulated complaint takes after its first response.
const COMPLAINT_PATH: [Move; 6] = [
    Move::StartAnalysis,
    Move::ProposeSolution,
    Move::CustomerAccepts,
    Move::StartWork,
    Move::FinishWork,
    Move::Close,
];

/// The next free id of each table the batches write with explicit ids, read once
/// when the run starts (the run is the database's only writer).
pub(super) struct Ids {
    appointment: i64,
    order: i64,
    invitation: i64,
    complaint: i64,
    bill: i64,
}

impl Ids {
    /// One past the largest id of each table.
    pub(super) async fn read(db: &Db) -> AppResult<Ids> {
        let mut c = db.pool.acquire().await?;
        Ok(Ids {
            appointment: next_id(&mut c, "appointments").await?,
            order: next_id(&mut c, "repair_orders").await?,
            invitation: next_id(&mut c, "survey_invitations").await?,
            complaint: next_id(&mut c, "complaints").await?,
            bill: next_id(&mut c, "bills").await?,
        })
    }
}

/// Takes the next id of a counter.
fn take(next: &mut i64) -> i64 {
    *next += 1;
    *next - 1
}

async fn next_id(c: &mut AnyConnection, table: &str) -> AppResult<i64> {
    let sql = format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}");
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_one(c)
        .await?
        .try_get::<i64, _>(0)?)
}

/// The local instant of `day` at `minute` after midnight in the station's zone.
fn local(s: &Station, m: MonthSpec, day: i8, minute: i64) -> AppResult<i64> {
    let d = jiff::civil::Date::new(m.year, m.month, day).map_err(internal)?;
    let at = d
        .to_datetime(jiff::civil::Time::midnight())
        .to_zoned(s.zone.clone())
        .map_err(internal)?;
    Ok(at.timestamp().as_millisecond() + minute * MIN_MS)
}

/// The rows of station `s` in month `m`, every move checked by the domain rules, with
/// ids from `ids`; `consent` holds the station's owners who agreed to surveys. Adds
/// what it planned to `sum` (all but the alerts, which [`write`] opens).
#[allow(clippy::too_many_arguments)]
pub(super) fn plan(
    p: &Params,
    shared: &Shared,
    consent: &HashSet<i64>,
    s: &Station,
    m: MonthSpec,
    cutoff: i64,
    ids: &mut Ids,
    sum: &mut Summary,
) -> AppResult<Rows> {
    let mut rows = Rows::default();
    if s.vehicles.is_empty() {
        return Ok(rows);
    }
    let plans = month_orders(
        p.seed(),
        s.id,
        &s.profile,
        m,
        p.volume_percent(),
        &shared.standard,
        s.rate_fen,
    );
    for plan in &plans {
        let received = local(s, m, plan.day, plan.minute)?;
        let (vehicle, customer) = s.vehicles[(plan.draw % s.vehicles.len() as u64) as usize];
        let w = walk(&shared.standard, plan, received, s, customer, false)?;
        if w.delivered >= cutoff {
            continue;
        }
        let appointment = plan.booked.then(|| take(&mut ids.appointment));
        let id = take(&mut ids.order);
        if let Some(a) = appointment {
            let slots = (plan.labour_hundredths * 60 / 100).max(30);
            let channel = if plan.draw % 3 == 0 {
                "hotline"
            } else {
                "owner_app"
            };
            rows.appointments.push((
                a,
                customer,
                vehicle,
                id,
                channel,
                received,
                slots,
                plan.draw as i64 & 1,
            ));
        }
        push_order(
            &mut rows,
            plan,
            &w,
            id,
            customer,
            vehicle,
            appointment,
            None,
        );
        if let Some(days) = plan.comeback_after_days {
            let back = w.delivered + days * DAY_MS;
            let again = walk(&shared.standard, plan, back, s, customer, true)?;
            if again.delivered < cutoff {
                let cid = take(&mut ids.order);
                push_order(
                    &mut rows,
                    plan,
                    &again,
                    cid,
                    customer,
                    vehicle,
                    None,
                    Some(id),
                );
                sum.comebacks += 1;
            }
        }
        let who = (id, customer, vehicle);
        let next = &mut ids.invitation;
        super::survey::delivery(shared, consent, plan, &w, who, cutoff, next, &mut rows)?;
        if let Some(c) = plan
            .complaint
            .filter(|_| shared.spare_station != Some(s.id))
        {
            let at = w.delivered + c.after_minutes * MIN_MS;
            let closed = at + c.closure_minutes * MIN_MS;
            if closed < cutoff {
                let cid = take(&mut ids.complaint);
                // The workflow decides every move; a refused one stops the batch.
                let mut st = transition(Stage6::Received, Move::Acknowledge).map_err(refused)?;
                rows.complaint_events.push((cid, at, "received"));
                rows.complaint_events.push((
                    cid,
                    at + c.response_minutes * MIN_MS,
                    Move::Acknowledge.code(),
                ));
                let steps = COMPLAINT_PATH.len() as i64;
                for (i, mv) in COMPLAINT_PATH.iter().enumerate() {
                    st = transition(st, *mv).map_err(refused)?;
                    let span = c.closure_minutes - c.response_minutes;
                    let t = at + (c.response_minutes + span * (i as i64 + 1) / steps) * MIN_MS;
                    rows.complaint_events.push((cid, t, mv.code()));
                }
                debug_assert_eq!(st, Stage6::Closed);
                rows.complaints.push(ComplaintRow {
                    id: cid,
                    order: id,
                    customer,
                    vehicle,
                    category: c.category.code(),
                    received: at,
                    closed,
                });
            }
        }
    }
    rows.first_bill = ids.bill;
    ids.bill += rows.bills.len() as i64;
    sum.orders += rows.orders.len() as u64;
    sum.appointments += rows.appointments.len() as u64;
    sum.surveys += rows.invitations.len() as u64;
    sum.answered += rows.answered.len() as u64;
    sum.complaints += rows.complaints.len() as u64;
    Ok(rows)
}

/// Writes a planned batch of station `s` and opens the hot alerts of its answers, in
/// one transaction; answers the alerts (opened, left open).
pub(super) async fn write(
    db: Db,
    shared: Arc<Shared>,
    s: Station,
    rows: Rows,
    cutoff: i64,
) -> AppResult<(u64, u64)> {
    if rows.orders.is_empty() {
        return Ok((0, 0));
    }
    let mut tx = db.begin().await?;
    write_rows(&mut tx, db.backend, &shared, &s, &rows).await?;
    let alerts = super::survey::alerts(&mut tx, &s, &rows.answered, cutoff).await?;
    tx.commit().await?;
    Ok(alerts)
}

/// Adds a walked order with everything it carries: its row, its stage, estimate and
/// work events in the order they happened, its checked checkpoints (their rows
/// only: a `checkpoint_checked` event each would double the order's rows and cost
/// the run more than the 30 % a simulated order may grow by; the checkpoint rows
/// hold the same code, stage and time), its estimate lines and its bill (the
/// invoice of the estimate).
#[allow(clippy::too_many_arguments)]
fn push_order(
    rows: &mut Rows,
    plan: &OrderPlan,
    w: &Walked,
    id: i64,
    customer: i64,
    vehicle: i64,
    appointment: Option<i64>,
    comeback_of: Option<i64>,
) {
    let received = w.stages.first().map_or(w.delivered, |x| x.1);
    rows.orders.push(OrderRow {
        id,
        customer,
        vehicle,
        appointment,
        service: if comeback_of.is_some() {
            "repair"
        } else {
            plan.service.code()
        },
        received,
        promised: w.promised,
        delivered: w.delivered,
        comeback_of,
        vat_bp: VAT_BP,
    });
    for (stage, start, end) in &w.stages {
        let code = stage.code();
        rows.events.push((
            id,
            *start,
            "stage_started",
            format!("{{\"stage\":\"{code}\"}}"),
        ));
        match stage {
            Stage::Diagnosis => line_events(rows, w, id),
            Stage::Repair => work_events(rows, w, id),
            _ => {}
        }
        rows.events.push((
            id,
            *end,
            "stage_completed",
            format!("{{\"stage\":\"{code}\"}}"),
        ));
    }
    rows.checks.extend(w.checks.iter().map(|c| (id, c.clone())));
    rows.lines
        .extend(w.estimate.lines().iter().map(|l| LineRow {
            order: id,
            line: l.clone(),
            added_at: w.approved_at,
        }));
    rows.bills
        .push((id, customer, w.delivered, w.estimate.invoice()));
}

/// The estimate's events at diagnosis: each line added, then approved with the
/// promise (as `estimate::add_line` and `estimate::approve` record them).
fn line_events(rows: &mut Rows, w: &Walked, id: i64) {
    for l in w.estimate.lines() {
        let (kind, code, hundredths) = match &l.item {
            LineItem::Labour {
                operation_code,
                hundredths,
                ..
            } => ("labour", operation_code, hundredths),
            LineItem::Part {
                part_number,
                quantity_hundredths,
                ..
            } => ("part", part_number, quantity_hundredths),
        };
        let added = serde_json::json!({
            "line": l.no, "kind": kind, "code": code, "hundredths": hundredths,
            "amount_fen": l.charge().fen(), "extra": false, "comeback": l.comeback,
        });
        rows.events
            .push((id, w.approved_at, "line_added", added.to_string()));
        if let Some(r) = &l.record {
            let approved = serde_json::json!({
                "line": l.no, "by": r.by, "channel": r.channel.code(), "ip": null,
                "signature_ref": null, "promised_at": w.promised,
            });
            rows.events
                .push((id, w.approved_at, "line_approved", approved.to_string()));
        }
    }
}

/// The repair's events: labour started and finished, parts fitted.
fn work_events(rows: &mut Rows, w: &Walked, id: i64) {
    let (from, to) = w.worked;
    for l in w.estimate.lines() {
        let line = format!("{{\"line\":{}}}", l.no);
        if matches!(l.item, LineItem::Labour { .. }) {
            rows.events.push((id, from, "work_started", line.clone()));
            rows.events.push((id, to, "work_finished", line));
        } else {
            rows.events.push((id, to, "part_fitted", line));
        }
    }
}
