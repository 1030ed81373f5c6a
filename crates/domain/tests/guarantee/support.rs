//! Vehicle histories in a few words: days and hours from the invoice date (2024-03-01,
//! midnight UTC, the station's zone taken as UTC here).

use domain::guarantee::exclusion::{Exclusion, ExclusionReason};
use domain::guarantee::main_part::{MainPart, System};
use domain::guarantee::period::{Coverage, Policy};
use domain::guarantee::repair_time::{Excluded, ExcludedKind, RepairSpan};
use domain::guarantee::right::{
    Action, Art23Fault, Assessment, Line, Right, Vehicle, Visit, assess,
};
use jiff::civil::{Date, date};
use jiff::{SignedDuration, Timestamp, ToSpan};

pub const INVOICE: Date = date(2024, 3, 1);

/// The instant `day` days and `hour` hours after the invoice date's midnight.
pub fn at(day: i64, hour: i64) -> Timestamp {
    let base: Timestamp = "2024-03-01T00:00:00Z".parse().unwrap();
    base.checked_add(SignedDuration::from_hours(day * 24 + hour))
        .unwrap()
}

/// The date `day` days after the invoice date.
pub fn on(day: i64) -> Date {
    INVOICE.checked_add(day.days()).unwrap()
}

/// A car invoiced and delivered on [`INVOICE`], under `policy`.
pub fn car_with(policy: Policy) -> Vehicle {
    Vehicle {
        coverage: Coverage::new(INVOICE, None, &policy).unwrap(),
        policy,
    }
}

/// A car under the regulation's own values.
pub fn car() -> Vehicle {
    car_with(Policy::LEGAL)
}

/// A quality fault on `part`, repaired.
pub fn fault(part: &str) -> Line {
    Line {
        quality: true,
        part: Some(part.to_string()),
        system: None,
        main_part: None,
        code: None,
        action: Action::Repair,
        serious_safety: false,
        art23: None,
        exclusion: None,
    }
}

/// Shorthands for a line.
pub trait LineExt: Sized {
    fn code(self, code: &str) -> Self;
    fn in_main_part(self, system: System, code: &str) -> Self;
    fn in_system(self, system: System) -> Self;
    fn replace_main_part(self) -> Self;
    fn replace_assembly(self, system: System) -> Self;
    fn safety(self) -> Self;
    fn art23(self, f: Art23Fault) -> Self;
    fn paid(self) -> Self;
    fn excluded(self) -> Self;
}

impl LineExt for Line {
    fn code(mut self, code: &str) -> Self {
        self.code = Some(code.into());
        self
    }
    fn in_main_part(mut self, system: System, code: &str) -> Self {
        self.system = Some(system);
        self.main_part = Some(MainPart {
            system,
            code: code.into(),
        });
        self
    }
    fn in_system(mut self, system: System) -> Self {
        self.system = Some(system);
        self
    }
    fn replace_main_part(mut self) -> Self {
        self.action = Action::ReplaceMainPart(self.main_part.clone().unwrap());
        self
    }
    fn replace_assembly(mut self, system: System) -> Self {
        self.system = Some(system);
        self.action = Action::ReplaceAssembly(system);
        self
    }
    fn safety(mut self) -> Self {
        self.serious_safety = true;
        self
    }
    fn art23(mut self, f: Art23Fault) -> Self {
        self.art23 = Some(f);
        self
    }
    fn paid(mut self) -> Self {
        self.quality = false;
        self
    }
    fn excluded(mut self) -> Self {
        self.exclusion = Some(
            Exclusion::new(
                ExclusionReason::ForbiddenModification,
                "aftermarket ECU flash",
                "photo 17",
            )
            .unwrap(),
        );
        self
    }
}

/// A visit agreed at `from` (day, hour), complete at `to` (None: still running), at
/// `km`, with `lines`.
pub fn visit(
    id: &str,
    from: (i64, i64),
    to: Option<(i64, i64)>,
    km: u32,
    lines: Vec<Line>,
) -> Visit {
    visit_excl(id, from, to, km, lines, vec![])
}

/// A (day, hour) offset from the invoice date's midnight.
pub type DayHour = (i64, i64);

/// A visit with excluded intervals, each (kind, from, to).
pub fn visit_excl(
    id: &str,
    from: (i64, i64),
    to: Option<(i64, i64)>,
    km: u32,
    lines: Vec<Line>,
    excluded: Vec<(ExcludedKind, DayHour, DayHour)>,
) -> Visit {
    let excluded = excluded
        .into_iter()
        .map(|(kind, f, t)| Excluded {
            kind,
            from: at(f.0, f.1),
            to: at(t.0, t.1),
        })
        .collect();
    Visit {
        id: id.into(),
        opened_on: on(from.0),
        odometer_km: km,
        span: RepairSpan::new(at(from.0, from.1), to.map(|t| at(t.0, t.1)), excluded).unwrap(),
        lines,
    }
}

/// The assessment at `now` (day, hour), the odometer at the last visit's reading.
pub fn assess_at(car: &Vehicle, visits: &[Visit], now: (i64, i64)) -> Assessment {
    let km = visits.iter().map(|v| v.odometer_km).max().unwrap_or(0);
    assess(car, visits, at(now.0, now.1), on(now.0), km)
}

/// The rights of an assessment as (article, subject) keys.
pub fn keys(a: &Assessment) -> Vec<String> {
    a.rights
        .iter()
        .map(|r| format!("{}:{}", r.article.cite(), r.subject))
        .collect()
}

/// The one right with this article, if any.
pub fn right<'a>(a: &'a Assessment, cite: &str) -> Option<&'a Right> {
    a.rights.iter().find(|r| r.article.cite() == cite)
}
