//! The 12-month repair guarantee (一年内无故障, SPEC §5) and the three guarantees (三包,
//! SPEC §15) as 家用汽车产品修理更换退货责任规定 (SAMR Order No. 43, 2021) has them.
//!
//! # The new model (issue 19), in submodules
//! - [`period`]: Art 18 windows from the invoice or delivery date, the maker's
//!   [`period::Policy`] refused when less generous than the law (naming the article).
//! - [`repair_time`]: Art 40 clock from agreed repair to repair complete, 24-hour days
//!   with a started day counting, excluded intervals (battery and special-part
//!   transport, rescue travel, owner waits) checked to lie inside and not overlap.
//! - [`main_part`]: the ten systems and their main parts as data
//!   (`crates/domain/data/main_parts.txt`), assemblies apart from main parts.
//! - [`right`]: the history (visits, lines classified per line, the part as "the same
//!   problem") and every right of Arts 20–24 with when it arose, its article and its
//!   evidence; counters and warnings (default margin 25 days).
//! - [`exclusion`]: Art 32 grounds with explanation and evidence.
//! - [`request`]: Arts 25–29 request states, 10/20 working-day deadlines on the
//!   working calendar, Art 27 usage charge, new periods for a replacement car.
//!
//! # The old model, still used (not yet rewired; a later session moves callers over)
//! Everything below in this file: `find_comeback`/`same_concern` (the 12-month repair
//! guarantee, used by `app::repair_order::open` — not a 三包 rule and still right),
//! `Thresholds`, `MajorPart`, `tally`, `evaluate`, `within_period`, `RepairRecord`
//! (used by `app::guarantee`, `app::labour`, `web`), and
//! `repair_order::courtesy_car_entitled`. By the regulation they are wrong in these
//! ways, left as they are so callers keep working:
//! - `tally` keys "same problem" on the concern code or text, not the part (finding 1),
//!   counts reception to hand-over (2), by service type not per line (11), has no
//!   excluded intervals (8), adds assembly and main-part replacements (9) and knows
//!   only four systems (10);
//! - `within_period` counts from the sale date only (5) and `evaluate` drops every
//!   right once the period is over (14), warns only at exactly the line (15), and has
//!   no Arts 20, 22, 23 (6) nor "a new serious safety fault" (7);
//! - `Thresholds::validate` accepts values below the legal floors (12);
//! - `repair_order::courtesy_car_entitled` uses a fixed 5 days on any order, inside 24
//!   months only, checked at hand-over (3, 4, 13). The new rule is
//!   [`repair_time::RepairSpan::courtesy_car_due`] with [`right::assess`].

pub mod exclusion;
pub mod main_part;
pub mod period;
pub mod repair_time;
pub mod request;
pub mod right;

use std::collections::{BTreeMap, BTreeSet};

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Length of the repair guarantee in months.
pub const GUARANTEE_MONTHS: i32 = 12;

/// Why a guarantee computation is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuaranteeError {
    /// A threshold of zero.
    #[error("threshold {0} must be at least 1")]
    ThresholdInvalid(&'static str),
    /// A date beyond the supported range.
    #[error("date out of range")]
    DateRange,
}

impl From<GuaranteeError> for crate::Violation {
    fn from(e: GuaranteeError) -> Self {
        match e {
            GuaranteeError::ThresholdInvalid(name) => {
                crate::Violation::new(name, "guarantee.threshold_invalid")
            }
            GuaranteeError::DateRange => crate::Violation::new("date", "guarantee.date_range"),
        }
    }
}

/// A delivered repair order, as needed to detect comebacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveredOrder<I> {
    /// The order's id.
    pub order_id: I,
    /// The vehicle.
    pub vin: String,
    /// Coded concern (symptom code), if coded.
    pub concern_code: Option<String>,
    /// The concern as written.
    pub concern_text: String,
    /// Delivery date (station's local date).
    pub delivered_on: Date,
}

