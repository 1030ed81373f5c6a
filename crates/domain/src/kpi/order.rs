//! The repair-order KPIs computed from plain records: first-time fix, mean repair
//! duration and on-time delivery per station and month of delivery (in the station's
//! zone). [`by_station_and_month`] computes them over a whole set of orders (the
//! reference the tests hold the incremental counters to); [`order_contribution`] is
//! what one order adds to its month's counters, so a delivery or a comeback updates
//! the aggregates without reading history.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::{Counter, KpiError, KpiKey, Rate, StationMonth, YearMonth};

use crate::guarantee::guarantee_ends;

/// A repair order as the KPIs need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// Order id.
    pub order_id: String,
    /// Station id.
    pub station: String,
    /// Reception time.
    pub received_at: Timestamp,
    /// Hand-over time, if delivered.
    pub delivered_at: Option<Timestamp>,
    /// Promised completion time, if set.
    pub promised_at: Option<Timestamp>,
    /// The original order when this one is a comeback (返修).
    pub comeback_of: Option<String>,
}

fn check(records: &[OrderRecord]) -> Result<(), KpiError> {
    match records
        .iter()
        .find(|r| r.delivered_at.is_some_and(|d| d < r.received_at))
    {
        Some(r) => Err(KpiError::DeliveredBeforeReceived(r.order_id.clone())),
        None => Ok(()),
    }
}

/// Whether a comeback received at `came` counts against an order delivered at
/// `delivered`: received at or after the hand-over and on or before the last day of
/// the 12-month repair guarantee (dates in the station's zone).
pub fn is_comeback_within_window(delivered: Timestamp, came: Timestamp, tz: &TimeZone) -> bool {
    let end = guarantee_ends(tz.to_datetime(delivered).date()).ok();
    let came_on = tz.to_datetime(came).date();
    came >= delivered && end.is_none_or(|e| came_on <= e)
}

