//! Repair orders (工单) as stored, their checkpoints, and the owner-link token hash.
//! Stage starts and completions are events (entity `repair_order`), from which the
//! stage timings are computed; `current_stage` is a copy kept for lists. A vehicle's
//! orders across the network are in [`vehicle_history`].

pub mod vehicle_history;
mod whole;

pub use whole::{WholeOrder, whole};

use crate::db::{Backend, Db};
use crate::error::{StoreError, StoreResult};
use crate::event::Actor;
use crate::group_commit::{Arg, Combined, Write};
use crate::scope::station_filter;
use domain::permission::Reach;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use std::sync::LazyLock;

/// Entity name of repair orders in the event log.
pub const ENTITY: &str = "repair_order";

/// A repair-order row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepairOrderRow {
    /// Id.
    pub id: i64,
    /// Station.
    pub station_id: i64,
    /// Customer.
    pub customer_id: i64,
    /// Vehicle.
    pub vehicle_id: i64,
    /// The appointment it came from, if any.
    pub appointment_id: Option<i64>,
    /// The owner's concern in their words.
    pub concern: String,
    /// Coded concern, if coded.
    pub concern_code: Option<String>,
    /// Service type code (`repair`, `maintenance`, `warranty`, …).
    pub service_type: String,
    /// Whether diagnosis classed the concern as a serious safety fault (三包).
    pub safety_fault: bool,
    /// `open`, `delivered`.
    pub state: String,
    /// Stage in progress, if any.
    pub current_stage: Option<String>,
    /// Version of the stage standard it runs under.
    pub standard_version: i64,
    /// Checkpoint codes marked applicable, comma-separated.
    pub applicable: String,
    /// Station labour rate per hour when opened, fen.
    pub hourly_rate_fen: i64,
    /// VAT rate in basis points.
    pub vat_bp: i64,
    /// Promised completion, UTC ms.
    pub promised_at: Option<i64>,
    /// Reception start, UTC ms.
    pub received_at: i64,
    /// Hand-over, UTC ms.
    pub delivered_at: Option<i64>,
    /// Minutes late at hand-over, when late.
    pub late_minutes: Option<i64>,
    /// Whether a courtesy car is due (repair over 5 days).
    pub courtesy_car: bool,
    /// The original order when this is a comeback (返修).
    pub comeback_of: Option<i64>,
    /// Whether an owner link is active.
    pub owner_link_active: bool,
    /// Optimistic-lock version.
    pub version: i64,
}

const COLS: &str = "r.id, r.station_id, r.customer_id, r.vehicle_id, r.appointment_id, r.concern, r.concern_code, r.service_type, \
     r.safety_fault, r.state, r.current_stage, r.standard_version, r.applicable, r.hourly_rate_fen, r.vat_bp, r.promised_at, r.received_at, \
     r.delivered_at, r.late_minutes, r.courtesy_car, r.comeback_of, r.owner_token_hash, r.version";

fn from_row(r: &AnyRow) -> Result<RepairOrderRow, sqlx::Error> {
    Ok(RepairOrderRow {
        id: r.try_get("id")?,
        station_id: r.try_get("station_id")?,
        customer_id: r.try_get("customer_id")?,
        vehicle_id: r.try_get("vehicle_id")?,
        appointment_id: r.try_get("appointment_id")?,
        concern: r.try_get("concern")?,
        concern_code: r.try_get("concern_code")?,
        service_type: r.try_get("service_type")?,
        safety_fault: r.try_get::<i64, _>("safety_fault")? != 0,
        state: r.try_get("state")?,
        current_stage: r.try_get("current_stage")?,
        standard_version: r.try_get("standard_version")?,
        applicable: r.try_get("applicable")?,
        hourly_rate_fen: r.try_get("hourly_rate_fen")?,
        vat_bp: r.try_get("vat_bp")?,
        promised_at: r.try_get("promised_at")?,
        received_at: r.try_get("received_at")?,
        delivered_at: r.try_get("delivered_at")?,
        late_minutes: r.try_get("late_minutes")?,
        courtesy_car: r.try_get::<i64, _>("courtesy_car")? != 0,
        comeback_of: r.try_get("comeback_of")?,
        owner_link_active: r
            .try_get::<Option<String>, _>("owner_token_hash")?
            .is_some(),
        version: r.try_get("version")?,
    })
}

