//! CSI and NPS with their sample sizes and 95 % confidence intervals.
//!
//! **CSI** (SPEC §10) is computed per respondent first: each answered scored question
//! is moved onto 0–100 ([`Scale::normalise`]) and weighted by its importance weight;
//! unanswered questions drop out and the remaining weights are renormalised, so a
//! partial survey counts for what it answered. A unit's CSI is the mean of its
//! respondents' CSIs; its interval is the normal approximation `mean ± 1.96·s/√n`
//! (s the sample standard deviation), clamped to 0–100. A factor's score is computed
//! the same way over that factor's questions only.
//!
//! **NPS** is `100·(P − D)/n` with P promoters (9–10) and D detractors (0–6) among n
//! answers to the recommend question. Its variance is `(p + d − (p − d)²)/n` with
//! `p = P/n`, `d = D/n` (each answer is a +1/0/−1 variable), so the interval is
//! `NPS ± 1.96·100·√variance`, clamped to −100…100.
//!
//! Below [`MIN_RANKED_SAMPLE`] answers the figure is shown but marked "too few answers"
//! and the unit is not ranked.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Answer, Factor, Questionnaire, Scale};

/// Fewest answers for a figure to be ranked; below it the unit is marked, not ranked.
/// 30 is the usual floor at which the normal approximation of a mean is acceptable.
pub const MIN_RANKED_SAMPLE: usize = 30;

/// The z value of a two-sided 95 % interval.
pub const Z95: f64 = 1.959_964;

/// Lowest recommend score of a promoter.
pub const PROMOTER_FROM: u8 = 9;

/// Highest recommend score of a detractor.
pub const DETRACTOR_TO: u8 = 6;

/// A figure with its sample size and 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// The figure (CSI 0–100, NPS −100…100).
    pub value: f64,
    /// How many answers it rests on.
    pub n: usize,
    /// Lower bound of the 95 % interval.
    pub low: f64,
    /// Upper bound of the 95 % interval.
    pub high: f64,
}

impl Estimate {
    /// Whether enough answers stand behind the figure to rank the unit by it.
    pub fn ranked(&self) -> bool {
        self.n >= MIN_RANKED_SAMPLE
    }
}

/// One respondent's CSI (0–100), or `None` when no scored question was answered.
pub fn respondent_csi(q: &Questionnaire, answers: &BTreeMap<String, Answer>) -> Option<f64> {
    weighted(q, answers, |_| true)
}

/// One respondent's score per factor (0–100) over the factors they answered.
pub fn respondent_factors(
    q: &Questionnaire,
    answers: &BTreeMap<String, Answer>,
) -> BTreeMap<Factor, f64> {
    Factor::ALL
        .iter()
        .filter_map(|f| weighted(q, answers, |x| x == *f).map(|v| (*f, v)))
        .collect()
}

/// The answer to the recommend question, if given.
pub fn recommend(q: &Questionnaire, answers: &BTreeMap<String, Answer>) -> Option<u8> {
    let key = &q.recommend()?.key;
    match answers.get(key) {
        Some(Answer::Score(s)) => Some(*s),
        _ => None,
    }
}

fn weighted(
    q: &Questionnaire,
    answers: &BTreeMap<String, Answer>,
    keep: impl Fn(Factor) -> bool,
) -> Option<f64> {
    let mut sum = 0.0;
    let mut weight = 0u32;
    for question in q.questions() {
        let (Some(f), Some(Answer::Score(s))) = (question.factor, answers.get(&question.key))
        else {
            continue;
        };
        if !keep(f) || question.scale == Scale::Text {
            continue;
        }
        sum += f64::from(question.weight_bp) * question.scale.normalise(*s);
        weight += question.weight_bp;
    }
    (weight > 0).then(|| (sum / f64::from(weight)).clamp(0.0, 100.0))
}

/// The CSI of a unit from its respondents' CSIs, or `None` without any.
pub fn csi(values: &[f64]) -> Option<Estimate> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let mean = values.iter().sum::<f64>() / nf;
    let half = if n < 2 {
        100.0
    } else {
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (nf - 1.0);
        Z95 * (var / nf).sqrt()
    };
    Some(Estimate {
        value: mean.clamp(0.0, 100.0),
        n,
        low: (mean - half).clamp(0.0, 100.0),
        high: (mean + half).clamp(0.0, 100.0),
    })
}

/// The NPS of a unit from its recommend answers (0–10), or `None` without any.
pub fn nps(scores: &[u8]) -> Option<Estimate> {
    let n = scores.len();
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let p = scores.iter().filter(|s| **s >= PROMOTER_FROM).count() as f64 / nf;
    let d = scores.iter().filter(|s| **s <= DETRACTOR_TO).count() as f64 / nf;
    let value = 100.0 * (p - d);
    let var = ((p + d - (p - d).powi(2)) / nf).max(0.0);
    let half = Z95 * 100.0 * var.sqrt();
    Some(Estimate {
        value: value.clamp(-100.0, 100.0),
        n,
        low: (value - half).clamp(-100.0, 100.0),
        high: (value + half).clamp(-100.0, 100.0),
    })
}
