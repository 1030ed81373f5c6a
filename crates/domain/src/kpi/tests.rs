//! Property tests of the KPI engine: roll-up is a sum, figures stay in bounds, one
//! order's contributions add up to the batch computation, periods parse back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::complaint::{ComplaintRecord, complaint_contribution};
use super::order::order_contribution;
use super::stars::StarPolicy;
use super::*;
use crate::calendar::shanghai;
use jiff::Timestamp;
use jiff::civil::date;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn counter() -> impl Strategy<Value = Counter> {
    (0i64..1000, 0i64..1000, 0i64..100_000).prop_map(|(a, b, t)| Counter {
        numerator: a.min(b),
        denominator: b,
        total: t,
    })
}

fn base() -> i64 {
    shanghai()
        .to_timestamp(date(2026, 1, 1).at(0, 0, 0, 0))
        .unwrap()
        .as_second()
}

proptest! {
    /// The network's counter is the sum of its stations' whatever the grouping into
    /// regions, and its figure is the figure of that sum.
    #[test]
    fn rollup_is_a_sum(stations in prop::collection::vec(counter(), 1..40), split in 0usize..40) {
        let split = split.min(stations.len());
        let (a, b) = stations.split_at(split);
        let regions = [Counter::sum(a), Counter::sum(b)];
        let network = Counter::sum(&stations);
        prop_assert_eq!(Counter::sum(&regions), network);
        prop_assert_eq!(
            KpiKey::FirstTimeFix.value(&network),
            KpiKey::FirstTimeFix.value(&Counter::sum(&regions))
        );
    }

    /// Rates stay within 0–100 %, NPS within −100…100, stars within 1–5.
    #[test]
    fn figures_stay_in_bounds(c in counter(), promoters in 0i64..500, detractors in 0i64..500, extra in 0i64..500) {
        if let Some(v) = KpiKey::OnTimeDelivery.value(&c) {
            prop_assert!((0.0..=100.0).contains(&v));
        }
        let nps = Counter { numerator: promoters, total: detractors, denominator: promoters + detractors + extra };
        if let Some(v) = KpiKey::Nps.value(&nps) {
            prop_assert!((-100.0..=100.0).contains(&v));
        }
        let p = StarPolicy::default();
        let score = p.score(&[(KpiKey::FirstTimeFix, c), (KpiKey::Nps, nps), (KpiKey::MeanRepairDuration, Counter::mean(extra))]);
        if let Some(s) = score {
            prop_assert!((0.0..=100.0).contains(&s));
            prop_assert!((1..=5).contains(&p.stars(s)));
        }
    }

    /// Summing each order's contribution gives what the batch computation over all
    /// orders gives: the incremental counters cannot drift from the definition.
    #[test]
    fn contributions_add_up_to_the_batch(orders in prop::collection::vec(
        (0i64..120 * 86_400, 1i64..5 * 86_400, prop::option::of(-7_200i64..7_200), 0usize..3, prop::option::of(0usize..30), 0i64..400 * 86_400),
        1..30,
    )) {
        let tz = shanghai();
        let t0 = base();
        let mut records = Vec::new();
        for (i, (rec, dur, promise, station, cb, _)) in orders.iter().enumerate() {
            let received = Timestamp::from_second(t0 + rec).unwrap();
            let delivered = Timestamp::from_second(t0 + rec + dur).unwrap();
            records.push(OrderRecord {
                order_id: format!("o{i}"),
                station: format!("s{station}"),
                received_at: received,
                delivered_at: Some(delivered),
                promised_at: promise.map(|p| Timestamp::from_second(t0 + rec + dur + p).unwrap()),
                comeback_of: None,
            });
            let _ = cb;
        }
        // Comebacks: extra undelivered orders pointing at earlier ones.
        for (i, (_, _, _, station, cb, later)) in orders.iter().enumerate() {
            if let Some(of) = cb.filter(|of| *of < orders.len() && *of != i) {
                let d = records[of].delivered_at.unwrap();
                records.push(OrderRecord {
                    order_id: format!("c{i}"),
                    station: format!("s{station}"),
                    received_at: Timestamp::from_second(d.as_second() + later).unwrap(),
                    delivered_at: None,
                    promised_at: None,
                    comeback_of: Some(format!("o{of}")),
                });
            }
        }
        let batch = by_station_and_month(&records, &tz).unwrap();
        let mut sums: BTreeMap<(String, YearMonth, KpiKey), Counter> = BTreeMap::new();
        for r in &records {
            let comebacks: Vec<Timestamp> = records
                .iter()
                .filter(|c| c.comeback_of.as_deref() == Some(r.order_id.as_str()))
                .map(|c| c.received_at)
                .collect();
            if let Some((m, parts)) = order_contribution(r, &comebacks, &tz).unwrap() {
                for (k, c) in parts {
                    let e = sums.entry((r.station.clone(), m, k)).or_default();
                    *e = *e + c;
                }
            }
        }
        for sm in &batch {
            let get = |k| sums.get(&(sm.station.clone(), sm.month, k)).copied().unwrap_or_default();
            let ffv = get(KpiKey::FirstTimeFix);
            prop_assert_eq!((ffv.numerator as u64, ffv.denominator as u64), (sm.first_time_fix.numerator, sm.first_time_fix.denominator));
            let ot = get(KpiKey::OnTimeDelivery);
            prop_assert_eq!((ot.numerator as u64, ot.denominator as u64), (sm.on_time_delivery.numerator, sm.on_time_delivery.denominator));
            let mdt = get(KpiKey::MeanRepairDuration);
            let n = mdt.denominator;
            prop_assert_eq!(Some((mdt.total + n / 2) / n), sm.mean_repair_minutes);
        }
        let counted: i64 = sums.iter().filter(|((_, _, k), _)| *k == KpiKey::FirstTimeFix).map(|(_, c)| c.denominator).sum();
        prop_assert_eq!(counted as u64, batch.iter().map(|b| b.delivered).sum::<u64>());
    }

    /// Every month and quarter up to today parses back from its text.
    #[test]
    fn periods_parse_back(y in 2000i16..2026, m in 1i8..=12, q in 1u8..=4) {
        let today = date(2026, 11, 24);
        let month = Period::Month(YearMonth { year: y, month: m });
        prop_assert_eq!(Period::parse(&month.to_string(), today), Ok(month));
        let quarter = Period::Quarter { year: y, quarter: q };
        prop_assert_eq!(Period::parse(&quarter.to_string(), today), Ok(quarter));
        prop_assert_eq!(quarter.months().len(), 3);
    }
}