/// Inserts an open order (`row.id`, `version` and the delivery fields are ignored)
/// and returns its id.
pub async fn insert(conn: &mut AnyConnection, row: &RepairOrderRow, now: i64) -> StoreResult<i64> {
    let r = sqlx::query(
        "INSERT INTO repair_orders (station_id, customer_id, vehicle_id, appointment_id, concern, concern_code, state, \
         current_stage, standard_version, applicable, hourly_rate_fen, vat_bp, received_at, comeback_of, created_at, updated_at, \
         service_type, safety_fault) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$15,$16,$17) RETURNING id",
    )
    .bind(row.station_id)
    .bind(row.customer_id)
    .bind(row.vehicle_id)
    .bind(row.appointment_id)
    .bind(&row.concern)
    .bind(row.concern_code.as_deref())
    .bind(&row.state)
    .bind(row.current_stage.as_deref())
    .bind(row.standard_version)
    .bind(&row.applicable)
    .bind(row.hourly_rate_fen)
    .bind(row.vat_bp)
    .bind(row.received_at)
    .bind(row.comeback_of)
    .bind(now)
    .bind(&row.service_type)
    .bind(i64::from(row.safety_fault))
    .fetch_one(conn)
    .await?;
    Ok(r.try_get(0)?)
}

/// One order within reach.
pub async fn get(conn: &mut AnyConnection, reach: &Reach, id: i64) -> StoreResult<RepairOrderRow> {
    let (cond, val) = station_filter(reach, "r.station_id", "s.region_id", 2);
    let sql = format!(
        "SELECT {COLS} FROM repair_orders r JOIN stations s ON s.id = r.station_id WHERE r.id = $1 AND {cond}"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(id);
    if let Some(v) = val {
        q = q.bind(v);
    }
    let row = q.fetch_optional(conn).await?.ok_or(StoreError::NotFound)?;
    Ok(from_row(&row)?)
}

/// The order whose active owner link has this token hash (the link is the capability).
pub async fn by_token_hash(conn: &mut AnyConnection, hash: &str) -> StoreResult<RepairOrderRow> {
    let sql = format!("SELECT {COLS} FROM repair_orders r WHERE r.owner_token_hash = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(hash)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(from_row(&row)?)
}

/// The mutable progress fields of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// `open` or `delivered`.
    pub state: String,
    /// Stage in progress.
    pub current_stage: Option<String>,
    /// Applicable checkpoint codes, comma-separated.
    pub applicable: String,
    /// Promised completion.
    pub promised_at: Option<i64>,
    /// Hand-over.
    pub delivered_at: Option<i64>,
    /// Minutes late at hand-over.
    pub late_minutes: Option<i64>,
    /// Courtesy car due.
    pub courtesy_car: bool,
}

/// Saves progress if the order is still at `version` (bumping it); a
/// [`StoreError::Conflict`] when someone changed it meanwhile.
pub async fn save_progress(
    conn: &mut AnyConnection,
    id: i64,
    version: i64,
    p: &Progress,
    now: i64,
) -> StoreResult<()> {
    let args = progress_args(p, now, id, version);
    let r = crate::group_commit::bind(sqlx::query(PROGRESS_UPDATE), &args)
        .execute(conn)
        .await?;
    if r.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("repair_order.changed_meanwhile"))
    }
}

/// The version-guarded update of an order's progress, `$1`..`$10` as
/// [`progress_args`] lists them.
const PROGRESS_UPDATE: &str = "UPDATE repair_orders SET state = $1, current_stage = $2, applicable = $3, \
     promised_at = $4, delivered_at = $5, late_minutes = $6, courtesy_car = $7, version = version + 1, \
     updated_at = $8 WHERE id = $9 AND version = $10";

/// [`PROGRESS_UPDATE`] and the event of the change in one statement (PostgreSQL), the
/// event's actor role, actor, entity, kind and data in `$11`..`$15`: the update in a
/// data-modifying `WITH`, the event inserted from the row it returned. Counts 1 (the
/// event) or 0, as [`ADVANCE_COMBINED`] does.
static ADVANCE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH changed AS ({PROGRESS_UPDATE} RETURNING id) \
         INSERT INTO events (at, actor_role, actor_id, entity, entity_id, kind, data, reason) \
         SELECT $8, $11, $12, $13, changed.id, $14, $15, NULL FROM changed"
    )
});

/// [`ADVANCE`] for many orders at once (PostgreSQL's group commit): the parameters of
/// each as one row of `x`, named as [`advance_args`] lists them; answers the orders
/// changed.
static ADVANCE_COMBINED: Combined = Combined {
    template: "WITH x (state, current_stage, applicable, promised_at, delivered_at, late_minutes, \
        courtesy_car, updated_at, id, version, actor_role, actor_id, entity, kind, data) \
        AS (VALUES {rows}), \
        changed AS (UPDATE repair_orders r SET state = x.state, current_stage = x.current_stage, \
        applicable = x.applicable, promised_at = x.promised_at, delivered_at = x.delivered_at, \
        late_minutes = x.late_minutes, courtesy_car = x.courtesy_car, version = r.version + 1, \
        updated_at = x.updated_at FROM x WHERE r.id = x.id AND r.version = x.version RETURNING r.id), \
        recorded AS (INSERT INTO events (at, actor_role, actor_id, entity, entity_id, kind, data, reason) \
        SELECT x.updated_at, x.actor_role, x.actor_id, x.entity, x.id, x.kind, x.data, NULL \
        FROM changed JOIN x ON x.id = changed.id) \
        SELECT id FROM changed",
    key: 8,
};

