//! Read models of the booking pages, each returned whole so a page only renders it:
//! the stations a person books at (nearest first, with a name search), the free
//! slots of a station grouped by day (soonest first, on the real published capacity:
//! a free bay and a qualified technician for the whole job), and the day / week view
//! of a station's capacity with the appointments in each slot.

use crate::calendar::{station_calendar, station_zone};
use crate::capacity::state::{SEARCH_HORIZON_DAYS, job_for, load_state};
use crate::network::expect;
use crate::shared::{expect_any, station_reach};
use crate::{App, AppError, AppResult, conn};
use domain::appointment::ServiceType;
use domain::permission::{Action, Grant, Reach};
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
use store::appointment::AppointmentRow;
use store::network::{Station, StationFilter};

/// Most free starts a slot picker offers over its horizon.
const MAX_FREE_SLOTS: usize = 400;

/// Starts shown as "best" above the day tabs: the soonest free ones.
pub const BEST_SLOTS: usize = 4;

/// Longest span of the day / week view, in days.
pub const MAX_VIEW_DAYS: u8 = 7;

/// A station as a person picks it: by name, with its city and distance.
#[derive(Debug, Clone)]
pub struct StationChoice {
    /// Id (never shown; the form value).
    pub id: i64,
    /// Code, e.g. `BJ-0001`.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// City.
    pub city: String,
    /// Street address.
    pub address: String,
    /// Distance from the position used to sort, km (none when no position is known).
    pub distance_km: Option<f64>,
}

impl StationChoice {
    fn of(s: &Station, from: Option<(f64, f64)>) -> StationChoice {
        StationChoice {
            id: s.id,
            code: s.code.clone(),
            name_zh: s.name_zh.clone(),
            name_en: s.name_en.clone(),
            city: s.city.clone(),
            address: s.address.clone(),
            distance_km: from.map(|p| domain::capacity::haversine_km(p, (s.lat, s.lon))),
        }
    }
}

/// The active stations a booking can be made at, within the grant's reach (owners:
/// every station — where a station is and its free slots are not personal data),
/// matching `q` (code, name or city words), nearest to `near` (latitude, longitude)
/// first, else to the `home` station, else by code; at most `limit`. Needs
/// `AppointmentRead`, `AppointmentBook` or `KpiRead` (the KPI pages pick stations too).
pub async fn stations(
    app: &App,
    grant: &Grant,
    q: Option<&str>,
    near: Option<(f64, f64)>,
    home: Option<i64>,
    limit: usize,
) -> AppResult<Vec<StationChoice>> {
    expect_any(
        grant,
        &[
            Action::AppointmentRead,
            Action::AppointmentBook,
            Action::KpiRead,
        ],
    )?;
    let reach = station_reach(grant.reach());
    let mut c = conn(app).await?;
    let from = match (near, home) {
        (Some(p), _) => Some(p),
        (None, Some(h)) => store::network::station(&mut c, &Reach::All, h)
            .await
            .ok()
            .map(|s| (s.lat, s.lon)),
        (None, None) => None,
    };
    let filter = StationFilter {
        q: q.map(str::trim).filter(|q| !q.is_empty()).map(String::from),
        status: Some("active".into()),
        region_id: None,
    };
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let found =
            store::network::stations(&mut c, &reach, &filter, store::Page::new(page, 200)).await?;
        out.extend(found.items.iter().map(|s| StationChoice::of(s, from)));
        if found.items.len() < 200 || out.len() >= 5_000 {
            break;
        }
        page += 1;
    }
    out.sort_by(|a, b| {
        a.distance_km
            .unwrap_or(0.0)
            .total_cmp(&b.distance_km.unwrap_or(0.0))
            .then_with(|| a.code.cmp(&b.code))
    });
    out.truncate(limit);
    Ok(out)
}

