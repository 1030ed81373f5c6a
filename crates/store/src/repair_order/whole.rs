//! An order with everything acting on it needs — its row, estimate lines, checked
//! checkpoints and the events its stage progress is rebuilt from — in one statement.
//!
//! Why one statement: every action on an order (a stage change, a tick, a line) reads
//! all of it first, and on PostgreSQL each statement is a round trip whose cost is
//! mostly the exchange itself (a stage change was 3 reads and 4 writing statements
//! against the raw transaction's 3; see `crates/web/examples/bench_stage.rs`).
//!
//! The shape: the four sources answer in one column shape, a source tag and typed
//! slots (`i1`.. integers, `t1`.. text), put together with `UNION ALL`, each read
//! through its own index. No join and no sort in the database: a join repeated the
//! order on every child row and the sort's set-up was a tenth of the server's time
//! for the statement; the few rows are put in order here.

use super::{CheckpointRow, RepairOrderRow};
use crate::error::{StoreError, StoreResult};
use crate::estimate::EstimateLineRow;
use crate::event::Event;
use crate::scope::station_filter;
use domain::permission::Reach;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

/// An order and its children, as [`super::get`] and [`crate::estimate::lines`] answer
/// them one by one.
#[derive(Debug, Clone, PartialEq)]
pub struct WholeOrder {
    /// The order.
    pub row: RepairOrderRow,
    /// Estimate lines by line number.
    pub lines: Vec<EstimateLineRow>,
    /// Checked checkpoints in the order they were checked (then by code).
    pub checkpoints: Vec<CheckpointRow>,
    /// The order's events of the kinds asked for, oldest first.
    pub events: Vec<Event>,
}

/// Source tags.
const ORDER: i64 = 0;
const LINE: i64 = 1;
const CHECKPOINT: i64 = 2;
const EVENT: i64 = 3;

/// Integer and text slots in every row: as many as the widest source fills.
const INT_SLOTS: usize = 17;
const TEXT_SLOTS: usize = 8;

/// The order's columns in slot order (integers, then text).
const ORDER_INTS: [&str; 17] = [
    "r.id",
    "r.station_id",
    "r.customer_id",
    "r.vehicle_id",
    "r.appointment_id",
    "r.safety_fault",
    "r.standard_version",
    "r.hourly_rate_fen",
    "r.vat_bp",
    "r.promised_at",
    "r.received_at",
    "r.delivered_at",
    "r.late_minutes",
    "r.courtesy_car",
    "r.comeback_of",
    "CAST(CASE WHEN r.owner_token_hash IS NULL THEN 0 ELSE 1 END AS BIGINT)",
    "r.version",
];
const ORDER_TEXTS: [&str; 6] = [
    "r.concern",
    "r.concern_code",
    "r.service_type",
    "r.state",
    "r.current_stage",
    "r.applicable",
];
const LINE_INTS: [&str; 10] = [
    "line_no",
    "hundredths",
    "unit_price_fen",
    "amount_fen",
    "decided_at",
    "reoffer_of",
    "comeback",
    "extra",
    "done",
    "technician_id",
];
const LINE_TEXTS: [&str; 8] = [
    "kind",
    "code",
    "decision",
    "decided_by",
    "decision_channel",
    "decision_ip",
    "signature_ref",
    "work",
];
const CHECKPOINT_INTS: [&str; 2] = ["checked_at", "checked_by"];
const CHECKPOINT_TEXTS: [&str; 3] = ["code", "stage", "note"];
const EVENT_INTS: [&str; 3] = ["at", "id", "actor_id"];
const EVENT_TEXTS: [&str; 4] = ["kind", "data", "reason", "actor_role"];

/// One source's `SELECT`: its tag, its columns in the slots, typed NULLs in the rest.
fn branch(src: i64, ints: &[&str], texts: &[&str], from: &str) -> String {
    let mut cols = vec![format!("CAST({src} AS BIGINT) AS src")];
    for i in 0..INT_SLOTS {
        let v = ints.get(i).copied().unwrap_or("CAST(NULL AS BIGINT)");
        cols.push(format!("{v} AS i{}", i + 1));
    }
    for i in 0..TEXT_SLOTS {
        let v = texts.get(i).copied().unwrap_or("CAST(NULL AS TEXT)");
        cols.push(format!("{v} AS t{}", i + 1));
    }
    format!("SELECT {} FROM {from}", cols.join(", "))
}

/// The order `id` within reach with its lines, checkpoints and its events (entity
/// `entity`) of `kinds`; [`StoreError::NotFound`] when out of reach or absent.
pub async fn whole(
    conn: &mut AnyConnection,
    reach: &Reach,
    id: i64,
    entity: &str,
    kinds: &[&str],
) -> StoreResult<WholeOrder> {
    let (sql, val) = statement(reach, kinds.len());
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(id).bind(entity);
    for k in kinds {
        q = q.bind(*k);
    }
    if let Some(v) = val {
        q = q.bind(v);
    }
    let rows = q.fetch_all(conn).await?;
    let mut order = None;
    let (mut lines, mut checkpoints, mut events) = (Vec::new(), Vec::new(), Vec::new());
    for r in &rows {
        match r.try_get::<i64, _>("src")? {
            ORDER => order = Some(order_of(r)?),
            LINE => lines.push(line_of(r)?),
            CHECKPOINT => checkpoints.push(CheckpointRow {
                checked_at: r.try_get("i1")?,
                checked_by: r.try_get("i2")?,
                code: r.try_get("t1")?,
                stage: r.try_get("t2")?,
                note: r.try_get("t3")?,
            }),
            _ => {
                let data: String = r.try_get("t2")?;
                events.push(Event {
                    at: r.try_get("i1")?,
                    id: r.try_get("i2")?,
                    actor_id: r.try_get("i3")?,
                    actor_role: r.try_get("t4")?,
                    entity: entity.to_string(),
                    entity_id: id,
                    kind: r.try_get("t1")?,
                    data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
                    reason: r.try_get("t3")?,
                });
            }
        }
    }
    let row = order.ok_or(StoreError::NotFound)?;
    lines.sort_by_key(|l: &EstimateLineRow| l.line_no);
    checkpoints.sort_by(|a: &CheckpointRow, b: &CheckpointRow| {
        (a.checked_at, &a.code).cmp(&(b.checked_at, &b.code))
    });
    events.sort_by_key(|e: &Event| e.id);
    Ok(WholeOrder {
        row,
        lines,
        checkpoints,
        events,
    })
}

