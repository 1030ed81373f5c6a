//! Tests of the audit rules: the shipped checklist, scoring, the compliance rate and
//! the corrective-action state machine (with property tests).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use super::action::{ActionState, ActionStep, allowed, next};
use super::checklist::{Answer, Checklist, Checkpoint, FACILITY_STEP};
use super::*;
use proptest::prelude::*;

fn answer(code: &str, verdict: Verdict) -> Answer {
    Answer {
        code: code.to_string(),
        verdict,
        finding: (verdict == Verdict::Fail).then(|| "没有做".to_string()),
    }
}

#[test]
fn the_shipped_checklist_has_seven_steps_of_eight_and_twelve_facility_checkpoints() {
    let list = Checklist::parse(checklist::DEFAULT_TEXT).expect("the shipped checklist parses");
    assert_eq!(list, Checklist::default_list());
    let steps = list.steps();
    assert_eq!(steps.len(), 8, "{steps:?}");
    assert_eq!(steps.last(), Some(&FACILITY_STEP));
    let service = list
        .checkpoints()
        .iter()
        .filter(|c| c.step != FACILITY_STEP)
        .count();
    let facility = list
        .checkpoints()
        .iter()
        .filter(|c| c.step == FACILITY_STEP)
        .count();
    assert_eq!((service, facility), (56, 12));
    for step in &steps[..7] {
        assert_eq!(
            list.checkpoints()
                .iter()
                .filter(|c| c.step == *step)
                .count(),
            8,
            "{step}"
        );
    }
}

#[test]
fn checklists_refuse_repeated_codes_split_steps_and_empty_texts() {
    let cp = |step: &str, code: &str, zh: &str| Checkpoint {
        step: step.into(),
        code: code.into(),
        text_zh: zh.into(),
        text_en: "x".into(),
    };
    let e = Checklist::new(vec![cp("a", "A1", "甲"), cp("a", "A1", "乙")]).unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.rule),
        ("checkpoints[1].code", "quality_audit.code_repeated")
    );
    let e = Checklist::new(vec![
        cp("a", "A1", "甲"),
        cp("b", "B1", "乙"),
        cp("a", "A2", "丙"),
    ])
    .unwrap_err();
    assert_eq!(e.rule, "quality_audit.step_split");
    let e = Checklist::new(vec![cp("a", "A1", "\u{200b}")]).unwrap_err();
    assert_eq!(e.field, "checkpoints[0].text_zh");
    let e = Checklist::new(vec![cp("a b", "A1", "甲")]).unwrap_err();
    assert_eq!(e.rule, "quality_audit.code_invalid");
    assert_eq!(
        Checklist::new(vec![]).unwrap_err().rule,
        "quality_audit.checklist_empty"
    );
}

#[test]
fn scoring_needs_every_checkpoint_once_and_a_finding_for_each_failure() {
    let list = Checklist::default_list();
    let mut answers: Vec<Answer> = list
        .checkpoints()
        .iter()
        .map(|c| answer(&c.code, Verdict::Pass))
        .collect();
    answers[3] = answer("A04", Verdict::Fail);
    answers[10] = answer(&list.checkpoints()[10].code, Verdict::NotApplicable);
    let score = list.score(&answers).expect("complete");
    assert_eq!(
        score.total,
        Tally {
            passed: 66,
            failed: 1,
            not_applicable: 1
        }
    );
    assert_eq!(score.by_step[0].0, "appointment");
    assert_eq!(
        score.by_step[0].1,
        Tally {
            passed: 7,
            failed: 1,
            not_applicable: 0
        }
    );
    // 66 ÷ 67 = 98.51 %.
    assert_eq!(score.total.compliance_bp(), Some(9851));

    let mut missing = answers.clone();
    missing.pop();
    assert_eq!(
        list.score(&missing).unwrap_err().rule,
        "quality_audit.checkpoint_unanswered"
    );
    let mut twice = answers.clone();
    twice.push(answer("A01", Verdict::Pass));
    assert_eq!(
        list.score(&twice).unwrap_err().rule,
        "quality_audit.checkpoint_repeated"
    );
    let mut unknown = answers.clone();
    unknown[0].code = "ZZZ".into();
    assert_eq!(
        list.score(&unknown).unwrap_err().rule,
        "quality_audit.checkpoint_unknown"
    );
    let mut no_finding = answers;
    no_finding[3].finding = Some("  ".into());
    let e = list.score(&no_finding).unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.rule),
        ("answers[3].finding", "quality_audit.finding_required")
    );
}

