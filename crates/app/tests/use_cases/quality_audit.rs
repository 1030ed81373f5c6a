//! Quality audits end to end on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is
//! set: a visit scored on the shipped checklist, a corrective action for each failed
//! checkpoint worked through cause → measure with evidence → verified → standardised,
//! the overdue timer on the job machinery firing once, checklist versions kept by
//! their visits, depot ratings, and bad input refused with nothing changed.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::job::handler::Registry;
use app::job::worker::Worker;
use app::quality_audit::checklist::{CheckpointInput, PublishInput};
use app::quality_audit::depot::RateInput;
use app::quality_audit::{AnswerInput, SubmitInput, VisitInput};
use domain::ids::{RegionId, StationId};
use domain::permission::{Action, ActorKind, Grant, Principal, Unit};
use domain::quality_audit::action::ActionStep;
use domain::role::Role;

use crate::common;
use crate::desk;
use common::{Env, at};
use desk::*;

on_both_backends!(
    a_failed_checkpoint_becomes_an_action_closed_with_evidence_and_verified,
    an_overdue_action_is_marked_once_by_the_timer,
    a_visit_keeps_its_checklist_version,
    bad_input_changes_nothing,
    a_station_rates_its_depot_once_a_quarter,
    a_later_answer_to_a_checkpoint_replaces_the_earlier,
);

fn person(role: Role, unit: Unit, action: Action) -> Grant {
    Principal {
        kind: ActorKind::Person,
        id: 7,
        name: "t".into(),
        role,
        unit,
    }
    .grant(action)
    .unwrap()
}

async fn region_of(env: &Env, station: i64) -> i64 {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    store::network::station(&mut c, &domain::permission::Reach::All, station)
        .await
        .unwrap()
        .region_id
}

fn auditor(action: Action) -> Grant {
    person(Role::QualityAuditor, Unit::HeadOffice, action)
}

async fn manager(env: &Env, station: i64, action: Action) -> Grant {
    let r = region_of(env, station).await;
    person(
        Role::StationManager,
        Unit::Station(StationId(station), RegionId(r)),
        action,
    )
}

/// Every checkpoint passed except those in `failed` (with a finding).
fn answers(failed: &[&str]) -> Vec<AnswerInput> {
    domain::quality_audit::checklist::Checklist::default_list()
        .checkpoints()
        .iter()
        .map(|c| {
            let fail = failed.contains(&c.code.as_str());
            AnswerInput {
                code: c.code.clone(),
                verdict: if fail {
                    "fail"
                } else if c.code == "X12" {
                    "not_applicable"
                } else {
                    "pass"
                }
                .into(),
                finding: fail.then(|| format!("{} 未执行", c.code)),
            }
        })
        .collect()
}

async fn visit(env: &Env, station: i64, failed: &[&str]) -> app::quality_audit::VisitDetail {
    let w = auditor(Action::QualityAuditWrite);
    let v = draft(env, &w, station, "mystery_shopper", "2026-11-23").await;
    app::quality_audit::answer(&env.app, &w, v.id, &answers(failed))
        .await
        .unwrap();
    app::quality_audit::submit(
        &env.app,
        &w,
        v.id,
        &SubmitInput {
            summary: Some("整体良好".into()),
        },
    )
    .await
    .unwrap()
}

/// A draft visit of `kind` to `station` on `day`.
async fn draft(
    env: &Env,
    w: &Grant,
    station: i64,
    kind: &str,
    day: &str,
) -> app::quality_audit::VisitRow {
    let input = VisitInput {
        station_id: station,
        kind: kind.into(),
        visited_on: day.into(),
    };
    app::quality_audit::start(&env.app, w, &input)
        .await
        .unwrap()
}

fn worker(env: &Env) -> Worker {
    Worker::with_client(
        env.app.clone(),
        Registry::standard(),
        reqwest::Client::new(),
        "qa".into(),
    )
}

