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
//! - [`battery`]: a new-energy vehicle's capacity-fade promise (per model, from its
//!   三包凭证) judged against battery checks.
//! - [`request`]: Arts 25–29 request states, 10/20 working-day deadlines on the
//!   working calendar, Art 27 usage charge, new periods for a replacement car.
//!
//! # The 12-month repair guarantee
//! Everything else in this file: `find_comeback` and `same_concern` (一年内无故障, SPEC
//! §5, used when an order opens): not a 三包 rule. The 三包 counters of the earlier model
//! (`tally`, `evaluate`, `within_period`, `Thresholds`, `MajorPart`,
//! `repair_order::courtesy_car_entitled`) are gone: every caller reads
//! [`right::assess`], the maker's [`period::Policy`] and the ten [`main_part::System`]s.

pub mod battery;
pub mod exclusion;
pub mod main_part;
pub mod period;
pub mod repair_time;
pub mod request;
pub mod right;

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Length of the repair guarantee in months.
pub const GUARANTEE_MONTHS: i32 = 12;

/// Why a guarantee computation is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuaranteeError {
    /// A date beyond the supported range.
    #[error("date out of range")]
    DateRange,
}

impl From<GuaranteeError> for crate::Violation {
    fn from(e: GuaranteeError) -> Self {
        match e {
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

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests;
