//! Station slot capacity: publishing it from opening hours, the holiday calendar and
//! the certified technicians, and finding free slots (the owner's preferred time
//! first, then the nearest at that station and at the nearest stations).

use crate::calendar::station_calendar;
use crate::network::expect;
use crate::shared::{expect_any, refused, station_reach};
use crate::transaction::run;
use crate::{App, AppError, AppResult, actor, conn};
use domain::Violation;
use domain::appointment::ServiceType;
use domain::capacity::{CapacityState, DEFAULT_SLOT_MINUTES, Job, SlotCounts};
use domain::permission::{Action, Grant, Reach};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use store::people::StaffFilter;

mod relocate;
pub(crate) mod state;
pub use relocate::{CANCEL_REASON, Relocated};
pub use state::{DEFAULT_JOB_MINUTES, SEARCH_HORIZON_DAYS, tech_class};
pub(crate) use state::{certificates, job_for, load_state};

/// Longest publication in days.
pub const MAX_PUBLISH_DAYS: u32 = 92;

/// Publishes capacity of a station for `days` days from `first_day`: one slot every
/// [`DEFAULT_SLOT_MINUTES`] within opening hours on working days. `counts` gives the
/// bays and technicians per slot; without it they come from the station's bays and
/// its technicians' certificates valid on `first_day`. Re-publishing keeps what
/// bookings already use; less than is booked is refused (`capacity.below_booked`,
/// naming the appointments — see [`publish_moving`] for the explicit alternative).
/// Returns the number of slots. Needs `CapacityAdmin` within the station's reach.
pub async fn publish(
    app: &App,
    grant: &Grant,
    station_id: i64,
    first_day: Date,
    days: u32,
    counts: Option<SlotCounts>,
) -> AppResult<usize> {
    let p = publish_moving(app, grant, station_id, first_day, days, counts, false).await?;
    Ok(p.slots)
}

/// What a publication did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Published {
    /// Slots published.
    pub slots: usize,
    /// The appointments moved (or, with no free start left, cancelled) because the
    /// new capacity no longer held them; empty unless `move_affected` was asked.
    pub relocated: Vec<Relocated>,
}

/// [`publish`], with the explicit "move these" step when `move_affected` is true:
/// where the new capacity leaves slots with more bookings than places, each
/// appointment that no longer fits is moved to the nearest free start of the station
/// or cancelled, its owner told through the outbox and its timeline recording it —
/// all in the publication's one transaction (see [`relocate`]). Without it the
/// publication is refused with the list, nothing changed.
pub async fn publish_moving(
    app: &App,
    grant: &Grant,
    station_id: i64,
    first_day: Date,
    days: u32,
    counts: Option<SlotCounts>,
    move_affected: bool,
) -> AppResult<Published> {
    expect(grant, Action::CapacityAdmin)?;
    if !(1..=MAX_PUBLISH_DAYS).contains(&days) {
        return Err(AppError::Invalid(
            Violation::new("days", "number.range")
                .with_detail(format!("1..{MAX_PUBLISH_DAYS}"))
                .into(),
        ));
    }
    let now = app.clock.now();
    let ask = Ask {
        station_id,
        first_day,
        days,
        counts,
        move_affected,
    };
    run(app, "capacity.publish", move |mut tx| async move {
        let p = publish_in(&mut tx, grant, ask, now).await?;
        Ok((tx, p))
    })
    .await
}

/// A publication as asked.
#[derive(Debug, Clone, Copy)]
struct Ask {
    station_id: i64,
    first_day: Date,
    days: u32,
    counts: Option<SlotCounts>,
    move_affected: bool,
}

