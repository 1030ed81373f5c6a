//! The small demo's quality audits, so the audit pages are not empty: two visits of
//! the first station (a head-office audit two months ago, a mystery shopper three
//! weeks ago) scored on the shipped checklist, and their corrective actions at every
//! step — one verified and standardised, one closed awaiting the auditor, one with
//! its cause found, one overdue — all through the ordinary use cases on a hand-set
//! clock.

use super::internal;
use crate::clock::ManualClock;
use crate::quality_audit::action::StepInput;
use crate::quality_audit::{AnswerInput, SubmitInput, VisitInput};
use crate::{App, AppResult, AppSettings};
use domain::ids::{RegionId, StationId};
use domain::permission::{Action, ActorKind, Grant, Principal, Unit};
use domain::quality_audit::checklist::Checklist;
use domain::role::Role;
use jiff::Timestamp;
use std::sync::Arc;
use store::Db;

/// The audited station (the demo's first).
const STATION: i64 = 1;
const DAY: i64 = 24 * 3_600_000;

fn person(id: i64, role: Role, unit: Unit, action: Action) -> AppResult<Grant> {
    Principal {
        kind: ActorKind::Person,
        id,
        name: String::new(),
        role,
        unit,
    }
    .grant(action)
    .map_err(|_| internal("demo grant"))
}

/// One visit `days_ago` failing `failed` (code, finding); returns its actions' ids.
async fn visit(
    app: &App,
    clock: &ManualClock,
    now: Timestamp,
    days_ago: i64,
    kind: &str,
    failed: &[(&str, &str)],
) -> AppResult<Vec<i64>> {
    let at =
        Timestamp::from_millisecond(now.as_millisecond() - days_ago * DAY).map_err(internal)?;
    clock.set(at);
    let auditor = person(
        0,
        Role::QualityAuditor,
        Unit::HeadOffice,
        Action::QualityAuditWrite,
    )?;
    let day = at.to_zoned(domain::calendar::shanghai()).date().to_string();
    let v = crate::quality_audit::start(
        app,
        &auditor,
        &VisitInput {
            station_id: STATION,
            kind: kind.into(),
            visited_on: day,
        },
    )
    .await?;
    let answers: Vec<AnswerInput> = Checklist::default_list()
        .checkpoints()
        .iter()
        .map(|c| match failed.iter().find(|(code, _)| *code == c.code) {
            Some((_, finding)) => AnswerInput {
                code: c.code.clone(),
                verdict: "fail".into(),
                finding: Some((*finding).into()),
            },
            None => AnswerInput {
                code: c.code.clone(),
                verdict: "pass".into(),
                finding: None,
            },
        })
        .collect();
    crate::quality_audit::answer(app, &auditor, v.id, &answers).await?;
    let d = crate::quality_audit::submit(
        app,
        &auditor,
        v.id,
        &SubmitInput {
            summary: Some("整体规范，个别环节需整改".into()),
        },
    )
    .await?;
    Ok(d.actions.iter().map(|a| a.id).collect())
}

#[allow(clippy::too_many_arguments)]
async fn step(
    app: &App,
    clock: &ManualClock,
    at: i64,
    grant: &Grant,
    id: i64,
    step: &str,
    text: &str,
    evidence: Option<&str>,
) -> AppResult<()> {
    clock.set(Timestamp::from_millisecond(at).map_err(internal)?);
    let input = StepInput {
        step: step.into(),
        text: text.into(),
        evidence: evidence.map(str::to_string),
    };
    let s = input.to_step().map_err(|v| internal(v.rule))?;
    crate::quality_audit::action::step(app, grant, id, s).await?;
    Ok(())
}

/// Makes the visits and moves their actions; returns how many actions there are.
pub async fn visits(db: &Db, settings: AppSettings, now: Timestamp) -> AppResult<usize> {
    let clock = Arc::new(ManualClock::new(now));
    let app = App::new(db.clone(), clock.clone(), settings);
    let region = {
        let mut c = db.pool.acquire().await.map_err(internal)?;
        store::network::station(&mut c, &domain::permission::Reach::All, STATION)
            .await?
            .region_id
    };
    let unit = Unit::Station(StationId(STATION), RegionId(region));
    let manager = person(0, Role::StationManager, unit, Action::CorrectiveActionWrite)?;
    let reviewer = person(
        0,
        Role::QualityAuditor,
        Unit::HeadOffice,
        Action::QualityAuditWrite,
    )?;
    let n = now.as_millisecond();
    let old = visit(
        &app,
        &clock,
        now,
        60,
        "head_office",
        &[("D05", "增项未先征得客户同意，直接施工")],
    )
    .await?;
    let recent = visit(
        &app,
        &clock,
        now,
        21,
        "mystery_shopper",
        &[
            ("R02", "接待时未当面铺设防护三件套"),
            ("V07", "承诺 16:00 交车，实际 17:20 交车且未提前告知"),
            ("X05", "卫生间无清洁记录"),
        ],
    )
    .await?;
    if let [d05] = old.as_slice() {
        step(
            &app,
            &clock,
            n - 55 * DAY,
            &manager,
            *d05,
            "record_cause",
            "服务顾问未按流程在系统中发起增项确认",
            None,
        )
        .await?;
        step(
            &app,
            &clock,
            n - 50 * DAY,
            &manager,
            *d05,
            "close_with_evidence",
            "增项一律经车主在手机上确认后才派工",
            Some("培训签到表及 10 张增项确认单"),
        )
        .await?;
        step(
            &app,
            &clock,
            n - 40 * DAY,
            &reviewer,
            *d05,
            "verify",
            "抽查 20 张工单，增项均有车主确认",
            None,
        )
        .await?;
        step(
            &app,
            &clock,
            n - 35 * DAY,
            &reviewer,
            *d05,
            "standardise",
            "写入《服务顾问作业规范》第 4.2 条",
            None,
        )
        .await?;
    }
    if let [r02, v07, _x05] = recent.as_slice() {
        step(
            &app,
            &clock,
            n - 18 * DAY,
            &manager,
            *r02,
            "record_cause",
            "新入职顾问未接受接待流程培训",
            None,
        )
        .await?;
        step(
            &app,
            &clock,
            n - 12 * DAY,
            &manager,
            *r02,
            "close_with_evidence",
            "全员复训接待流程并每日晨会抽查",
            Some("培训签到表、晨会记录照片"),
        )
        .await?;
        step(
            &app,
            &clock,
            n - 15 * DAY,
            &manager,
            *v07,
            "record_cause",
            "配件到货延迟，未及时告知客户",
            None,
        )
        .await?;
    }
    clock.set(now);
    // The overdue one is marked by its timer on the job machinery once the server runs.
    Ok(old.len() + recent.len())
}
