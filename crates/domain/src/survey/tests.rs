//! Unit and property tests of the survey rules.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::{BTreeMap, HashSet};

use jiff::civil::date;
use proptest::prelude::*;

use super::alert::{self, Trigger};
use super::sampling::{self, Candidate, Plan, QuietHours};
use super::score::{self, MIN_RANKED_SAMPLE};
use super::{Answer, Factor, Month, Question, Questionnaire, Scale, default, importance};
use crate::ids::{CustomerId, StationId};

fn q() -> Questionnaire {
    default::questionnaire().expect("the default questionnaire is valid")
}

fn all(q: &Questionnaire, scored: u8, recommend: u8) -> BTreeMap<String, Answer> {
    q.questions()
        .iter()
        .filter_map(|x| match x.scale {
            Scale::Five => Some((x.key.clone(), Answer::Score(scored.clamp(1, 5)))),
            Scale::Ten => Some((x.key.clone(), Answer::Score(scored.clamp(1, 10)))),
            Scale::Recommend => Some((x.key.clone(), Answer::Score(recommend))),
            Scale::Text => None,
        })
        .collect()
}

#[test]
fn default_questionnaire_has_fifteen_questions_over_every_factor() {
    let q = q();
    assert_eq!(q.questions().len(), 15);
    let weights = q.factor_weights();
    assert_eq!(weights.len(), 6);
    assert_eq!(weights.values().sum::<u32>(), 10_000);
    assert_eq!(weights[&Factor::Quality], 2_500);
    assert_eq!(q.recommend().map(|r| r.key.as_str()), Some("recommend"));
}

#[test]
fn weights_not_summing_to_one_are_refused_with_the_sum() {
    let mut qs = default::parse(include_str!("../../data/survey_default.txt")).unwrap();
    qs[0].weight_bp += 1;
    let err = Questionnaire::new(2, qs).unwrap_err();
    assert_eq!(err.rule, "survey.weights_sum");
    assert_eq!(err.detail.as_deref(), Some("10001/10000"));
}

#[test]
fn versions_need_twelve_to_fifteen_questions_and_one_recommend() {
    let qs = default::parse(include_str!("../../data/survey_default.txt")).unwrap();
    let few: Vec<Question> = qs.iter().take(11).cloned().collect();
    assert_eq!(
        Questionnaire::new(2, few).unwrap_err().rule,
        "survey.question_count"
    );
    let mut two = qs.clone();
    two.pop();
    let mut extra = two.last().unwrap().clone();
    extra.key = "recommend_again".into();
    two.pop();
    two.push(extra.clone());
    two.push(Question {
        key: "recommend2".into(),
        ..extra
    });
    assert_eq!(
        Questionnaire::new(2, two).unwrap_err().rule,
        "survey.one_recommend"
    );
    let mut dup = qs.clone();
    dup[1].key = dup[0].key.clone();
    assert_eq!(
        Questionnaire::new(2, dup).unwrap_err().rule,
        "survey.key_duplicate"
    );
    let mut weighted_text = qs;
    weighted_text[14].weight_bp = 1;
    assert_eq!(
        Questionnaire::new(2, weighted_text).unwrap_err().rule,
        "survey.unscored_weighted"
    );
}

#[test]
fn answers_outside_the_scale_name_the_question_and_the_range() {
    let q = q();
    let e = q.check("lounge_comfort", "6").unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.rule),
        ("answers.lounge_comfort", "survey.answer_out_of_scale")
    );
    assert_eq!(e.detail.as_deref(), Some("1–5"));
    assert_eq!(
        q.check("recommend", "11").unwrap_err().detail.as_deref(),
        Some("0–10")
    );
    assert_eq!(
        q.check("staff_skill", "0").unwrap_err().rule,
        "survey.answer_out_of_scale"
    );
    assert_eq!(
        q.check("staff_skill", "x").unwrap_err().rule,
        "survey.answer_out_of_scale"
    );
    assert_eq!(
        q.check("nope", "1").unwrap_err().rule,
        "survey.question_unknown"
    );
    assert_eq!(q.check("recommend", "0"), Ok(Answer::Score(0)));
    assert_eq!(
        q.check("comment", " 很好 "),
        Ok(Answer::Text("很好".into()))
    );
}

