//! The read model of the three guarantees: per vehicle (windows, counters, rights with
//! their article, the date each arose and the orders that prove it, warnings) and per
//! order (its clock, excluded intervals, classified faults and the courtesy-car duty,
//! live from the start of day 6). Every figure comes from
//! [`domain::guarantee::right::assess`]; nothing here decides a rule.

use super::history::{self, History};
use crate::network::expect;
use crate::shared::ts;
use crate::{App, AppResult, conn};
use domain::guarantee::battery::breach;
use domain::guarantee::period::Policy;
use domain::guarantee::right::{Assessment, Right, RightKind, add_fade, assess};
use domain::permission::{Action, Grant, Reach};
use serde::Serialize;
use store::guarantee::ExcludedRow;
use store::guarantee::line::LineRow;

/// A right as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RightView {
    /// `free_assembly`, `courtesy_car`, `replacement_or_refund` or `battery_restore`
    /// (the maker's capacity-fade promise broken: the traction battery repaired or
    /// replaced free until it holds the promised share; no replacement or refund by
    /// itself).
    pub kind: String,
    /// The assembly, for a free assembly (Art 20).
    pub system: Option<String>,
    /// The article cited, e.g. `art24(1)(4)`, or `promise` (the maker's own promise
    /// in the 三包凭证, Arts 4 and 18).
    pub article: String,
    /// What it is about: `part:<code>`, `repair_days`, `serious_safety`,
    /// `assembly:<system>`, `main_part:<system>/<code>`, `visit:<order>`, `early`,
    /// `battery_fade`.
    pub subject: String,
    /// When it arose, UTC ms.
    pub arose_at: i64,
    /// The station's local date it arose.
    pub arose_on: String,
    /// The orders that prove it, oldest first (none for a broken fade promise).
    pub evidence: Vec<i64>,
    /// For a broken capacity-fade promise: the check, the promise and the shares.
    pub fade: Option<FadeEvidence>,
}

/// The evidence of a broken capacity-fade promise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FadeEvidence {
    /// The battery check.
    pub check_id: i64,
    /// Day measured.
    pub checked_on: String,
    /// Odometer then.
    pub odometer_km: u32,
    /// Measured share of the rated capacity, tenths of a per cent.
    pub measured_permille: u16,
    /// Promised share, tenths of a per cent.
    pub promised_permille: u16,
    /// The promise's years.
    pub promise_years: u8,
    /// The promise's kilometres.
    pub promise_km: u32,
}

impl RightView {
    fn of(r: &Right, h: &History) -> RightView {
        let (kind, system) = match r.kind {
            RightKind::FreeAssembly(s) => ("free_assembly", Some(s.code().to_string())),
            RightKind::CourtesyCar => ("courtesy_car", None),
            RightKind::ReplacementOrRefund => ("replacement_or_refund", None),
            RightKind::BatteryRestore => ("battery_restore", None),
        };
        RightView {
            kind: kind.into(),
            system,
            article: r.article.cite().into(),
            subject: r.subject.clone(),
            arose_at: r.arose_at.as_millisecond(),
            arose_on: h.tz.to_datetime(r.arose_at).date().to_string(),
            evidence: r.evidence.iter().filter_map(|e| e.parse().ok()).collect(),
            fade: r.fade.as_ref().map(|b| FadeEvidence {
                check_id: b.check.parse().unwrap_or_default(),
                checked_on: b.on.to_string(),
                odometer_km: b.odometer_km,
                measured_permille: b.measured_permille,
                promised_permille: b.promise.min_share_permille(),
                promise_years: b.promise.years(),
                promise_km: b.promise.km(),
            }),
        }
    }
}

/// A counter near its line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WarningView {
    /// The article of the line.
    pub article: String,
    /// Which counter (the subject of the right it would give).
    pub subject: String,
    /// Its value.
    pub value: u32,
    /// The line.
    pub threshold: u32,
}

/// A count per key (part, assembly or main part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct KeyCount {
    /// The part code, assembly (`engine`) or main part (`engine/crankshaft`).
    pub key: String,
    /// How many.
    pub count: u32,
}

