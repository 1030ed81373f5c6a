//! The monthly sample (SPEC §10): last month's customers, 5,000 network-wide by
//! default, stratified by station ([`domain::survey::sampling::draw`]), respecting
//! consent and "not drawn in the last 90 days" (the after-delivery survey does not
//! count: every visit gets one). One batch job per month
//! (`survey.monthly_sample`, keyed by the month); the run claims its month in
//! `survey_sample_runs` first, so running it again asks nobody twice. Each run arms
//! the next month's draw on the timer machinery.

use super::{Invite, InviteCache, POLICY, china, invite_with};
use crate::job::handler::{BoxFuture, Ctx, Handler, Outcome};
use crate::network::expect;
use crate::{App, AppError, AppResult};
use domain::ids::{CustomerId, StationId};
use domain::permission::Grant;
use domain::survey::sampling::{self, Candidate, Plan};
use domain::survey::{Month, Reason};
use serde::Serialize;
use sqlx::AnyConnection;
use store::job::Claimed;

/// The job (and timer) kind of the monthly draw.
pub const KIND: &str = "survey.monthly_sample";

/// The hour (China time) of the 1st at which the timer draws last month's sample.
pub const DRAW_HOUR: i8 = 10;

/// Instant (UTC ms) of a China-time local date and hour.
pub(crate) fn local_ms(date: jiff::civil::Date, hour: i8) -> AppResult<i64> {
    date.at(hour, 0, 0, 0)
        .to_zoned(china())
        .map(|z| z.timestamp().as_millisecond())
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// The month of a UTC ms instant, China time.
pub(crate) fn month_of(ms: i64) -> AppResult<Month> {
    let ts =
        jiff::Timestamp::from_millisecond(ms).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Month::of(ts.to_zoned(china()).date()))
}

/// Queues the draw of `month` (default: last month) with `total` customers (default
/// 5,000). A month that has not ended yet is 422 `survey.month_not_over`. Needs
/// [`POLICY`]. Answers whether a job was queued (false: queued or run already).
pub async fn start(
    app: &App,
    grant: &Grant,
    month: Option<&str>,
    total: Option<usize>,
) -> AppResult<bool> {
    expect(grant, POLICY)?;
    let now = app.now_ms();
    let this = month_of(now)?;
    let m = match month.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => Month::parse("month", m)?,
        None => this.previous(),
    };
    if m >= this {
        return Err(domain::Violation::new("month", "survey.month_not_over")
            .with_detail(m.to_string())
            .into());
    }
    let total = total.unwrap_or(sampling::DEFAULT_TOTAL);
    if total == 0 || total > 100_000 {
        return Err(domain::Violation::new("total", "survey.total_range")
            .with_detail("1–100000")
            .into());
    }
    let queued = crate::transaction::run(app, "survey.start_sample", move |mut tx| async move {
        let q = crate::job::enqueue(
            &mut tx,
            KIND,
            Some(&format!("survey.monthly:{m}")),
            &serde_json::json!({ "month": m.to_string(), "total": total }),
            now,
            now,
        )
        .await?;
        Ok((tx, q))
    })
    .await?;
    app.wake_jobs();
    Ok(queued)
}

/// The `survey.monthly_sample` job.
pub struct MonthlySample;

impl Handler for MonthlySample {
    fn inside<'a>(
        &'a self,
        ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        job: &'a Claimed,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let v: serde_json::Value =
                serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
            let month = Month::parse("month", v["month"].as_str().unwrap_or(""))
                .map_err(|e| format!("{e:?}"))?;
            let total = v["total"]
                .as_u64()
                .and_then(|t| usize::try_from(t).ok())
                .unwrap_or(sampling::DEFAULT_TOTAL);
            run_month(conn, month, total, ctx.app.now_ms())
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    /// Whether this call ran the month (false: it had been run).
    pub ran: bool,
    /// Customers of the month who had a delivered order.
    pub candidates: usize,
    /// Invitations made.
    pub invited: usize,
}

/// Draws and invites `month`'s sample on the caller's transaction, once per month.
pub async fn run_month(
    conn: &mut AnyConnection,
    month: Month,
    total: usize,
    now: i64,
) -> AppResult<RunSummary> {
    if !store::survey::sample::claim_run(conn, &month.to_string(), now).await? {
        return Ok(RunSummary {
            ran: false,
            candidates: 0,
            invited: 0,
        });
    }
    let from = local_ms(month.first_day(), 0)?;
    let to = local_ms(month.next().first_day(), 0)?;
    // Invitations older than the window keep nobody out (a day's margin for the
    // draw's local dates).
    let asked_since = now - (sampling::DEFAULT_WINDOW_DAYS + 1) * super::DAY_MS;
    let rows = store::survey::sample::candidates(conn, from, to, asked_since).await?;
    let tz = china();
    let today = jiff::Timestamp::from_millisecond(now)
        .map_err(|e| AppError::Internal(e.to_string()))?
        .to_zoned(tz.clone())
        .date();
    let candidates: Vec<Candidate> = rows
        .iter()
        .map(|r| Candidate {
            customer: CustomerId(r.customer_id),
            station: StationId(r.station_id),
            consent: r.consent,
            last_asked: r
                .last_asked_at
                .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
                .map(|t| t.to_zoned(tz.clone()).date()),
        })
        .collect();
    let plan = Plan {
        today,
        total,
        min_per_station: sampling::DEFAULT_MIN_PER_STATION,
        window_days: sampling::DEFAULT_WINDOW_DAYS,
        seed: seed_of(month),
    };
    let picks = sampling::draw(&candidates, &plan);
    let mut invited = 0;
    let mut cache = InviteCache::default();
    let drawn: Vec<i64> = picks.iter().map(|p| p.customer.get()).collect();
    cache.prefetch(conn, &drawn).await?;
    for p in &picks {
        let made = invite_with(
            conn,
            Invite {
                customer_id: p.customer.get(),
                vehicle_id: None,
                repair_order_id: None,
                station_id: p.station.get(),
                reason: Reason::Monthly,
                sample_month: Some(month.to_string()),
                due_at: now + super::rules::LINK_VALID_DAYS * super::DAY_MS,
            },
            now,
            &mut cache,
        )
        .await?;
        if made.is_some() {
            invited += 1;
        }
    }
    store::survey::sample::set_drawn(conn, &month.to_string(), invited as i64).await?;
    // The next month's draw, on the 1st after it ends.
    let next = month.next();
    let due = local_ms(next.next().first_day(), DRAW_HOUR)?;
    crate::job::arm(
        conn,
        &format!("survey.monthly:{next}"),
        KIND,
        due,
        &serde_json::json!({ "month": next.to_string(), "total": total }),
        now,
    )
    .await?;
    Ok(RunSummary {
        ran: true,
        candidates: rows.len(),
        invited,
    })
}

/// The seed of a month's draw: fixed by the month, so a draw can be reproduced.
pub fn seed_of(month: Month) -> u64 {
    sampling::mix(
        0x5eed_5a3e,
        i64::from(month.year) * 100 + i64::from(month.month),
    )
}
