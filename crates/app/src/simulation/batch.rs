//! One station-month of the simulator: the month's planned orders walked through
//! the repair-order state machine, their survey answers checked by the
//! questionnaire and their complaints moved by the complaint workflow, then written
//! table by table (parents before children) in multi-row statements, in one
//! transaction.

use super::model::{Station, Summary, internal};
use super::money::VAT_BP;
use crate::demo::bulk::Bulk;
use crate::shared::{refused, ts};
use crate::{AppError, AppResult};
use domain::certification::{Requirement, clear};
use domain::complaint::workflow::{Event as Move, State as Stage6, transition};
use domain::privacy::consent::ConsentPurpose;
use domain::repair_order::{CheckRule, RepairOrder, Stage, StageStandard};
use domain::simulation::Params;
use domain::simulation::answers::raw_answers;
use domain::simulation::order::{MonthSpec, OrderPlan, SurveyOutcome, month_orders};
use domain::survey::{Answer, Questionnaire};
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, HashMap};
use store::{Backend, Db};

const MIN_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
/// The labour operation simulated orders book (one line per order).
const OPERATION: &str = "SIM-SERVICE";
/// The path every simulated complaint takes after its first response.
const COMPLAINT_PATH: [Move; 6] = [
    Move::StartAnalysis,
    Move::ProposeSolution,
    Move::CustomerAccepts,
    Move::StartWork,
    Move::FinishWork,
    Move::Close,
];

/// What every batch of a run shares: the standard, the questionnaire, the complaint
/// policies, and who has said yes to surveys.
pub(crate) struct Shared {
    pub standard: StageStandard,
    pub questionnaire: Questionnaire,
    /// Policy id per complaint category code (normal severity).
    pub policies: HashMap<&'static str, i64>,
    /// Survey consent per customer, filled as customers come.
    pub consent: HashMap<i64, bool>,
    /// A station that files no simulated complaints (the demo's first tells its own).
    pub spare_station: Option<i64>,
}

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