/// The Art 24 counters.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct CountersView {
    /// Counted repair days (transport and rescue travel left out, Art 24 para 3).
    pub repair_days: u32,
    /// Repairs per part (the same quality problem), most repaired first.
    pub same_problem: Vec<KeyCount>,
    /// Completed serious-safety repairs.
    pub serious_safety_repairs: u32,
    /// Replacements per assembly.
    pub assemblies: Vec<KeyCount>,
    /// Replacements per main part, never added to the assemblies (Art 24 para 2).
    pub main_parts: Vec<KeyCount>,
    /// Days of the longest running quality repair, if one runs.
    pub current_repair_days: Option<u32>,
}

/// The windows of the vehicle (Art 18), local dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CoverageView {
    /// First day counted from: the invoice date, or the delivery date when recorded.
    pub start: String,
    /// Whether `start` is the delivery date.
    pub from_delivery: bool,
    /// Last day of the 三包有效期.
    pub sanbao_until: String,
    /// Its km limit.
    pub sanbao_km: u32,
    /// Last day of the 包修期.
    pub warranty_until: String,
    /// Its km limit.
    pub warranty_km: u32,
    /// Last day of the Art 22 window (7 days).
    pub early_refund_until: String,
    /// Last day of the Arts 20/23 window.
    pub early_until: String,
    /// Its km limit.
    pub early_km: u32,
}

/// The three-guarantees position of one vehicle.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ThreeGuarantees {
    /// The vehicle.
    pub vehicle_id: i64,
    /// Its VIN.
    pub vin: String,
    /// Its windows.
    pub coverage: CoverageView,
    /// Latest odometer reading (0 when none).
    pub odometer_km: u32,
    /// Whether today and the reading lie in the 三包有效期.
    pub within_sanbao: bool,
    /// Whether today and the reading lie in the 包修期.
    pub within_warranty: bool,
    /// The policy applied.
    #[schema(value_type = Object)]
    pub policy: Policy,
    /// The counters.
    pub counters: CountersView,
    /// Every right that arose, oldest first; a right never disappears.
    pub rights: Vec<RightView>,
    /// The traction battery's capacity-fade promise and checks (EVs only).
    pub battery: Option<super::battery::BatteryView>,
    /// Counters near their line (inside the 三包有效期 only).
    pub warnings: Vec<WarningView>,
    /// Open orders whose courtesy-car duty runs now.
    pub courtesy_car_due: Vec<i64>,
}

/// The vehicle's position from its history and assessment at `now`.
pub(crate) fn view(h: &History, a: &Assessment, now: jiff::Timestamp) -> ThreeGuarantees {
    let today = h.tz.to_datetime(now).date();
    let cov = &h.coverage;
    let mut same: Vec<KeyCount> = a
        .counters
        .same_problem
        .iter()
        .map(|(k, n)| KeyCount {
            key: k.clone(),
            count: *n,
        })
        .collect();
    same.sort_by(|x, y| y.count.cmp(&x.count).then_with(|| x.key.cmp(&y.key)));
    let counters = CountersView {
        repair_days: a.counters.repair_days,
        same_problem: same,
        serious_safety_repairs: a.counters.serious_safety_repairs,
        assemblies: a
            .counters
            .assemblies
            .iter()
            .map(|(s, n)| KeyCount {
                key: s.code().into(),
                count: *n,
            })
            .collect(),
        main_parts: a
            .counters
            .main_parts
            .iter()
            .map(|(p, n)| KeyCount {
                key: format!("{}/{}", p.system.code(), p.code),
                count: *n,
            })
            .collect(),
        current_repair_days: a.counters.current_repair_days,
    };
    let open: Vec<i64> = h
        .orders
        .iter()
        .filter(|o| o.delivered_at.is_none())
        .map(|o| o.id)
        .collect();
    let courtesy_car_due = a
        .rights
        .iter()
        .filter(|r| r.kind == RightKind::CourtesyCar)
        .filter_map(|r| r.subject.strip_prefix("visit:")?.parse::<i64>().ok())
        .filter(|id| open.contains(id))
        .filter(|id| {
            h.visits
                .iter()
                .find(|v| v.id == id.to_string())
                .is_some_and(|v| v.span.completed_at().is_none_or(|c| c > now))
        })
        .collect();
    ThreeGuarantees {
        vehicle_id: h.vehicle.id,
        vin: h.vehicle.vin.clone(),
        coverage: CoverageView {
            start: cov.start.to_string(),
            from_delivery: h.delivered_on.is_some(),
            sanbao_until: cov.sanbao_until.to_string(),
            sanbao_km: cov.sanbao_km,
            warranty_until: cov.warranty_until.to_string(),
            warranty_km: cov.warranty_km,
            early_refund_until: cov.early_refund_until.to_string(),
            early_until: cov.early_until.to_string(),
            early_km: cov.early_km,
        },
        odometer_km: h.odometer_km,
        within_sanbao: cov.in_sanbao(today, h.odometer_km),
        within_warranty: cov.in_warranty(today, h.odometer_km),
        policy: h.policy,
        counters,
        rights: a.rights.iter().map(|r| RightView::of(r, h)).collect(),
        battery: None,
        warnings: a
            .warnings
            .iter()
            .map(|w| WarningView {
                article: w.article.cite().into(),
                subject: w.subject.clone(),
                value: w.value,
                threshold: w.threshold,
            })
            .collect(),
        courtesy_car_due,
    }
}

