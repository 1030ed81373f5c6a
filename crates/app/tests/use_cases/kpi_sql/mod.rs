//! The independent computation of the KPI counters, in plain SQL over the raw rows,
//! shared by the KPI engine's test (`kpi.rs`) and the simulator's (`simulation.rs`):
//! the counters the engine keeps must equal these, month by month.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::common::Env;
use std::collections::BTreeMap;

/// Counters per (station, KPI code): (numerator, denominator, total).
pub type Sums = BTreeMap<(i64, String), (i64, i64, i64)>;

/// The month's counters as the engine keeps them.
pub async fn engine(env: &Env, month: &str) -> Sums {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let rows: Vec<(i64, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT station_id, kpi, numerator, denominator, total FROM kpi_monthly \
         WHERE month = $1 AND kpi IN ('ffv', 'mdt', 'on_time', 'complaint_response_1h', \
         'complaint_response_2h', 'complaint_closure_3d')",
    )
    .bind(month)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    rows.into_iter()
        .filter(|r| r.3 != 0 || r.2 != 0 || r.4 != 0)
        .map(|(s, k, n, d, t)| ((s, k), (n, d, t)))
        .collect()
}

/// The same month computed independently, in plain SQL over the raw rows. Months are
/// Shanghai months (every station here is in Shanghai), given as UTC bounds; the
/// 12-month guarantee window is taken as 365 days (the data has no comeback near its
/// end).
pub async fn plain_sql(env: &Env, from: i64, to: i64) -> Sums {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let orders: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT o.station_id, CAST(COUNT(*) AS BIGINT), \
           CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM repair_orders c WHERE c.comeback_of = o.id \
                AND c.received_at >= o.delivered_at \
                AND c.received_at < o.delivered_at + 31536000000) THEN 0 ELSE 1 END) AS BIGINT), \
           CAST(SUM(CASE WHEN o.promised_at IS NOT NULL AND o.delivered_at <= o.promised_at \
                THEN 1 ELSE 0 END) AS BIGINT), \
           CAST(SUM((o.delivered_at - o.received_at) / 60000) AS BIGINT) \
         FROM repair_orders o WHERE o.delivered_at >= $1 AND o.delivered_at < $2 \
         GROUP BY o.station_id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    let mut out = Sums::new();
    for (s, n, fixed, on_time, minutes) in orders {
        out.insert((s, "ffv".into()), (fixed, n, 0));
        out.insert((s, "on_time".into()), (on_time, n, 0));
        out.insert((s, "mdt".into()), (0, n, minutes));
    }
    let complaints: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT x.station_id, CAST(COUNT(*) AS BIGINT), \
           CAST(SUM(CASE WHEN x.responded <= x.received_at + 3600000 THEN 1 ELSE 0 END) AS BIGINT), \
           CAST(SUM(CASE WHEN x.responded <= x.received_at + 7200000 THEN 1 ELSE 0 END) AS BIGINT), \
           CAST(SUM(CASE WHEN x.closed <= x.received_at + 259200000 THEN 1 ELSE 0 END) AS BIGINT) \
         FROM (SELECT c.station_id, c.received_at, \
                 (SELECT MIN(e.at) FROM complaint_events e WHERE e.complaint_id = c.id \
                    AND e.kind IN ('responded', 'acknowledge')) AS responded, \
                 (SELECT MIN(e.at) FROM complaint_events e WHERE e.complaint_id = c.id \
                    AND e.kind = 'close') AS closed \
               FROM complaints c WHERE c.received_at >= $1 AND c.received_at < $2) x \
         GROUP BY x.station_id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    for (s, n, h1, h2, d3) in complaints {
        out.insert((s, "complaint_response_1h".into()), (h1, n, 0));
        out.insert((s, "complaint_response_2h".into()), (h2, n, 0));
        out.insert((s, "complaint_closure_3d".into()), (d3, n, 0));
    }
    out
}
