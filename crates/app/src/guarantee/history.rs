//! A vehicle's history as the domain's three-guarantees model reads it: its windows
//! (Art 18, from the delivery date when recorded) and one [`Visit`] per repair order,
//! built from the recorded clock, excluded intervals and classified faults.
//!
//! Two fallbacks, both chosen to hide no right:
//! - An order without a recorded clock runs from reception to hand-over (the agreed
//!   repair and the repair-complete instants are then unknown; recording them can only
//!   shorten the repair).
//! - An order whose faults are not classified yet, of a service type that repairs a
//!   quality problem (repair, warranty), counts as one quality problem of its own part
//!   `order:<id>`: its days count (and raise the courtesy car from day 6), but it never
//!   matches another order as "the same problem" until diagnosis names the part.
//!   Maintenance, accident body work and other paid work count for nothing.

use std::collections::BTreeMap;

use crate::calendar::station_zone;
use crate::shared::ts;
use crate::{AppError, AppResult};
use domain::appointment::ServiceType;
use domain::guarantee::battery::{BatteryCheck, FadePromise, HeldCheck};
use domain::guarantee::exclusion::{Exclusion, ExclusionReason};
use domain::guarantee::main_part::{MainPart, System};
use domain::guarantee::period::{Coverage, Policy};
use domain::guarantee::repair_time::{Excluded, ExcludedKind, RepairSpan};
use domain::guarantee::right::{Action, Art23Fault, Line, Vehicle, Visit};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use store::guarantee::battery::CheckRow;
use store::guarantee::line::LineRow;
use store::guarantee::{ExcludedRow, SpanRow};
use store::repair_order::vehicle_history::VehicleOrderRow;

/// Everything recorded about one vehicle's three guarantees.
pub(crate) struct History {
    /// The vehicle.
    pub vehicle: store::vehicle::Vehicle,
    /// Its station's zone (local dates of the windows).
    pub tz: TimeZone,
    /// The delivery date, if recorded.
    pub delivered_on: Option<Date>,
    /// The policy in force.
    pub policy: Policy,
    /// Its windows.
    pub coverage: Coverage,
    /// Latest odometer reading (0 without one: judged by date only).
    pub odometer_km: u32,
    /// Every order, oldest first.
    pub orders: Vec<VehicleOrderRow>,
    /// Recorded clocks by order.
    pub spans: BTreeMap<i64, SpanRow>,
    /// Excluded intervals.
    pub excluded: Vec<ExcludedRow>,
    /// Classified faults.
    pub lines: Vec<LineRow>,
    /// The domain's visits, one per order.
    pub visits: Vec<Visit>,
    /// The battery checks as held to their promise (EVs only).
    pub battery: Vec<HeldCheck>,
}

impl History {
    /// The domain's vehicle side.
    pub fn vehicle_side(&self) -> Vehicle {
        Vehicle {
            coverage: self.coverage,
            policy: self.policy,
        }
    }
}

/// The parsed date of a stored `YYYY-MM-DD`.
fn stored_date(text: &str, what: &str) -> AppResult<Date> {
    text.parse()
        .map_err(|e| AppError::Internal(format!("{what} {text}: {e}")))
}