/// One free start a person can pick.
#[derive(Debug, Clone)]
pub struct FreeSlot {
    /// Start, UTC ms.
    pub start_ms: i64,
    /// The station's local day.
    pub date: Date,
    /// Local time `HH:MM`.
    pub time: String,
    /// The form value: `YYYY-MM-DD HH:MM` in the station's zone.
    pub value: String,
}

/// The free slots of a station for a service, as a picker shows them.
#[derive(Debug, Clone)]
pub struct SlotPicker {
    /// The station.
    pub station: StationChoice,
    /// The soonest free starts (best first).
    pub best: Vec<FreeSlot>,
    /// Every free start of the horizon grouped by local day, days in order.
    pub days: Vec<(Date, Vec<FreeSlot>)>,
}

/// One day tab of a slot picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickerTab {
    /// The station's local day.
    pub date: Date,
    /// Free starts that day.
    pub count: usize,
    /// The day shown.
    pub on: bool,
}

/// What a slot picker page shows for the day and the start a person asked for: the
/// best starts, the day tabs with the asked day open (else the first), that day's
/// starts and the chosen start when it is still free. The console's booking page
/// and the owner's booking and reschedule pages all show this.
#[derive(Debug, Clone)]
pub struct PickerChoice {
    /// The soonest free starts.
    pub best: Vec<FreeSlot>,
    /// Days with free starts, in order.
    pub tabs: Vec<PickerTab>,
    /// The free starts of the open day.
    pub times: Vec<FreeSlot>,
    /// The asked start, when it is free.
    pub start: Option<FreeSlot>,
    /// Nothing free over the whole horizon.
    pub no_slots: bool,
    /// A start was asked that is no longer free (taken meanwhile): say so.
    pub gone: bool,
}

impl SlotPicker {
    /// The picker opened on `day` (`YYYY-MM-DD`; else the first day) with `start`
    /// (a [`FreeSlot::value`]; empty for none) chosen.
    pub fn choose(&self, day: &str, start: &str) -> PickerChoice {
        let on = self
            .days
            .iter()
            .position(|(d, _)| d.to_string() == day.trim())
            .unwrap_or(0);
        let start = start.trim();
        let chosen = self
            .days
            .iter()
            .flat_map(|(_, v)| v.iter())
            .find(|f| f.value == start)
            .cloned();
        PickerChoice {
            best: self.best.clone(),
            tabs: self
                .days
                .iter()
                .enumerate()
                .map(|(i, (d, v))| PickerTab {
                    date: *d,
                    count: v.len(),
                    on: i == on,
                })
                .collect(),
            times: self
                .days
                .get(on)
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            gone: !start.is_empty() && chosen.is_none(),
            start: chosen,
            no_slots: self.days.is_empty(),
        }
    }
}

/// The free starts of a station for `service_type` over the next
/// [`SEARCH_HORIZON_DAYS`] days, soonest first: a start is free when a bay and a
/// technician qualified for the service are free for the whole job, inside opening
/// hours on a working day (the same rules a booking is checked with). Publishes the
/// station's first month of capacity when it has none. Needs `AppointmentRead` or
/// `AppointmentBook`; the station must be within reach (owners: any).
pub async fn slot_picker(
    app: &App,
    grant: &Grant,
    station_id: i64,
    service_type: ServiceType,
) -> AppResult<SlotPicker> {
    expect_any(grant, &[Action::AppointmentRead, Action::AppointmentBook])?;
    let station = {
        let mut c = conn(app).await?;
        store::network::station(&mut c, &station_reach(grant.reach()), station_id).await?
    };
    crate::repair_order::view::ensure_ready(app, station.id).await?;
    let now = app.clock.now();
    let mut c = conn(app).await?;
    let job = job_for(&mut c, service_type, &[], None).await?;
    let cal = station_calendar(&mut c, &station).await?;
    let to = now
        .saturating_add(SignedDuration::from_hours(
            24 * i64::from(SEARCH_HORIZON_DAYS + 1),
        ))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let state = load_state(&mut c, station.id, now, to).await?;
    let tz = station_zone(&mut c, station.id).await?;
    let starts = domain::capacity::find_slots(
        &cal,
        &state,
        &job,
        now,
        SEARCH_HORIZON_DAYS,
        now,
        MAX_FREE_SLOTS,
    );
    let mut free: Vec<FreeSlot> = starts.iter().map(|t| free_slot(*t, &tz)).collect();
    free.sort_by_key(|f| f.start_ms);
    let best = free.iter().take(BEST_SLOTS).cloned().collect();
    let mut days: Vec<(Date, Vec<FreeSlot>)> = Vec::new();
    for f in free {
        match days.last_mut() {
            Some((d, v)) if *d == f.date => v.push(f),
            _ => days.push((f.date, vec![f])),
        }
    }
    Ok(SlotPicker {
        station: StationChoice::of(&station, None),
        best,
        days,
    })
}

