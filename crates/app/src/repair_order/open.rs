//! Opening a repair order: from an appointment or as a walk-in, found by VIN anywhere in
//! the network, with comeback detection (the same concern on the same vehicle within 12
//! months opens a free comeback).

use super::*;
use crate::calendar::station_zone;
use crate::network::expect;
use crate::shared::{refused, ts};
use crate::{App, AppError, AppResult, actor};
use domain::Violation;
use domain::appointment::{Appointment, ServiceType};
use domain::estimate::DEFAULT_VAT_BP;
use domain::guarantee::{DeliveredOrder, find_comeback};
use domain::permission::{Action, Grant, Reach};
use domain::repair_order::{RepairOrder, Stage};
use jiff::Timestamp;
use serde::Deserialize;

/// How an order is opened.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OpenInput {
    /// The owner's concern in their words (from the appointment when empty).
    pub concern: Option<String>,
    /// Coded concern (symptom code), if coded.
    pub concern_code: Option<String>,
    /// Why a second order is opened while the vehicle has one open (required then).
    pub second_order_reason: Option<String>,
}

/// Checks in a booked appointment and opens its repair order (reception starts now).
/// Needs `RepairOrderWrite`.
pub async fn open_from_appointment(
    app: &App,
    grant: &Grant,
    appointment_id: i64,
    input: &OpenInput,
) -> AppResult<i64> {
    expect(grant, Action::RepairOrderWrite)?;
    let now = app.clock.now();
    let id = crate::transaction::run(
        app,
        "repair_order.open_from_appointment",
        move |mut tx| async move {
            let a = store::appointment::get(&mut tx, grant.reach(), appointment_id).await?;
            let mut appt: Appointment = crate::appointment::to_domain(&a)?;
            appt.check_in(now).map_err(refused)?;
            let station = store::network::station(&mut tx, &Reach::All, a.station_id).await?;
            let vehicle = store::vehicle::get(&mut tx, &Reach::All, a.vehicle_id).await?;
            let concern = input
                .concern
                .clone()
                .or(a.concern.clone())
                .unwrap_or_default();
            let service_type =
                ServiceType::from_code(&a.service_type).unwrap_or(ServiceType::Repair);
            let id = open(
                &mut tx,
                grant,
                now,
                &station,
                &vehicle,
                Some(a.id),
                Concern {
                    text: &concern,
                    code: input.concern_code.as_deref(),
                    service_type,
                    second_reason: input.second_order_reason.as_deref(),
                },
            )
            .await?;
            appt.convert(&id.to_string()).map_err(refused)?;
            let now_ms = now.as_millisecond();
            store::appointment::set_state(
                &mut tx,
                a.id,
                "booked",
                "converted",
                Some(now_ms),
                Some(id),
                None,
                None,
                now_ms,
            )
            .await?;
            store::event::record(
                &mut tx,
                now_ms,
                actor(grant),
                "appointment",
                a.id,
                "converted",
                &serde_json::json!({"repair_order_id": id}),
                None,
            )
            .await?;
            Ok((tx, id))
        },
    )
    .await?;
    metrics::counter!("repair_orders_opened_total", "source" => "appointment").increment(1);
    Ok(id)
}

/// A walk-in without appointment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WalkInInput {
    /// Station.
    pub station_id: i64,
    /// Vehicle (0 when given by `vin`).
    pub vehicle_id: i64,
    /// The vehicle's VIN, as the desk reads it off the car, when `vehicle_id` is 0.
    pub vin: Option<String>,
    /// The owner's concern.
    pub concern: String,
    /// Coded concern, if coded.
    pub concern_code: Option<String>,
    /// Service type code (`repair` when absent); decides whether the order counts
    /// toward the three-guarantees counters.
    pub service_type: Option<String>,
    /// Why a second order is opened while the vehicle has one open (required then).
    pub second_order_reason: Option<String>,
}

/// Opens a repair order for a walk-in (reception starts now). Needs `RepairOrderWrite`
/// within the station's reach.
pub async fn open_walk_in(app: &App, grant: &Grant, input: &WalkInInput) -> AppResult<i64> {
    expect(grant, Action::RepairOrderWrite)?;
    let service_type = match input.service_type.as_deref().map(str::trim) {
        None | Some("") => ServiceType::Repair,
        Some(code) => ServiceType::from_code(code).ok_or_else(|| {
            AppError::Invalid(
                Violation::new("service_type", "appointment.service_type_unknown").into(),
            )
        })?,
    };
    let now = app.clock.now();
    let id = crate::transaction::run(app, "repair_order.open_walk_in", move |mut tx| async move {
        let station = store::network::station(&mut tx, grant.reach(), input.station_id)
            .await
            .map_err(|_| crate::shared::refused_rule("station_id", "station.unknown"))?;
        // A car may walk into any station. Found by the VIN the desk reads off the car, it
        // is looked up network-wide and the cross-station access is audited; an id, which
        // proves nothing about the car being there, only reaches the caller's own vehicles.
        let vehicle = match input
            .vin
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            Some(vin) if input.vehicle_id == 0 => {
                let vin = domain::vin::Vin::parse(vin)
                    .map_err(|e| AppError::Invalid(Violation::from(e).into()))?;
                let vehicle = store::vehicle::by_vin(&mut tx, &Reach::All, vin.as_str())
                    .await
                    .map_err(|_| crate::shared::refused_rule("vin", "vehicle.unknown"))?;
                if vehicle.station_id != station.id {
                    store::audit::write(
                        &mut tx,
                        now.as_millisecond(),
                        actor(grant),
                        "cross_station_walk_in",
                        "vehicle",
                        vehicle.id,
                        "vin",
                        &format!("walk-in at station {}", station.code),
                    )
                    .await?;
                }
                vehicle
            }
            _ => store::vehicle::get(&mut tx, grant.reach(), input.vehicle_id)
                .await
                .map_err(|_| crate::shared::refused_rule("vehicle_id", "vehicle.unknown"))?,
        };
        let id = open(
            &mut tx,
            grant,
            now,
            &station,
            &vehicle,
            None,
            Concern {
                text: &input.concern,
                code: input.concern_code.as_deref(),
                service_type,
                second_reason: input.second_order_reason.as_deref(),
            },
        )
        .await?;
        Ok((tx, id))
    })
    .await?;
    metrics::counter!("repair_orders_opened_total", "source" => "walk_in").increment(1);
    Ok(id)
}