async fn publish_in(
    tx: &mut sqlx::AnyConnection,
    grant: &Grant,
    ask: Ask,
    now: Timestamp,
) -> AppResult<Published> {
    let Ask {
        station_id,
        first_day,
        days,
        counts,
        move_affected,
    } = ask;
    let station = store::network::station(tx, grant.reach(), station_id).await?;
    let cal = station_calendar(tx, &station).await?;
    let counts = match counts {
        Some(c) => c,
        None => station_counts(tx, &station, first_day).await?,
    };
    let state = CapacityState::publish(&cal, first_day, days, DEFAULT_SLOT_MINUTES, counts)
        .map_err(refused)?;
    let techs: Vec<(i64, i64)> = counts
        .techs
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| (i as i64, i64::from(*n)))
        .collect();
    let mut starts: Vec<i64> = state
        .slots()
        .iter()
        .map(|s| s.start.as_millisecond())
        .collect();
    starts.sort_unstable();
    let (Some(&first), Some(&last)) = (starts.first(), starts.last()) else {
        return Ok(Published {
            slots: 0,
            relocated: Vec::new(),
        });
    };
    let end = last + DEFAULT_SLOT_MINUTES * 60_000;
    if move_affected {
        // Moves may land up to the search horizon either side: lock those slots too,
        // all in the one order, before anything is read or changed.
        let horizon = i64::from(SEARCH_HORIZON_DAYS + 1) * 86_400_000;
        let mut all = starts.clone();
        all.extend(
            store::capacity::slots_between(tx, station_id, first - horizon, end + horizon)
                .await?
                .iter()
                .map(|s| s.slot_start),
        );
        store::capacity::lock(tx, station_id, &all).await?;
    } else {
        store::capacity::lock(tx, station_id, &starts).await?;
        refuse_below_booked(tx, station_id, &starts, i64::from(counts.bays), &techs).await?;
    }
    for start in &starts {
        store::capacity::publish_slot(
            tx,
            station_id,
            *start,
            DEFAULT_SLOT_MINUTES,
            i64::from(counts.bays),
            &techs,
        )
        .await?;
    }
    let relocated = if move_affected {
        relocate::relocate(tx, grant, station_id, first, end, now).await?
    } else {
        Vec::new()
    };
    store::event::record(
        tx,
        now.as_millisecond(),
        actor(grant),
        "station",
        station_id,
        "capacity_published",
        &serde_json::json!({
            "first_day": first_day.to_string(), "days": days, "slots": state.slots().len(),
            "bays": counts.bays, "technicians": counts.technicians(),
            "moved": relocated.iter().filter(|r| r.to.is_some()).count(),
            "cancelled": relocated.iter().filter(|r| r.to.is_none()).count(),
        }),
        None,
    )
    .await?;
    Ok(Published {
        slots: state.slots().len(),
        relocated,
    })
}

/// Refuses a publication that leaves any already-booked slot with more bookings than
/// bays or technicians of a class, naming the rule and every appointment that holds
/// a place in such a slot (nothing is changed; cancel or move those first, or ask
/// for the "move these" step, `move_affected`).
async fn refuse_below_booked(
    tx: &mut sqlx::AnyConnection,
    station_id: i64,
    starts: &[i64],
    bays: i64,
    techs: &[(i64, i64)],
) -> AppResult<()> {
    let (Some(first), Some(last)) = (starts.iter().min(), starts.iter().max()) else {
        return Ok(());
    };
    let end = last + DEFAULT_SLOT_MINUTES * 60_000;
    let stored = store::capacity::slots_between(tx, station_id, *first, end).await?;
    let capacity_of = |class: i64| {
        techs
            .iter()
            .find(|(c, _)| *c == class)
            .map_or(0, |(_, n)| *n)
    };
    let over: Vec<i64> = stored
        .iter()
        .filter(|s| starts.binary_search(&s.slot_start).is_ok())
        .filter(|s| {
            s.used_bays > bays
                || s.techs
                    .iter()
                    .any(|(class, _, used)| *used > capacity_of(*class))
        })
        .map(|s| s.slot_start)
        .collect();
    if over.is_empty() {
        return Ok(());
    }
    let held = store::appointment::holding_places(tx, station_id, *first, end).await?;
    let affected: Vec<String> = held
        .iter()
        .filter(|a| {
            a.slot_starts()
                .iter()
                .any(|s| over.binary_search(s).is_ok())
        })
        .map(|a| format!("/api/v1/appointments/{}", a.id))
        .collect();
    Err(below_booked(&affected))
}