async fn a_failed_checkpoint_becomes_an_action_closed_with_evidence_and_verified(env: &Env) {
    let fx = fixture(env).await;
    let d = visit(env, fx.station, &["R02", "V07"]).await;
    assert_eq!(d.visit.state, "submitted");
    assert_eq!(
        (d.visit.passed, d.visit.failed, d.visit.not_applicable),
        (65, 2, 1)
    );
    // 65 ÷ 67 = 97.01 %.
    assert_eq!(d.compliance_bp, Some(9701));
    let reception = d.steps.iter().find(|s| s.0 == "reception").unwrap();
    assert_eq!((reception.1, reception.2), (7, 8));
    assert_eq!(d.actions.len(), 2);
    let a = d.actions.iter().find(|a| a.code == "R02").unwrap();
    assert_eq!(
        (a.state.as_str(), a.due_on.as_str()),
        ("open", "2026-12-07")
    );
    assert_eq!(a.problem, "R02 未执行");

    let m = manager(env, fx.station, Action::CorrectiveActionWrite).await;
    // The station cannot verify its own measure; the auditor cannot state the cause.
    let e = app::quality_audit::action::step(
        &env.app,
        &m,
        a.id,
        ActionStep::Verify { note: "ok".into() },
    )
    .await
    .unwrap_err();
    assert!(matches!(e, app::AppError::Forbidden), "{e:?}");
    app::quality_audit::action::step(
        &env.app,
        &m,
        a.id,
        ActionStep::RecordCause {
            cause: "新员工未培训".into(),
        },
    )
    .await
    .unwrap();
    let e = app::quality_audit::action::step(
        &env.app,
        &m,
        a.id,
        ActionStep::CloseWithEvidence {
            measure: "全员培训".into(),
            evidence: "".into(),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "quality_audit.evidence_required");
    app::quality_audit::action::step(
        &env.app,
        &m,
        a.id,
        ActionStep::CloseWithEvidence {
            measure: "全员培训五件套流程".into(),
            evidence: "培训签到表 2026-11-25".into(),
        },
    )
    .await
    .unwrap();
    let w = auditor(Action::QualityAuditWrite);
    let back = app::quality_audit::action::step(
        &env.app,
        &w,
        a.id,
        ActionStep::Reject {
            reason: "缺少照片".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(back.action.state, "cause_found");
    assert!(
        back.action.evidence.is_none(),
        "a rejected measure is cleared for a new one"
    );
    app::quality_audit::action::step(
        &env.app,
        &m,
        a.id,
        ActionStep::CloseWithEvidence {
            measure: "培训并张贴流程图".into(),
            evidence: "照片3张".into(),
        },
    )
    .await
    .unwrap();
    app::quality_audit::action::step(
        &env.app,
        &w,
        a.id,
        ActionStep::Verify {
            note: "复查通过".into(),
        },
    )
    .await
    .unwrap();
    let done = app::quality_audit::action::step(
        &env.app,
        &w,
        a.id,
        ActionStep::Standardise {
            note: "写入接待SOP".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(done.action.state, "standardised");
    let steps: Vec<&str> = done.events.iter().map(|(e, _)| e.step.as_str()).collect();
    assert_eq!(
        steps,
        [
            "opened",
            "record_cause",
            "close_with_evidence",
            "reject",
            "close_with_evidence",
            "verify",
            "standardise"
        ]
    );
    assert!(done.allowed.is_empty());
    // Another station's manager reaches nothing of it.
    let other = person(
        Role::StationManager,
        Unit::Station(StationId(fx.station + 1000), RegionId(1)),
        Action::QualityAuditRead,
    );
    assert!(matches!(
        app::quality_audit::action::detail(&env.app, &other, a.id)
            .await
            .unwrap_err(),
        app::AppError::NotFound
    ));
}

async fn an_overdue_action_is_marked_once_by_the_timer(env: &Env) {
    let fx = fixture(env).await;
    let d = visit(env, fx.station, &["A01", "D05"]).await;
    let (a, b) = (d.actions[0].id, d.actions[1].id);
    let m = manager(env, fx.station, Action::CorrectiveActionWrite).await;
    app::quality_audit::action::step(
        &env.app,
        &m,
        b,
        ActionStep::RecordCause { cause: "c".into() },
    )
    .await
    .unwrap();
    app::quality_audit::action::step(
        &env.app,
        &m,
        b,
        ActionStep::CloseWithEvidence {
            measure: "m".into(),
            evidence: "e".into(),
        },
    )
    .await
    .unwrap();
    // Due 2026-12-07: nothing on the last day, overdue from midnight.
    env.set(at(2026, 12, 7, 23, 59));
    worker(env).run_once().await.unwrap();
    let read = auditor(Action::QualityAuditRead);
    assert!(
        !app::quality_audit::action::detail(&env.app, &read, a)
            .await
            .unwrap()
            .action
            .overdue
    );
    env.set(at(2026, 12, 8, 0, 1));
    while worker(env).run_once().await.unwrap() > 0 {}
    while worker(env).run_once().await.unwrap() > 0 {}
    let da = app::quality_audit::action::detail(&env.app, &read, a)
        .await
        .unwrap();
    assert!(da.action.overdue);
    assert_eq!(
        da.events
            .iter()
            .filter(|(e, _)| e.step == "overdue")
            .count(),
        1
    );
    // The closed one owed nothing: its timer was disarmed.
    assert!(
        !app::quality_audit::action::detail(&env.app, &read, b)
            .await
            .unwrap()
            .action
            .overdue
    );
    let open =
        app::quality_audit::action::list(&env.app, &read, Some("open"), None, app::Page::default())
            .await
            .unwrap();
    assert_eq!(open.total, 1);
}

async fn a_visit_keeps_its_checklist_version(env: &Env) {
    let fx = fixture(env).await;
    let first = visit(env, fx.station, &[]).await;
    assert_eq!(first.checklist.version, 1);
    assert_eq!(first.compliance_bp, Some(10_000));
    let w = auditor(Action::QualityAuditWrite);
    let v2 = app::quality_audit::checklist::publish(
        &env.app,
        &w,
        &PublishInput {
            name: "精简版".into(),
            checkpoints: vec![CheckpointInput {
                step: "reception".into(),
                code: "R01".into(),
                text_zh: "两分钟内接待".into(),
                text_en: "Greeted within two minutes".into(),
            }],
        },
    )
    .await
    .unwrap();
    assert_eq!(v2.version, 2);
    let again =
        app::quality_audit::detail(&env.app, &auditor(Action::QualityAuditRead), first.visit.id)
            .await
            .unwrap();
    assert_eq!(again.checkpoints.len(), 68, "the old visit keeps version 1");
    let v = draft(env, &w, fx.station, "head_office", "2026-11-24").await;
    let d = app::quality_audit::answer(
        &env.app,
        &w,
        v.id,
        &[AnswerInput {
            code: "R01".into(),
            verdict: "pass".into(),
            finding: None,
        }],
    )
    .await
    .unwrap();
    assert_eq!(d.checkpoints.len(), 1);
}

async fn count(env: &Env, table: &str) -> i64 {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&mut *c)
        .await
        .unwrap()
}

async fn bad_input_changes_nothing(env: &Env) {
    let fx = fixture(env).await;
    let w = auditor(Action::QualityAuditWrite);
    let start = |kind: &str, day: &str, station: i64| VisitInput {
        station_id: station,
        kind: kind.into(),
        visited_on: day.into(),
    };
    let e = app::quality_audit::start(&env.app, &w, &start("spy", "2026-11-23", fx.station))
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "quality_audit.kind_unknown");
    let e = app::quality_audit::start(
        &env.app,
        &w,
        &start("head_office", "2026-12-31", fx.station),
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "quality_audit.date_future");
    assert!(
        matches!(e, app::AppError::Refused(_)),
        "a rule of the records or the clock is a refusal (409): {e:?}"
    );
    let e = app::quality_audit::start(
        &env.app,
        &w,
        &start("head_office", "2026-13-01", fx.station),
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "quality_audit.date_invalid");
    assert_eq!(count(env, "audit_visits").await, 0);

    // An audit of a closed station.
    {
        let mut c = env.app.db.pool.acquire().await.unwrap();
        sqlx::query("UPDATE stations SET status = 'closed' WHERE id = $1")
            .bind(fx.station)
            .execute(&mut *c)
            .await
            .unwrap();
    }
    let e = app::quality_audit::start(
        &env.app,
        &w,
        &start("head_office", "2026-11-23", fx.station),
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "quality_audit.station_closed");
    {
        let mut c = env.app.db.pool.acquire().await.unwrap();
        sqlx::query("UPDATE stations SET status = 'active' WHERE id = $1")
            .bind(fx.station)
            .execute(&mut *c)
            .await
            .unwrap();
    }

    let v = draft(env, &w, fx.station, "third_party", "2026-11-23").await;
    // A failure without its finding, an unknown checkpoint: nothing saved.
    let e = app::quality_audit::answer(
        &env.app,
        &w,
        v.id,
        &[
            AnswerInput {
                code: "A01".into(),
                verdict: "pass".into(),
                finding: None,
            },
            AnswerInput {
                code: "A02".into(),
                verdict: "fail".into(),
                finding: Some(" ".into()),
            },
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "quality_audit.finding_required");
    let e = app::quality_audit::answer(
        &env.app,
        &w,
        v.id,
        &[AnswerInput {
            code: "ZZ9".into(),
            verdict: "pass".into(),
            finding: None,
        }],
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "quality_audit.checkpoint_unknown");
    assert!(
        matches!(e, app::AppError::Refused(_)),
        "a rule of the records or the clock is a refusal (409): {e:?}"
    );
    assert_eq!(count(env, "audit_answers").await, 0);
    // Submitting with checkpoints unanswered.
    app::quality_audit::answer(&env.app, &w, v.id, &answers(&[])[..10])
        .await
        .unwrap();
    let e = app::quality_audit::submit(&env.app, &w, v.id, &SubmitInput::default())
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "quality_audit.checkpoint_unanswered");
    app::quality_audit::answer(&env.app, &w, v.id, &answers(&["F01"]))
        .await
        .unwrap();
    app::quality_audit::submit(&env.app, &w, v.id, &SubmitInput::default())
        .await
        .unwrap();
    // Submitted twice; answered after submission.
    let e = app::quality_audit::submit(&env.app, &w, v.id, &SubmitInput::default())
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "quality_audit.visit_submitted");
    let e = app::quality_audit::answer(&env.app, &w, v.id, &answers(&[]))
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "quality_audit.visit_submitted");
    assert_eq!(count(env, "corrective_actions").await, 1);
    // A checklist with a repeated code.
    let cp = |code: &str| CheckpointInput {
        step: "a".into(),
        code: code.into(),
        text_zh: "甲".into(),
        text_en: "a".into(),
    };
    let e = app::quality_audit::checklist::publish(
        &env.app,
        &w,
        &PublishInput {
            name: "x".into(),
            checkpoints: vec![cp("A1"), cp("A1")],
        },
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "quality_audit.code_repeated");
    assert!(
        matches!(e, app::AppError::Refused(_)),
        "a rule of the records or the clock is a refusal (409): {e:?}"
    );
    assert_eq!(count(env, "audit_checklists").await, 1);
}

async fn a_station_rates_its_depot_once_a_quarter(env: &Env) {
    let fx = fixture(env).await;
    let region = region_of(env, fx.station).await;
    {
        let mut c = env.app.db.pool.acquire().await.unwrap();
        sqlx::query("INSERT INTO depots (code, name_zh, name_en, region_id, address) VALUES ('D-E','华东中心库','East depot',$1,'上海')")
            .bind(region)
            .execute(&mut *c)
            .await
            .unwrap();
    }
    let m = manager(env, fx.station, Action::DepotRate).await;
    let rate = |q: &str, s: i64| RateInput {
        quarter: q.into(),
        score: s,
        comment: Some("到货及时".into()),
    };
    let e = app::quality_audit::depot::rate(&env.app, &m, &rate("2026Q4", 6))
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "quality_audit.score_range");
    let e = app::quality_audit::depot::rate(&env.app, &m, &rate("2027Q1", 4))
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "quality_audit.quarter_not_open");
    assert!(
        matches!(e, app::AppError::Refused(_)),
        "a rule of the records or the clock is a refusal (409): {e:?}"
    );
    let e = app::quality_audit::depot::rate(&env.app, &m, &rate("2026-4", 4))
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "quality_audit.quarter_invalid");
    app::quality_audit::depot::rate(&env.app, &m, &rate("2026Q4", 4))
        .await
        .unwrap();
    let e = app::quality_audit::depot::rate(&env.app, &m, &rate("2026Q4", 1))
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "quality_audit.already_rated");
    app::quality_audit::depot::rate(&env.app, &m, &rate("2026Q3", 5))
        .await
        .unwrap();
    let q =
        app::quality_audit::depot::quarter(&env.app, &auditor(Action::QualityAuditRead), "2026Q4")
            .await
            .unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!((q[0].ratings, q[0].score_sum), (1, 4));
}

