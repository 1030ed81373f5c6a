//! What a pick-up's page names instead of numbering: its station, its car (plate and
//! VIN), the appointment it serves (by its time) and the drivers its steps name.

use super::READ;
use crate::network::expect;
use crate::{App, AppResult, conn};
use domain::permission::{Grant, Reach};
use serde::Serialize;
use store::pickup::PickupRow;

/// The names a pick-up's page shows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PickupNames {
    /// The station's name in Chinese.
    pub station_zh: String,
    /// The station's name in English.
    pub station_en: String,
    /// The car's plate, if registered.
    pub plate: Option<String>,
    /// The car's VIN.
    pub vin: String,
    /// When the appointment it serves starts, UTC ms.
    pub appointment_at: Option<i64>,
    /// Staff named by id in the pick-up or its steps (the driver, a driver before):
    /// (id, name).
    pub staff: Vec<(i64, String)>,
}

/// The names of `p` and of the staff `staff_ids`. The caller has already read the
/// pick-up within its reach (`app::pickup::get`); its station, car, appointment and
/// driver are part of it, so they are read whatever the caller's reach. Needs `READ`.
pub async fn names(
    app: &App,
    grant: &Grant,
    p: &PickupRow,
    staff_ids: &[i64],
) -> AppResult<PickupNames> {
    expect(grant, READ)?;
    let mut c = conn(app).await?;
    let mut out = PickupNames::default();
    if let Ok(st) = store::network::station(&mut c, &Reach::All, p.station_id).await {
        out.station_zh = st.name_zh;
        out.station_en = st.name_en;
    }
    if let Ok(v) = store::vehicle::get(&mut c, &Reach::All, p.vehicle_id).await {
        out.plate = v.plate;
        out.vin = v.vin;
    }
    if let Some(a) = p.appointment_id {
        out.appointment_at = store::appointment::get(&mut c, &Reach::All, a)
            .await
            .ok()
            .map(|a| a.start_at);
    }
    let mut ids: Vec<i64> = staff_ids.iter().copied().chain(p.driver_id).collect();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        if let Ok(s) = store::people::staff(&mut c, &Reach::All, id).await {
            out.staff.push((id, s.name));
        }
    }
    Ok(out)
}
