//! Work on the lines of an order: assigning a certified technician, starting and
//! finishing work (only on approved lines), fitting parts.

use super::*;
use crate::calendar::station_zone;
use crate::capacity::state::certificates;
use crate::labour::{lookup, requirement};
use crate::network::expect;
use crate::shared::{expect_any, refused};
use crate::{App, AppError, AppResult, actor};
use domain::Violation;
use domain::certification::{CertificationError, Cleared};
use domain::permission::{Action, Grant, Reach};
use domain::repair_order::{RepairOrderError, Stage, WorkStatus};

/// Assigns a technician to a labour line, only if their certificates valid today (in
/// the station's zone) cover what the operation needs (先认证后上岗). The technician
/// must work at the order's station. Needs `RepairOrderWrite`.
pub async fn assign_technician(
    app: &App,
    grant: &Grant,
    id: i64,
    line_no: u32,
    staff_id: i64,
) -> AppResult<()> {
    expect(grant, Action::RepairOrderWrite)?;
    let now = app.clock.now();
    let now_ms = now.as_millisecond();
    crate::transaction::run(
        app,
        "repair_order.assign_technician",
        move |mut tx| async move {
            let l = load(&mut tx, grant.reach(), id).await?;
            let field = format!("lines[{line_no}]");
            let line = l
                .lines
                .iter()
                .find(|x| x.line_no == i64::from(line_no))
                .ok_or_else(|| {
                    refused(Violation::new(field.clone(), "repair_order.line_unknown"))
                })?;
            if line.kind != "labour" {
                return Err(refused(Violation::new(field, "repair_order.not_labour")));
            }
            let staff = store::people::staff(&mut tx, &Reach::All, staff_id)
                .await
                .map_err(|_| refused(Violation::new("technician", "staff.unknown")))?;
            if staff.station_id != Some(l.row.station_id) || !staff.active {
                return Err(refused(Violation::new("technician", "staff.other_station")));
            }
            let op = lookup(&mut tx, &field, &line.code).await?;
            let certs = certificates(&mut tx, staff_id).await?;
            let today = station_zone(&mut tx, l.row.station_id)
                .await?
                .to_datetime(now)
                .date();
            domain::certification::check_requirement(&certs, requirement(&op), today)
                .map_err(refused)?;
            store::estimate::assign(&mut tx, id, i64::from(line_no), staff_id).await?;
            store::event::record(
                &mut tx,
                now_ms,
                actor(grant),
                ENTITY,
                id,
                "technician_assigned",
                &serde_json::json!({"line": line_no, "staff_id": staff_id}),
                None,
            )
            .await?;
            Ok((tx, ()))
        },
    )
    .await
}

/// A technician of the order's station as the assignment list offers them for one
/// labour line: cleared for it today, or greyed with what they miss.
#[derive(Debug, Clone)]
pub struct TechnicianChoice {
    /// Staff id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Sign-in name (tells two people of one name apart).
    pub username: String,
    /// Why they may not do this line's work (a grade or qualification missing today).
    pub missing: Option<CertificationError>,
}

/// For each labour line of order `id`, the station's active technicians with whether
/// their certificates cover the line's operation today (先认证后上岗), cleared ones
/// first. Needs `RepairOrderRead`.
pub async fn assignable(
    app: &App,
    grant: &Grant,
    id: i64,
) -> AppResult<Vec<(u32, Vec<TechnicianChoice>)>> {
    expect(grant, Action::RepairOrderRead)?;
    let now = app.clock.now();
    let mut c = crate::conn(app).await?;
    let l = load(&mut c, grant.reach(), id).await?;
    let techs = crate::people::station_choices(app, l.row.station_id, Some("technician")).await?;
    let today = station_zone(&mut c, l.row.station_id)
        .await?
        .to_datetime(now)
        .date();
    let mut certs = Vec::with_capacity(techs.len());
    for t in &techs {
        certs.push(certificates(&mut c, t.id).await?);
    }
    let mut out = vec![];
    for line in l.lines.iter().filter(|x| x.kind == "labour") {
        let need = match store::labour::by_code(&mut c, &line.code).await? {
            Some(op) => requirement(&op),
            None => Default::default(),
        };
        let mut list: Vec<TechnicianChoice> = techs
            .iter()
            .zip(&certs)
            .map(|(t, held)| TechnicianChoice {
                id: t.id,
                name: t.name.clone(),
                username: t.username.clone(),
                missing: domain::certification::check_requirement(held, need, today).err(),
            })
            .collect();
        list.sort_by_key(|t| t.missing.is_some());
        out.push((u32::try_from(line.line_no).unwrap_or(0), list));
    }
    Ok(out)
}

