//! The three-guarantees counters per VIN (三包, SPEC §15) and their thresholds as a
//! head-office setting.
//!
//! The counters are computed on request from the vehicle's repair orders (open and
//! delivered, at any station) received inside the three-guarantees period, and
//! judged by [`domain::guarantee::evaluate`], which warns one step before each
//! threshold and reports the entitlement past it.
//!
//! What counts comes from the orders: their service type (only quality repairs,
//! [`ServiceType::is_quality_repair`]), the serious-safety-fault flag diagnosis sets on
//! the concern, and labour lines whose catalogue operation replaces a main part
//! (engine, transmission, traction battery, drive motor).
//!
//! Permissions: reading the counters needs `RepairOrderRead` with the vehicle within
//! reach; reading the thresholds needs `NetworkRead`; changing them needs
//! `NetworkWrite` held at head office.

use crate::calendar::station_zone;
use crate::input::{Loose, int};
use crate::network::expect;
use crate::shared::{rebuild, refused, to_json, ts};
use crate::{App, AppError, AppResult, actor, conn};
use domain::appointment::ServiceType;
use domain::guarantee::{
    Counters, FaultCount, Finding, MajorPart, RepairRecord, Thresholds, VehicleUse, evaluate,
    within_period,
};
use domain::permission::{Action, Grant, Reach};
use domain::{Violation, Violations};
use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use store::repair_order::vehicle_history::{MajorPartLineRow, VehicleOrderRow};

/// Key of the thresholds in the settings table.
pub const SETTING_KEY: &str = "three_guarantees";

/// Entity name of setting changes in the event log.
pub const ENTITY: &str = "setting";

/// The thresholds in force: the stored setting, else the defaults of the 2021 rules.
pub async fn thresholds(app: &App) -> AppResult<Thresholds> {
    let mut c = conn(app).await?;
    Ok(load(&mut c).await?.thresholds)
}

/// The thresholds in force and where they come from.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ThresholdSetting {
    /// The thresholds (`period_months`, `period_km`, `cumulative_repair_days`,
    /// `same_problem_repairs`, `serious_safety_repairs`, `major_part_replacements`,
    /// `courtesy_car_days`).
    #[schema(value_type = Object)]
    pub thresholds: Thresholds,
    /// Whether these are the built-in defaults (nothing stored yet).
    pub is_default: bool,
    /// When head office last changed them, UTC ms.
    pub updated_at: Option<i64>,
    /// Staff id of who changed them.
    pub updated_by: Option<i64>,
}

async fn load(c: &mut sqlx::AnyConnection) -> AppResult<ThresholdSetting> {
    match store::settings::get(c, SETTING_KEY).await? {
        Some(s) => Ok(ThresholdSetting {
            thresholds: rebuild(s.value)?,
            is_default: false,
            updated_at: Some(s.updated_at),
            updated_by: s.updated_by,
        }),
        None => Ok(ThresholdSetting {
            thresholds: Thresholds::default(),
            is_default: true,
            updated_at: None,
            updated_by: None,
        }),
    }
}

/// The thresholds in force, for a caller. Needs `NetworkRead`.
pub async fn setting(app: &App, grant: &Grant) -> AppResult<ThresholdSetting> {
    expect(grant, Action::NetworkRead)?;
    let mut c = conn(app).await?;
    load(&mut c).await
}

/// New thresholds as entered; every field is required.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ThresholdsInput {
    /// Period in months from the sale (24).
    #[schema(value_type = u32)]
    pub period_months: Loose,
    /// Period in kilometres, whichever comes first (50,000).
    #[schema(value_type = u32)]
    pub period_km: Loose,
    /// Cumulative repair days beyond which replacement or refund applies (30).
    #[schema(value_type = u32)]
    pub cumulative_repair_days: Loose,
    /// Repairs of the same problem beyond which it applies (4).
    #[schema(value_type = u32)]
    pub same_problem_repairs: Loose,
    /// Repairs of a serious safety fault after which, if still present, it applies (2).
    #[schema(value_type = u32)]
    pub serious_safety_repairs: Loose,
    /// Replacements of a major part after which, if it fails again, it applies (2).
    #[schema(value_type = u32)]
    pub major_part_replacements: Loose,
    /// Days of one repair beyond which a courtesy car is due (5).
    #[schema(value_type = u32)]
    pub courtesy_car_days: Loose,
}