/// The refusal of a publication below what is booked, naming the appointments.
fn below_booked(affected: &[String]) -> AppError {
    AppError::Refused(
        Violation::new("bays", "capacity.below_booked")
            .with_detail(affected.join(", "))
            .into(),
    )
}

/// An appointment that a publication would leave without its place, as the
/// console's confirmation lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Affected {
    /// The appointment.
    pub appointment_id: i64,
    /// Its start, UTC ms.
    pub start_at: i64,
    /// The vehicle's plate, when it has one.
    pub plate: Option<String>,
    /// The owner's name.
    pub customer_name: String,
}

/// The appointments that publishing `days` days from `first_day` (from the station's
/// own bays and technicians) would leave without their place: what the "move these"
/// step would move. A read; nothing is changed. Needs `CapacityAdmin`.
pub async fn affected(
    app: &App,
    grant: &Grant,
    station_id: i64,
    first_day: Date,
    days: u32,
) -> AppResult<Vec<Affected>> {
    expect(grant, Action::CapacityAdmin)?;
    let days = days.clamp(1, MAX_PUBLISH_DAYS);
    let mut c = conn(app).await?;
    let station = store::network::station(&mut c, grant.reach(), station_id).await?;
    let cal = station_calendar(&mut c, &station).await?;
    let counts = station_counts(&mut c, &station, first_day).await?;
    let state = CapacityState::publish(&cal, first_day, days, DEFAULT_SLOT_MINUTES, counts)
        .map_err(refused)?;
    let techs: Vec<(i64, i64)> = counts
        .techs
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| (i as i64, i64::from(*n)))
        .collect();
    let mut starts: Vec<i64> = state
        .slots()
        .iter()
        .map(|s| s.start.as_millisecond())
        .collect();
    starts.sort_unstable();
    let Err(AppError::Refused(v)) =
        refuse_below_booked(&mut c, station_id, &starts, i64::from(counts.bays), &techs).await
    else {
        return Ok(Vec::new());
    };
    let ids: Vec<i64> =
        v.0.iter()
            .filter_map(|x| x.detail.as_deref())
            .flat_map(|d| d.split(", "))
            .filter_map(|l| l.rsplit('/').next()?.parse().ok())
            .collect();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let a = store::appointment::get(&mut c, &Reach::All, id).await?;
        let vehicle = store::vehicle::get(&mut c, &Reach::All, a.vehicle_id).await?;
        let customer = store::customer::get(&mut c, &Reach::All, a.customer_id).await?;
        out.push(Affected {
            appointment_id: id,
            start_at: a.start_at,
            plate: vehicle.plate,
            customer_name: customer.name,
        });
    }
    Ok(out)
}

/// Bays of the station and its technicians by class, counting certificates valid on `day`;
/// a technician without a valid grade certificate is not counted (先认证后上岗).
async fn station_counts(
    c: &mut sqlx::AnyConnection,
    station: &store::network::Station,
    day: Date,
) -> AppResult<SlotCounts> {
    let mut counts = SlotCounts::with_bays(u16::try_from(station.bays.max(0)).unwrap_or(u16::MAX));
    let filter = StaffFilter {
        q: None,
        role: Some("technician".into()),
        station_id: Some(station.id),
    };
    let staff =
        store::people::staff_list(c, &Reach::All, &filter, store::Page::new(1, 200)).await?;
    for s in staff.items.iter().filter(|s| s.active) {
        let certs = certificates(c, s.id).await?;
        if let Some(class) = tech_class(&certs, day) {
            counts.add_technicians(class, 1);
        }
    }
    Ok(counts)
}

