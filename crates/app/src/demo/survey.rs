//! The small demo's callback surveys: the past days' deliveries are invited as the
//! `survey.after_delivery` job would (the demo runs no worker), most answer on their
//! link the day after with good scores, one with a low score and an angry comment,
//! which leaves one open hot alert for the station.

use crate::clock::ManualClock;
use crate::{App, AppResult};
use domain::survey::Scale;
use jiff::Timestamp;
use std::collections::BTreeMap;

/// Scores per answered delivery (scored questions, recommend, comment); the last
/// one opens the hot alert.
const ANSWERS: [(u8, u8, &str); 5] = [
    (9, 10, "师傅很专业，保养很快"),
    (8, 9, ""),
    (10, 10, "休息区很舒服"),
    (7, 8, "价格稍贵"),
    (4, 2, "等了太久，服务态度差，再也不来了"),
];

/// Invites the delivered orders (id, hand-over instant) and answers most of them the
/// next morning; answers how many alerts were opened.
pub(crate) async fn answer_deliveries(
    app: &App,
    clock: &ManualClock,
    delivered: &[(i64, Timestamp)],
    now: Timestamp,
) -> AppResult<usize> {
    let q = domain::survey::default::questionnaire()
        .map_err(|v| crate::AppError::Internal(format!("{v:?}")))?;
    let mut alerts = 0;
    for (i, (order, at)) in delivered.iter().enumerate() {
        clock.set(*at);
        let now_ms = at.as_millisecond();
        let order = *order;
        let invited = crate::transaction::run(app, "survey.demo", move |mut tx| async move {
            let made = crate::survey::invite_delivery(&mut tx, order, now_ms).await?;
            Ok((tx, made))
        })
        .await?;
        let (Some(invited), Some((scored, recommend, comment))) = (invited, ANSWERS.get(i)) else {
            continue;
        };
        let next_morning = Timestamp::from_millisecond(now_ms + 18 * 3_600_000)
            .map_err(|e| crate::AppError::Internal(e.to_string()))?;
        if next_morning > now {
            continue;
        }
        clock.set(next_morning);
        let mut answers = BTreeMap::new();
        for x in q.questions() {
            let v = match x.scale {
                Scale::Five => (*scored).div_ceil(2).clamp(1, 5).to_string(),
                Scale::Ten => scored.to_string(),
                Scale::Recommend => recommend.to_string(),
                Scale::Text => comment.to_string(),
            };
            answers.insert(x.key.clone(), v);
        }
        crate::survey::answer::owner_answer(app, &invited.token, &answers, true).await?;
        if domain::survey::alert::triggers(&q, &parsed(&q, &answers)).is_empty() {
            continue;
        }
        alerts += 1;
    }
    Ok(alerts)
}

fn parsed(
    q: &domain::survey::Questionnaire,
    raw: &BTreeMap<String, String>,
) -> BTreeMap<String, domain::survey::Answer> {
    raw.iter()
        .filter_map(|(k, v)| q.check(k, v).ok().map(|a| (k.clone(), a)))
        .collect()
}
