//! A vehicle's history (visits and their lines) and the rights it gives under Arts 20–24,
//! each with the instant it arose, its article and the visits that prove it.
//!
//! Rules the model follows, and why:
//! - "The same quality problem" is the same smallest repairable or replaceable part
//!   diagnosed and repaired (the regulator's commentary on Art 40); the concern code is
//!   kept as evidence only (finding 1).
//! - Quality problems are classified per line: a visit that repairs two problems counts
//!   once for each; paid or excluded lines count for nothing (finding 11). Its days count
//!   once toward the 30 days when at least one line is a counted quality problem.
//! - A "no fault found" visit (no part diagnosed) is not a repair of a quality problem:
//!   it counts toward no counter, neither days nor repeats, and stays in the dossier as
//!   evidence (finding 15).
//! - A right is computed from the events that gave rise to it, each judged on its own
//!   date and odometer reading, never on today's: once arisen it never disappears
//!   (finding 14).
//! - Assembly replacements and main-part replacements are separate counters (Art 24
//!   para 2, finding 9).

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::battery::FadeBreach;
use super::exclusion::Exclusion;
use super::main_part::{MainPart, System};
use super::period::{Article, Coverage, Policy};
use super::repair_time::RepairSpan;

/// What a line did about its fault.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "what")]
pub enum Action {
    /// Repaired (or a non-main part replaced).
    Repair,
    /// One main part replaced.
    ReplaceMainPart(MainPart),
    /// A whole assembly (engine, transmission, traction battery, drive motor) replaced.
    ReplaceAssembly(System),
}

/// The faults Art 23 names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Art23Fault {
    /// Steering system failure.
    SteeringFailure,
    /// Brake system failure.
    BrakeFailure,
    /// Cracked body.
    BodyCrack,
    /// Fuel leak.
    FuelLeak,
    /// Traction battery fire.
    BatteryFire,
}

/// One line of a visit: one fault, as diagnosed and repaired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// Whether diagnosis classed it a quality problem (not wear, accident, paid work).
    pub quality: bool,
    /// The smallest repairable or replaceable part diagnosed and repaired (a catalogue
    /// code); None when no fault was found.
    pub part: Option<String>,
    /// The system the part belongs to, when one of the ten.
    pub system: Option<System>,
    /// The listed main part the fault is in, if any.
    pub main_part: Option<MainPart>,
    /// Concern or fault code, kept as evidence.
    pub code: Option<String>,
    /// What was done.
    pub action: Action,
    /// Whether diagnosis classed it a serious safety fault (严重安全性能故障).
    pub serious_safety: bool,
    /// An Art 23 fault, if it is one.
    pub art23: Option<Art23Fault>,
    /// An Art 32 exclusion of this fault.
    pub exclusion: Option<Exclusion>,
}

impl Line {
    /// A counted quality problem: quality, a part found, not excluded.
    pub fn counts(&self) -> bool {
        self.quality && self.part.is_some() && self.exclusion.is_none()
    }
}

/// One visit (repair order) of the vehicle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    /// The order's id or number, cited as evidence.
    pub id: String,
    /// The station's local date of the repair agreement (decides the windows).
    pub opened_on: Date,
    /// Odometer at reception.
    pub odometer_km: u32,
    /// The repair's clock.
    pub span: RepairSpan,
    /// Its lines.
    pub lines: Vec<Line>,
}

impl Visit {
    /// The days this visit adds to the Art 24(1)(4) total at `now`, as [`assess`]
    /// counts them: its counted days (Art 40, less the Art 24 para 3 intervals) when it
    /// repaired a counted quality problem ([`Line::counts`]) inside the 三包 period,
    /// else none — a service, a paid repair, an excluded fault or a "no fault found"
    /// visit adds nothing. The dossier shows it per order.
    pub fn days_toward_total(&self, coverage: &Coverage, now: Timestamp) -> u32 {
        let counted = self.lines.iter().any(Line::counts)
            && self.span.agreed_at() <= now
            && coverage.in_sanbao(self.opened_on, self.odometer_km);
        if counted {
            self.span.counted_days(now)
        } else {
            0
        }
    }
}

/// What a right gives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "system")]
pub enum RightKind {
    /// A free new assembly (Art 20).
    FreeAssembly(System),
    /// A courtesy car or transport costs (Art 21).
    CourtesyCar,
    /// Replacement car or refund, at the owner's choice (Arts 22–24).
    ReplacementOrRefund,
    /// The maker's capacity-fade promise broken (三包凭证; Arts 4 and 18 let a maker
    /// promise more than the floors): a battery check inside the promise's window
    /// measured less than the promised share of the rated capacity. It entitles the
    /// owner to have the traction battery repaired or replaced (modules or the pack,
    /// the repairer's choice) free of parts and labour until it holds at least the
    /// promised share again. It is a quality problem of the traction battery, so those
    /// repairs count toward Art 24 like any other (a pack replaced twice that still
    /// falls short gives Art 24(1)(2)); by itself it gives neither a replacement car
    /// nor a refund: the regulation ties those to Arts 22–24, not to a maker's promise.
    BatteryRestore,
}

