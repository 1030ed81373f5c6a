//! A respondent's raw answers to a questionnaire, scattered around their overall
//! satisfaction: what the owner would tap on the phone page. The app checks every
//! one with [`crate::survey::Questionnaire::check`] before it is stored, as for a
//! real answer.

use super::rng::Rng;
use crate::survey::{Questionnaire, Scale};
use std::collections::BTreeMap;

/// Comments of satisfied owners.
const PRAISE: [&str; 4] = [
    "师傅很专业，讲解清楚",
    "保养很快，休息区舒服",
    "服务顾问态度很好",
    "按时交车，车洗得很干净",
];

/// Comments of unhappy owners.
const GRIPES: [&str; 4] = [
    "等待时间太长",
    "价格偏贵，没有提前说明",
    "问题没有一次修好",
    "交车时没有讲解维修内容",
];

/// Raw answers (question key → text as entered) of a respondent with
/// `satisfaction` (0–1) and recommend answer `recommend`, writing a comment when
/// `comment`; `draw` fixes the scatter.
pub fn raw_answers(
    q: &Questionnaire,
    satisfaction: f64,
    recommend: u8,
    comment: bool,
    draw: u64,
) -> BTreeMap<String, String> {
    let mut r = Rng::new(draw);
    let s = satisfaction.clamp(0.0, 1.0);
    let mut out = BTreeMap::new();
    for x in q.questions() {
        let v = match x.scale {
            Scale::Recommend => recommend.min(10).to_string(),
            Scale::Text => {
                if !comment {
                    continue;
                }
                let list = if s >= 0.7 { &PRAISE } else { &GRIPES };
                list[r.below(list.len() as u64) as usize].to_string()
            }
            scored => {
                let (lo, hi) = scored.range().unwrap_or((1, 5));
                let span = f64::from(hi - lo);
                let v = f64::from(lo) + span * s + 0.12 * span * r.normal();
                (v.round().clamp(f64::from(lo), f64::from(hi)) as u8).to_string()
            }
        };
        out.insert(x.key.clone(), v);
    }
    out
}
