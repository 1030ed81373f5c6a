//! Labour operations (工时项目): the catalogue entry with its standard hours and the
//! certification it needs, and the price of a labour line (standard hours × the
//! station's hourly rate, SPEC §5 price transparency).

use serde::{Deserialize, Serialize};

use crate::certification::Requirement;
use crate::guarantee::main_part::System;
use crate::money::Money;
use crate::text::Lines;

/// Longest name of an operation, in characters.
pub const MAX_NAME: usize = 100;

/// Largest standard time of one operation: 100 hours, in hundredths.
pub const MAX_HUNDREDTHS: i64 = 10_000;

/// Why a labour operation or line is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabourError {
    /// Code empty, longer than 32 characters, or not made of `A-Z 0-9 - _ .`.
    #[error("operation code must be 1–32 characters of A-Z, 0-9, '-', '_' or '.'")]
    CodeFormat,
    /// Chinese or English name missing.
    #[error("operation name missing")]
    NameMissing,
    /// A name breaks a text rule (control or invisible characters, too long, …).
    #[error("{field}: {error}")]
    Name {
        /// `name_zh` or `name_en`.
        field: &'static str,
        /// The text rule.
        error: crate::text::TextError,
    },
    /// Standard hours not in 0.01..=100.00.
    #[error("standard hours must be between 0.01 and 100.00")]
    HoursRange,
    /// Negative hourly rate.
    #[error("hourly rate must not be negative")]
    RateNegative,
}

impl From<LabourError> for crate::Violation {
    fn from(e: LabourError) -> Self {
        match e {
            LabourError::CodeFormat => crate::Violation::new("code", "labour.code_format"),
            LabourError::NameMissing => crate::Violation::new("name", "labour.name_missing"),
            LabourError::Name { field, error } => crate::Violation {
                field: field.to_string(),
                ..error.into()
            },
            LabourError::HoursRange => crate::Violation::new("hours", "labour.hours_range"),
            LabourError::RateNegative => crate::Violation::new("rate", "labour.rate_negative"),
        }
    }
}

/// One entry of the labour-operation catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabourOperation {
    /// Stable operation code, e.g. `MAINT-10K`.
    pub code: String,
    /// Chinese name, e.g. 1万公里保养.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Standard time in hundredths of an hour (1.5 h = 150).
    pub standard_hundredths: i64,
    /// Grade and qualification the technician needs.
    pub requirement: Requirement,
    /// The system (one of the ten of the three guarantees) whose assembly or main
    /// part this operation replaces, if it is such a replacement. The 三包 counters
    /// read the classified faults of an order, not this mark.
    #[serde(default)]
    pub major_part: Option<System>,
}

/// Checks an operation code.
pub fn check_code(code: &str) -> Result<(), LabourError> {
    let ok = !code.is_empty()
        && code.len() <= 32
        && code.bytes().all(|b| {
            b.is_ascii_uppercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        });
    if ok {
        Ok(())
    } else {
        Err(LabourError::CodeFormat)
    }
}

/// Checks standard hours in hundredths.
pub fn check_hundredths(hundredths: i64) -> Result<(), LabourError> {
    if (1..=MAX_HUNDREDTHS).contains(&hundredths) {
        Ok(())
    } else {
        Err(LabourError::HoursRange)
    }
}

impl LabourOperation {
    /// A checked catalogue entry; names are cleaned by [`crate::text::clean`] (at most
    /// [`MAX_NAME`] characters).
    pub fn new(
        code: &str,
        name_zh: &str,
        name_en: &str,
        standard_hundredths: i64,
        requirement: Requirement,
    ) -> Result<Self, LabourError> {
        check_code(code)?;
        let name = |field, raw: &str| match crate::text::clean(raw, MAX_NAME, Lines::One) {
            Ok(Some(n)) => Ok(n),
            Ok(None) => Err(LabourError::NameMissing),
            Err(error) => Err(LabourError::Name { field, error }),
        };
        let (zh, en) = (name("name_zh", name_zh)?, name("name_en", name_en)?);
        check_hundredths(standard_hundredths)?;
        Ok(Self {
            code: code.to_string(),
            name_zh: zh,
            name_en: en,
            standard_hundredths,
            requirement,
            major_part: None,
        })
    }

