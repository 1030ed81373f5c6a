//! Repair orders (工单): opening from an appointment or a walk-in (with comeback
//! detection), stages in order with their checkpoints, work only on approved lines,
//! technician assignment only with valid certificates, delivery with the late and
//! courtesy-car flags, stage timings from the event log, the owner's
//! transparent-workshop link. Opening is in `open`, work on lines in `work`, loading
//! and saving in `load`, read models in `view` and `track`; the KPIs computed from
//! orders are in `crate::kpi`.

pub mod header;
mod open;
mod work;

pub use open::*;
pub use work::*;

pub mod board;
pub mod load;

pub mod mine;
pub mod track;

pub mod view;

use self::load::*;
pub use self::load::{ENTITY, work_code};
use crate::network::expect;
use crate::shared::{expect_any, refused};
use crate::{App, AppError, AppResult, actor, conn};
use domain::Violation;
use domain::permission::{Action, Grant, Reach};
use domain::repair_order::{ConcernClass, Stage, StageTiming, late_handover, stage_timings};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use store::estimate::EstimateLineRow;
pub use store::repair_order::{CheckpointRow, RepairOrderRow};

async fn record_stage(
    tx: &mut sqlx::AnyConnection,
    grant: &Grant,
    id: i64,
    kind: &str,
    stage: Stage,
    at: i64,
) -> AppResult<()> {
    store::event::record(
        tx,
        at,
        actor(grant),
        ENTITY,
        id,
        kind,
        &stage_data(stage),
        None,
    )
    .await?;
    Ok(())
}

/// What a stage event records of its stage.
fn stage_data(stage: Stage) -> serde_json::Value {
    serde_json::json!({"stage": stage.code()})
}

/// A stage event by the grant's holder, for [`advance`].
fn stage_event<'a>(
    grant: &'a Grant,
    kind: &'a str,
    data: &'a serde_json::Value,
) -> store::repair_order::ProgressEvent<'a> {
    store::repair_order::ProgressEvent {
        actor: actor(grant),
        kind,
        data,
    }
}

/// An order with its checkpoints, lines and stage timings.
#[derive(Debug, Clone, Serialize)]
pub struct OrderView {
    /// The stored order.
    pub order: RepairOrderRow,
    /// Checked checkpoints.
    pub checkpoints: Vec<CheckpointRow>,
    /// Estimate lines.
    pub lines: Vec<EstimateLineRow>,
    /// Timing of each started stage against its standard.
    pub timings: Vec<StageTiming>,
}

/// One order within reach. Needs `RepairOrderRead`.
pub async fn get(app: &App, grant: &Grant, id: i64) -> AppResult<OrderView> {
    expect(grant, Action::RepairOrderRead)?;
    let now = app.clock.now();
    let mut c = conn(app).await?;
    let l = load(&mut c, grant.reach(), id).await?;
    let mut v = view(l, now);
    let role = grant.principal().role;
    v.lines = v
        .lines
        .into_iter()
        .map(|x| crate::privacy::estimate_line_view(role, domain::privacy::Relation::InReach, x))
        .collect();
    Ok(v)
}

fn view(l: Loaded, now: Timestamp) -> OrderView {
    let timings = stage_timings(l.order.standard(), l.order.labour_minutes(), &l.events, now);
    OrderView {
        order: l.row,
        checkpoints: l.checkpoints,
        lines: l.lines,
        timings,
    }
}

/// Stage timings of an order, from its event log (overruns flagged). Needs `RepairOrderRead`.
pub async fn timings(app: &App, grant: &Grant, id: i64) -> AppResult<Vec<StageTiming>> {
    Ok(get(app, grant, id).await?.timings)
}

/// Starts `stage`, which must be the next one. Needs `RepairOrderWrite`.
pub async fn start_stage(app: &App, grant: &Grant, id: i64, stage: Stage) -> AppResult<()> {
    expect(grant, Action::RepairOrderWrite)?;
    let now = app.clock.now();
    let now_ms = now.as_millisecond();
    act(app, grant.reach(), id, |mut l, c| async move {
        l.order.start_stage(stage, now).map_err(refused)?;
        let data = stage_data(stage);
        let event = stage_event(grant, "stage_started", &data);
        advance(app, c, &l, event, now_ms).await
    })
    .await
}

