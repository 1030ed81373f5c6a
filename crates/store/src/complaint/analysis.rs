//! What the complaint analysis reads: one row per complaint received in a period
//! within a reach (with its vehicle's model and the part its analysis named), with the
//! first clock's met stages (and their counted minutes) and
//! the stages that passed 100 % of their target. Three plain queries over the
//! period, joined in memory by complaint id.

use crate::error::StoreResult;
use domain::permission::Reach;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// One complaint as the analysis sees it.
#[derive(Debug, Clone, Default)]
pub struct FactRow {
    /// Id.
    pub id: i64,
    /// Station.
    pub station_id: i64,
    /// Region.
    pub region_id: i64,
    /// Category code.
    pub category: String,
    /// The vehicle's model, when a vehicle is linked.
    pub model: Option<String>,
    /// The part the analysis named, with its catalogue names (zh, en).
    pub part: Option<(String, String, String)>,
    /// Received.
    pub received_at: i64,
    /// Whether reopened.
    pub reopened: bool,
    /// State code now.
    pub state: String,
    /// The first clock's met stages: (stage code, met at, counted minutes).
    pub stages: Vec<(String, i64, Option<i64>)>,
    /// The first clock's breached stage codes.
    pub breached: Vec<String>,
}

/// The complaints received in `[from, to)` within `reach`, oldest first.
pub async fn facts(
    conn: &mut AnyConnection,
    reach: &Reach,
    from: i64,
    to: i64,
) -> StoreResult<Vec<FactRow>> {
    let (cond, bind) = crate::scope::station_filter(reach, "c.station_id", "c.region_id", 3);
    let scope = |q: sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>| {
        let q = q.bind(from).bind(to);
        match bind {
            Some(b) => q.bind(b),
            None => q,
        }
    };
    let sql = format!(
        "SELECT c.id, c.station_id, c.region_id, c.category, v.model, c.part_number, p.name_zh, p.name_en, \
         c.received_at, c.reopened, c.state \
         FROM complaints c LEFT JOIN vehicles v ON v.id = c.vehicle_id \
         LEFT JOIN parts p ON p.part_number = c.part_number \
         WHERE c.received_at >= $1 AND c.received_at < $2 AND {cond} ORDER BY c.received_at, c.id"
    );
    let rows = scope(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut at: HashMap<i64, usize> = HashMap::new();
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        at.insert(id, out.len());
        out.push(FactRow {
            id,
            station_id: r.try_get("station_id")?,
            region_id: r.try_get("region_id")?,
            category: r.try_get("category")?,
            model: r.try_get("model")?,
            part: match r.try_get::<Option<String>, _>("part_number")? {
                Some(n) => Some((
                    n,
                    r.try_get::<Option<String>, _>("name_zh")?
                        .unwrap_or_default(),
                    r.try_get::<Option<String>, _>("name_en")?
                        .unwrap_or_default(),
                )),
                None => None,
            },
            received_at: r.try_get("received_at")?,
            reopened: r.try_get::<i64, _>("reopened")? != 0,
            state: r.try_get("state")?,
            ..Default::default()
        });
    }
    let sql = format!(
        "SELECT s.complaint_id, s.stage, s.met_at, s.counted_minutes FROM complaint_stages s \
         JOIN complaints c ON c.id = s.complaint_id \
         WHERE s.clock_no = 1 AND s.met_at IS NOT NULL AND c.received_at >= $1 AND c.received_at < $2 AND {cond}"
    );
    for r in scope(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .fetch_all(&mut *conn)
        .await?
    {
        let id: i64 = r.try_get("complaint_id")?;
        if let Some(i) = at.get(&id) {
            out[*i].stages.push((
                r.try_get("stage")?,
                r.try_get("met_at")?,
                r.try_get("counted_minutes")?,
            ));
        }
    }
    let sql = format!(
        "SELECT DISTINCT n.complaint_id, n.stage FROM complaint_notices n \
         JOIN complaints c ON c.id = n.complaint_id \
         WHERE n.clock_no = 1 AND n.step = 'breach100' AND c.received_at >= $1 AND c.received_at < $2 AND {cond}"
    );
    for r in scope(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .fetch_all(&mut *conn)
        .await?
    {
        let id: i64 = r.try_get("complaint_id")?;
        if let Some(i) = at.get(&id) {
            out[*i].breached.push(r.try_get("stage")?);
        }
    }
    Ok(out)
}
