//! Keeping the monthly KPI counters in step with the events that change them, in the
//! transaction of the event: a delivery, a comeback opened against an earlier order,
//! a complaint received, answered, closed or moved to another station. Each hook
//! computes the subject's contribution (domain `order_contribution` /
//! `complaint_contribution`) before and after the change and adds the difference, so
//! a repeated or reordered event can never count a case twice. [`rebuild_month`]
//! recomputes a month from the raw rows (repair, and the proof in the tests).

use std::collections::{BTreeMap, HashMap};

use crate::AppResult;
use crate::calendar::station_zone;
use crate::shared::{refused, ts};
use domain::kpi::complaint::{ComplaintRecord, complaint_contribution};
use domain::kpi::order::order_contribution;
use domain::kpi::{Counter, KpiKey, OrderRecord, Source, YearMonth};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use sqlx::AnyConnection;
use store::kpi::source::{ComplaintSource, OrderSource};

/// One subject's cases: station, month, KPI and counter.
pub type Parts = Vec<(i64, YearMonth, KpiKey, Counter)>;

fn order_record(o: &OrderSource) -> AppResult<OrderRecord> {
    Ok(OrderRecord {
        order_id: o.id.to_string(),
        station: o.station_id.to_string(),
        received_at: ts(o.received_at)?,
        delivered_at: o.delivered_at.map(ts).transpose()?,
        promised_at: o.promised_at.map(ts).transpose()?,
        comeback_of: None,
    })
}

fn order_parts_of(o: &OrderSource, comebacks: &[i64], tz: &TimeZone) -> AppResult<Parts> {
    let cbs = comebacks
        .iter()
        .map(|c| ts(*c))
        .collect::<AppResult<Vec<Timestamp>>>()?;
    let parts = order_contribution(&order_record(o)?, &cbs, tz).map_err(refused)?;
    Ok(parts
        .map(|(m, ps)| {
            ps.into_iter()
                .map(|(k, c)| (o.station_id, m, k, c))
                .collect()
        })
        .unwrap_or_default())
}

async fn apply(tx: &mut AnyConnection, before: &Parts, after: &Parts) -> AppResult<()> {
    let mut delta: BTreeMap<(i64, YearMonth, KpiKey), Counter> = BTreeMap::new();
    for (s, m, k, c) in after {
        let e = delta.entry((*s, *m, *k)).or_default();
        *e = *e + *c;
    }
    for (s, m, k, c) in before {
        let e = delta.entry((*s, *m, *k)).or_default();
        *e = *e - *c;
    }
    for ((s, m, k), c) in delta {
        if !c.is_zero() {
            store::kpi::add(
                tx,
                &m.to_string(),
                k.code(),
                s,
                (c.numerator, c.denominator, c.total),
            )
            .await?;
        }
    }
    Ok(())
}

/// Counts a delivered order in its month of delivery. Called by the hand-over, in
/// its transaction, after the order is saved as delivered.
pub(crate) async fn order_delivered(tx: &mut AnyConnection, id: i64) -> AppResult<()> {
    let Some(o) = store::kpi::source::order(tx, id).await? else {
        return Ok(());
    };
    let tz = station_zone(tx, o.station_id).await?;
    let after = order_parts_of(&o, &o.comebacks_received, &tz)?;
    apply(tx, &Parts::new(), &after).await
}

/// Takes the first-time fix back from `original` when the comeback just opened
/// (received at `received_at`) falls in its guarantee window and is its first. Called
/// by the order opening, in its transaction, after the comeback is inserted.
pub(crate) async fn comeback_opened(
    tx: &mut AnyConnection,
    original: i64,
    received_at: i64,
) -> AppResult<()> {
    let Some(o) = store::kpi::source::order(tx, original).await? else {
        return Ok(());
    };
    let mut earlier = o.comebacks_received.clone();
    if let Some(i) = earlier.iter().position(|c| *c == received_at) {
        earlier.remove(i);
    }
    let tz = station_zone(tx, o.station_id).await?;
    let before = order_parts_of(&o, &earlier, &tz)?;
    let after = order_parts_of(&o, &o.comebacks_received, &tz)?;
    apply(tx, &before, &after).await
}

fn complaint_parts_of(c: &ComplaintSource, tz: &TimeZone) -> AppResult<Parts> {
    let rec = ComplaintRecord {
        received_at: ts(c.received_at)?,
        first_response_at: c.first_response_at.map(ts).transpose()?,
        first_closed_at: c.first_closed_at.map(ts).transpose()?,
    };
    let (m, ps) = complaint_contribution(&rec, tz);
    Ok(ps
        .into_iter()
        .map(|(k, x)| (c.station_id, m, k, x))
        .collect())
}