/// The assessment of a loaded history at `now`, with the right of a broken
/// capacity-fade promise (EVs) among the others.
pub(crate) fn assess_at(h: &History, now: jiff::Timestamp) -> Assessment {
    let today = h.tz.to_datetime(now).date();
    let mut a = assess(&h.vehicle_side(), &h.visits, now, today, h.odometer_km);
    let b = breach(h.coverage.start, &h.battery, today);
    add_fade(&mut a, b.as_ref(), &h.tz);
    a
}

/// Whether the courtesy-car duty (Art 21) arose for `order_id` by `now`, on the
/// caller's connection: the one rule the order's flag at hand-over and the pages share
/// (finding 13).
pub(crate) async fn courtesy_car_arose(
    c: &mut sqlx::AnyConnection,
    vehicle_id: i64,
    order_id: i64,
    now: jiff::Timestamp,
) -> AppResult<bool> {
    let vehicle = store::vehicle::get(c, &Reach::All, vehicle_id).await?;
    let h = history::load(c, vehicle).await?;
    let subject = format!("visit:{order_id}");
    Ok(assess_at(&h, now)
        .rights
        .iter()
        .any(|r| r.kind == RightKind::CourtesyCar && r.subject == subject))
}

/// Of the given orders (each with its vehicle), those whose courtesy-car duty
/// (Art 21) runs at the clock's now: the board marks their cards from the start of
/// day 6 of a quality repair, by the same rule as the order page. Orders outside the
/// caller's reach are left out. Needs `RepairOrderRead`.
pub async fn courtesy_car_orders(
    app: &App,
    grant: &Grant,
    orders: &[(i64, i64)],
) -> AppResult<std::collections::BTreeSet<i64>> {
    expect(grant, Action::RepairOrderRead)?;
    let mut c = conn(app).await?;
    let now = ts(app.now_ms())?;
    let mut by_vehicle: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
    for (order, vehicle) in orders {
        by_vehicle.entry(*vehicle).or_default().push(*order);
    }
    let mut out = std::collections::BTreeSet::new();
    for (vehicle_id, ids) in by_vehicle {
        let Ok(vehicle) = store::vehicle::get(&mut c, &Reach::All, vehicle_id).await else {
            continue;
        };
        let h = history::load(&mut c, vehicle).await?;
        for r in assess_at(&h, now).rights {
            if r.kind != RightKind::CourtesyCar {
                continue;
            }
            if let Some(id) = r
                .subject
                .strip_prefix("visit:")
                .and_then(|x| x.parse().ok())
                && ids.contains(&id)
            {
                out.insert(id);
            }
        }
    }
    Ok(out)
}