/// A right, with when it arose and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Right {
    /// What it gives.
    pub kind: RightKind,
    /// The article.
    pub article: Article,
    /// What it is about: a part, system, visit or counter (stable text).
    pub subject: String,
    /// When it arose.
    pub arose_at: Timestamp,
    /// The visits that prove it, oldest first (for a broken fade promise, the check as
    /// `check:<id>`).
    pub evidence: Vec<String>,
    /// For a broken capacity-fade promise: the check, the promise and the measured
    /// against the promised share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fade: Option<FadeBreach>,
}

impl Right {
    /// The identity of a right, by which "the same right" is judged.
    pub fn key(&self) -> (Article, String) {
        (self.article, self.subject.clone())
    }
}

/// The counters of Art 24, as a vehicle page shows them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counters {
    /// Counted repair days (Art 24(1)(4), transport and rescue left out).
    pub repair_days: u32,
    /// Repairs per part (the same quality problem).
    pub same_problem: BTreeMap<String, u32>,
    /// Completed serious-safety repairs.
    pub serious_safety_repairs: u32,
    /// Replacements per assembly.
    pub assemblies: BTreeMap<System, u32>,
    /// Replacements per main part, never added to the assemblies.
    pub main_parts: BTreeMap<MainPart, u32>,
    /// Days of the longest running quality repair (Art 21 count), if one runs.
    pub current_repair_days: Option<u32>,
}

/// A counter close to its line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The article the line belongs to.
    pub article: Article,
    /// Which counter (same subject as the right it would give).
    pub subject: String,
    /// Its value.
    pub value: u32,
    /// The line it would cross (more than this, or this many and one more fault).
    pub threshold: u32,
}

/// Everything the history gives at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Assessment {
    /// Every right arisen by then, oldest first.
    pub rights: Vec<Right>,
    /// The Art 24 counters.
    pub counters: Counters,
    /// Counters near their line while the vehicle is inside the 三包有效期.
    pub warnings: Vec<Warning>,
}

/// The vehicle side of an assessment: its windows and the maker's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vehicle {
    /// Its windows.
    pub coverage: Coverage,
    /// The policy they were computed with.
    pub policy: Policy,
}

/// Subject of the 30-day counter.
pub const REPAIR_DAYS: &str = "repair_days";
/// Subject of the serious-safety counter.
pub const SERIOUS_SAFETY: &str = "serious_safety";
/// Subject of the broken capacity-fade promise (one per vehicle: the first breach).
pub const BATTERY_FADE: &str = "battery_fade";

/// The right a broken capacity-fade promise gives ([`RightKind::BatteryRestore`]),
/// arisen at the start of the day of the check in the station's zone `tz`.
pub fn fade_right(b: &FadeBreach, tz: &jiff::tz::TimeZone) -> Option<Right> {
    let arose_at = b.on.to_zoned(tz.clone()).ok()?.timestamp();
    Some(Right {
        kind: RightKind::BatteryRestore,
        article: Article::Promise,
        subject: BATTERY_FADE.into(),
        arose_at,
        evidence: vec![format!("check:{}", b.check)],
        fade: Some(b.clone()),
    })
}

/// Adds the right of a broken fade promise, if any, to `a`, keeping its rights oldest
/// first.
pub fn add_fade(a: &mut Assessment, b: Option<&FadeBreach>, tz: &jiff::tz::TimeZone) {
    if let Some(r) = b.and_then(|b| fade_right(b, tz)) {
        a.rights.push(r);
        a.rights.sort_by_key(|r| (r.arose_at, r.key()));
    }
}

struct Rights {
    list: Vec<Right>,
    seen: BTreeSet<(Article, String)>,
}

impl Rights {
    fn add(
        &mut self,
        kind: RightKind,
        article: Article,
        subject: String,
        at: Timestamp,
        ev: impl FnOnce() -> Vec<String>,
    ) {
        // Evidence is only gathered for a new right: long histories cross a line once
        // and then repeat the check on every later visit.
        if self.seen.contains(&(article, subject.clone())) {
            return;
        }
        self.seen.insert((article, subject.clone()));
        self.list.push(Right {
            kind,
            article,
            subject,
            arose_at: at,
            evidence: ev(),
            fade: None,
        });
    }
}

