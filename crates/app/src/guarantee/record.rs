//! Recording what the three guarantees are counted on: an order's clock (Art 40: the
//! agreed-repair and repair-complete instants), its excluded intervals (Art 24 para 3,
//! owner waits), each fault's classification (quality or not, the part, its main part
//! and system, what was done) and its Art 32 exclusion; a vehicle's delivery date
//! (Art 18). Each is one transaction with its timeline event on the order (or vehicle).
//!
//! Bad input is refused whole (422) naming the field and the article:
//! `guarantee.interval_outside` (art40), `guarantee.main_part_unknown` (art24(1)(3)),
//! `guarantee.exclusion_evidence` (art32), …

use super::history::excluded_of;
use crate::input::{Loose, boolean, opt_date, opt_text};
use crate::network::expect;
use crate::shared::{ORDER_ENTITY, instant, ts};
use crate::{App, AppError, AppResult, actor};
use domain::guarantee::exclusion::Exclusion;
use domain::guarantee::main_part::{MainPartList, System};
use domain::guarantee::repair_time::{Excluded, RepairSpan, RepairTimeError};
use domain::permission::{Action, Grant};
use domain::{Violation, Violations};
use jiff::civil::Date;
use serde::Deserialize;
use store::guarantee::line::LineRow;
use store::guarantee::{ExcludedRow, SpanRow};

/// An order's clock as entered: instants as UTC ms, RFC 3339, or `YYYY-MM-DD HH:MM` in
/// the station's zone.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ClockInput {
    /// When owner and repairer agreed the repair.
    #[schema(value_type = String)]
    pub agreed_at: Loose,
    /// When the repair was complete and the owner told to collect (empty: running).
    #[schema(value_type = Option<String>)]
    pub completed_at: Loose,
}

/// An excluded interval as entered.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ExcludedInput {
    /// `battery_transport`, `special_part_transport`, `rescue_travel` or `owner_wait`.
    #[schema(value_type = String)]
    pub kind: Loose,
    /// Start.
    #[schema(value_type = String)]
    pub from: Loose,
    /// End.
    #[schema(value_type = String)]
    pub to: Loose,
    /// Evidence reference (waybill, rescue record, message to the owner).
    #[schema(value_type = String)]
    pub evidence: Loose,
}

/// A fault's classification as entered.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LineInput {
    /// A quality problem (not wear, accident or paid work).
    #[schema(value_type = bool)]
    pub quality: Loose,
    /// The smallest repairable or replaceable part diagnosed (empty: no fault found).
    #[schema(value_type = Option<String>)]
    pub part: Loose,
    /// The system, when one of the ten (`engine`, …, `body`).
    #[schema(value_type = Option<String>)]
    pub system: Loose,
    /// The listed main part within the system.
    #[schema(value_type = Option<String>)]
    pub main_part: Loose,
    /// Concern or fault code, as evidence.
    #[schema(value_type = Option<String>)]
    pub code: Loose,
    /// `repair` (default), `replace_main_part` or `replace_assembly`.
    #[schema(value_type = Option<String>)]
    pub action: Loose,
    /// A serious safety fault.
    #[schema(value_type = Option<bool>)]
    pub serious_safety: Loose,
    /// An Art 23 fault: `steering_failure`, `brake_failure`, `body_crack`, `fuel_leak`,
    /// `battery_fire`.
    #[schema(value_type = Option<String>)]
    pub art23: Loose,
    /// Art 32 ground, when excluded.
    #[schema(value_type = Option<String>)]
    pub exclusion_reason: Loose,
    /// Its explanation.
    #[schema(value_type = Option<String>)]
    pub exclusion_explanation: Loose,
    /// Its evidence.
    #[schema(value_type = Option<String>)]
    pub exclusion_evidence: Loose,
}

/// An Art 32 exclusion as entered.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ExclusionInput {
    /// `disclosed_defect`, `use_against_manual`, `forbidden_modification`,
    /// `improper_handling` or `force_majeure`.
    #[schema(value_type = String)]
    pub reason: Loose,
    /// Explanation in words.
    #[schema(value_type = String)]
    pub explanation: Loose,
    /// Evidence reference.
    #[schema(value_type = String)]
    pub evidence: Loose,
}