/// Starts work on an approved labour line while repair is in progress. Needs `WorkshopWork` or `RepairOrderWrite`.
pub async fn start_work(app: &App, grant: &Grant, id: i64, line_no: u32) -> AppResult<()> {
    work(app, grant, id, line_no, true).await
}

/// Finishes work on a labour line in progress (the line becomes chargeable). Needs `WorkshopWork` or `RepairOrderWrite`.
pub async fn finish_work(app: &App, grant: &Grant, id: i64, line_no: u32) -> AppResult<()> {
    work(app, grant, id, line_no, false).await
}

pub(super) async fn work(
    app: &App,
    grant: &Grant,
    id: i64,
    line_no: u32,
    start: bool,
) -> AppResult<()> {
    expect_any(grant, &[Action::WorkshopWork, Action::RepairOrderWrite])?;
    let now_ms = app.now_ms();
    crate::transaction::run(app, "repair_order.work", move |mut tx| async move {
        let mut l = load(&mut tx, grant.reach(), id).await?;
        let (status, done) = if start {
            let cleared = clear_assigned(&mut tx, &l, line_no, app.clock.now()).await?;
            l.order.start_work(line_no, cleared).map_err(|e| match e {
                // Who may do the work is the request's fault, not the order's state.
                RepairOrderError::Uncertified(c) => AppError::Invalid(Violation::from(c).into()),
                other => refused(other),
            })?;
            (WorkStatus::InProgress, false)
        } else {
            l.order.finish_work(line_no).map_err(refused)?;
            l.estimate.mark_done(line_no).map_err(refused)?;
            (WorkStatus::Done, true)
        };
        store::estimate::set_work(&mut tx, id, i64::from(line_no), work_code(status), done).await?;
        save(&mut tx, &l, l.row.late_minutes, l.row.courtesy_car, now_ms).await?;
        store::event::record(
            &mut tx,
            now_ms,
            actor(grant),
            ENTITY,
            id,
            if start {
                "work_started"
            } else {
                "work_finished"
            },
            &serde_json::json!({"line": line_no}),
            None,
        )
        .await?;
        Ok((tx, ()))
    })
    .await
}

/// The clearance of the technician assigned to labour line `line_no` (先认证后上岗):
/// nobody assigned, or an assignee whose certificates no longer cover the operation
/// today, is refused by the domain when work starts. Storage errors are errors here.
async fn clear_assigned(
    tx: &mut sqlx::AnyConnection,
    l: &Loaded,
    line_no: u32,
    now: jiff::Timestamp,
) -> AppResult<Result<Cleared, CertificationError>> {
    let Some(line) = l.lines.iter().find(|x| x.line_no == i64::from(line_no)) else {
        return Ok(Err(CertificationError::Unassigned));
    };
    let Some(staff_id) = line.technician_id else {
        return Ok(Err(CertificationError::Unassigned));
    };
    let op = lookup(tx, &format!("lines[{line_no}]"), &line.code).await?;
    let certs = certificates(tx, staff_id).await?;
    let today = station_zone(tx, l.row.station_id)
        .await?
        .to_datetime(now)
        .date();
    Ok(domain::certification::clear(
        line_no,
        Some(staff_id),
        &certs,
        requirement(&op),
        today,
    ))
}

/// Records an approved part line as fitted, while repair is in progress. Needs `WorkshopWork` or `RepairOrderWrite`.
pub async fn fit_part(app: &App, grant: &Grant, id: i64, line_no: u32) -> AppResult<()> {
    expect_any(grant, &[Action::WorkshopWork, Action::RepairOrderWrite])?;
    let now_ms = app.now_ms();
    crate::transaction::run(app, "repair_order.fit_part", move |mut tx| async move {
        let mut l = load(&mut tx, grant.reach(), id).await?;
        if l.order.current_stage() != Some(Stage::Repair) {
            return Err(refused(
                domain::repair_order::RepairOrderError::RepairNotInProgress,
            ));
        }
        l.estimate.mark_done(line_no).map_err(refused)?;
        store::estimate::set_work(&mut tx, id, i64::from(line_no), "done", true).await?;
        store::event::record(
            &mut tx,
            now_ms,
            actor(grant),
            ENTITY,
            id,
            "part_fitted",
            &serde_json::json!({"line": line_no}),
            None,
        )
        .await?;
        Ok((tx, ()))
    })
    .await
}