#[test]
fn csi_of_top_and_bottom_answers_is_100_and_0() {
    let q = q();
    assert_eq!(score::respondent_csi(&q, &all(&q, 10, 10)), Some(100.0));
    assert_eq!(score::respondent_csi(&q, &all(&q, 1, 0)), Some(0.0));
    let mut partial = BTreeMap::new();
    partial.insert("fixed_first_time".to_string(), Answer::Score(10));
    partial.insert("lounge_comfort".to_string(), Answer::Score(1));
    // 1500·100 + 500·0 over 2000 = 75.
    assert_eq!(score::respondent_csi(&q, &partial), Some(75.0));
    assert!(!q.is_complete(&partial));
    assert!(q.is_complete(&all(&q, 5, 5)));
}

#[test]
fn nps_counts_promoters_minus_detractors_with_its_interval() {
    let scores = [10, 9, 9, 8, 7, 6, 0, 10, 10, 3];
    let e = score::nps(&scores).unwrap();
    // 5 promoters, 3 detractors of 10.
    assert!((e.value - 20.0).abs() < 1e-9);
    assert_eq!(e.n, 10);
    // variance (0.5 + 0.3 − 0.04)/10 = 0.076; half-width 1.96·100·√0.076 ≈ 54.03.
    assert!((e.high - e.value - 54.03).abs() < 0.05, "{e:?}");
    assert!(!e.ranked());
    let many: Vec<u8> = std::iter::repeat_n(10u8, MIN_RANKED_SAMPLE).collect();
    let e = score::nps(&many).unwrap();
    assert_eq!((e.value, e.low, e.high), (100.0, 100.0, 100.0));
    assert!(e.ranked());
    assert_eq!(score::nps(&[]), None);
}

#[test]
fn csi_interval_is_the_normal_approximation() {
    let e = score::csi(&[60.0, 80.0, 100.0]).unwrap();
    assert!((e.value - 80.0).abs() < 1e-9);
    // s = 20, half-width 1.96·20/√3 ≈ 22.63.
    assert!((e.value - e.low - 22.63).abs() < 0.01, "{e:?}");
}

#[test]
fn hot_alerts_open_on_low_scores_and_angry_comments() {
    let q = q();
    assert_eq!(alert::triggers(&q, &all(&q, 9, 9)), vec![]);
    assert_eq!(
        alert::triggers(&q, &all(&q, 9, 2)),
        vec![Trigger::LowRecommend]
    );
    assert_eq!(
        alert::triggers(&q, &all(&q, 2, 8)),
        vec![Trigger::LowSatisfaction]
    );
    let mut a = all(&q, 9, 9);
    a.insert(
        "comment".into(),
        Answer::Text("服务态度恶劣，我要投诉".into()),
    );
    assert_eq!(alert::triggers(&q, &a), vec![Trigger::AngryComment]);
}

#[test]
fn importance_follows_the_answers_not_the_weights() {
    let q = q();
    // fixed_first_time moves with the recommend score, lounge_comfort does not.
    let rs: Vec<BTreeMap<String, Answer>> = (0..20u8)
        .map(|i| {
            let mut a = all(&q, 8, i % 11);
            a.insert("fixed_first_time".into(), Answer::Score((i % 11).max(1)));
            a.insert("lounge_comfort".into(), Answer::Score(1 + (i * 7) % 5));
            a
        })
        .collect();
    let pts = importance::analyse(&q, &rs);
    let fixed = pts.iter().find(|p| p.key == "fixed_first_time").unwrap();
    let lounge = pts.iter().find(|p| p.key == "lounge_comfort").unwrap();
    assert!(fixed.importance > 0.9, "{fixed:?}");
    assert!(lounge.importance < fixed.importance);
    assert_eq!(fixed.n, 20);
}

#[test]
fn quotas_give_every_station_its_floor_then_share_the_rest() {
    let s = |n| StationId(n);
    let q = sampling::quotas(&[(s(1), 1000), (s(2), 10), (s(3), 90)], 200, 30);
    assert_eq!(q[&s(2)], 10);
    assert_eq!(q.values().sum::<usize>(), 200);
    assert!(q[&s(1)] > q[&s(3)]);
    assert!(q[&s(3)] >= 30);
    let tiny = sampling::quotas(&[(s(1), 5), (s(2), 5)], 100, 30);
    assert_eq!((tiny[&s(1)], tiny[&s(2)]), (5, 5));
}