/// A vehicle's delivery date as entered (empty clears it).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DeliveryInput {
    /// `YYYY-MM-DD`, the day the car was handed over.
    #[schema(value_type = Option<String>)]
    pub delivered_on: Loose,
}

/// An order within reach, with its vehicle's recorded clock and intervals, read on the
/// writing transaction.
async fn order_state(
    tx: &mut sqlx::AnyConnection,
    grant: &Grant,
    order_id: i64,
) -> AppResult<(
    store::repair_order::RepairOrderRow,
    Option<SpanRow>,
    Vec<ExcludedRow>,
)> {
    let o = store::repair_order::get(tx, grant.reach(), order_id).await?;
    let span = store::guarantee::spans_of_vehicle(tx, o.vehicle_id)
        .await?
        .into_iter()
        .find(|s| s.repair_order_id == order_id);
    let ex = store::guarantee::excluded_of_vehicle(tx, o.vehicle_id)
        .await?
        .into_iter()
        .filter(|e| e.repair_order_id == order_id)
        .collect();
    Ok((o, span, ex))
}

fn invalid(v: impl Into<Violation>) -> AppError {
    AppError::Invalid(Violations::from(v.into()))
}

async fn zone_of(
    c: &mut sqlx::AnyConnection,
    grant: &Grant,
    order_id: i64,
) -> AppResult<jiff::tz::TimeZone> {
    let o = store::repair_order::get(c, grant.reach(), order_id).await?;
    crate::calendar::station_zone(c, o.station_id).await
}

/// Records an order's clock (Art 40). The intervals already recorded must still lie
/// inside it. Needs `RepairOrderWrite`.
pub async fn set_clock(
    app: &App,
    grant: &Grant,
    order_id: i64,
    input: &ClockInput,
) -> AppResult<()> {
    expect(grant, Action::RepairOrderWrite)?;
    let tz = {
        let mut c = crate::conn(app).await?;
        zone_of(&mut c, grant, order_id).await?
    };
    let mut v = Violations::new();
    let agreed = instant(&mut v, "agreed_at", &input.agreed_at, &tz);
    let completed = match &input.completed_at {
        Loose::Null => Some(None),
        Loose::String(s) if s.trim().is_empty() => Some(None),
        other => instant(&mut v, "completed_at", other, &tz).map(Some),
    };
    v.into_result()?;
    let (Some(agreed), Some(completed)) = (agreed, completed) else {
        return Err(invalid(Violation::new("agreed_at", "required")));
    };
    let now = app.now_ms();
    crate::transaction::run(app, "guarantee.set_clock", move |mut tx| async move {
        let (o, _, ex) = order_state(&mut tx, grant, order_id).await?;
        let intervals = ex.iter().map(excluded_of).collect::<AppResult<Vec<_>>>()?;
        RepairSpan::new(agreed, completed, intervals).map_err(invalid)?;
        let row = SpanRow {
            repair_order_id: o.id,
            agreed_at: agreed.as_millisecond(),
            completed_at: completed.map(|c| c.as_millisecond()),
        };
        store::guarantee::put_span(&mut tx, &row, now).await?;
        let data =
            serde_json::json!({"agreed_at": row.agreed_at, "completed_at": row.completed_at});
        store::event::record(
            &mut tx,
            now,
            actor(grant),
            ORDER_ENTITY,
            o.id,
            "guarantee_clock_set",
            &data,
            None,
        )
        .await?;
        Ok((tx, ()))
    })
    .await
}

