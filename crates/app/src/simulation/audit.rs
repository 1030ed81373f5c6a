//! The simulated quality audits: each station is audited once a quarter (in the
//! middle month of every three simulated months) on the current checklist, through
//! the quality-audit use cases on a hand-set clock — so the checklist scores the
//! visit and every failed checkpoint opens its corrective action as for a real
//! auditor. The station then records the cause and closes each action with
//! evidence, and the auditor verifies and standardises it, all before the end of
//! the simulated world.

use super::model::{Station, internal};
use crate::clock::ManualClock;
use crate::quality_audit::action::StepInput;
use crate::quality_audit::{AnswerInput, SubmitInput, VisitInput};
use crate::{App, AppResult, AppSettings};
use domain::ids::{RegionId, StationId};
use domain::kpi::YearMonth;
use domain::permission::{Action, ActorKind, Grant, Principal, Unit};
use domain::quality_audit::Verdict;
use domain::quality_audit::checklist::Checklist;
use domain::role::Role;
use domain::simulation::Params;
use domain::simulation::audit::{FINDING, verdicts};
use domain::simulation::order::MonthSpec;
use jiff::Timestamp;
use std::sync::Arc;
use store::Db;

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

/// Audits every station in `spare`-free `stations` once a quarter; answers (visits,
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
    let clock = Arc::new(ManualClock::new(Timestamp::now()));
    let app = App::new(db.clone(), clock.clone(), settings);
    let auditor = person(
        Role::QualityAuditor,
        Unit::HeadOffice,
        Action::QualityAuditWrite,
    )?;
    let checklist = Checklist::default_list();
    let total = (stations.len() * audit_months.len()) as u64;
    progress("audits", 0, total);
    let (mut visits, mut actions, mut done) = (0, 0, 0);
    for s in stations {
        let unit = Unit::Station(StationId(s.id), RegionId(s.region_id));
        let manager = person(Role::StationManager, unit, Action::CorrectiveActionWrite)?;
        for (k, m) in audit_months.iter().enumerate() {
            done += 1;
            progress("audits", done, total);
            if spare == Some(s.id) {
                continue;
            }
            let day = jiff::civil::Date::new(m.year, m.month, 5).map_err(internal)?;
            let at = day
                .to_datetime(jiff::civil::time(10, 0, 0, 0))
                .to_zoned(s.zone.clone())
                .map_err(internal)?
                .timestamp();
            // Every step below lands within 25 days; the world ends at the cutoff.
            if at.as_millisecond() + 25 * DAY_MS >= cutoff {
                continue;
            }
            clock.set(at);
            let kind = ["head_office", "third_party", "mystery_shopper"][k % 3];
            let v = crate::quality_audit::start(
                &app,
                &auditor,
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
            crate::quality_audit::answer(&app, &auditor, v.id, &answers).await?;
            let d = crate::quality_audit::submit(
                &app,
                &auditor,
                v.id,
                &SubmitInput {
                    summary: Some("季度例行审核".into()),
                },
            )
            .await?;
            visits += 1;
            for a in &d.actions {
                actions += 1;
                for (i, (step, by_auditor, text, evidence)) in STEPS.iter().enumerate() {
                    let t = at.as_millisecond() + (3 + 7 * i as i64) * DAY_MS;
                    clock.set(Timestamp::from_millisecond(t).map_err(internal)?);
                    let input = StepInput {
                        step: (*step).into(),
                        text: (*text).into(),
                        evidence: evidence.map(str::to_string),
                    };
                    let st = input.to_step().map_err(|v| internal(v.rule))?;
                    let who = if *by_auditor { &auditor } else { &manager };
                    crate::quality_audit::action::step(&app, who, a.id, st).await?;
                }
            }
        }
    }
    Ok((visits, actions))
}