/// Last day covered by the guarantee of a repair delivered on `delivered_on`.
pub fn guarantee_ends(delivered_on: Date) -> Result<Date, GuaranteeError> {
    delivered_on
        .checked_add(GUARANTEE_MONTHS.months())
        .map_err(|_| GuaranteeError::DateRange)
}

fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether two concerns are the same: by code when both are coded, otherwise by text
/// ignoring case, spaces and punctuation.
pub fn same_concern(
    a_code: Option<&str>,
    a_text: &str,
    b_code: Option<&str>,
    b_text: &str,
) -> bool {
    match (a_code, b_code) {
        (Some(a), Some(b)) => a.trim().eq_ignore_ascii_case(b.trim()),
        _ => {
            let (a, b) = (normalise(a_text), normalise(b_text));
            !a.is_empty() && a == b
        }
    }
}

/// The original order when the same concern on the same VIN comes back on `on`
/// within 12 months of that order's delivery; the most recent such order.
pub fn find_comeback<I: Clone>(
    vin: &str,
    concern_code: Option<&str>,
    concern_text: &str,
    on: Date,
    prior: &[DeliveredOrder<I>],
) -> Option<I> {
    prior
        .iter()
        .filter(|o| o.vin.eq_ignore_ascii_case(vin))
        .filter(|o| {
            o.delivered_on <= on && guarantee_ends(o.delivered_on).is_ok_and(|end| on <= end)
        })
        .filter(|o| {
            same_concern(
                o.concern_code.as_deref(),
                &o.concern_text,
                concern_code,
                concern_text,
            )
        })
        .max_by_key(|o| o.delivered_on)
        .map(|o| o.order_id.clone())
}

/// The three-guarantees thresholds, kept as settings. Defaults follow the 2021 rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Period in months (24).
    pub period_months: u32,
    /// Period in kilometres (50,000), whichever comes first.
    pub period_km: u32,
    /// Cumulative repair days beyond which replacement/refund applies (more than 30).
    pub cumulative_repair_days: u32,
    /// Repairs of the same quality problem beyond which it applies (more than 4).
    pub same_problem_repairs: u32,
    /// Repairs of a serious safety fault after which, if still present, it applies (2).
    pub serious_safety_repairs: u32,
    /// Replacements of a major part after which, if it still fails, it applies (2).
    pub major_part_replacements: u32,
    /// Days of one repair beyond which a courtesy car is due (more than 5).
    pub courtesy_car_days: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            period_months: 24,
            period_km: 50_000,
            cumulative_repair_days: 30,
            same_problem_repairs: 4,
            serious_safety_repairs: 2,
            major_part_replacements: 2,
            courtesy_car_days: 5,
        }
    }
}

impl Thresholds {
    /// Checks every threshold is at least 1.
    pub fn validate(&self) -> Result<(), GuaranteeError> {
        let all = [
            ("period_months", self.period_months),
            ("period_km", self.period_km),
            ("cumulative_repair_days", self.cumulative_repair_days),
            ("same_problem_repairs", self.same_problem_repairs),
            ("serious_safety_repairs", self.serious_safety_repairs),
            ("major_part_replacements", self.major_part_replacements),
            ("courtesy_car_days", self.courtesy_car_days),
        ];
        match all.into_iter().find(|(_, v)| *v == 0) {
            Some((name, _)) => Err(GuaranteeError::ThresholdInvalid(name)),
            None => Ok(()),
        }
    }
}

/// Main parts whose repeated replacement counts (发动机、变速器、动力蓄电池、行驶驱动电机).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MajorPart {
    /// Engine.
    Engine,
    /// Transmission.
    Transmission,
    /// Traction battery.
    TractionBattery,
    /// Drive motor.
    DriveMotor,
}

impl MajorPart {
    /// Every main part.
    pub const ALL: [MajorPart; 4] = [
        MajorPart::Engine,
        MajorPart::Transmission,
        MajorPart::TractionBattery,
        MajorPart::DriveMotor,
    ];

