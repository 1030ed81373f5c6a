//! How long each class of record is kept (PIPL Art 19: no longer than the purpose
//! needs, unless a law sets a longer time), the legal floors no setting may go below,
//! and when the nightly purge runs.
//!
//! The floors we chose, and why (SPEC §15 names the three-guarantees rules and the
//! vehicle-data rules; the rest comes from the laws that bind a service network):
//!
//! - **Sign-in codes** (`otp_codes`): gone once used, and at most 10 minutes after they
//!   were issued (a code is valid for 5). Nothing requires keeping them; not a setting.
//! - **Sign-in attempts** (`sign_in_attempts`: account and client address): these are
//!   network logs, which 网络安全法 Art 21(3) asks to keep for at least six months:
//!   floor 180 days, default 180 days.
//! - **Outbox bodies**: a message's values (a code, a plate, a time) and its whole
//!   recipient are redacted as soon as it is delivered; what stays is its kind, time,
//!   channel and the masked recipient. A message that failed for good keeps its body
//!   for `retention_outbox_failed_days` (default 30, floor 0) so it can be re-sent,
//!   then is redacted the same way.
//! - **Audit log**: PIPL Art 56 asks that the records of processing and its
//!   assessments be kept at least three years: floor 1,095 days, default 1,095 days.
//!   The purge deletes rows older than that.
//! - **Accounting records** (bills, payments, refunds, payment notices): 会计档案管理办法
//!   (2015) Art 14 and its table keep accounting vouchers and ledgers 30 years (the tax
//!   rule, 税收征收管理法实施细则 Art 29, asks 10; the longer one wins): floor 30 years.
//!   They are never deleted by the purge: destroying accounting records needs an
//!   appraisal and a signed destruction list (ibid. Art 17–18), a person's decision.
//! - **Three-guarantees records** (repair orders, their lines and estimate decisions):
//!   the owner may claim under 三包 and the warranty (at least 3 years, SPEC §15) and
//!   then has the civil limitation period of 3 years (民法典 Art 188) to sue, so the
//!   evidence is kept at least 6 years after the repair: floor 6 years. Like
//!   accounting records, the purge does not delete them; a deletion request answers
//!   that they are held and why. (Chosen by us from these rules; to be confirmed by
//!   the company's counsel.)

use jiff::Timestamp;
use jiff::civil::Time;

/// Minutes a sign-in code may exist at most, used or not.
pub const SIGN_IN_CODE_MINUTES: i64 = 10;

/// One class of record with its own retention rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordClass {
    /// One-time sign-in codes.
    SignInCode,
    /// Failed sign-ins and code requests (network logs).
    SignInAttempt,
    /// The values and recipient of outbox messages.
    OutboxBody,
    /// The audit log.
    AuditLog,
    /// Bills, payments, refunds, payment notices.
    Accounting,
    /// Repair orders and their estimate decisions (三包 evidence).
    ThreeGuarantees,
}

impl RecordClass {
    /// Every class, in the order /metrics and the audit row list them.
    pub const ALL: [RecordClass; 6] = [
        RecordClass::SignInCode,
        RecordClass::SignInAttempt,
        RecordClass::OutboxBody,
        RecordClass::AuditLog,
        RecordClass::Accounting,
        RecordClass::ThreeGuarantees,
    ];

    /// Stable code (metrics label, audit reason, translation key suffix).
    pub fn code(self) -> &'static str {
        match self {
            RecordClass::SignInCode => "sign_in_code",
            RecordClass::SignInAttempt => "sign_in_attempt",
            RecordClass::OutboxBody => "outbox_body",
            RecordClass::AuditLog => "audit_log",
            RecordClass::Accounting => "accounting",
            RecordClass::ThreeGuarantees => "three_guarantees",
        }
    }
}