/// [`PROGRESS_UPDATE`] and the event of the change as one query of two statements
/// (SQLite, in the group's transaction): the event is inserted only if the update
/// changed the order (`changes()` is the row count of the statement just completed),
/// so the query changes two rows or none. Parameters as in [`ADVANCE`].
static ADVANCE_SQLITE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{PROGRESS_UPDATE}; \
         INSERT INTO events (at, actor_role, actor_id, entity, entity_id, kind, data, reason) \
         SELECT $8, $11, $12, $13, $9, $14, $15, NULL WHERE changes() = 1"
    )
});

/// [`PROGRESS_UPDATE`]'s parameters, in order.
fn progress_args(p: &Progress, now: i64, id: i64, version: i64) -> Vec<Arg> {
    vec![
        Arg::Text(Some(p.state.clone())),
        Arg::Text(p.current_stage.clone()),
        Arg::Text(Some(p.applicable.clone())),
        Arg::Int(p.promised_at),
        Arg::Int(p.delivered_at),
        Arg::Int(p.late_minutes),
        Arg::Int(Some(i64::from(p.courtesy_car))),
        Arg::Int(Some(now)),
        Arg::Int(Some(id)),
        Arg::Int(Some(version)),
    ]
}

/// The parameters of [`ADVANCE`] and [`ADVANCE_SQLITE`]: [`progress_args`]
/// (`$1`..`$10`), then the event's (`$11`..`$15`).
fn advance_args(
    p: &Progress,
    now: i64,
    id: i64,
    version: i64,
    event: ProgressEvent<'_>,
) -> Vec<Arg> {
    let mut args = progress_args(p, now, id, version);
    args.extend([
        Arg::Text(Some(event.actor.role.to_string())),
        Arg::Int(Some(event.actor.id)),
        Arg::Text(Some(ENTITY.to_string())),
        Arg::Text(Some(event.kind.to_string())),
        Arg::Text(Some(event.data.to_string())),
    ]);
    args
}

/// One event of an order recorded with a change of its progress ([`advance`]).
#[derive(Debug, Clone, Copy)]
pub struct ProgressEvent<'a> {
    /// Who.
    pub actor: Actor<'a>,
    /// What happened (`stage_started`, `stage_completed`).
    pub kind: &'a str,
    /// Details.
    pub data: &'a serde_json::Value,
}

/// Saves an order's progress guarded on `version` ([`save_progress`]) and records one
/// event of the change ([`crate::event::record`]), both or neither: what a stage
/// change writes. [`StoreError::Conflict`] when the order changed after it was read.
///
/// A write that stands alone, so it is committed with the other stage changes
/// waiting ([`Db::write_grouped`]): on PostgreSQL as one statement for all of them
/// ([`ADVANCE_COMBINED`]; [`ADVANCE`] when alone), on SQLite as one query of two
/// statements each ([`ADVANCE_SQLITE`]: no data-modifying `WITH` there) in one
/// transaction on the one writer.
pub async fn advance(
    db: &Db,
    id: i64,
    version: i64,
    p: &Progress,
    now: i64,
    event: ProgressEvent<'_>,
) -> StoreResult<()> {
    let sql = match db.backend {
        Backend::Sqlite => ADVANCE_SQLITE.as_str(),
        Backend::Postgres => ADVANCE.as_str(),
    };
    let write = Write {
        sql,
        args: advance_args(p, now, id, version, event),
        combined: Some(&ADVANCE_COMBINED),
    };
    match db.write_grouped(write).await? {
        0 => Err(StoreError::Conflict("repair_order.changed_meanwhile")),
        _ => Ok(()),
    }
}

