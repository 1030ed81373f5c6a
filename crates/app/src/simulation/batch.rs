//! One station-month of the simulator: the month's planned orders walked through
//! the repair-order state machine, their survey answers checked by the
//! questionnaire and their complaints moved by the complaint workflow, then written
//! table by table (parents before children) in multi-row statements, in one
//! transaction.

use super::model::{DAY_MS, MIN_MS, OPERATION, Shared, Station, Summary, internal};
use super::rows::{ComplaintRow, Invitation, OrderRow, Rows, write};
use crate::shared::{refused, ts};
use crate::{AppError, AppResult};
use domain::certification::{Requirement, clear};
use domain::complaint::workflow::{Event as Move, State as Stage6, transition};
use domain::privacy::consent::ConsentPurpose;
use domain::repair_order::{CheckRule, RepairOrder, Stage, StageStandard};
use domain::simulation::Params;
use domain::simulation::answers::raw_answers;
use domain::simulation::order::{MonthSpec, OrderPlan, SurveyOutcome, month_orders};
use domain::survey::Answer;
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;
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

/// An order walked through the state machine: its stages' instants (UTC ms).
struct Walked {
    stages: Vec<(Stage, i64, i64)>,
    promised: i64,
    delivered: i64,
}

/// Walks `plan` received at `received` through `domain::repair_order`: every stage
/// started and completed in order with its required checkpoints checked, the labour
/// line proposed and approved at diagnosis with the promise, and worked by a cleared
/// technician during repair. A plan the rules refuse is an error, not a row.
fn walk(
    standard: &StageStandard,
    plan: &OrderPlan,
    received: i64,
    s: &Station,
) -> AppResult<Walked> {
    let mut o = RepairOrder::new(standard.clone()).map_err(refused)?;
    let promised = received + plan.promise_minutes * MIN_MS;
    let mut t = received;
    let mut stages = Vec::with_capacity(plan.stages.len());
    for sp in &plan.stages {
        let start = t + sp.wait * MIN_MS;
        let end = start + sp.minutes * MIN_MS;
        o.start_stage(sp.stage, ts(start)?).map_err(refused)?;
        if let Some(spec) = standard.spec(sp.stage) {
            for c in spec
                .checkpoints
                .iter()
                .filter(|c| c.rule == CheckRule::Required)
            {
                o.check(&c.code).map_err(refused)?;
            }
        }
        match sp.stage {
            Stage::Diagnosis => {
                let no = o
                    .propose_line(OPERATION, plan.labour_hundredths)
                    .map_err(refused)?;
                o.approve_line(no).map_err(refused)?;
                o.promise(ts(promised)?).map_err(refused)?;
            }
            Stage::Repair => {
                let day = ts(start)?.to_zoned(s.zone.clone()).date();
                let lines: Vec<u32> = o.lines().iter().map(|l| l.no).collect();
                for no in lines {
                    let by = clear(no, Some(0), &[], Requirement::default(), day);
                    o.start_work(no, by).map_err(refused)?;
                    o.finish_work(no).map_err(refused)?;
                }
            }
            _ => {}
        }
        o.complete_stage(sp.stage, ts(end)?).map_err(refused)?;
        stages.push((sp.stage, start, end));
        t = end;
    }
    let delivered = o
        .delivered_at()
        .ok_or_else(|| AppError::Internal("simulated order not delivered".into()))?
        .as_millisecond();
    Ok(Walked {
        stages,
        promised,
        delivered,
    })
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

/// Simulates station `s` in month `m`, in one transaction; adds what it wrote to `sum`.
#[allow(clippy::too_many_arguments)]
pub(super) async fn station_month(
    db: &Db,
    p: &Params,
    shared: &mut Shared,
    s: &Station,
    m: MonthSpec,
    cutoff: i64,
    sum: &mut Summary,
) -> AppResult<()> {
    if s.vehicles.is_empty() {
        return Ok(());
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
    let mut tx = db.begin().await?;
    let mut ids = [
        next_id(&mut tx, "appointments").await?,
        next_id(&mut tx, "repair_orders").await?,
        next_id(&mut tx, "survey_invitations").await?,
        next_id(&mut tx, "complaints").await?,
    ];
    let mut rows = Rows::default();
    for plan in &plans {
        let received = local(s, m, plan.day, plan.minute)?;
        let w = walk(&shared.standard, plan, received, s)?;
        if w.delivered >= cutoff {
            continue;
        }
        let (vehicle, customer) = s.vehicles[(plan.draw % s.vehicles.len() as u64) as usize];
        let appointment = plan.booked.then(|| {
            ids[0] += 1;
            ids[0] - 1
        });
        let id = ids[1];
        ids[1] += 1;
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
            let again = walk(&shared.standard, plan, back, s)?;
            if again.delivered < cutoff {
                let cid = ids[1];
                ids[1] += 1;
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
        let ids_inv = &mut ids[2];
        survey(
            shared, plan, &w, id, customer, vehicle, cutoff, ids_inv, &mut rows, &mut tx,
        )
        .await?;
        if let Some(c) = plan
            .complaint
            .filter(|_| shared.spare_station != Some(s.id))
        {
            let at = w.delivered + c.after_minutes * MIN_MS;
            let closed = at + c.closure_minutes * MIN_MS;
            if closed < cutoff {
                let cid = ids[3];
                ids[3] += 1;
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
    write(&mut tx, db.backend, shared, s, &rows).await?;
    for (at, csi, recommend) in &rows.answered {
        crate::kpi::record::survey_answered(&mut tx, s.id, *at, *csi, *recommend).await?;
    }
    tx.commit().await?;
    sum.orders += rows.orders.len() as u64;
    sum.appointments += rows.appointments.len() as u64;
    sum.surveys += rows.invitations.len() as u64;
    sum.answered += rows.answered.len() as u64;
    sum.complaints += rows.complaints.len() as u64;
    Ok(())
}

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
    });
    for (stage, start, end) in &w.stages {
        rows.events
            .push((id, *start, "stage_started", stage.code()));
        rows.events
            .push((id, *end, "stage_completed", stage.code()));
    }
    // A comeback is repaired free of charge: its bill is of nothing.
    let net = if comeback_of.is_some() {
        0
    } else {
        plan.net_fen
    };
    rows.bills
        .push((id, customer, net, w.delivered, plan.labour_hundredths));
}

/// The survey of one delivered order, if the owner consents and its outcome falls
/// before the end of the simulated world.
#[allow(clippy::too_many_arguments)]
async fn survey(
    shared: &mut Shared,
    plan: &OrderPlan,
    w: &Walked,
    order: i64,
    customer: i64,
    vehicle: i64,
    cutoff: i64,
    next: &mut i64,
    rows: &mut Rows,
    tx: &mut AnyConnection,
) -> AppResult<()> {
    let consents = match shared.consent.get(&customer) {
        Some(c) => *c,
        None => {
            let c =
                crate::privacy::consent::allows_now(tx, customer, ConsentPurpose::Surveys).await?;
            shared.consent.insert(customer, c);
            c
        }
    };
    if !consents {
        return Ok(());
    }
    let call = w.delivered + DAY_MS;
    let expires = w.delivered + domain::survey::LINK_VALID_DAYS * DAY_MS;
    let (state, reason, at, via) = match plan.survey {
        SurveyOutcome::Answered { after_minutes, .. } => (
            "answered",
            None,
            Some(w.delivered + after_minutes * MIN_MS),
            Some("owner"),
        ),
        SurveyOutcome::Refused => ("refused", Some("不方便"), Some(call), Some("call")),
        SurveyOutcome::Unreachable => ("unreachable", Some("no_answer"), Some(call), Some("call")),
        SurveyOutcome::Silent => ("expired", None, None, None),
    };
    if at.unwrap_or(expires) >= cutoff {
        return Ok(());
    }
    let id = *next;
    *next += 1;
    if let SurveyOutcome::Answered {
        satisfaction,
        recommend,
        comment,
        ..
    } = plan.survey
    {
        let q = &shared.questionnaire;
        let raw = raw_answers(q, satisfaction, recommend, comment, plan.draw);
        let mut checked: BTreeMap<String, Answer> = BTreeMap::new();
        let answered_at = at.unwrap_or(w.delivered);
        for (k, v) in &raw {
            // The same check as an owner's or agent's answer: out of scale is refused.
            let a = q.check(k, v).map_err(refused)?;
            let (score, text) = match &a {
                Answer::Score(x) => (Some(i64::from(*x)), None),
                Answer::Text(t) => (None, Some(t.clone())),
            };
            rows.answers
                .push((id, k.to_string(), score, text, answered_at));
            checked.insert(k.to_string(), a);
        }
        let csi = domain::survey::score::respondent_csi(q, &checked);
        let rec = domain::survey::score::recommend(q, &checked);
        rows.answered.push((answered_at, csi, rec));
    }
    rows.invitations.push(Invitation {
        id,
        order,
        customer,
        vehicle,
        state,
        reason,
        delivered: w.delivered,
        answered_at: at,
        via,
    });
    Ok(())
}
