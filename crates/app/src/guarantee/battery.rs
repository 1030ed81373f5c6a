//! The traction battery's capacity-fade promise (issue 19, "EV"): head office records
//! per model what its 三包凭证 promises (least share of the rated capacity kept, for
//! so many years or kilometres); stations record battery checks (state of health) of
//! an EV; each check is held to the model's promise in force when it was recorded (or
//! the first one recorded after it: setting a promise holds the checks that had none)
//! and judged against it by [`domain::guarantee::battery::judge`] when a page is read.
//! The first breach is a right of the vehicle
//! ([`domain::guarantee::right::RightKind::BatteryRestore`]), merged into every
//! assessment by `view::assess_at`; since a check's promise never changes once held,
//! the right is never taken back.
//!
//! Permissions: promises `NetworkRead` / `NetworkWrite` at head office (like the
//! policy); a check `RepairOrderWrite` with the vehicle within reach.

use super::history::History;
use crate::input::{Loose, date_in, int, text};
use crate::network::expect;
use crate::{App, AppError, AppResult, actor, conn};
use domain::guarantee::battery::{FadePromise, FadeVerdict, breach, judge};
use domain::permission::{Action, Grant, Reach};
use domain::{Violation, Violations};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use store::guarantee::battery::{CheckRow, PromiseRow};

/// A model's promise as set by head office.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = FadePromiseInput)]
pub struct PromiseInput {
    /// The model as vehicles name it, e.g. `E7`.
    #[schema(value_type = String, min_length = 1, max_length = 60)]
    #[serde(default)]
    pub model: Loose,
    /// The least share of the rated capacity kept, tenths of a per cent (700 = 70.0 %).
    #[schema(value_type = i64, minimum = 1, maximum = 1000)]
    #[serde(default)]
    pub min_share_permille: Loose,
    /// For how many years from the start of the periods.
    #[schema(value_type = i64, minimum = 1, maximum = 30)]
    #[serde(default)]
    pub years: Loose,
    /// Or up to how many kilometres.
    #[schema(value_type = i64, minimum = 1, maximum = 2000000)]
    #[serde(default)]
    pub km: Loose,
}

/// A battery check as recorded at a station.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = BatteryCheckInput)]
pub struct CheckInput {
    /// Day measured, `YYYY-MM-DD` (not after today).
    #[schema(value_type = String, format = Date)]
    #[serde(default)]
    pub checked_on: Loose,
    /// Odometer then, km.
    #[schema(value_type = i64, minimum = 0, maximum = 2000000)]
    #[serde(default)]
    pub odometer_km: Loose,
    /// Measured state of health, tenths of a per cent of the rated capacity.
    #[schema(value_type = i64, minimum = 0, maximum = 1100)]
    #[serde(default)]
    pub share_permille: Loose,
}

/// A model's promise as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = FadePromiseView)]
pub struct PromiseView {
    /// The model.
    pub model: String,
    /// Least share kept, tenths of a per cent.
    pub min_share_permille: u16,
    /// Years.
    pub years: u8,
    /// Kilometres.
    pub km: u32,
}

/// One check with its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = BatteryCheckView)]
pub struct CheckView {
    /// Id.
    pub id: i64,
    /// Day measured.
    pub checked_on: String,
    /// Odometer then.
    pub odometer_km: u32,
    /// Measured share, tenths of a per cent.
    pub share_permille: u16,
    /// The promised share it is held to (the promise in force when it was recorded, or
    /// the first recorded after it), tenths of a per cent; None while there is none.
    pub promise_permille: Option<u16>,
    /// `kept`, `broken` (below the promise inside its window: a quality problem of
    /// the traction battery), `outside` (after the window) or `no_promise`.
    pub verdict: String,
    /// By how much it falls short, tenths of a per cent (when broken).
    pub short_by_permille: Option<u16>,
}

/// The battery part of a vehicle's three-guarantees position (EVs only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BatteryView {
    /// The vehicle's model (the promise is the model's).
    pub model: String,
    /// The model's promise, if head office recorded one.
    pub promise: Option<PromiseView>,
    /// Last day the promise covers, from the periods' start.
    pub promise_until: Option<String>,
    /// Every check, oldest first.
    pub checks: Vec<CheckView>,
    /// The first check below the promise it is held to inside its window, if any: the
    /// check the right to a restored battery arose from.
    pub first_broken: Option<i64>,
}