/// Checks a checkpoint of the stage in progress, with an optional note. Needs `RepairOrderWrite` or `WorkshopWork`.
pub async fn check(
    app: &App,
    grant: &Grant,
    id: i64,
    code: &str,
    note: Option<&str>,
) -> AppResult<()> {
    expect_any(grant, &[Action::RepairOrderWrite, Action::WorkshopWork])?;
    let now_ms = app.now_ms();
    crate::transaction::run(app, "repair_order.check", move |mut tx| async move {
        let mut l = load(&mut tx, grant.reach(), id).await?;
        l.order.check(code).map_err(refused)?;
        let stage = l
            .order
            .standard()
            .stage_of(code)
            .map(|s| s.code().to_string())
            .unwrap_or_default();
        let note = note.map(str::trim).filter(|s| !s.is_empty());
        let row = CheckpointRow {
            code: code.to_string(),
            stage,
            checked_at: now_ms,
            checked_by: grant.principal().id,
            note: note.map(str::to_string),
        };
        if store::repair_order::insert_checkpoint(&mut tx, id, &row).await? {
            store::event::record(
                &mut tx,
                now_ms,
                actor(grant),
                ENTITY,
                id,
                "checkpoint_checked",
                &serde_json::json!({"code": code, "note": note}),
                None,
            )
            .await?;
        }
        Ok((tx, ()))
    })
    .await
}

/// How diagnosis classifies the owner's concern.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ClassifyInput {
    /// Coded concern (symptom or fault code); empty clears it.
    pub concern_code: Option<String>,
    /// Whether the fault is a serious safety fault (严重安全性能故障, 三包).
    pub safety_fault: bool,
    /// Why, for the timeline (required when changing an earlier classification).
    pub reason: Option<String>,
}

/// Records how diagnosis classified the concern: its code and whether it is a
/// serious safety fault; both feed the three-guarantees counters. Refused once the
/// car is delivered (`repair_order.delivered`); a change to an earlier
/// classification needs a reason. Needs `RepairOrderWrite` or `WorkshopWork`.
pub async fn classify_concern(
    app: &App,
    grant: &Grant,
    id: i64,
    input: &ClassifyInput,
) -> AppResult<()> {
    expect_any(grant, &[Action::RepairOrderWrite, Action::WorkshopWork])?;
    let code = input
        .concern_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if code.is_some_and(|c| c.chars().count() > 32) {
        return Err(AppError::Invalid(
            Violation::new("concern_code", "text.length")
                .with_detail("32")
                .into(),
        ));
    }
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let now_ms = app.now_ms();
    crate::transaction::run(
        app,
        "repair_order.classify_concern",
        move |mut tx| async move {
            let l = load(&mut tx, grant.reach(), id).await?;
            let before = ConcernClass {
                code: l.row.concern_code.clone(),
                safety_fault: l.row.safety_fault,
            };
            let after = ConcernClass {
                code: code.map(str::to_string),
                safety_fault: input.safety_fault,
            };
            l.order
                .reclassify_concern(&before, &after, reason)
                .map_err(|e| match e {
                    // A missing reason is the input's fault, not the order's state.
                    domain::repair_order::RepairOrderError::ReasonRequired => {
                        AppError::Invalid(Violation::from(e).into())
                    }
                    other => refused(other),
                })?;
            if before == after {
                return Ok((tx, ()));
            }
            store::repair_order::set_concern_class(&mut tx, id, code, input.safety_fault, now_ms)
                .await?;
            store::event::record(
                &mut tx,
                now_ms,
                actor(grant),
                ENTITY,
                id,
                "concern_classified",
                &serde_json::json!({
                    "before": {"concern_code": before.code, "safety_fault": before.safety_fault},
                    "after": {"concern_code": after.code, "safety_fault": after.safety_fault},
                }),
                reason,
            )
            .await?;
            Ok((tx, ()))
        },
    )
    .await
}

/// Marks which quality-inspection checkpoints apply to this job. Needs `RepairOrderWrite`.
pub async fn set_applicable(app: &App, grant: &Grant, id: i64, codes: &[&str]) -> AppResult<()> {
    expect(grant, Action::RepairOrderWrite)?;
    let now_ms = app.now_ms();
    crate::transaction::run(
        app,
        "repair_order.set_applicable",
        move |mut tx| async move {
            let mut l = load(&mut tx, grant.reach(), id).await?;
            l.order.set_applicable(codes).map_err(refused)?;
            save(&mut tx, &l, l.row.late_minutes, l.row.courtesy_car, now_ms).await?;
            store::event::record(
                &mut tx,
                now_ms,
                actor(grant),
                ENTITY,
                id,
                "applicable_set",
                &serde_json::json!({"codes": codes}),
                None,
            )
            .await?;
            Ok((tx, ()))
        },
    )
    .await
}