/// A complaint's cases as they stand (empty before it exists): read before a change,
/// handed to [`complaint_changed`] after it.
pub(crate) async fn complaint_parts(tx: &mut AnyConnection, id: i64) -> AppResult<Parts> {
    match store::kpi::source::complaint(tx, id).await? {
        Some(c) => {
            let tz = station_zone(tx, c.station_id).await?;
            complaint_parts_of(&c, &tz)
        }
        None => Ok(Parts::new()),
    }
}

/// Adds the difference a complaint's change made (receipt, first response, first
/// closure, move to another station) to the counters. Called in the change's
/// transaction with what [`complaint_parts`] read before it.
pub(crate) async fn complaint_changed(
    tx: &mut AnyConnection,
    id: i64,
    before: &Parts,
) -> AppResult<()> {
    let after = complaint_parts(tx, id).await?;
    apply(tx, before, &after).await
}

/// The extension point for the survey area: counts one answered survey for a
/// station's month: its weighted CSI score (0–100 points) and, when the recommend
/// question was answered, its 0–10 answer for NPS. Call it in the transaction that
/// stores the answers.
pub async fn survey_answered(
    tx: &mut AnyConnection,
    station_id: i64,
    month: YearMonth,
    csi_points: Option<i64>,
    recommend: Option<i64>,
) -> AppResult<()> {
    let mut after = Parts::new();
    if let Some(p) = csi_points {
        after.push((
            station_id,
            month,
            KpiKey::Csi,
            Counter::mean(p.clamp(0, 100)),
        ));
    }
    if let Some(r) = recommend {
        after.push((
            station_id,
            month,
            KpiKey::Nps,
            Counter {
                numerator: i64::from(r >= 9),
                denominator: 1,
                total: i64::from(r <= 6),
            },
        ));
    }
    apply(tx, &Parts::new(), &after).await
}

async fn zone(
    tx: &mut AnyConnection,
    zones: &mut HashMap<i64, TimeZone>,
    station: i64,
) -> AppResult<TimeZone> {
    if let Some(z) = zones.get(&station) {
        return Ok(z.clone());
    }
    let z = station_zone(tx, station).await?;
    zones.insert(station, z.clone());
    Ok(z)
}

/// The KPI codes a rebuild recomputes: those with a data source this engine reads.
pub fn rebuilt_kpis() -> Vec<&'static str> {
    domain::kpi::catalogue()
        .iter()
        .filter(|d| matches!(d.source, Source::RepairOrders | Source::Complaints))
        .map(|d| d.key.code())
        .collect()
}

/// Recomputes every repair-order and complaint counter of `month` from the raw rows
/// (orders delivered and complaints received in it, in each station's zone),
/// replacing what was there. Answers how many counters were written.
pub async fn rebuild_month(tx: &mut AnyConnection, month: YearMonth) -> AppResult<usize> {
    // A span wide enough for every zone: a day either side of the month in UTC.
    let utc = jiff::tz::TimeZone::UTC;
    let (from, to) = month
        .bounds(&utc)
        .ok_or_else(|| crate::AppError::Internal(format!("month {month}")))?;
    let (from, to) = (
        from.as_millisecond() - 86_400_000,
        to.as_millisecond() + 86_400_000,
    );
    let mut sums: BTreeMap<(i64, KpiKey), Counter> = BTreeMap::new();
    let mut add = |parts: Parts| {
        for (s, m, k, c) in parts {
            if m == month {
                let e = sums.entry((s, k)).or_default();
                *e = *e + c;
            }
        }
    };
    let mut zones: HashMap<i64, TimeZone> = HashMap::new();
    for o in store::kpi::source::orders_delivered(tx, from, to, None).await? {
        let tz = zone(tx, &mut zones, o.station_id).await?;
        add(order_parts_of(&o, &o.comebacks_received, &tz)?);
    }
    for c in store::kpi::source::complaints_received(tx, from, to, None).await? {
        let tz = zone(tx, &mut zones, c.station_id).await?;
        add(complaint_parts_of(&c, &tz)?);
    }
    let m = month.to_string();
    store::kpi::clear(tx, &m, &rebuilt_kpis()).await?;
    for ((s, k), c) in &sums {
        store::kpi::add(tx, &m, k.code(), *s, (c.numerator, c.denominator, c.total)).await?;
    }
    Ok(sums.len())
}
