//! The stored state of a station's capacity as the booking rules need it: slot
//! counts loaded into the domain's model, the job an appointment books, and a
//! technician's capacity class. Shared by publishing, booking and the move step,
//! so none of them needs another's module.

use crate::AppResult;
use crate::labour::{lookup, requirement};
use crate::shared::{rebuild, to_json, ts};
use domain::appointment::ServiceType;
use domain::capacity::{
    CLASS_COUNT, CapacityState, DEFAULT_SLOT_MINUTES, Job, QualificationSet, Slot, SlotCounts,
    TechClass,
};
use domain::certification::{Certificate, Credential, Requirement};
use domain::labour::hundredths_to_minutes;
use jiff::Timestamp;
use jiff::civil::Date;

/// Duration booked when no labour operation is named.
pub const DEFAULT_JOB_MINUTES: i64 = 60;

/// Days either side of the preferred time searched for free slots.
pub const SEARCH_HORIZON_DAYS: u32 = 7;

/// A staff member's certificates in domain form (unreadable rows are skipped).
pub(crate) async fn certificates(
    c: &mut sqlx::AnyConnection,
    staff_id: i64,
) -> AppResult<Vec<Certificate>> {
    let rows = store::people::certificates(c, staff_id).await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some(Certificate {
                credential: Credential::from_code(&r.credential)?,
                issued_on: r.issued_on.parse().ok()?,
                expires_on: r.expires_on.parse().ok()?,
            })
        })
        .collect())
}

/// The capacity class of a technician on `day`: highest valid grade plus valid qualifications.
pub fn tech_class(certs: &[Certificate], day: Date) -> Option<TechClass> {
    let valid = certs.iter().filter(|c| c.valid_on(day));
    let grade = valid
        .clone()
        .filter_map(|c| match c.credential {
            Credential::Grade(g) => Some(g),
            _ => None,
        })
        .max()?;
    let qualifications = valid.fold(QualificationSet::EMPTY, |set, c| match c.credential {
        Credential::Qualification(q) => set.with(q),
        _ => set,
    });
    Some(TechClass {
        grade,
        qualifications,
    })
}

/// The job to book: its duration (the named operations' standard hours, or
/// `duration_minutes`, or [`DEFAULT_JOB_MINUTES`]) and what the technician needs (the
/// service type's and every operation's, highest grade and first qualification).
pub(crate) async fn job_for(
    c: &mut sqlx::AnyConnection,
    service_type: ServiceType,
    operation_codes: &[String],
    duration_minutes: Option<i64>,
) -> AppResult<Job> {
    let mut req: Requirement = service_type.default_requirement();
    let mut hundredths = 0;
    for (i, code) in operation_codes.iter().enumerate() {
        let op = lookup(c, &format!("operation_codes[{i}]"), code).await?;
        let r = requirement(&op);
        req.min_grade = req.min_grade.max(r.min_grade);
        req.qualification = req.qualification.or(r.qualification);
        hundredths += op.standard_hundredths;
    }
    let minutes = match duration_minutes {
        Some(m) => m,
        None if hundredths > 0 => hundredths_to_minutes(hundredths),
        None => DEFAULT_JOB_MINUTES,
    };
    Ok(Job {
        duration_minutes: minutes,
        requirement: req,
    })
}

/// The stored capacity of a station for slots starting in `[from, to)`.
pub(crate) async fn load_state(
    c: &mut sqlx::AnyConnection,
    station_id: i64,
    from: Timestamp,
    to: Timestamp,
) -> AppResult<CapacityState> {
    let rows =
        store::capacity::slots_between(c, station_id, from.as_millisecond(), to.as_millisecond())
            .await?;
    let slot_minutes = rows
        .first()
        .map_or(DEFAULT_SLOT_MINUTES, |r| r.slot_minutes);
    let count = |n: i64| u16::try_from(n.max(0)).unwrap_or(u16::MAX);
    let mut slots = Vec::with_capacity(rows.len());
    for r in rows {
        let mut capacity = SlotCounts::with_bays(count(r.bays));
        let mut used = SlotCounts::with_bays(count(r.used_bays));
        for (class, cap, u) in r.techs {
            if let Ok(i) = usize::try_from(class)
                && i < CLASS_COUNT
            {
                capacity.techs[i] = count(cap);
                used.techs[i] = count(u);
            }
        }
        slots.push(Slot {
            start: ts(r.slot_start)?,
            capacity,
            used,
        });
    }
    rebuild(serde_json::json!({"slot_minutes": slot_minutes, "slots": to_json(&slots)?}))
}