/// Ids of orders with a comeback received within 12 months of their delivery.
fn orders_with_comeback<'a>(records: &'a [OrderRecord], tz: &TimeZone) -> Vec<&'a str> {
    let by_id: HashMap<&str, &OrderRecord> =
        records.iter().map(|r| (r.order_id.as_str(), r)).collect();
    let mut out: Vec<&str> = records
        .iter()
        .filter_map(|c| {
            let original = by_id.get(c.comeback_of.as_deref()?)?;
            let delivered = original.delivered_at?;
            is_comeback_within_window(delivered, c.received_at, tz)
                .then_some(original.order_id.as_str())
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn summarise<'a>(
    delivered: impl Iterator<Item = &'a OrderRecord>,
    comebacks: &[&str],
) -> (u64, Rate, Option<i64>, Rate) {
    let (mut n, mut ftf, mut on_time, mut total_minutes) =
        (0u64, Rate::default(), Rate::default(), 0i64);
    for r in delivered {
        let Some(d) = r.delivered_at else { continue };
        n += 1;
        ftf.count(comebacks.binary_search(&r.order_id.as_str()).is_err());
        on_time.count(r.promised_at.is_some_and(|p| d <= p));
        total_minutes += (d.as_second() - r.received_at.as_second()) / 60;
    }
    let mean = (n > 0).then(|| {
        let n = n as i64;
        (total_minutes + n / 2) / n
    });
    (n, ftf, mean, on_time)
}

/// First-time-fix rate over all delivered orders in `records`.
pub fn first_time_fix(records: &[OrderRecord], tz: &TimeZone) -> Result<Rate, KpiError> {
    check(records)?;
    Ok(summarise(records.iter(), &orders_with_comeback(records, tz)).1)
}

/// Mean repair duration in minutes over all delivered orders, if any.
pub fn mean_repair_minutes(records: &[OrderRecord]) -> Result<Option<i64>, KpiError> {
    check(records)?;
    Ok(summarise(records.iter(), &[]).2)
}

/// On-time delivery rate over all delivered orders.
pub fn on_time_delivery(records: &[OrderRecord]) -> Result<Rate, KpiError> {
    check(records)?;
    Ok(summarise(records.iter(), &[]).3)
}

/// The KPIs per station and month of delivery (in `tz`), sorted by station then
/// month. Comebacks are looked up across all `records`, whatever their station.
pub fn by_station_and_month(
    records: &[OrderRecord],
    tz: &TimeZone,
) -> Result<Vec<StationMonth>, KpiError> {
    check(records)?;
    let comebacks = orders_with_comeback(records, tz);
    let mut groups: BTreeMap<(&str, YearMonth), Vec<&OrderRecord>> = BTreeMap::new();
    for r in records {
        if let Some(d) = r.delivered_at {
            let month = month_of(d, tz);
            groups
                .entry((r.station.as_str(), month))
                .or_default()
                .push(r);
        }
    }
    Ok(groups
        .into_iter()
        .map(|((station, month), rs)| {
            let (delivered, first_time_fix, mean_repair_minutes, on_time_delivery) =
                summarise(rs.into_iter(), &comebacks);
            StationMonth {
                station: station.to_string(),
                month,
                delivered,
                first_time_fix,
                mean_repair_minutes,
                on_time_delivery,
            }
        })
        .collect())
}

/// The month (in `tz`) an instant falls in.
pub fn month_of(at: Timestamp, tz: &TimeZone) -> YearMonth {
    let local = tz.to_datetime(at);
    YearMonth {
        year: local.year(),
        month: local.month(),
    }
}

/// The month a subject's cases belong to, and its case of each KPI.
pub type MonthCases = (YearMonth, Vec<(KpiKey, Counter)>);

/// What one delivered order adds to its station's counters for its month of delivery:
/// one to every denominator, its minutes to the repair-time sum, one to on-time when
/// handed over by the promised time, and one to first-time fix unless one of
/// `comebacks_received` (the reception times of orders opened as its comeback) falls
/// in its guarantee window. An order not yet delivered adds nothing.
pub fn order_contribution(
    order: &OrderRecord,
    comebacks_received: &[Timestamp],
    tz: &TimeZone,
) -> Result<Option<MonthCases>, KpiError> {
    check(std::slice::from_ref(order))?;
    let Some(delivered) = order.delivered_at else {
        return Ok(None);
    };
    let fixed = !comebacks_received
        .iter()
        .any(|c| is_comeback_within_window(delivered, *c, tz));
    let on_time = order.promised_at.is_some_and(|p| delivered <= p);
    let minutes = (delivered.as_second() - order.received_at.as_second()) / 60;
    Ok(Some((
        month_of(delivered, tz),
        vec![
            (KpiKey::FirstTimeFix, Counter::ratio(fixed)),
            (KpiKey::MeanRepairDuration, Counter::mean(minutes)),
            (KpiKey::OnTimeDelivery, Counter::ratio(on_time)),
        ],
    )))
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use crate::calendar::shanghai;
    use jiff::civil::date;

    fn at(m: i8, d: i8, h: i8, min: i8) -> Timestamp {
        shanghai()
            .to_timestamp(date(2026, m, d).at(h, min, 0, 0))
            .expect("ts")
    }

    fn rec(
        id: &str,
        station: &str,
        rec_at: Timestamp,
        del: Option<Timestamp>,
        promised: Option<Timestamp>,
        cb: Option<&str>,
    ) -> OrderRecord {
        OrderRecord {
            order_id: id.into(),
            station: station.into(),
            received_at: rec_at,
            delivered_at: del,
            promised_at: promised,
            comeback_of: cb.map(Into::into),
        }
    }

    fn sample() -> Vec<OrderRecord> {
        vec![
            // S1, March: 3 delivered. A comes back in April; B on time; C late.
            rec(
                "A",
                "S1",
                at(3, 2, 9, 0),
                Some(at(3, 2, 11, 0)),
                Some(at(3, 2, 12, 0)),
                None,
            ), // 120 min, on time
            rec(
                "B",
                "S1",
                at(3, 5, 9, 0),
                Some(at(3, 5, 10, 30)),
                Some(at(3, 5, 10, 30)),
                None,
            ), // 90, on time
            rec(
                "C",
                "S1",
                at(3, 9, 9, 0),
                Some(at(3, 9, 14, 1)),
                Some(at(3, 9, 14, 0)),
                None,
            ), // 301, late
            rec(
                "D",
                "S1",
                at(4, 1, 9, 0),
                Some(at(4, 1, 10, 0)),
                None,
                Some("A"),
            ), // comeback of A; no promise
            // S1 order delivered 00:30 on 1 April Shanghai time = 31 March UTC: April.
            rec(
                "E",
                "S1",
                at(3, 31, 22, 0),
                Some(at(4, 1, 0, 30)),
                Some(at(4, 1, 1, 0)),
                None,
            ), // 150, on time
            rec("F", "S2", at(3, 3, 9, 0), None, None, None), // not delivered
        ]
    }

    #[test]
    fn hand_computed_figures() {
        let tz = shanghai();
        let got = by_station_and_month(&sample(), &tz).expect("kpi");
        assert_eq!(got.len(), 2);
        let march = &got[0];
        assert_eq!(
            (march.station.as_str(), march.month.to_string()),
            ("S1", "2026-03".to_string())
        );
        assert_eq!(march.delivered, 3);
        assert_eq!(
            march.first_time_fix,
            Rate {
                numerator: 2,
                denominator: 3
            }
        );
        // (120 + 90 + 301) / 3 = 170.33 -> 170
        assert_eq!(march.mean_repair_minutes, Some(170));
        assert_eq!(
            march.on_time_delivery,
            Rate {
                numerator: 2,
                denominator: 3
            }
        );
        let april = &got[1];
        assert_eq!(
            april.month,
            YearMonth {
                year: 2026,
                month: 4
            }
        );
        assert_eq!(april.delivered, 2);
        assert_eq!(
            april.first_time_fix,
            Rate {
                numerator: 2,
                denominator: 2
            }
        );
        // (60 + 150) / 2 = 105
        assert_eq!(april.mean_repair_minutes, Some(105));
        assert_eq!(
            april.on_time_delivery,
            Rate {
                numerator: 1,
                denominator: 2
            }
        );

        assert_eq!(
            first_time_fix(&sample(), &tz),
            Ok(Rate {
                numerator: 4,
                denominator: 5
            })
        );
        assert_eq!(
            on_time_delivery(&sample()),
            Ok(Rate {
                numerator: 3,
                denominator: 5
            })
        );
        // (120 + 90 + 301 + 60 + 150) / 5 = 144.2 -> 144
        assert_eq!(mean_repair_minutes(&sample()), Ok(Some(144)));
    }

    #[test]
    fn comeback_after_the_window_does_not_count() {
        let tz = shanghai();
        let late = shanghai()
            .to_timestamp(date(2027, 3, 3).at(9, 0, 0, 0))
            .expect("ts");
        let records = vec![
            rec("A", "S1", at(3, 2, 9, 0), Some(at(3, 2, 11, 0)), None, None),
            rec("X", "S1", late, None, None, Some("A")),
        ];
        assert_eq!(
            first_time_fix(&records, &tz),
            Ok(Rate {
                numerator: 1,
                denominator: 1
            })
        );
    }

    #[test]
    fn empty_rates_have_no_percent_and_bad_records_are_refused() {
        assert_eq!(Rate::default().percent(), None);
        assert_eq!(
            Rate {
                numerator: 1,
                denominator: 3
            }
            .percent()
            .map(|p| (p * 100.0).round() / 100.0),
            Some(33.33)
        );
        assert_eq!(mean_repair_minutes(&[]), Ok(None));
        let bad = [rec(
            "Z",
            "S1",
            at(3, 2, 9, 0),
            Some(at(3, 2, 8, 0)),
            None,
            None,
        )];
        assert_eq!(
            on_time_delivery(&bad),
            Err(KpiError::DeliveredBeforeReceived("Z".into()))
        );
        let v: crate::Violation = KpiError::DeliveredBeforeReceived("Z".into()).into();
        assert_eq!(v.rule, "kpi.delivered_before_received");
    }
}
