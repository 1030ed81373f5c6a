//! The monthly stratified sample of last month's customers, as a pure function.
//!
//! Who may be asked: customers whose latest `surveys` consent is a yes and who were
//! not asked within the last `window_days`. Each station is a stratum: it first gets
//! `min(min_per_station, eligible)` so every station has a usable sample, and the rest
//! of the total is shared out in proportion to what each station has left (largest
//! remainder). Within a station customers are ranked by a hash of the seed and their
//! id, so the same inputs and seed give the same sample on any machine, and a
//! customer appears at most once however many visits they had.
//!
//! Quiet hours say *when* a picked customer may be contacted ([`QuietHours`]).

use std::collections::{BTreeMap, HashMap};

use jiff::civil::{Date, DateTime, Time};
use serde::Serialize;

use crate::ids::{CustomerId, StationId};

/// The network-wide sample size by default (SPEC §10).
pub const DEFAULT_TOTAL: usize = 5_000;

/// The smallest sample a station gets when it has that many eligible customers, so its
/// figure can be ranked (see `score::MIN_RANKED_SAMPLE`).
pub const DEFAULT_MIN_PER_STATION: usize = 30;

/// Default "not asked in the last N days".
pub const DEFAULT_WINDOW_DAYS: i64 = 90;

/// One visit of last month: who, where, whether they agreed to surveys, when they were
/// last drawn (by an earlier monthly sample: every visit gets its after-delivery
/// survey, so counting those would leave no customer of last month to draw).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// The customer.
    pub customer: CustomerId,
    /// The station of the visit.
    pub station: StationId,
    /// The consent ledger's current answer for the `surveys` purpose.
    pub consent: bool,
    /// The day they were last invited by a monthly sample, if ever.
    pub last_asked: Option<Date>,
}

/// How to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The day of the draw; the window counts back from it.
    pub today: Date,
    /// Network-wide sample size.
    pub total: usize,
    /// Smallest sample per station (when it has that many eligible).
    pub min_per_station: usize,
    /// Nobody asked within this many days before `today` is asked again.
    pub window_days: i64,
    /// Makes the draw reproducible.
    pub seed: u64,
}

/// One customer picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pick {
    /// Who.
    pub customer: CustomerId,
    /// For which station's figure.
    pub station: StationId,
}

/// Whether a candidate may be asked on `plan.today`.
pub fn eligible(c: &Candidate, plan: &Plan) -> bool {
    c.consent
        && c.last_asked.is_none_or(|d| {
            (plan.today - d)
                .total(jiff::Unit::Day)
                .map(|days| days >= plan.window_days as f64)
                .unwrap_or(false)
        })
}

/// Draws the sample: at most `plan.total` customers (fewer when fewer are eligible),
/// each at most once, none asked inside the window or without consent.
pub fn draw(candidates: &[Candidate], plan: &Plan) -> Vec<Pick> {
    // One entry per customer: the visit at the smallest station id keeps the draw
    // independent of the input order.
    // Consent and the last invitation are facts of the customer: if any of their rows
    // says no, the customer is out, whatever the other rows say.
    let mut by_customer: HashMap<CustomerId, Option<StationId>> = HashMap::new();
    for c in candidates {
        let ok = eligible(c, plan);
        by_customer
            .entry(c.customer)
            .and_modify(|s| {
                *s = if ok {
                    s.map(|s| s.min(c.station))
                } else {
                    None
                }
            })
            .or_insert(ok.then_some(c.station));
    }
    let mut strata: BTreeMap<StationId, Vec<(u64, CustomerId)>> = BTreeMap::new();
    for (customer, station) in by_customer {
        let Some(station) = station else { continue };
        strata
            .entry(station)
            .or_default()
            .push((mix(plan.seed, customer.get()), customer));
    }
    let sizes: Vec<(StationId, usize)> = strata.iter().map(|(s, v)| (*s, v.len())).collect();
    let quota = quotas(&sizes, plan.total, plan.min_per_station);
    let mut picks = Vec::with_capacity(plan.total);
    for (station, mut people) in strata {
        let q = quota.get(&station).copied().unwrap_or(0);
        if q == 0 {
            continue;
        }
        if q < people.len() {
            people.select_nth_unstable(q);
            people.truncate(q);
        }
        people.sort_unstable();
        picks.extend(
            people
                .into_iter()
                .map(|(_, customer)| Pick { customer, station }),
        );
    }
    picks
}

