//! Appointments (预约, SPEC §4): service types, channels, the booking state machine
//! (booked → checked in → converted to a repair order; or cancelled with a reason, or
//! no-show once the start has passed) and reminder times that respect the
//! customer's quiet hours.

use jiff::civil::Time;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::certification::{Qualification, Requirement};

/// The kinds of service that can be booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceType {
    /// 保养.
    Maintenance,
    /// 维修.
    Repair,
    /// 保修 (warranty repair).
    Warranty,
    /// 召回 (recall campaign).
    Recall,
    /// 事故车/钣喷 (accident and body work).
    AccidentBody,
    /// 动力电池检测 (EV battery check).
    EvBatteryCheck,
}

impl ServiceType {
    /// Every service type.
    pub const ALL: [ServiceType; 6] = [
        ServiceType::Maintenance,
        ServiceType::Repair,
        ServiceType::Warranty,
        ServiceType::Recall,
        ServiceType::AccidentBody,
        ServiceType::EvBatteryCheck,
    ];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            ServiceType::Maintenance => "maintenance",
            ServiceType::Repair => "repair",
            ServiceType::Warranty => "warranty",
            ServiceType::Recall => "recall",
            ServiceType::AccidentBody => "accident_body",
            ServiceType::EvBatteryCheck => "ev_battery_check",
        }
    }

    /// The service type named by `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether an order of this type repairs a quality problem and so counts toward
    /// the three-guarantees counters (三包, SPEC §15). Routine maintenance, recall
    /// campaigns (handled by the recall, not the owner's claim), accident and body work
    /// (damage, not a product defect) and battery checks do not.
    pub fn is_quality_repair(self) -> bool {
        matches!(self, ServiceType::Repair | ServiceType::Warranty)
    }

    /// What the technician needs at least, before the actual operations are known.
    pub fn default_requirement(self) -> Requirement {
        match self {
            ServiceType::EvBatteryCheck => Requirement {
                min_grade: None,
                qualification: Some(Qualification::EvHighVoltage),
            },
            ServiceType::AccidentBody => Requirement {
                min_grade: None,
                qualification: Some(Qualification::BodyPaint),
            },
            _ => Requirement::default(),
        }
    }
}

/// How the appointment was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The owner's web page or app.
    OwnerApp,
    /// The call centre hotline.
    Hotline,
    /// Walk-in, entered by an advisor.
    WalkIn,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 3] = [Channel::OwnerApp, Channel::Hotline, Channel::WalkIn];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Channel::OwnerApp => "owner_app",
            Channel::Hotline => "hotline",
            Channel::WalkIn => "walk_in",
        }
    }

    /// The channel named by `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// Why an appointment command is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppointmentError {
    /// The start is before now.
    #[error("start is in the past")]
    InPast,
    /// Duration not in 1..=1440 minutes.
    #[error("duration must be 1 to 1440 minutes")]
    DurationInvalid,
    /// The command is not allowed in the current state.
    #[error("cannot {action} an appointment that is {from}")]
    InvalidTransition {
        /// Current state code.
        from: &'static str,
        /// The command.
        action: &'static str,
    },
    /// Cancelling needs a reason.
    #[error("a cancel reason is required")]
    ReasonMissing,
    /// No-show only after the start time.
    #[error("no-show only after the start time")]
    NoShowTooEarly,
    /// Conversion needs the repair order's id.
    #[error("repair order id missing")]
    RepairOrderMissing,
    /// Reminder lead time not in 0..=720 hours.
    #[error("reminder hours out of range")]
    ReminderRange,
}

impl From<AppointmentError> for crate::Violation {
    fn from(e: AppointmentError) -> Self {
        use crate::Violation as V;
        match e {
            AppointmentError::InPast => V::new("start", "appointment.in_past"),
            AppointmentError::DurationInvalid => V::new("duration", "appointment.duration_invalid"),
            AppointmentError::InvalidTransition { from, action } => {
                V::new("state", "appointment.invalid_transition")
                    .with_detail(format!("{from}→{action}"))
            }
            AppointmentError::ReasonMissing => V::new("reason", "appointment.reason_missing"),
            AppointmentError::NoShowTooEarly => V::new("state", "appointment.no_show_too_early"),
            AppointmentError::RepairOrderMissing => {
                V::new("repair_order", "appointment.repair_order_missing")
            }
            AppointmentError::ReminderRange => V::new("hours_before", "appointment.reminder_range"),
        }
    }
}

