//! The one working calendar (SPEC §14, §15): China's official public-holiday plan
//! including the weekend days that become working days (调休), opening hours per
//! weekday and a time zone. Appointments use it to find open slots; SLA clocks use it
//! to add and measure business time.

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time, Weekday, date};
use jiff::tz::{self, TimeZone};
use serde::{Deserialize, Serialize};

/// The default time zone name of the platform.
pub const DEFAULT_TIME_ZONE: &str = "Asia/Shanghai";

/// Longest run of days without any open time that the clocks will look through.
const MAX_CLOSED_RUN_DAYS: usize = 3_660;

/// Largest business duration the clocks accept: ten years of minutes.
const MAX_MINUTES: i64 = 10 * 366 * 24 * 60;

/// Asia/Shanghai from the system time-zone database, or fixed UTC+08:00 (China has no
/// daylight saving time since 1991) when the database is missing.
pub fn shanghai() -> TimeZone {
    TimeZone::get(DEFAULT_TIME_ZONE).unwrap_or_else(|_| TimeZone::fixed(tz::offset(8)))
}

/// What the plan says about one date.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DayKind {
    /// A public holiday (or a bridged rest day of one): closed.
    Holiday {
        /// The holiday's name, e.g. 春节.
        name: String,
    },
    /// A weekend day that is worked instead (调休上班): open with Monday's hours.
    AdjustedWorkday,
}

/// Why a plan, opening hours or a clock computation is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A line of the plan text is not understood.
    #[error("line {line}: {problem}")]
    Parse {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        problem: ParseProblem,
    },
    /// The same date appears twice in the plan text.
    #[error("line {line}: {date} is already listed")]
    DuplicateDate {
        /// 1-based line number of the second mention.
        line: usize,
        /// The date.
        date: Date,
    },
    /// Opening hours where closing is not after opening.
    #[error("opening hours for {weekday:?} close before they open")]
    HoursInverted {
        /// The weekday concerned.
        weekday: Weekday,
    },
    /// A negative or absurdly long duration.
    #[error("duration out of range")]
    DurationRange,
    /// No open time at all in the years searched (all days closed).
    #[error("no working time found")]
    NoWorkingTime,
    /// A date or instant beyond the supported range.
    #[error("date out of range")]
    OutOfRange,
}

/// What is wrong with one line of plan text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseProblem {
    /// The date is not `YYYY-MM-DD` (or a range `YYYY-MM-DD..YYYY-MM-DD`).
    Date,
    /// The range ends before it starts or is longer than 31 days.
    Range,
    /// The kind is neither `holiday` nor `workday`.
    Kind,
    /// A holiday without a name.
    NameMissing,
    /// A workday line with extra words, or a workday range.
    ExtraText,
}

impl fmt::Display for ParseProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseProblem::Date => "expected a date YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD",
            ParseProblem::Range => "range ends before it starts or spans more than 31 days",
            ParseProblem::Kind => "expected `holiday NAME` or `workday`",
            ParseProblem::NameMissing => "a holiday needs a name",
            ParseProblem::ExtraText => "`workday` takes a single date and no name",
        })
    }
}

impl ParseProblem {
    fn rule(self) -> &'static str {
        match self {
            ParseProblem::Date => "calendar.date_format",
            ParseProblem::Range => "calendar.range_invalid",
            ParseProblem::Kind => "calendar.kind_unknown",
            ParseProblem::NameMissing => "calendar.holiday_name_missing",
            ParseProblem::ExtraText => "calendar.extra_text",
        }
    }
}

