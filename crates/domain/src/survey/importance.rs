//! Importance–performance analysis per question.
//!
//! Performance is the mean normalised score (0–100) of a scored question. Importance
//! is derived from the answers, not taken from the published weights: it is the
//! Pearson correlation between the question's score and the recommend score over the
//! respondents who answered both (a question that moves with the willingness to
//! recommend matters to customers). The quadrant splits at the means of both axes.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Answer, Factor, Questionnaire, score};

/// Fewest paired answers for a correlation to be computed at all.
pub const MIN_PAIRS: usize = 5;

/// Where a question falls in the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quadrant {
    /// Important and done well: keep it up.
    KeepUp,
    /// Important and done poorly: concentrate here.
    Concentrate,
    /// Less important and done poorly: low priority.
    LowPriority,
    /// Less important and done well: possible overkill.
    Overkill,
}

impl Quadrant {
    /// Stable code (translation key suffix).
    pub fn code(self) -> &'static str {
        match self {
            Quadrant::KeepUp => "keep_up",
            Quadrant::Concentrate => "concentrate",
            Quadrant::LowPriority => "low_priority",
            Quadrant::Overkill => "overkill",
        }
    }
}

/// One question's point in the chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// The question key.
    pub key: String,
    /// Its CSI factor.
    pub factor: Factor,
    /// Derived importance: correlation with the recommend score, −1…1.
    pub importance: f64,
    /// Mean normalised score, 0–100.
    pub performance: f64,
    /// Paired answers behind the importance.
    pub n: usize,
    /// Where it falls.
    pub quadrant: Quadrant,
}

/// The chart's points for responses of one version; questions with fewer than
/// [`MIN_PAIRS`] paired answers or no variance are left out.
pub fn analyse(q: &Questionnaire, responses: &[BTreeMap<String, Answer>]) -> Vec<Point> {
    let mut raw = Vec::new();
    for question in q.questions() {
        let Some(factor) = question.factor else {
            continue;
        };
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        let mut perf = Vec::new();
        for r in responses {
            let Some(Answer::Score(s)) = r.get(&question.key) else {
                continue;
            };
            let x = question.scale.normalise(*s);
            perf.push(x);
            if let Some(y) = score::recommend(q, r) {
                xs.push(x);
                ys.push(f64::from(y));
            }
        }
        if xs.len() < MIN_PAIRS {
            continue;
        }
        let Some(r) = pearson(&xs, &ys) else {
            continue;
        };
        let performance = perf.iter().sum::<f64>() / perf.len() as f64;
        raw.push((question.key.clone(), factor, r, performance, xs.len()));
    }
    if raw.is_empty() {
        return Vec::new();
    }
    let k = raw.len() as f64;
    let mean_i = raw.iter().map(|p| p.2).sum::<f64>() / k;
    let mean_p = raw.iter().map(|p| p.3).sum::<f64>() / k;
    raw.into_iter()
        .map(|(key, factor, importance, performance, n)| {
            let quadrant = match (importance >= mean_i, performance >= mean_p) {
                (true, true) => Quadrant::KeepUp,
                (true, false) => Quadrant::Concentrate,
                (false, false) => Quadrant::LowPriority,
                (false, true) => Quadrant::Overkill,
            };
            Point {
                key,
                factor,
                importance,
                performance,
                n,
                quadrant,
            }
        })
        .collect()
}

/// Pearson's r, or `None` when either side has no variance.
pub fn pearson(xs: &[f64], ys: &[f64]) -> Option<f64> {
    let n = xs.len().min(ys.len());
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let mx = xs[..n].iter().sum::<f64>() / nf;
    let my = ys[..n].iter().sum::<f64>() / nf;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let dx = xs[i] - mx;
        let dy = ys[i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx <= f64::EPSILON || syy <= f64::EPSILON {
        return None;
    }
    Some((sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}