/// What the owner came for, as an order is opened.
pub(super) struct Concern<'a> {
    text: &'a str,
    code: Option<&'a str>,
    service_type: ServiceType,
    /// Why a second order is opened while the vehicle has one open.
    second_reason: Option<&'a str>,
}

pub(super) async fn open(
    tx: &mut sqlx::AnyConnection,
    grant: &Grant,
    now: Timestamp,
    station: &store::network::Station,
    vehicle: &store::vehicle::Vehicle,
    appointment_id: Option<i64>,
    concern: Concern<'_>,
) -> AppResult<i64> {
    let Concern {
        text: concern,
        code: concern_code,
        service_type,
        second_reason,
    } = concern;
    let concern = concern.trim();
    if concern.is_empty() {
        return Err(AppError::Invalid(
            Violation::new("concern", "required").into(),
        ));
    }
    if concern.chars().count() > 2000 {
        return Err(AppError::Invalid(
            Violation::new("concern", "text.length")
                .with_detail("2000")
                .into(),
        ));
    }
    let concern_code = concern_code.map(str::trim).filter(|s| !s.is_empty());
    let second = second_order(tx, vehicle.id, second_reason).await?;
    let tz = station_zone(tx, station.id).await?;
    let prior = store::repair_order::delivered_for_vehicle(tx, vehicle.id)
        .await?
        .into_iter()
        .map(|d| {
            Ok(DeliveredOrder {
                order_id: d.id,
                vin: vehicle.vin.clone(),
                concern_code: d.concern_code,
                concern_text: d.concern,
                delivered_on: tz.to_datetime(ts(d.delivered_at)?).date(),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let today = tz.to_datetime(now).date();
    let comeback_of = find_comeback(&vehicle.vin, concern_code, concern, today, &prior);
    let standard = crate::stage_standard::current(tx).await?;
    let mut order = RepairOrder::new(standard).map_err(refused)?;
    order.start_stage(Stage::Reception, now).map_err(refused)?;
    let now_ms = now.as_millisecond();
    let row = RepairOrderRow {
        id: 0,
        station_id: station.id,
        customer_id: vehicle.owner_id,
        vehicle_id: vehicle.id,
        appointment_id,
        concern: concern.to_string(),
        concern_code: concern_code.map(str::to_string),
        service_type: service_type.code().to_string(),
        safety_fault: false,
        state: "open".into(),
        current_stage: Some(Stage::Reception.code().into()),
        standard_version: i64::from(order.standard().version),
        applicable: String::new(),
        hourly_rate_fen: station.labour_rate_fen,
        vat_bp: DEFAULT_VAT_BP,
        promised_at: None,
        received_at: now_ms,
        delivered_at: None,
        late_minutes: None,
        courtesy_car: false,
        comeback_of,
        owner_link_active: false,
        version: 0,
    };
    let id = store::repair_order::insert(tx, &row, now_ms).await?;
    let who = actor(grant);
    store::event::record(
        tx,
        now_ms,
        who,
        ENTITY,
        id,
        "opened",
        &serde_json::json!({
            "station_id": station.id, "vehicle_id": vehicle.id, "appointment_id": appointment_id,
            "comeback_of": comeback_of, "service_type": service_type.code(),
        }),
        None,
    )
    .await?;
    if let Some(original) = comeback_of {
        store::event::record(
            tx,
            now_ms,
            who,
            ENTITY,
            id,
            "comeback_linked",
            &serde_json::json!({"original": original}),
            None,
        )
        .await?;
        crate::kpi::record::comeback_opened(tx, original, now_ms).await?;
    }
    if let Some((open, reason)) = second {
        store::event::record(
            tx,
            now_ms,
            who,
            ENTITY,
            id,
            "second_order_opened",
            &serde_json::json!({"open_order": open, "reason": reason}),
            None,
        )
        .await?;
    }
    record_stage(tx, grant, id, "stage_started", Stage::Reception, now_ms).await?;
    Ok(id)
}

/// Longest reason for a second open order, in characters.
const SECOND_REASON_MAX: usize = 500;

/// A vehicle has one open order at a time unless the desk says why it needs a second
/// (a second car key, a body-shop job beside a service…): with an open order and no
/// reason, 409 `repair_order.open_exists` naming the open order; with a reason, the
/// open order and the reason, to be kept on the new order's timeline.
async fn second_order(
    tx: &mut sqlx::AnyConnection,
    vehicle_id: i64,
    reason: Option<&str>,
) -> AppResult<Option<(i64, String)>> {
    let Some(open) = store::repair_order::open_for_vehicle(tx, vehicle_id).await? else {
        return Ok(None);
    };
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        None => Err(refused(
            Violation::new("second_order_reason", "repair_order.open_exists")
                .with_detail(format!("/api/v1/repair-orders/{open}")),
        )),
        Some(r) if r.chars().count() > SECOND_REASON_MAX => Err(AppError::Invalid(
            Violation::new("second_order_reason", "text.length")
                .with_detail(SECOND_REASON_MAX.to_string())
                .into(),
        )),
        Some(r) => Ok(Some((open, r.to_string()))),
    }
}