/// The card of one stored appointment: its vehicle's plate and model and its
/// customer's name as the grant's holder may see it (names are read once per customer).
async fn card(
    c: &mut sqlx::AnyConnection,
    grant: &Grant,
    r: &AppointmentRow,
    tz: &TimeZone,
    now: Timestamp,
    names: &mut HashMap<i64, String>,
) -> AppResult<AppointmentCard> {
    // The appointment itself was read within reach; its vehicle and customer may be
    // registered at another station, so they are looked up by id without a reach.
    let vehicle = store::vehicle::get(c, &Reach::All, r.vehicle_id).await.ok();
    if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(r.customer_id) {
        let name = store::customer::get(c, &Reach::All, r.customer_id)
            .await
            .map(|cu| crate::privacy::customer_view(grant.principal(), cu).name)
            .unwrap_or_default();
        slot.insert(name);
    }
    let z = Timestamp::from_millisecond(r.start_at)
        .map_err(|e| AppError::Internal(e.to_string()))?
        .to_zoned(tz.clone());
    Ok(AppointmentCard {
        id: r.id,
        start_ms: r.start_at,
        date: z.date(),
        time: z.strftime("%H:%M").to_string(),
        plate: vehicle
            .as_ref()
            .map(|v| {
                v.plate
                    .clone()
                    .unwrap_or_else(|| v.vin[v.vin.len().saturating_sub(6)..].to_string())
            })
            .unwrap_or_default(),
        model: vehicle
            .as_ref()
            .map(|v| format!("{} {}", v.brand, v.model))
            .unwrap_or_default(),
        customer: names.get(&r.customer_id).cloned().unwrap_or_default(),
        service_type: r.service_type.clone(),
        state: r.state.clone(),
        concern: r.concern.clone().unwrap_or_default(),
        repair_order_id: r.repair_order_id,
        started: r.start_at <= now.as_millisecond(),
    })
}

/// One booking as its confirmation page shows it: the station by name and the card.
#[derive(Debug, Clone)]
pub struct BookingView {
    /// The station.
    pub station: StationChoice,
    /// The appointment.
    pub card: AppointmentCard,
}

/// One appointment within reach with its station, plate, model and customer name.
/// Needs `AppointmentRead`.
pub async fn booking(app: &App, grant: &Grant, id: i64) -> AppResult<BookingView> {
    expect(grant, Action::AppointmentRead)?;
    let now = app.clock.now();
    let mut c = conn(app).await?;
    let row = store::appointment::get(&mut c, grant.reach(), id).await?;
    let station = store::network::station(&mut c, &Reach::All, row.station_id).await?;
    let tz = station_zone(&mut c, station.id).await?;
    let card = card(&mut c, grant, &row, &tz, now, &mut HashMap::new()).await?;
    Ok(BookingView {
        station: StationChoice::of(&station, None),
        card,
    })
}

