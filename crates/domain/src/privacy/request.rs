//! The owner's correction and deletion requests (PIPL Arts 46, 47, 50): what may be
//! asked, which records a deletion can reach and which stay under a legal hold (and
//! why), the deadline, and the request's states.
//!
//! The deadline: PIPL Art 50 asks for a prompt answer without a number; the national
//! standard (GB/T 35273-2020 §8.7) allows 30 days, and Chinese practice (the app
//! privacy rules most platforms publish) promises **15 working days**. We chose the
//! shorter: 15 working days on China's holiday plan (调休 counted), due at the end of
//! the 15th working day after the day of filing. When it is due and still open, the
//! request escalates to head office's attention (a timer on the job machinery).

use crate::calendar::{DayKind, HolidayPlan};
use crate::violation::{Violation, Violations};
use jiff::Timestamp;
use jiff::civil::{Date, Time, Weekday};

/// Working days head office has to answer.
pub const ANSWER_WORKING_DAYS: usize = 15;

/// Longest free text of a request or an answer, in characters.
pub const MAX_TEXT_CHARS: usize = 1_000;

/// What the owner asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// Correct a wrong record (Art 46).
    Correction,
    /// Delete or anonymise (Art 47).
    Deletion,
}

impl RequestKind {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            RequestKind::Correction => "correction",
            RequestKind::Deletion => "deletion",
        }
    }

    /// From its code.
    pub fn from_code(s: &str) -> Option<RequestKind> {
        match s {
            "correction" => Some(RequestKind::Correction),
            "deletion" => Some(RequestKind::Deletion),
            _ => None,
        }
    }
}

/// The classes of records an owner can name in a deletion request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Name, phone, ID number, contact preferences.
    Contact,
    /// Appointments and their notes.
    Appointments,
    /// Pick-ups with their addresses.
    Pickups,
    /// Ratings and their comments.
    Ratings,
    /// Messages sent and the in-app inbox.
    Messages,
    /// Repair orders and estimate decisions (三包 evidence).
    RepairOrders,
    /// Bills, payments and refunds (accounting records).
    Bills,
    /// The audit log of who saw their data.
    AuditLog,
}

/// Why a class is kept despite a deletion request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// 三包 and warranty evidence, kept 6 years after the repair.
    ThreeGuarantees,
    /// Accounting records, kept 30 years.
    Accounting,
    /// The audit log, kept 3 years (and it is the proof the request was handled).
    Audit,
}

impl Hold {
    /// Stable code; the translation key `privacy.hold.<code>` explains it to the owner.
    pub fn code(self) -> &'static str {
        match self {
            Hold::ThreeGuarantees => "three_guarantees",
            Hold::Accounting => "accounting",
            Hold::Audit => "audit",
        }
    }
}

impl Scope {
    /// Every scope, in the order forms list them.
    pub const ALL: [Scope; 8] = [
        Scope::Contact,
        Scope::Appointments,
        Scope::Pickups,
        Scope::Ratings,
        Scope::Messages,
        Scope::RepairOrders,
        Scope::Bills,
        Scope::AuditLog,
    ];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Scope::Contact => "contact",
            Scope::Appointments => "appointments",
            Scope::Pickups => "pickups",
            Scope::Ratings => "ratings",
            Scope::Messages => "messages",
            Scope::RepairOrders => "repair_orders",
            Scope::Bills => "bills",
            Scope::AuditLog => "audit_log",
        }
    }

    /// From its code.
    pub fn from_code(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|c| c.code() == s)
    }

    /// The legal hold on this class, if any: held records are kept whole (they stop
    /// naming the owner once the contact details are anonymised).
    pub fn hold(self) -> Option<Hold> {
        match self {
            Scope::RepairOrders => Some(Hold::ThreeGuarantees),
            Scope::Bills => Some(Hold::Accounting),
            Scope::AuditLog => Some(Hold::Audit),
            _ => None,
        }
    }
}

/// Grounds for deletion the law lists (PIPL Art 47).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ground {
    /// The purpose is achieved or no longer needed.
    PurposeDone,
    /// Consent withdrawn.
    ConsentWithdrawn,
    /// No longer a customer (the service stopped).
    ServiceEnded,
    /// Processed against the law or the agreement.
    Unlawful,
    /// Something else, told in the note.
    Other,
}

