//! Art 18 periods (三包有效期, 包修期) and the maker's policy, which may be more generous
//! than the regulation but never less (Arts 4, 18, 21, 24).
//!
//! Counting of days follows the Civil Code (Arts 201, 203): a period counted in days,
//! months or years starts the day after its start date and ends at the end of its last
//! day, so "2 years from 2024-01-10" covers up to and including 2026-01-10 and "within
//! 60 days of 2024-01-10" covers up to and including 2024-03-10.

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The articles of 家用汽车产品修理更换退货责任规定 (SAMR Order No. 43) the model cites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Article {
    /// Art 18: the periods.
    Art18,
    /// Art 20: free new assembly within 60 days / 3,000 km.
    Art20,
    /// Art 21: courtesy car from the 6th day of a repair, through the 包修期.
    Art21,
    /// Art 22: replacement or refund within 7 days.
    Art22,
    /// Art 23: replacement or refund within 60 days / 3,000 km for listed faults.
    Art23,
    /// Art 24 para 1 item 1: serious safety fault.
    Art24_1_1,
    /// Art 24 para 1 item 2: assembly replaced twice.
    Art24_1_2,
    /// Art 24 para 1 item 3: same main part replaced twice.
    Art24_1_3,
    /// Art 24 para 1 item 4: more than 30 days, or the same problem more than 4 times.
    Art24_1_4,
    /// Art 24 para 2: assembly and main-part replacements are not added together.
    Art24_2,
    /// Art 24 para 3: transport and rescue time is not repair time.
    Art24_3,
    /// Arts 25–26: answer and perform deadlines of a request.
    Art25,
    /// Art 27: the usage charge.
    Art27,
    /// Art 32: exclusions.
    Art32,
    /// Art 40: how a repair's time is counted.
    Art40,
    /// The maker's own promise in the 三包凭证 beyond the floors (Arts 4 and 18 let a
    /// maker promise more): the traction battery's capacity-fade promise.
    Promise,
}

impl Article {
    /// The article as cited in messages, e.g. `第二十四条第一款第（四）项` is shown as
    /// `art24(1)(4)`; stable, used in rule details.
    pub fn cite(self) -> &'static str {
        match self {
            Article::Art18 => "art18",
            Article::Art20 => "art20",
            Article::Art21 => "art21",
            Article::Art22 => "art22",
            Article::Art23 => "art23",
            Article::Art24_1_1 => "art24(1)(1)",
            Article::Art24_1_2 => "art24(1)(2)",
            Article::Art24_1_3 => "art24(1)(3)",
            Article::Art24_1_4 => "art24(1)(4)",
            Article::Art24_2 => "art24(2)",
            Article::Art24_3 => "art24(3)",
            Article::Art25 => "art25",
            Article::Art27 => "art27",
            Article::Art32 => "art32",
            Article::Art40 => "art40",
            Article::Promise => "promise",
        }
    }
}

/// Why a policy is refused: a value less generous than the regulation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// A value below the legal floor (or, for "more than N" counts, above it).
    #[error("{field} is less generous than {article:?} allows (legal value {floor})")]
    BelowFloor {
        /// The setting.
        field: &'static str,
        /// The article that sets the floor.
        article: Article,
        /// The legal value.
        floor: u32,
    },
    /// The warning margin must lie below the cumulative-days line.
    #[error("warning margin must be below the cumulative repair days")]
    MarginInvalid,
}

impl From<PolicyError> for crate::Violation {
    fn from(e: PolicyError) -> Self {
        match e {
            PolicyError::BelowFloor {
                field,
                article,
                floor,
            } => crate::Violation::new(field, "guarantee.below_legal_floor")
                .with_detail(format!("{} {floor}", article.cite())),
            PolicyError::MarginInvalid => {
                crate::Violation::new("warning_margin_days", "guarantee.margin_invalid")
            }
        }
    }
}

