//! The three-guarantees counters per VIN (三包, SPEC §15) and their thresholds as a
//! head-office setting.
//!
//! The counters are computed on request from the vehicle's repair orders (open and
//! delivered, at any station) received inside the three-guarantees period, and
//! judged by [`domain::guarantee::evaluate`], which warns one step before each
//! threshold and reports the entitlement past it.
//!
//! Limits of what is recorded today:
//! - every repair order counts as a repair of a quality problem: orders do not yet
//!   say whether the work was routine maintenance or a quality repair;
//! - serious safety faults and major-part (engine, transmission, traction battery,
//!   drive motor) replacements are not recorded anywhere yet, so those counters are
//!   always empty and can raise no finding.
//!
//! Permissions: reading the counters needs `RepairOrderRead` with the vehicle within
//! reach; reading the thresholds needs `NetworkRead`; changing them needs
//! `NetworkWrite` held at head office.

use std::collections::BTreeMap;

use crate::input::{Loose, int};
use crate::network::expect;
use crate::service::calendar::station_zone;
use crate::service::{rebuild, refused, to_json, ts};
use crate::{App, AppError, AppResult, actor, begin, commit, conn};
use domain::guarantee::{Counters, Finding, Thresholds, VehicleUse, evaluate, within_period};
use domain::permission::{Action, Grant, Reach};
use domain::{Violation, Violations};
use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use store::service::vehicle_history::VehicleOrderRow;

/// Key of the thresholds in the settings table.
pub const SETTING_KEY: &str = "three_guarantees";

/// Entity name of setting changes in the event log.
pub const ENTITY: &str = "setting";

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

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

