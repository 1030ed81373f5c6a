//! Complaint analysis (SPEC §6, §12): the rates and means the analysis page, its
//! exports and later the KPI catalogue (`crate::kpi`) compute, each defined once here
//! over plain facts about complaints.
//!
//! Definitions (every rate is "complaints meeting it ÷ complaints", an empty group
//! has no rate rather than 0 %):
//! - **1-hour / 2-hour response rate**: the first response came within 60 / 120
//!   minutes counted in the policy's mode (business or calendar hours, pauses
//!   removed) — [`Fact::response_minutes`]; a complaint without a response counts in
//!   the denominator only.
//! - **3-day closure rate** (三天闭环率): closed within 72 calendar hours of receipt,
//!   whatever the mode of the other targets ([`super::sla::three_day_limit`]).
//! - **Reopen rate**: complaints reopened at least once.
//! - **Breaches by stage**: complaints whose stage passed 100 % of its target.
//! - **By part**: the groups are the catalogue parts the analyses named
//!   ([`part_key`]), plus one group of the complaints that name none.
//! - **Mean time per stage**: the mean of the counted minutes from the stage's origin
//!   (receipt; the solution from the end of the analysis) to the moment it was met,
//!   over the complaints that met it.

use super::sla::Stage;
use serde::Serialize;

/// Minutes of the "1-hour" response rate.
pub const ONE_HOUR_MINUTES: i64 = 60;
/// Minutes of the "2-hour" response rate.
pub const TWO_HOUR_MINUTES: i64 = 120;
/// The "3-day closure": 72 calendar hours, in milliseconds.
pub const THREE_DAYS_MS: i64 = 72 * 3_600_000;

/// What the analysis needs to know about one complaint (its first clock).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fact {
    /// When it was received (UTC milliseconds).
    pub received_at: i64,
    /// When it was first closed, if it was.
    pub closed_at: Option<i64>,
    /// Counted minutes (the policy's mode, pauses removed) to the first response.
    pub response_minutes: Option<i64>,
    /// Whether it was reopened.
    pub reopened: bool,
    /// The stages that passed 100 % of their target.
    pub breached: Vec<Stage>,
    /// Counted minutes from each met stage's origin to when it was met.
    pub stage_minutes: Vec<(Stage, i64)>,
}

pub use crate::kpi::Rate;

/// Whether the first response came within `limit` counted minutes.
pub fn responded_within(f: &Fact, limit: i64) -> bool {
    f.response_minutes.is_some_and(|m| m <= limit)
}

/// Whether the complaint was closed within 72 calendar hours of receipt.
pub fn closed_within_three_days(f: &Fact) -> bool {
    f.closed_at
        .is_some_and(|c| c - f.received_at <= THREE_DAYS_MS)
}

/// Everything the analysis shows for one group of complaints.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Complaints in the group.
    pub count: u64,
    /// 1-hour response rate.
    pub response_1h: Rate,
    /// 2-hour response rate.
    pub response_2h: Rate,
    /// 3-day closure rate.
    pub closure_3d: Rate,
    /// Reopen rate.
    pub reopened: Rate,
    /// Breaches per stage, in [`Stage::ALL`] order.
    pub breaches: Vec<(Stage, u64)>,
    /// Mean counted minutes per stage, in [`Stage::ALL`] order (`None`: none met).
    pub mean_minutes: Vec<(Stage, Option<i64>)>,
}

/// The summary of a group of complaints.
pub fn summarise<'a>(facts: impl IntoIterator<Item = &'a Fact>) -> Summary {
    let mut s = Summary::default();
    let mut breaches = vec![0u64; Stage::ALL.len()];
    let mut sums = vec![(0i64, 0i64); Stage::ALL.len()];
    for f in facts {
        s.count += 1;
        s.response_1h.count(responded_within(f, ONE_HOUR_MINUTES));
        s.response_2h.count(responded_within(f, TWO_HOUR_MINUTES));
        s.closure_3d.count(closed_within_three_days(f));
        s.reopened.count(f.reopened);
        for st in Stage::ALL {
            if f.breached.contains(st) {
                breaches[st.position()] += 1;
            }
        }
        for (st, m) in &f.stage_minutes {
            let slot = &mut sums[st.position()];
            slot.0 = slot.0.saturating_add(*m);
            slot.1 += 1;
        }
    }
    s.breaches = Stage::ALL
        .iter()
        .map(|st| (*st, breaches[st.position()]))
        .collect();
    s.mean_minutes = Stage::ALL
        .iter()
        .map(|st| {
            let (sum, n) = sums[st.position()];
            (*st, (n > 0).then(|| sum / n))
        })
        .collect();
    s
}

/// The group of a complaint in the analysis by part: the catalogue part number its
/// analysis named (checked against the parts catalogue when it was recorded), or ""
/// for the complaints that name none — one group, so the part groups and it add up
/// to every complaint of the period and each rate is over its own group only.
pub fn part_key(part_number: Option<&str>) -> &str {
    part_number.map(str::trim).unwrap_or("")
}

