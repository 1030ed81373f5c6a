//! The loaded holiday plan running out (SPEC §6): from 60 days before the plan's last
//! day a timer on the job machinery (`calendar.plan_end`, one per end date, armed when
//! a plan is seeded or replaced) warns head office's administrators once: a row of
//! `holiday_plan_warnings` (their inbox, shown on the complaint queue while the plan
//! is not replaced) and an outbox message by SMS and WeChat to each, as far as their
//! record holds them. A plan loaded meanwhile with a later end makes the old timer
//! do nothing and arms its own.

use crate::job::handler::{BoxFuture, Ctx, Handler, Outcome};
use crate::{App, AppError, AppResult, conn};
use domain::calendar::{HolidayPlan, plan_warning_from, shanghai};
use domain::complaint::escalation::{Kind, kinds};
use domain::permission::{Grant, Reach};
use jiff::civil::Date;
use sqlx::AnyConnection;
use store::job::Claimed;

/// The timer kind.
pub const KIND: &str = "calendar.plan_end";

/// The outbox template of the warning.
pub const TEMPLATE: &str = "holiday_plan_ending";

/// The timer key of a plan ending on `end`.
pub fn timer_key(end: Date) -> String {
    format!("{KIND}:{end}")
}

/// Arms the warning timer of `plan`'s end at 00:00 (Beijing time) of the first day
/// of the warning; an already passed day fires at once. An empty plan arms nothing.
pub(crate) async fn arm(conn: &mut AnyConnection, plan: &HolidayPlan, now: i64) -> AppResult<()> {
    let Some(end) = plan.end() else {
        return Ok(());
    };
    let due = plan_warning_from(end)
        .to_zoned(shanghai())
        .map_err(|e| AppError::Internal(e.to_string()))?
        .timestamp()
        .as_millisecond();
    let payload = serde_json::json!({ "plan_end": end.to_string() });
    crate::job::arm(conn, &timer_key(end), KIND, due, &payload, now).await?;
    Ok(())
}

/// Arms the warning timer of the loaded plan at server start (the plan may have been
/// stored by an earlier version, before the timer existed).
pub async fn ensure(app: &App) -> AppResult<()> {
    let now = app.now_ms();
    crate::transaction::run(
        app,
        "calendar.ensure_plan_warning",
        move |mut tx| async move {
            let plan = super::load_plan(&mut tx).await?;
            arm(&mut tx, &plan, now).await?;
            Ok((tx, ()))
        },
    )
    .await
}

/// The warning in force for head office (a grant reaching the whole network; others
/// get `None`): the end of the loaded plan, when administrators were warned that it
/// runs out and it has not been replaced by a plan that ends later.
pub async fn warning(app: &App, grant: &Grant) -> AppResult<Option<Date>> {
    if *grant.reach() != Reach::All {
        return Ok(None);
    }
    let mut c = conn(app).await?;
    let plan = super::load_plan(&mut c).await?;
    let Some(end) = plan.end() else {
        return Ok(None);
    };
    Ok(store::calendar::plan_warned(&mut c, &end.to_string())
        .await?
        .then_some(end))
}

/// The idempotency key of one message of the warning.
fn dedupe_key(end: Date, kind: Kind, staff_id: i64) -> String {
    format!("outbox:{}:{}:{staff_id}", timer_key(end), kind.code())
}

async fn fire(ctx: &Ctx, conn: &mut AnyConnection, job: &Claimed) -> AppResult<()> {
    let v: serde_json::Value =
        serde_json::from_str(&job.payload).map_err(|e| AppError::Internal(e.to_string()))?;
    let Some(end) = v["plan_end"].as_str().and_then(|s| s.parse::<Date>().ok()) else {
        return Ok(());
    };
    // A plan loaded since that ends elsewhere has its own timer.
    if super::load_plan(conn).await?.end() != Some(end) {
        return Ok(());
    }
    let now = ctx.app.now_ms();
    if !store::calendar::insert_plan_warning(conn, &end.to_string(), now).await? {
        return Ok(());
    }
    let payload = serde_json::json!({ "plan_end": end.to_string() });
    let people = store::complaint::notice::recipients(conn, "head_office", 0, 0).await?;
    for p in &people {
        for (kind, address) in kinds(&p.phone, p.wechat_id.as_deref()) {
            let key = dedupe_key(end, kind, p.staff_id);
            store::outbox::enqueue(
                conn,
                &key,
                kind.code(),
                &address,
                None,
                TEMPLATE,
                &payload,
                now,
            )
            .await?;
        }
    }
    let data = serde_json::json!({ "plan_end": end.to_string(), "administrators": people.len() });
    store::event::record(
        conn,
        now,
        store::event::Actor::SYSTEM,
        "holiday_plan",
        0,
        "plan_ending",
        &data,
        None,
    )
    .await?;
    Ok(())
}

/// The timer of a plan's end.
#[derive(Debug, Clone, Copy)]
pub struct PlanEnd;

impl Handler for PlanEnd {
    fn inside<'a>(
        &'a self,
        ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        job: &'a Claimed,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move { fire(ctx, conn, job).await.map_err(|e| e.to_string()) })
    }
}