/// What to search for.
#[derive(Debug, Clone)]
pub struct SlotQuery {
    /// The station asked for.
    pub station_id: i64,
    /// The service wanted.
    pub service_type: ServiceType,
    /// Labour operations, if known.
    pub operation_codes: Vec<String>,
    /// The owner's preferred start.
    pub preferred: Timestamp,
    /// Most starts to offer per station.
    pub limit: usize,
    /// How many other stations (nearest first) to search too.
    pub nearby_stations: usize,
}

/// Free starts at one station.
#[derive(Debug, Clone, Serialize)]
pub struct StationSlots {
    /// Station.
    pub station_id: i64,
    /// Distance from the station asked for, km (0 for itself).
    pub distance_km: f64,
    /// Free starts, nearest to the preferred time first.
    pub slots: Vec<Timestamp>,
}

/// The answer to a slot search.
#[derive(Debug, Clone, Serialize)]
pub struct SlotOffer {
    /// Whether the preferred start itself is free at the station asked for.
    pub preferred_free: bool,
    /// Free starts at the station asked for (the preferred one first when free).
    pub here: StationSlots,
    /// Free starts at the nearest other stations, nearest first.
    pub nearby: Vec<StationSlots>,
}

/// Free slots for a job: the preferred time first (优先满足车主期望时间), else the
/// nearest free starts at that station, plus the nearest stations' free starts.
/// Needs `AppointmentRead` or `AppointmentBook`; the station asked for must be within reach (free slots of
/// other stations are not personal data and are offered network-wide).
pub async fn find_slots(app: &App, grant: &Grant, q: &SlotQuery) -> AppResult<SlotOffer> {
    expect_any(grant, &[Action::AppointmentRead, Action::AppointmentBook])?;
    let now = app.clock.now();
    let mut c = conn(app).await?;
    let station =
        store::network::station(&mut c, &station_reach(grant.reach()), q.station_id).await?;
    let job = job_for(&mut c, q.service_type, &q.operation_codes, None).await?;
    let slots = free_at(&mut c, &station, &job, q.preferred, now, q.limit).await?;
    let preferred_free = slots.first() == Some(&q.preferred);
    let points: Vec<(i64, f64, f64)> = store::network::station_points(&mut c)
        .await?
        .into_iter()
        .filter(|(id, ..)| *id != station.id)
        .map(|(id, _, lon, lat)| (id, lat, lon))
        .collect();
    let near =
        domain::capacity::nearest_stations((station.lat, station.lon), &points, q.nearby_stations);
    let mut nearby = Vec::with_capacity(near.len());
    for (id, km) in near {
        let other = store::network::station(&mut c, &Reach::All, id).await?;
        let slots = free_at(&mut c, &other, &job, q.preferred, now, q.limit).await?;
        if !slots.is_empty() {
            nearby.push(StationSlots {
                station_id: id,
                distance_km: km,
                slots,
            });
        }
    }
    Ok(SlotOffer {
        preferred_free,
        here: StationSlots {
            station_id: station.id,
            distance_km: 0.0,
            slots,
        },
        nearby,
    })
}

async fn free_at(
    c: &mut sqlx::AnyConnection,
    station: &store::network::Station,
    job: &Job,
    preferred: Timestamp,
    now: Timestamp,
    limit: usize,
) -> AppResult<Vec<Timestamp>> {
    let cal = station_calendar(c, station).await?;
    let span = jiff::SignedDuration::from_hours(24 * i64::from(SEARCH_HORIZON_DAYS + 1));
    let from = preferred
        .saturating_sub(span)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let to = preferred
        .saturating_add(span)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let state = load_state(c, station.id, from, to).await?;
    Ok(domain::capacity::find_slots(
        &cal,
        &state,
        job,
        preferred,
        SEARCH_HORIZON_DAYS,
        now,
        limit,
    ))
}