/// The largest value each threshold may take (each is at least 1, the domain's
/// rule). The parser reads these, and the API document states them, so the two
/// cannot drift.
pub const THRESHOLD_LIMITS: [(&str, i64); 7] = [
    ("period_months", 1_200),
    ("period_km", 10_000_000),
    ("cumulative_repair_days", 3_650),
    ("same_problem_repairs", 1_000),
    ("serious_safety_repairs", 1_000),
    ("major_part_replacements", 1_000),
    ("courtesy_car_days", 3_650),
];

/// The OpenAPI schema of [`ThresholdsInput`]: every field required, a whole number
/// from 1 to its limit in [`THRESHOLD_LIMITS`].
pub fn thresholds_input_schema() -> serde_json::Value {
    let properties: serde_json::Map<String, serde_json::Value> = THRESHOLD_LIMITS
        .iter()
        .map(|(field, max)| {
            (
                (*field).to_string(),
                serde_json::json!({"type": "integer", "format": "int64", "minimum": 1, "maximum": max}),
            )
        })
        .collect();
    serde_json::json!({
        "type": "object",
        "description": "New thresholds as entered; every field is required.",
        "properties": properties,
        "required": THRESHOLD_LIMITS.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
        "additionalProperties": false,
    })
}

/// Checks thresholds as entered: whole numbers in range, then the domain's rule
/// that each is at least 1 (`guarantee.threshold_invalid` naming the field).
pub fn parse(input: &ThresholdsInput) -> Result<Thresholds, Violations> {
    let mut v = Violations::new();
    let mut n = |field: &str, value: &Loose| {
        let max = THRESHOLD_LIMITS
            .iter()
            .find(|(f, _)| *f == field)
            .map_or(0, |(_, m)| *m);
        int(&mut v, field, value, 0, max).and_then(|n| u32::try_from(n).ok())
    };
    let fields = (
        n("period_months", &input.period_months),
        n("period_km", &input.period_km),
        n("cumulative_repair_days", &input.cumulative_repair_days),
        n("same_problem_repairs", &input.same_problem_repairs),
        n("serious_safety_repairs", &input.serious_safety_repairs),
        n("major_part_replacements", &input.major_part_replacements),
        n("courtesy_car_days", &input.courtesy_car_days),
    );
    v.into_result()?;
    let (
        Some(period_months),
        Some(period_km),
        Some(cumulative_repair_days),
        Some(same_problem_repairs),
        Some(serious_safety_repairs),
        Some(major_part_replacements),
        Some(courtesy_car_days),
    ) = fields
    else {
        return Err(Violation::new("body", "required").into());
    };
    let t = Thresholds {
        period_months,
        period_km,
        cumulative_repair_days,
        same_problem_repairs,
        serious_safety_repairs,
        major_part_replacements,
        courtesy_car_days,
    };
    t.validate()
        .map_err(|e| Violations::from(Violation::from(e)))?;
    Ok(t)
}

/// Replaces the thresholds and records who changed them and from what. Needs
/// `NetworkWrite` held at head office.
pub async fn set_thresholds(
    app: &App,
    grant: &Grant,
    input: &ThresholdsInput,
) -> AppResult<ThresholdSetting> {
    expect(grant, Action::NetworkWrite)?;
    if *grant.reach() != Reach::All {
        return Err(AppError::Forbidden);
    }
    let t = parse(input)?;
    let now = app.now_ms();
    let by = grant.principal().id;
    let tr = &t;
    crate::transaction::run(app, "guarantee.set_thresholds", move |mut tx| async move {
        let t = tr;
        let before = load(&mut tx).await?;
        let value = to_json(&t)?;
        store::settings::put(&mut tx, SETTING_KEY, &value, now, Some(by)).await?;
        store::event::record(
            &mut tx,
            now,
            actor(grant),
            ENTITY,
            0,
            "three_guarantees_changed",
            &serde_json::json!({
                "key": SETTING_KEY,
                "before": to_json(&before.thresholds)?,
                "before_default": before.is_default,
                "after": value,
            }),
            None,
        )
        .await?;
        Ok((tx, ()))
    })
    .await?;
    Ok(ThresholdSetting {
        thresholds: t,
        is_default: false,
        updated_at: Some(now),
        updated_by: Some(by),
    })
}

