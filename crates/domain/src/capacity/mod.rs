//! Station slot capacity (SPEC §4): a station publishes, per time slot, its bays and
//! its technicians by grade and qualification. A booking consumes, in every slot
//! covering the job's standard duration, one bay and one technician able to do the
//! job. Capacity is counted per slot as plain integers so the store can enforce it
//! with counters; [`slots_needed`] and [`Booking`] say exactly what a booking uses.

use std::cmp::Ordering;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::calendar::{CalendarError, WorkingCalendar};
use crate::certification::{Qualification, Requirement, TechnicianGrade};

/// Default slot length in minutes.
pub const DEFAULT_SLOT_MINUTES: i64 = 30;

/// Number of technician classes: 4 grades × every set of the 3 qualifications.
pub const CLASS_COUNT: usize = 32;

/// The start of a capacity slot.
pub type SlotStart = Timestamp;

/// Why a booking or a capacity publication is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapacityError {
    /// Slot length must divide a day and be 5–240 minutes.
    #[error("slot length must be 5 to 240 minutes and divide a day")]
    SlotLength,
    /// The job's duration is not positive (or longer than a day).
    #[error("job duration must be 1 to 1440 minutes")]
    DurationInvalid,
    /// The start is before now.
    #[error("start is in the past")]
    InPast,
    /// The date is a holiday or a closed weekday.
    #[error("{0} is not a working day")]
    NotWorkingDay(Date),
    /// The start is outside opening hours.
    #[error("start is outside opening hours")]
    OutsideOpeningHours,
    /// The start is not on the slot grid (opening time + n × slot length).
    #[error("start is not at the beginning of a slot")]
    NotAligned,
    /// The job would run past closing time.
    #[error("the job would run past closing time")]
    BeyondClosing,
    /// A slot the job needs has not been published.
    #[error("slot not published")]
    SlotUnpublished,
    /// No bay free in every slot the job needs.
    #[error("no bay free for the whole job")]
    NoBay,
    /// No technician with the grade and qualification free for the whole job.
    #[error("no qualified technician free for the whole job")]
    NoTechnician,
    /// Releasing a booking that does not match recorded use.
    #[error("booking does not match recorded use")]
    ReleaseMismatch,
    /// The working calendar could not place a time.
    #[error("calendar: {0}")]
    Calendar(#[from] CalendarError),
}

impl From<CapacityError> for crate::Violation {
    fn from(e: CapacityError) -> Self {
        use crate::Violation as V;
        match e {
            CapacityError::SlotLength => V::new("slot_minutes", "capacity.slot_length"),
            CapacityError::DurationInvalid => V::new("duration", "capacity.duration_invalid"),
            CapacityError::InPast => V::new("start", "capacity.in_past"),
            CapacityError::NotWorkingDay(d) => {
                V::new("start", "capacity.not_working_day").with_detail(d.to_string())
            }
            CapacityError::OutsideOpeningHours => V::new("start", "capacity.outside_hours"),
            CapacityError::NotAligned => V::new("start", "capacity.not_aligned"),
            CapacityError::BeyondClosing => V::new("start", "capacity.beyond_closing"),
            CapacityError::SlotUnpublished => V::new("start", "capacity.slot_unpublished"),
            CapacityError::NoBay => V::new("start", "capacity.no_bay"),
            CapacityError::NoTechnician => V::new("start", "capacity.no_technician"),
            CapacityError::ReleaseMismatch => V::new("booking", "capacity.release_mismatch"),
            CapacityError::Calendar(c) => c.into(),
        }
    }
}

/// A set of qualifications, as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct QualificationSet(u8);

impl QualificationSet {
    /// No qualification.
    pub const EMPTY: QualificationSet = QualificationSet(0);

    fn bit(q: Qualification) -> u8 {
        match q {
            Qualification::EvHighVoltage => 1,
            Qualification::BodyPaint => 2,
            Qualification::AirConditioning => 4,
        }
    }

    /// This set plus `q`.
    pub fn with(self, q: Qualification) -> Self {
        Self(self.0 | Self::bit(q))
    }

    /// Whether `q` is in the set.
    pub fn contains(self, q: Qualification) -> bool {
        self.0 & Self::bit(q) != 0
    }

    /// Number of qualifications in the set.
    pub fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// A kind of technician for capacity counting: grade plus qualifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TechClass {
    /// GMTC grade.
    pub grade: TechnicianGrade,
    /// Qualifications held.
    pub qualifications: QualificationSet,
}

impl TechClass {
    /// Index 0..[`CLASS_COUNT`] used in [`SlotCounts::techs`].
    pub fn index(self) -> usize {
        (self.grade.level() as usize - 1) * 8 + self.qualifications.0 as usize
    }

