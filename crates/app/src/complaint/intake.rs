//! The agent's intake: who is calling, found by the visible tail of their phone (four
//! digits) or their name, or by their plate, with their vehicles, each vehicle's
//! open repair order and every complaint still open — shown BEFORE a new complaint
//! is filed, so an agent adds to the open one rather than filing it twice. Personal
//! data is masked as in every list (the privacy policy's views).

use super::ComplaintRow;
use crate::{App, AppResult, conn};
use domain::permission::{Action, Grant};
use store::customer::Customer;
use store::vehicle::Vehicle;

/// Most callers a search shows.
pub const MAX_CALLERS: usize = 5;

/// One vehicle of a caller.
#[derive(Debug, Clone)]
pub struct CallerVehicle {
    /// The vehicle, masked as the caller may see it.
    pub vehicle: Vehicle,
    /// Its open (not delivered) repair order, if any.
    pub open_order: Option<i64>,
}

/// One caller found, with what the agent must see before filing.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The customer, masked.
    pub customer: Customer,
    /// Their vehicles.
    pub vehicles: Vec<CallerVehicle>,
    /// Their complaints not closed yet.
    pub open_complaints: Vec<ComplaintRow>,
}

/// Finds callers by `q`: a four-digit phone tail or a name (as the customer search
/// reads it; a whole number is refused there and not searched here), or a plate or
/// VIN fragment (the vehicle search). At most [`MAX_CALLERS`].
pub async fn find(app: &App, grant: &Grant, q: &str) -> AppResult<Vec<Caller>> {
    crate::network::expect(grant, Action::ComplaintWrite)?;
    let q = q.trim();
    if q.is_empty() {
        return Ok(vec![]);
    }
    let p = grant.principal();
    let mut c = conn(app).await?;
    let mut ids: Vec<i64> = Vec::new();
    if let Ok(terms) = domain::privacy::lookup::search_terms(q) {
        let search = store::customer::CustomerSearch {
            name: terms.name,
            tail: terms.tail,
            station_id: None,
        };
        let found = store::customer::list(
            &mut c,
            grant.reach(),
            &search,
            store::Page {
                page: 1,
                per_page: MAX_CALLERS as i64,
            },
        )
        .await?;
        ids.extend(found.items.iter().map(|x| x.id));
    }
    if q.chars().count() >= 3 {
        let f = store::vehicle::VehicleFilter {
            q: Some(q.to_string()),
            ..Default::default()
        };
        let found = store::vehicle::list(
            &mut c,
            grant.reach(),
            &f,
            store::Page {
                page: 1,
                per_page: MAX_CALLERS as i64,
            },
        )
        .await
        .map(|p| p.items)
        .unwrap_or_default();
        ids.extend(found.iter().map(|v| v.owner_id));
    }
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    ids.truncate(MAX_CALLERS);
    let mut out = Vec::new();
    for id in ids {
        let Ok(customer) = store::customer::get(&mut c, grant.reach(), id).await else {
            continue;
        };
        let owned = store::vehicle::list(
            &mut c,
            grant.reach(),
            &store::vehicle::VehicleFilter {
                owner_id: Some(id),
                ..Default::default()
            },
            store::Page {
                page: 1,
                per_page: 20,
            },
        )
        .await?;
        let mut vehicles = Vec::new();
        for v in owned.items {
            let open_order = store::repair_order::open_for_vehicle(&mut c, v.id).await?;
            vehicles.push(CallerVehicle {
                vehicle: crate::privacy::vehicle_view(p.role, v),
                open_order,
            });
        }
        let mut open_complaints: Vec<ComplaintRow> = store::complaint::for_customer(&mut c, id)
            .await?
            .into_iter()
            .filter(|x| x.state != "closed")
            .collect();
        for x in &mut open_complaints {
            super::mask_typed_numbers(x);
        }
        out.push(Caller {
            customer: crate::privacy::customer_view(p, customer),
            vehicles,
            open_complaints,
        });
    }
    Ok(out)
}