fn free_slot(t: Timestamp, tz: &TimeZone) -> FreeSlot {
    let z = t.to_zoned(tz.clone());
    FreeSlot {
        start_ms: t.as_millisecond(),
        date: z.date(),
        time: z.strftime("%H:%M").to_string(),
        value: z.strftime("%Y-%m-%d %H:%M").to_string(),
    }
}

/// An appointment as the day view shows it: names and plate, never ids.
#[derive(Debug, Clone)]
pub struct AppointmentCard {
    /// Id (for the action forms).
    pub id: i64,
    /// Start, UTC ms.
    pub start_ms: i64,
    /// The station's local day.
    pub date: Date,
    /// Local `HH:MM`.
    pub time: String,
    /// Plate (or the VIN's last six when unregistered).
    pub plate: String,
    /// Brand and model.
    pub model: String,
    /// The customer's name as this user may see it.
    pub customer: String,
    /// Service type code (the page translates it).
    pub service_type: String,
    /// State code (the page translates it).
    pub state: String,
    /// The owner's concern as told.
    pub concern: String,
    /// The repair order opened from it.
    pub repair_order_id: Option<i64>,
    /// Whether its start has passed (a no-show may be recorded).
    pub started: bool,
}

/// One slot of the view: its capacity, what is booked and the appointments starting in it.
#[derive(Debug, Clone)]
pub struct SlotRow {
    /// Start, UTC ms.
    pub start_ms: i64,
    /// Local `HH:MM`.
    pub time: String,
    /// Bays published.
    pub bays: i64,
    /// Bays booked.
    pub used: i64,
    /// Appointments starting in this slot.
    pub appointments: Vec<AppointmentCard>,
}

impl SlotRow {
    /// Bays still free.
    pub fn free(&self) -> i64 {
        (self.bays - self.used).max(0)
    }
}

/// One day of the view.
#[derive(Debug, Clone)]
pub struct DayColumn {
    /// The station's local day.
    pub date: Date,
    /// Its published slots in time order (empty on a closed day).
    pub slots: Vec<SlotRow>,
    /// Appointments that start outside any published slot (kept visible).
    pub unslotted: Vec<AppointmentCard>,
}

impl DayColumn {
    /// Appointments of the day, every state.
    pub fn booked(&self) -> usize {
        self.slots
            .iter()
            .map(|s| s.appointments.len())
            .sum::<usize>()
            + self.unslotted.len()
    }

    /// Free bay-slots of the day.
    pub fn free(&self) -> i64 {
        self.slots.iter().map(SlotRow::free).sum()
    }
}

/// A station's capacity and appointments over one or more days.
#[derive(Debug, Clone)]
pub struct DayView {
    /// The station.
    pub station: StationChoice,
    /// Today in the station's zone.
    pub today: Date,
    /// The days shown, in order.
    pub days: Vec<DayColumn>,
}

