//! The rows of one station-month of the simulator and how they are written: table by
//! table, parents before children, in multi-row statements on the batch's
//! transaction (the walking and checking is `batch`).

use super::model::{DAY_MS, MIN_MS, OPERATION, Shared, Station};
use super::walk::Check;
use crate::{AppError, AppResult};
use domain::estimate::{EstimateLine, Invoice, LineItem};
use sqlx::AnyConnection;
use std::collections::HashMap;
use store::bulk::insert_all;
use store::{Backend, Db};

/// An appointment: id, customer, vehicle, order, channel, received, minutes, class.
pub(super) type AppointmentRow = (i64, i64, i64, i64, &'static str, i64, i64, i64);
/// An answer: invitation, question key, score, text, answered at.
pub(super) type AnswerRow = (i64, String, Option<i64>, Option<String>, i64);

/// The rows of one batch, collected before writing so parents go in first.
#[derive(Default)]
pub(super) struct Rows {
    pub(super) appointments: Vec<AppointmentRow>,
    pub(super) orders: Vec<OrderRow>,
    /// Order events: order, at, kind, data (JSON).
    pub(super) events: Vec<(i64, i64, &'static str, String)>,
    /// Checked checkpoints per order.
    pub(super) checks: Vec<(i64, Check)>,
    /// Estimate lines per order, with when they were added.
    pub(super) lines: Vec<LineRow>,
    /// Bills: order, customer, issued at, the invoice.
    pub(super) bills: Vec<(i64, i64, i64, Invoice)>,
    /// The id of the first bill (the others follow it).
    pub(super) first_bill: i64,
    pub(super) invitations: Vec<Invitation>,
    pub(super) answers: Vec<AnswerRow>,
    pub(super) complaints: Vec<ComplaintRow>,
    pub(super) complaint_events: Vec<(i64, i64, &'static str)>,
    /// Each answered survey, for the hot alerts.
    pub(super) answered: Vec<Answered>,
}

/// An answered delivery survey as the answer use case weighs it.
pub(super) struct Answered {
    pub(super) invitation: i64,
    pub(super) customer: i64,
    pub(super) at: i64,
    /// What calls for a hot alert (empty: nothing).
    pub(super) triggers: Vec<domain::survey::alert::Trigger>,
    /// The order's draw (fixes the call-back time).
    pub(super) draw: u64,
}

/// An estimate line of an order as the estimate use cases leave it.
pub(super) struct LineRow {
    pub(super) order: i64,
    pub(super) line: EstimateLine,
    pub(super) added_at: i64,
}

pub(super) struct OrderRow {
    pub(super) id: i64,
    pub(super) customer: i64,
    pub(super) vehicle: i64,
    pub(super) appointment: Option<i64>,
    pub(super) service: &'static str,
    pub(super) received: i64,
    pub(super) promised: i64,
    pub(super) delivered: i64,
    pub(super) comeback_of: Option<i64>,
    pub(super) vat_bp: i64,
}

pub(super) struct Invitation {
    pub(super) id: i64,
    pub(super) order: i64,
    pub(super) customer: i64,
    pub(super) vehicle: i64,
    pub(super) state: &'static str,
    pub(super) reason: Option<&'static str>,
    pub(super) delivered: i64,
    pub(super) answered_at: Option<i64>,
    pub(super) via: Option<&'static str>,
}

pub(super) struct ComplaintRow {
    pub(super) id: i64,
    pub(super) order: i64,
    pub(super) customer: i64,
    pub(super) vehicle: i64,
    pub(super) category: &'static str,
    pub(super) received: i64,
    pub(super) closed: i64,
}

/// Writes the batch's rows, parents first, each table in multi-row statements.
pub(super) async fn write(
    tx: &mut AnyConnection,
    backend: Backend,
    shared: &Shared,
    s: &Station,
    r: &Rows,
) -> AppResult<()> {
    let service_of: HashMap<i64, &str> = r.orders.iter().map(|o| (o.id, o.service)).collect();
    insert_all(
        tx,
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
        &r.appointments,
        |b, (id, customer, vehicle, order, channel, received, minutes, class)| {
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
            b.i(*received)
        },
    )
    .await?;
    insert_all(
        tx,
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
        &r.orders,
        |b, o| {
            b.i(o.id)?;
            b.i(s.id)?;
            b.i(o.customer)?;
            b.i(o.vehicle)?;
            b.oi(o.appointment)?;
            b.s(concern(o.service, o.comeback_of.is_some()))?;
            b.s("delivered")?;
            b.i(i64::from(shared.standard.version))?;
            b.i(s.rate_fen)?;
            b.i(o.vat_bp)?;
            b.i(o.promised)?;
            b.i(o.received)?;
            b.i(o.delivered)?;
            b.oi((o.delivered > o.promised).then(|| (o.delivered - o.promised) / MIN_MS))?;
            b.oi(o.comeback_of)?;
            b.s(o.service)?;
            b.i(o.received)?;
            b.i(o.delivered)
        },
    )
    .await?;
    insert_all(
        tx,
        backend,
        "repair_order_checkpoints",
        &[
            "repair_order_id",
            "code",
            "stage",
            "checked_at",
            "checked_by",
        ],
        &r.checks,
        |b, (order, (code, stage, at))| {
            b.i(*order)?;
            b.s(code.as_str())?;
            b.s(*stage)?;
            b.i(*at)?;
            b.i(0)
        },
    )
    .await?;
    insert_all(
        tx,
        backend,
        "estimate_lines",
        &[
            "repair_order_id",
            "line_no",
            "kind",
            "code",
            "hundredths",
            "unit_price_fen",
            "amount_fen",
            "decision",
            "decided_by",
            "decided_at",
            "decision_channel",
            "comeback",
            "extra",
            "work",
            "done",
            "created_at",
        ],
        &r.lines,
        |b, l| {
            let (kind, code, hundredths, unit) = match &l.line.item {
                LineItem::Labour {
                    operation_code,
                    hundredths,
                    hourly_rate,
                } => ("labour", operation_code, *hundredths, hourly_rate.fen()),
                LineItem::Part {
                    part_number,
                    quantity_hundredths,
                    unit_price,
                } => ("part", part_number, *quantity_hundredths, unit_price.fen()),
            };
            let record = l.line.record.as_ref();
            b.i(l.order)?;
            b.i(i64::from(l.line.no))?;
            b.s(kind)?;
            b.s(code.as_str())?;
            b.i(hundredths)?;
            b.i(unit)?;
            b.i(l.line.charge().fen())?;
            b.s(l.line.decision.code())?;
            b.os(record.map(|x| x.by.clone()))?;
            b.oi(record.map(|x| x.at.as_millisecond()))?;
            b.os(record.map(|x| x.channel.code().to_string()))?;
            b.i(i64::from(l.line.comeback))?;
            b.i(0)?;
            // Worked or fitted during repair, as the invoice needs.
            b.s(if l.line.done { "done" } else { "not_started" })?;
            b.i(i64::from(l.line.done))?;
            b.i(l.added_at)
        },
    )
    .await?;
    insert_all(
        tx,
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
        &r.events,
        |b, (order, at, kind, data)| {
            b.i(*at)?;
            b.s("system")?;
            b.i(0)?;
            b.s("repair_order")?;
            b.i(*order)?;
            b.s(*kind)?;
            b.s(data.as_str())
        },
    )
    .await?;
    super::money::bills(tx, backend, s, r.first_bill, &r.bills).await?;
    insert_all(
        tx,
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
        &r.invitations,
        |b, i| {
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
            b.os(i.via.map(str::to_string))
        },
    )
    .await?;
    insert_all(
        tx,
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
        &r.answers,
        |b, (inv, key, score, text, at)| {
            b.i(*inv)?;
            b.s(key.as_str())?;
            b.i(i64::from(shared.questionnaire.version))?;
            b.oi(*score)?;
            b.os(text.clone())?;
            b.i(*at)
        },
    )
    .await?;
    complaints(tx, backend, shared, s, r).await
}

async fn complaints(
    tx: &mut AnyConnection,
    backend: Backend,
    shared: &Shared,
    s: &Station,
    r: &Rows,
) -> AppResult<()> {
    // Every category has its policy (published before the first batch).
    let policies = r
        .complaints
        .iter()
        .map(|c| {
            shared
                .policies
                .get(c.category)
                .copied()
                .ok_or_else(|| AppError::Internal(format!("no policy for {}", c.category)))
        })
        .collect::<AppResult<Vec<i64>>>()?;
    insert_all(
        tx,
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
        r.complaints.iter().zip(policies),
        |b, (c, policy)| {
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
            b.i(0)
        },
    )
    .await?;
    insert_all(
        tx,
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
        &r.complaint_events,
        |b, (id, at, kind)| {
            b.i(*id)?;
            b.i(*at)?;
            b.s(*kind)?;
            b.s("system")?;
            b.i(0)?;
            b.s("{}")
        },
    )
    .await?;
    Ok(())
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
