//! Drill-down from a figure: the orders a station delivered in a month (with what
//! each counted for: first-time fix, on time, minutes) and the complaints it received
//! (first response and closure), the surveys finished (each respondent's CSI and
//! recommend answer) and the audit visits submitted, so a number on a dashboard can be
//! checked case by case.

use crate::calendar::station_zone;
use crate::network::expect;
use crate::shared::ts;
use crate::{App, AppError, AppResult, conn};
use domain::kpi::YearMonth;
use domain::kpi::complaint::{CLOSURE_HOURS, RESPONSE_1H_MINUTES, RESPONSE_2H_MINUTES};
use domain::kpi::order::is_comeback_within_window;
use domain::permission::{Action, Grant};
use serde::Serialize;

/// One delivered order and what it counted for.
#[derive(Debug, Clone, Serialize)]
pub struct OrderCase {
    /// Order id.
    pub id: i64,
    /// Reception, UTC ms.
    pub received_at: i64,
    /// Hand-over, UTC ms.
    pub delivered_at: i64,
    /// Promised completion, UTC ms.
    pub promised_at: Option<i64>,
    /// Counted as fixed the first time (no comeback in the window).
    pub fixed_first_time: bool,
    /// Handed over by the promised time.
    pub on_time: bool,
    /// Whole minutes from reception to hand-over.
    pub minutes: i64,
}

/// One complaint and what it counted for.
#[derive(Debug, Clone, Serialize)]
pub struct ComplaintCase {
    /// Complaint id.
    pub id: i64,
    /// Receipt, UTC ms.
    pub received_at: i64,
    /// First response, UTC ms.
    pub first_response_at: Option<i64>,
    /// First closure, UTC ms.
    pub first_closed_at: Option<i64>,
    /// Answered within 1 hour.
    pub within_1h: bool,
    /// Answered within 2 hours.
    pub within_2h: bool,
    /// Closed within 3 days.
    pub closed_3d: bool,
}

/// One finished survey and what it counted for.
#[derive(Debug, Clone, Serialize)]
pub struct SurveyCase {
    /// Invitation id.
    pub id: i64,
    /// Finished, UTC ms.
    pub answered_at: i64,
    /// `owner` (the link) or `agent` (a call).
    pub answered_via: Option<String>,
    /// The respondent's weighted CSI (0–100), if a scored question was answered.
    pub csi: Option<f64>,
    /// The recommend answer (0–10), if given.
    pub recommend: Option<u8>,
}

/// One submitted audit visit and what it counted for.
#[derive(Debug, Clone, Serialize)]
pub struct AuditCase {
    /// Visit id.
    pub id: i64,
    /// The visit day.
    pub visited_on: String,
    /// Checkpoints passed.
    pub passed: i64,
    /// Checkpoints failed.
    pub failed: i64,
}

async fn span(
    c: &mut sqlx::AnyConnection,
    grant: &Grant,
    station: i64,
    month: YearMonth,
) -> AppResult<(i64, i64, jiff::tz::TimeZone)> {
    expect(grant, Action::KpiRead)?;
    store::network::station(c, grant.reach(), station).await?;
    let tz = station_zone(c, station).await?;
    let (from, to) = month
        .bounds(&tz)
        .ok_or_else(|| AppError::Internal(format!("month {month}")))?;
    Ok((from.as_millisecond(), to.as_millisecond(), tz))
}

/// The orders `station` delivered in `month`, by id. Needs `KpiRead` within reach.
pub async fn orders(
    app: &App,
    grant: &Grant,
    station: i64,
    month: YearMonth,
) -> AppResult<Vec<OrderCase>> {
    let mut c = conn(app).await?;
    let (from, to, tz) = span(&mut c, grant, station, month).await?;
    let rows = store::kpi::source::orders_delivered(&mut c, from, to, Some(station)).await?;
    rows.into_iter()
        .filter_map(|o| o.delivered_at.map(|d| (o, d)))
        .map(|(o, d)| {
            let delivered = ts(d)?;
            let fixed = !o
                .comebacks_received
                .iter()
                .map(|x| ts(*x))
                .collect::<AppResult<Vec<_>>>()?
                .into_iter()
                .any(|x| is_comeback_within_window(delivered, x, &tz));
            Ok(OrderCase {
                id: o.id,
                received_at: o.received_at,
                delivered_at: d,
                promised_at: o.promised_at,
                fixed_first_time: fixed,
                on_time: o.promised_at.is_some_and(|p| d <= p),
                minutes: (d / 1000 - o.received_at / 1000) / 60,
            })
        })
        .collect()
}

/// The complaints `station` received in `month`, by id. Needs `KpiRead` within
/// reach.
pub async fn complaints(
    app: &App,
    grant: &Grant,
    station: i64,
    month: YearMonth,
) -> AppResult<Vec<ComplaintCase>> {
    let mut c = conn(app).await?;
    let (from, to, _) = span(&mut c, grant, station, month).await?;
    let rows = store::kpi::source::complaints_received(&mut c, from, to, Some(station)).await?;
    let within = |r: i64, x: Option<i64>, secs: i64| x.is_some_and(|x| x / 1000 - r / 1000 <= secs);
    Ok(rows
        .into_iter()
        .map(|x| ComplaintCase {
            id: x.id,
            received_at: x.received_at,
            first_response_at: x.first_response_at,
            first_closed_at: x.first_closed_at,
            within_1h: within(x.received_at, x.first_response_at, RESPONSE_1H_MINUTES * 60),
            within_2h: within(x.received_at, x.first_response_at, RESPONSE_2H_MINUTES * 60),
            closed_3d: within(x.received_at, x.first_closed_at, CLOSURE_HOURS * 3600),
        })
        .collect())
}

/// The surveys `station` finished in `month` (the station's zone), by id, each
/// scored on the version it was given on: the cases behind its CSI and NPS. Needs
/// `KpiRead` within reach.
pub async fn surveys(
    app: &App,
    grant: &Grant,
    station: i64,
    month: YearMonth,
) -> AppResult<Vec<SurveyCase>> {
    let mut c = conn(app).await?;
    let (from, to, _) = span(&mut c, grant, station, month).await?;
    let rows = store::kpi::source::surveys_finished(&mut c, from, to, Some(station)).await?;
    let mut versions = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for s in rows {
        let (csi, recommend) = super::record::survey_scores(&mut c, &mut versions, &s).await?;
        out.push(SurveyCase {
            id: s.id,
            answered_at: s.answered_at,
            answered_via: s.answered_via,
            csi,
            recommend,
        });
    }
    Ok(out)
}

/// The audit visits of `station` submitted for days of `month`, by id: the cases
/// behind its audit compliance. Needs `KpiRead` within reach.
pub async fn audits(
    app: &App,
    grant: &Grant,
    station: i64,
    month: YearMonth,
) -> AppResult<Vec<AuditCase>> {
    let mut c = conn(app).await?;
    span(&mut c, grant, station, month).await?;
    Ok(
        store::kpi::source::audits_submitted(&mut c, &month.to_string())
            .await?
            .into_iter()
            .filter(|v| v.station_id == station)
            .map(|v| AuditCase {
                id: v.id,
                visited_on: v.visited_on,
                passed: v.passed,
                failed: v.failed,
            })
            .collect(),
    )
}
