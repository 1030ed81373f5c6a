//! The simulated quality audits: each station is audited once a quarter (in the
//! middle month of every three simulated months) on the current checklist, through
//! the quality-audit use cases on a hand-set clock — so the checklist scores the
//! visit and every failed checkpoint opens its corrective action as for a real
//! auditor. The station then records the cause and closes each action with
//! evidence, and the auditor verifies and standardises it, all before the end of
//! the simulated world.
//!
//! A quarter runs in two passes. The visits are made one station after another, so
//! visits, answers and actions get the same ids from the same seed. Then the stations
//! work their actions several at once (four on PostgreSQL, whose server runs each
//! connection on a process of its own; one on SQLite, which has one writer), each on a
//! clock of its own: the steps' rows are the same from the same seed, only the ids of
//! the action events follow the order in which the stations' steps commit. The steps
//! were nine tenths of an audit's statements, and one at a time on PostgreSQL the
//! phase took about 4 minutes a quarter at 1,000 stations.

use super::model::{Station, internal};
use crate::clock::ManualClock;
use crate::quality_audit::action::StepInput;
use crate::quality_audit::{AnswerInput, SubmitInput, VisitInput};
use crate::{App, AppResult, AppSettings};
use domain::ids::{RegionId, StationId};
use domain::kpi::YearMonth;
use domain::permission::{Action, ActorKind, Grant, Principal, Unit};
use domain::quality_audit::Verdict;
use domain::quality_audit::action::ActionStep;
use domain::quality_audit::checklist::Checklist;
use domain::role::Role;
use domain::simulation::Params;
use domain::simulation::audit::{FINDING, verdicts};
use domain::simulation::order::MonthSpec;
use jiff::Timestamp;
use std::sync::Arc;
use store::Db;
use store::db::Backend;
use tokio::task::JoinSet;

const DAY_MS: i64 = 86_400_000;

fn person(role: Role, unit: Unit, action: Action) -> AppResult<Grant> {
    Principal {
        kind: ActorKind::Person,
        id: 0,
        name: "simulation".into(),
        role,
        unit,
    }
    .grant(action)
    .map_err(|_| internal("simulation grant"))
}

/// The steps an action goes through, who takes each, and its words.
const STEPS: [(&str, bool, &str, Option<&str>); 4] = [
    ("record_cause", false, "岗位人员未按标准执行", None),
    (
        "close_with_evidence",
        false,
        "复训并每日抽查",
        Some("培训签到表及抽查记录"),
    ),
    ("verify", true, "复查合格", None),
    ("standardise", true, "纳入站内作业规范", None),
];

/// The corrective actions one station's visit of a quarter opened, to be worked.
struct Opened {
    station_id: i64,
    region_id: i64,
    /// When the visit was made.
    at: Timestamp,
    /// The actions' ids.
    actions: Vec<i64>,
}

/// Audits every station but `spare` in `stations` once a quarter; answers (visits,
/// corrective actions).
#[allow(clippy::too_many_arguments)]
pub(super) async fn quarterly(
    db: &Db,
    settings: AppSettings,
    p: &Params,
    stations: &[Station],
    months: &[(YearMonth, MonthSpec)],
    cutoff: i64,
    spare: Option<i64>,
    progress: &(dyn Fn(&str, u64, u64) + Sync),
) -> AppResult<(u64, u64)> {
    let audit_months: Vec<&MonthSpec> = months.iter().skip(1).step_by(3).map(|(_, m)| m).collect();
    let auditor = person(
        Role::QualityAuditor,
        Unit::HeadOffice,
        Action::QualityAuditWrite,
    )?;
    let depth = match db.backend {
        Backend::Postgres => 4,
        Backend::Sqlite => 1,
    };
    let steps = steps()?;
    let checklist = Checklist::default_list();
    let total = (stations.len() * audit_months.len()) as u64;
    progress("audits", 0, total);
    let (mut visits, mut actions, mut done) = (0, 0, 0);
    for (k, m) in audit_months.iter().enumerate() {
        let clock = Arc::new(ManualClock::new(Timestamp::now()));
        let app = App::new(db.clone(), clock.clone(), settings.clone());
        let mut opened = Vec::new();
        for s in stations {
            done += 1;
            progress("audits", done, total);
            if spare == Some(s.id) {
                continue;
            }
            let Some((day, at)) = visit_day(s, m, cutoff)? else {
                continue;
            };
            clock.set(at);
            let ids = visit(&app, &auditor, &checklist, p, s, k, day).await?;
            visits += 1;
            actions += ids.len() as u64;
            opened.push(Opened {
                station_id: s.id,
                region_id: s.region_id,
                at,
                actions: ids,
            });
        }
        let mut working = JoinSet::new();
        for o in opened {
            while working.len() >= depth {
                finish_one(&mut working).await?;
            }
            let work = work(
                db.clone(),
                settings.clone(),
                auditor.clone(),
                steps.clone(),
                o,
            );
            working.spawn(work);
        }
        while !working.is_empty() {
            finish_one(&mut working).await?;
        }
    }
    Ok((visits, actions))
}