/// Repairs counted for one problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ProblemCount {
    /// The problem: its concern code, or the concern as first written.
    pub problem: String,
    /// Repair orders for it inside the period.
    pub repairs: u32,
}

/// Repairs or replacements of a serious safety fault or a major part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FaultSummary {
    /// Fault code or part (`engine`, `transmission`, `traction_battery`, `drive_motor`).
    pub key: String,
    /// Repairs or replacements so far.
    pub count: u32,
    /// Whether the fault is still present.
    pub still_present: bool,
}

/// The counters of one vehicle inside the period.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct CounterSummary {
    /// Quality-repair orders received inside the period (maintenance and other
    /// non-repair work is not counted).
    pub orders_counted: u32,
    /// Days in repair, summed: each order counts whole days begun, from reception
    /// to hand-over (or now, while open).
    pub cumulative_repair_days: u32,
    /// Repairs per problem (by concern code, else by the concern text ignoring case,
    /// spaces and punctuation), most repaired first.
    pub same_problem: Vec<ProblemCount>,
    /// Days (begun) of the longest repair still open, if one is.
    pub current_repair_days: Option<u32>,
    /// Serious safety faults, per problem: delivered repairs, and whether an order
    /// for the same problem is open again.
    pub serious_safety: Vec<FaultSummary>,
    /// Main-part replacements, per part: delivered replacements, and whether an open
    /// order proposes replacing it again.
    pub major_parts: Vec<FaultSummary>,
}

/// The three-guarantees position of one vehicle.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ThreeGuarantees {
    /// The vehicle.
    pub vehicle_id: i64,
    /// Its VIN.
    pub vin: String,
    /// Date of sale, the start of the period.
    pub sold_on: String,
    /// Last day of the period by date (it also ends at `period_km`).
    pub period_ends_on: String,
    /// Latest odometer reading, if any (no reading: the period is judged by date).
    pub odometer_km: Option<i64>,
    /// Whether the vehicle is still within the period today.
    pub within_period: bool,
    /// The thresholds applied.
    #[schema(value_type = Object)]
    pub thresholds: Thresholds,
    /// The counters.
    pub counters: CounterSummary,
    /// Warnings (one step before a threshold) and entitlements (past it), as
    /// [`domain::guarantee::Finding`]; empty outside the period.
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<Finding>,
}

/// The three-guarantees counters and findings of a vehicle. Needs `RepairOrderRead`
/// with the vehicle within reach; the counters cover its orders at every station.
pub async fn for_vehicle(app: &App, grant: &Grant, vehicle_id: i64) -> AppResult<ThreeGuarantees> {
    expect(grant, Action::RepairOrderRead)?;
    let mut c = conn(app).await?;
    let vehicle = store::vehicle::get(&mut c, grant.reach(), vehicle_id).await?;
    position(app, &mut c, vehicle).await
}

/// The three-guarantees position of the car of a repair order within reach: the
/// station serving a car that walked in from elsewhere sees its counters, though the
/// vehicle's record belongs to another station. Needs `RepairOrderRead`.
pub async fn for_order(app: &App, grant: &Grant, order_id: i64) -> AppResult<ThreeGuarantees> {
    expect(grant, Action::RepairOrderRead)?;
    let mut c = conn(app).await?;
    let order = store::repair_order::get(&mut c, grant.reach(), order_id).await?;
    let vehicle = store::vehicle::get(&mut c, &Reach::All, order.vehicle_id).await?;
    position(app, &mut c, vehicle).await
}