/// What completing a stage led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Completed {
    /// The stage completed.
    pub stage: Stage,
    /// Minutes late at hand-over (delivery only), when late.
    pub late_minutes: Option<i64>,
    /// A courtesy car is due (delivery only; repair took more than 5 days).
    pub courtesy_car: bool,
}

/// Completes the stage in progress. Refused while a required checkpoint is
/// unchecked; repair also while any line (labour or part) awaits the owner's
/// decision or approved labour is unfinished. Completing delivery records the hand-over,
/// flags a late hand-over and a courtesy car, issues the electronic bill and starts
/// the follow-up, all in one transaction.
/// Needs `RepairOrderWrite`.
pub async fn complete_stage(
    app: &App,
    grant: &Grant,
    id: i64,
    stage: Stage,
) -> AppResult<Completed> {
    expect(grant, Action::RepairOrderWrite)?;
    let now = app.clock.now();
    let now_ms = now.as_millisecond();
    let out = act(app, grant.reach(), id, |mut l, c| async move {
        l.order.complete_stage(stage, now).map_err(refused)?;
        if stage == Stage::Repair
            && let Some(p) = l.lines.iter().find(|x| x.decision == "proposed")
        {
            return Err(refused(
                domain::repair_order::RepairOrderError::ProposedWorkPending(
                    u32::try_from(p.line_no).unwrap_or_default(),
                ),
            ));
        }
        let mut out = Completed {
            stage,
            late_minutes: l.row.late_minutes,
            courtesy_car: l.row.courtesy_car,
        };
        if stage != Stage::Delivery {
            // Nothing but the progress and its event: a write that stands alone.
            let data = stage_data(stage);
            let event = stage_event(grant, "stage_completed", &data);
            advance(app, c, &l, event, now_ms).await?;
            return Ok(out);
        }
        // The hand-over: its own transaction (bill, survey, KPI counters, follow-up),
        // once the reading connection is back.
        drop(c);
        out.late_minutes = l.order.promised_at().and_then(|p| late_handover(p, now));
        l.order.start_stage(Stage::FollowUp, now).map_err(refused)?;
        let l = &l;
        crate::transaction::run(
            app,
            "repair_order.complete_stage",
            move |mut tx| async move {
                let mut out = out;
                // One rule with the pages (Art 21, quality repairs, through the 包修期).
                out.courtesy_car =
                    crate::guarantee::view::courtesy_car_arose(&mut tx, l.row.vehicle_id, id, now)
                        .await?;
                save(&mut tx, l, out.late_minutes, out.courtesy_car, now_ms).await?;
                record_stage(&mut tx, grant, id, "stage_completed", stage, now_ms).await?;
                store::event::record(
                    &mut tx,
                    now_ms,
                    actor(grant),
                    ENTITY,
                    id,
                    "delivered",
                    &serde_json::json!({
                        "late_minutes": out.late_minutes, "courtesy_car": out.courtesy_car,
                        "promised_at": l.row.promised_at,
                    }),
                    None,
                )
                .await?;
                crate::billing::issue_at_delivery(&mut tx, now_ms, actor(grant), l).await?;
                crate::survey::after_delivery(&mut tx, id, now_ms).await?;
                crate::kpi::record::order_delivered(&mut tx, id).await?;
                record_stage(&mut tx, grant, id, "stage_started", Stage::FollowUp, now_ms).await?;
                Ok((tx, out))
            },
        )
        .await
    })
    .await?;
    if stage == Stage::Delivery {
        // Counted once the delivery is committed, so a refused hand-over counts nothing.
        metrics::counter!("repair_orders_delivered_total").increment(1);
    }
    Ok(out)
}