#[test]
fn quiet_hours_move_a_message_to_nine_in_the_morning() {
    let qh = QuietHours::default();
    let late = date(2026, 11, 3).at(22, 30, 0, 0);
    assert_eq!(qh.next_allowed(late), date(2026, 11, 4).at(9, 0, 0, 0));
    let early = date(2026, 11, 3).at(7, 0, 0, 0);
    assert_eq!(qh.next_allowed(early), date(2026, 11, 3).at(9, 0, 0, 0));
    let day = date(2026, 11, 3).at(14, 0, 0, 0);
    assert_eq!(qh.next_allowed(day), day);
}

#[test]
fn months_parse_and_step() {
    let m = Month::parse("month", "2026-01").unwrap();
    assert_eq!(m.previous().to_string(), "2025-12");
    assert_eq!(m.next().to_string(), "2026-02");
    assert_eq!(
        Month::parse("month", "2026-13").unwrap_err().rule,
        "survey.month_malformed"
    );
    assert_eq!(Month::parse("month", "26-1").unwrap_err().field, "month");
}

fn candidates() -> impl Strategy<Value = Vec<Candidate>> {
    prop::collection::vec(
        (
            1i64..400,
            1i64..8,
            any::<bool>(),
            prop::option::of(0i64..200),
        ),
        0..600,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(c, s, consent, ago)| Candidate {
                customer: CustomerId(c),
                station: StationId(s),
                consent,
                last_asked: ago.map(|d| date(2026, 12, 1) - jiff::Span::new().days(d)),
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn nps_is_within_bounds(scores in prop::collection::vec(0u8..=10, 1..300)) {
        let e = score::nps(&scores).unwrap();
        prop_assert!((-100.0..=100.0).contains(&e.value));
        prop_assert!(e.low <= e.value && e.value <= e.high);
        prop_assert!(e.low >= -100.0 && e.high <= 100.0);
        prop_assert_eq!(e.n, scores.len());
    }

    #[test]
    fn csi_is_within_bounds(answers in prop::collection::vec((1u8..=10, 0u8..=10, 1u8..=5), 1..60)) {
        let q = q();
        let values: Vec<f64> = answers.iter().map(|(t, r, f)| {
            let mut a = all(&q, *t, *r);
            a.insert("lounge_comfort".into(), Answer::Score(*f));
            score::respondent_csi(&q, &a).unwrap()
        }).collect();
        for v in &values { prop_assert!((0.0..=100.0).contains(v)); }
        let e = score::csi(&values).unwrap();
        prop_assert!((0.0..=100.0).contains(&e.value));
        prop_assert!(e.low <= e.value && e.value <= e.high);
    }

    #[test]
    fn weights_are_accepted_exactly_when_they_sum_to_one(
        ws in prop::collection::vec(1u32..3000, 13)
    ) {
        let mut qs = default::parse(include_str!("../../data/survey_default.txt")).unwrap();
        for (q, w) in qs.iter_mut().filter(|q| q.is_scored()).zip(&ws) { q.weight_bp = *w; }
        let sum: u32 = ws.iter().sum();
        let r = Questionnaire::new(3, qs);
        prop_assert_eq!(r.is_ok(), sum == 10_000);
        if let Err(e) = r { prop_assert_eq!(e.rule, "survey.weights_sum"); }
    }

    #[test]
    fn sampling_never_repeats_a_customer_inside_the_window(
        cs in candidates(), total in 0usize..300, seed in any::<u64>()
    ) {
        let plan = Plan { today: date(2026, 12, 1), total, min_per_station: 10, window_days: 90, seed };
        let picks = sampling::draw(&cs, &plan);
        let mut seen = HashSet::new();
        for p in &picks {
            prop_assert!(seen.insert(p.customer), "customer picked twice");
            // Every visit of a picked customer consents and is outside the window.
            prop_assert!(cs.iter().any(|c| c.customer == p.customer && c.station == p.station));
            for c in cs.iter().filter(|c| c.customer == p.customer) {
                prop_assert!(sampling::eligible(c, &plan));
            }
        }
        prop_assert!(picks.len() <= total);
        // Same inputs, same seed: same sample.
        prop_assert_eq!(sampling::draw(&cs, &plan), picks.clone());
        // Asking the picked ones today and drawing again picks none of them again.
        let asked: HashSet<_> = picks.iter().map(|p| p.customer).collect();
        let after: Vec<Candidate> = cs.iter().map(|c| Candidate {
            last_asked: if asked.contains(&c.customer) { Some(plan.today) } else { c.last_asked },
            ..*c
        }).collect();
        for p in sampling::draw(&after, &plan) {
            prop_assert!(!asked.contains(&p.customer));
        }
    }
}