#[test]
fn bad_and_future_periods_name_the_field() {
    let today = date(2026, 11, 24);
    for bad in [
        "2026-13",
        "2026-1",
        "26-11",
        "2026Q5",
        "2026-11-01",
        "",
        "abcd-ef",
        "1999-12",
    ] {
        let e = Period::parse(bad, today).unwrap_err();
        let v: crate::Violation = e.into();
        assert_eq!(
            (v.field.as_str(), v.rule),
            ("period", "kpi.period_malformed"),
            "{bad}"
        );
    }
    let v: crate::Violation = Period::parse("2026-12", today).unwrap_err().into();
    assert_eq!(v.rule, "kpi.period_future");
    assert!(Period::parse("2027Q1", today).is_err());
    assert_eq!(
        Period::parse("2026Q4", today).map(|p| p.months()[2].to_string()),
        Ok("2026-12".into())
    );
}

#[test]
fn catalogue_defines_every_kpi_once_and_missing_sources_show_no_figure() {
    let codes: std::collections::BTreeSet<&str> =
        catalogue().iter().map(|d| d.key.code()).collect();
    assert_eq!(codes.len(), 13);
    // The closed list the API states is the catalogue, in its order.
    let listed: Vec<KpiKey> = catalogue().iter().map(|d| d.key).collect();
    assert_eq!(listed, KpiKey::ALL.to_vec());
    for d in catalogue() {
        assert_eq!(KpiKey::from_code(d.key.code()), Some(d.key));
    }
    let full = Counter {
        numerator: 5,
        denominator: 10,
        total: 0,
    };
    assert_eq!(KpiKey::PartsFill.value(&full), None);
    assert_eq!(KpiKey::AuditCompliance.value(&full), Some(50.0));
    // CSI is kept in hundredths of a point.
    assert_eq!(KpiKey::Csi.value(&Counter::mean(8_250)), Some(82.5));
    assert_eq!(KpiKey::FirstTimeFix.value(&full), Some(50.0));
    assert_eq!(KpiKey::FirstTimeFix.value(&Counter::default()), None);
    assert_eq!(
        KpiKey::Nps.value(&Counter {
            numerator: 6,
            denominator: 10,
            total: 2
        }),
        Some(40.0)
    );
}

#[test]
fn complaint_limits_are_inclusive_and_month_is_of_receipt() {
    let tz = shanghai();
    let r = tz
        .to_timestamp(date(2026, 10, 31).at(23, 30, 0, 0))
        .unwrap();
    let plus = |m: i64| Some(Timestamp::from_second(r.as_second() + m * 60).unwrap());
    let (month, parts) = complaint_contribution(
        &ComplaintRecord {
            received_at: r,
            first_response_at: plus(60),
            first_closed_at: plus(72 * 60 + 1),
        },
        &tz,
    );
    assert_eq!(month.to_string(), "2026-10");
    assert_eq!(
        parts[0],
        (KpiKey::ComplaintResponse1h, Counter::ratio(true))
    );
    assert_eq!(
        parts[1],
        (KpiKey::ComplaintResponse2h, Counter::ratio(true))
    );
    assert_eq!(
        parts[2],
        (KpiKey::ComplaintClosure3d, Counter::ratio(false))
    );
}

#[test]
fn star_policy_weights_thresholds_and_review_flag() {
    let p = StarPolicy::default();
    assert_eq!(p.check(), Ok(()));
    let mut bad = p.clone();
    bad.weights[0].1 = 150;
    assert_eq!(bad.check(), Err(KpiError::WeightsSum(950)));
    bad = p.clone();
    bad.thresholds = [60, 60, 80, 90];
    assert_eq!(bad.check(), Err(KpiError::Thresholds));
    assert_eq!(
        (p.stars(59.9), p.stars(60.0), p.stars(85.0), p.stars(100.0)),
        (1, 2, 4, 5)
    );
    // Only repair-order KPIs have figures: FFV 80 %, on time 100 %, MDT 480 min = 50.
    let s = p
        .score(&[
            (
                KpiKey::FirstTimeFix,
                Counter {
                    numerator: 8,
                    denominator: 10,
                    total: 0,
                },
            ),
            (
                KpiKey::OnTimeDelivery,
                Counter {
                    numerator: 10,
                    denominator: 10,
                    total: 0,
                },
            ),
            (
                KpiKey::MeanRepairDuration,
                Counter {
                    numerator: 0,
                    denominator: 10,
                    total: 4800,
                },
            ),
        ])
        .unwrap();
    assert!((s - (80.0 * 250.0 + 100.0 * 150.0 + 50.0 * 100.0) / 500.0).abs() < 1e-9);
    assert!(p.flagged(Some(2), Some(1)));
    assert!(!p.flagged(Some(2), Some(3)));
    assert!(!p.flagged(Some(2), None));
    assert_eq!(p.score(&[]), None);
}
