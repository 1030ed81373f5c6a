//! The 12-month repair guarantee (一年内无故障, SPEC §5): finding comebacks; and the
//! three-guarantees counters per VIN (三包, SPEC §15) with their thresholds as
//! settings, warning one step before a threshold is reached.

use std::collections::BTreeMap;

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

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn order(id: u32, vin: &str, code: Option<&str>, text: &str, on: Date) -> DeliveredOrder<u32> {
        DeliveredOrder {
            order_id: id,
            vin: vin.into(),
            concern_code: code.map(Into::into),
            concern_text: text.into(),
            delivered_on: on,
        }
    }

    #[test]
    fn comeback_within_twelve_months_of_the_same_concern() {
        let vin = "LSVAB4189E2123456";
        let prior = [
            order(1, vin, None, "刹车异响", date(2025, 3, 10)),
            order(2, vin, None, "刹车 异响。", date(2025, 6, 1)),
            order(3, vin, Some("P0300"), "发动机抖动", date(2025, 6, 1)),
            order(4, "LFV00000000000000", None, "刹车异响", date(2025, 8, 1)),
        ];
        assert_eq!(
            find_comeback(vin, None, "刹车异响", date(2026, 3, 1), &prior),
            Some(2)
        );
        assert_eq!(
            find_comeback(vin, None, "刹车异响", date(2026, 6, 1), &prior),
            Some(2)
        );
        assert_eq!(
            find_comeback(vin, None, "刹车异响", date(2026, 6, 2), &prior),
            None
        );
        assert_eq!(
            find_comeback(vin, Some("p0300"), "怠速不稳", date(2025, 9, 1), &prior),
            Some(3)
        );
        assert_eq!(
            find_comeback(vin, Some("P0171"), "发动机抖动", date(2025, 9, 1), &prior),
            None
        );
        assert_eq!(
            find_comeback(vin, None, "空调不冷", date(2025, 9, 1), &prior),
            None
        );
        assert_eq!(
            find_comeback(vin, None, "刹车异响", date(2025, 1, 1), &prior),
            None
        );
        assert_eq!(guarantee_ends(date(2024, 2, 29)), Ok(date(2025, 2, 28)));
    }

    fn young() -> VehicleUse {
        VehicleUse {
            sold_on: date(2025, 1, 1),
            today: date(2026, 1, 1),
            odometer_km: 20_000,
        }
    }

    #[test]
    fn warnings_one_step_before_and_entitlements_after() {
        let t = Thresholds::default();
        let mut c = Counters {
            cumulative_repair_days: 30,
            ..Counters::default()
        };
        c.same_problem.insert("brake_noise".into(), 5);
        c.same_problem.insert("ac".into(), 3);
        c.serious_safety.insert(
            "steering".into(),
            FaultCount {
                count: 1,
                still_present: true,
            },
        );
        c.major_parts.insert(
            MajorPart::TractionBattery,
            FaultCount {
                count: 2,
                still_present: true,
            },
        );
        c.major_parts.insert(
            MajorPart::Engine,
            FaultCount {
                count: 2,
                still_present: false,
            },
        );
        c.current_repair_days = Some(6);
        let got = evaluate(&c, &t, &young()).expect("evaluate");
        assert_eq!(
            got,
            vec![
                Finding::Warning {
                    counter: Counter::CumulativeRepairDays,
                    value: 30,
                    threshold: 30
                },
                Finding::Entitlement(Entitlement::ReplacementOrRefund {
                    counter: Counter::SameProblem("brake_noise".into())
                }),
                Finding::Entitlement(Entitlement::CourtesyCar),
                Finding::Warning {
                    counter: Counter::SeriousSafety("steering".into()),
                    value: 1,
                    threshold: 2
                },
                Finding::Warning {
                    counter: Counter::MajorPart(MajorPart::Engine),
                    value: 2,
                    threshold: 2
                },
                Finding::Entitlement(Entitlement::ReplacementOrRefund {
                    counter: Counter::MajorPart(MajorPart::TractionBattery)
                }),
            ]
        );
        c.cumulative_repair_days = 31;
        c.same_problem.insert("brake_noise".into(), 4);
        let got = evaluate(&c, &t, &young()).expect("evaluate");
        assert_eq!(
            got[0],
            Finding::Entitlement(Entitlement::ReplacementOrRefund {
                counter: Counter::CumulativeRepairDays
            })
        );
        assert_eq!(
            got[1],
            Finding::Warning {
                counter: Counter::SameProblem("brake_noise".into()),
                value: 4,
                threshold: 4
            }
        );
    }

    #[test]
    fn nothing_outside_the_period_and_thresholds_are_checked() {
        let t = Thresholds::default();
        let c = Counters {
            cumulative_repair_days: 40,
            ..Counters::default()
        };
        let old = VehicleUse {
            sold_on: date(2023, 1, 1),
            today: date(2025, 1, 2),
            odometer_km: 10_000,
        };
        assert_eq!(evaluate(&c, &t, &old), Ok(vec![]));
        let far = VehicleUse {
            odometer_km: 50_001,
            ..young()
        };
        assert_eq!(within_period(&t, &far), Ok(false));
        assert_eq!(within_period(&t, &young()), Ok(true));
        let bad = Thresholds {
            same_problem_repairs: 0,
            ..t
        };
        assert_eq!(
            evaluate(&c, &bad, &young()),
            Err(GuaranteeError::ThresholdInvalid("same_problem_repairs"))
        );
        let v: crate::Violation = GuaranteeError::ThresholdInvalid("period_km").into();
        assert_eq!(
            (v.field.as_str(), v.rule),
            ("period_km", "guarantee.threshold_invalid")
        );
    }
}
