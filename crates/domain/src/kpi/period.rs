//! The period a figure is asked for: a month `2026-11` or a quarter `2026Q4`. A
//! malformed period or one that has not begun is refused naming the field `period`.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::{KpiError, YearMonth};

/// A month or a quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Period {
    /// One calendar month.
    Month(YearMonth),
    /// One calendar quarter (1–4).
    Quarter {
        /// Year.
        year: i16,
        /// Quarter 1–4.
        quarter: u8,
    },
}

fn year(text: &str) -> Option<i16> {
    (text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse::<i16>().ok())
        .flatten()
        .filter(|y| (2000..=2100).contains(y))
}

impl Period {
    /// Parses `YYYY-MM` or `YYYYQn` (years 2000–2100), refusing a period that begins
    /// after `today`.
    pub fn parse(text: &str, today: Date) -> Result<Period, KpiError> {
        let t = text.trim();
        let bad = || KpiError::PeriodMalformed(t.chars().take(20).collect());
        let p = if let Some((y, q)) = t.split_once(['Q', 'q']) {
            let quarter = match q {
                "1" => 1,
                "2" => 2,
                "3" => 3,
                "4" => 4,
                _ => return Err(bad()),
            };
            Period::Quarter {
                year: year(y).ok_or_else(bad)?,
                quarter,
            }
        } else {
            let (y, m) = t.split_once('-').ok_or_else(bad)?;
            let month = (m.len() == 2)
                .then(|| m.parse::<i8>().ok())
                .flatten()
                .filter(|m| (1..=12).contains(m))
                .ok_or_else(bad)?;
            Period::Month(YearMonth {
                year: year(y).ok_or_else(bad)?,
                month,
            })
        };
        let first = p.months()[0];
        if (first.year, first.month) > (today.year(), today.month()) {
            return Err(KpiError::PeriodInFuture(t.to_string()));
        }
        Ok(p)
    }

    /// The quarter a month belongs to.
    pub fn quarter_of(m: YearMonth) -> Period {
        Period::Quarter {
            year: m.year,
            quarter: m.quarter(),
        }
    }

    /// Its months, oldest first.
    pub fn months(self) -> Vec<YearMonth> {
        match self {
            Period::Month(m) => vec![m],
            Period::Quarter { year, quarter } => {
                let first = i8::try_from(quarter.clamp(1, 4) * 3 - 2).unwrap_or(1);
                (0..3)
                    .map(|i| YearMonth {
                        year,
                        month: first + i,
                    })
                    .collect()
            }
        }
    }

    /// The period of the same length just before.
    pub fn previous(self) -> Period {
        match self {
            Period::Month(m) => Period::Month(m.previous()),
            Period::Quarter { year, quarter: 1 } => Period::Quarter {
                year: year - 1,
                quarter: 4,
            },
            Period::Quarter { year, quarter } => Period::Quarter {
                year,
                quarter: quarter - 1,
            },
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Period::Month(m) => write!(f, "{m}"),
            Period::Quarter { year, quarter } => write!(f, "{year:04}Q{quarter}"),
        }
    }
}
