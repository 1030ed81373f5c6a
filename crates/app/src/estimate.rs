//! Estimates (估价单, price transparency): labour lines at the station's rate and part
//! lines at catalogue price, each approved or declined with a record of who, when and
//! how; the promised completion is set at the first approval; comeback orders get
//! free lines. Work found during repair is extra and blocks repair completion until
//! the owner decides.

use crate::labour::lookup;
use crate::network::expect;
use crate::repair_order::load::{ENTITY, Loaded, load, order_calendar, owner_order, save};
use crate::shared::{refused, ts};
use crate::{App, AppError, AppResult, actor, conn};
use domain::calendar::ClockMode;
use domain::estimate::{ApprovalChannel, ApprovalRecord, Invoice, LineItem, Totals};
use domain::money::Money;
use domain::permission::{Action, Grant};
use domain::repair_order::{RepairOrderError, Stage, eta};
use domain::{Violation, Violations};
use serde::{Deserialize, Serialize};
pub use store::estimate::EstimateLineRow;
use store::event::Actor;

/// A line to add.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LineInput {
    /// `labour` or `part`.
    pub kind: String,
    /// Labour operation code (from the catalogue) or part number.
    pub code: String,
    /// Labour hours in hundredths (default: the operation's standard hours) or part
    /// quantity in hundredths (default 100 = one piece).
    pub hundredths: Option<i64>,
    /// Part unit price in fen (required for parts; labour uses the station rate).
    pub unit_price_fen: Option<i64>,
}

/// Adds a proposed line; returns its number. On a comeback order the line is free.
/// During repair it is extra work. Needs `RepairOrderWrite`.
pub async fn add_line(
    app: &App,
    grant: &Grant,
    order_id: i64,
    input: &LineInput,
) -> AppResult<u32> {
    expect(grant, Action::RepairOrderWrite)?;
    let now_ms = app.now_ms();
    crate::transaction::run(app, "estimate.add_line", move |mut tx| async move {
        let mut l = load(&mut tx, grant.reach(), order_id).await?;
        let code = input.code.trim().to_string();
        let item = match input.kind.as_str() {
            "labour" => {
                let op = lookup(&mut tx, "code", &code).await?;
                let hundredths = input.hundredths.unwrap_or(op.standard_hundredths);
                LineItem::Labour {
                    operation_code: op.code,
                    hundredths,
                    hourly_rate: Money::from_fen(l.row.hourly_rate_fen),
                }
            }
            "part" => {
                // A catalogued part is priced from the catalogue, whatever was sent; a part
                // not (yet) in the catalogue needs its price stated.
                let catalogued = store::part::by_number(&mut tx, &code).await?;
                let price = match (catalogued, input.unit_price_fen) {
                    (Some(p), _) => p.price_fen,
                    (None, Some(price)) => price,
                    // Whether the price is needed depends on the catalogue, which
                    // no schema states: refused (409) naming the field.
                    (None, None) => {
                        return Err(AppError::Refused(
                            Violation::new("unit_price_fen", "required").into(),
                        ));
                    }
                };
                LineItem::Part {
                    part_number: code.clone(),
                    quantity_hundredths: input.hundredths.unwrap_or(100),
                    unit_price: Money::from_fen(price),
                }
            }
            _ => {
                return Err(AppError::Invalid(
                    Violation::new("kind", "estimate.kind_unknown").into(),
                ));
            }
        };
        let no = if l.row.comeback_of.is_some() {
            l.estimate.add_comeback(item.clone())
        } else {
            l.estimate.add(item.clone())
        }
        .map_err(|e| AppError::Invalid(Violations::from(Violation::from(e))))?;
        if let LineItem::Labour {
            operation_code,
            hundredths,
            ..
        } = &item
        {
            l.order
                .propose_line(operation_code, *hundredths)
                .map_err(refused)?;
        } else if l.order.progress(Stage::Repair).completed_at.is_some() {
            return Err(refused(RepairOrderError::RepairComplete));
        }
        let extra = l.order.progress(Stage::Repair).started_at.is_some();
        let line = l
            .estimate
            .line(no)
            .ok_or_else(|| AppError::Internal("line just added".into()))?;
        let (kind, hundredths, unit) = match &item {
            LineItem::Labour {
                hundredths,
                hourly_rate,
                ..
            } => ("labour", *hundredths, hourly_rate.fen()),
            LineItem::Part {
                quantity_hundredths,
                unit_price,
                ..
            } => ("part", *quantity_hundredths, unit_price.fen()),
        };
        let row = EstimateLineRow {
            line_no: i64::from(no),
            kind: kind.into(),
            code: code.clone(),
            hundredths,
            unit_price_fen: unit,
            amount_fen: line.charge().fen(),
            decision: "proposed".into(),
            decided_by: None,
            decided_at: None,
            decision_channel: None,
            decision_ip: None,
            signature_ref: None,
            reoffer_of: None,
            comeback: line.comeback,
            extra,
            work: "not_started".into(),
            done: false,
            technician_id: None,
        };
        store::estimate::insert(&mut tx, order_id, &row, now_ms).await?;
        save(&mut tx, &l, l.row.late_minutes, l.row.courtesy_car, now_ms).await?;
        store::event::record(
            &mut tx,
            now_ms,
            actor(grant),
            ENTITY,
            order_id,
            "line_added",
            &serde_json::json!({
                "line": no, "kind": kind, "code": code, "hundredths": hundredths,
                "amount_fen": row.amount_fen, "extra": extra, "comeback": row.comeback,
            }),
            None,
        )
        .await?;
        Ok((tx, no))
    })
    .await
}