/// A retention setting below its legal floor: the server refuses to start and names
/// the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting} is {value} but the law asks at least {floor} ({why})")]
pub struct BelowFloor {
    /// The setting's name in the settings file.
    pub setting: &'static str,
    /// What was given.
    pub value: i64,
    /// The least allowed.
    pub floor: i64,
    /// The rule behind the floor.
    pub why: &'static str,
}

/// The retention settings, each at least its legal floor once [`Retention::check`]ed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Days sign-in attempts are kept (`retention_sign_in_attempt_days`).
    pub sign_in_attempt_days: i64,
    /// Days a message that failed for good keeps its body
    /// (`retention_outbox_failed_days`).
    pub outbox_failed_days: i64,
    /// Days audit rows are kept (`retention_audit_log_days`).
    pub audit_log_days: i64,
    /// Years accounting records are kept (`retention_accounting_years`).
    pub accounting_years: i64,
    /// Years three-guarantees records are kept after the repair
    /// (`retention_three_guarantees_years`).
    pub three_guarantees_years: i64,
}

/// The floors: setting name, floor, rule.
const FLOORS: [(&str, i64, &str); 5] = [
    (
        "retention_sign_in_attempt_days",
        180,
        "网络安全法 Art 21(3): network logs six months",
    ),
    ("retention_outbox_failed_days", 0, "no legal minimum"),
    (
        "retention_audit_log_days",
        1_095,
        "PIPL Art 56: processing records three years",
    ),
    (
        "retention_accounting_years",
        30,
        "会计档案管理办法 Art 14: accounting records 30 years",
    ),
    (
        "retention_three_guarantees_years",
        6,
        "3-year warranty + 3-year limitation (民法典 Art 188)",
    ),
];

impl Default for Retention {
    fn default() -> Self {
        Retention {
            sign_in_attempt_days: 180,
            outbox_failed_days: 30,
            audit_log_days: 1_095,
            accounting_years: 30,
            three_guarantees_years: 6,
        }
    }
}

impl Retention {
    fn values(&self) -> [i64; 5] {
        [
            self.sign_in_attempt_days,
            self.outbox_failed_days,
            self.audit_log_days,
            self.accounting_years,
            self.three_guarantees_years,
        ]
    }

    /// Refuses the first setting below its floor.
    pub fn check(&self) -> Result<(), BelowFloor> {
        for ((setting, floor, why), value) in FLOORS.iter().zip(self.values()) {
            if value < *floor {
                return Err(BelowFloor {
                    setting,
                    value,
                    floor: *floor,
                    why,
                });
            }
        }
        Ok(())
    }

    /// The legal floor of a setting, by name (`None` for an unknown name).
    pub fn floor(setting: &str) -> Option<i64> {
        FLOORS.iter().find(|f| f.0 == setting).map(|f| f.1)
    }

    /// What the purge run at `now` (UTC ms) removes or redacts: rows older than these
    /// instants.
    pub fn cutoffs(&self, now: i64) -> Cutoffs {
        const DAY: i64 = 86_400_000;
        Cutoffs {
            sign_in_code_before: now - SIGN_IN_CODE_MINUTES * 60_000,
            sign_in_attempt_before: now - self.sign_in_attempt_days * DAY,
            outbox_failed_before: now - self.outbox_failed_days * DAY,
            audit_log_before: now - self.audit_log_days * DAY,
        }
    }
}

/// Instants (UTC ms) before which the purge removes or redacts a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    /// Sign-in codes created before this go (used ones go at once).
    pub sign_in_code_before: i64,
    /// Sign-in attempts before this go.
    pub sign_in_attempt_before: i64,
    /// Failed messages queued before this lose their body.
    pub outbox_failed_before: i64,
    /// Audit rows before this go.
    pub audit_log_before: i64,
}

/// What one purge did, per class (accounting and three-guarantees records are never
/// purged automatically, so they always read 0; they are listed so /metrics shows it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeCounts {
    /// Sign-in codes deleted.
    pub sign_in_codes: u64,
    /// Sign-in attempts deleted.
    pub sign_in_attempts: u64,
    /// Outbox bodies redacted.
    pub outbox_bodies: u64,
    /// Audit rows deleted.
    pub audit_rows: u64,
}