    /// The main part named by `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            MajorPart::Engine => "engine",
            MajorPart::Transmission => "transmission",
            MajorPart::TractionBattery => "traction_battery",
            MajorPart::DriveMotor => "drive_motor",
        }
    }
}

/// How often something was repaired or replaced, and whether the fault is still there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FaultCount {
    /// Repairs or replacements so far.
    pub count: u32,
    /// Whether the fault is still present (or the part fails again).
    pub still_present: bool,
}

/// The three-guarantees counters of one VIN.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counters {
    /// Days spent in repair for quality problems, summed.
    pub cumulative_repair_days: u32,
    /// Repairs per quality problem code.
    pub same_problem: BTreeMap<String, u32>,
    /// Repairs per serious safety fault code.
    pub serious_safety: BTreeMap<String, FaultCount>,
    /// Replacements per main part.
    pub major_parts: BTreeMap<MajorPart, FaultCount>,
    /// Days the current repair has taken, if one is running.
    pub current_repair_days: Option<u32>,
}

/// The vehicle's age and mileage for the period check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VehicleUse {
    /// Date of sale (invoice date).
    pub sold_on: Date,
    /// Today.
    pub today: Date,
    /// Odometer reading in km.
    pub odometer_km: u32,
}

/// Which counter a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "counter", content = "key")]
pub enum Counter {
    /// Cumulative repair days.
    CumulativeRepairDays,
    /// Same quality problem, by code.
    SameProblem(String),
    /// Serious safety fault, by code.
    SeriousSafety(String),
    /// Main part replacements.
    MajorPart(MajorPart),
    /// Days of the current repair.
    CurrentRepairDays,
}

/// What the owner is entitled to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Entitlement {
    /// Replacement or refund (换车或退车), because of `counter`.
    ReplacementOrRefund {
        /// The counter that crossed its threshold.
        counter: Counter,
    },
    /// A courtesy car or transport allowance (备用车或交通补偿).
    CourtesyCar,
}

/// One result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "finding")]
pub enum Finding {
    /// One more step reaches the threshold.
    Warning {
        /// Which counter.
        counter: Counter,
        /// Its value.
        value: u32,
        /// Its threshold.
        threshold: u32,
    },
    /// The threshold is reached.
    Entitlement(Entitlement),
}

/// Whether the vehicle is still within the three-guarantees period (months from sale
/// and kilometres, whichever comes first).
pub fn within_period(
    thresholds: &Thresholds,
    vehicle: &VehicleUse,
) -> Result<bool, GuaranteeError> {
    let months = i32::try_from(thresholds.period_months).map_err(|_| GuaranteeError::DateRange)?;
    let end = vehicle
        .sold_on
        .checked_add(months.months())
        .map_err(|_| GuaranteeError::DateRange)?;
    Ok(vehicle.today <= end && vehicle.odometer_km <= thresholds.period_km)
}

