//! Money in fen (1/100 yuan), never floating point.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of Chinese yuan counted in fen. Arithmetic saturates rather than wraps,
/// because a wrapped total on an invoice is worse than a clamped one.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

/// Why a text is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not a decimal number with at most two places.
    #[error("not an amount with at most two decimal places")]
    Format,
    /// Larger than any real invoice.
    #[error("amount out of range")]
    Range,
}

impl From<MoneyError> for crate::Violation {
    fn from(e: MoneyError) -> Self {
        match e {
            MoneyError::Format => crate::Violation::new("amount", "money.format"),
            MoneyError::Range => crate::Violation::new("amount", "money.range"),
        }
    }
}

/// The largest amount accepted from input: 10 billion yuan.
const MAX_FEN: i64 = 1_000_000_000_000;

impl Money {
    /// Zero yuan.
    pub const ZERO: Money = Money(0);

    /// An amount of `fen`.
    pub const fn from_fen(fen: i64) -> Self {
        Money(fen)
    }

    /// The amount in fen.
    pub const fn fen(self) -> i64 {
        self.0
    }

    /// Sum, saturating.
    pub fn plus(self, other: Money) -> Money {
        Money(self.0.saturating_add(other.0))
    }

    /// Difference, saturating.
    pub fn minus(self, other: Money) -> Money {
        Money(self.0.saturating_sub(other.0))
    }

    /// This amount times a quantity given in hundredths (e.g. 1.5 hours = 150),
    /// rounded half away from zero to the fen.
    pub fn times_hundredths(self, hundredths: i64) -> Money {
        let p = (self.0 as i128) * (hundredths as i128);
        let q = if p >= 0 {
            (p + 50) / 100
        } else {
            (p - 50) / 100
        };
        Money(q.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
    }

    /// This amount times a rate in basis points (1/100 of a percent; 13% VAT = 1300),
    /// rounded half away from zero to the fen.
    pub fn times_basis_points(self, bp: i64) -> Money {
        let p = (self.0 as i128) * (bp as i128);
        let q = if p >= 0 {
            (p + 5_000) / 10_000
        } else {
            (p - 5_000) / 10_000
        };
        Money(q.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
    }

    /// Parses yuan written as `1234.5`, `1,234.50`, `¥12` or `-3.10`.
    pub fn parse_yuan(s: &str) -> Result<Money, MoneyError> {
        let t = s.trim();
        let (neg, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let t: String = t
            .trim_start_matches(['¥', '￥'])
            .chars()
            .filter(|c| *c != ',')
            .collect();
        let (int, frac) = match t.split_once('.') {
            Some((i, f)) => (i, f),
            None => (t.as_str(), ""),
        };
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 2
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(MoneyError::Format);
        }
        if int.len() > 12 {
            return Err(MoneyError::Range);
        }
        let yuan: i64 = int.parse().map_err(|_| MoneyError::Format)?;
        let mut fen_part: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| MoneyError::Format)?
        };
        if frac.len() == 1 {
            fen_part *= 10;
        }
        let fen = yuan * 100 + fen_part;
        if fen > MAX_FEN {
            return Err(MoneyError::Range);
        }
        Ok(Money(if neg { -fen } else { fen }))
    }
}

impl fmt::Display for Money {
    /// Shows `¥1,234.50`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.0 < 0;
        let abs = self.0.unsigned_abs();
        let yuan = abs / 100;
        let fen = abs % 100;
        let digits = yuan.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "{}¥{}.{:02}", if neg { "-" } else { "" }, grouped, fen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn displays_grouped_yuan() {
        assert_eq!(Money::from_fen(123_450).to_string(), "¥1,234.50");
        assert_eq!(Money::from_fen(5).to_string(), "¥0.05");
        assert_eq!(Money::from_fen(-100_000_000).to_string(), "-¥1,000,000.00");
    }

    #[test]
    fn parses_common_forms() {
        assert_eq!(Money::parse_yuan("1,234.5"), Ok(Money::from_fen(123_450)));
        assert_eq!(Money::parse_yuan("¥12"), Ok(Money::from_fen(1200)));
        assert_eq!(Money::parse_yuan("-3.10"), Ok(Money::from_fen(-310)));
        assert_eq!(Money::parse_yuan("1.234"), Err(MoneyError::Format));
        assert_eq!(Money::parse_yuan("abc"), Err(MoneyError::Format));
        assert_eq!(Money::parse_yuan("9999999999999"), Err(MoneyError::Range));
    }

    #[test]
    fn vat_rounds_half_up() {
        // 13% of ¥0.50 is 6.5 fen -> 7 fen
        assert_eq!(
            Money::from_fen(50).times_basis_points(1300),
            Money::from_fen(7)
        );
        // 1.5 h at ¥180.00
        assert_eq!(
            Money::from_fen(18_000).times_hundredths(150),
            Money::from_fen(27_000)
        );
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(fen in -100_000_000_000i64..100_000_000_000i64) {
            let m = Money::from_fen(fen);
            prop_assert_eq!(Money::parse_yuan(&m.to_string()), Ok(m));
        }
    }
}
