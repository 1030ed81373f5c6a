//! The working calendar of a station: China's official holiday plan (stored one row
//! per date, seeded by [`ensure_holidays`]), the station's opening hours and zone.

pub mod plan_end;
pub mod station;

pub use station::{load_plan, parse_opening_hours, station_calendar, station_zone};

use crate::{App, AppError, AppResult};
use domain::calendar::{DayKind, HolidayPlan};
use store::calendar::PlanDay;

/// Seeds the stored holiday plan from [`HolidayPlan::china`]; dates already listed
/// are kept (head office may have changed them). Returns how many were added; running
/// it again adds nothing. A bootstrap step like migrations, so it takes no grant.
pub async fn ensure_holidays(app: &App) -> AppResult<usize> {
    crate::transaction::run(app, "calendar.ensure_holidays", move |mut tx| async move {
        let mut added = 0;
        for (day, kind) in HolidayPlan::china().iter() {
            let row = match kind {
                DayKind::Holiday { name } => PlanDay {
                    day: day.to_string(),
                    kind: "holiday".into(),
                    name: Some(name.clone()),
                },
                DayKind::AdjustedWorkday => PlanDay {
                    day: day.to_string(),
                    kind: "workday".into(),
                    name: None,
                },
            };
            if store::calendar::insert_day(&mut tx, &row).await? {
                added += 1;
            }
        }
        let plan = load_plan(&mut tx).await?;
        plan_end::arm(&mut tx, &plan, app.now_ms()).await?;
        Ok((tx, added))
    })
    .await
}

/// The stored plan as the text head office edits (`2026-02-15..2026-02-23 holiday 春节`,
/// `2026-02-14 workday`), for anyone who may read the network.
pub async fn plan_text(app: &App, grant: &domain::permission::Grant) -> AppResult<String> {
    crate::network::expect(grant, domain::permission::Action::NetworkRead)?;
    let mut c = crate::conn(app).await?;
    Ok(load_plan(&mut c).await?.to_text())
}

/// Replaces the plan with one written as text (head office only). Every line is
/// checked first; a bad line is reported with its number and nothing changes. In the
/// same transaction the open complaints whose deadlines were provisional (past the
/// old plan's end, SPEC §6) are recomputed on the new plan, and the warning timer of
/// the new plan's end is armed.
pub async fn replace_plan(
    app: &App,
    grant: &domain::permission::Grant,
    text: &str,
) -> AppResult<usize> {
    crate::network::expect(grant, domain::permission::Action::NetworkWrite)?;
    if *grant.reach() != domain::permission::Reach::All {
        return Err(AppError::Forbidden);
    }
    let plan = HolidayPlan::parse(text)
        .map_err(|e| AppError::Invalid(domain::Violation::from(e).into()))?;
    let rows: Vec<PlanDay> = plan
        .iter()
        .map(|(day, kind)| match kind {
            DayKind::Holiday { name } => PlanDay {
                day: day.to_string(),
                kind: "holiday".into(),
                name: Some(name.clone()),
            },
            DayKind::AdjustedWorkday => PlanDay {
                day: day.to_string(),
                kind: "workday".into(),
                name: None,
            },
        })
        .collect();
    let (rows, plan) = (&rows, &plan);
    let n = crate::transaction::run(app, "calendar.replace_plan", move |mut tx| async move {
        store::calendar::replace_all(&mut tx, rows).await?;
        let now = app.now_ms();
        let provisional = store::complaint::provisional_open(&mut tx).await?;
        for id in &provisional {
            crate::complaint::clock::recompute(&mut tx, *id, now).await?;
        }
        plan_end::arm(&mut tx, plan, now).await?;
        let data = serde_json::json!({ "days": rows.len(), "recomputed": provisional.len() });
        store::event::record(
            &mut tx,
            app.now_ms(),
            crate::actor(grant),
            "holiday_plan",
            0,
            "replaced",
            &data,
            None,
        )
        .await?;
        Ok((tx, rows.len()))
    })
    .await?;
    app.wake_jobs();
    Ok(n)
}