/// Issues the owner's transparent-workshop link token (256 random bits; only its
/// SHA-256 is stored) and sends it to the owner through the outbox, in the same
/// transaction, on the owner's channel (WeChat, else SMS). A new token replaces any
/// earlier one. Needs `RepairOrderWrite`.
pub async fn issue_owner_link(app: &App, grant: &Grant, id: i64) -> AppResult<String> {
    expect(grant, Action::RepairOrderWrite)?;
    let now_ms = app.now_ms();
    crate::transaction::run(
        app,
        "repair_order.issue_owner_link",
        move |mut tx| async move {
            let row = store::repair_order::get(&mut tx, grant.reach(), id).await?;
            let token = crate::auth::new_secret();
            let customer = store::customer::get(&mut tx, &Reach::All, row.customer_id).await?;
            let (phone, _) = store::appointment::customer_contact(&mut tx, row.customer_id).await?;
            let plate = store::vehicle::get(&mut tx, &Reach::All, row.vehicle_id)
                .await?
                .plate;
            store::outbox::enqueue(
                &mut tx,
                &format!(
                    "owner-link:{id}:{}",
                    &crate::auth::hash_secret(&token)[..16]
                ),
                owner_link_channel(&customer.channel),
                &phone,
                Some(row.customer_id),
                "owner_link",
                &serde_json::json!({
                    "repair_order_id": id, "plate": plate, "link": format!("/owner/track/{token}"),
                }),
                now_ms,
            )
            .await?;
            store::repair_order::set_owner_token(
                &mut tx,
                id,
                Some(&crate::auth::hash_secret(&token)),
                now_ms,
            )
            .await?;
            store::event::record(
                &mut tx,
                now_ms,
                actor(grant),
                ENTITY,
                id,
                "owner_link_issued",
                &serde_json::json!({}),
                None,
            )
            .await?;
            Ok((tx, token))
        },
    )
    .await
}

pub use crate::notify::owner_link_channel;

/// Whether `token` is the live owner link of order `id` (a page showing a link it was
/// handed checks it first). Needs `RepairOrderRead`.
pub async fn owner_link_is_live(app: &App, grant: &Grant, id: i64, token: &str) -> AppResult<bool> {
    expect(grant, Action::RepairOrderRead)?;
    let mut c = conn(app).await?;
    store::repair_order::get(&mut c, grant.reach(), id).await?;
    Ok(
        match store::repair_order::by_token_hash(&mut c, &crate::auth::hash_secret(token)).await {
            Ok(r) => r.id == id && r.owner_link_active,
            Err(store::StoreError::NotFound) => false,
            Err(e) => return Err(e.into()),
        },
    )
}

/// Revokes the owner link; the old token then finds nothing. Needs `RepairOrderWrite`.
pub async fn revoke_owner_link(app: &App, grant: &Grant, id: i64) -> AppResult<()> {
    expect(grant, Action::RepairOrderWrite)?;
    let now_ms = app.now_ms();
    crate::transaction::run(
        app,
        "repair_order.revoke_owner_link",
        move |mut tx| async move {
            store::repair_order::get(&mut tx, grant.reach(), id).await?;
            store::repair_order::set_owner_token(&mut tx, id, None, now_ms).await?;
            store::event::record(
                &mut tx,
                now_ms,
                actor(grant),
                ENTITY,
                id,
                "owner_link_revoked",
                &serde_json::json!({}),
                None,
            )
            .await?;
            Ok((tx, ()))
        },
    )
    .await
}

/// What the owner sees from the link (掌上车间): stages live with timings, checkpoint
/// notes, and the estimate lines with their prices and decisions.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerView {
    /// Order id.
    pub order_id: i64,
    /// Station.
    pub station_id: i64,
    /// `open` or `delivered`.
    pub state: String,
    /// Stage in progress.
    pub current_stage: Option<String>,
    /// Promised completion, UTC ms.
    pub promised_at: Option<i64>,
    /// Timings of started stages.
    pub timings: Vec<StageTiming>,
    /// Checked checkpoints with the technicians' notes.
    pub checkpoints: Vec<CheckpointRow>,
    /// Estimate lines.
    pub lines: Vec<EstimateLineRow>,
}

/// The order behind an owner link; no sign-in needed, the token is the capability.
/// An unknown or revoked token is [`AppError::NotFound`].
pub async fn owner_view(app: &App, token: &str) -> AppResult<OwnerView> {
    let now = app.clock.now();
    let mut c = conn(app).await?;
    let l = owner_order(app, &mut c, token).await?;
    let v = view(l, now);
    Ok(OwnerView {
        order_id: v.order.id,
        station_id: v.order.station_id,
        state: v.order.state,
        current_stage: v.order.current_stage,
        promised_at: v.order.promised_at,
        timings: v.timings,
        checkpoints: v.checkpoints,
        lines: v
            .lines
            .into_iter()
            .map(|mut x| {
                x.technician_id = None;
                // The link may be forwarded: the owner's own pages leave out the
                // signature and the client address (the owner's download keeps them).
                x.decision_ip = None;
                x.signature_ref = None;
                x
            })
            .collect(),
    })
}