impl Ground {
    /// Every ground.
    pub const ALL: [Ground; 5] = [
        Ground::PurposeDone,
        Ground::ConsentWithdrawn,
        Ground::ServiceEnded,
        Ground::Unlawful,
        Ground::Other,
    ];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Ground::PurposeDone => "purpose_done",
            Ground::ConsentWithdrawn => "consent_withdrawn",
            Ground::ServiceEnded => "service_ended",
            Ground::Unlawful => "unlawful",
            Ground::Other => "other",
        }
    }

    /// From its code.
    pub fn from_code(s: &str) -> Option<Ground> {
        Ground::ALL.into_iter().find(|g| g.code() == s)
    }
}

/// What the owner filed, as typed.
#[derive(Debug, Clone, Default)]
pub struct RequestInput<'a> {
    /// `correction` or `deletion`.
    pub kind: &'a str,
    /// Scope codes (deletion).
    pub scopes: Vec<&'a str>,
    /// Ground code (deletion).
    pub ground: &'a str,
    /// Free text: what is wrong and what is right (correction), or the reason when the
    /// ground is `other` (deletion).
    pub detail: &'a str,
}

/// A request that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filed {
    /// Correction or deletion.
    pub kind: RequestKind,
    /// The classes named (deletion; empty for a correction).
    pub scopes: Vec<Scope>,
    /// The ground (deletion).
    pub ground: Option<Ground>,
    /// The owner's text, trimmed.
    pub detail: String,
}

/// Checks a request, collecting every broken rule: a correction needs its detail; a
/// deletion needs at least one class, a ground, the note when the ground is `other`,
/// and at least one class not under a legal hold (a request only for held records is
/// answered at once with why they are kept: `privacy.legal_hold`, field `scopes`).
pub fn file(input: &RequestInput<'_>) -> Result<Filed, Violations> {
    let mut v = Violations::new();
    let detail = input.detail.trim();
    if detail.chars().count() > MAX_TEXT_CHARS {
        v.push(Violation::new("detail", "text.length").with_detail(MAX_TEXT_CHARS.to_string()));
    }
    let Some(kind) = RequestKind::from_code(input.kind.trim()) else {
        v.push(Violation::new("kind", "privacy.request_kind"));
        return Err(v);
    };
    let mut filed = Filed {
        kind,
        scopes: Vec::new(),
        ground: None,
        detail: detail.to_string(),
    };
    match kind {
        RequestKind::Correction => {
            if detail.is_empty() {
                v.push(Violation::new("detail", "privacy.detail_required"));
            }
        }
        RequestKind::Deletion => {
            for s in &input.scopes {
                match Scope::from_code(s.trim()) {
                    Some(s) if !filed.scopes.contains(&s) => filed.scopes.push(s),
                    Some(_) => {}
                    None => v.push(Violation::new("scopes", "privacy.scope")),
                }
            }
            filed.scopes.sort();
            if filed.scopes.is_empty() && v.is_empty() {
                v.push(Violation::new("scopes", "privacy.scope_required"));
            } else if !filed.scopes.is_empty() && filed.scopes.iter().all(|s| s.hold().is_some()) {
                let held: Vec<&str> = filed.scopes.iter().map(|s| s.code()).collect();
                v.push(Violation::new("scopes", "privacy.legal_hold").with_detail(held.join(",")));
            }
            match Ground::from_code(input.ground.trim()) {
                None => v.push(Violation::new("ground", "privacy.ground_required")),
                Some(Ground::Other) if detail.is_empty() => {
                    v.push(Violation::new("detail", "privacy.detail_required"));
                }
                Some(g) => filed.ground = Some(g),
            }
        }
    }
    v.into_result().map(|()| filed)
}

/// What a completed deletion did to one class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Anonymised or deleted.
    Erased,
    /// Kept under a legal hold.
    Kept(Hold),
}