/// Who decided a line and how.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DecisionInput {
    /// Who decided (the owner's name, or the advisor confirming in person).
    pub by: String,
    /// `desk_signature`, `owner_page` or `in_person`.
    pub channel: String,
    /// Client IP for owner-page decisions.
    pub ip: Option<String>,
    /// Reference to the stored signature image.
    pub signature_ref: Option<String>,
    /// Promised completion (UTC ms) set with the first approval; without it the ETA
    /// from the stage standards on the station's business hours is promised.
    pub promised_at: Option<i64>,
}

/// Approves a proposed line. Needs `RepairOrderWrite`.
pub async fn approve(
    app: &App,
    grant: &Grant,
    order_id: i64,
    line_no: u32,
    input: &DecisionInput,
) -> AppResult<()> {
    expect(grant, Action::RepairOrderWrite)?;
    crate::transaction::run(app, "estimate.approve", move |mut tx| async move {
        let mut l = load(&mut tx, grant.reach(), order_id).await?;
        decide(app, &mut tx, actor(grant), &mut l, line_no, true, input).await?;
        Ok((tx, ()))
    })
    .await
}

/// Declines a proposed line (it may be offered again later). Needs `RepairOrderWrite`.
pub async fn decline(
    app: &App,
    grant: &Grant,
    order_id: i64,
    line_no: u32,
    input: &DecisionInput,
) -> AppResult<()> {
    expect(grant, Action::RepairOrderWrite)?;
    crate::transaction::run(app, "estimate.decline", move |mut tx| async move {
        let mut l = load(&mut tx, grant.reach(), order_id).await?;
        decide(app, &mut tx, actor(grant), &mut l, line_no, false, input).await?;
        Ok((tx, ()))
    })
    .await
}

/// The owner decides a line from the owner link (channel `owner_page`, with the
/// client's IP). An unknown or revoked token is [`AppError::NotFound`].
pub async fn owner_decide(
    app: &App,
    token: &str,
    line_no: u32,
    approve: bool,
    ip: Option<&str>,
) -> AppResult<()> {
    crate::transaction::run(app, "estimate.owner_decide", move |mut tx| async move {
        let mut l = owner_order(app, &mut tx, token).await?;
        let input = DecisionInput {
            by: format!("customer:{}", l.row.customer_id),
            channel: ApprovalChannel::OwnerPage.code().into(),
            ip: ip.map(str::to_string),
            signature_ref: None,
            promised_at: None,
        };
        let who = Actor {
            role: "owner",
            id: l.row.customer_id,
            kind: "person",
        };
        decide(app, &mut tx, who, &mut l, line_no, approve, &input).await?;
        Ok((tx, ()))
    })
    .await
}