/// The position of a vehicle within reach. Needs `RepairOrderRead`; the counters
/// cover its orders at every station.
pub async fn for_vehicle(app: &App, grant: &Grant, vehicle_id: i64) -> AppResult<ThreeGuarantees> {
    expect(grant, Action::RepairOrderRead)?;
    let mut c = conn(app).await?;
    let vehicle = store::vehicle::get(&mut c, grant.reach(), vehicle_id).await?;
    let h = history::load(&mut c, vehicle).await?;
    let now = ts(app.now_ms())?;
    let mut position = view(&h, &assess_at(&h, now), now);
    let today = h.tz.to_datetime(now).date();
    position.battery = super::battery::load(&mut c, &h, today).await?;
    Ok(position)
}

/// One order's clock as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OrderClock {
    /// When owner and repairer agreed the repair, UTC ms (reception unless recorded).
    pub agreed_at: i64,
    /// When the owner was told to collect, UTC ms (hand-over unless recorded).
    pub completed_at: Option<i64>,
    /// Whether the two instants were recorded (else reception and hand-over stand in).
    pub recorded: bool,
    /// Days for Art 21 (owner waits left out), started days counting.
    pub repair_days: u32,
    /// Days toward the 30 (every excluded interval left out).
    pub counted_days: u32,
}

/// The three guarantees as one order's page shows them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderGuarantee {
    /// The order.
    pub order_id: i64,
    /// Its clock.
    pub clock: OrderClock,
    /// Its excluded intervals.
    #[schema(value_type = Vec<Object>)]
    pub excluded: Vec<ExcludedRow>,
    /// Its classified faults (none: not classified yet).
    #[schema(value_type = Vec<Object>)]
    pub lines: Vec<LineRow>,
    /// Since when (UTC ms) the courtesy-car duty runs for this order, if it does.
    pub courtesy_car_since: Option<i64>,
    /// The vehicle's position.
    pub vehicle: ThreeGuarantees,
}

/// The three guarantees of a repair order within reach: the station serving a car that
/// walked in from elsewhere sees its counters too. Needs `RepairOrderRead`.
pub async fn for_order(app: &App, grant: &Grant, order_id: i64) -> AppResult<OrderGuarantee> {
    expect(grant, Action::RepairOrderRead)?;
    let mut c = conn(app).await?;
    let order = store::repair_order::get(&mut c, grant.reach(), order_id).await?;
    let vehicle = store::vehicle::get(&mut c, &Reach::All, order.vehicle_id).await?;
    let h = history::load(&mut c, vehicle).await?;
    let now = ts(app.now_ms())?;
    let a = assess_at(&h, now);
    let id = order_id.to_string();
    let visit = h.visits.iter().find(|v| v.id == id);
    let clock = match visit {
        Some(v) => OrderClock {
            agreed_at: v.span.agreed_at().as_millisecond(),
            completed_at: v.span.completed_at().map(|t| t.as_millisecond()),
            recorded: h.spans.contains_key(&order_id),
            repair_days: v.span.repair_days(now),
            counted_days: v.span.counted_days(now),
        },
        None => OrderClock {
            agreed_at: order.received_at,
            completed_at: order.delivered_at,
            recorded: false,
            repair_days: 0,
            counted_days: 0,
        },
    };
    let subject = format!("visit:{order_id}");
    let courtesy_car_since = a
        .rights
        .iter()
        .find(|r| r.kind == RightKind::CourtesyCar && r.subject == subject)
        .map(|r| r.arose_at.as_millisecond());
    Ok(OrderGuarantee {
        order_id,
        clock,
        excluded: h
            .excluded
            .iter()
            .filter(|e| e.repair_order_id == order_id)
            .cloned()
            .collect(),
        lines: h
            .lines
            .iter()
            .filter(|l| l.repair_order_id == order_id)
            .cloned()
            .collect(),
        courtesy_car_since,
        vehicle: view(&h, &a, now),
    })
}
