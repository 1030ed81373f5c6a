//! Hot alerts: an answer that needs the station to call the customer back at once.
//!
//! A recommend score at or below [`LOW_RECOMMEND_AT_MOST`], a respondent CSI below
//! [`LOW_CSI_BELOW`], or a comment with one of [`ANGRY_WORDS`] opens a follow-up task
//! for the station, due in [`DEADLINE_HOURS`] and escalated to the region after
//! [`ESCALATE_AFTER_DAYS`] if still open.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Answer, Questionnaire, Scale, score};

/// A recommend score of this or lower is a hot alert (a strong detractor; 5–6 are
/// detractors too but are followed up through the ordinary figures).
pub const LOW_RECOMMEND_AT_MOST: u8 = 4;

/// A respondent CSI below this is a hot alert.
pub const LOW_CSI_BELOW: f64 = 60.0;

/// Hours the station has to call the customer back.
pub const DEADLINE_HOURS: i64 = 24;

/// Days after which an open task is escalated to the region.
pub const ESCALATE_AFTER_DAYS: i64 = 3;

/// Words in a comment that mark an angry customer (matched after lower-casing).
pub const ANGRY_WORDS: &[&str] = &[
    "投诉",
    "欺骗",
    "骗人",
    "坑人",
    "宰客",
    "太差",
    "很差",
    "差劲",
    "垃圾",
    "态度恶劣",
    "再也不来",
    "再也不会",
    "退钱",
    "曝光",
    "12315",
    "媒体",
    "律师",
    "起诉",
];

/// Why an alert opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The recommend score was very low.
    LowRecommend,
    /// The overall satisfaction was low.
    LowSatisfaction,
    /// A comment with angry words.
    AngryComment,
}

impl Trigger {
    /// Stable code stored and sent.
    pub fn code(self) -> &'static str {
        match self {
            Trigger::LowRecommend => "low_recommend",
            Trigger::LowSatisfaction => "low_satisfaction",
            Trigger::AngryComment => "angry_comment",
        }
    }

    /// Every trigger.
    pub const ALL: &'static [Trigger] = &[
        Trigger::LowRecommend,
        Trigger::LowSatisfaction,
        Trigger::AngryComment,
    ];
}

/// What in the answers calls for a hot alert (empty: none).
pub fn triggers(q: &Questionnaire, answers: &BTreeMap<String, Answer>) -> Vec<Trigger> {
    let mut out = Vec::new();
    if score::recommend(q, answers).is_some_and(|s| s <= LOW_RECOMMEND_AT_MOST) {
        out.push(Trigger::LowRecommend);
    }
    if score::respondent_csi(q, answers).is_some_and(|c| c < LOW_CSI_BELOW) {
        out.push(Trigger::LowSatisfaction);
    }
    let angry = q
        .questions()
        .iter()
        .filter(|x| x.scale == Scale::Text)
        .filter_map(|x| match answers.get(&x.key) {
            Some(Answer::Text(t)) => Some(t.to_lowercase()),
            _ => None,
        })
        .any(|t| is_angry(&t));
    if angry {
        out.push(Trigger::AngryComment);
    }
    out
}

/// Whether a text holds one of the angry words.
pub fn is_angry(text: &str) -> bool {
    let t = text.to_lowercase();
    ANGRY_WORDS.iter().any(|w| t.contains(w))
}
