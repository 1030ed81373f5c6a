//! What one complaint adds to its station's counters for its month of receipt: the
//! 1-hour and 2-hour response rates and the 3-day closure rate (SPEC §12).

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::order::month_of;
use super::{Counter, KpiKey, YearMonth};

/// A complaint as the KPIs need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintRecord {
    /// When it was received.
    pub received_at: Timestamp,
    /// Its first response (`responded` or `acknowledge`), if any.
    pub first_response_at: Option<Timestamp>,
    /// Its first closure, if any (a reopening does not undo a closure in time).
    pub first_closed_at: Option<Timestamp>,
}

/// Minutes within which a first response counts for the 1-hour rate.
pub const RESPONSE_1H_MINUTES: i64 = 60;
/// Minutes within which a first response counts for the 2-hour rate.
pub const RESPONSE_2H_MINUTES: i64 = 120;
/// Hours within which a first closure counts for the 3-day rate.
pub const CLOSURE_HOURS: i64 = 72;

fn within(from: Timestamp, to: Option<Timestamp>, seconds: i64) -> bool {
    to.is_some_and(|t| t.as_second() - from.as_second() <= seconds)
}

/// The month of receipt (in `tz`) and the complaint's case of each complaint KPI.
pub fn complaint_contribution(
    c: &ComplaintRecord,
    tz: &TimeZone,
) -> (YearMonth, Vec<(KpiKey, Counter)>) {
    let r = c.received_at;
    (
        month_of(r, tz),
        vec![
            (
                KpiKey::ComplaintResponse1h,
                Counter::ratio(within(r, c.first_response_at, RESPONSE_1H_MINUTES * 60)),
            ),
            (
                KpiKey::ComplaintResponse2h,
                Counter::ratio(within(r, c.first_response_at, RESPONSE_2H_MINUTES * 60)),
            ),
            (
                KpiKey::ComplaintClosure3d,
                Counter::ratio(within(r, c.first_closed_at, CLOSURE_HOURS * 3600)),
            ),
        ],
    )
}