    /// The class with index `i`.
    pub fn from_index(i: usize) -> Option<Self> {
        if i >= CLASS_COUNT {
            return None;
        }
        let grade = TechnicianGrade::from_level((i / 8) as i64 + 1)?;
        Some(Self {
            grade,
            qualifications: QualificationSet((i % 8) as u8),
        })
    }

    /// Whether a technician of this class may do work needing `req`.
    pub fn can_do(self, req: Requirement) -> bool {
        req.min_grade.is_none_or(|g| self.grade >= g)
            && req
                .qualification
                .is_none_or(|q| self.qualifications.contains(q))
    }
}

/// Classes able to do `req`, least skilled first, so scarce skills stay free.
pub fn eligible_classes(req: Requirement) -> Vec<TechClass> {
    let mut v: Vec<TechClass> = (0..CLASS_COUNT)
        .filter_map(TechClass::from_index)
        .filter(|c| c.can_do(req))
        .collect();
    v.sort_by_key(|c| (c.grade, c.qualifications.len(), c.qualifications.0));
    v
}

/// Bays and technicians per class in one slot: published capacity or use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SlotCounts {
    /// Bays (工位).
    pub bays: u16,
    /// Technicians by [`TechClass::index`].
    pub techs: [u16; CLASS_COUNT],
}

impl SlotCounts {
    /// Counts with `bays` bays and no technicians.
    pub fn with_bays(bays: u16) -> Self {
        Self {
            bays,
            techs: [0; CLASS_COUNT],
        }
    }

    /// Adds `n` technicians of `class`.
    pub fn add_technicians(&mut self, class: TechClass, n: u16) {
        let slot = &mut self.techs[class.index()];
        *slot = slot.saturating_add(n);
    }

    /// Technicians of every class together.
    pub fn technicians(&self) -> u32 {
        self.techs.iter().map(|n| u32::from(*n)).sum()
    }
}

/// One published slot: its capacity and what bookings use of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    /// Slot start.
    pub start: SlotStart,
    /// Published capacity.
    pub capacity: SlotCounts,
    /// Used by bookings.
    pub used: SlotCounts,
}

impl Slot {
    fn bay_free(&self) -> bool {
        self.used.bays < self.capacity.bays
    }

    fn tech_free(&self, class: usize) -> bool {
        self.used.techs[class] < self.capacity.techs[class]
    }
}

/// A job to book: its standard duration and what the technician needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Standard duration in minutes.
    pub duration_minutes: i64,
    /// Grade and qualification needed.
    pub requirement: Requirement,
}

/// What one booking consumes: in each listed slot, one bay and one technician of `class`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    /// The consecutive slots used.
    pub slots: Vec<SlotStart>,
    /// The technician class used in each of them.
    pub class: TechClass,
}

/// The capacity of one station over a horizon: published slots in time order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityState {
    slot_minutes: i64,
    slots: Vec<Slot>,
}

fn check_slot_minutes(slot_minutes: i64) -> Result<(), CapacityError> {
    if (5..=240).contains(&slot_minutes) && 1440 % slot_minutes == 0 {
        Ok(())
    } else {
        Err(CapacityError::SlotLength)
    }
}

fn slots_for(duration_minutes: i64, slot_minutes: i64) -> Result<usize, CapacityError> {
    if !(1..=1440).contains(&duration_minutes) {
        return Err(CapacityError::DurationInvalid);
    }
    Ok(((duration_minutes + slot_minutes - 1) / slot_minutes) as usize)
}

impl CapacityState {
    /// An empty state (no published slots).
    pub fn new(slot_minutes: i64) -> Result<Self, CapacityError> {
        check_slot_minutes(slot_minutes)?;
        Ok(Self {
            slot_minutes,
            slots: Vec::new(),
        })
    }

    /// Publishes `capacity` in every slot of `days` days from `first_day`: slots start
    /// at opening time every `slot_minutes` and end by closing; closed days have none.
    pub fn publish(
        calendar: &WorkingCalendar,
        first_day: Date,
        days: u32,
        slot_minutes: i64,
        capacity: SlotCounts,
    ) -> Result<Self, CapacityError> {
        let mut state = Self::new(slot_minutes)?;
        let step = SignedDuration::from_mins(slot_minutes);
        let mut day = first_day;
        for _ in 0..days {
            if let Some((open, close)) = calendar.window_on(day)? {
                let mut t = open;
                while let Ok(end) = t.checked_add(step) {
                    if end > close {
                        break;
                    }
                    state.slots.push(Slot {
                        start: t,
                        capacity,
                        used: SlotCounts::default(),
                    });
                    t = end;
                }
            }
            day = day.tomorrow().map_err(|_| CalendarError::OutOfRange)?;
        }
        Ok(state)
    }

