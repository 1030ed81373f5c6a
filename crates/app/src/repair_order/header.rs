//! Who and what an order is about, by name: the car (plate, model), its owner (name,
//! masked phone, contact channel), the station, the advisor who opened it, and the
//! names of everyone on its timeline, so no page shows "vehicle 1" or "#19".

use super::view::TimelineEntry;
use crate::{App, AppResult, conn};
use domain::permission::{Grant, Reach};
use serde::Serialize;
use store::repair_order::RepairOrderRow;

/// The names an order's pages show instead of ids.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OrderHeader {
    /// Plate, when registered.
    pub plate: Option<String>,
    /// Brand and model.
    pub model: String,
    /// VIN.
    pub vin: String,
    /// The owner's name, as the caller's role may see it.
    pub customer_name: String,
    /// The owner's phone, masked (`138****0000`).
    pub customer_phone: String,
    /// The owner's contact channel code (`sms`, `wechat`, …).
    pub customer_channel: String,
    /// The station's name in Chinese.
    pub station_zh: String,
    /// The station's name in English.
    pub station_en: String,
    /// The staff member who opened the order (reception), when a person did.
    pub advisor: Option<String>,
    /// Names of the people on the timeline: (role code, id, name).
    pub people: Vec<(String, i64, String)>,
}

impl OrderHeader {
    /// The name of the actor `(role, id)` of a timeline entry, when known.
    pub fn person(&self, role: &str, id: i64) -> Option<&str> {
        self.people
            .iter()
            .find(|p| p.0 == role && p.1 == id)
            .map(|p| p.2.as_str())
    }

    /// The name of staff member `id` (a technician on a line), when known.
    pub fn staff(&self, id: i64) -> Option<&str> {
        self.people
            .iter()
            .find(|p| p.0 != "owner" && p.1 == id)
            .map(|p| p.2.as_str())
    }
}

/// The names for `order` and its `timeline`; the caller already read the order within
/// reach (`RepairOrderRead`), so its car, owner and people are looked up directly.
/// A name that cannot be found is left empty rather than failing the page.
pub async fn header(
    app: &App,
    grant: &Grant,
    order: &RepairOrderRow,
    timeline: &[TimelineEntry],
) -> AppResult<OrderHeader> {
    let mut c = conn(app).await?;
    let mut h = OrderHeader::default();
    if let Ok(v) = store::vehicle::get(&mut c, &Reach::All, order.vehicle_id).await {
        h.plate = v.plate;
        h.model = format!("{} {}", v.brand, v.model).trim().to_string();
        h.vin = v.vin;
    }
    if let Ok(cu) = store::customer::get(&mut c, &Reach::All, order.customer_id).await {
        let cu = crate::privacy::customer_view(grant.principal(), cu);
        h.customer_name = cu.name.clone();
        h.customer_phone = cu.phone.clone();
        h.customer_channel = cu.channel.clone();
        h.people.push(("owner".into(), cu.id, cu.name));
    }
    if let Ok(st) = store::network::station(&mut c, &Reach::All, order.station_id).await {
        h.station_zh = st.name_zh;
        h.station_en = st.name_en;
    }
    // The same rule as every timeline: a step names a person only when the step's role
    // is theirs (an API token shares the id space of staff).
    let actors: Vec<(&str, i64)> = timeline
        .iter()
        .map(|e| (e.actor_role.as_str(), e.actor_id))
        .collect();
    drop(c);
    h.people
        .extend(crate::people::actor_names(app, &actors).await?);
    let mut c = conn(app).await?;
    // Technicians on lines who never wrote an event yet are named too.
    for line in store::estimate::lines(&mut c, order.id)
        .await
        .unwrap_or_default()
    {
        if let Some(tech) = line.technician_id
            && !h.people.iter().any(|p| p.1 == tech && p.0 != "owner")
            && let Ok(s) = store::people::staff(&mut c, &Reach::All, tech).await
        {
            h.people.push((s.role, tech, s.name));
        }
    }
    h.advisor = timeline
        .iter()
        .find(|e| e.kind == "opened")
        .and_then(|e| h.person(&e.actor_role, e.actor_id))
        .map(str::to_string);
    Ok(h)
}

/// Actors that are not people: the system itself and outside providers.
pub fn is_system(role: &str) -> bool {
    matches!(role, "system" | "provider")
}