/// The day of a station's visit in month `m` and its moment (10:00 local), or `None`
/// when its actions' steps (within 25 days) would run past the end of the world.
fn visit_day(
    s: &Station,
    m: &MonthSpec,
    cutoff: i64,
) -> AppResult<Option<(jiff::civil::Date, Timestamp)>> {
    let day = jiff::civil::Date::new(m.year, m.month, 5).map_err(internal)?;
    let at = day
        .to_datetime(jiff::civil::time(10, 0, 0, 0))
        .to_zoned(s.zone.clone())
        .map_err(internal)?
        .timestamp();
    Ok((at.as_millisecond() + 25 * DAY_MS < cutoff).then_some((day, at)))
}

/// One visit of quarter `k` on `checklist` (the shipped one, built once per run):
/// started, answered as the seed decides and submitted;
/// answers the ids of the corrective actions it opened.
async fn visit(
    app: &App,
    auditor: &Grant,
    checklist: &Checklist,
    p: &Params,
    s: &Station,
    k: usize,
    day: jiff::civil::Date,
) -> AppResult<Vec<i64>> {
    let kind = ["head_office", "third_party", "mystery_shopper"][k % 3];
    let v = crate::quality_audit::start(
        app,
        auditor,
        &VisitInput {
            station_id: s.id,
            kind: kind.into(),
            visited_on: day.to_string(),
        },
    )
    .await?;
    let got = verdicts(
        p.seed(),
        s.id,
        k as u64,
        s.profile.quality,
        checklist.checkpoints().len(),
    );
    let answers: Vec<AnswerInput> = checklist
        .checkpoints()
        .iter()
        .zip(got)
        .map(|(c, verdict)| AnswerInput {
            code: c.code.clone(),
            verdict: verdict.code().into(),
            finding: (verdict == Verdict::Fail).then(|| FINDING.to_string()),
        })
        .collect();
    crate::quality_audit::answer(app, auditor, v.id, &answers).await?;
    let d = crate::quality_audit::submit(
        app,
        auditor,
        v.id,
        &SubmitInput {
            summary: Some("季度例行审核".into()),
        },
    )
    .await?;
    Ok(d.actions.iter().map(|a| a.id).collect())
}

/// The four steps as the use case takes them, each with whether the auditor takes it.
fn steps() -> AppResult<Arc<Vec<(ActionStep, bool)>>> {
    STEPS
        .iter()
        .map(|(step, by_auditor, text, evidence)| {
            let input = StepInput {
                step: (*step).into(),
                text: (*text).into(),
                evidence: evidence.map(str::to_string),
            };
            let st = input.to_step().map_err(|v| internal(v.rule))?;
            Ok((st, *by_auditor))
        })
        .collect::<AppResult<Vec<_>>>()
        .map(Arc::new)
}

/// One station's actions of one visit worked to the end, a week between steps, on a
/// clock of its own (the work of several stations runs at once).
async fn work(
    db: Db,
    settings: AppSettings,
    auditor: Grant,
    steps: Arc<Vec<(ActionStep, bool)>>,
    o: Opened,
) -> AppResult<()> {
    let clock = Arc::new(ManualClock::new(o.at));
    let app = App::new(db, clock.clone(), settings);
    let unit = Unit::Station(StationId(o.station_id), RegionId(o.region_id));
    let manager = person(Role::StationManager, unit, Action::CorrectiveActionWrite)?;
    for id in o.actions {
        for (i, (step, by_auditor)) in steps.iter().enumerate() {
            let t = o.at.as_millisecond() + (3 + 7 * i as i64) * DAY_MS;
            clock.set(Timestamp::from_millisecond(t).map_err(internal)?);
            let who = if *by_auditor { &auditor } else { &manager };
            crate::quality_audit::action::take(&app, who, id, step.clone()).await?;
        }
    }
    Ok(())
}

/// Waits for one station's work to end, passing on its error.
async fn finish_one(working: &mut JoinSet<AppResult<()>>) -> AppResult<()> {
    match working.join_next().await {
        Some(done) => done.map_err(internal)?,
        None => Ok(()),
    }
}