/// Groups facts by a key (category, station, region, model, part, month) and summarises
/// each group; groups come out in key order.
pub fn by<'a, K: Ord + Clone>(facts: impl IntoIterator<Item = (K, &'a Fact)>) -> Vec<(K, Summary)> {
    let mut groups: std::collections::BTreeMap<K, Vec<&'a Fact>> = Default::default();
    for (k, f) in facts {
        groups.entry(k).or_default().push(f);
    }
    groups
        .into_iter()
        .map(|(k, fs)| (k, summarise(fs)))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn fact(response: Option<i64>, close_h: Option<i64>, reopened: bool) -> Fact {
        Fact {
            received_at: 1_000_000,
            closed_at: close_h.map(|h| 1_000_000 + h * 3_600_000),
            response_minutes: response,
            reopened,
            breached: vec![],
            stage_minutes: response
                .map(|m| vec![(Stage::FirstResponse, m)])
                .unwrap_or_default(),
        }
    }

    #[test]
    fn rates_count_every_complaint_in_the_denominator() {
        let facts = [
            fact(Some(30), Some(24), false),
            fact(Some(90), Some(72), true),
            fact(Some(200), Some(73), false),
            fact(None, None, false),
        ];
        let s = summarise(&facts);
        assert_eq!(s.count, 4);
        assert_eq!(
            s.response_1h,
            Rate {
                numerator: 1,
                denominator: 4
            }
        );
        assert_eq!(
            s.response_2h,
            Rate {
                numerator: 2,
                denominator: 4
            }
        );
        // 72 h exactly is within; 73 h is not.
        assert_eq!(
            s.closure_3d,
            Rate {
                numerator: 2,
                denominator: 4
            }
        );
        assert_eq!(
            s.reopened,
            Rate {
                numerator: 1,
                denominator: 4
            }
        );
        assert_eq!(s.mean_minutes[0], (Stage::FirstResponse, Some(106)));
        assert_eq!(s.mean_minutes[4], (Stage::Closure, None));
    }

    #[test]
    fn an_empty_group_has_no_rate() {
        let s = summarise(&[]);
        assert_eq!(s.response_1h.percent(), None);
        assert_eq!(
            Rate {
                numerator: 1,
                denominator: 4
            }
            .percent(),
            Some(25.0)
        );
    }

    #[test]
    fn breaches_are_counted_per_stage_in_work_order() {
        let mut a = fact(Some(90), None, false);
        a.breached = vec![Stage::Closure, Stage::FirstResponse];
        let s = summarise([&a, &a]);
        assert_eq!(s.breaches[0], (Stage::FirstResponse, 2));
        assert_eq!(s.breaches[4], (Stage::Closure, 2));
        assert_eq!(s.breaches[2], (Stage::Analysis, 0));
    }

    #[test]
    fn grouping_keeps_every_fact_once() {
        let f = [fact(Some(1), None, false), fact(Some(2), None, true)];
        let groups = by([("b", &f[0]), ("a", &f[1]), ("b", &f[1])]);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].0, "a");
        assert_eq!(groups[1].1.count, 2);
    }

    #[test]
    fn the_part_groups_and_the_unnamed_group_add_up_to_every_complaint() {
        let f = [
            fact(Some(30), Some(24), false),
            fact(Some(90), None, true),
            fact(None, None, false),
        ];
        let parts = [Some("BRAKE-PAD-F"), None, Some(" BRAKE-PAD-F ")];
        let groups = by(parts.iter().zip(&f).map(|(p, f)| (part_key(*p), f)));
        assert_eq!(groups.len(), 2);
        assert_eq!((groups[0].0, groups[0].1.count), ("", 1));
        assert_eq!((groups[1].0, groups[1].1.count), ("BRAKE-PAD-F", 2));
        // The part's rate is over its own complaints only.
        assert_eq!(
            groups[1].1.response_1h,
            Rate {
                numerator: 1,
                denominator: 2
            }
        );
    }

    proptest! {
        #[test]
        fn rates_never_exceed_their_group(
            rows in proptest::collection::vec((proptest::option::of(0i64..600), proptest::option::of(0i64..200), any::<bool>()), 0..40)
        ) {
            let facts: Vec<Fact> = rows.iter().map(|(r, c, o)| fact(*r, *c, *o)).collect();
            let s = summarise(&facts);
            prop_assert_eq!(s.count as usize, facts.len());
            for r in [s.response_1h, s.response_2h, s.closure_3d, s.reopened] {
                prop_assert!(r.numerator <= r.denominator);
                prop_assert_eq!(r.denominator, s.count);
            }
            // Two hours admit everything one hour admits.
            prop_assert!(s.response_2h.numerator >= s.response_1h.numerator);
            let p = s.closure_3d.percent().unwrap_or(0.0);
            prop_assert!((0.0..=100.0).contains(&p));
        }
    }
}