/// What completing a deletion does to each class asked for: erased, or kept and why.
/// The contact details are always erased with any deletion (held records then no
/// longer name the owner).
pub fn outcomes(scopes: &[Scope]) -> Vec<(Scope, Outcome)> {
    let mut all: Vec<Scope> = scopes.to_vec();
    if !all.contains(&Scope::Contact) {
        all.push(Scope::Contact);
    }
    all.sort();
    all.dedup();
    all.into_iter()
        .map(|s| (s, s.hold().map_or(Outcome::Erased, Outcome::Kept)))
        .collect()
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestState {
    /// Filed, waiting for head office.
    Open,
    /// Due and not yet answered: head office's attention.
    Escalated,
    /// Done (corrected, or erased as far as the law allows).
    Done,
    /// Refused with a reason.
    Refused,
}

impl RequestState {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            RequestState::Open => "open",
            RequestState::Escalated => "escalated",
            RequestState::Done => "done",
            RequestState::Refused => "refused",
        }
    }

    /// From its code.
    pub fn from_code(s: &str) -> Option<RequestState> {
        [
            RequestState::Open,
            RequestState::Escalated,
            RequestState::Done,
            RequestState::Refused,
        ]
        .into_iter()
        .find(|r| r.code() == s)
    }

    /// Whether head office still has to answer.
    pub fn is_waiting(self) -> bool {
        matches!(self, RequestState::Open | RequestState::Escalated)
    }
}

/// What happens to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestEvent {
    /// The deadline passed.
    Escalate,
    /// Head office carried it out.
    Complete,
    /// Head office refused it (with a reason).
    Refuse,
}

/// The state after `event`, or `None` when it does not apply (an answered request
/// stays answered; only an open request escalates).
pub fn transition(from: RequestState, event: RequestEvent) -> Option<RequestState> {
    use RequestEvent::*;
    use RequestState::*;
    match (from, event) {
        (Open, Escalate) => Some(Escalated),
        (Open | Escalated, Complete) => Some(Done),
        (Open | Escalated, Refuse) => Some(Refused),
        _ => None,
    }
}

/// Whether `day` is a working day: Monday to Friday, with China's holiday plan
/// (holidays off, 调休 weekend days worked).
fn is_working_day(plan: &HolidayPlan, day: Date) -> bool {
    match plan.get(day) {
        Some(DayKind::Holiday { .. }) => false,
        Some(DayKind::AdjustedWorkday) => true,
        None => !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday),
    }
}