#[test]
fn nothing_applicable_has_no_rate_rather_than_zero() {
    assert_eq!(Tally::of([Verdict::NotApplicable; 3]).compliance_bp(), None);
    assert_eq!(Tally::of([Verdict::Fail]).compliance_bp(), Some(0));
    assert_eq!(
        Tally::of([Verdict::Pass, Verdict::Fail, Verdict::Fail]).compliance_bp(),
        Some(3333)
    );
}

#[test]
fn a_corrective_action_goes_problem_cause_measure_verified_standardised() {
    let cause = ActionStep::RecordCause {
        cause: "培训不足".into(),
    };
    let close = ActionStep::CloseWithEvidence {
        measure: "重新培训".into(),
        evidence: "签到表".into(),
    };
    let verify = ActionStep::Verify {
        note: "复查通过".into(),
    };
    let reject = ActionStep::Reject {
        reason: "证据不足".into(),
    };
    let std = ActionStep::Standardise {
        note: "写入SOP".into(),
    };
    let mut s = ActionState::Open;
    assert!(next(s, &close).is_err(), "no measure before the cause");
    s = next(s, &cause).unwrap();
    s = next(s, &close).unwrap();
    assert_eq!(s, ActionState::Closed);
    assert_eq!(next(s, &reject).unwrap(), ActionState::CauseFound);
    s = next(s, &verify).unwrap();
    assert!(
        next(s, &cause).is_err(),
        "never backwards after verification"
    );
    s = next(s, &std).unwrap();
    assert_eq!(s, ActionState::Standardised);
    assert!(allowed(s).is_empty());
}

#[test]
fn closing_without_evidence_names_the_rule() {
    let e = ActionStep::CloseWithEvidence {
        measure: "重新培训".into(),
        evidence: " ".into(),
    }
    .checked()
    .unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.rule),
        ("evidence", "quality_audit.evidence_required")
    );
    let e = ActionStep::RecordCause {
        cause: "a\u{202e}b".into(),
    }
    .checked()
    .unwrap_err();
    assert_eq!((e.field.as_str(), e.rule), ("cause", "text.bidi_control"));
}

fn any_step() -> impl Strategy<Value = ActionStep> {
    prop_oneof![
        Just(ActionStep::RecordCause { cause: "c".into() }),
        Just(ActionStep::CloseWithEvidence {
            measure: "m".into(),
            evidence: "e".into()
        }),
        Just(ActionStep::Verify { note: "v".into() }),
        Just(ActionStep::Reject { reason: "r".into() }),
        Just(ActionStep::Standardise { note: "s".into() }),
    ]
}

proptest! {
    /// Any sequence of steps: the state only moves as `allowed` says, a verified
    /// action never returns to the station, and nothing leaves standardised.
    #[test]
    fn steps_follow_the_allowed_list(steps in proptest::collection::vec(any_step(), 0..30)) {
        let mut s = ActionState::Open;
        let mut verified = false;
        for step in &steps {
            let allowed_now = allowed(s).contains(&step.code());
            match next(s, step) {
                Ok(to) => {
                    prop_assert!(allowed_now, "{:?} from {:?} not listed", step.code(), s);
                    if verified { prop_assert!(!to.is_due()); }
                    if to == ActionState::Verified { verified = true; }
                    s = to;
                }
                Err(v) => {
                    prop_assert!(!allowed_now);
                    prop_assert_eq!(v.rule, "quality_audit.action_step");
                }
            }
        }
    }

    /// The compliance rate is within 0–100 % and exact at the ends.
    #[test]
    fn compliance_is_a_bounded_share(passed in 0u32..500, failed in 0u32..500, na in 0u32..50) {
        let t = Tally { passed, failed, not_applicable: na };
        match t.compliance_bp() {
            None => prop_assert_eq!(passed + failed, 0),
            Some(bp) => {
                prop_assert!(bp <= 10_000);
                if failed == 0 { prop_assert_eq!(bp, 10_000); }
                if passed == 0 { prop_assert_eq!(bp, 0); }
            }
        }
    }
}