impl From<CalendarError> for crate::Violation {
    fn from(e: CalendarError) -> Self {
        use crate::Violation as V;
        match e {
            CalendarError::Parse { line, problem } => {
                V::new("plan", problem.rule()).with_detail(format!("line {line}"))
            }
            CalendarError::DuplicateDate { line, date } => {
                V::new("plan", "calendar.duplicate_date")
                    .with_detail(format!("line {line}: {date}"))
            }
            CalendarError::HoursInverted { weekday } => {
                V::new("hours", "calendar.hours_inverted").with_detail(format!("{weekday:?}"))
            }
            CalendarError::DurationRange => V::new("minutes", "calendar.duration_range"),
            CalendarError::NoWorkingTime => V::new("calendar", "calendar.no_working_time"),
            CalendarError::OutOfRange => V::new("date", "calendar.out_of_range"),
        }
    }
}

/// China's official plans as published by the State Council General Office:
/// holiday ranges (first day, last day, name).
const CHINA_HOLIDAYS: &[(Date, Date, &str)] = &[
    // 国办发明电〔2023〕7号
    (date(2024, 1, 1), date(2024, 1, 1), "元旦"),
    (date(2024, 2, 10), date(2024, 2, 17), "春节"),
    (date(2024, 4, 4), date(2024, 4, 6), "清明节"),
    (date(2024, 5, 1), date(2024, 5, 5), "劳动节"),
    (date(2024, 6, 10), date(2024, 6, 10), "端午节"),
    (date(2024, 9, 15), date(2024, 9, 17), "中秋节"),
    (date(2024, 10, 1), date(2024, 10, 7), "国庆节"),
    // 国办发明电〔2024〕12号
    (date(2025, 1, 1), date(2025, 1, 1), "元旦"),
    (date(2025, 1, 28), date(2025, 2, 4), "春节"),
    (date(2025, 4, 4), date(2025, 4, 6), "清明节"),
    (date(2025, 5, 1), date(2025, 5, 5), "劳动节"),
    (date(2025, 5, 31), date(2025, 6, 2), "端午节"),
    (date(2025, 10, 1), date(2025, 10, 8), "国庆节、中秋节"),
    // 国务院办公厅 2025-11-04
    (date(2026, 1, 1), date(2026, 1, 3), "元旦"),
    (date(2026, 2, 15), date(2026, 2, 23), "春节"),
    (date(2026, 4, 4), date(2026, 4, 6), "清明节"),
    (date(2026, 5, 1), date(2026, 5, 5), "劳动节"),
    (date(2026, 6, 19), date(2026, 6, 21), "端午节"),
    (date(2026, 9, 25), date(2026, 9, 27), "中秋节"),
    (date(2026, 10, 1), date(2026, 10, 7), "国庆节"),
];

/// The weekend days worked instead (调休上班) in the same plans.
const CHINA_ADJUSTED_WORKDAYS: &[Date] = &[
    date(2024, 2, 4),
    date(2024, 2, 18),
    date(2024, 4, 7),
    date(2024, 4, 28),
    date(2024, 5, 11),
    date(2024, 9, 14),
    date(2024, 9, 29),
    date(2024, 10, 12),
    date(2025, 1, 26),
    date(2025, 2, 8),
    date(2025, 4, 27),
    date(2025, 9, 28),
    date(2025, 10, 11),
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
];

/// How many days before the loaded plan runs out administrators are warned (SPEC §6).
pub const PLAN_WARNING_DAYS: i64 = 60;

/// The first day of the warning that a plan ending on `end` runs out: 60 days before.
pub fn plan_warning_from(end: Date) -> Date {
    end.checked_sub(jiff::Span::new().days(PLAN_WARNING_DAYS))
        .unwrap_or(end)
}

/// A public-holiday plan: which dates are holidays and which weekend days are worked.
/// Editable by head office through [`HolidayPlan::parse`] / [`HolidayPlan::to_text`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolidayPlan {
    days: BTreeMap<Date, DayKind>,
}

impl HolidayPlan {
    /// An empty plan (no holidays, no adjusted workdays).
    pub fn new() -> Self {
        Self::default()
    }