impl PurgeCounts {
    /// The count of one class.
    pub fn of(&self, class: RecordClass) -> u64 {
        match class {
            RecordClass::SignInCode => self.sign_in_codes,
            RecordClass::SignInAttempt => self.sign_in_attempts,
            RecordClass::OutboxBody => self.outbox_bodies,
            RecordClass::AuditLog => self.audit_rows,
            RecordClass::Accounting | RecordClass::ThreeGuarantees => 0,
        }
    }

    /// `class=count` pairs for the audit row's reason.
    pub fn summary(&self) -> String {
        RecordClass::ALL
            .iter()
            .map(|c| format!("{}={}", c.code(), self.of(*c)))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Local time of the nightly purge (quiet hours in China).
pub const PURGE_AT: Time = Time::constant(3, 0, 0, 0);

/// The next nightly purge strictly after `now` (UTC ms): 03:00 Asia/Shanghai.
pub fn next_purge(now: i64) -> i64 {
    let tz = crate::calendar::shanghai();
    let Ok(ts) = Timestamp::from_millisecond(now) else {
        return now + 86_400_000;
    };
    let local = tz.to_datetime(ts);
    let mut day = local.date();
    for _ in 0..3 {
        if let Ok(at) = tz.to_timestamp(day.to_datetime(PURGE_AT)) {
            let ms = at.as_millisecond();
            if ms > now {
                return ms;
            }
        }
        match day.tomorrow() {
            Ok(d) => day = d,
            Err(_) => break,
        }
    }
    now + 86_400_000
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn defaults_meet_every_floor() {
        assert_eq!(Retention::default().check(), Ok(()));
    }

    #[test]
    fn a_setting_below_its_floor_is_named() {
        let r = Retention {
            accounting_years: 10,
            ..Retention::default()
        };
        let e = r.check().unwrap_err();
        assert_eq!(e.setting, "retention_accounting_years");
        assert_eq!(e.floor, 30);
        assert!(e.to_string().contains("retention_accounting_years"));
        let r = Retention {
            audit_log_days: 30,
            ..Retention::default()
        };
        assert_eq!(r.check().unwrap_err().setting, "retention_audit_log_days");
    }

    #[test]
    fn the_purge_runs_at_three_in_shanghai() {
        // 2026-12-05 00:26 UTC = 08:26 Shanghai → next run 2026-12-06 03:00 Shanghai
        // = 2026-12-05 19:00 UTC.
        let now = "2026-12-05T00:26:00Z"
            .parse::<Timestamp>()
            .unwrap()
            .as_millisecond();
        let next = "2026-12-05T19:00:00Z"
            .parse::<Timestamp>()
            .unwrap()
            .as_millisecond();
        assert_eq!(next_purge(now), next);
        assert_eq!(next_purge(next - 1), next);
        assert_eq!(next_purge(next), next + 86_400_000);
    }

    proptest! {
        #[test]
        fn the_next_purge_is_within_a_day(now in 0i64..4_000_000_000_000) {
            let n = next_purge(now);
            prop_assert!(n > now);
            prop_assert!(n - now <= 86_400_000);
        }

        #[test]
        fn cutoffs_never_reach_past_now(now in 0i64..4_000_000_000_000, days in 0i64..20_000) {
            let r = Retention { sign_in_attempt_days: days.max(180), audit_log_days: days.max(1_095), outbox_failed_days: days, ..Retention::default() };
            let c = r.cutoffs(now);
            prop_assert!(c.sign_in_code_before < now);
            prop_assert!(c.sign_in_attempt_before <= now - 180 * 86_400_000);
            prop_assert!(c.audit_log_before <= now - 1_095 * 86_400_000);
            prop_assert!(c.outbox_failed_before <= now);
        }
    }
}