/// Loads a vehicle's whole history (every order, at every station).
pub(crate) async fn load(
    c: &mut sqlx::AnyConnection,
    vehicle: store::vehicle::Vehicle,
) -> AppResult<History> {
    let policy = super::policy::load(c).await?.policy;
    let tz = station_zone(c, vehicle.station_id).await?;
    let delivered_on = match store::guarantee::delivered_on(c, vehicle.id).await? {
        Some(d) => Some(stored_date(&d, "delivery date")?),
        None => None,
    };
    let invoice_on = stored_date(&vehicle.purchase_date, "purchase date")?;
    let coverage = Coverage::new(invoice_on, delivered_on, &policy)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let readings = store::vehicle::readings(c, vehicle.id).await?;
    let odometer_km = readings
        .last()
        .map_or(0, |r| u32::try_from(r.km.max(0)).unwrap_or(u32::MAX));
    let orders = store::repair_order::vehicle_history::orders_of_vehicle(c, vehicle.id).await?;
    let spans: BTreeMap<i64, SpanRow> = store::guarantee::spans_of_vehicle(c, vehicle.id)
        .await?
        .into_iter()
        .map(|s| (s.repair_order_id, s))
        .collect();
    let excluded = store::guarantee::excluded_of_vehicle(c, vehicle.id).await?;
    let lines = store::guarantee::line::of_vehicle(c, vehicle.id).await?;
    let mut visits = Vec::with_capacity(orders.len());
    for o in &orders {
        let span = span_of(o, spans.get(&o.id), &excluded)?;
        let agreed = span.agreed_at();
        // The reading taken at reception: the last one recorded by the agreement (an
        // hour's grace for the reading typed in just after).
        let limit = agreed.as_millisecond() + 3_600_000;
        let km = readings
            .iter()
            .filter(|r| r.recorded_at <= limit)
            .map(|r| r.km)
            .max()
            .unwrap_or(0);
        let mine: Vec<&LineRow> = lines.iter().filter(|l| l.repair_order_id == o.id).collect();
        let lines = if mine.is_empty() {
            provisional(o)
        } else {
            mine.into_iter().map(line_of).collect::<AppResult<_>>()?
        };
        visits.push(Visit {
            id: o.id.to_string(),
            opened_on: tz.to_datetime(agreed).date(),
            odometer_km: u32::try_from(km.max(0)).unwrap_or(u32::MAX),
            span,
            lines,
        });
    }
    let battery = held(c, &vehicle).await?;
    Ok(History {
        battery,
        vehicle,
        tz,
        delivered_on,
        policy,
        coverage,
        odometer_km,
        orders,
        spans,
        excluded,
        lines,
        visits,
    })
}

/// The clock of an order: recorded, else reception to hand-over.
pub(crate) fn span_of(
    o: &VehicleOrderRow,
    recorded: Option<&SpanRow>,
    excluded: &[ExcludedRow],
) -> AppResult<RepairSpan> {
    let (agreed, completed) = match recorded {
        Some(s) => (s.agreed_at, s.completed_at.or(o.delivered_at)),
        None => (o.received_at, o.delivered_at),
    };
    let ex = excluded
        .iter()
        .filter(|e| e.repair_order_id == o.id)
        .map(excluded_of)
        .collect::<AppResult<Vec<_>>>()?;
    RepairSpan::new(ts(agreed)?, completed.map(ts).transpose()?, ex)
        .map_err(|e| AppError::Internal(format!("order {} clock: {e}", o.id)))
}

/// The domain's interval of a stored one.
pub(crate) fn excluded_of(e: &ExcludedRow) -> AppResult<Excluded> {
    Ok(Excluded {
        kind: excluded_kind(&e.kind)
            .ok_or_else(|| AppError::Internal(format!("excluded kind {}", e.kind)))?,
        from: ts(e.from_at)?,
        to: ts(e.to_at)?,
    })
}

/// The kind named by its stable code.
pub fn excluded_kind(code: &str) -> Option<ExcludedKind> {
    Some(match code {
        "battery_transport" => ExcludedKind::BatteryTransport,
        "special_part_transport" => ExcludedKind::SpecialPartTransport,
        "rescue_travel" => ExcludedKind::RescueTravel,
        "owner_wait" => ExcludedKind::OwnerWait,
        _ => return None,
    })
}

/// Every excluded kind's code.
pub const EXCLUDED_KINDS: [&str; 4] = [
    "battery_transport",
    "special_part_transport",
    "rescue_travel",
    "owner_wait",
];

/// The Art 32 ground named by its code.
pub fn exclusion_reason(code: &str) -> Option<ExclusionReason> {
    [
        ExclusionReason::DisclosedDefect,
        ExclusionReason::UseAgainstManual,
        ExclusionReason::ForbiddenModification,
        ExclusionReason::ImproperHandling,
        ExclusionReason::ForceMajeure,
    ]
    .into_iter()
    .find(|r| r.code() == code)
}