/// Records an excluded interval of an order; it must lie inside the repair and overlap
/// no other (422 naming `from`/`to`, article 40). Needs `RepairOrderWrite`.
pub async fn add_excluded(
    app: &App,
    grant: &Grant,
    order_id: i64,
    input: &ExcludedInput,
) -> AppResult<i64> {
    expect(grant, Action::RepairOrderWrite)?;
    let tz = {
        let mut c = crate::conn(app).await?;
        zone_of(&mut c, grant, order_id).await?
    };
    let mut v = Violations::new();
    let kind = opt_text(&mut v, "kind", &input.kind, 40).flatten();
    let kind = match kind {
        Some(k) if super::history::excluded_kind(&k).is_some() => Some(k),
        Some(_) => {
            v.push(Violation::new("kind", "guarantee.excluded_kind").with_detail("art24(3)"));
            None
        }
        None => {
            v.push(Violation::new("kind", "required"));
            None
        }
    };
    let from = instant(&mut v, "from", &input.from, &tz);
    let to = instant(&mut v, "to", &input.to, &tz);
    let evidence = opt_text(&mut v, "evidence", &input.evidence, 500).flatten();
    if evidence.is_none() && !v.0.iter().any(|x| x.field == "evidence") {
        v.push(Violation::new("evidence", "guarantee.excluded_evidence").with_detail("art24(3)"));
    }
    v.into_result()?;
    let (Some(kind), Some(from), Some(to), Some(evidence)) = (kind, from, to, evidence) else {
        return Err(invalid(Violation::new("kind", "required")));
    };
    let now = app.now_ms();
    let (kind, evidence) = (&kind, &evidence);
    crate::transaction::run(app, "guarantee.add_excluded", move |mut tx| async move {
        let (o, span, ex) = order_state(&mut tx, grant, order_id).await?;
        let (agreed, completed) = match &span {
            Some(s) => (s.agreed_at, s.completed_at.or(o.delivered_at)),
            None => (o.received_at, o.delivered_at),
        };
        let mut intervals = ex.iter().map(excluded_of).collect::<AppResult<Vec<_>>>()?;
        let new_index = intervals.len();
        let kind_value = super::history::excluded_kind(kind)
            .ok_or_else(|| invalid(Violation::new("kind", "guarantee.excluded_kind")))?;
        intervals.push(Excluded { kind: kind_value, from, to });
        if let Err(e) = RepairSpan::new(ts(agreed)?, completed.map(ts).transpose()?, intervals) {
            return Err(invalid(name_new(e, new_index)));
        }
        let row = ExcludedRow {
            id: 0,
            repair_order_id: o.id,
            kind: kind.clone(),
            from_at: from.as_millisecond(),
            to_at: to.as_millisecond(),
            evidence: evidence.clone(),
        };
        let id = store::guarantee::insert_excluded(&mut tx, &row, Some(grant.principal().id), now).await?;
        let data = serde_json::json!({"id": id, "kind": kind, "from_at": row.from_at, "to_at": row.to_at, "evidence": evidence});
        store::event::record(&mut tx, now, actor(grant), ORDER_ENTITY, o.id, "guarantee_excluded_added", &data, None)
            .await?;
        Ok((tx, id))
    })
    .await
}

/// The domain's refusal, naming the new interval's own fields.
fn name_new(e: RepairTimeError, new_index: usize) -> Violation {
    let mut v = Violation::from(e);
    let field = match e {
        RepairTimeError::IntervalReversed(i) if i == new_index => Some("to"),
        RepairTimeError::IntervalOutside(i) if i == new_index => Some("from"),
        RepairTimeError::IntervalsOverlap(i, j) if i == new_index || j == new_index => Some("from"),
        _ => None,
    };
    if let Some(f) = field {
        v.field = f.into();
    }
    v
}

/// Removes an excluded interval of an order. Needs `RepairOrderWrite`.
pub async fn remove_excluded(app: &App, grant: &Grant, order_id: i64, id: i64) -> AppResult<()> {
    expect(grant, Action::RepairOrderWrite)?;
    let now = app.now_ms();
    crate::transaction::run(app, "guarantee.remove_excluded", move |mut tx| async move {
        let o = store::repair_order::get(&mut tx, grant.reach(), order_id).await?;
        if !store::guarantee::delete_excluded(&mut tx, o.id, id).await? {
            return Err(AppError::NotFound);
        }
        store::event::record(
            &mut tx,
            now,
            actor(grant),
            ORDER_ENTITY,
            o.id,
            "guarantee_excluded_removed",
            &serde_json::json!({"id": id}),
            None,
        )
        .await?;
        Ok((tx, ()))
    })
    .await
}

