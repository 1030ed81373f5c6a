//! Complaints as stored: the complaint row (with its clock summary, the next deadline
//! indexed for the queue), its events, and the parts in [`clock`] (policies,
//! segments, pauses, stages), [`closure`] (zeros, follow-up, goodwill), [`attachment`]
//! (files sent as evidence) and [`notice`] (warnings and escalations: the inbox).

pub mod analysis;
pub mod attachment;
pub mod category;
pub mod clock;
pub mod closure;
pub mod notice;

use crate::error::StoreResult;
use domain::permission::Reach;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// One complaint as stored.
#[derive(Debug, Clone, Serialize)]
pub struct ComplaintRow {
    /// Id.
    pub id: i64,
    /// The station responsible.
    pub station_id: i64,
    /// The station's region.
    pub region_id: i64,
    /// The customer, when known.
    pub customer_id: Option<i64>,
    /// The vehicle, when known.
    pub vehicle_id: Option<i64>,
    /// The repair order it is about, if any.
    pub repair_order_id: Option<i64>,
    /// Channel code.
    pub channel: String,
    /// Source link or reference (social media, regulator).
    pub source_link: Option<String>,
    /// Category code.
    pub category: String,
    /// `normal` or `urgent`.
    pub severity: String,
    /// Why urgent.
    pub urgent_reason: Option<String>,
    /// What the customer says.
    pub description: String,
    /// State code.
    pub state: String,
    /// The policy version the clock runs under.
    pub policy_id: i64,
    /// Clock number: 1, and one more per reopen.
    pub clock_no: i64,
    /// Start of the current clock.
    pub clock_started_at: i64,
    /// End of the analysis (start of the solution target).
    pub analysed_at: Option<i64>,
    /// Responsibility code.
    pub responsibility: Option<String>,
    /// The cause found.
    pub cause: Option<String>,
    /// The part the analysis names (a catalogue number), if any.
    pub part_number: Option<String>,
    /// Waiting for the customer since.
    pub paused_since: Option<i64>,
    /// The nearest unmet deadline (queue order).
    pub next_deadline_at: Option<i64>,
    /// Its stage.
    pub next_stage: Option<String>,
    /// Whether that deadline reaches past the loaded holiday plan (computed on the
    /// regular week, recomputed when a plan is loaded; SPEC §6).
    pub deadline_provisional: bool,
    /// Whether any target of the current clock was breached.
    pub breached: bool,
    /// Whether it was ever reopened.
    pub reopened: bool,
    /// Received.
    pub received_at: i64,
    /// Closed.
    pub closed_at: Option<i64>,
    /// Who filed it (staff id, or the customer id for the owner pages).
    pub created_by: i64,
}

const COLUMNS: &str = "id, station_id, region_id, customer_id, vehicle_id, repair_order_id, channel, \
    source_link, category, severity, urgent_reason, description, state, policy_id, clock_no, \
    clock_started_at, analysed_at, responsibility, cause, part_number, paused_since, next_deadline_at, next_stage, \
    deadline_provisional, breached, reopened, received_at, closed_at, created_by";

fn from_row(r: &AnyRow) -> Result<ComplaintRow, sqlx::Error> {
    Ok(ComplaintRow {
        id: r.try_get("id")?,
        station_id: r.try_get("station_id")?,
        region_id: r.try_get("region_id")?,
        customer_id: r.try_get("customer_id")?,
        vehicle_id: r.try_get("vehicle_id")?,
        repair_order_id: r.try_get("repair_order_id")?,
        channel: r.try_get("channel")?,
        source_link: r.try_get("source_link")?,
        category: r.try_get("category")?,
        severity: r.try_get("severity")?,
        urgent_reason: r.try_get("urgent_reason")?,
        description: r.try_get("description")?,
        state: r.try_get("state")?,
        policy_id: r.try_get("policy_id")?,
        clock_no: r.try_get("clock_no")?,
        clock_started_at: r.try_get("clock_started_at")?,
        analysed_at: r.try_get("analysed_at")?,
        responsibility: r.try_get("responsibility")?,
        cause: r.try_get("cause")?,
        part_number: r.try_get("part_number")?,
        paused_since: r.try_get("paused_since")?,
        next_deadline_at: r.try_get("next_deadline_at")?,
        next_stage: r.try_get("next_stage")?,
        deadline_provisional: r.try_get::<i64, _>("deadline_provisional")? != 0,
        breached: r.try_get::<i64, _>("breached")? != 0,
        reopened: r.try_get::<i64, _>("reopened")? != 0,
        received_at: r.try_get("received_at")?,
        closed_at: r.try_get("closed_at")?,
        created_by: r.try_get("created_by")?,
    })
}