async fn position(
    app: &App,
    c: &mut sqlx::AnyConnection,
    vehicle: store::vehicle::Vehicle,
) -> AppResult<ThreeGuarantees> {
    let now = app.now_ms();
    let vehicle_id = vehicle.id;
    let setting = load(c).await?;
    let t = setting.thresholds;
    let km = store::vehicle::last_reading(c, vehicle_id).await?;
    let orders = store::repair_order::vehicle_history::orders_of_vehicle(c, vehicle_id).await?;
    let lines = store::repair_order::vehicle_history::major_part_lines(c, vehicle_id).await?;
    let tz = station_zone(c, vehicle.station_id).await?;
    let sold_on: Date = vehicle
        .purchase_date
        .parse()
        .map_err(|e| AppError::Internal(format!("vehicle {vehicle_id} purchase date: {e}")))?;
    let months = i32::try_from(t.period_months)
        .map_err(|_| refused(domain::guarantee::GuaranteeError::DateRange))?;
    let period_ends_on = sold_on
        .checked_add(months.months())
        .map_err(|_| refused(domain::guarantee::GuaranteeError::DateRange))?;
    let (counters, summary) = count(
        &records(&orders, &lines, &tz)?,
        now,
        sold_on,
        period_ends_on,
    );
    let odometer_km = u32::try_from(km.unwrap_or(0).max(0)).unwrap_or(u32::MAX);
    let usage = VehicleUse {
        sold_on,
        today: tz.to_datetime(ts(now)?).date(),
        odometer_km,
    };
    let within = within_period(&t, &usage).map_err(refused)?;
    let findings = evaluate(&counters, &t, &usage).map_err(refused)?;
    Ok(ThreeGuarantees {
        vehicle_id,
        vin: vehicle.vin,
        sold_on: sold_on.to_string(),
        period_ends_on: period_ends_on.to_string(),
        odometer_km: km,
        within_period: within,
        thresholds: t,
        counters: summary,
        findings,
    })
}

/// The domain's records of a vehicle's orders: reception date in `tz`, whether each
/// is a quality repair, and the main parts each replaced (finished, approved labour of
/// a main-part operation) or proposes to replace (any line not declined).
fn records(
    orders: &[VehicleOrderRow],
    lines: &[MajorPartLineRow],
    tz: &TimeZone,
) -> AppResult<Vec<RepairRecord>> {
    orders
        .iter()
        .map(|o| {
            let mut r = RepairRecord {
                received_at_ms: o.received_at,
                received_on: Some(tz.to_datetime(ts(o.received_at)?).date()),
                delivered_at_ms: o.delivered_at,
                concern_code: o.concern_code.clone(),
                concern_text: o.concern.clone(),
                // An unknown stored type is a repair: counting too much warns early,
                // counting too little would hide an entitlement.
                quality_repair: ServiceType::from_code(&o.service_type)
                    .is_none_or(ServiceType::is_quality_repair),
                safety_fault: o.safety_fault,
                ..RepairRecord::default()
            };
            for l in lines.iter().filter(|l| l.repair_order_id == o.id) {
                let Some(part) = MajorPart::from_code(&l.major_part) else {
                    continue;
                };
                if l.decision != "declined" {
                    r.parts_proposed.insert(part);
                }
                if l.decision == "approved" && l.done {
                    r.parts_replaced.insert(part);
                }
            }
            Ok(r)
        })
        .collect()
}