    /// The same operation, marked as replacing `part` (or as no main-part replacement).
    pub fn with_major_part(self, part: Option<System>) -> Self {
        Self {
            major_part: part,
            ..self
        }
    }

    /// Standard time in whole minutes, rounded up.
    pub fn standard_minutes(&self) -> i64 {
        hundredths_to_minutes(self.standard_hundredths)
    }

    /// Price of this operation at `hourly_rate`.
    pub fn price(&self, hourly_rate: Money) -> Result<Money, LabourError> {
        line_price(hourly_rate, self.standard_hundredths)
    }
}

/// Hours in hundredths as whole minutes, rounded up (0.25 h = 15 min, 0.01 h = 1 min).
pub fn hundredths_to_minutes(hundredths: i64) -> i64 {
    (hundredths.max(0) * 60 + 99) / 100
}

/// Price of a labour line: hourly rate × hours, rounded half up to the fen.
pub fn line_price(hourly_rate: Money, hundredths: i64) -> Result<Money, LabourError> {
    if hourly_rate.fen() < 0 {
        return Err(LabourError::RateNegative);
    }
    check_hundredths(hundredths)?;
    Ok(hourly_rate.times_hundredths(hundredths))
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use crate::certification::{Qualification, TechnicianGrade};

    #[test]
    fn builds_and_prices_an_operation() {
        let req = Requirement {
            min_grade: Some(TechnicianGrade::SeniorTechnician),
            qualification: Some(Qualification::EvHighVoltage),
        };
        let op = LabourOperation::new(
            "EV-BAT-CHK",
            " 动力电池检测 ",
            "Traction battery check",
            150,
            req,
        )
        .expect("op");
        assert_eq!(op.name_zh, "动力电池检测");
        assert_eq!(op.standard_minutes(), 90);
        // 1.5 h × ¥180.00 = ¥270.00
        assert_eq!(
            op.price(Money::from_fen(18_000)),
            Ok(Money::from_fen(27_000))
        );
        // 0.33 h × ¥155.55 = 51.3315 -> ¥51.33
        assert_eq!(
            line_price(Money::from_fen(15_555), 33),
            Ok(Money::from_fen(5_133))
        );
    }

    #[test]
    fn refuses_bad_entries() {
        let r = Requirement::default();
        assert_eq!(
            LabourOperation::new("ev bat", "a", "b", 10, r),
            Err(LabourError::CodeFormat)
        );
        assert_eq!(
            LabourOperation::new("", "a", "b", 10, r),
            Err(LabourError::CodeFormat)
        );
        assert_eq!(
            LabourOperation::new("A1", " ", "b", 10, r),
            Err(LabourError::NameMissing)
        );
        assert_eq!(
            LabourOperation::new("A1", "a", "b", 0, r),
            Err(LabourError::HoursRange)
        );
        assert_eq!(
            LabourOperation::new("A1", "a", "b", 10_001, r),
            Err(LabourError::HoursRange)
        );
        assert_eq!(
            line_price(Money::from_fen(-1), 100),
            Err(LabourError::RateNegative)
        );
        assert_eq!(hundredths_to_minutes(1), 1);
        assert_eq!(hundredths_to_minutes(25), 15);
        let v: crate::Violation = LabourError::HoursRange.into();
        assert_eq!(v.rule, "labour.hours_range");
    }

    #[test]
    fn names_follow_the_text_rules() {
        let r = Requirement::default();
        let v: crate::Violation = LabourOperation::new("A1", "工\u{0017}\u{e000}", "b", 10, r)
            .map(|_| ())
            .map_err(crate::Violation::from)
            .err()
            .unwrap_or_else(|| crate::Violation::new("", "accepted"));
        assert_eq!(
            (v.field.as_str(), v.rule),
            ("name_zh", "text.control_chars")
        );
        assert!(matches!(
            LabourOperation::new("A1", "a", "\u{200B}", 10, r),
            Err(LabourError::Name {
                field: "name_en",
                ..
            })
        ));
    }
}