/// Each station's quota: the floor first, then the rest in proportion to what each has
/// left, never more than it has; the quotas add up to `min(total, Σ eligible)`.
pub fn quotas(
    sizes: &[(StationId, usize)],
    total: usize,
    min_per_station: usize,
) -> BTreeMap<StationId, usize> {
    let available: usize = sizes.iter().map(|s| s.1).sum();
    let target = total.min(available);
    let mut q: BTreeMap<StationId, usize> = sizes.iter().map(|(s, _)| (*s, 0)).collect();
    if target == 0 {
        return q;
    }
    // The floor, lowered evenly when the total cannot give every station its floor.
    let floor = min_per_station.min(target / sizes.len().max(1));
    let mut given = 0;
    for (s, n) in sizes {
        let f = floor.min(*n);
        q.insert(*s, f);
        given += f;
    }
    // Largest remainder over what each station has left.
    let mut left = target - given;
    while left > 0 {
        let spare: Vec<(StationId, usize)> = sizes
            .iter()
            .map(|(s, n)| (*s, n - q[s]))
            .filter(|(_, r)| *r > 0)
            .collect();
        let spare_total: usize = spare.iter().map(|x| x.1).sum();
        if spare_total == 0 {
            break;
        }
        let mut shares: Vec<(usize, StationId, usize)> = Vec::with_capacity(spare.len());
        let mut handed = 0;
        for (s, r) in &spare {
            let exact = (*r as u128) * (left as u128);
            let whole = ((exact / spare_total as u128) as usize).min(*r);
            let rem = (exact % spare_total as u128) as usize;
            handed += whole;
            shares.push((rem, *s, whole));
        }
        for (_, s, whole) in &shares {
            *q.entry(*s).or_insert(0) += whole;
        }
        left -= handed;
        // Hand out what rounding left, one each, largest remainder first.
        shares.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, s, _) in shares {
            if left == 0 {
                break;
            }
            let n = sizes.iter().find(|x| x.0 == s).map(|x| x.1).unwrap_or(0);
            if q[&s] < n {
                *q.entry(s).or_insert(0) += 1;
                left -= 1;
            }
        }
    }
    q
}

/// SplitMix64 of the seed and an id: a fast, well-spread, platform-independent rank.
pub fn mix(seed: u64, id: i64) -> u64 {
    let mut z = seed ^ (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hours in which no customer is contacted (local time of the station, China time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    /// Quiet from (e.g. 21:00).
    pub from: Time,
    /// Until (e.g. 09:00 the next morning).
    pub until: Time,
}

impl Default for QuietHours {
    /// 21:00–09:00: no survey message or call in the evening or early morning.
    fn default() -> Self {
        QuietHours {
            from: jiff::civil::time(21, 0, 0, 0),
            until: jiff::civil::time(9, 0, 0, 0),
        }
    }
}

impl QuietHours {
    /// Whether a local time falls in the quiet hours.
    pub fn is_quiet(&self, t: Time) -> bool {
        if self.from <= self.until {
            t >= self.from && t < self.until
        } else {
            t >= self.from || t < self.until
        }
    }

    /// The earliest local time at or after `at` outside the quiet hours.
    pub fn next_allowed(&self, at: DateTime) -> DateTime {
        if !self.is_quiet(at.time()) {
            return at;
        }
        let same_day = at.date().to_datetime(self.until);
        if same_day > at {
            same_day
        } else {
            at.date()
                .tomorrow()
                .map(|d| d.to_datetime(self.until))
                .unwrap_or(at)
        }
    }
}