/// The counters from a vehicle's orders received between `from` and `until`
/// (inclusive, in the station's time zone), at `now`, with their summary.
fn count(
    records: &[RepairRecord],
    now: i64,
    from: Date,
    until: Date,
) -> (Counters, CounterSummary) {
    let tally = domain::guarantee::tally(records, from, until, now);
    let counters = tally.counters;
    let mut summary = CounterSummary {
        orders_counted: tally.orders_counted,
        cumulative_repair_days: counters.cumulative_repair_days,
        current_repair_days: counters.current_repair_days,
        ..CounterSummary::default()
    };
    summary.same_problem = counters
        .same_problem
        .iter()
        .map(|(problem, repairs)| ProblemCount {
            problem: problem.clone(),
            repairs: *repairs,
        })
        .collect();
    summary.same_problem.sort_by(|a, b| {
        b.repairs
            .cmp(&a.repairs)
            .then_with(|| a.problem.cmp(&b.problem))
    });
    let fault = |key: String, f: &FaultCount| FaultSummary {
        key,
        count: f.count,
        still_present: f.still_present,
    };
    summary.serious_safety = counters
        .serious_safety
        .iter()
        .map(|(k, f)| fault(k.clone(), f))
        .collect();
    summary.major_parts = counters
        .major_parts
        .iter()
        .map(|(p, f)| fault(p.code().to_string(), f))
        .collect();
    (counters, summary)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn order(id: i64, service_type: &str, from: i64, to: Option<i64>) -> VehicleOrderRow {
        VehicleOrderRow {
            id,
            station_id: 1,
            concern: "变速箱异响".into(),
            concern_code: None,
            state: if to.is_some() { "delivered" } else { "open" }.into(),
            received_at: from,
            delivered_at: to,
            courtesy_car: false,
            comeback_of: None,
            service_type: service_type.into(),
            safety_fault: id == 2,
        }
    }

    fn line(order: i64, part: &str, decision: &str, done: bool) -> MajorPartLineRow {
        MajorPartLineRow {
            repair_order_id: order,
            major_part: part.into(),
            decision: decision.into(),
            done,
        }
    }

    #[test]
    fn records_carry_service_type_safety_flag_and_main_parts() {
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        let day = 24 * 60 * 60 * 1000;
        // 2026-01-05 01:00 UTC is 09:00 in Shanghai.
        let start = 1_767_574_800_000;
        let orders = [
            order(1, "repair", start, Some(start + day)),
            order(2, "maintenance", start + 2 * day, Some(start + 3 * day)),
            order(3, "warranty", start + 4 * day, None),
            order(4, "no_such_type", start + 5 * day, None),
        ];
        let lines = [
            line(1, "transmission", "approved", true),
            line(1, "engine", "declined", false),
            line(3, "transmission", "proposed", false),
            line(3, "engine", "approved", false),
            line(3, "wheel", "approved", true),
        ];
        let r = records(&orders, &lines, &tz).unwrap();
        assert_eq!(r[0].received_on, Some(date(2026, 1, 5)));
        assert!(r[0].quality_repair && !r[1].quality_repair && r[2].quality_repair);
        assert!(r[3].quality_repair, "an unknown type counts as a repair");
        assert!(r[1].safety_fault && !r[0].safety_fault);
        assert_eq!(r[0].parts_replaced, [MajorPart::Transmission].into());
        assert_eq!(r[0].parts_proposed, [MajorPart::Transmission].into());
        assert!(r[2].parts_replaced.is_empty());
        assert_eq!(
            r[2].parts_proposed,
            [MajorPart::Engine, MajorPart::Transmission].into()
        );
        let (c, s) = count(&r, start + 10 * day, date(2025, 6, 1), date(2027, 6, 1));
        assert_eq!(s.orders_counted, 3);
        assert_eq!(s.same_problem[0].repairs, 3);
        assert_eq!(
            c.major_parts.get(&MajorPart::Transmission),
            Some(&FaultCount {
                count: 1,
                still_present: true
            })
        );
        assert_eq!(s.major_parts[1].key, "transmission");
    }

    #[test]
    fn thresholds_are_parsed_then_checked_by_the_domain() {
        let good = ThresholdsInput {
            period_months: 24.into(),
            period_km: 50000.into(),
            cumulative_repair_days: 30.into(),
            same_problem_repairs: 4.into(),
            serious_safety_repairs: 2.into(),
            major_part_replacements: 2.into(),
            courtesy_car_days: 5.into(),
        };
        assert_eq!(parse(&good), Ok(Thresholds::default()));
        let zero = ThresholdsInput {
            same_problem_repairs: 0.into(),
            ..good.clone()
        };
        let v = parse(&zero).unwrap_err();
        let first = &v.0[0];
        assert_eq!(
            (first.field.as_str(), first.rule),
            ("same_problem_repairs", "guarantee.threshold_invalid")
        );
        let negative = ThresholdsInput {
            period_km: (-1).into(),
            courtesy_car_days: Loose::Null,
            ..good
        };
        let v = parse(&negative).unwrap_err();
        let fields: Vec<&str> = v.0.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(fields, ["period_km", "courtesy_car_days"]);
    }
}
