//! The dossier per vehicle (三包档案): every order with its clock, repair days and
//! excluded intervals, every classified fault (part, main part, replacement,
//! exclusion), every right with its article and evidence, and every request — one
//! read, for a dispute, 12315 or a regulator.

use super::history;
use super::request::{RequestView, of_vehicle};
use super::view::{ThreeGuarantees, assess_at, view};
use crate::network::expect;
use crate::shared::ts;
use crate::{App, AppResult, conn};
use domain::permission::{Action, Grant, Reach};
use serde::Serialize;
use store::guarantee::ExcludedRow;
use store::guarantee::line::LineRow;

/// One order in the dossier.
#[derive(Debug, Clone, Serialize)]
pub struct DossierOrder {
    /// The order.
    pub order_id: i64,
    /// Station that took it.
    pub station_id: i64,
    /// The owner's concern in their words.
    pub concern: String,
    /// Service type code.
    pub service_type: String,
    /// Agreed repair, UTC ms.
    pub agreed_at: i64,
    /// Repair complete, UTC ms.
    pub completed_at: Option<i64>,
    /// Days for Art 21.
    pub repair_days: u32,
    /// Days toward the 30 (none for an order that repaired no counted quality problem
    /// inside the 三包 period).
    pub counted_days: u32,
    /// Excluded intervals.
    pub excluded: Vec<ExcludedRow>,
    /// Classified faults.
    pub lines: Vec<LineRow>,
}

/// The whole dossier.
#[derive(Debug, Clone, Serialize)]
pub struct Dossier {
    /// The vehicle's position (windows, counters, rights, warnings).
    pub position: ThreeGuarantees,
    /// Brand and model as shown.
    pub model: String,
    /// Plate, if registered.
    pub plate: Option<String>,
    /// Every order, oldest first.
    pub orders: Vec<DossierOrder>,
    /// Every request.
    pub requests: Vec<RequestView>,
    /// The car that replaced this one (id, VIN), once a replacement was performed.
    pub replaced_by: Option<(i64, String)>,
    /// The car this one replaced (id, VIN), when it is a replacement car: its own
    /// periods started anew (Art 29).
    pub replacement_for: Option<(i64, String)>,
}

/// The dossier of a vehicle within reach. Needs `RepairOrderRead`.
pub async fn dossier(app: &App, grant: &Grant, vehicle_id: i64) -> AppResult<Dossier> {
    expect(grant, Action::RepairOrderRead)?;
    // Read before the connection below is taken: a pool of one must not wait on itself.
    let requests = of_vehicle(app, grant, vehicle_id).await?;
    let mut c = conn(app).await?;
    let vehicle = store::vehicle::get(&mut c, grant.reach(), vehicle_id).await?;
    let (model, plate) = (
        format!("{} {}", vehicle.brand, vehicle.model),
        vehicle.plate.clone(),
    );
    let h = history::load(&mut c, vehicle).await?;
    let now = ts(app.now_ms())?;
    let battery = super::battery::load(&mut c, &h, h.tz.to_datetime(now).date()).await?;
    // The link both ways (Art 29): a car's VIN is shown to whoever reads either dossier.
    let replaced_by = match requests.iter().find_map(|r| r.replacement_vehicle_id) {
        Some(id) => Some((id, store::vehicle::get(&mut c, &Reach::All, id).await?.vin)),
        None => None,
    };
    let replacement_for = match store::guarantee::request::replacing(&mut c, vehicle_id).await? {
        Some(r) => Some((
            r.vehicle_id,
            store::vehicle::get(&mut c, &Reach::All, r.vehicle_id)
                .await?
                .vin,
        )),
        None => None,
    };
    drop(c);
    let a = assess_at(&h, now);
    let orders = h
        .orders
        .iter()
        .zip(&h.visits)
        .map(|(o, v)| DossierOrder {
            order_id: o.id,
            station_id: o.station_id,
            concern: o.concern.clone(),
            service_type: o.service_type.clone(),
            agreed_at: v.span.agreed_at().as_millisecond(),
            completed_at: v.span.completed_at().map(|t| t.as_millisecond()),
            repair_days: v.span.repair_days(now),
            counted_days: v.days_toward_total(&h.coverage, now),
            excluded: h
                .excluded
                .iter()
                .filter(|e| e.repair_order_id == o.id)
                .cloned()
                .collect(),
            lines: h
                .lines
                .iter()
                .filter(|l| l.repair_order_id == o.id)
                .cloned()
                .collect(),
        })
        .collect();
    let mut position = view(&h, &a, now);
    position.battery = battery;
    Ok(Dossier {
        position,
        model,
        plate,
        orders,
        requests,
        replaced_by,
        replacement_for,
    })
}