/// When a request filed at `filed_at` (UTC ms) is due: the end of the 15th working
/// day after the day of filing, in Shanghai time.
pub fn due_at(filed_at: i64) -> i64 {
    let plan = HolidayPlan::china();
    let tz = crate::calendar::shanghai();
    let Ok(ts) = Timestamp::from_millisecond(filed_at) else {
        return filed_at;
    };
    let mut day = tz.to_datetime(ts).date();
    let mut counted = 0;
    // 15 working days fit in far fewer than 120 calendar days, even over 春节.
    for _ in 0..120 {
        let Ok(next) = day.tomorrow() else { break };
        day = next;
        if is_working_day(&plan, day) {
            counted += 1;
            if counted == ANSWER_WORKING_DAYS {
                break;
            }
        }
    }
    let end = day
        .tomorrow()
        .ok()
        .and_then(|d| tz.to_timestamp(d.to_datetime(Time::midnight())).ok());
    end.map_or(filed_at + 21 * 86_400_000, |t| t.as_millisecond())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn input<'a>(
        kind: &'a str,
        scopes: &[&'a str],
        ground: &'a str,
        detail: &'a str,
    ) -> RequestInput<'a> {
        RequestInput {
            kind,
            scopes: scopes.to_vec(),
            ground,
            detail,
        }
    }

    fn rules(r: Result<Filed, Violations>) -> Vec<(String, &'static str)> {
        r.unwrap_err()
            .0
            .into_iter()
            .map(|v| (v.field, v.rule))
            .collect()
    }

    #[test]
    fn a_deletion_only_of_held_records_is_refused_naming_scopes() {
        let r = file(&input(
            "deletion",
            &["bills", "repair_orders"],
            "purpose_done",
            "",
        ));
        assert_eq!(rules(r), vec![("scopes".to_string(), "privacy.legal_hold")]);
    }

    #[test]
    fn a_mixed_deletion_is_filed_and_explains_what_is_kept() {
        let f = file(&input(
            "deletion",
            &["bills", "pickups"],
            "service_ended",
            "",
        ))
        .unwrap();
        assert_eq!(f.scopes, vec![Scope::Pickups, Scope::Bills]);
        let o = outcomes(&f.scopes);
        assert!(o.contains(&(Scope::Contact, Outcome::Erased)));
        assert!(o.contains(&(Scope::Pickups, Outcome::Erased)));
        assert!(o.contains(&(Scope::Bills, Outcome::Kept(Hold::Accounting))));
    }

    #[test]
    fn reasons_are_required_where_needed() {
        assert_eq!(
            rules(file(&input("correction", &[], "", "  "))),
            vec![("detail".to_string(), "privacy.detail_required")]
        );
        assert_eq!(
            rules(file(&input("deletion", &["contact"], "other", ""))),
            vec![("detail".to_string(), "privacy.detail_required")]
        );
        assert_eq!(
            rules(file(&input("deletion", &["contact"], "", ""))),
            vec![("ground".to_string(), "privacy.ground_required")]
        );
        assert_eq!(
            rules(file(&input("deletion", &[], "unlawful", ""))),
            vec![("scopes".to_string(), "privacy.scope_required")]
        );
        assert_eq!(
            rules(file(&input("forget", &[], "", ""))),
            vec![("kind".to_string(), "privacy.request_kind")]
        );
        assert!(file(&input("correction", &[], "", "名字写错了：应为张伟")).is_ok());
    }

    #[test]
    fn fifteen_working_days_skip_weekends_and_holidays() {
        // Filed Friday 2026-12-04 10:00 Shanghai (02:00 UTC): 15 working days from
        // Monday 12-07 end on Friday 12-25 (no holiday in between); due at the start
        // of 12-26 Shanghai = 12-25 16:00 UTC.
        let filed = "2026-12-04T02:00:00Z"
            .parse::<Timestamp>()
            .unwrap()
            .as_millisecond();
        let due = "2026-12-25T16:00:00Z"
            .parse::<Timestamp>()
            .unwrap()
            .as_millisecond();
        assert_eq!(due_at(filed), due);
        // Across 国庆 2026 (10-01..10-07 off, 09-20 and 10-10 worked).
        let filed = "2026-09-28T02:00:00Z"
            .parse::<Timestamp>()
            .unwrap()
            .as_millisecond();
        assert!(due_at(filed) - filed > 21 * 86_400_000);
    }

    fn any_event() -> impl Strategy<Value = RequestEvent> {
        prop_oneof![
            Just(RequestEvent::Escalate),
            Just(RequestEvent::Complete),
            Just(RequestEvent::Refuse)
        ]
    }

    proptest! {
        /// Once answered, a request never changes again, and it is answered at most once.
        #[test]
        fn answered_requests_stay_answered(events in proptest::collection::vec(any_event(), 0..12)) {
            let mut s = RequestState::Open;
            let mut answers = 0;
            for e in events {
                match transition(s, e) {
                    Some(next) => {
                        prop_assert!(s.is_waiting());
                        if !next.is_waiting() { answers += 1; }
                        s = next;
                    }
                    None => prop_assert!(!s.is_waiting() || (s == RequestState::Escalated && e == RequestEvent::Escalate)),
                }
            }
            prop_assert!(answers <= 1);
        }

        #[test]
        fn the_deadline_is_two_and_a_half_to_eight_weeks_away(filed in 1_700_000_000_000i64..1_800_000_000_000) {
            let d = due_at(filed);
            // 调休 weekend days count, so three weeks can shrink by a few days.
            prop_assert!(d - filed >= 17 * 86_400_000);
            prop_assert!(d - filed <= 56 * 86_400_000);
        }

        #[test]
        fn held_scopes_are_always_kept(picks in proptest::collection::vec(0usize..8, 0..8)) {
            let scopes: Vec<Scope> = picks.iter().map(|i| Scope::ALL[*i]).collect();
            for (s, o) in outcomes(&scopes) {
                prop_assert_eq!(o == Outcome::Erased, s.hold().is_none());
            }
        }
    }
}