/// Checks thresholds as entered: whole numbers in range, then the domain's rule
/// that each is at least 1 (`guarantee.threshold_invalid` naming the field).
pub fn parse(input: &ThresholdsInput) -> Result<Thresholds, Violations> {
    let mut v = Violations::new();
    let mut n = |field: &str, value: &Loose, max: i64| {
        int(&mut v, field, value, 0, max).and_then(|n| u32::try_from(n).ok())
    };
    let fields = (
        n("period_months", &input.period_months, 1_200),
        n("period_km", &input.period_km, 10_000_000),
        n(
            "cumulative_repair_days",
            &input.cumulative_repair_days,
            3_650,
        ),
        n("same_problem_repairs", &input.same_problem_repairs, 1_000),
        n(
            "serious_safety_repairs",
            &input.serious_safety_repairs,
            1_000,
        ),
        n(
            "major_part_replacements",
            &input.major_part_replacements,
            1_000,
        ),
        n("courtesy_car_days", &input.courtesy_car_days, 3_650),
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
    let mut tx = begin(app).await?;
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
    commit(tx).await?;
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
    /// Repair orders received inside the period.
    pub orders_counted: u32,
    /// Days in repair, summed: each order counts whole days begun, from reception
    /// to hand-over (or now, while open).
    pub cumulative_repair_days: u32,
    /// Repairs per problem (by concern code, else by the concern text ignoring case,
    /// spaces and punctuation), most repaired first.
    pub same_problem: Vec<ProblemCount>,
    /// Days (begun) of the longest repair still open, if one is.
    pub current_repair_days: Option<u32>,
    /// Serious safety faults: not recorded anywhere yet, so always empty.
    pub serious_safety: Vec<FaultSummary>,
    /// Major-part replacements: not recorded anywhere yet, so always empty.
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
    let now = app.now_ms();
    let mut c = conn(app).await?;
    let vehicle = store::vehicle::get(&mut c, grant.reach(), vehicle_id).await?;
    let setting = load(&mut c).await?;
    let t = setting.thresholds;
    let km = store::vehicle::last_reading(&mut c, vehicle_id).await?;
    let orders = store::service::vehicle_history::orders_of_vehicle(&mut c, vehicle_id).await?;
    let tz = station_zone(&mut c, vehicle.station_id).await?;
    drop(c);
    let sold_on: Date = vehicle
        .purchase_date
        .parse()
        .map_err(|e| AppError::Internal(format!("vehicle {vehicle_id} purchase date: {e}")))?;
    let months = i32::try_from(t.period_months)
        .map_err(|_| refused(domain::guarantee::GuaranteeError::DateRange))?;
    let period_ends_on = sold_on
        .checked_add(months.months())
        .map_err(|_| refused(domain::guarantee::GuaranteeError::DateRange))?;
    let (counters, summary) = count(&orders, now, sold_on, period_ends_on, &tz)?;
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

/// Whole days begun between two instants (0 when `to` is not after `from`).
fn days_begun(from_ms: i64, to_ms: i64) -> u32 {
    let ms = to_ms.saturating_sub(from_ms).max(0);
    u32::try_from(ms / DAY_MS + i64::from(ms % DAY_MS != 0)).unwrap_or(u32::MAX)
}

/// Same idea as [`domain::guarantee::same_concern`]: text compared ignoring case,
/// spaces and punctuation.
fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The grouping key of an order's problem (code when coded, else normalised text)
/// and how to show it; `None` when the concern has nothing to compare.
fn problem_key(o: &VehicleOrderRow) -> Option<(String, String)> {
    match o.concern_code.as_deref().map(str::trim) {
        Some(code) if !code.is_empty() => {
            let code = code.to_uppercase();
            Some((format!("code:{code}"), code))
        }
        _ => {
            let n = normalise(&o.concern);
            (!n.is_empty()).then(|| (format!("text:{n}"), o.concern.trim().to_string()))
        }
    }
}

/// The counters from a vehicle's orders received between `from` and `until`
/// (inclusive, in the station's time zone), at `now`.
fn count(
    orders: &[VehicleOrderRow],
    now: i64,
    from: Date,
    until: Date,
    tz: &TimeZone,
) -> AppResult<(Counters, CounterSummary)> {
    let mut counters = Counters::default();
    let mut summary = CounterSummary::default();
    let mut problems: BTreeMap<String, (String, u32)> = BTreeMap::new();
    for o in orders {
        let received_on = tz.to_datetime(ts(o.received_at)?).date();
        if received_on < from || received_on > until {
            continue;
        }
        summary.orders_counted += 1;
        let days = days_begun(o.received_at, o.delivered_at.unwrap_or(now));
        counters.cumulative_repair_days = counters.cumulative_repair_days.saturating_add(days);
        if o.delivered_at.is_none() {
            counters.current_repair_days =
                Some(counters.current_repair_days.unwrap_or(0).max(days));
        }
        if let Some((key, shown)) = problem_key(o) {
            problems.entry(key).or_insert((shown, 0)).1 += 1;
        }
    }
    for (shown, n) in problems.into_values() {
        let entry = counters.same_problem.entry(shown).or_insert(0);
        *entry = entry.saturating_add(n);
    }
    summary.cumulative_repair_days = counters.cumulative_repair_days;
    summary.current_repair_days = counters.current_repair_days;
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
    Ok((counters, summary))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn order(
        id: i64,
        code: Option<&str>,
        text: &str,
        from: i64,
        to: Option<i64>,
    ) -> VehicleOrderRow {
        VehicleOrderRow {
            id,
            station_id: 1,
            concern: text.into(),
            concern_code: code.map(Into::into),
            state: if to.is_some() { "delivered" } else { "open" }.into(),
            received_at: from,
            delivered_at: to,
            courtesy_car: false,
            comeback_of: None,
        }
    }

    #[test]
    fn days_are_whole_days_begun_and_problems_group_by_code_else_text() {
        assert_eq!(days_begun(0, 0), 0);
        assert_eq!(days_begun(0, 1), 1);
        assert_eq!(days_begun(0, DAY_MS), 1);
        assert_eq!(days_begun(0, DAY_MS + 1), 2);
        assert_eq!(days_begun(10, 0), 0);
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        let start = tz
            .to_timestamp(date(2026, 1, 5).at(9, 0, 0, 0))
            .unwrap()
            .as_millisecond();
        let now = start + 20 * DAY_MS;
        let orders = [
            order(1, None, "刹车异响", start, Some(start + DAY_MS / 2)),
            order(
                2,
                None,
                "刹车 异响。",
                start + DAY_MS,
                Some(start + 3 * DAY_MS),
            ),
            order(
                3,
                Some("p0300"),
                "发动机抖动",
                start + 4 * DAY_MS,
                Some(start + 5 * DAY_MS),
            ),
            order(
                4,
                Some("P0300 "),
                "怠速不稳",
                start + 6 * DAY_MS,
                Some(start + 7 * DAY_MS),
            ),
            order(5, None, "。", start + 8 * DAY_MS, Some(start + 9 * DAY_MS)),
            order(6, None, "刹车异响", start + 14 * DAY_MS, None),
            // Before the sale: not counted.
            order(
                7,
                None,
                "刹车异响",
                start - 400 * DAY_MS,
                Some(start - 399 * DAY_MS),
            ),
        ];
        let (c, s) = count(&orders, now, date(2025, 6, 1), date(2027, 6, 1), &tz).unwrap();
        assert_eq!(s.orders_counted, 6);
        // 1 + 2 + 1 + 1 + 1 + 6 (open, 6 days so far).
        assert_eq!(c.cumulative_repair_days, 12);
        assert_eq!(c.current_repair_days, Some(6));
        assert_eq!(c.same_problem.get("刹车异响"), Some(&3));
        assert_eq!(c.same_problem.get("P0300"), Some(&2));
        assert_eq!(c.same_problem.len(), 2);
        assert_eq!(s.same_problem[0].problem, "刹车异响");
        assert!(s.serious_safety.is_empty() && s.major_parts.is_empty());
    }

    #[test]
    fn thresholds_are_parsed_then_checked_by_the_domain() {
        let good = ThresholdsInput {
            period_months: 24.into(),
            period_km: "50000".into(),
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