/// Answers are saved a whole checklist at a time (one statement): a checkpoint
/// answered again, in a later call or twice in the same call, keeps the later answer.
async fn a_later_answer_to_a_checkpoint_replaces_the_earlier(env: &Env) {
    let fx = fixture(env).await;
    let w = auditor(Action::QualityAuditWrite);
    let v = draft(env, &w, fx.station, "head_office", "2026-11-23").await;
    app::quality_audit::answer(&env.app, &w, v.id, &answers(&["R02", "V07"]))
        .await
        .unwrap();
    let answer = |code: &str, verdict: &str, finding: Option<&str>| AnswerInput {
        code: code.into(),
        verdict: verdict.into(),
        finding: finding.map(str::to_string),
    };
    // R02 passes now; V07 is sent failed, then passed, in one call.
    let later = [
        answer("R02", "pass", None),
        answer("V07", "fail", Some("V07 未执行")),
        answer("V07", "pass", None),
    ];
    app::quality_audit::answer(&env.app, &w, v.id, &later)
        .await
        .unwrap();
    let d = app::quality_audit::submit(&env.app, &w, v.id, &SubmitInput { summary: None })
        .await
        .unwrap();
    assert_eq!(
        (d.visit.passed, d.visit.failed, d.visit.not_applicable),
        (67, 0, 1)
    );
    assert!(d.actions.is_empty());
}