/// What a new complaint stores.
#[derive(Debug, Clone)]
pub struct NewComplaint<'a> {
    /// Station.
    pub station_id: i64,
    /// Region of the station.
    pub region_id: i64,
    /// Customer.
    pub customer_id: Option<i64>,
    /// Vehicle.
    pub vehicle_id: Option<i64>,
    /// Repair order.
    pub repair_order_id: Option<i64>,
    /// Channel code.
    pub channel: &'a str,
    /// Source link.
    pub source_link: Option<&'a str>,
    /// Category code.
    pub category: &'a str,
    /// Severity level code.
    pub severity: &'a str,
    /// Urgent reason code.
    pub urgent_reason: Option<&'a str>,
    /// Description.
    pub description: &'a str,
    /// Policy version id.
    pub policy_id: i64,
    /// Received (and clock start), UTC ms.
    pub received_at: i64,
    /// Who filed it.
    pub created_by: i64,
    /// The part it is about, when named at intake.
    pub part_number: Option<&'a str>,
}

/// Stores a new received complaint (clock 1); returns its id.
pub async fn insert(conn: &mut AnyConnection, c: &NewComplaint<'_>) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO complaints (station_id, region_id, customer_id, vehicle_id, repair_order_id, channel, \
         source_link, category, severity, urgent_reason, description, state, policy_id, clock_no, \
         clock_started_at, breached, reopened, received_at, created_by, part_number) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,'received',$12,1,$13,0,0,$13,$14,$15) RETURNING id",
    )
    .bind(c.station_id)
    .bind(c.region_id)
    .bind(c.customer_id)
    .bind(c.vehicle_id)
    .bind(c.repair_order_id)
    .bind(c.channel)
    .bind(c.source_link)
    .bind(c.category)
    .bind(c.severity)
    .bind(c.urgent_reason)
    .bind(c.description)
    .bind(c.policy_id)
    .bind(c.received_at)
    .bind(c.created_by)
    .bind(c.part_number)
    .fetch_one(conn)
    .await?)
}

/// One complaint within `reach` (owners: their own).
pub async fn get(
    conn: &mut AnyConnection,
    reach: &Reach,
    id: i64,
) -> StoreResult<Option<ComplaintRow>> {
    let (cond, bind) =
        crate::scope::owned_filter(reach, "station_id", "region_id", Some("customer_id"), 2);
    let sql = format!("SELECT {COLUMNS} FROM complaints WHERE id = $1 AND {cond}");
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id);
    if let Some(b) = bind {
        q = q.bind(b);
    }
    let r = q.fetch_optional(conn).await?;
    Ok(r.map(|r| from_row(&r)).transpose()?)
}

/// Filters of the queue.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// Only this station.
    pub station_id: Option<i64>,
    /// Only this region.
    pub region_id: Option<i64>,
    /// Only this category code.
    pub category: Option<String>,
    /// Only this severity level code.
    pub severity: Option<String>,
    /// Only this state code.
    pub state: Option<String>,
    /// Only breached (true) or not breached (false).
    pub breached: Option<bool>,
    /// Include closed complaints (default: open only).
    pub include_closed: bool,
}

