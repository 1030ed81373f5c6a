//! Reading replacement or refund requests: the list of those within reach (the
//! waiting ones first, each with its deadline's status today) and one request with
//! its vehicle, the answer and its timeline.

use super::{ENTITY, view_of};
use crate::network::expect;
use crate::shared::ts;
use crate::{App, AppError, AppResult, conn};
use domain::guarantee::request::{Request, RequestState};
use domain::permission::{Action, Grant, Reach};
use serde::Serialize;

/// Longest list shown.
pub const LIST_LIMIT: i64 = 200;

/// A request in the list.
#[derive(Debug, Clone, Serialize)]
pub struct RequestItem {
    /// The request.
    pub request: super::RequestView,
    /// The vehicle's VIN.
    pub vin: String,
    /// Its plate, if registered.
    pub plate: Option<String>,
}

/// Requests within reach, optionally of one state (`filed`, `accepted`, `refused`,
/// `performed`), the waiting ones first. Needs `RepairOrderRead`.
pub async fn list(app: &App, grant: &Grant, state: Option<&str>) -> AppResult<Vec<RequestItem>> {
    expect(grant, Action::RepairOrderRead)?;
    let state = state.filter(|s| ["filed", "accepted", "refused", "performed"].contains(s));
    let mut c = conn(app).await?;
    let rows = store::guarantee::request::list(&mut c, grant.reach(), state, LIST_LIMIT).await?;
    let now = ts(app.now_ms())?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let tz = crate::calendar::station_zone(&mut c, r.request.station_id).await?;
        let today = tz.to_datetime(now).date();
        out.push(RequestItem {
            request: view_of(&r.request, today)?,
            vin: r.vin,
            plate: r.plate,
        });
    }
    Ok(out)
}

/// One request with what its page shows.
#[derive(Debug, Clone, Serialize)]
pub struct RequestDetail {
    /// The request.
    pub request: super::RequestView,
    /// The vehicle's VIN.
    pub vin: String,
    /// Its plate, if registered.
    pub plate: Option<String>,
    /// Day of the answer, once answered.
    pub answered_on: Option<String>,
    /// The reason of a refusal.
    pub refusal: Option<String>,
    /// Day replaced or refunded.
    pub performed_on: Option<String>,
    /// Every step, oldest first.
    pub timeline: Vec<store::event::Event>,
    /// The car that replaced the vehicle, once a replacement was performed (Art 29).
    pub replacement: Option<ReplacementCar>,
    /// The names of the staff in the timeline: (role, staff id, name), so the page
    /// names who took each step instead of a number.
    pub people: Vec<(String, i64, String)>,
}

/// The replacement car as the request's page shows it: the new car starts its own
/// periods (Art 29), so their ends are shown beside its VIN.
#[derive(Debug, Clone, Serialize)]
pub struct ReplacementCar {
    /// The new car's vehicle id, for its page and dossier.
    pub vehicle_id: i64,
    /// Its VIN.
    pub vin: String,
    /// End of its three-guarantees period, as recorded when it was delivered.
    pub sanbao_until: Option<String>,
    /// End of its warranty period, as recorded when it was delivered.
    pub warranty_until: Option<String>,
}

/// One request with its vehicle within reach. Needs `RepairOrderRead`.
pub async fn detail(app: &App, grant: &Grant, id: i64) -> AppResult<RequestDetail> {
    expect(grant, Action::RepairOrderRead)?;
    let mut c = conn(app).await?;
    let row = store::guarantee::request::get(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let veh = store::vehicle::get(&mut c, grant.reach(), row.vehicle_id).await?;
    let tz = crate::calendar::station_zone(&mut c, row.station_id).await?;
    let today = tz.to_datetime(ts(app.now_ms())?).date();
    let req: Request = crate::shared::rebuild(
        serde_json::from_str(&row.state_json).map_err(|e| AppError::Internal(e.to_string()))?,
    )?;
    let (answered_on, refusal, performed_on) = match &req.state {
        RequestState::Filed => (None, None, None),
        RequestState::Accepted { on, .. } => (Some(on.to_string()), None, None),
        RequestState::Refused { on, reason } => (Some(on.to_string()), Some(reason.clone()), None),
        RequestState::Performed { on } => (None, None, Some(on.to_string())),
    };
    let timeline = store::event::for_entity(&mut c, ENTITY, id).await?;
    // The link both ways (Art 29): whoever reads the request sees the car that replaced it.
    let replacement = match row.replacement_vehicle_id {
        Some(vid) => {
            let car = store::vehicle::get(&mut c, &Reach::All, vid).await?;
            let performed = timeline
                .iter()
                .rev()
                .find(|e| e.data.get("new_vin").is_some());
            let day = |k: &str| {
                performed
                    .and_then(|e| e.data.get(k))
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_string)
            };
            Some(ReplacementCar {
                vehicle_id: vid,
                vin: car.vin,
                sanbao_until: day("new_sanbao_until"),
                warranty_until: day("new_warranty_until"),
            })
        }
        None => None,
    };
    drop(c);
    let actors: Vec<(&str, i64)> = timeline
        .iter()
        .map(|e| (e.actor_role.as_str(), e.actor_id))
        .collect();
    let people = crate::people::actor_names(app, &actors).await?;
    Ok(RequestDetail {
        request: view_of(&row, today)?,
        vin: veh.vin,
        plate: veh.plate,
        answered_on,
        refusal,
        performed_on,
        timeline,
        replacement,
        people,
    })
}