/// Where an appointment stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum AppointmentState {
    /// Booked (also after a reschedule).
    Booked,
    /// The car arrived and was checked in.
    CheckedIn {
        /// When.
        at: Timestamp,
    },
    /// Turned into a repair order (final).
    Converted {
        /// The repair order's id.
        repair_order_id: String,
    },
    /// Cancelled (final).
    Cancelled {
        /// Why.
        reason: String,
        /// When.
        at: Timestamp,
    },
    /// The owner did not come (final).
    NoShow {
        /// When it was recorded.
        at: Timestamp,
    },
}

impl AppointmentState {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppointmentState::Booked => "booked",
            AppointmentState::CheckedIn { .. } => "checked_in",
            AppointmentState::Converted { .. } => "converted",
            AppointmentState::Cancelled { .. } => "cancelled",
            AppointmentState::NoShow { .. } => "no_show",
        }
    }

    /// Whether no further change is possible.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Converted { .. } | Self::Cancelled { .. } | Self::NoShow { .. }
        )
    }
}

/// An appointment at a station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    service_type: ServiceType,
    channel: Channel,
    start: Timestamp,
    duration_minutes: i64,
    state: AppointmentState,
    reschedules: u32,
}

impl Appointment {
    /// Books an appointment starting at `start` (not before `now`).
    pub fn book(
        service_type: ServiceType,
        channel: Channel,
        start: Timestamp,
        duration_minutes: i64,
        now: Timestamp,
    ) -> Result<Self, AppointmentError> {
        if !(1..=1440).contains(&duration_minutes) {
            return Err(AppointmentError::DurationInvalid);
        }
        if start < now {
            return Err(AppointmentError::InPast);
        }
        Ok(Self {
            service_type,
            channel,
            start,
            duration_minutes,
            state: AppointmentState::Booked,
            reschedules: 0,
        })
    }

    /// The service booked.
    pub fn service_type(&self) -> ServiceType {
        self.service_type
    }

    /// How it was booked.
    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// Current start.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// Standard duration in minutes.
    pub fn duration_minutes(&self) -> i64 {
        self.duration_minutes
    }

    /// Current state.
    pub fn state(&self) -> &AppointmentState {
        &self.state
    }

    /// How many times it was rescheduled.
    pub fn reschedules(&self) -> u32 {
        self.reschedules
    }

    fn require_booked(&self, action: &'static str) -> Result<(), AppointmentError> {
        match self.state {
            AppointmentState::Booked => Ok(()),
            _ => Err(AppointmentError::InvalidTransition {
                from: self.state.code(),
                action,
            }),
        }
    }

    /// Moves a booked appointment to `new_start` (not before `now`); stays booked.
    pub fn reschedule(
        &mut self,
        new_start: Timestamp,
        now: Timestamp,
    ) -> Result<(), AppointmentError> {
        self.require_booked("reschedule")?;
        if new_start < now {
            return Err(AppointmentError::InPast);
        }
        self.start = new_start;
        self.reschedules += 1;
        Ok(())
    }

    /// Records the car's arrival.
    pub fn check_in(&mut self, now: Timestamp) -> Result<(), AppointmentError> {
        self.require_booked("check_in")?;
        self.state = AppointmentState::CheckedIn { at: now };
        Ok(())
    }

    /// Links the checked-in appointment to the repair order opened for it.
    pub fn convert(&mut self, repair_order_id: &str) -> Result<(), AppointmentError> {
        if !matches!(self.state, AppointmentState::CheckedIn { .. }) {
            return Err(AppointmentError::InvalidTransition {
                from: self.state.code(),
                action: "convert",
            });
        }
        let id = repair_order_id.trim();
        if id.is_empty() {
            return Err(AppointmentError::RepairOrderMissing);
        }
        self.state = AppointmentState::Converted {
            repair_order_id: id.to_string(),
        };
        Ok(())
    }

    /// Cancels a booked appointment; the reason must not be blank.
    pub fn cancel(&mut self, reason: &str, now: Timestamp) -> Result<(), AppointmentError> {
        self.require_booked("cancel")?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppointmentError::ReasonMissing);
        }
        self.state = AppointmentState::Cancelled {
            reason: reason.to_string(),
            at: now,
        };
        Ok(())
    }

    /// Records a no-show, only once the start time has passed.
    pub fn mark_no_show(&mut self, now: Timestamp) -> Result<(), AppointmentError> {
        self.require_booked("no_show")?;
        if now <= self.start {
            return Err(AppointmentError::NoShowTooEarly);
        }
        self.state = AppointmentState::NoShow { at: now };
        Ok(())
    }
}