/// The queue within `reach` (owners: their own complaints): open complaints, nearest deadline first (paused ones,
/// without a deadline, last), at most `limit` from `offset`; and the total.
pub async fn queue(
    conn: &mut AnyConnection,
    reach: &Reach,
    f: &QueueFilter,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<ComplaintRow>, i64)> {
    let (cond, bind) =
        crate::scope::owned_filter(reach, "station_id", "region_id", Some("customer_id"), 1);
    use crate::query::{Bind, Filters};
    let mut q = Filters::new("complaints", &cond, bind.into_iter().map(Bind::I).collect());
    if !f.include_closed {
        q.and("state <> 'closed'");
    }
    q.eq("station_id", f.station_id.map(Bind::I))
        .eq("region_id", f.region_id.map(Bind::I))
        .eq("category", f.category.clone().map(Bind::S))
        .eq("severity", f.severity.clone().map(Bind::S))
        .eq("state", f.state.clone().map(Bind::S))
        .eq("breached", f.breached.map(|b| Bind::I(i64::from(b))));
    let order = "CASE WHEN next_deadline_at IS NULL THEN 1 ELSE 0 END, next_deadline_at, id";
    crate::query::rows_and_total(conn, COLUMNS, &q, order, limit, offset, from_row).await
}

/// The complaints of one customer, newest first.
pub async fn for_customer(
    conn: &mut AnyConnection,
    customer_id: i64,
) -> StoreResult<Vec<ComplaintRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM complaints WHERE customer_id = $1 ORDER BY id DESC LIMIT 100"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(customer_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// When the earlier complaints on a vehicle were received (for the repeated rule).
pub async fn vehicle_received_since(
    conn: &mut AnyConnection,
    vehicle_id: i64,
    since: i64,
) -> StoreResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT received_at FROM complaints WHERE vehicle_id = $1 AND received_at > $2",
    )
    .bind(vehicle_id)
    .bind(since)
    .fetch_all(conn)
    .await?)
}