/// Rights, counters and warnings of a vehicle at `now` (`today` its local date,
/// `odometer_km` its latest reading). Visits agreed after `now` are ignored; the order
/// of `visits` does not matter.
pub fn assess(
    vehicle: &Vehicle,
    visits: &[Visit],
    now: Timestamp,
    today: Date,
    odometer_km: u32,
) -> Assessment {
    let (cov, pol) = (&vehicle.coverage, &vehicle.policy);
    let mut order: Vec<&Visit> = visits
        .iter()
        .filter(|v| v.span.agreed_at() <= now)
        .collect();
    order.sort_by(|a, b| (a.span.agreed_at(), &a.id).cmp(&(b.span.agreed_at(), &b.id)));
    let mut rights = Rights {
        list: Vec::new(),
        seen: BTreeSet::new(),
    };
    let mut c = Counters::default();
    let mut problem_ev: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut days_ev: Vec<String> = Vec::new();
    let mut safety_ev: Vec<String> = Vec::new();
    let mut assembly_ev: BTreeMap<System, Vec<String>> = BTreeMap::new();
    let mut part_ev: BTreeMap<MainPart, Vec<String>> = BTreeMap::new();
    let day_secs: i64 = 24 * 60 * 60;
    for v in order {
        let lines: Vec<&Line> = v.lines.iter().filter(|l| l.counts()).collect();
        if lines.is_empty() {
            continue;
        }
        let at = v.span.agreed_at();
        let id = v.id.clone();
        let (on, km) = (v.opened_on, v.odometer_km);
        // Complete by `now`: later completions are not yet known at `now`.
        let done = v.span.completed_at().is_some_and(|t| t <= now);
        // Art 21: courtesy car through the 包修期, live from the start of day 6.
        if cov.in_warranty(on, km) {
            let days = v.span.repair_days(now);
            if !done {
                c.current_repair_days = Some(c.current_repair_days.unwrap_or(0).max(days));
            }
            if let Some(since) = v.span.courtesy_car_due_since(now, pol.courtesy_car_days) {
                rights.add(
                    RightKind::CourtesyCar,
                    Article::Art21,
                    format!("visit:{id}"),
                    since,
                    || vec![id.clone()],
                );
            }
        }
        for l in &lines {
            let assembly_part = l.main_part.as_ref().filter(|p| p.system.is_assembly());
            // Art 22: within 7 days, an assembly or one of its main parts to replace.
            let replaces_assembly_part = match &l.action {
                Action::ReplaceAssembly(s) => s.is_assembly(),
                Action::ReplaceMainPart(p) => p.system.is_assembly(),
                Action::Repair => false,
            };
            if cov.in_early_refund(on) && replaces_assembly_part {
                rights.add(
                    RightKind::ReplacementOrRefund,
                    Article::Art22,
                    "early".into(),
                    at,
                    || vec![id.clone()],
                );
            }
            if cov.in_early(on, km) {
                // Art 20: a main part of an assembly within 60 days / 3,000 km.
                if let Some(p) = assembly_part {
                    rights.add(
                        RightKind::FreeAssembly(p.system),
                        Article::Art20,
                        format!("assembly:{}", p.system.code()),
                        at,
                        || vec![id.clone()],
                    );
                }
                // Art 23: the listed faults within 60 days / 3,000 km.
                if l.art23.is_some() {
                    rights.add(
                        RightKind::ReplacementOrRefund,
                        Article::Art23,
                        "early".into(),
                        at,
                        || vec![id.clone()],
                    );
                }
            }
        }
        if !cov.in_sanbao(on, km) {
            continue;
        }
        // Art 24(1)(1): a serious safety fault after N completed serious-safety repairs.
        if lines.iter().any(|l| l.serious_safety) {
            if c.serious_safety_repairs >= pol.serious_safety_repairs {
                let ev = || [safety_ev.clone(), vec![id.clone()]].concat();
                rights.add(
                    RightKind::ReplacementOrRefund,
                    Article::Art24_1_1,
                    SERIOUS_SAFETY.into(),
                    at,
                    ev,
                );
            }
            if done {
                c.serious_safety_repairs += 1;
                safety_ev.push(id.clone());
            }
        }
        // Art 24(1)(2)-(3): failing again after N replacements; counters kept apart.
        for s in System::ALL.into_iter().filter(|s| s.is_assembly()) {
            let n = c.assemblies.get(&s).copied().unwrap_or(0);
            if n >= pol.replacements && lines.iter().any(|l| l.system == Some(s)) {
                let ev = || {
                    let mut ev = assembly_ev.get(&s).cloned().unwrap_or_default();
                    ev.push(id.clone());
                    ev
                };
                rights.add(
                    RightKind::ReplacementOrRefund,
                    Article::Art24_1_2,
                    format!("assembly:{}", s.code()),
                    at,
                    ev,
                );
            }
        }
        for l in &lines {
            let Some(p) = &l.main_part else { continue };
            let n = c.main_parts.get(p).copied().unwrap_or(0);
            if n >= pol.replacements {
                let ev = || {
                    let mut ev = part_ev.get(p).cloned().unwrap_or_default();
                    ev.push(id.clone());
                    ev
                };
                let subject = format!("main_part:{}/{}", p.system.code(), p.code);
                rights.add(
                    RightKind::ReplacementOrRefund,
                    Article::Art24_1_3,
                    subject,
                    at,
                    ev,
                );
            }
        }
        if done {
            let mut done_here: BTreeSet<&Action> = BTreeSet::new();
            for l in &lines {
                if !done_here.insert(&l.action) {
                    continue;
                }
                match &l.action {
                    Action::ReplaceAssembly(s) if s.is_assembly() => {
                        *c.assemblies.entry(*s).or_default() += 1;
                        assembly_ev.entry(*s).or_default().push(id.clone());
                    }
                    Action::ReplaceMainPart(p) => {
                        *c.main_parts.entry(p.clone()).or_default() += 1;
                        part_ev.entry(p.clone()).or_default().push(id.clone());
                    }
                    _ => {}
                }
            }
        }
        // Art 24(1)(4): the same part repaired more than N times, one count per visit.
        let parts: BTreeSet<&String> = lines.iter().filter_map(|l| l.part.as_ref()).collect();
        for part in parts {
            let n = c.same_problem.entry(part.clone()).or_default();
            *n += 1;
            let ev = problem_ev.entry(part.clone()).or_default();
            ev.push(id.clone());
            if *n > pol.same_problem_repairs {
                rights.add(
                    RightKind::ReplacementOrRefund,
                    Article::Art24_1_4,
                    format!("part:{part}"),
                    at,
                    || ev.clone(),
                );
            }
        }
        // Art 24(1)(4) and para 3: counted days, more than N in total.
        let before = c.repair_days;
        let days = v.span.counted_days(now);
        c.repair_days = c.repair_days.saturating_add(days);
        days_ev.push(id.clone());
        if c.repair_days > pol.cumulative_repair_days {
            let left = i64::from(pol.cumulative_repair_days.saturating_sub(before)) * day_secs;
            let since = v.span.counted_exceeds_since(now, left).unwrap_or(at);
            rights.add(
                RightKind::ReplacementOrRefund,
                Article::Art24_1_4,
                REPAIR_DAYS.into(),
                since,
                || days_ev.clone(),
            );
        }
    }
    let mut warnings = Vec::new();
    if cov.in_sanbao(today, odometer_km) {
        warnings = warn(&c, pol, &rights.seen);
    }
    rights.list.sort_by_key(|r| (r.arose_at, r.key()));
    Assessment {
        rights: rights.list,
        counters: c,
        warnings,
    }
}