/// A daily window in which the customer does not want messages, `[from, to)` in
/// local time; it crosses midnight when `to` is earlier than `from` (22:00–08:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    /// Start of quiet time.
    pub from: Time,
    /// End of quiet time.
    pub to: Time,
}

impl QuietHours {
    /// Whether local time `t` is quiet. Equal ends mean no quiet time.
    pub fn contains(&self, t: Time) -> bool {
        if self.from <= self.to {
            self.from <= t && t < self.to
        } else {
            t >= self.from || t < self.to
        }
    }
}

/// When to send a reminder `hours_before` the appointment: if that falls in quiet
/// hours, it moves earlier to the last minute before the quiet time began, so the
/// owner still gets at least the promised notice.
pub fn reminder_at(
    start: Timestamp,
    hours_before: i64,
    quiet: Option<QuietHours>,
    tz: &TimeZone,
) -> Result<Timestamp, AppointmentError> {
    if !(0..=720).contains(&hours_before) {
        return Err(AppointmentError::ReminderRange);
    }
    let t = start
        .checked_sub(SignedDuration::from_hours(hours_before))
        .map_err(|_| AppointmentError::ReminderRange)?;
    let Some(q) = quiet else { return Ok(t) };
    let local = tz.to_datetime(t);
    if !q.contains(local.time()) {
        return Ok(t);
    }
    // The date on which this quiet period began.
    let began_on = if q.from > q.to && local.time() < q.to {
        local
            .date()
            .yesterday()
            .map_err(|_| AppointmentError::ReminderRange)?
    } else {
        local.date()
    };
    let quiet_start = tz
        .to_timestamp(began_on.to_datetime(q.from))
        .map_err(|_| AppointmentError::ReminderRange)?;
    quiet_start
        .checked_sub(SignedDuration::from_mins(1))
        .map_err(|_| AppointmentError::ReminderRange)
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use crate::calendar::shanghai;
    use jiff::civil::{date, time};
    use proptest::prelude::*;

    fn t(min: i64) -> Timestamp {
        Timestamp::from_second(1_772_000_000 + min * 60).expect("ts")
    }

    fn booked() -> Appointment {
        Appointment::book(
            ServiceType::Maintenance,
            Channel::OwnerApp,
            t(100),
            60,
            t(0),
        )
        .expect("book")
    }

    #[test]
    fn codes_round_trip() {
        for s in ServiceType::ALL {
            assert_eq!(ServiceType::from_code(s.code()), Some(s));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::from_code(c.code()), Some(c));
        }
        assert_eq!(
            ServiceType::EvBatteryCheck
                .default_requirement()
                .qualification,
            Some(Qualification::EvHighVoltage)
        );
    }

    #[test]
    fn happy_path_and_refusals() {
        assert_eq!(
            Appointment::book(ServiceType::Repair, Channel::Hotline, t(0), 60, t(1)),
            Err(AppointmentError::InPast)
        );
        let mut a = booked();
        assert_eq!(a.reschedule(t(-1), t(0)), Err(AppointmentError::InPast));
        a.reschedule(t(200), t(10)).expect("reschedule");
        assert_eq!(
            (a.state(), a.reschedules(), a.start()),
            (&AppointmentState::Booked, 1, t(200))
        );
        assert_eq!(
            a.convert("RO-1"),
            Err(AppointmentError::InvalidTransition {
                from: "booked",
                action: "convert"
            })
        );
        a.check_in(t(190)).expect("check in");
        assert_eq!(
            a.cancel("late", t(191)),
            Err(AppointmentError::InvalidTransition {
                from: "checked_in",
                action: "cancel"
            })
        );
        assert_eq!(a.convert(" "), Err(AppointmentError::RepairOrderMissing));
        a.convert("RO-1").expect("convert");
        assert!(a.state().is_final());

        let mut b = booked();
        assert_eq!(b.cancel("  ", t(1)), Err(AppointmentError::ReasonMissing));
        b.cancel("车主出差", t(1)).expect("cancel");
        assert_eq!(
            b.check_in(t(2)),
            Err(AppointmentError::InvalidTransition {
                from: "cancelled",
                action: "check_in"
            })
        );

        let mut c = booked();
        assert_eq!(
            c.mark_no_show(t(100)),
            Err(AppointmentError::NoShowTooEarly)
        );
        c.mark_no_show(t(101)).expect("no show");
        let v: crate::Violation = AppointmentError::ReasonMissing.into();
        assert_eq!(v.rule, "appointment.reason_missing");
    }

    #[test]
    fn reminders_avoid_quiet_hours() {
        let tz = shanghai();
        let at = |d: i8, h: i8, m: i8| {
            tz.to_timestamp(date(2026, 3, d).at(h, m, 0, 0))
                .expect("ts")
        };
        let night = Some(QuietHours {
            from: time(22, 0, 0, 0),
            to: time(8, 0, 0, 0),
        });
        // 24 h before 10:00 is 10:00: fine.
        assert_eq!(reminder_at(at(5, 10, 0), 24, night, &tz), Ok(at(4, 10, 0)));
        // 2 h before 08:30 is 06:30, quiet since 22:00 the evening before.
        assert_eq!(reminder_at(at(5, 8, 30), 2, night, &tz), Ok(at(4, 21, 59)));
        // 1 h before 23:30 is 22:30, quiet since 22:00 the same evening.
        assert_eq!(reminder_at(at(5, 23, 30), 1, night, &tz), Ok(at(5, 21, 59)));
        // A lunchtime window that does not cross midnight.
        let lunch = Some(QuietHours {
            from: time(12, 0, 0, 0),
            to: time(14, 0, 0, 0),
        });
        assert_eq!(reminder_at(at(5, 15, 0), 2, lunch, &tz), Ok(at(5, 11, 59)));
        assert_eq!(reminder_at(at(5, 15, 0), 2, None, &tz), Ok(at(5, 13, 0)));
        assert_eq!(
            reminder_at(at(5, 15, 0), -1, None, &tz),
            Err(AppointmentError::ReminderRange)
        );
    }

    #[derive(Debug, Clone)]
    enum Cmd {
        Reschedule(i64),
        CheckIn,
        Convert(bool),
        Cancel(bool),
        NoShow,
        Wait(i64),
    }

    fn cmd() -> impl Strategy<Value = Cmd> {
        prop_oneof![
            (-50i64..500).prop_map(Cmd::Reschedule),
            Just(Cmd::CheckIn),
            any::<bool>().prop_map(Cmd::Convert),
            any::<bool>().prop_map(Cmd::Cancel),
            Just(Cmd::NoShow),
            (0i64..200).prop_map(Cmd::Wait),
        ]
    }

    proptest! {
        #[test]
        fn no_command_sequence_breaks_the_state_machine(cmds in proptest::collection::vec(cmd(), 0..40)) {
            let mut a = booked();
            let mut now = t(0);
            for c in cmds {
                let before = a.clone();
                let result = match c {
                    Cmd::Reschedule(m) => a.reschedule(t(m), now),
                    Cmd::CheckIn => a.check_in(now),
                    Cmd::Convert(ok) => a.convert(if ok { "RO-9" } else { "" }),
                    Cmd::Cancel(ok) => a.cancel(if ok { "reason" } else { "" }, now),
                    Cmd::NoShow => a.mark_no_show(now),
                    Cmd::Wait(m) => { now = now.checked_add(SignedDuration::from_mins(m)).expect("now"); Ok(()) }
                };
                if result.is_err() {
                    prop_assert_eq!(&a, &before);
                }
                if before.state().is_final() {
                    prop_assert_eq!(a.state(), before.state());
                }
                match (before.state(), a.state()) {
                    (x, y) if x == y => {}
                    (AppointmentState::Booked, AppointmentState::CheckedIn { .. }) => {}
                    (AppointmentState::Booked, AppointmentState::Cancelled { reason, .. }) => prop_assert!(!reason.is_empty()),
                    (AppointmentState::Booked, AppointmentState::NoShow { at }) => prop_assert!(*at > before.start()),
                    (AppointmentState::CheckedIn { .. }, AppointmentState::Converted { .. }) => {}
                    (x, y) => prop_assert!(false, "invalid transition {:?} -> {:?}", x, y),
                }
            }
        }
    }
}