fn promise_of(r: &PromiseRow) -> Option<FadePromise> {
    FadePromise::new(
        u16::try_from(r.min_share_permille).ok()?,
        u8::try_from(r.years).ok()?,
        u32::try_from(r.km).ok()?,
    )
    .ok()
}

/// The battery position of a loaded history at `today`: each check judged against
/// the promise it is held to; `None` for a car that is not an EV.
pub(crate) async fn load(
    c: &mut sqlx::AnyConnection,
    h: &History,
    today: Date,
) -> AppResult<Option<BatteryView>> {
    if !h.vehicle.is_ev {
        return Ok(None);
    }
    let start = h.coverage.start;
    let promise_row = store::guarantee::battery::promise(c, &h.vehicle.model).await?;
    let promise = promise_row.as_ref().and_then(promise_of);
    let checks = h
        .battery
        .iter()
        .map(|held| {
            let (verdict, short) = match held.promise.as_ref().map(|p| judge(p, start, &held.check))
            {
                None => ("no_promise", None),
                Some(Ok(FadeVerdict::Kept)) => ("kept", None),
                Some(Ok(FadeVerdict::Broken { short_by_permille })) => {
                    ("broken", Some(short_by_permille))
                }
                Some(Ok(FadeVerdict::Outside)) | Some(Err(_)) => ("outside", None),
            };
            CheckView {
                id: held.id.parse().unwrap_or_default(),
                checked_on: held.check.on.to_string(),
                odometer_km: held.check.odometer_km,
                share_permille: held.check.share_permille,
                promise_permille: held.promise.map(|p| p.min_share_permille()),
                verdict: verdict.into(),
                short_by_permille: short,
            }
        })
        .collect();
    let first = breach(start, &h.battery, today).and_then(|b| b.check.parse().ok());
    Ok(Some(BatteryView {
        model: h.vehicle.model.clone(),
        promise_until: promise
            .as_ref()
            .and_then(|p| p.until(start).ok())
            .map(|d| d.to_string()),
        promise: promise.map(|p| PromiseView {
            model: h.vehicle.model.clone(),
            min_share_permille: p.min_share_permille(),
            years: p.years(),
            km: p.km(),
        }),
        checks,
        first_broken: first,
    }))
}

/// Reads a promise: the model and the domain's rules for the figures.
pub fn parse_promise(input: &PromiseInput) -> Result<(String, FadePromise), Violations> {
    let mut v = Violations::new();
    let model = text(&mut v, "model", &input.model, 60);
    let share = int(
        &mut v,
        "min_share_permille",
        &input.min_share_permille,
        1,
        1000,
    );
    let years = int(&mut v, "years", &input.years, 1, 30);
    let km = int(&mut v, "km", &input.km, 1, 2_000_000);
    v.clone().into_result()?;
    let (Some(model), Some(share), Some(years), Some(km)) = (model, share, years, km) else {
        return Err(v);
    };
    let p = FadePromise::new(share as u16, years as u8, km as u32)
        .map_err(|e| Violations::from(Violation::from(e)))?;
    Ok((model, p))
}

/// Every model's promise. Needs `NetworkRead`.
pub async fn promises(app: &App, grant: &Grant) -> AppResult<Vec<PromiseView>> {
    expect(grant, Action::NetworkRead)?;
    let mut c = conn(app).await?;
    Ok(store::guarantee::battery::promises(&mut c)
        .await?
        .iter()
        .filter_map(|r| {
            let p = promise_of(r)?;
            Some(PromiseView {
                model: r.model.clone(),
                min_share_permille: p.min_share_permille(),
                years: p.years(),
                km: p.km(),
            })
        })
        .collect())
}

/// A model of new-energy vehicles with its promise, as head office's settings page
/// lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelPromise {
    /// The model.
    pub model: String,
    /// How many EVs of the model are on record (0: a promise for a model not sold yet).
    pub vehicles: i64,
    /// Its promise, if recorded.
    pub promise: Option<PromiseView>,
}

/// Every EV model on record and every model with a promise, by model. Needs
/// `NetworkRead`.
pub async fn models(app: &App, grant: &Grant) -> AppResult<Vec<ModelPromise>> {
    let list = promises(app, grant).await?;
    let mut c = conn(app).await?;
    let mut out: std::collections::BTreeMap<String, ModelPromise> = Default::default();
    for (model, n) in store::guarantee::battery::ev_models(&mut c).await? {
        out.insert(
            model.clone(),
            ModelPromise {
                model,
                vehicles: n,
                promise: None,
            },
        );
    }
    for p in list {
        let model = p.model.clone();
        let row = out.entry(model.clone()).or_insert_with(|| ModelPromise {
            model,
            vehicles: 0,
            promise: None,
        });
        row.promise = Some(p);
    }
    Ok(out.into_values().collect())
}

