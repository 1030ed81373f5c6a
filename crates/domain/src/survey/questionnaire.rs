//! A versioned questionnaire and the checking of answers against it.
//!
//! Weights are integer basis points (1/100 of a percent) so "the weights sum to 1" is
//! an exact comparison with [`WEIGHT_TOTAL`], never a floating-point tolerance.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::Factor;
use crate::Violation;
use crate::complaint::code_enum;

/// The sum every version's weights must reach: 10,000 basis points = 100 %.
pub const WEIGHT_TOTAL: u32 = 10_000;

/// Fewest questions a version may have (SPEC §10: 12–15).
pub const MIN_QUESTIONS: usize = 12;

/// Most questions a version may have.
pub const MAX_QUESTIONS: usize = 15;

/// Longest free-text answer in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;

code_enum!(
    /// How a question is answered.
    Scale, "survey.scale_unknown", "scale" {
        /// 1 (very dissatisfied) to 5 (very satisfied).
        Five => "five",
        /// 1 to 10.
        Ten => "ten",
        /// 0 to 10, "how likely are you to recommend" (the NPS question).
        Recommend => "recommend",
        /// Free text.
        Text => "text",
    }
);

impl Scale {
    /// The lowest and highest score, or `None` for free text.
    pub fn range(self) -> Option<(u8, u8)> {
        match self {
            Scale::Five => Some((1, 5)),
            Scale::Ten => Some((1, 10)),
            Scale::Recommend => Some((0, 10)),
            Scale::Text => None,
        }
    }

    /// A score moved onto 0–100 so scales can be averaged together.
    pub fn normalise(self, score: u8) -> f64 {
        match self.range() {
            Some((lo, hi)) => f64::from(score.saturating_sub(lo)) * 100.0 / f64::from(hi - lo),
            None => 0.0,
        }
    }
}

/// One question of a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// Stable key within the version (`fixed_first_time`), what answers name.
    pub key: String,
    /// The CSI factor of a scored question; `None` for the recommend and text questions.
    pub factor: Option<Factor>,
    /// How it is answered.
    pub scale: Scale,
    /// Importance weight in basis points; zero for the recommend and text questions.
    pub weight_bp: u32,
    /// The wording read out or shown, Chinese.
    pub text_zh: String,
    /// The wording in English.
    pub text_en: String,
}

impl Question {
    /// Whether the question counts towards CSI.
    pub fn is_scored(&self) -> bool {
        self.factor.is_some()
    }
}

/// A published questionnaire: a version number and its checked questions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Questionnaire {
    /// Version number, 1, 2, …; answers keep the version they were given on.
    pub version: i32,
    questions: Vec<Question>,
}

/// One answer as given: a score or a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", untagged)]
pub enum Answer {
    /// A score on the question's scale.
    Score(u8),
    /// Free text, trimmed.
    Text(String),
}