/// Sets how diagnosis classified the concern: its code and whether it is a serious
/// safety fault.
pub async fn set_concern_class(
    conn: &mut AnyConnection,
    id: i64,
    concern_code: Option<&str>,
    safety_fault: bool,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE repair_orders SET concern_code = $1, safety_fault = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(concern_code)
    .bind(i64::from(safety_fault))
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets (or, with `None`, revokes) the owner-link token hash.
pub async fn set_owner_token(
    conn: &mut AnyConnection,
    id: i64,
    hash: Option<&str>,
    now: i64,
) -> StoreResult<()> {
    let revoked_at = if hash.is_none() { Some(now) } else { None };
    sqlx::query(
        "UPDATE repair_orders SET owner_token_hash = $1, owner_token_revoked_at = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(hash)
    .bind(revoked_at)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await
    .map_err(StoreError::unique_as("owner_token"))?;
    Ok(())
}

/// A checked checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointRow {
    /// Checkpoint code.
    pub code: String,
    /// Stage code.
    pub stage: String,
    /// When, UTC ms.
    pub checked_at: i64,
    /// Staff id.
    pub checked_by: i64,
    /// Technician's note.
    pub note: Option<String>,
}

/// Records a checked checkpoint; checking twice keeps the first record.
pub async fn insert_checkpoint(
    conn: &mut AnyConnection,
    order_id: i64,
    c: &CheckpointRow,
) -> StoreResult<bool> {
    let r = sqlx::query(
        "INSERT INTO repair_order_checkpoints (repair_order_id, code, stage, checked_at, checked_by, note) \
         VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (repair_order_id, code) DO NOTHING",
    )
    .bind(order_id)
    .bind(&c.code)
    .bind(&c.stage)
    .bind(c.checked_at)
    .bind(c.checked_by)
    .bind(c.note.as_deref())
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The checked checkpoints of an order, in the order they were checked.
pub async fn checkpoints(
    conn: &mut AnyConnection,
    order_id: i64,
) -> StoreResult<Vec<CheckpointRow>> {
    let rows = sqlx::query(
        "SELECT code, stage, checked_at, checked_by, note FROM repair_order_checkpoints \
         WHERE repair_order_id = $1 ORDER BY checked_at, code",
    )
    .bind(order_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CheckpointRow {
                code: r.try_get("code")?,
                stage: r.try_get("stage")?,
                checked_at: r.try_get("checked_at")?,
                checked_by: r.try_get("checked_by")?,
                note: r.try_get("note")?,
            })
        })
        .collect()
}

/// A delivered order of a vehicle, for comeback detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveredRow {
    /// Order id.
    pub id: i64,
    /// Coded concern.
    pub concern_code: Option<String>,
    /// Concern text.
    pub concern: String,
    /// Hand-over, UTC ms.
    pub delivered_at: i64,
}

/// The oldest open (not delivered) order of a vehicle, at any station.
pub async fn open_for_vehicle(
    conn: &mut AnyConnection,
    vehicle_id: i64,
) -> StoreResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM repair_orders WHERE vehicle_id = $1 AND delivered_at IS NULL \
         ORDER BY id LIMIT 1",
    )
    .bind(vehicle_id)
    .fetch_optional(conn)
    .await?)
}

/// Every delivered order of a vehicle, at any station, newest first.
pub async fn delivered_for_vehicle(
    conn: &mut AnyConnection,
    vehicle_id: i64,
) -> StoreResult<Vec<DeliveredRow>> {
    let rows = sqlx::query(
        "SELECT id, concern_code, concern, delivered_at FROM repair_orders \
         WHERE vehicle_id = $1 AND delivered_at IS NOT NULL ORDER BY delivered_at DESC",
    )
    .bind(vehicle_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DeliveredRow {
                id: r.try_get("id")?,
                concern_code: r.try_get("concern_code")?,
                concern: r.try_get("concern")?,
                delivered_at: r.try_get("delivered_at")?,
            })
        })
        .collect()
}

/// An order as the KPIs need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiRow {
    /// Order id.
    pub id: i64,
    /// Station.
    pub station_id: i64,
    /// Reception.
    pub received_at: i64,
    /// Hand-over.
    pub delivered_at: Option<i64>,
    /// Promised completion.
    pub promised_at: Option<i64>,
    /// Original order of a comeback.
    pub comeback_of: Option<i64>,
}

/// The orders of a station plus every comeback of them (at any station).
pub async fn kpi_rows(conn: &mut AnyConnection, station_id: i64) -> StoreResult<Vec<KpiRow>> {
    let rows = sqlx::query(
        "SELECT id, station_id, received_at, delivered_at, promised_at, comeback_of FROM repair_orders \
         WHERE station_id = $1 OR comeback_of IN (SELECT id FROM repair_orders WHERE station_id = $1) ORDER BY id",
    )
    .bind(station_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(KpiRow {
                id: r.try_get("id")?,
                station_id: r.try_get("station_id")?,
                received_at: r.try_get("received_at")?,
                delivered_at: r.try_get("delivered_at")?,
                promised_at: r.try_get("promised_at")?,
                comeback_of: r.try_get("comeback_of")?,
            })
        })
        .collect()
}