async fn decide(
    app: &App,
    tx: &mut sqlx::AnyConnection,
    who: Actor<'_>,
    l: &mut Loaded,
    line_no: u32,
    approve: bool,
    input: &DecisionInput,
) -> AppResult<()> {
    let now = app.clock.now();
    let now_ms = now.as_millisecond();
    let Some(channel) = ApprovalChannel::from_code(input.channel.trim()) else {
        return Err(AppError::Invalid(
            Violation::new("channel", "estimate.channel_unknown").into(),
        ));
    };
    let record = ApprovalRecord {
        by: input.by.trim().to_string(),
        at: now,
        channel,
        ip: input.ip.clone(),
        signature_ref: input.signature_ref.clone(),
    };
    let labour = l
        .lines
        .iter()
        .any(|x| x.line_no == i64::from(line_no) && x.kind == "labour");
    if approve {
        l.estimate
            .approve(line_no, record.clone())
            .map_err(refused)?;
        if labour {
            l.order.approve_line(line_no).map_err(refused)?;
        }
    } else {
        l.estimate
            .decline(line_no, record.clone())
            .map_err(refused)?;
        if labour {
            l.order.decline_line(line_no).map_err(refused)?;
        }
    }
    if approve && labour && l.order.promised_at().is_none() {
        let promised = match input.promised_at {
            Some(ms) => ts(ms)?,
            None => {
                let cal = order_calendar(tx, l.row.station_id).await?;
                eta(
                    l.order.standard(),
                    l.order.labour_minutes(),
                    &l.order.events(),
                    now,
                    &cal,
                    ClockMode::Business,
                )
                .map_err(refused)?
            }
        };
        l.order.promise(promised).map_err(refused)?;
    }
    let decision = if approve { "approved" } else { "declined" };
    store::estimate::decide(
        tx,
        l.row.id,
        i64::from(line_no),
        decision,
        &record.by,
        now_ms,
        channel.code(),
        record.ip.as_deref(),
        record.signature_ref.as_deref(),
    )
    .await?;
    save(tx, l, l.row.late_minutes, l.row.courtesy_car, now_ms).await?;
    store::event::record(
        tx,
        now_ms,
        who,
        ENTITY,
        l.row.id,
        if approve {
            "line_approved"
        } else {
            "line_declined"
        },
        &serde_json::json!({
            "line": line_no, "by": record.by, "channel": channel.code(), "ip": record.ip,
            "signature_ref": record.signature_ref,
            "promised_at": l.order.promised_at().map(|t| t.as_millisecond()),
        }),
        None,
    )
    .await?;
    Ok(())
}

/// Offers a declined line again as a new proposed line; returns its number.
/// Needs `RepairOrderWrite`.
pub async fn reoffer(app: &App, grant: &Grant, order_id: i64, line_no: u32) -> AppResult<u32> {
    expect(grant, Action::RepairOrderWrite)?;
    let now_ms = app.now_ms();
    crate::transaction::run(app, "estimate.reoffer", move |mut tx| async move {
        let mut l = load(&mut tx, grant.reach(), order_id).await?;
        let no = l.estimate.repropose(line_no).map_err(refused)?;
        let old = l
            .lines
            .iter()
            .find(|x| x.line_no == i64::from(line_no))
            .cloned()
            .ok_or_else(|| AppError::Internal("declined line row".into()))?;
        if old.kind == "labour" {
            l.order
                .propose_line(&old.code, old.hundredths)
                .map_err(refused)?;
        } else if l.order.progress(Stage::Repair).completed_at.is_some() {
            return Err(refused(RepairOrderError::RepairComplete));
        }
        let row = EstimateLineRow {
            line_no: i64::from(no),
            decision: "proposed".into(),
            decided_by: None,
            decided_at: None,
            decision_channel: None,
            decision_ip: None,
            signature_ref: None,
            reoffer_of: Some(i64::from(line_no)),
            extra: l.order.progress(Stage::Repair).started_at.is_some(),
            work: "not_started".into(),
            done: false,
            technician_id: None,
            ..old
        };
        store::estimate::insert(&mut tx, order_id, &row, now_ms).await?;
        save(&mut tx, &l, l.row.late_minutes, l.row.courtesy_car, now_ms).await?;
        store::event::record(
            &mut tx,
            now_ms,
            actor(grant),
            ENTITY,
            order_id,
            "line_reoffered",
            &serde_json::json!({"line": no, "reoffer_of": line_no}),
            None,
        )
        .await?;
        Ok((tx, no))
    })
    .await
}

/// An estimate with its totals and the invoice so far.
#[derive(Debug, Clone, Serialize)]
pub struct EstimateView {
    /// The lines as stored (with approval records).
    pub lines: Vec<EstimateLineRow>,
    /// Totals of what is on offer or approved.
    pub quoted: Totals,
    /// Totals of what is approved.
    pub approved: Totals,
    /// Approved and done lines, comebacks free.
    pub invoice: Invoice,
}

/// The estimate of an order. Needs `RepairOrderRead`.
pub async fn view(app: &App, grant: &Grant, order_id: i64) -> AppResult<EstimateView> {
    expect(grant, Action::RepairOrderRead)?;
    let mut c = conn(app).await?;
    let l = load(&mut c, grant.reach(), order_id).await?;
    let role = grant.principal().role;
    Ok(EstimateView {
        quoted: l.estimate.quoted_totals(),
        approved: l.estimate.approved_totals(),
        invoice: l.estimate.invoice(),
        lines: l
            .lines
            .into_iter()
            .map(|x| {
                crate::privacy::estimate_line_view(role, domain::privacy::Relation::InReach, x)
            })
            .collect(),
    })
}