/// Sets a model's promise (head office), recording before and after. Needs
/// `NetworkWrite` at head office.
pub async fn set_promise(app: &App, grant: &Grant, input: &PromiseInput) -> AppResult<PromiseView> {
    expect(grant, Action::NetworkWrite)?;
    if *grant.reach() != Reach::All {
        return Err(AppError::Forbidden);
    }
    let (model, p) = parse_promise(input)?;
    let now = app.now_ms();
    let row = PromiseRow {
        model: model.clone(),
        min_share_permille: i64::from(p.min_share_permille()),
        years: i64::from(p.years()),
        km: i64::from(p.km()),
        updated_at: now,
    };
    let row = &row;
    crate::transaction::run(
        app,
        "guarantee.set_fade_promise",
        move |mut tx| async move {
            let before =
                store::guarantee::battery::put_promise(&mut tx, row, grant.principal().id).await?;
            // Checks recorded while the model had no promise are held to this one.
            let held = store::guarantee::battery::hold_unheld(&mut tx, row).await?;
            store::event::record(
                &mut tx,
                now,
                actor(grant),
                "three_guarantees_policy",
                0,
                "fade_promise_set",
                &serde_json::json!({"model": row.model, "before": before, "after": row, "checks_held": held}),
                None,
            )
            .await?;
            Ok((tx, ()))
        },
    )
    .await?;
    Ok(PromiseView {
        model,
        min_share_permille: p.min_share_permille(),
        years: p.years(),
        km: p.km(),
    })
}

/// Records a battery check of an EV within reach; a check of a car that is not an EV
/// is refused (409 `guarantee.not_ev`), a day after today or a share above 110 % is
/// malformed (422). Needs `RepairOrderWrite`.
pub async fn record_check(
    app: &App,
    grant: &Grant,
    vehicle_id: i64,
    input: &CheckInput,
) -> AppResult<i64> {
    expect(grant, Action::RepairOrderWrite)?;
    let now = app.now_ms();
    let today = crate::shared::ts(now)?
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC))
        .date();
    let mut v = Violations::new();
    let on = date_in(
        &mut v,
        "checked_on",
        &input.checked_on,
        Date::constant(2000, 1, 1),
        today,
    );
    let km = int(&mut v, "odometer_km", &input.odometer_km, 0, 2_000_000);
    let share = int(&mut v, "share_permille", &input.share_permille, 0, 1100);
    v.clone().into_result()?;
    let (Some(on), Some(km), Some(share)) = (on, km, share) else {
        return Err(AppError::Invalid(v));
    };
    let station = match grant.reach() {
        Reach::Station(s) => Some(s.get()),
        _ => None,
    };
    crate::transaction::run(app, "guarantee.record_battery_check", move |mut tx| async move {
        let veh = store::vehicle::get(&mut tx, grant.reach(), vehicle_id).await?;
        if !veh.is_ev {
            return Err(AppError::Refused(
                Violation::new("vehicle_id", "guarantee.not_ev").into(),
            ));
        }
        // The check is held to the promise in force now (none: the first one recorded).
        let promise = store::guarantee::battery::promise(&mut tx, &veh.model).await?;
        let row = CheckRow {
            promise_share_permille: promise.as_ref().map(|p| p.min_share_permille),
            promise_years: promise.as_ref().map(|p| p.years),
            promise_km: promise.as_ref().map(|p| p.km),
            id: 0,
            vehicle_id: veh.id,
            station_id: station,
            checked_on: on.to_string(),
            odometer_km: km,
            share_permille: share,
            recorded_at: now,
        };
        let id =
            store::guarantee::battery::insert_check(&mut tx, &row, grant.principal().id).await?;
        store::event::record(
            &mut tx,
            now,
            actor(grant),
            "vehicle",
            veh.id,
            "battery_check_recorded",
            &serde_json::json!({"check": id, "checked_on": row.checked_on, "odometer_km": km, "share_permille": share}),
            None,
        )
        .await?;
        Ok((tx, id))
    })
    .await
}