    /// China's official plans for 2024, 2025 and 2026.
    pub fn china() -> Self {
        let mut plan = Self::new();
        for (first, last, name) in CHINA_HOLIDAYS {
            for d in first
                .series(jiff::Span::new().days(1))
                .take_while(|d| d <= last)
            {
                plan.insert(
                    d,
                    DayKind::Holiday {
                        name: (*name).to_string(),
                    },
                );
            }
        }
        for d in CHINA_ADJUSTED_WORKDAYS {
            plan.insert(*d, DayKind::AdjustedWorkday);
        }
        plan
    }

    /// Sets what `day` is, replacing any earlier entry.
    pub fn insert(&mut self, day: Date, kind: DayKind) {
        self.days.insert(day, kind);
    }

    /// Removes the entry for `day`, making it an ordinary day.
    pub fn remove(&mut self, day: Date) -> Option<DayKind> {
        self.days.remove(&day)
    }

    /// What the plan says about `day`, if anything.
    pub fn get(&self, day: Date) -> Option<&DayKind> {
        self.days.get(&day)
    }

    /// Every entry in date order.
    pub fn iter(&self) -> impl Iterator<Item = (Date, &DayKind)> {
        self.days.iter().map(|(d, k)| (*d, k))
    }

    /// Number of dated entries.
    pub fn len(&self) -> usize {
        self.days.len()
    }

    /// Whether the plan has no entries.
    pub fn is_empty(&self) -> bool {
        self.days.is_empty()
    }

    /// The last day the plan speaks for: 31 December of the latest year it lists (the
    /// State Council publishes a whole year at a time). `None` for an empty plan,
    /// which speaks for no day at all.
    pub fn end(&self) -> Option<Date> {
        let last = self.days.keys().next_back()?;
        Some(date(last.year(), 12, 31))
    }

    /// Whether the plan speaks for `day` (SPEC §6: a day past the plan is counted on
    /// the regular week, and what is computed on it is only provisional).
    pub fn covers(&self, day: Date) -> bool {
        self.end().is_some_and(|end| day <= end)
    }

    /// Parses the text format, one entry per line:
    ///
    /// ```text
    /// # comments and blank lines are ignored
    /// 2026-02-15..2026-02-23 holiday 春节
    /// 2026-02-14 workday
    /// ```
    pub fn parse(text: &str) -> Result<Self, CalendarError> {
        let mut plan = Self::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let content = raw.split('#').next().unwrap_or("").trim();
            if content.is_empty() {
                continue;
            }
            let err = |problem| CalendarError::Parse { line, problem };
            let mut parts = content.splitn(3, char::is_whitespace);
            let when = parts.next().unwrap_or("");
            let kind = parts.next().unwrap_or("").trim();
            let rest = parts.next().unwrap_or("").trim();
            let (first, last) = match when.split_once("..") {
                Some((a, b)) => (
                    parse_date(a).ok_or(err(ParseProblem::Date))?,
                    parse_date(b).ok_or(err(ParseProblem::Date))?,
                ),
                None => {
                    let d = parse_date(when).ok_or(err(ParseProblem::Date))?;
                    (d, d)
                }
            };
            let span_days = last
                .since(first)
                .map_err(|_| err(ParseProblem::Range))?
                .get_days();
            if !(0..=31).contains(&span_days) {
                return Err(err(ParseProblem::Range));
            }
            let day_kind = match kind {
                "holiday" => {
                    if rest.is_empty() {
                        return Err(err(ParseProblem::NameMissing));
                    }
                    DayKind::Holiday {
                        name: rest.to_string(),
                    }
                }
                "workday" => {
                    if !rest.is_empty() || first != last {
                        return Err(err(ParseProblem::ExtraText));
                    }
                    DayKind::AdjustedWorkday
                }
                _ => return Err(err(ParseProblem::Kind)),
            };
            for d in first
                .series(jiff::Span::new().days(1))
                .take_while(|d| *d <= last)
            {
                if plan.days.contains_key(&d) {
                    return Err(CalendarError::DuplicateDate { line, date: d });
                }
                plan.insert(d, day_kind.clone());
            }
        }
        Ok(plan)
    }

    /// The plan in the text format read by [`HolidayPlan::parse`]; runs of consecutive
    /// days of the same holiday become one range line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut iter = self.days.iter().peekable();
        while let Some((first, kind)) = iter.next() {
            match kind {
                DayKind::AdjustedWorkday => out.push_str(&format!("{first} workday\n")),
                DayKind::Holiday { name } => {
                    let mut last = *first;
                    while let Some((next, DayKind::Holiday { name: n2 })) = iter.peek() {
                        if n2 == name && last.tomorrow().ok() == Some(**next) {
                            last = **next;
                            iter.next();
                        } else {
                            break;
                        }
                    }
                    if last == *first {
                        out.push_str(&format!("{first} holiday {name}\n"));
                    } else {
                        out.push_str(&format!("{first}..{last} holiday {name}\n"));
                    }
                }
            }
        }
        out
    }
}

fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    if s.len() != 10 {
        return None;
    }
    s.parse::<Date>().ok()
}

/// Opening hours per weekday (Monday first); `None` means closed that weekday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    days: [Option<(Time, Time)>; 7],
}

impl OpeningHours {
    /// Hours for each weekday, Monday first. Closing must be after opening.
    pub fn new(days: [Option<(Time, Time)>; 7]) -> Result<Self, CalendarError> {
        for (i, d) in days.iter().enumerate() {
            if let Some((open, close)) = d
                && close <= open
            {
                let weekday = Weekday::from_monday_zero_offset(i as i8)
                    .map_err(|_| CalendarError::OutOfRange)?;
                return Err(CalendarError::HoursInverted { weekday });
            }
        }
        Ok(Self { days })
    }

    /// The same hours every day of the week (typical for a service station).
    pub fn every_day(open: Time, close: Time) -> Result<Self, CalendarError> {
        Self::new([Some((open, close)); 7])
    }

    /// The same hours Monday to Friday, closed at weekends (typical office hours).
    pub fn weekdays(open: Time, close: Time) -> Result<Self, CalendarError> {
        let h = Some((open, close));
        Self::new([h, h, h, h, h, None, None])
    }

    /// The hours of `weekday`, if open.
    pub fn on(&self, weekday: Weekday) -> Option<(Time, Time)> {
        self.days[weekday.to_monday_zero_offset() as usize]
    }
}

/// How a clock counts time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockMode {
    /// Only open time on working days counts.
    Business,
    /// Every minute counts (24/7).
    Calendar,
}

/// A working calendar: holiday plan, opening hours and time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkingCalendar {
    /// Public holidays and adjusted working days.
    pub plan: HolidayPlan,
    /// Opening hours per weekday.
    pub hours: OpeningHours,
    /// The zone in which dates and opening hours are read.
    pub tz: TimeZone,
}

impl WorkingCalendar {
    /// A calendar from its parts.
    pub fn new(plan: HolidayPlan, hours: OpeningHours, tz: TimeZone) -> Self {
        Self { plan, hours, tz }
    }

    /// The civil date and time of `ts` in this calendar's zone.
    pub fn local(&self, ts: Timestamp) -> DateTime {
        self.tz.to_datetime(ts)
    }

    /// The instant of a civil date and time in this calendar's zone.
    pub fn instant(&self, dt: DateTime) -> Result<Timestamp, CalendarError> {
        self.tz
            .to_timestamp(dt)
            .map_err(|_| CalendarError::OutOfRange)
    }

    /// Opening and closing time on `day`: holidays are closed, adjusted workdays use
    /// Monday's hours, other days their weekday's hours.
    pub fn opening_on(&self, day: Date) -> Option<(Time, Time)> {
        match self.plan.get(day) {
            Some(DayKind::Holiday { .. }) => None,
            Some(DayKind::AdjustedWorkday) => self.hours.on(Weekday::Monday),
            None => self.hours.on(day.weekday()),
        }
    }

    /// Whether `day` has any open time.
    pub fn is_working_day(&self, day: Date) -> bool {
        self.opening_on(day).is_some()
    }