/// Warnings and entitlements for one VIN. Counters "more than N" (repair days, same
/// problem, current repair) entitle above N and warn at N; counters "N times and
/// still there" (serious safety fault, main part) entitle at N when still present and
/// warn at N − 1 (or at N when fixed, as the next failure entitles). Outside the
/// period nothing is reported.
pub fn evaluate(
    counters: &Counters,
    thresholds: &Thresholds,
    vehicle: &VehicleUse,
) -> Result<Vec<Finding>, GuaranteeError> {
    thresholds.validate()?;
    let mut out = Vec::new();
    if !within_period(thresholds, vehicle)? {
        return Ok(out);
    }
    let mut more_than = |counter: Counter, value: u32, threshold: u32, entitlement: Entitlement| {
        if value > threshold {
            out.push(Finding::Entitlement(entitlement));
        } else if value == threshold {
            out.push(Finding::Warning {
                counter,
                value,
                threshold,
            });
        }
    };
    let t = thresholds;
    more_than(
        Counter::CumulativeRepairDays,
        counters.cumulative_repair_days,
        t.cumulative_repair_days,
        Entitlement::ReplacementOrRefund {
            counter: Counter::CumulativeRepairDays,
        },
    );
    for (code, n) in &counters.same_problem {
        let c = Counter::SameProblem(code.clone());
        more_than(
            c.clone(),
            *n,
            t.same_problem_repairs,
            Entitlement::ReplacementOrRefund { counter: c },
        );
    }
    if let Some(days) = counters.current_repair_days {
        more_than(
            Counter::CurrentRepairDays,
            days,
            t.courtesy_car_days,
            Entitlement::CourtesyCar,
        );
    }
    let mut times_still = |counter: Counter, f: FaultCount, threshold: u32| {
        if f.count >= threshold && f.still_present {
            out.push(Finding::Entitlement(Entitlement::ReplacementOrRefund {
                counter,
            }));
        } else if f.count + 1 == threshold || f.count >= threshold {
            out.push(Finding::Warning {
                counter,
                value: f.count,
                threshold,
            });
        }
    };
    for (code, f) in &counters.serious_safety {
        times_still(
            Counter::SeriousSafety(code.clone()),
            *f,
            t.serious_safety_repairs,
        );
    }
    for (part, f) in &counters.major_parts {
        times_still(Counter::MajorPart(*part), *f, t.major_part_replacements);
    }
    Ok(out)
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Whole days begun between two instants in UTC ms (0 when `to` is not after
/// `from`): a repair received at 09:00 and handed back at 09:01 the next day took
/// two days.
pub fn days_begun(from_ms: i64, to_ms: i64) -> u32 {
    let ms = to_ms.saturating_sub(from_ms).max(0);
    u32::try_from(ms / DAY_MS + i64::from(ms % DAY_MS != 0)).unwrap_or(u32::MAX)
}

/// One repair order of a vehicle, as the three-guarantees counters need it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RepairRecord {
    /// Reception start, UTC ms.
    pub received_at_ms: i64,
    /// Reception date in the station's time zone (decides whether it is in the period).
    pub received_on: Option<Date>,
    /// Hand-over, UTC ms, once delivered.
    pub delivered_at_ms: Option<i64>,
    /// Coded concern, if coded.
    pub concern_code: Option<String>,
    /// The concern as written.
    pub concern_text: String,
    /// Whether the order repairs a quality problem (see
    /// [`crate::appointment::ServiceType::is_quality_repair`]); others are not counted.
    pub quality_repair: bool,
    /// Whether diagnosis classed the concern as a serious safety fault.
    pub safety_fault: bool,
    /// Main parts replaced on this order: approved labour of a main-part operation,
    /// finished.
    pub parts_replaced: BTreeSet<MajorPart>,
    /// Main parts this order proposes to replace: a main-part line not declined,
    /// finished or not (the part failing again).
    pub parts_proposed: BTreeSet<MajorPart>,
}

/// The grouping key of a problem (code when coded, else the text ignoring case,
/// spaces and punctuation) and how to show it; `None` when there is nothing to compare.
pub fn problem_key(code: Option<&str>, text: &str) -> Option<(String, String)> {
    match code.map(str::trim) {
        Some(code) if !code.is_empty() => {
            let code = code.to_uppercase();
            Some((format!("code:{code}"), code))
        }
        _ => {
            let n = normalise(text);
            (!n.is_empty()).then(|| (format!("text:{n}"), text.trim().to_string()))
        }
    }
}

/// The counters of one vehicle, and how many orders they were computed from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tally {
    /// The counters, ready for [`evaluate`].
    pub counters: Counters,
    /// Quality-repair orders received inside the period.
    pub orders_counted: u32,
}

/// Repairs of one serious safety fault as they are tallied.
struct SafetyTrack {
    shown: String,
    repairs: u32,
    last_delivered: Option<i64>,
}