    /// Slot length in minutes.
    pub fn slot_minutes(&self) -> i64 {
        self.slot_minutes
    }

    /// Every published slot in time order.
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// The slot starting at `start`, if published.
    pub fn slot(&self, start: SlotStart) -> Option<&Slot> {
        self.index_of(start).map(|i| &self.slots[i])
    }

    /// Changes the published capacity of one slot (a technician on leave, a bay closed).
    /// Use already recorded stays; a slot may end up over capacity and then takes no
    /// further bookings.
    pub fn set_capacity(
        &mut self,
        start: SlotStart,
        capacity: SlotCounts,
    ) -> Result<(), CapacityError> {
        let i = self.index_of(start).ok_or(CapacityError::SlotUnpublished)?;
        self.slots[i].capacity = capacity;
        Ok(())
    }

    fn index_of(&self, start: SlotStart) -> Option<usize> {
        self.slots.binary_search_by(|s| s.start.cmp(&start)).ok()
    }

    /// Indexes of the `n` consecutive slots from `start`, if all published and adjacent.
    fn run(&self, start: SlotStart, n: usize) -> Result<std::ops::Range<usize>, CapacityError> {
        let i = self.index_of(start).ok_or(CapacityError::SlotUnpublished)?;
        self.run_at(i, n)
    }

    fn run_at(&self, i: usize, n: usize) -> Result<std::ops::Range<usize>, CapacityError> {
        if i + n > self.slots.len() {
            return Err(CapacityError::SlotUnpublished);
        }
        let step = self.slot_minutes * 60;
        let first = self.slots[i].start.as_second();
        for (j, s) in self.slots[i..i + n].iter().enumerate() {
            if s.start.as_second() != first + step * j as i64 {
                return Err(CapacityError::SlotUnpublished);
            }
        }
        Ok(i..i + n)
    }

    fn choose(
        &self,
        range: std::ops::Range<usize>,
        classes: &[TechClass],
    ) -> Result<TechClass, CapacityError> {
        let run = &self.slots[range];
        if !run.iter().all(Slot::bay_free) {
            return Err(CapacityError::NoBay);
        }
        classes
            .iter()
            .copied()
            .find(|c| {
                let i = c.index();
                run.iter().all(|s| s.tech_free(i))
            })
            .ok_or(CapacityError::NoTechnician)
    }

    /// What booking `job` at `start` would consume, or why it does not fit.
    pub fn plan(&self, job: &Job, start: SlotStart) -> Result<Booking, CapacityError> {
        let n = slots_for(job.duration_minutes, self.slot_minutes)?;
        let range = self.run(start, n)?;
        let class = self.choose(range.clone(), &eligible_classes(job.requirement))?;
        Ok(Booking {
            slots: self.slots[range].iter().map(|s| s.start).collect(),
            class,
        })
    }

    /// Books `job` at `start`, recording its use.
    pub fn book(&mut self, job: &Job, start: SlotStart) -> Result<Booking, CapacityError> {
        let booking = self.plan(job, start)?;
        self.record(&booking)?;
        Ok(booking)
    }

    /// Records an existing booking (e.g. loaded from the store), refusing it when a
    /// slot is unpublished or already full.
    pub fn record(&mut self, booking: &Booking) -> Result<(), CapacityError> {
        let class = booking.class.index();
        let mut idx = Vec::with_capacity(booking.slots.len());
        for s in &booking.slots {
            let i = self.index_of(*s).ok_or(CapacityError::SlotUnpublished)?;
            let slot = &self.slots[i];
            if !slot.bay_free() {
                return Err(CapacityError::NoBay);
            }
            if !slot.tech_free(class) {
                return Err(CapacityError::NoTechnician);
            }
            idx.push(i);
        }
        for i in idx {
            let u = &mut self.slots[i].used;
            u.bays += 1;
            u.techs[class] += 1;
        }
        Ok(())
    }

    /// Gives back what `booking` used (on cancel or reschedule).
    pub fn release(&mut self, booking: &Booking) -> Result<(), CapacityError> {
        let class = booking.class.index();
        let mut idx = Vec::with_capacity(booking.slots.len());
        for s in &booking.slots {
            let i = self.index_of(*s).ok_or(CapacityError::ReleaseMismatch)?;
            let u = &self.slots[i].used;
            if u.bays == 0 || u.techs[class] == 0 {
                return Err(CapacityError::ReleaseMismatch);
            }
            idx.push(i);
        }
        for i in idx {
            let u = &mut self.slots[i].used;
            u.bays -= 1;
            u.techs[class] -= 1;
        }
        Ok(())
    }
}