/// The Art 23 fault named by its code.
pub fn art23_fault(code: &str) -> Option<Art23Fault> {
    Some(match code {
        "steering_failure" => Art23Fault::SteeringFailure,
        "brake_failure" => Art23Fault::BrakeFailure,
        "body_crack" => Art23Fault::BodyCrack,
        "fuel_leak" => Art23Fault::FuelLeak,
        "battery_fire" => Art23Fault::BatteryFire,
        _ => return None,
    })
}

/// Every Art 23 fault's code.
pub const ART23_FAULTS: [&str; 5] = [
    "steering_failure",
    "brake_failure",
    "body_crack",
    "fuel_leak",
    "battery_fire",
];

/// The provisional line of an order not classified yet (see the module note).
fn provisional(o: &VehicleOrderRow) -> Vec<Line> {
    let quality =
        ServiceType::from_code(&o.service_type).is_none_or(ServiceType::is_quality_repair);
    if !quality {
        return Vec::new();
    }
    vec![Line {
        quality: true,
        part: Some(format!("order:{}", o.id)),
        system: None,
        main_part: None,
        code: o.concern_code.clone(),
        action: Action::Repair,
        serious_safety: o.safety_fault,
        art23: None,
        exclusion: None,
    }]
}

/// The domain's line of a stored classified fault.
pub(crate) fn line_of(l: &LineRow) -> AppResult<Line> {
    let bad = |what: &str| AppError::Internal(format!("guarantee line {}: {what}", l.id));
    let system = l
        .system
        .as_deref()
        .map(|s| System::from_code(s).ok_or_else(|| bad("system")))
        .transpose()?;
    let main_part = match (system, l.main_part.as_deref()) {
        (Some(system), Some(code)) => Some(MainPart {
            system,
            code: code.to_string(),
        }),
        _ => None,
    };
    let action = match l.action.as_str() {
        "repair" => Action::Repair,
        "replace_main_part" => {
            Action::ReplaceMainPart(main_part.clone().ok_or_else(|| bad("main part"))?)
        }
        "replace_assembly" => Action::ReplaceAssembly(system.ok_or_else(|| bad("system"))?),
        _ => return Err(bad("action")),
    };
    let exclusion = match (
        &l.exclusion_reason,
        &l.exclusion_explanation,
        &l.exclusion_evidence,
    ) {
        (Some(r), Some(x), Some(e)) => Some(
            Exclusion::new(exclusion_reason(r).ok_or_else(|| bad("exclusion"))?, x, e)
                .map_err(|_| bad("exclusion"))?,
        ),
        _ => None,
    };
    Ok(Line {
        quality: l.quality,
        part: l.part.clone(),
        system,
        main_part,
        code: l.code.clone(),
        action,
        serious_safety: l.serious_safety,
        art23: l.art23.as_deref().and_then(art23_fault),
        exclusion,
    })
}

/// A stored check as the domain holds it (with the promise it is held to).
fn held_of(r: &CheckRow) -> Option<HeldCheck> {
    let promise = match (r.promise_share_permille, r.promise_years, r.promise_km) {
        (Some(s), Some(y), Some(k)) => FadePromise::new(
            u16::try_from(s).ok()?,
            u8::try_from(y).ok()?,
            u32::try_from(k).ok()?,
        )
        .ok(),
        _ => None,
    };
    Some(HeldCheck {
        id: r.id.to_string(),
        check: BatteryCheck {
            on: r.checked_on.parse().ok()?,
            odometer_km: u32::try_from(r.odometer_km).ok()?,
            share_permille: u16::try_from(r.share_permille).ok()?,
        },
        promise,
    })
}

/// The battery checks of `vehicle` as held, oldest first; none for a car that is not
/// an EV.
async fn held(
    c: &mut sqlx::AnyConnection,
    vehicle: &store::vehicle::Vehicle,
) -> AppResult<Vec<HeldCheck>> {
    if !vehicle.is_ev {
        return Ok(Vec::new());
    }
    let rows = store::guarantee::battery::checks(c, vehicle.id).await?;
    Ok(rows.iter().filter_map(held_of).collect())
}