fn warn(c: &Counters, pol: &Policy, seen: &BTreeSet<(Article, String)>) -> Vec<Warning> {
    let mut out = Vec::new();
    let mut push = |article: Article, subject: String, value: u32, threshold: u32| {
        if !seen.contains(&(article, subject.clone())) {
            out.push(Warning {
                article,
                subject,
                value,
                threshold,
            });
        }
    };
    if c.repair_days >= pol.warning_margin_days && c.repair_days <= pol.cumulative_repair_days {
        push(
            Article::Art24_1_4,
            REPAIR_DAYS.into(),
            c.repair_days,
            pol.cumulative_repair_days,
        );
    }
    for (part, n) in &c.same_problem {
        if *n == pol.same_problem_repairs {
            push(
                Article::Art24_1_4,
                format!("part:{part}"),
                *n,
                pol.same_problem_repairs,
            );
        }
    }
    // One repair short of the line, or on it: the next serious-safety fault may qualify.
    if c.serious_safety_repairs + 1 >= pol.serious_safety_repairs && c.serious_safety_repairs > 0 {
        push(
            Article::Art24_1_1,
            SERIOUS_SAFETY.into(),
            c.serious_safety_repairs,
            pol.serious_safety_repairs,
        );
    }
    for (s, n) in &c.assemblies {
        if *n + 1 >= pol.replacements {
            push(
                Article::Art24_1_2,
                format!("assembly:{}", s.code()),
                *n,
                pol.replacements,
            );
        }
    }
    for (p, n) in &c.main_parts {
        if *n + 1 >= pol.replacements {
            let subject = format!("main_part:{}/{}", p.system.code(), p.code);
            push(Article::Art24_1_3, subject, *n, pol.replacements);
        }
    }
    out
}
