//! The survey of a simulated delivery and the hot alerts its answers open: every
//! answer checked by the questionnaire as an owner's or agent's is, the respondent's
//! CSI and recommend score and the alert triggers weighed by `domain::survey` as in
//! `survey::answer::record`, and each alert opened through `survey::alert` with its
//! 24-hour deadline and 3-day escalation timers — then, when the station's call-back
//! falls before the end of the simulated world, closed and disarmed as the close
//! use case does. An alert whose call-back would come later stays open with its
//! timers armed, as in a live network.

use super::model::{DAY_MS, MIN_MS, Shared, Station};
use super::rows::{Answered, Invitation, Rows};
use super::walk::Walked;
use crate::AppResult;
use crate::shared::refused;
use domain::simulation::answers::raw_answers;
use domain::simulation::follow_up::callback_minutes;
use domain::simulation::order::{OrderPlan, SurveyOutcome};
use domain::survey::Answer;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, HashSet};

/// What the station notes when it closes a simulated alert.
pub(super) const CALLBACK_NOTE: &str = "已回电致歉，邀请车主回店复查";

/// The survey of one delivered order `(order, customer, vehicle)`, if the owner
/// consents (is in `consent`) and its outcome falls before the end of the simulated
/// world.
#[allow(clippy::too_many_arguments)]
pub(super) fn delivery(
    shared: &Shared,
    consent: &HashSet<i64>,
    plan: &OrderPlan,
    w: &Walked,
    (order, customer, vehicle): (i64, i64, i64),
    cutoff: i64,
    next: &mut i64,
    rows: &mut Rows,
) -> AppResult<()> {
    if !consent.contains(&customer) {
        return Ok(());
    }
    let call = w.delivered + DAY_MS;
    let expires = w.delivered + domain::survey::LINK_VALID_DAYS * DAY_MS;
    let (state, reason, at, via) = match plan.survey {
        SurveyOutcome::Answered { after_minutes, .. } => (
            "answered",
            None,
            Some(w.delivered + after_minutes * MIN_MS),
            Some("owner"),
        ),
        SurveyOutcome::Refused => ("refused", Some("不方便"), Some(call), Some("agent")),
        SurveyOutcome::Unreachable => ("unreachable", Some("no_answer"), Some(call), Some("agent")),
        SurveyOutcome::Silent => ("expired", None, None, None),
    };
    if at.unwrap_or(expires) >= cutoff {
        return Ok(());
    }
    let id = *next;
    *next += 1;
    if let SurveyOutcome::Answered {
        satisfaction,
        recommend,
        comment,
        ..
    } = plan.survey
    {
        let q = &shared.questionnaire;
        let raw = raw_answers(q, satisfaction, recommend, comment, plan.draw);
        let mut checked: BTreeMap<String, Answer> = BTreeMap::new();
        let answered_at = at.unwrap_or(w.delivered);
        for (k, v) in &raw {
            // The same check as an owner's or agent's answer: out of scale is refused.
            let a = q.check(k, v).map_err(refused)?;
            let (score, text) = match &a {
                Answer::Score(x) => (Some(i64::from(*x)), None),
                Answer::Text(t) => (None, Some(t.clone())),
            };
            rows.answers
                .push((id, k.to_string(), score, text, answered_at));
            checked.insert(k.to_string(), a);
        }
        rows.answered.push(Answered {
            invitation: id,
            customer,
            at: answered_at,
            triggers: domain::survey::alert::triggers(q, &checked),
            draw: plan.draw,
        });
    }
    rows.invitations.push(Invitation {
        id,
        order,
        customer,
        vehicle,
        state,
        reason,
        delivered: w.delivered,
        answered_at: at,
        via,
    });
    Ok(())
}

/// Opens the hot alerts of a batch's answered surveys (their invitations written),
/// closing each whose call-back falls before `cutoff`. Answers (opened, left open).
pub(super) async fn alerts(
    tx: &mut AnyConnection,
    s: &Station,
    answered: &[Answered],
    cutoff: i64,
) -> AppResult<(u64, u64)> {
    let (mut opened, mut open) = (0, 0);
    for a in answered.iter().filter(|a| !a.triggers.is_empty()) {
        let who = (a.invitation, s.id, s.region_id, a.customer);
        if let Some(id) = crate::survey::alert::open_for(tx, who, &a.triggers, a.at).await? {
            opened += 1;
            if !call_back(tx, id, a.at, a.draw, s.profile.quality, cutoff).await? {
                open += 1;
            }
        }
    }
    Ok((opened, open))
}

/// The station calls back on alert `id` opened at `at` and closes it, if that falls
/// before `cutoff`; answers whether it did.
pub(super) async fn call_back(
    tx: &mut AnyConnection,
    id: i64,
    at: i64,
    draw: u64,
    quality: f64,
    cutoff: i64,
) -> AppResult<bool> {
    let done = at + callback_minutes(draw, quality) * MIN_MS;
    if done >= cutoff {
        return Ok(false);
    }
    crate::survey::alert::close_on(tx, id, 0, CALLBACK_NOTE, done).await?;
    Ok(true)
}