impl Questionnaire {
    /// Checks a version: 12–15 questions, unique keys, every scored question with a
    /// factor and a positive weight, every factor present, exactly one recommend
    /// question, nothing else weighted, and the weights summing to [`WEIGHT_TOTAL`].
    pub fn new(version: i32, questions: Vec<Question>) -> Result<Questionnaire, Violation> {
        if version < 1 {
            return Err(Violation::new("version", "survey.version_invalid"));
        }
        let n = questions.len();
        if !(MIN_QUESTIONS..=MAX_QUESTIONS).contains(&n) {
            return Err(Violation::new("questions", "survey.question_count")
                .with_detail(format!("{MIN_QUESTIONS}–{MAX_QUESTIONS}, {n}")));
        }
        let mut keys = HashSet::new();
        let mut recommend = 0;
        let mut total: u64 = 0;
        for (i, q) in questions.iter().enumerate() {
            let field = format!("questions[{i}]");
            let key_ok = !q.key.is_empty()
                && q.key.len() <= 40
                && q.key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !key_ok {
                return Err(Violation::new(format!("{field}.key"), "survey.key_invalid"));
            }
            if !keys.insert(q.key.as_str()) {
                return Err(
                    Violation::new(format!("{field}.key"), "survey.key_duplicate")
                        .with_detail(q.key.clone()),
                );
            }
            if q.text_zh.trim().is_empty() {
                return Err(Violation::new(
                    format!("{field}.text_zh"),
                    "survey.text_required",
                ));
            }
            match (q.scale, q.factor) {
                (Scale::Five | Scale::Ten, Some(_)) if q.weight_bp > 0 => {}
                (Scale::Five | Scale::Ten, _) => {
                    return Err(Violation::new(
                        format!("{field}.weight_bp"),
                        "survey.scored_needs_weight",
                    )
                    .with_detail(q.key.clone()));
                }
                (Scale::Recommend | Scale::Text, None) if q.weight_bp == 0 => {
                    if q.scale == Scale::Recommend {
                        recommend += 1;
                    }
                }
                (Scale::Recommend | Scale::Text, _) => {
                    return Err(Violation::new(
                        format!("{field}.weight_bp"),
                        "survey.unscored_weighted",
                    )
                    .with_detail(q.key.clone()));
                }
            }
            total += u64::from(q.weight_bp);
        }
        if recommend != 1 {
            return Err(Violation::new("questions", "survey.one_recommend")
                .with_detail(recommend.to_string()));
        }
        for f in Factor::ALL {
            if !questions.iter().any(|q| q.factor == Some(*f)) {
                return Err(
                    Violation::new("questions", "survey.factor_missing").with_detail(f.code())
                );
            }
        }
        if total != u64::from(WEIGHT_TOTAL) {
            return Err(Violation::new("questions", "survey.weights_sum")
                .with_detail(format!("{total}/{WEIGHT_TOTAL}")));
        }
        Ok(Questionnaire { version, questions })
    }

    /// The questions in asking order.
    pub fn questions(&self) -> &[Question] {
        &self.questions
    }

    /// A question by key.
    pub fn question(&self, key: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.key == key)
    }

    /// The recommend (NPS) question; every checked version has exactly one.
    pub fn recommend(&self) -> Option<&Question> {
        self.questions.iter().find(|q| q.scale == Scale::Recommend)
    }

    /// The weight of each factor in basis points (the sum of its questions' weights).
    pub fn factor_weights(&self) -> BTreeMap<Factor, u32> {
        let mut m = BTreeMap::new();
        for q in &self.questions {
            if let Some(f) = q.factor {
                *m.entry(f).or_insert(0) += q.weight_bp;
            }
        }
        m
    }

    /// Checks one raw answer (as typed or tapped) for question `key`. A score outside
    /// the scale is `survey.answer_out_of_scale` naming the question and the range; an
    /// unknown key `survey.question_unknown`; the field is `answers.<key>`.
    pub fn check(&self, key: &str, raw: &str) -> Result<Answer, Violation> {
        let field = format!("answers.{key}");
        let q = self
            .question(key)
            .ok_or_else(|| Violation::new(field.clone(), "survey.question_unknown"))?;
        let raw = raw.trim();
        match q.scale.range() {
            None => {
                if raw.chars().count() > MAX_TEXT_CHARS {
                    return Err(Violation::new(field, "text.length")
                        .with_detail(MAX_TEXT_CHARS.to_string()));
                }
                Ok(Answer::Text(raw.to_string()))
            }
            Some((lo, hi)) => {
                let out = || {
                    Violation::new(field.clone(), "survey.answer_out_of_scale")
                        .with_detail(format!("{lo}–{hi}"))
                };
                let v: i64 = raw.parse().map_err(|_| out())?;
                if v < i64::from(lo) || v > i64::from(hi) {
                    return Err(out());
                }
                u8::try_from(v).map(Answer::Score).map_err(|_| out())
            }
        }
    }

    /// Whether the answers cover every scored question and the recommend question
    /// (free text is optional), i.e. the survey is complete rather than partial.
    pub fn is_complete(&self, answers: &BTreeMap<String, Answer>) -> bool {
        self.questions
            .iter()
            .filter(|q| q.scale != Scale::Text)
            .all(|q| answers.contains_key(&q.key))
    }
}