/// The statement for a reach and a number of event kinds, built once for each
/// (building it took a thirtieth of a stage change's time), and the reach's value.
fn statement(reach: &Reach, kinds: usize) -> (String, Option<i64>) {
    static BUILT: LazyLock<Mutex<HashMap<(u8, usize), String>>> = LazyLock::new(Default::default);
    // $1 the order, $2 the entity, $3.. the kinds, then the reach's value.
    let (cond, val) = station_filter(reach, "r.station_id", "s.region_id", kinds + 3);
    let shape = match reach {
        Reach::All => 0,
        Reach::Region(_) => 1,
        Reach::Station(_) => 2,
        Reach::Customer(_) => 3,
    };
    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    let sql = built
        .entry((shape, kinds))
        .or_insert_with(|| build(reach, kinds, &cond))
        .clone();
    (sql, val)
}

/// The statement: the four sources, one `UNION ALL`.
fn build(reach: &Reach, kinds: usize, cond: &str) -> String {
    let stations = if matches!(reach, Reach::Region(_)) {
        " JOIN stations s ON s.id = r.station_id"
    } else {
        ""
    };
    // No kinds asked for: the events stay (so `$2` is used) and match nothing.
    let kinds_cond = if kinds == 0 {
        "1 = 0".to_string()
    } else {
        let params: Vec<String> = (0..kinds).map(|i| format!("${}", i + 3)).collect();
        format!("kind IN ({})", params.join(","))
    };
    // The children are read whether or not the order is in reach; out of reach, the
    // order's row is missing and they are dropped unread (NotFound).
    [
        branch(
            ORDER,
            &ORDER_INTS,
            &ORDER_TEXTS,
            &format!("repair_orders r{stations} WHERE r.id = $1 AND {cond}"),
        ),
        branch(
            LINE,
            &LINE_INTS,
            &LINE_TEXTS,
            "estimate_lines WHERE repair_order_id = $1",
        ),
        branch(
            CHECKPOINT,
            &CHECKPOINT_INTS,
            &CHECKPOINT_TEXTS,
            "repair_order_checkpoints WHERE repair_order_id = $1",
        ),
        branch(
            EVENT,
            &EVENT_INTS,
            &EVENT_TEXTS,
            &format!("events WHERE entity = $2 AND entity_id = $1 AND {kinds_cond}"),
        ),
    ]
    .join(" UNION ALL ")
}

/// The order from its slots.
fn order_of(r: &AnyRow) -> Result<RepairOrderRow, sqlx::Error> {
    Ok(RepairOrderRow {
        id: r.try_get("i1")?,
        station_id: r.try_get("i2")?,
        customer_id: r.try_get("i3")?,
        vehicle_id: r.try_get("i4")?,
        appointment_id: r.try_get("i5")?,
        safety_fault: r.try_get::<i64, _>("i6")? != 0,
        standard_version: r.try_get("i7")?,
        hourly_rate_fen: r.try_get("i8")?,
        vat_bp: r.try_get("i9")?,
        promised_at: r.try_get("i10")?,
        received_at: r.try_get("i11")?,
        delivered_at: r.try_get("i12")?,
        late_minutes: r.try_get("i13")?,
        courtesy_car: r.try_get::<i64, _>("i14")? != 0,
        comeback_of: r.try_get("i15")?,
        owner_link_active: r.try_get::<i64, _>("i16")? != 0,
        version: r.try_get("i17")?,
        concern: r.try_get("t1")?,
        concern_code: r.try_get("t2")?,
        service_type: r.try_get("t3")?,
        state: r.try_get("t4")?,
        current_stage: r.try_get("t5")?,
        applicable: r.try_get("t6")?,
    })
}

/// An estimate line from its slots.
fn line_of(r: &AnyRow) -> Result<EstimateLineRow, sqlx::Error> {
    Ok(EstimateLineRow {
        line_no: r.try_get("i1")?,
        hundredths: r.try_get("i2")?,
        unit_price_fen: r.try_get("i3")?,
        amount_fen: r.try_get("i4")?,
        decided_at: r.try_get("i5")?,
        reoffer_of: r.try_get("i6")?,
        comeback: r.try_get::<i64, _>("i7")? != 0,
        extra: r.try_get::<i64, _>("i8")? != 0,
        done: r.try_get::<i64, _>("i9")? != 0,
        technician_id: r.try_get("i10")?,
        kind: r.try_get("t1")?,
        code: r.try_get("t2")?,
        decision: r.try_get("t3")?,
        decided_by: r.try_get("t4")?,
        decision_channel: r.try_get("t5")?,
        decision_ip: r.try_get("t6")?,
        signature_ref: r.try_get("t7")?,
        work: r.try_get("t8")?,
    })
}