/// Checks an exclusion as entered (all three or none given; `required_all` when one
/// must be given).
fn exclusion(
    v: &mut Violations,
    reason: &Loose,
    explanation: &Loose,
    evidence: &Loose,
    required_all: bool,
) -> Option<Option<(String, String, String)>> {
    let r = opt_text(v, "reason", reason, 40)?;
    let x = opt_text(v, "explanation", explanation, 1000)?;
    let e = opt_text(v, "evidence", evidence, 500)?;
    if !required_all && r.is_none() && x.is_none() && e.is_none() {
        return Some(None);
    }
    let Some(r) = r else {
        v.push(Violation::new("reason", "guarantee.exclusion_reason").with_detail("art32"));
        return None;
    };
    let Some(ground) = super::history::exclusion_reason(&r) else {
        v.push(Violation::new("reason", "guarantee.exclusion_reason").with_detail("art32"));
        return None;
    };
    match Exclusion::new(
        ground,
        x.as_deref().unwrap_or(""),
        e.as_deref().unwrap_or(""),
    ) {
        Ok(ex) => Some(Some((r, ex.explanation().into(), ex.evidence().into()))),
        Err(err) => {
            v.push(Violation::from(err));
            None
        }
    }
}

/// Checks a classification as entered into a row for `order_id`; a main part must be
/// one of `parts` (the stored list) and not retired.
pub fn parse_line(
    input: &LineInput,
    order_id: i64,
    parts: &MainPartList,
) -> Result<LineRow, Violations> {
    let mut v = Violations::new();
    let quality = boolean(&mut v, "quality", &input.quality);
    let part = opt_text(&mut v, "part", &input.part, 80).flatten();
    let system = opt_text(&mut v, "system", &input.system, 40).flatten();
    let main_part = opt_text(&mut v, "main_part", &input.main_part, 80).flatten();
    let code = opt_text(&mut v, "code", &input.code, 40).flatten();
    let action = opt_text(&mut v, "action", &input.action, 40)
        .flatten()
        .unwrap_or_else(|| "repair".into());
    let serious = boolean(&mut v, "serious_safety", &input.serious_safety);
    let art23 = opt_text(&mut v, "art23", &input.art23, 40).flatten();
    let sys = match system.as_deref() {
        Some(s) => match System::from_code(s) {
            Some(s) => Some(s),
            None => {
                v.push(
                    Violation::new("system", "guarantee.system_unknown").with_detail("art24(1)(3)"),
                );
                None
            }
        },
        None => None,
    };
    if let Some(code) = main_part.as_deref() {
        match sys {
            Some(s) => {
                if let Err(e) = parts.choose(s, code) {
                    v.push(Violation::from(e));
                }
            }
            None => v.push(Violation::new("system", "required").with_detail("art24(1)(3)")),
        }
    }
    match action.as_str() {
        "repair" => {}
        "replace_main_part" if main_part.is_none() => {
            v.push(Violation::new("main_part", "required").with_detail("art24(1)(3)"));
        }
        "replace_main_part" => {}
        "replace_assembly" if !sys.is_some_and(System::is_assembly) => {
            v.push(Violation::new("system", "guarantee.not_assembly").with_detail("art24(1)(2)"));
        }
        "replace_assembly" => {}
        _ => v.push(Violation::new("action", "guarantee.action_unknown")),
    }
    if let Some(a) = art23.as_deref()
        && super::history::art23_fault(a).is_none()
    {
        v.push(Violation::new("art23", "guarantee.art23_unknown").with_detail("art23"));
    }
    let mut ev = Violations::new();
    let ex = exclusion(
        &mut ev,
        &input.exclusion_reason,
        &input.exclusion_explanation,
        &input.exclusion_evidence,
        false,
    );
    for mut x in ev.0 {
        x.field = format!("exclusion_{}", x.field);
        v.push(x);
    }
    v.into_result()?;
    let ex = ex.flatten();
    Ok(LineRow {
        id: 0,
        repair_order_id: order_id,
        quality: quality.unwrap_or(false),
        part,
        system,
        main_part,
        code,
        action,
        serious_safety: serious.unwrap_or(false),
        art23,
        exclusion_reason: ex.as_ref().map(|e| e.0.clone()),
        exclusion_explanation: ex.as_ref().map(|e| e.1.clone()),
        exclusion_evidence: ex.map(|e| e.2),
    })
}

