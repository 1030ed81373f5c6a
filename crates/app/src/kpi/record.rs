//! Keeping the monthly KPI counters in step with the events that change them, in the
//! transaction of the event: a delivery, a comeback opened against an earlier order,
//! a complaint received, answered, closed or moved to another station, a survey
//! finished, an audit visit submitted. Each hook
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
use domain::kpi::quality::{audit_contribution, survey_contribution};
use domain::kpi::{Counter, KpiKey, OrderRecord, YearMonth};
use domain::survey::{Answer, Questionnaire, score};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use sqlx::AnyConnection;
use store::kpi::source::{AuditSource, ComplaintSource, OrderSource, SurveySource};

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

/// Counts one finished survey for its station's month (station's zone, at `at`):
/// its weighted CSI score (0–100 points, kept in hundredths) and, when the recommend
/// question was answered, its 0–10 answer for NPS. Called by the survey area in the
/// transaction that closes the survey (owner link or agent call), which happens once
/// per invitation.
pub async fn survey_answered(
    tx: &mut AnyConnection,
    station_id: i64,
    at: i64,
    csi_points: Option<f64>,
    recommend: Option<u8>,
) -> AppResult<()> {
    let tz = station_zone(tx, station_id).await?;
    let month = month_at(at, &tz)?;
    let after = survey_contribution(csi_points, recommend)
        .into_iter()
        .map(|(k, c)| (station_id, month, k, c))
        .collect();
    apply(tx, &Parts::new(), &after).await
}

/// Counts a submitted quality-audit visit: passed of applicable checkpoints in the
/// month of its visit day. Called by the submit, in its transaction, after the visit
/// is saved as submitted (a second submit is refused before reaching here).
pub(crate) async fn audit_submitted(tx: &mut AnyConnection, visit_id: i64) -> AppResult<()> {
    let Some(v) = store::kpi::source::audit(tx, visit_id).await? else {
        return Ok(());
    };
    apply(tx, &Parts::new(), &audit_parts_of(&v)?).await
}

fn month_at(at: i64, tz: &TimeZone) -> AppResult<YearMonth> {
    let d = ts(at)?.to_zoned(tz.clone()).date();
    Ok(YearMonth {
        year: d.year(),
        month: d.month(),
    })
}

fn audit_parts_of(v: &AuditSource) -> AppResult<Parts> {
    let day: jiff::civil::Date = v
        .visited_on
        .parse()
        .map_err(|_| crate::AppError::Internal(format!("visited_on {}", v.visited_on)))?;
    let month = YearMonth {
        year: day.year(),
        month: day.month(),
    };
    Ok(audit_contribution(v.passed, v.failed)
        .map(|(k, c)| vec![(v.station_id, month, k, c)])
        .unwrap_or_default())
}

/// A finished survey's respondent CSI and recommend answer, scored on the version it
/// was given on (`versions` caches the questionnaires read).
pub(crate) async fn survey_scores(
    tx: &mut AnyConnection,
    versions: &mut HashMap<i64, Questionnaire>,
    s: &SurveySource,
) -> AppResult<(Option<f64>, Option<u8>)> {
    let q = match versions.entry(s.version) {
        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(crate::survey::version(tx, s.version).await?)
        }
    };
    let answers: BTreeMap<String, Answer> = s
        .scores
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), Answer::Score(u8::try_from(*v).ok()?))))
        .collect();
    Ok((
        score::respondent_csi(q, &answers),
        score::recommend(q, &answers),
    ))
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
        .filter(|d| d.source.has_data())
        .map(|d| d.key.code())
        .collect()
}

/// Recomputes every counter of `month` from the raw rows (orders delivered,
/// complaints received and surveys finished in it, in each station's zone; audit
/// visits of its days), replacing what was there. Answers how many counters were
/// written.
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
    let mut versions: HashMap<i64, Questionnaire> = HashMap::new();
    for sv in store::kpi::source::surveys_finished(tx, from, to, None).await? {
        let tz = zone(tx, &mut zones, sv.station_id).await?;
        let m = month_at(sv.answered_at, &tz)?;
        let (csi, rec) = survey_scores(tx, &mut versions, &sv).await?;
        add(survey_contribution(csi, rec)
            .into_iter()
            .map(|(k, c)| (sv.station_id, m, k, c))
            .collect());
    }
    for v in store::kpi::source::audits_submitted(tx, &month.to_string()).await? {
        add(audit_parts_of(&v)?);
    }
    let m = month.to_string();
    store::kpi::clear(tx, &m, &rebuilt_kpis()).await?;
    for ((s, k), c) in &sums {
        store::kpi::add(tx, &m, k.code(), *s, (c.numerator, c.denominator, c.total)).await?;
    }
    Ok(sums.len())
}