/// The three-guarantees counters from a vehicle's orders, at `now_ms`. Only quality
/// repairs received from `from` to `until` (inclusive) count:
/// - repair days: whole days begun from reception to hand-over (or now, while open),
///   summed; the longest open repair is the current one;
/// - same problem: orders per problem (see [`problem_key`]);
/// - serious safety fault: delivered repairs of a problem diagnosed as a serious
///   safety fault; still present when an open order for the same problem was received
///   after the last of those repairs;
/// - main part: delivered orders that replaced it; still failing when an open order
///   received after the last replacement proposes replacing it again.
pub fn tally(records: &[RepairRecord], from: Date, until: Date, now_ms: i64) -> Tally {
    let mut counted: Vec<&RepairRecord> = records
        .iter()
        .filter(|r| r.quality_repair)
        .filter(|r| r.received_on.is_some_and(|d| from <= d && d <= until))
        .collect();
    counted.sort_by_key(|r| r.received_at_ms);
    let mut out = Tally {
        orders_counted: u32::try_from(counted.len()).unwrap_or(u32::MAX),
        ..Tally::default()
    };
    let c = &mut out.counters;
    let mut problems: BTreeMap<String, (String, u32)> = BTreeMap::new();
    let mut safety: BTreeMap<String, SafetyTrack> = BTreeMap::new();
    let mut parts: BTreeMap<MajorPart, (u32, Option<i64>)> = BTreeMap::new();
    for r in &counted {
        let days = days_begun(r.received_at_ms, r.delivered_at_ms.unwrap_or(now_ms));
        c.cumulative_repair_days = c.cumulative_repair_days.saturating_add(days);
        if r.delivered_at_ms.is_none() {
            c.current_repair_days = Some(c.current_repair_days.unwrap_or(0).max(days));
        }
        let key = problem_key(r.concern_code.as_deref(), &r.concern_text);
        if let Some((key, shown)) = &key {
            problems.entry(key.clone()).or_insert((shown.clone(), 0)).1 += 1;
            if r.safety_fault {
                let t = safety.entry(key.clone()).or_insert(SafetyTrack {
                    shown: shown.clone(),
                    repairs: 0,
                    last_delivered: None,
                });
                if let Some(at) = r.delivered_at_ms {
                    t.repairs = t.repairs.saturating_add(1);
                    t.last_delivered = Some(t.last_delivered.map_or(at, |l| l.max(at)));
                }
            }
        }
        if let Some(at) = r.delivered_at_ms {
            for part in &r.parts_replaced {
                let e = parts.entry(*part).or_insert((0, None));
                e.0 = e.0.saturating_add(1);
                e.1 = Some(e.1.map_or(at, |l| l.max(at)));
            }
        }
    }
    let open_after = |since: Option<i64>, matches: &dyn Fn(&RepairRecord) -> bool| {
        counted.iter().any(|r| {
            r.delivered_at_ms.is_none() && since.is_none_or(|s| r.received_at_ms > s) && matches(r)
        })
    };
    for (key, t) in &safety {
        let same = |r: &RepairRecord| {
            problem_key(r.concern_code.as_deref(), &r.concern_text).is_some_and(|(k, _)| &k == key)
        };
        let still_present = open_after(t.last_delivered, &same);
        let entry = c.serious_safety.entry(t.shown.clone()).or_default();
        entry.count = entry.count.saturating_add(t.repairs);
        entry.still_present |= still_present;
    }
    for part in MajorPart::ALL {
        let (count, last) = parts.get(&part).copied().unwrap_or((0, None));
        let proposes = |r: &RepairRecord| r.parts_proposed.contains(&part);
        let failing = open_after(last, &proposes);
        if count > 0 || failing {
            c.major_parts.insert(
                part,
                FaultCount {
                    count,
                    still_present: failing,
                },
            );
        }
    }
    for (shown, n) in problems.into_values() {
        let entry = c.same_problem.entry(shown).or_insert(0);
        *entry = entry.saturating_add(n);
    }
    out
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests;