/// Every complaint received in `[from, to)` (analysis), oldest first.
pub async fn received_between(
    conn: &mut AnyConnection,
    reach: &Reach,
    from: i64,
    to: i64,
) -> StoreResult<Vec<ComplaintRow>> {
    let (cond, bind) = crate::scope::station_filter(reach, "station_id", "region_id", 3);
    let sql = format!(
        "SELECT {COLUMNS} FROM complaints WHERE received_at >= $1 AND received_at < $2 AND {cond} ORDER BY received_at"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(from).bind(to);
    if let Some(b) = bind {
        q = q.bind(b);
    }
    let rows = q.fetch_all(conn).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Moves the state from `from` to `to` (guarded: false when it was not in `from`).
pub async fn set_state(
    conn: &mut AnyConnection,
    id: i64,
    from: &str,
    to: &str,
    closed_at: Option<i64>,
) -> StoreResult<bool> {
    let r = sqlx::query(
        "UPDATE complaints SET state = $1, closed_at = $2 WHERE id = $3 AND state = $4",
    )
    .bind(to)
    .bind(closed_at)
    .bind(id)
    .bind(from)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Names the part a complaint is about (or none), at any time.
pub async fn set_part(
    conn: &mut AnyConnection,
    id: i64,
    part_number: Option<&str>,
) -> StoreResult<()> {
    sqlx::query("UPDATE complaints SET part_number = $1 WHERE id = $2")
        .bind(part_number)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records the analysis: responsibility, cause, the part it names (an analysis that
/// names none keeps the part named before) and when it ended.
pub async fn set_analysis(
    conn: &mut AnyConnection,
    id: i64,
    responsibility: &str,
    cause: &str,
    part_number: Option<&str>,
    at: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE complaints SET responsibility = $1, cause = $2, part_number = COALESCE($3, part_number), analysed_at = $4 WHERE id = $5",
    )
    .bind(responsibility)
    .bind(cause)
    .bind(part_number)
    .bind(at)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves the complaint to another station (and its region).
pub async fn set_station(
    conn: &mut AnyConnection,
    id: i64,
    station_id: i64,
    region_id: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE complaints SET station_id = $1, region_id = $2 WHERE id = $3")
        .bind(station_id)
        .bind(region_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Changes severity and the policy version the clock runs under.
pub async fn set_severity(
    conn: &mut AnyConnection,
    id: i64,
    severity: &str,
    reason: Option<&str>,
    policy_id: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE complaints SET severity = $1, urgent_reason = $2, policy_id = $3 WHERE id = $4",
    )
    .bind(severity)
    .bind(reason)
    .bind(policy_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets the pause marker (waiting for the customer since, or none).
pub async fn set_paused(conn: &mut AnyConnection, id: i64, since: Option<i64>) -> StoreResult<()> {
    sqlx::query("UPDATE complaints SET paused_since = $1 WHERE id = $2")
        .bind(since)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores the clock summary the queue sorts by.
pub async fn set_summary(
    conn: &mut AnyConnection,
    id: i64,
    next_deadline_at: Option<i64>,
    next_stage: Option<&str>,
) -> StoreResult<()> {
    sqlx::query("UPDATE complaints SET next_deadline_at = $1, next_stage = $2 WHERE id = $3")
        .bind(next_deadline_at)
        .bind(next_stage)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores whether the next deadline is provisional (past the loaded holiday plan).
pub async fn set_provisional(
    conn: &mut AnyConnection,
    id: i64,
    provisional: bool,
) -> StoreResult<()> {
    sqlx::query("UPDATE complaints SET deadline_provisional = $1 WHERE id = $2")
        .bind(i64::from(provisional))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The open complaints with a provisional deadline on their current clock: what a
/// newly loaded holiday plan recomputes.
pub async fn provisional_open(conn: &mut AnyConnection) -> StoreResult<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT DISTINCT c.id FROM complaints c JOIN complaint_stages s \
         ON s.complaint_id = c.id AND s.clock_no = c.clock_no \
         WHERE c.state <> 'closed' AND (s.provisional <> 0 OR c.deadline_provisional <> 0) ORDER BY c.id",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get::<i64, _>(0))
        .collect::<Result<_, _>>()?)
}

/// Marks the current clock breached.
pub async fn mark_breached(conn: &mut AnyConnection, id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE complaints SET breached = 1 WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Reopens a closed complaint: a new clock from `at`, history kept.
pub async fn reopen(conn: &mut AnyConnection, id: i64, at: i64) -> StoreResult<bool> {
    let r = sqlx::query(
        "UPDATE complaints SET state = 'received', clock_no = clock_no + 1, clock_started_at = $1, \
         analysed_at = NULL, paused_since = NULL, breached = 0, reopened = 1, closed_at = NULL \
         WHERE id = $2 AND state = 'closed'",
    )
    .bind(at)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// One event of a complaint's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    /// Id.
    pub id: i64,
    /// When.
    pub at: i64,
    /// Kind code.
    pub kind: String,
    /// Who: role code.
    pub actor_role: String,
    /// Who: id.
    pub actor_id: i64,
    /// What, JSON.
    pub detail: String,
}

/// Appends an event.
pub async fn add_event(
    conn: &mut AnyConnection,
    complaint_id: i64,
    at: i64,
    kind: &str,
    actor_role: &str,
    actor_id: i64,
    detail: &serde_json::Value,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO complaint_events (complaint_id, at, kind, actor_role, actor_id, detail) VALUES ($1,$2,$3,$4,$5,$6)")
        .bind(complaint_id)
        .bind(at)
        .bind(kind)
        .bind(actor_role)
        .bind(actor_id)
        .bind(detail.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// The timeline, oldest first.
pub async fn events(conn: &mut AnyConnection, complaint_id: i64) -> StoreResult<Vec<EventRow>> {
    let rows = sqlx::query("SELECT id, at, kind, actor_role, actor_id, detail FROM complaint_events WHERE complaint_id = $1 ORDER BY id")
        .bind(complaint_id)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(EventRow {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                kind: r.try_get("kind")?,
                actor_role: r.try_get("actor_role")?,
                actor_id: r.try_get("actor_id")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect()
}