/// An appointment: id, customer, vehicle, order, channel, received, minutes, class.
type AppointmentRow = (i64, i64, i64, i64, &'static str, i64, i64, i64);
/// An answer: invitation, question key, score, text, answered at.
type AnswerRow = (i64, String, Option<i64>, Option<String>, i64);

/// The rows of one batch, collected before writing so parents go in first.
#[derive(Default)]
struct Rows {
    appointments: Vec<AppointmentRow>,
    orders: Vec<OrderRow>,
    events: Vec<(i64, i64, &'static str, &'static str)>,
    bills: Vec<(i64, i64, i64, i64, i64)>,
    invitations: Vec<Invitation>,
    answers: Vec<AnswerRow>,
    complaints: Vec<ComplaintRow>,
    complaint_events: Vec<(i64, i64, &'static str)>,
    /// (answered at, CSI points, recommend) per answered survey, for the KPI hook.
    answered: Vec<(i64, Option<f64>, Option<u8>)>,
}

struct OrderRow {
    id: i64,
    customer: i64,
    vehicle: i64,
    appointment: Option<i64>,
    service: &'static str,
    received: i64,
    promised: i64,
    delivered: i64,
    comeback_of: Option<i64>,
}

struct Invitation {
    id: i64,
    order: i64,
    customer: i64,
    vehicle: i64,
    state: &'static str,
    reason: Option<&'static str>,
    delivered: i64,
    answered_at: Option<i64>,
    via: Option<&'static str>,
}

struct ComplaintRow {
    id: i64,
    order: i64,
    customer: i64,
    vehicle: i64,
    category: &'static str,
    received: i64,
    closed: i64,
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

/// Writes the batch's rows, parents first.
async fn write(
    tx: &mut AnyConnection,
    backend: Backend,
    shared: &Shared,
    s: &Station,
    r: &Rows,
) -> AppResult<()> {
    let mut b = Bulk::new(
        backend,
        "appointments",
        &[
            "id",
            "station_id",
            "customer_id",
            "vehicle_id",
            "service_type",
            "channel",
            "start_at",
            "duration_minutes",
            "slot_minutes",
            "slot_count",
            "tech_class",
            "operation_codes",
            "state",
            "checked_in_at",
            "repair_order_id",
            "closed_at",
            "created_at",
            "updated_at",
        ],
    );
    let service_of: HashMap<i64, &str> = r.orders.iter().map(|o| (o.id, o.service)).collect();
    for (id, customer, vehicle, order, channel, received, minutes, class) in &r.appointments {
        let start = received - received.rem_euclid(30 * MIN_MS);
        b.i(*id)?;
        b.i(s.id)?;
        b.i(*customer)?;
        b.i(*vehicle)?;
        b.s(service_of.get(order).copied().unwrap_or("maintenance"))?;
        b.s(*channel)?;
        b.i(start)?;
        b.i(*minutes)?;
        b.i(30)?;
        b.i((minutes + 29) / 30)?;
        b.i(1 + class)?;
        b.s(OPERATION)?;
        b.s("converted")?;
        b.i(*received)?;
        b.i(*order)?;
        b.i(*received)?;
        b.i(start - 3 * DAY_MS)?;
        b.i(*received)?;
        b.row_then_flush(tx).await?;
    }
    b.flush(tx).await?;
    let mut b = Bulk::new(
        backend,
        "repair_orders",
        &[
            "id",
            "station_id",
            "customer_id",
            "vehicle_id",
            "appointment_id",
            "concern",
            "state",
            "standard_version",
            "hourly_rate_fen",
            "vat_bp",
            "promised_at",
            "received_at",
            "delivered_at",
            "late_minutes",
            "comeback_of",
            "service_type",
            "created_at",
            "updated_at",
        ],
    );
    for o in &r.orders {
        b.i(o.id)?;
        b.i(s.id)?;
        b.i(o.customer)?;
        b.i(o.vehicle)?;
        b.oi(o.appointment)?;
        b.s(concern(o.service, o.comeback_of.is_some()))?;
        b.s("delivered")?;
        b.i(i64::from(shared.standard.version))?;
        b.i(s.rate_fen)?;
        b.i(VAT_BP)?;
        b.i(o.promised)?;
        b.i(o.received)?;
        b.i(o.delivered)?;
        b.oi((o.delivered > o.promised).then(|| (o.delivered - o.promised) / MIN_MS))?;
        b.oi(o.comeback_of)?;
        b.s(o.service)?;
        b.i(o.received)?;
        b.i(o.delivered)?;
        b.row_then_flush(tx).await?;
    }
    b.flush(tx).await?;
    let mut b = Bulk::new(
        backend,
        "events",
        &[
            "at",
            "actor_role",
            "actor_id",
            "entity",
            "entity_id",
            "kind",
            "data",
        ],
    );
    for (order, at, kind, stage) in &r.events {
        b.i(*at)?;
        b.s("system")?;
        b.i(0)?;
        b.s("repair_order")?;
        b.i(*order)?;
        b.s(*kind)?;
        b.s(format!("{{\"stage\":\"{stage}\"}}"))?;
        b.row_then_flush(tx).await?;
    }
    b.flush(tx).await?;
    super::money::bills(tx, backend, s, &r.bills).await?;
    let mut b = Bulk::new(
        backend,
        "survey_invitations",
        &[
            "id",
            "customer_id",
            "vehicle_id",
            "repair_order_id",
            "station_id",
            "region_id",
            "reason",
            "version",
            "state",
            "state_reason",
            "expires_at",
            "due_at",
            "created_at",
            "answered_at",
            "answered_via",
        ],
    );
    for i in &r.invitations {
        b.i(i.id)?;
        b.i(i.customer)?;
        b.i(i.vehicle)?;
        b.i(i.order)?;
        b.i(s.id)?;
        b.i(s.region_id)?;
        b.s("delivery")?;
        b.i(i64::from(shared.questionnaire.version))?;
        b.s(i.state)?;
        b.os(i.reason.map(str::to_string))?;
        b.i(i.delivered + domain::survey::LINK_VALID_DAYS * DAY_MS)?;
        b.i(i.delivered + domain::survey::DELIVERY_DUE_DAYS * DAY_MS)?;
        b.i(i.delivered)?;
        b.oi(i.answered_at)?;
        b.os(i.via.map(str::to_string))?;
        b.row_then_flush(tx).await?;
    }
    b.flush(tx).await?;
    let mut b = Bulk::new(
        backend,
        "survey_answers",
        &[
            "invitation_id",
            "question_key",
            "version",
            "score",
            "text",
            "answered_at",
        ],
    );
    for (inv, key, score, text, at) in &r.answers {
        b.i(*inv)?;
        b.s(key.clone())?;
        b.i(i64::from(shared.questionnaire.version))?;
        b.oi(*score)?;
        b.os(text.clone())?;
        b.i(*at)?;
        b.row_then_flush(tx).await?;
    }
    b.flush(tx).await?;
    complaints(tx, backend, shared, s, r).await
}

async fn complaints(
    tx: &mut AnyConnection,
    backend: Backend,
    shared: &Shared,
    s: &Station,
    r: &Rows,
) -> AppResult<()> {
    let mut b = Bulk::new(
        backend,
        "complaints",
        &[
            "id",
            "station_id",
            "region_id",
            "customer_id",
            "vehicle_id",
            "repair_order_id",
            "channel",
            "category",
            "severity",
            "description",
            "state",
            "policy_id",
            "clock_no",
            "clock_started_at",
            "analysed_at",
            "responsibility",
            "cause",
            "received_at",
            "closed_at",
            "created_by",
        ],
    );
    for c in &r.complaints {
        let policy = shared
            .policies
            .get(c.category)
            .copied()
            .ok_or_else(|| AppError::Internal(format!("no policy for {}", c.category)))?;
        b.i(c.id)?;
        b.i(s.id)?;
        b.i(s.region_id)?;
        b.i(c.customer)?;
        b.i(c.vehicle)?;
        b.i(c.order)?;
        b.s("hotline")?;
        b.s(c.category)?;
        b.s("normal")?;
        b.s("车主来电反映本次维修服务问题")?;
        b.s("closed")?;
        b.i(policy)?;
        b.i(1)?;
        b.i(c.received)?;
        b.i(c.received + (c.closed - c.received) / 3)?;
        b.s("station")?;
        b.s("服务流程执行不到位")?;
        b.i(c.received)?;
        b.i(c.closed)?;
        b.i(0)?;
        b.row_then_flush(tx).await?;
    }
    b.flush(tx).await?;
    let mut b = Bulk::new(
        backend,
        "complaint_events",
        &[
            "complaint_id",
            "at",
            "kind",
            "actor_role",
            "actor_id",
            "detail",
        ],
    );
    for (id, at, kind) in &r.complaint_events {
        b.i(*id)?;
        b.i(*at)?;
        b.s(*kind)?;
        b.s("system")?;
        b.i(0)?;
        b.s("{}")?;
        b.row_then_flush(tx).await?;
    }
    b.flush(tx).await
}

/// The owner's concern as the advisor would write it.
fn concern(service: &str, comeback: bool) -> &'static str {
    if comeback {
        return "上次维修后同一问题再次出现";
    }
    match service {
        "maintenance" => "定期保养",
        "warranty" => "保修期内故障检修",
        "accident_body" => "事故车钣喷修复",
        "ev_battery_check" => "动力电池检测",
        _ => "故障检修",
    }
}

/// Moves PostgreSQL's id sequences past the explicit ids written.
pub(super) async fn reset_sequences(db: &Db) -> AppResult<()> {
    let mut c = db.pool.acquire().await?;
    for table in [
        "appointments",
        "repair_orders",
        "bills",
        "survey_invitations",
        "complaints",
    ] {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{table}','id'), (SELECT MAX(id) FROM {table}))"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}