/// Whether `job` fits at `start`: consecutive published slots covering its duration,
/// each with a free bay and the same free technician class able to do it.
pub fn fits(state: &CapacityState, job: &Job, start: SlotStart) -> bool {
    state.plan(job, start).is_ok()
}

/// The slots a booking at `start` for `duration_minutes` occupies. Refuses past
/// starts, non-working days, closed hours, starts off the slot grid and jobs running
/// past closing.
pub fn slots_needed(
    calendar: &WorkingCalendar,
    slot_minutes: i64,
    start: Timestamp,
    duration_minutes: i64,
    now: Timestamp,
) -> Result<Vec<SlotStart>, CapacityError> {
    check_slot_minutes(slot_minutes)?;
    let n = slots_for(duration_minutes, slot_minutes)?;
    if start < now {
        return Err(CapacityError::InPast);
    }
    let day = calendar.local(start).date();
    let (open, close) = calendar
        .window_on(day)?
        .ok_or(CapacityError::NotWorkingDay(day))?;
    if start < open || start >= close {
        return Err(CapacityError::OutsideOpeningHours);
    }
    let step = slot_minutes * 60;
    if (start.as_second() - open.as_second()) % step != 0 || start.subsec_nanosecond() != 0 {
        return Err(CapacityError::NotAligned);
    }
    if start.as_second() + step * n as i64 > close.as_second() {
        return Err(CapacityError::BeyondClosing);
    }
    (0..n)
        .map(|j| {
            start
                .checked_add(SignedDuration::from_secs(step * j as i64))
                .map_err(|_| CapacityError::Calendar(CalendarError::OutOfRange))
        })
        .collect()
}

/// Free starts for `job`: `preferred` itself when free, then the nearest free slots by
/// distance from it (earlier first on a tie), at most `limit`. Candidates lie within
/// `horizon_days` days either side of `preferred`, never before `now`, and always on a
/// working day inside opening hours.
pub fn find_slots(
    calendar: &WorkingCalendar,
    state: &CapacityState,
    job: &Job,
    preferred: Timestamp,
    horizon_days: u32,
    now: Timestamp,
    limit: usize,
) -> Vec<SlotStart> {
    let mut found = Vec::new();
    let Ok(n) = slots_for(job.duration_minutes, state.slot_minutes) else {
        return found;
    };
    let horizon = i64::from(horizon_days) * 86_400;
    let (lo, hi) = (
        preferred.as_second().saturating_sub(horizon),
        preferred.as_second().saturating_add(horizon),
    );
    let classes = eligible_classes(job.requirement);
    let slots = &state.slots;
    let p = slots.partition_point(|s| s.start < preferred);
    let (mut left, mut right) = (p, p); // left: next candidate is left-1; right: next is right
    let ok = |i: usize| -> bool {
        let s = slots[i].start;
        s >= now
            && state
                .run_at(i, n)
                .and_then(|r| state.choose(r, &classes))
                .is_ok()
            && slots_needed(calendar, state.slot_minutes, s, job.duration_minutes, now).is_ok()
    };
    while found.len() < limit {
        let l = (left > 0)
            .then(|| left - 1)
            .filter(|i| slots[*i].start.as_second() >= lo.max(now.as_second()));
        let r = (right < slots.len())
            .then_some(right)
            .filter(|i| slots[*i].start.as_second() <= hi);
        let pick = match (l, r) {
            (None, None) => break,
            (Some(i), None) => i,
            (None, Some(j)) => j,
            (Some(i), Some(j)) => {
                let dl = preferred.as_second() - slots[i].start.as_second();
                let dr = slots[j].start.as_second() - preferred.as_second();
                match dl.cmp(&dr) {
                    Ordering::Less | Ordering::Equal => i,
                    Ordering::Greater => j,
                }
            }
        };
        if Some(pick) == r {
            right += 1;
        } else {
            left -= 1;
        }
        if ok(pick) {
            found.push(slots[pick].start);
        }
    }
    found
}

/// Great-circle distance in kilometres between two (latitude, longitude) points.
pub fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    const EARTH_RADIUS_KM: f64 = 6_371.0;
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// The `k` stations nearest to `origin` (latitude, longitude), nearest first, with
/// their distance in kilometres.
pub fn nearest_stations<I: Clone>(
    origin: (f64, f64),
    stations: &[(I, f64, f64)],
    k: usize,
) -> Vec<(I, f64)> {
    let mut v: Vec<(I, f64)> = stations
        .iter()
        .map(|(id, lat, lon)| (id.clone(), haversine_km(origin, (*lat, *lon))))
        .collect();
    v.sort_by(|a, b| a.1.total_cmp(&b.1));
    v.truncate(k);
    v
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests;
