//! Slot capacity: per station and slot, the bays and the technicians per class
//! (`capacity_techs`, one row per class index of [`domain::capacity::TechClass`]),
//! with counters of what bookings use.
//!
//! Taking a place is a guarded conditional update whose affected-row count says
//! whether the place was still free. On PostgreSQL a concurrent update of the same
//! row waits for the other transaction and then re-checks the guard against the
//! committed value; on SQLite write transactions are serialised (`BEGIN IMMEDIATE`).
//! Either way the counters can never pass the capacity.

use crate::error::StoreResult;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// One stored slot with its counters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SlotRow {
    /// Slot start, UTC ms.
    pub slot_start: i64,
    /// Slot length in minutes.
    pub slot_minutes: i64,
    /// Bays published.
    pub bays: i64,
    /// Bays used.
    pub used_bays: i64,
    /// Per technician class index: (class, capacity, used).
    pub techs: Vec<(i64, i64, i64)>,
}

/// Publishes (or re-publishes) one slot: sets the bays and every class capacity,
/// keeping what bookings already use. Classes not listed get capacity 0.
pub async fn publish_slot(
    conn: &mut AnyConnection,
    station_id: i64,
    slot_start: i64,
    slot_minutes: i64,
    bays: i64,
    techs: &[(i64, i64)],
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO capacity_slots (station_id, slot_start, slot_minutes, bays, used_bays) VALUES ($1,$2,$3,$4,0) \
         ON CONFLICT (station_id, slot_start) DO UPDATE SET bays = excluded.bays, slot_minutes = excluded.slot_minutes",
    )
    .bind(station_id)
    .bind(slot_start)
    .bind(slot_minutes)
    .bind(bays)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE capacity_techs SET capacity = 0 WHERE station_id = $1 AND slot_start = $2")
        .bind(station_id)
        .bind(slot_start)
        .execute(&mut *conn)
        .await?;
    for (class, n) in techs {
        sqlx::query(
            "INSERT INTO capacity_techs (station_id, slot_start, class_index, capacity, used) VALUES ($1,$2,$3,$4,0) \
             ON CONFLICT (station_id, slot_start, class_index) DO UPDATE SET capacity = excluded.capacity",
        )
        .bind(station_id)
        .bind(slot_start)
        .bind(*class)
        .bind(*n)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The slots of a station starting in `[from, to)`, in time order.
pub async fn slots_between(
    conn: &mut AnyConnection,
    station_id: i64,
    from: i64,
    to: i64,
) -> StoreResult<Vec<SlotRow>> {
    let rows = sqlx::query(
        "SELECT slot_start, slot_minutes, bays, used_bays FROM capacity_slots \
         WHERE station_id = $1 AND slot_start >= $2 AND slot_start < $3 ORDER BY slot_start",
    )
    .bind(station_id)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    let mut slots = rows
        .iter()
        .map(|r| {
            Ok(SlotRow {
                slot_start: r.try_get("slot_start")?,
                slot_minutes: r.try_get("slot_minutes")?,
                bays: r.try_get("bays")?,
                used_bays: r.try_get("used_bays")?,
                techs: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let techs = sqlx::query(
        "SELECT slot_start, class_index, capacity, used FROM capacity_techs \
         WHERE station_id = $1 AND slot_start >= $2 AND slot_start < $3 ORDER BY slot_start, class_index",
    )
    .bind(station_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    for r in &techs {
        let start: i64 = r.try_get("slot_start")?;
        if let Ok(i) = slots.binary_search_by_key(&start, |s| s.slot_start) {
            slots[i].techs.push((
                r.try_get("class_index")?,
                r.try_get("capacity")?,
                r.try_get("used")?,
            ));
        }
    }
    Ok(slots)
}

/// Which counter refused a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// No bay left in the slot.
    Bay,
    /// No technician of the class left in the slot.
    Technician,
}

/// Takes one bay and one technician of `class` in each slot, in time order. Returns
/// the first counter found full; the caller must then roll the transaction back, as
/// earlier slots were already taken.
pub async fn take(
    conn: &mut AnyConnection,
    station_id: i64,
    slot_starts: &[i64],
    class: i64,
) -> StoreResult<Result<(), Full>> {
    for start in slot_starts {
        let bay = sqlx::query(
            "UPDATE capacity_slots SET used_bays = used_bays + 1 \
             WHERE station_id = $1 AND slot_start = $2 AND used_bays < bays",
        )
        .bind(station_id)
        .bind(*start)
        .execute(&mut *conn)
        .await?;
        if bay.rows_affected() != 1 {
            return Ok(Err(Full::Bay));
        }
        let tech = sqlx::query(
            "UPDATE capacity_techs SET used = used + 1 \
             WHERE station_id = $1 AND slot_start = $2 AND class_index = $3 AND used < capacity",
        )
        .bind(station_id)
        .bind(*start)
        .bind(class)
        .execute(&mut *conn)
        .await?;
        if tech.rows_affected() != 1 {
            return Ok(Err(Full::Technician));
        }
    }
    Ok(Ok(()))
}

/// Gives back one bay and one technician of `class` in each slot (never below zero).
pub async fn release(
    conn: &mut AnyConnection,
    station_id: i64,
    slot_starts: &[i64],
    class: i64,
) -> StoreResult<()> {
    for start in slot_starts {
        sqlx::query(
            "UPDATE capacity_slots SET used_bays = used_bays - 1 \
             WHERE station_id = $1 AND slot_start = $2 AND used_bays > 0",
        )
        .bind(station_id)
        .bind(*start)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "UPDATE capacity_techs SET used = used - 1 \
             WHERE station_id = $1 AND slot_start = $2 AND class_index = $3 AND used > 0",
        )
        .bind(station_id)
        .bind(*start)
        .bind(class)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Whether [`lock`] takes row locks on this connection's database (PostgreSQL); on
/// SQLite the write transaction already holds the one writer, so there is no lock to
/// wait for and nothing to check before it.
pub fn locks_rows(conn: &AnyConnection) -> bool {
    conn.backend_name() == "PostgreSQL"
}

/// Locks the slots of a station that a transaction is about to change, in the one
/// lock order: by slot start, each slot's bay row before its technician rows (by
/// class). Every use case that changes counters of several slots — a reschedule's
/// old and new slots alike — calls this first, so two of them never hold rows the
/// other waits for. On SQLite write transactions are already serialised
/// (`BEGIN IMMEDIATE`), so there is nothing to lock.
///
/// One query for all the slots: PostgreSQL locks the rows of a `FOR UPDATE` join
/// row by row as the sorted result is read, each output row's slot row before its
/// technician row, which is exactly the order above (a slot row met again in the
/// next output row is already held). A query per slot and table cost two round trips
/// per slot, all of them made while holding the locks taken before.
pub async fn lock(
    conn: &mut AnyConnection,
    station_id: i64,
    slot_starts: &[i64],
) -> StoreResult<()> {
    if !locks_rows(conn) {
        return Ok(());
    }
    let mut starts = slot_starts.to_vec();
    starts.sort_unstable();
    starts.dedup();
    if starts.is_empty() {
        return Ok(());
    }
    let placeholders: Vec<String> = (0..starts.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT s.slot_start, t.class_index FROM capacity_slots s \
         JOIN capacity_techs t ON t.station_id = s.station_id AND t.slot_start = s.slot_start \
         WHERE s.station_id = $1 AND s.slot_start IN ({}) \
         ORDER BY s.slot_start, t.class_index FOR UPDATE",
        placeholders.join(",")
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(station_id);
    for s in &starts {
        q = q.bind(*s);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    // A published slot always has technician rows; one without any (published with
    // no technicians) is not in the join, so its bay row is locked on its own, still
    // in start order among such slots.
    let mut joined: Vec<i64> = rows
        .iter()
        .map(|r| r.try_get::<i64, _>(0))
        .collect::<Result<_, _>>()?;
    joined.dedup();
    if joined.len() < starts.len() {
        let missing: Vec<i64> = starts
            .iter()
            .copied()
            .filter(|s| joined.binary_search(s).is_err())
            .collect();
        let placeholders: Vec<String> = (0..missing.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT slot_start FROM capacity_slots WHERE station_id = $1 AND slot_start IN ({}) \
             ORDER BY slot_start FOR UPDATE",
            placeholders.join(",")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(station_id);
        for s in &missing {
            q = q.bind(*s);
        }
        q.fetch_all(&mut *conn).await?;
    }
    Ok(())
}
