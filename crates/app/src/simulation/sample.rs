//! The monthly sample of every simulated month: on the 1st of the next month at the
//! draw hour (if that falls inside the simulated world) the real monthly batch
//! (`survey::sample::run_month`) draws last month's customers — stratified by
//! station, with consent, none drawn in the last 90 days — and invites them through
//! the real invitation (its message marked sent when it was due). Each customer then
//! responds as `domain::simulation::follow_up::sample_outcome` draws: answers go
//! through `survey::answer::record` (checked, counted into CSI and NPS, hot alerts
//! opened), refusals and unreachable calls are closed as the call-centre's call
//! closes them, the silent ones stay pending until their link runs out.
//!
//! The batch claims its month, so re-running the simulator asks nobody twice. Runs
//! after every station-month is written, so each month's candidates are all there.

use super::model::{DAY_MS, MIN_MS, Shared, Station, Summary};
use crate::AppResult;
use crate::survey::sample::{DRAW_HOUR, local_ms, run_month};
use domain::kpi::YearMonth;
use domain::simulation::Params;
use domain::simulation::answers::raw_answers;
use domain::simulation::follow_up::sample_outcome;
use domain::simulation::order::{MonthSpec, SurveyOutcome};
use domain::simulation::rng::mix;
use domain::survey::Month;
use domain::survey::sampling::DEFAULT_TOTAL;
use std::collections::HashMap;
use store::Db;
use store::survey::InvitationRow;

/// Draws and answers the sample of each simulated month whose draw falls before
/// `cutoff`, adding what it did to `sum`.
pub(super) async fn monthly(
    db: &Db,
    p: &Params,
    shared: &Shared,
    stations: &[Station],
    months: &[(YearMonth, MonthSpec)],
    cutoff: i64,
    sum: &mut Summary,
) -> AppResult<()> {
    let quality: HashMap<i64, f64> = stations.iter().map(|s| (s.id, s.profile.quality)).collect();
    for (ym, _) in months {
        let month = Month {
            year: ym.year,
            month: ym.month,
        };
        let draw_at = local_ms(month.next().first_day(), DRAW_HOUR)?;
        if draw_at >= cutoff {
            continue;
        }
        let mut tx = db.begin().await?;
        // The month's timer (armed by the previous month's run) fires now: this run.
        crate::job::disarm(&mut tx, &format!("survey.monthly:{month}"), draw_at).await?;
        let started = std::time::Instant::now();
        let run = run_month(&mut tx, month, DEFAULT_TOTAL, draw_at).await?;
        sum.sample_seconds = sum.sample_seconds.max(started.elapsed().as_secs_f64());
        if run.ran {
            let key = i64::from(ym.year) * 12 + i64::from(ym.month);
            for inv in store::survey::sample::invitations(&mut tx, &month.to_string()).await? {
                sum.sampled += 1;
                let q = quality.get(&inv.station_id).copied().unwrap_or(0.75);
                let outcome = sample_outcome(p.seed(), inv.station_id, inv.customer_id, key, q);
                respond(&mut tx, shared, &inv, outcome, q, cutoff, sum).await?;
            }
        }
        tx.commit().await?;
    }
    Ok(())
}

/// One sampled customer's response, as the owner page or the call centre records it.
async fn respond(
    tx: &mut sqlx::AnyConnection,
    shared: &Shared,
    inv: &InvitationRow,
    outcome: SurveyOutcome,
    quality: f64,
    cutoff: i64,
    sum: &mut Summary,
) -> AppResult<()> {
    // The link went out when it was due (outside quiet hours), long ago.
    let sent = match store::outbox::by_key(tx, &format!("survey:{}", inv.id)).await? {
        Some((id, due)) => {
            store::outbox::mark_sent(tx, id, 1, due).await?;
            due
        }
        None => inv.created_at,
    };
    let called = sent + DAY_MS;
    match outcome {
        SurveyOutcome::Answered {
            satisfaction,
            recommend,
            comment,
            after_minutes,
        } => {
            let at = sent + after_minutes * MIN_MS;
            if at >= cutoff || at >= inv.expires_at {
                return Ok(());
            }
            let draw = mix(inv.id as u64 ^ 0x5341_4D50);
            let raw = raw_answers(
                &shared.questionnaire,
                satisfaction,
                recommend,
                comment,
                draw,
            );
            crate::survey::answer::record(tx, inv, &raw, true, "owner", None, at).await?;
            sum.sample_answered += 1;
            if let Some(id) = store::survey::alert::by_invitation(tx, inv.id).await? {
                sum.alerts += 1;
                if !super::survey::call_back(tx, id, at, draw, quality, cutoff).await? {
                    sum.alerts_open += 1;
                }
            }
        }
        SurveyOutcome::Refused | SurveyOutcome::Unreachable if called < cutoff => {
            let (state, reason) = if outcome == SurveyOutcome::Refused {
                ("refused", "不方便")
            } else {
                ("unreachable", "no_answer")
            };
            store::survey::close(tx, inv.id, state, Some(reason), Some("agent"), None, called)
                .await?;
        }
        _ => {}
    }
    Ok(())
}
