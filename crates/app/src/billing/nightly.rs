//! The nightly reconciliation, on the job machinery: at 02:00 Shanghai a timer
//! (`billing.reconcile:{day}`, kind [`KIND`]) downloads the day before's
//! statement files over HTTP ([`super::statement::download`], in the timer's
//! outside part) and reconciles the day against them, for the whole network. It keeps the counts per
//! provider (`reconciliation_runs`, shown on `/console/reconciliation`), flags the
//! bills of lines that did not match for the cashier (`needs_reconciliation`),
//! forgets notice nonces older than a day, and arms the next night's timer, so
//! the chain goes on by itself once armed ([`ensure`], called when the server
//! starts).

use super::reconciliation::reconcile_day;
use crate::job::handler::{BoxFuture, Ctx, Handler, Outcome};
use crate::{App, AppError, AppResult};
use domain::permission::Reach;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use store::billing::reconciliation::Run;
use store::job::Claimed;

/// The job kind.
pub const KIND: &str = "billing.reconcile";

/// The hour (Shanghai) the nightly run starts: after the providers publish the
/// day's statement files.
pub const HOUR: i8 = 2;

/// How long a notice nonce is kept: far beyond the five-minute signature window.
const NONCE_KEEP_MS: i64 = 24 * 60 * 60 * 1000;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Payload {
    /// The day to reconcile, `YYYY-MM-DD`.
    day: String,
}

fn shanghai() -> AppResult<TimeZone> {
    TimeZone::get("Asia/Shanghai").map_err(|e| AppError::Internal(e.to_string()))
}

/// The next run after `now`: (when, UTC ms; the day it reconciles).
fn next_run(now: i64) -> AppResult<(i64, Date)> {
    let tz = shanghai()?;
    let err = |e: jiff::Error| AppError::Internal(e.to_string());
    let here = jiff::Timestamp::from_millisecond(now)
        .map_err(err)?
        .to_zoned(tz.clone());
    let mut run_day = here.date();
    let at = |d: Date| -> AppResult<i64> {
        Ok(d.to_datetime(Time::constant(HOUR, 0, 0, 0))
            .to_zoned(tz.clone())
            .map_err(err)?
            .timestamp()
            .as_millisecond())
    };
    if at(run_day)? <= now {
        run_day = run_day.tomorrow().map_err(err)?;
    }
    Ok((at(run_day)?, run_day.yesterday().map_err(err)?))
}

/// Arms the next nightly run on `tx` (arming again changes nothing: the key names
/// the day).
async fn arm(tx: &mut AnyConnection, now: i64) -> AppResult<()> {
    let (due, day) = next_run(now)?;
    let payload = serde_json::to_value(Payload {
        day: day.to_string(),
    })
    .map_err(|e| AppError::Internal(e.to_string()))?;
    crate::job::arm(tx, &format!("{KIND}:{day}"), KIND, due, &payload, now).await?;
    Ok(())
}

/// Arms the next nightly run when the server has a payment provider (the server
/// calls it at start).
pub async fn ensure(app: &App) -> AppResult<()> {
    if !app.settings.online_payment() {
        return Ok(());
    }
    crate::transaction::run(app, "billing.nightly_arm", move |mut tx| async move {
        arm(&mut tx, app.now_ms()).await?;
        Ok((tx, ()))
    })
    .await
}

/// Runs the reconciliation of `day` for the whole network on `conn`: keeps the
/// counts per provider and flags the bills of lines that did not match.
pub async fn run(app: &App, conn: &mut AnyConnection, day: Date) -> AppResult<Vec<Run>> {
    let now = app.now_ms();
    let r = reconcile_day(app, conn, &Reach::All, day).await?;
    let mut runs = Vec::new();
    for code in super::reconciliation::providers(app) {
        let mine: Vec<_> = r.lines.iter().filter(|l| l.provider == code).collect();
        let n = |o: &str| mine.iter().filter(|l| l.outcome == o).count() as i64;
        let run = Run {
            day: day.to_string(),
            provider: code.into(),
            matched: n("matched"),
            amount_mismatch: n("amount_mismatch"),
            missing: n("missing"),
            extra: n("extra"),
            ran_at: now,
        };
        store::billing::reconciliation::save_run(conn, &run).await?;
        runs.push(run);
    }
    for l in r.lines.iter().filter(|l| l.outcome != "matched") {
        if let Some(b) = l.bill_id {
            store::billing::reconciliation::flag_bill(conn, b).await?;
        }
    }
    store::billing::ledger::purge_nonces(conn, now - NONCE_KEEP_MS).await?;
    Ok(runs)
}

/// The handler of [`KIND`], registered in `Registry::standard()`.
#[derive(Debug, Clone, Copy)]
pub struct Nightly;

impl Handler for Nightly {
    /// Downloads the day's statement files over HTTP before the run's
    /// transaction (no transaction waits on a provider).
    fn outside<'a>(&'a self, ctx: &'a Ctx, job: &'a Claimed) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let p: Payload = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
            let day: Date = p.day.parse().map_err(|e: jiff::Error| e.to_string())?;
            super::statement::download(&ctx.app, &ctx.http, day)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn inside<'a>(
        &'a self,
        ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        job: &'a Claimed,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let p: Payload = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
            let day: Date = p.day.parse().map_err(|e: jiff::Error| e.to_string())?;
            run(&ctx.app, conn, day).await.map_err(|e| e.to_string())?;
            arm(conn, ctx.app.now_ms()).await.map_err(|e| e.to_string())
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_next_run_is_two_in_the_night_in_shanghai_for_the_day_before() {
        // 2026-11-24 09:00 Shanghai.
        let now = jiff::Timestamp::from_second(1_795_482_000).unwrap();
        let (at, day) = next_run(now.as_millisecond()).unwrap();
        assert_eq!(day.to_string(), "2026-11-24");
        let at = jiff::Timestamp::from_millisecond(at).unwrap();
        assert_eq!(at.to_string(), "2026-11-24T18:00:00Z");
        // 01:00 Shanghai: tonight's run is still ahead, for yesterday.
        let (at, day) = next_run(now.as_millisecond() - 8 * 3_600_000).unwrap();
        assert_eq!(day.to_string(), "2026-11-23");
        assert_eq!(
            jiff::Timestamp::from_millisecond(at).unwrap().to_string(),
            "2026-11-23T18:00:00Z"
        );
    }
}