/// The maker's three-guarantees policy. [`Policy::LEGAL`] is the regulation itself;
/// a maker may lengthen periods and lower counts, never the reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// 三包有效期 in months (Art 18: at least 24).
    pub sanbao_months: u32,
    /// 三包有效期 in km (Art 18: at least 50,000).
    pub sanbao_km: u32,
    /// 包修期 in months (Art 18: at least 36).
    pub warranty_months: u32,
    /// 包修期 in km (Art 18: at least 60,000).
    pub warranty_km: u32,
    /// Art 22 window in days (at least 7).
    pub early_refund_days: u32,
    /// Arts 20 and 23 window in days (at least 60).
    pub early_days: u32,
    /// Arts 20 and 23 window in km (at least 3,000).
    pub early_km: u32,
    /// A single repair longer than this many days raises the courtesy-car duty (Art 21:
    /// at most 5).
    pub courtesy_car_days: u32,
    /// Counted repair days beyond which replacement or refund is due (Art 24(1)(4): at
    /// most 30).
    pub cumulative_repair_days: u32,
    /// Repairs of the same problem beyond which it is due (Art 24(1)(4): at most 4).
    pub same_problem_repairs: u32,
    /// Serious-safety repairs after which a further serious-safety fault qualifies
    /// (Art 24(1)(1): at most 2).
    pub serious_safety_repairs: u32,
    /// Replacements of an assembly or of one main part after which a further failure
    /// qualifies (Art 24(1)(2)-(3): at most 2).
    pub replacements: u32,
    /// Warn once counted days reach this (finding 15; default 25). Not a legal value.
    pub warning_margin_days: u32,
}

impl Policy {
    /// The regulation's own values, with a 25-day warning margin.
    pub const LEGAL: Policy = Policy {
        sanbao_months: 24,
        sanbao_km: 50_000,
        warranty_months: 36,
        warranty_km: 60_000,
        early_refund_days: 7,
        early_days: 60,
        early_km: 3_000,
        courtesy_car_days: 5,
        cumulative_repair_days: 30,
        same_problem_repairs: 4,
        serious_safety_repairs: 2,
        replacements: 2,
        warning_margin_days: 25,
    };

    /// Refuses any value less generous than the regulation, naming the article (the
    /// first of [`Policy::problems`]).
    pub fn validate(&self) -> Result<(), PolicyError> {
        match self.problems().into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Every value less generous than the regulation, each naming its field and
    /// article, in the order of the fields; empty when the policy may be published.
    /// A form shows them all at once, beside their fields.
    pub fn problems(&self) -> Vec<PolicyError> {
        let mut out = Vec::new();
        let l = Policy::LEGAL;
        // Durations and distances: at least the floor.
        let at_least = [
            (
                "sanbao_months",
                self.sanbao_months,
                l.sanbao_months,
                Article::Art18,
            ),
            ("sanbao_km", self.sanbao_km, l.sanbao_km, Article::Art18),
            (
                "warranty_months",
                self.warranty_months,
                l.warranty_months,
                Article::Art18,
            ),
            (
                "warranty_km",
                self.warranty_km,
                l.warranty_km,
                Article::Art18,
            ),
            (
                "early_refund_days",
                self.early_refund_days,
                l.early_refund_days,
                Article::Art22,
            ),
            ("early_days", self.early_days, l.early_days, Article::Art23),
            ("early_km", self.early_km, l.early_km, Article::Art23),
        ];
        for (field, v, floor, article) in at_least {
            if v < floor {
                out.push(PolicyError::BelowFloor {
                    field,
                    article,
                    floor,
                });
            }
        }
        // Counts that entitle once exceeded: at most the legal value, at least 1.
        let at_most = [
            (
                "courtesy_car_days",
                self.courtesy_car_days,
                l.courtesy_car_days,
                Article::Art21,
            ),
            (
                "cumulative_repair_days",
                self.cumulative_repair_days,
                l.cumulative_repair_days,
                Article::Art24_1_4,
            ),
            (
                "same_problem_repairs",
                self.same_problem_repairs,
                l.same_problem_repairs,
                Article::Art24_1_4,
            ),
            (
                "serious_safety_repairs",
                self.serious_safety_repairs,
                l.serious_safety_repairs,
                Article::Art24_1_1,
            ),
            (
                "replacements",
                self.replacements,
                l.replacements,
                Article::Art24_1_3,
            ),
        ];
        for (field, v, floor, article) in at_most {
            if v > floor || v == 0 {
                out.push(PolicyError::BelowFloor {
                    field,
                    article,
                    floor,
                });
            }
        }
        if self.warning_margin_days == 0 || self.warning_margin_days > self.cumulative_repair_days {
            out.push(PolicyError::MarginInvalid);
        }
        out
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::LEGAL
    }
}

/// Why a coverage cannot be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// A date beyond the supported range.
    #[error("date out of range")]
    DateRange,
}