/// The day / week view of a station: `days` (1–7) days from `first` (today when
/// none), each with its published slots (bays booked / free) and the appointments
/// starting in them, shown by plate, model and customer name. Needs `AppointmentRead`
/// within the station's reach.
pub async fn day_view(
    app: &App,
    grant: &Grant,
    station_id: i64,
    first: Option<Date>,
    days: u8,
) -> AppResult<DayView> {
    expect(grant, Action::AppointmentRead)?;
    let days = days.clamp(1, MAX_VIEW_DAYS);
    let station = {
        let mut c = conn(app).await?;
        store::network::station(&mut c, grant.reach(), station_id).await?
    };
    crate::repair_order::view::ensure_ready(app, station.id).await?;
    let now = app.clock.now();
    let mut c = conn(app).await?;
    let tz = station_zone(&mut c, station.id).await?;
    let today = tz.to_datetime(now).date();
    let first = first.unwrap_or(today);
    let midnight = |d: Date| {
        tz.to_timestamp(d.to_datetime(Time::midnight()))
            .map_err(|e| AppError::Internal(e.to_string()))
    };
    let last = first
        .checked_add(jiff::Span::new().days(i64::from(days)))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let (from, to) = (
        midnight(first)?.as_millisecond(),
        midnight(last)?.as_millisecond(),
    );
    let slots = store::capacity::slots_between(&mut c, station.id, from, to).await?;
    let rows = store::appointment::list(&mut c, grant.reach(), station.id, from, to).await?;
    let mut names: HashMap<i64, String> = HashMap::new();
    let mut cards = Vec::with_capacity(rows.len());
    for r in &rows {
        cards.push(card(&mut c, grant, r, &tz, now, &mut names).await?);
    }
    let mut columns = Vec::with_capacity(usize::from(days));
    let mut d = first;
    for _ in 0..days {
        columns.push(DayColumn {
            date: d,
            slots: vec![],
            unslotted: vec![],
        });
        d = d
            .tomorrow()
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    let local = |ms: i64| {
        Timestamp::from_millisecond(ms)
            .map(|t| t.to_zoned(tz.clone()))
            .map_err(|e| AppError::Internal(e.to_string()))
    };
    for s in &slots {
        let z = local(s.slot_start)?;
        if let Some(col) = columns.iter_mut().find(|c| c.date == z.date()) {
            col.slots.push(SlotRow {
                start_ms: s.slot_start,
                time: z.strftime("%H:%M").to_string(),
                bays: s.bays,
                used: s.used_bays,
                appointments: vec![],
            });
        }
    }
    for card in cards {
        let Some(col) = columns.iter_mut().find(|c| c.date == card.date) else {
            continue;
        };
        let slot = col
            .slots
            .iter_mut()
            .rev()
            .find(|s| s.start_ms <= card.start_ms);
        match slot {
            Some(s) => s.appointments.push(card),
            None => col.unslotted.push(card),
        }
    }
    Ok(DayView {
        station: StationChoice::of(&station, None),
        today,
        days: columns,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn slot(date: &str, time: &str) -> FreeSlot {
        FreeSlot {
            start_ms: 0,
            date: date.parse().unwrap(),
            time: time.into(),
            value: format!("{date} {time}"),
        }
    }

    fn picker() -> SlotPicker {
        let a = vec![slot("2026-11-24", "09:00"), slot("2026-11-24", "10:00")];
        let b = vec![slot("2026-11-25", "08:30")];
        SlotPicker {
            station: StationChoice {
                id: 1,
                code: "BJ-0001".into(),
                name_zh: "北京".into(),
                name_en: "Beijing".into(),
                city: "北京".into(),
                address: String::new(),
                distance_km: None,
            },
            best: a.iter().chain(b.iter()).cloned().collect(),
            days: vec![
                ("2026-11-24".parse().unwrap(), a),
                ("2026-11-25".parse().unwrap(), b),
            ],
        }
    }

    #[test]
    fn the_asked_day_is_open_else_the_first() {
        let p = picker();
        let c = p.choose("2026-11-25", "");
        assert_eq!(c.tabs.iter().filter(|t| t.on).count(), 1);
        assert!(c.tabs[1].on);
        assert_eq!(c.times.len(), 1);
        assert_eq!(c.tabs[0].count, 2);
        let c = p.choose("not a day", "");
        assert!(c.tabs[0].on);
        assert_eq!(c.times[0].time, "09:00");
        assert!(!c.gone && c.start.is_none() && !c.no_slots);
    }

    #[test]
    fn a_start_is_chosen_only_while_free() {
        let p = picker();
        let c = p.choose("", "2026-11-25 08:30");
        assert_eq!(c.start.map(|f| f.time), Some("08:30".to_string()));
        let c = p.choose("", "2026-11-25 09:30");
        assert!(c.gone);
        assert!(c.start.is_none());
        let empty = SlotPicker {
            days: vec![],
            best: vec![],
            ..picker()
        };
        assert!(empty.choose("", "").no_slots);
    }
}