/// Records one classified fault of an order. Needs `RepairOrderWrite`.
pub async fn classify(
    app: &App,
    grant: &Grant,
    order_id: i64,
    input: &LineInput,
) -> AppResult<i64> {
    expect(grant, Action::RepairOrderWrite)?;
    let parts = {
        let mut c = crate::conn(app).await?;
        super::main_part::load(&mut c).await?
    };
    let row = parse_line(input, order_id, &parts)?;
    let now = app.now_ms();
    let row = &row;
    crate::transaction::run(app, "guarantee.classify", move |mut tx| async move {
        let o = store::repair_order::get(&mut tx, grant.reach(), order_id).await?;
        let id =
            store::guarantee::line::insert(&mut tx, row, Some(grant.principal().id), now).await?;
        let data = serde_json::json!({
            "id": id, "quality": row.quality, "part": row.part, "system": row.system,
            "main_part": row.main_part, "action": row.action, "serious_safety": row.serious_safety,
            "art23": row.art23, "exclusion_reason": row.exclusion_reason,
        });
        store::event::record(
            &mut tx,
            now,
            actor(grant),
            ORDER_ENTITY,
            o.id,
            "guarantee_line_classified",
            &data,
            None,
        )
        .await?;
        Ok((tx, id))
    })
    .await
}

/// Records (or, with `None`, clears) the Art 32 exclusion of a classified fault; the
/// ground, explanation and evidence are all required. Needs `RepairOrderWrite`.
pub async fn set_exclusion(
    app: &App,
    grant: &Grant,
    order_id: i64,
    line_id: i64,
    input: Option<&ExclusionInput>,
) -> AppResult<()> {
    expect(grant, Action::RepairOrderWrite)?;
    let ex = match input {
        Some(i) => {
            let mut v = Violations::new();
            let ex = exclusion(&mut v, &i.reason, &i.explanation, &i.evidence, true);
            v.into_result()?;
            ex.flatten()
        }
        None => None,
    };
    let now = app.now_ms();
    let ex = &ex;
    crate::transaction::run(app, "guarantee.set_exclusion", move |mut tx| async move {
        let o = store::repair_order::get(&mut tx, grant.reach(), order_id).await?;
        let (r, x, e) = match ex {
            Some((r, x, e)) => (Some(r.as_str()), Some(x.as_str()), Some(e.as_str())),
            None => (None, None, None),
        };
        if !store::guarantee::line::set_exclusion(&mut tx, o.id, line_id, r, x, e, now).await? {
            return Err(AppError::NotFound);
        }
        let kind = if ex.is_some() {
            "guarantee_exclusion_set"
        } else {
            "guarantee_exclusion_cleared"
        };
        let data =
            serde_json::json!({"line": line_id, "reason": r, "explanation": x, "evidence": e});
        store::event::record(
            &mut tx,
            now,
            actor(grant),
            ORDER_ENTITY,
            o.id,
            kind,
            &data,
            None,
        )
        .await?;
        Ok((tx, ()))
    })
    .await
}

/// Records (or clears) a vehicle's delivery date, from which its periods run when it
/// differs from the invoice (Art 18). Needs `VehicleWrite`.
pub async fn set_delivered_on(
    app: &App,
    grant: &Grant,
    vehicle_id: i64,
    input: &DeliveryInput,
) -> AppResult<()> {
    expect(grant, Action::VehicleWrite)?;
    let mut v = Violations::new();
    let on = opt_date(
        &mut v,
        "delivered_on",
        &input.delivered_on,
        Date::MIN,
        Date::MAX,
    );
    v.into_result()?;
    let on = on.flatten();
    let now = app.now_ms();
    crate::transaction::run(
        app,
        "guarantee.set_delivered_on",
        move |mut tx| async move {
            let veh = store::vehicle::get(&mut tx, grant.reach(), vehicle_id).await?;
            let invoice: Option<Date> = veh.purchase_date.parse().ok();
            if let (Some(d), Some(i)) = (on, invoice)
                && d < i
            {
                return Err(invalid(
                    Violation::new("delivered_on", "guarantee.delivered_before_invoice")
                        .with_detail("art18"),
                ));
            }
            let text = on.map(|d| d.to_string());
            store::guarantee::set_delivered_on(&mut tx, veh.id, text.as_deref()).await?;
            store::event::record(
                &mut tx,
                now,
                actor(grant),
                "vehicle",
                veh.id,
                "guarantee_delivered_on_set",
                &serde_json::json!({"delivered_on": text}),
                None,
            )
            .await?;
            Ok((tx, ()))
        },
    )
    .await
}