impl From<PeriodError> for crate::Violation {
    fn from(_: PeriodError) -> Self {
        crate::Violation::new("date", "guarantee.date_range")
    }
}

/// The last day of a period of `months` months that runs from `start` (Art 18: the
/// invoice or delivery date). Civil Code Art 201: the start day is not counted, the
/// period runs from the next day; Art 202: a period in months ends on the day of the
/// last month that corresponds to the start day, or on that month's last day when it
/// has no such day. So 36 months from 2024-01-01 end on 2027-01-01 (not 2026-12-31),
/// and 36 months from 2024-02-29 end on 2027-02-28. Every period end of the product
/// (the 三包有效期, the 包修期, a vehicle's default warranty end) comes from here.
pub fn months_end(start: Date, months: u32) -> Result<Date, PeriodError> {
    let m = i32::try_from(months).map_err(|_| PeriodError::DateRange)?;
    start
        .checked_add(m.months())
        .map_err(|_| PeriodError::DateRange)
}

/// The start of both periods (Art 18): the invoice date, or the delivery date when the
/// car was delivered on another day.
pub fn period_start(invoice_on: Date, delivered_on: Option<Date>) -> Date {
    delivered_on.unwrap_or(invoice_on)
}

/// The last days and distances of each window of one vehicle (or of a replacement car,
/// whose periods start anew, Art 28).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// First day counted from (invoice or delivery date).
    pub start: Date,
    /// Last day of the 三包有效期.
    pub sanbao_until: Date,
    /// Km limit of the 三包有效期.
    pub sanbao_km: u32,
    /// Last day of the 包修期.
    pub warranty_until: Date,
    /// Km limit of the 包修期.
    pub warranty_km: u32,
    /// Last day of the Art 22 window.
    pub early_refund_until: Date,
    /// Last day of the Arts 20/23 window.
    pub early_until: Date,
    /// Km limit of the Arts 20/23 window.
    pub early_km: u32,
}

impl Coverage {
    /// The windows of a vehicle invoiced on `invoice_on` and delivered on `delivered_on`.
    pub fn new(
        invoice_on: Date,
        delivered_on: Option<Date>,
        policy: &Policy,
    ) -> Result<Coverage, PeriodError> {
        let start = period_start(invoice_on, delivered_on);
        let months = |m: u32| months_end(start, m);
        let days = |d: u32| -> Result<Date, PeriodError> {
            let d = i32::try_from(d).map_err(|_| PeriodError::DateRange)?;
            start
                .checked_add(d.days())
                .map_err(|_| PeriodError::DateRange)
        };
        Ok(Coverage {
            start,
            sanbao_until: months(policy.sanbao_months)?,
            sanbao_km: policy.sanbao_km,
            warranty_until: months(policy.warranty_months)?,
            warranty_km: policy.warranty_km,
            early_refund_until: days(policy.early_refund_days)?,
            early_until: days(policy.early_days)?,
            early_km: policy.early_km,
        })
    }

    /// Whether a day and odometer reading lie in the 三包有效期 (whichever limit first).
    pub fn in_sanbao(&self, on: Date, km: u32) -> bool {
        self.start <= on && on <= self.sanbao_until && km <= self.sanbao_km
    }

    /// Whether a day and odometer reading lie in the 包修期.
    pub fn in_warranty(&self, on: Date, km: u32) -> bool {
        self.start <= on && on <= self.warranty_until && km <= self.warranty_km
    }

    /// Whether a day lies in the Art 22 window (days only; the article has no km).
    pub fn in_early_refund(&self, on: Date) -> bool {
        self.start <= on && on <= self.early_refund_until
    }

    /// Whether a day and reading lie in the Arts 20/23 window.
    pub fn in_early(&self, on: Date, km: u32) -> bool {
        self.start <= on && on <= self.early_until && km <= self.early_km
    }
}