    /// The open window of `day` as instants, if open.
    pub fn window_on(&self, day: Date) -> Result<Option<(Timestamp, Timestamp)>, CalendarError> {
        match self.opening_on(day) {
            None => Ok(None),
            Some((open, close)) => Ok(Some((
                self.instant(day.to_datetime(open))?,
                self.instant(day.to_datetime(close))?,
            ))),
        }
    }

    /// Whether `ts` falls in open time (opening inclusive, closing exclusive).
    pub fn is_open_at(&self, ts: Timestamp) -> bool {
        let dt = self.local(ts);
        self.opening_on(dt.date())
            .is_some_and(|(open, close)| open <= dt.time() && dt.time() < close)
    }

    /// `start` plus `minutes` of open time. A start in closed time first moves to the
    /// next opening; a result exactly at closing stays there (it is the deadline).
    pub fn add_business_duration(
        &self,
        start: Timestamp,
        minutes: i64,
    ) -> Result<Timestamp, CalendarError> {
        if !(0..=MAX_MINUTES).contains(&minutes) {
            return Err(CalendarError::DurationRange);
        }
        let mut remaining = minutes * 60;
        let mut day = self.local(start).date();
        let mut closed_run = 0usize;
        loop {
            if let Some((open, close)) = self.window_on(day)? {
                let from = open.max(start);
                if from < close {
                    closed_run = 0;
                    let available = close.as_second() - from.as_second();
                    if remaining <= available {
                        return from
                            .checked_add(jiff::SignedDuration::from_secs(remaining))
                            .map_err(|_| CalendarError::OutOfRange);
                    }
                    remaining -= available;
                }
            }
            closed_run += 1;
            if closed_run > MAX_CLOSED_RUN_DAYS {
                return Err(CalendarError::NoWorkingTime);
            }
            day = day.tomorrow().map_err(|_| CalendarError::OutOfRange)?;
        }
    }

    /// Open minutes between `a` and `b` (whole minutes, rounded toward zero);
    /// negative when `b` is before `a`.
    pub fn business_minutes_between(
        &self,
        a: Timestamp,
        b: Timestamp,
    ) -> Result<i64, CalendarError> {
        if b < a {
            return self.business_minutes_between(b, a).map(|m| -m);
        }
        let last = self.local(b).date();
        let mut day = self.local(a).date();
        let mut seconds = 0i64;
        let mut days = 0usize;
        while day <= last {
            if let Some((open, close)) = self.window_on(day)? {
                let from = open.max(a).as_second();
                let to = close.min(b).as_second();
                if to > from {
                    seconds += to - from;
                }
            }
            days += 1;
            if days > MAX_CLOSED_RUN_DAYS * 10 {
                return Err(CalendarError::DurationRange);
            }
            day = day.tomorrow().map_err(|_| CalendarError::OutOfRange)?;
        }
        Ok(seconds / 60)
    }

    /// `start` plus `minutes` counted in `mode`.
    pub fn add_duration(
        &self,
        mode: ClockMode,
        start: Timestamp,
        minutes: i64,
    ) -> Result<Timestamp, CalendarError> {
        match mode {
            ClockMode::Business => self.add_business_duration(start, minutes),
            ClockMode::Calendar => {
                if !(0..=MAX_MINUTES).contains(&minutes) {
                    return Err(CalendarError::DurationRange);
                }
                start
                    .checked_add(jiff::SignedDuration::from_mins(minutes))
                    .map_err(|_| CalendarError::OutOfRange)
            }
        }
    }

    /// Minutes between `a` and `b` counted in `mode` (negative when `b` is before `a`).
    pub fn minutes_between(
        &self,
        mode: ClockMode,
        a: Timestamp,
        b: Timestamp,
    ) -> Result<i64, CalendarError> {
        match mode {
            ClockMode::Business => self.business_minutes_between(a, b),
            ClockMode::Calendar => Ok((b.as_second() - a.as_second()) / 60),
        }
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests;
